/**
 * Client processes started ahead of need: Python and impacket take about a third of a second
 * to load, longer than a whole run's MSRPC traffic on loopback.
 */
import { ImpacketProcess, type SpawnOptions } from './child-process';

export class SparePool {
  private spares: Promise<ImpacketProcess>[] = [];
  private started: ImpacketProcess[] = [];
  private closed = false;

  constructor(
    private readonly options: SpawnOptions,
    private readonly size: number,
  ) {}

  private refill(): void {
    while (!this.closed && this.spares.length < this.size) {
      const p = ImpacketProcess.spawn(this.options);
      p.then((c) => this.started.push(c), () => undefined); // a failed spare surfaces when taken
      this.spares.push(p);
    }
  }

  pids(): number[] {
    return this.started.filter((c) => !c.exited).map((c) => c.pid).filter((x): x is number => x !== undefined);
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
  }
}
