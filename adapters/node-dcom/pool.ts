/**
 * Client processes ready for a program. Starting Node and loading node-dcom costs about a
 * quarter of a CPU second, far more than a whole run's DCOM traffic on loopback, so a process
 * whose program has ended is recycled for a later one (child.ts says how, and why that is the
 * same as a fresh process), and spares are started ahead of need for the rest: the first runs,
 * and every crash, which ends its process for real.
 */
import { ClientProcess, type SpawnOptions } from './child-process';

export class ProcessPool {
  /** Recycled processes, ready for a program. */
  private idle: ClientProcess[] = [];
  /** Spares being started. */
  private spawning: Promise<ClientProcess>[] = [];
  private readonly started = new Set<ClientProcess>();
  private closed = false;
  /** Processes started so far. */
  spawned = 0;

  constructor(
    private readonly options: SpawnOptions,
    /** Processes kept ready, recycled or spare. */
    private readonly size: number,
    /** Recycle processes whose program has ended; otherwise they are ended. */
    private readonly reuse = true,
  ) {}

  /** Starts spares now, if fewer than `size` are ready or on their way. */
  fill(): void {
    this.refill();
  }

  private refill(): void {
    while (!this.closed && this.idle.length + this.spawning.length < this.size) {
      const p = ClientProcess.spawn(this.options);
      this.spawned++;
      p.then(
        (c) => {
          this.started.add(c);
          void c.gone.then(() => this.started.delete(c));
        },
        () => undefined, // a failed spare surfaces when taken
      );
      this.spawning.push(p);
    }
  }

  /** Every live process the pool started (for leak checks), whether idle or running a program. */
  pids(): number[] {
    return [...this.started].filter((c) => !c.exited).map((c) => c.pid).filter((x): x is number => x !== undefined);
  }

  /** A live process whose program has not started; the pool refills in the background. */
  async take(): Promise<ClientProcess> {
    for (;;) {
      if (this.closed) throw new Error('client process pool is closed');
      const recycled = this.idle.pop();
      this.refill();
      if (recycled) {
        if (!recycled.exited) return recycled;
        continue;
      }
      const client = await this.spawning.shift()!;
      this.refill();
      if (!client.exited) return client;
    }
  }

  /** A process whose program is over, or that a run no longer needs: recycled, or ended. */
  async give(client: ClientProcess): Promise<void> {
    if (client.exited) return;
    if (this.reuse && !this.closed && (await client.recycle()) && !this.closed) {
      this.idle.push(client);
      return;
    }
    await client.kill();
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle;
    const spawning = this.spawning;
    this.idle = [];
    this.spawning = [];
    await Promise.all([...idle.map((c) => c.kill()), ...spawning.map((p) => p.then((c) => c.kill(), () => undefined))]);
  }
}
