/**
 * One running adapter process: spawns it in its own process group, splits its stdout into
 * lines, keeps the tail of its stderr (never parsed) and hands lines out one at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { adapterToken, killGroup, register, TOKEN_VARIABLE, unregister } from './registry';

/** Longest stdout line accepted; a longer one is reported instead of buffered forever. */
const MAX_LINE_CHARS = 4 * 1024 * 1024;
/** stderr lines kept for error messages, and the length each is cut to. */
const STDERR_LINES = 20;
const STDERR_LINE_CHARS = 400;
/** After the process exits, how long to wait for the rest of its output before calling it gone. */
const DRAIN_MS = 200;

export type Incoming =
  | { kind: 'line'; text: string }
  /** A line longer than MAX_LINE_CHARS; `text` holds its start. */
  | { kind: 'overlong'; text: string }
  | { kind: 'timeout' }
  /** The process is gone (or never started); `why` says how. */
  | { kind: 'ended'; why: string };

export interface SpawnSpec {
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export class Connection {
  readonly child: ChildProcess;
  private queue: Incoming[] = [];
  private partial = '';
  private stderrPartial = '';
  private readonly stderrTail: string[] = [];
  private waiter?: (x: Incoming) => void;
  private endedWhy?: string;
  private exitInfo?: string;
  private killed = false;
  private readonly token: string;

  constructor(spec: SpawnSpec) {
    const [program, ...args] = spec.argv;
    // A token in the environment marks everything the adapter starts, also what leaves its
    // process group (setsid): the registry finds and kills those by it.
    this.token = adapterToken();
    this.child = spawn(program!, args, {
      cwd: spec.cwd,
      env: { ...(spec.env ?? process.env), [TOKEN_VARIABLE]: this.token },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so the whole tree can be killed with one signal.
      detached: true,
    });
    register(this.child, this.token);
    // Neither the process nor its pipes keep the kit alive; pending steps hold their own
    // timers, and the registry kills leftovers when the kit exits.
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      (s as unknown as { unref?: () => void } | null)?.unref?.();
    }
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      s!.on('error', () => {
        // EPIPE and the like when the adapter is gone; its exit is reported through 'exit'.
      });
    }
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onStdout(chunk));
    // A program that closes its stdout can never answer again, even if it keeps running.
    this.child.stdout!.on('end', () => setTimeout(() => this.end(this.exitInfo ?? 'closed its stdout'), DRAIN_MS).unref());
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => this.onStderr(chunk));
    this.child.on('error', (err) => this.end(`could not be started: ${err.message}`));
    this.child.on('exit', (code, signal) => {
      this.exitInfo = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      // Let the last stdout/stderr chunks arrive first; 'close' usually comes sooner.
      setTimeout(() => this.end(this.exitInfo!), DRAIN_MS).unref();
    });
    this.child.on('close', () => this.end(this.exitInfo ?? 'closed its output'));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.endedWhy === undefined && !this.killed;
  }

  /** The last lines the adapter wrote to stderr, oldest first. */
  stderr(): string[] {
    const tail = [...this.stderrTail];
    if (this.stderrPartial) tail.push(this.stderrPartial.slice(0, STDERR_LINE_CHARS));
    return tail.slice(-STDERR_LINES);
  }

  send(message: object): void {
    if (!this.alive) return;
    this.child.stdin!.write(JSON.stringify(message) + '\n');
  }

  /** Lines that arrived while nobody was waiting, taken out of the queue. */
  takeStray(): Incoming[] {
    const stray = this.queue.filter((x) => x.kind !== 'ended');
    this.queue = this.queue.filter((x) => x.kind === 'ended');
    return stray;
  }

  /** The next line, or the end of the process, or a timeout after `timeoutMs` real ms. */
  next(timeoutMs: number): Promise<Incoming> {
    const ready = this.queue.shift();
    if (ready) return Promise.resolve(ready);
    if (this.endedWhy !== undefined) return Promise.resolve({ kind: 'ended', why: this.endedWhy });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.waiter = (x) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(x);
      };
    });
  }

  /** Waits up to `ms` for the process to end by itself; true when it did. */
  async waitEnd(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.endedWhy === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const x = await this.next(left);
      if (x.kind === 'timeout') return false;
    }
    return true;
  }

  /** Kills the adapter's whole process group at once; the connection is dead afterwards. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    const pid = this.child.pid;
    if (pid !== undefined) killGroup(pid, 'SIGKILL', this.token);
    unregister(pid);
    this.child.stdin!.destroy();
    this.child.stdout!.destroy();
    this.child.stderr!.destroy();
    this.end('was killed by the kit');
  }

  private deliver(x: Incoming): void {
    if (this.waiter) return this.waiter(x);
    // Unasked-for lines are only ever reported, and only the first is quoted; keeping the
    // rest would let an adapter flooding stdout between requests grow the queue unbounded.
    if (x.kind !== 'ended' && this.queue.some((q) => q.kind !== 'ended')) return;
    this.queue.push(x);
  }

  private end(why: string): void {
    if (this.endedWhy !== undefined) return;
    this.endedWhy = why;
    // The group may hold grandchildren even after the leader exited.
    if (!this.killed && this.child.pid !== undefined) killGroup(this.child.pid, 'SIGKILL', this.token);
    unregister(this.child.pid);
    this.deliver({ kind: 'ended', why });
  }

  private onStdout(chunk: string): void {
    this.partial += chunk;
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl).replace(/\r$/, '');
      this.partial = this.partial.slice(nl + 1);
      // Blank lines carry nothing; tolerate them (a trailing print() is common).
      if (line.trim() !== '') this.deliver({ kind: 'line', text: line });
    }
    if (this.partial.length > MAX_LINE_CHARS) {
      this.deliver({ kind: 'overlong', text: this.partial.slice(0, 200) });
      // Skip the rest of that line: an adapter that sends it is reported and stopped anyway.
      this.partial = '';
    }
  }

  private onStderr(chunk: string): void {
    this.stderrPartial += chunk;
    const lines = this.stderrPartial.split('\n');
    this.stderrPartial = lines.pop()!.slice(-STDERR_LINE_CHARS * 4);
    for (const l of lines.slice(-STDERR_LINES)) {
      this.stderrTail.push(l.replace(/\r$/, '').slice(0, STDERR_LINE_CHARS));
    }
    if (this.stderrTail.length > STDERR_LINES) this.stderrTail.splice(0, this.stderrTail.length - STDERR_LINES);
  }
}
