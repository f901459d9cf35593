/** The parent's handle on one client process (driver.py under Debian's python3): spawn, ask, kill. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FromChild, ProgramStep, StepResult, ToChild } from './messages';

export interface SpawnOptions {
  python: string;
  driver: string;
  /** Hex NT hash the driver authenticates with (the emulator's). */
  ntHash: string;
}

type Answer<T extends FromChild['t']> = Extract<FromChild, { t: T }>;
type Done = Answer<'done'>;

/**
 * Real ms a client process may take to answer a question (peek, tick, begin). Answers take
 * milliseconds; a tick waits at most 5 s per fired timer inside the driver. One that never
 * comes would stall the campaign, so the process is killed and the adapter fails loudly.
 */
const ANSWER_TIMEOUT_MS = 30_000;

export class ImpacketProcess {
  private waiters = new Map<string, Array<(m: FromChild | null) => void>>();
  private runs = new Map<number, (d: Done) => void>();
  private nextRun = 0;
  private stderr = '';
  exited = false;
  /** The driver said it is ending (its program is over and nothing keeps it alive). */
  announcedExit = false;
  /** We killed it (crash action, teardown). */
  killed = false;
  readonly gone: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: FromChild;
      try {
        m = JSON.parse(line) as FromChild;
      } catch {
        this.stderr += `\n[dcomkit] not JSON on stdout: ${line.slice(0, 200)}`;
        return;
      }
      this.receive(m);
    });
    child.on('error', (err) => {
      this.stderr += `\n[dcomkit] ${err.message}`;
    });
    child.stderr?.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-4000);
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

  static async spawn(options: SpawnOptions): Promise<ImpacketProcess> {
    const child = spawn(options.python, [options.driver], {
      env: { ...process.env, DCOMKIT_NT_HASH: options.ntHash, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const p = new ImpacketProcess(child);
    const ready = await p.wait('ready');
    if (!ready) throw new Error(`impacket client process died while starting: ${p.stderr.trim().split('\n').slice(-5).join(' | ')}`);
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
      if (m.exiting) this.announcedExit = true;
      this.runs.get(m.id)?.(m);
      this.runs.delete(m.id);
      return;
    }
    if ((m.t === 'ticked' || m.t === 'ended') && m.exiting) this.announcedExit = true;
    this.waiters.get(m.t)?.shift()?.(m);
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
    if (this.exited || !this.child.stdin?.writable) return false;
    this.child.stdin.write(JSON.stringify(m) + '\n');
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

  /** The program starts now, on this machine's resolver port. */
  async begin(now: number, port: number): Promise<boolean> {
    return (await this.ask({ t: 'begin', now, port }, 'begun')) !== null;
  }
  peek(): Promise<Answer<'peek'> | null> {
    return this.ask({ t: 'peek' }, 'peek');
  }
  tick(to: number): Promise<Answer<'ticked'> | null> {
    return this.ask({ t: 'tick', to }, 'ticked');
  }
  end(): Promise<Answer<'ended'> | null> {
    return this.ask({ t: 'end' }, 'ended');
  }

  /** Starts a program step; settles when impacket returns (maybe never), null if the process died. */
  run(step: ProgramStep): Promise<Done | null> {
    const id = ++this.nextRun;
    return new Promise((resolve) => {
      this.runs.set(id, resolve);
      void this.gone.then(() => {
        if (this.runs.delete(id)) resolve(null);
      });
      if (!this.post({ t: 'run', id, step })) {
        this.runs.delete(id);
        resolve(null);
      }
    });
  }

  async kill(): Promise<void> {
    this.killed = true;
    if (!this.exited) this.child.kill('SIGKILL');
    await this.gone;
  }
}

export type { StepResult };
