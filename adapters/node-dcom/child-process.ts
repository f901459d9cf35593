/** The parent's handle on one client process: spawn, request/answer over IPC, kill. */
import { fork, type ChildProcess } from 'node:child_process';
import type { FromChild, ProgramStep, StepResult, ToChild } from './messages';
import { childScript } from './script';

export interface SpawnOptions {
  socketTimeoutMs: number;
}

type Answer<T extends FromChild['t']> = Extract<FromChild, { t: T }>;

/**
 * Real ms a client process may take to answer the parent. Answers normally take
 * milliseconds; one that never comes would stall the whole campaign, so the process is
 * killed instead and the adapter carries on as if it had died.
 */
const ANSWER_TIMEOUT_MS = 15_000;

export class ClientProcess {
  private waiters = new Map<string, Array<(m: FromChild | null) => void>>();
  private runs = new Map<number, (r: StepResult) => void>();
  private nextRun = 0;
  private stderr = '';
  exited = false;
  readonly gone: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: FromChild) => this.receive(m));
    // A child that dies between our check and our write makes that write fail (EPIPE); its
    // 'exit' still settles every waiter, so the failure is only worth a line in its output.
    child.on('error', (err) => {
      this.stderr += `\n[dcomkit] ${err.message}`;
    });
    child.stderr?.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-2000);
    });
    this.gone = new Promise((resolve) => {
      child.once('exit', () => {
        this.exited = true;
        for (const list of this.waiters.values()) for (const w of list) w(null);
        this.waiters.clear();
        resolve();
      });
    });
  }

  static async spawn(options: SpawnOptions): Promise<ClientProcess> {
    const child = fork(childScript(), [], {
      // node-dcom's NTLM needs MD4 and DES, which OpenSSL 3 keeps in its legacy provider.
      execArgv: ['--openssl-legacy-provider'],
      env: {
        ...process.env,
        DCOMKIT_SOCKET_TIMEOUT_MS: String(options.socketTimeoutMs),
        NODE_OPTIONS: '',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const p = new ClientProcess(child);
    const ready = await p.wait('ready');
    if (!ready) throw new Error(`node-dcom client process died while starting: ${p.stderr.trim()}`);
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get errorOutput(): string {
    return this.stderr;
  }

  private receive(m: FromChild): void {
    if (m.t === 'done') {
      this.runs.get(m.id)?.(m.result);
      this.runs.delete(m.id);
      return;
    }
    const list = this.waiters.get(m.t);
    list?.shift()?.(m);
  }

  private wait<T extends FromChild['t']>(t: T): Promise<Answer<T> | null> {
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const list = this.waiters.get(t) ?? [];
      list.push(resolve as (m: FromChild | null) => void);
      this.waiters.set(t, list);
    });
  }

  private post(m: ToChild): boolean {
    if (this.exited || !this.child.connected) return false;
    // With a callback, a failed send is reported there instead of as an 'error' event.
    this.child.send(m, (err) => {
      if (err) this.stderr += `\n[dcomkit] could not send '${m.t}': ${err.message}`;
    });
    return true;
  }

  private ask<T extends FromChild['t']>(m: ToChild, t: T): Promise<Answer<T> | null> {
    const answer = this.wait(t);
    if (!this.post(m)) return Promise.resolve(null);
    const watchdog = setTimeout(() => {
      this.stderr += `\n[dcomkit] no answer to '${m.t}' within ${ANSWER_TIMEOUT_MS} ms; killed`;
      this.child.kill('SIGKILL');
    }, ANSWER_TIMEOUT_MS);
    return answer.finally(() => clearTimeout(watchdog));
  }

  /** The program starts now: the child's clock jumps to the kit's time. */
  async begin(now: number): Promise<boolean> {
    return (await this.ask({ t: 'begin', now }, 'begun')) !== null;
  }
  tick(to: number): Promise<Answer<'ticked'> | null> {
    return this.ask({ t: 'tick', to }, 'ticked');
  }
  state(): Promise<Answer<'state'> | null> {
    return this.ask({ t: 'state' }, 'state');
  }
  tryExit(): Promise<Answer<'tryExit'> | null> {
    return this.ask({ t: 'tryExit' }, 'tryExit');
  }
  end(): void {
    this.post({ t: 'end' });
  }

  /** The program dies at once (see child.ts); false when the process did not answer. */
  async crash(): Promise<boolean> {
    return (await this.ask({ t: 'crash' }, 'crashed')) !== null;
  }

  /**
   * Readies the process for a new program (see child.ts): true when it is as good as fresh.
   * Steps of the old program never report back.
   */
  async recycle(): Promise<boolean> {
    this.runs.clear();
    const answer = await this.ask({ t: 'recycle' }, 'recycled');
    return answer?.ok === true && !this.exited;
  }

  /** Starts a program step; the promise settles when node-dcom returns (maybe never). */
  run(step: ProgramStep): Promise<StepResult> {
    const id = ++this.nextRun;
    return new Promise((resolve) => {
      this.runs.set(id, resolve);
      if (!this.post({ t: 'run', id, step })) this.runs.delete(id);
    });
  }

  async kill(): Promise<void> {
    if (!this.exited) this.child.kill('SIGKILL');
    await this.gone;
  }
}
