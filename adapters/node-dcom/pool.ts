/**
 * Spare client processes started ahead of need: starting Node and loading node-dcom takes
 * about half a second, far longer than a whole run's DCOM traffic on loopback.
 */
import { ClientProcess, type SpawnOptions } from './child-process';

export class SparePool {
  private spares: Promise<ClientProcess>[] = [];
  private closed = false;

  constructor(
    private readonly options: SpawnOptions,
    private readonly size: number,
  ) {}

  private refill(): void {
    while (!this.closed && this.spares.length < this.size) {
      const p = ClientProcess.spawn(this.options);
      p.then((c) => this.started.push(c), () => undefined); // a failed spare surfaces when taken
      this.spares.push(p);
    }
  }

  private started: ClientProcess[] = [];

  pids(): number[] {
    return this.started.filter((c) => !c.exited).map((c) => c.pid).filter((x): x is number => x !== undefined);
  }

  /** A live client process whose program has not started; replaced in the background. */
  async take(): Promise<ClientProcess> {
    if (this.closed) throw new Error('spare pool is closed');
    this.refill();
    for (;;) {
      const next = this.spares.shift()!;
      this.refill();
      const client = await next;
      if (!client.exited) return client;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const spares = this.spares;
    this.spares = [];
    await Promise.all(spares.map((p) => p.then((c) => c.kill(), () => undefined)));
  }
}
