/**
 * The parent's side of the question-and-answer protocol with one client process, whatever
 * carries it (JSON lines on a socket, Node IPC). Answers come back by type in the order they
 * were asked; a program step's answer comes by its id, whenever the client library returns.
 * An answer that never comes would stall the whole campaign, so the process is killed instead;
 * once it is gone, everyone still waiting gets null.
 */

/** Starts a program step; `id` names its answer. */
export type Run<Step> = { t: 'run'; id: number; step: Step };

type Done<From> = Extract<From, { t: 'done' }> & { id: number };
type Answer<From, T> = Extract<From, { t: T }>;

export abstract class ChildLink<To extends { t: string }, From extends { t: string }, Step> {
  private waiters = new Map<string, Array<(m: From | null) => void>>();
  private runs = new Map<number, (d: Done<From> | null) => void>();
  private nextRun = 0;
  private markGone!: () => void;
  /** What the process wrote on standard error (where we see it) and what went wrong on our side. */
  protected output = '';
  exited = false;
  readonly gone: Promise<void>;

  constructor(
    /** Real ms the process may take to answer a question. */
    private readonly answerTimeoutMs: number,
  ) {
    this.gone = new Promise((resolve) => (this.markGone = resolve));
  }

  /** Writes one message to the process; false when it cannot go out. */
  protected abstract send(m: To | Run<Step>): boolean;
  /** Ends the process at once, as SIGKILL does. */
  protected abstract signal(): void;

  protected trouble(text: string): void {
    this.output += `\n[dcomkit] ${text}`;
  }

  /** The process is gone: nothing waiting on it will ever be answered. */
  protected closed(): void {
    this.exited = true;
    for (const list of this.waiters.values()) for (const w of list) w(null);
    this.waiters.clear();
    for (const r of this.runs.values()) r(null);
    this.runs.clear();
    this.markGone();
  }

  protected receive(m: From): void {
    if (m.t === 'done') {
      const d = m as Done<From>;
      this.runs.get(d.id)?.(d);
      this.runs.delete(d.id);
      return;
    }
    this.waiters.get(m.t)?.shift()?.(m);
  }

  protected wait<T extends From['t']>(t: T): Promise<Answer<From, T> | null> {
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const list = this.waiters.get(t) ?? [];
      list.push(resolve as (m: From | null) => void);
      this.waiters.set(t, list);
    });
  }

  protected post(m: To | Run<Step>): boolean {
    return !this.exited && this.send(m);
  }

  protected ask<T extends From['t']>(m: To, t: T): Promise<Answer<From, T> | null> {
    const answer = this.wait(t);
    if (!this.post(m)) return Promise.resolve(null);
    const watchdog = setTimeout(() => {
      this.trouble(`no answer to '${m.t}' within ${this.answerTimeoutMs} ms; killed`);
      this.signal();
    }, this.answerTimeoutMs);
    return answer.finally(() => clearTimeout(watchdog));
  }

  /** Starts a program step: its answer when the client library returns (maybe never), null if the process is gone first. */
  protected start(step: Step): Promise<Done<From> | null> {
    const id = ++this.nextRun;
    return new Promise((resolve) => {
      this.runs.set(id, resolve);
      if (!this.post({ t: 'run', id, step })) {
        this.runs.delete(id);
        resolve(null);
      }
    });
  }

  /** Steps of a program that is over never report back. */
  protected forget(): void {
    this.runs.clear();
  }

  async kill(): Promise<void> {
    if (!this.exited) this.signal();
    await this.gone;
  }
}
