/**
 * Adapter instances carrying out runs at once. Work goes to whichever instance is free, and
 * what it ends in is handed back strictly in the order the work was submitted (a reorder
 * buffer): whatever tallies it sees the same sequence for any number of instances and any
 * order in which they finish.
 */
import type { Adapter } from '../spec';

/** What one piece of work ended in: its value, or what it threw. */
export type Finished<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface WorkersOptions {
  /** Instances at once, the first (given) one included. */
  size: number;
  /** Opens one more instance; called size - 1 times, at once, when the workers are made. */
  open: () => Promise<Adapter>;
  /** What each opened instance is used through (the campaign's step watchdog). */
  wrap?: (adapter: Adapter) => Adapter;
  /**
   * Most submitted pieces not yet handed back: finished work waiting for an earlier one still
   * running is held in memory, and none is started far beyond a slow one. Default 4 × size.
   */
  window?: number;
}

export class Workers {
  private readonly idle: Adapter[];
  /** Instances this opened (unwrapped), closed by close(). */
  private readonly opened: Adapter[] = [];
  private readonly window: number;
  private readonly results = new Map<number, () => void>();
  private submitted = 0;
  private delivered = 0;
  private closed = false;
  private waiting: (() => void)[] = [];
  /**
   * Why an instance could not be opened, or what a `done` threw; nothing more is started
   * once it is set, and the work already submitted still finishes.
   */
  failure: unknown;

  constructor(first: Adapter, options: WorkersOptions) {
    this.idle = [first];
    this.window = options.window ?? 4 * options.size;
    const wrap = options.wrap ?? ((a: Adapter) => a);
    for (let i = 1; i < options.size; i++) {
      options.open().then(
        (adapter) => {
          // One that comes up after close() is closed at once: nothing outlives the campaign.
          if (this.closed) return void adapter.close().catch(() => undefined);
          this.opened.push(adapter);
          this.idle.push(wrap(adapter));
          this.changed();
        },
        (err: unknown) => {
          this.failure ??= err;
          this.changed();
        },
      );
    }
  }

  private changed(): void {
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async nextChange(): Promise<void> {
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /**
   * Waits until an instance is free and the window has room: start() may then be called at
   * once. False when nothing more may start (an instance failed to open, or a `done` threw).
   */
  async free(): Promise<boolean> {
    while (this.failure === undefined && (this.idle.length === 0 || this.submitted - this.delivered >= this.window)) await this.nextChange();
    return this.failure === undefined;
  }

  /**
   * Starts `work` on a free instance (after free() said true) and returns at once; `done` is
   * called with what the work ended in once everything started before it has been handed back.
   */
  start<T>(work: (adapter: Adapter) => Promise<T>, done: (finished: Finished<T>) => void): void {
    const adapter = this.idle.pop();
    if (!adapter) throw new Error('workers: start() without a free instance');
    const seq = this.submitted++;
    const finish = (finished: Finished<T>) => {
      this.idle.push(adapter);
      this.results.set(seq, () => done(finished));
      // Hand back, in order, everything now complete from the oldest on.
      for (let next = this.results.get(this.delivered); next; next = this.results.get(this.delivered)) {
        this.results.delete(this.delivered);
        this.delivered += 1;
        try {
          next();
        } catch (err) {
          this.failure ??= err;
        }
      }
      this.changed();
    };
    let pending: Promise<T>;
    try {
      pending = work(adapter);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => finish({ ok: true, value }),
      (error: unknown) => finish({ ok: false, error }),
    );
  }

  /** Waits until everything submitted has been handed back. */
  async drain(): Promise<void> {
    while (this.delivered < this.submitted) await this.nextChange();
  }

  /** Closes every instance this opened (the first is the caller's), now and as they come up. */
  async close(): Promise<void> {
    this.closed = true;
    const opened = this.opened.splice(0);
    await Promise.all(opened.map((a) => a.close().catch(() => undefined)));
  }
}
