/** The parent's handle on one client process: spawn, request/answer over IPC, kill. */
import { fork, type ChildProcess } from 'node:child_process';
import { ChildLink } from '../emulated/link';
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

export class ClientProcess extends ChildLink<ToChild, FromChild, ProgramStep> {
  private constructor(private readonly child: ChildProcess) {
    super(ANSWER_TIMEOUT_MS);
    child.on('message', (m: FromChild) => this.receive(m));
    // A child that dies between our check and our write makes that write fail (EPIPE); its
    // 'exit' still settles every waiter, so the failure is only worth a line in its output.
    child.on('error', (err) => this.trouble(err.message));
    child.stderr?.on('data', (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-2000);
    });
    child.once('exit', () => this.closed());
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
    if (!ready) throw new Error(`node-dcom client process died while starting: ${p.output.trim()}`);
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get errorOutput(): string {
    return this.output;
  }

  protected send(m: ToChild): boolean {
    if (!this.child.connected) return false;
    // With a callback, a failed send is reported there instead of as an 'error' event.
    this.child.send(m, (err) => {
      if (err) this.trouble(`could not send '${m.t}': ${err.message}`);
    });
    return true;
  }

  protected signal(): void {
    this.child.kill('SIGKILL');
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
    this.forget();
    const answer = await this.ask({ t: 'recycle' }, 'recycled');
    return answer?.ok === true && !this.exited;
  }

  /**
   * Starts a program step; the promise settles when node-dcom returns (maybe never, also
   * when the process dies: the adapter reads that from `exited`).
   */
  run(step: ProgramStep): Promise<StepResult> {
    return new Promise((resolve) => void this.start(step).then((d) => d && resolve(d.result)));
  }
}
