/**
 * Client processes, forked ahead of need by a zygote: one Python process that loaded impacket
 * once (driver.py --zygote) and forks a fresh process per request. Starting Python and
 * loading impacket takes about a third of a second; a fork takes milliseconds, far less than
 * a whole run's MSRPC traffic on loopback. Each child connects back to a loopback listener
 * here and names itself by the token it was forked for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { ImpacketProcess } from './child-process';

export interface PoolOptions {
  python: string;
  driver: string;
  /** Hex NT hash the driver authenticates with (the emulator's). */
  ntHash: string;
}

/** Real ms a forked child may take to connect back and say it is ready. */
const FORK_TIMEOUT_MS = 15_000;

export class SparePool {
  private spares: Promise<ImpacketProcess>[] = [];
  private started = new Set<ImpacketProcess>();
  private closed = false;
  private zygote?: { child: ChildProcess; server: net.Server; port: number; stderr: string; exited: boolean };
  private booting?: Promise<void>;
  private waiting = new Map<string, (p: ImpacketProcess) => void>();
  private tokens = 0;

  constructor(
    private readonly options: PoolOptions,
    private readonly size: number,
  ) {}

  private boot(): Promise<void> {
    this.booting ??= (async () => {
      const server = net.createServer((sock) => {
        sock.setNoDelay(true);
        new ImpacketProcess(sock, () => this.zygote?.stderr ?? '', (token, p) => this.waiting.get(token)?.(p));
      });
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port: 0 }, () => resolve((server.address() as net.AddressInfo).port));
      });
      const child = spawn(this.options.python, [this.options.driver, '--zygote', String(port)], {
        env: { ...process.env, DCOMKIT_NT_HASH: this.options.ntHash, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      const z = { child, server, port, stderr: '', exited: false };
      child.stderr!.on('data', (b: Buffer) => {
        z.stderr = (z.stderr + b.toString()).slice(-4000);
      });
      child.on('error', (err) => {
        z.stderr += `\n[dcomkit] ${err.message}`;
      });
      child.once('exit', () => {
        z.exited = true;
      });
      this.zygote = z;
    })();
    return this.booting;
  }

  private async fork(): Promise<ImpacketProcess> {
    await this.boot();
    const z = this.zygote!;
    const token = String(++this.tokens);
    const p = await new Promise<ImpacketProcess | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), FORK_TIMEOUT_MS);
      this.waiting.set(token, (proc) => {
        clearTimeout(timer);
        resolve(proc);
      });
      if (z.exited || !z.child.stdin!.writable) resolve(null);
      else z.child.stdin!.write(token + '\n');
    }).finally(() => this.waiting.delete(token));
    if (!p || !(await p.ready())) {
      throw new Error(`impacket client process could not be started: ${z.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    }
    this.started.add(p);
    void p.gone.then(() => this.started.delete(p));
    return p;
  }

  private refill(): void {
    while (!this.closed && this.spares.length < this.size) {
      const p = this.fork();
      p.catch(() => undefined); // a failed spare surfaces when taken
      this.spares.push(p);
    }
  }

  pids(): number[] {
    return [...this.started].filter((c) => !c.exited).map((c) => c.pid);
  }

  /** A live client process whose program has not started; replaced in the background. */
  async take(): Promise<ImpacketProcess> {
    if (this.closed) throw new Error('spare pool is closed');
    this.refill();
    for (let tries = 0; ; tries++) {
      const next = this.spares.shift()!;
      this.refill();
      const client = await next;
      if (!client.exited) return client;
      if (tries > 3) throw new Error(`impacket client processes keep dying at start: ${client.errorOutput.trim().slice(-500)}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const spares = this.spares;
    this.spares = [];
    await Promise.all(spares.map((p) => p.then((c) => c.kill(), () => undefined)));
    await Promise.all([...this.started].map((c) => c.kill()));
    const z = this.zygote;
    if (z) {
      if (!z.exited) z.child.kill('SIGKILL');
      await new Promise<void>((r) => z.server.close(() => r()));
    }
  }
}
