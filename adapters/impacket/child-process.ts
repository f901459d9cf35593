/**
 * The parent's handle on one client process (driver.py, forked by the zygote, see pool.ts):
 * questions and answers over its loopback connection, a kill by pid, and `gone` when the
 * connection closes, which is when the process has ended (it alone holds it).
 */
import type * as net from 'node:net';
import { createInterface } from 'node:readline';
import { alive } from '../emulated/alive';
import { ChildLink } from '../emulated/link';
import type { FromChild, ProgramStep, StepResult, ToChild } from './messages';

type Answer<T extends FromChild['t']> = Extract<FromChild, { t: T }>;
type Done = Answer<'done'>;

/**
 * Real ms a client process may take to answer a question (peek, tick, begin). Answers take
 * milliseconds; a tick waits at most 5 s per fired timer inside the driver. One that never
 * comes would stall the campaign, so the process is killed and the adapter fails loudly.
 */
const ANSWER_TIMEOUT_MS = 30_000;

export class ImpacketProcess extends ChildLink<ToChild, FromChild, ProgramStep> {
  /** The driver said it is ending (its program is over and nothing keeps it alive). */
  announcedExit = false;
  /** We killed it (crash action, teardown). */
  killed = false;

  /** The process id, from the driver's hello. */
  pid = 0;
  private isReady = false;
  private readyWaiters: Array<(ok: boolean) => void> = [];

  constructor(
    private readonly sock: net.Socket,
    /** The zygote's standard error, which its children share. */
    private readonly stderr: () => string,
    /** Called with the token the driver names itself by, once it says hello. */
    private readonly onHello: (token: string, p: ImpacketProcess) => void,
  ) {
    super(ANSWER_TIMEOUT_MS);
    const lines = createInterface({ input: sock });
    // A killed process resets its connection; that is the 'close' below, not an error.
    lines.on('error', () => undefined);
    lines.on('line', (line) => {
      let m: FromChild;
      try {
        m = JSON.parse(line) as FromChild;
      } catch {
        this.trouble(`not JSON from the driver: ${line.slice(0, 200)}`);
        return;
      }
      this.receive(m);
    });
    sock.on('error', (err) => this.trouble(err.message));
    sock.once('close', () => this.closed());
  }

  get errorOutput(): string {
    return `${this.stderr()}${this.output}`;
  }

  /** Resolves true once the driver is ready for its program, false if it died first. */
  ready(): Promise<boolean> {
    if (this.isReady || this.exited) return Promise.resolve(this.isReady && !this.exited);
    return new Promise((r) => this.readyWaiters.push(r));
  }

  protected override closed(): void {
    for (const r of this.readyWaiters) r(false);
    super.closed();
  }

  protected override receive(m: FromChild): void {
    if (m.t === 'hello') {
      this.pid = m.pid;
      this.onHello(m.token, this);
      return;
    }
    if (m.t === 'ready') {
      this.isReady = true;
      for (const r of this.readyWaiters.splice(0)) r(true);
      return;
    }
    // Said with the answer it belongs to, so it is known before anyone reads the answer.
    if ('exiting' in m && m.exiting) this.announcedExit = true;
    super.receive(m);
  }

  protected send(m: ToChild): boolean {
    if (this.sock.destroyed) return false;
    this.sock.write(JSON.stringify(m) + '\n');
    return true;
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
    return this.start(step);
  }

  protected signal(): void {
    if (!this.pid) {
      this.sock.destroy();
      return;
    }
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  override async kill(): Promise<void> {
    this.killed = true;
    await super.kill();
    // The connection closes as the process dies; its parent (the zygote) reaps it a moment later.
    for (let i = 0; i < 200 && this.pid && alive(this.pid); i++) await new Promise((r) => setTimeout(r, 10));
  }
}

export type { StepResult };
