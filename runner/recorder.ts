/** Builds a run's trace: stamps each action and each event the adapter reports with its step. */
import type { Action, Adapter, AdapterEvent, SyncAdapter, Trace, TraceEvent, World } from '../spec';
import type { ActionSink } from '../generators';

export class TraceRecorder implements ActionSink {
  readonly events: TraceEvent[] = [];
  readonly actions: Action[] = [];
  private clock = 0;
  /** The adapter gives up its event objects: the recorder may add `step` to them. */
  private readonly inPlace: boolean;
  /** Set when the adapter answers at once: `apply` then returns events, not a promise. */
  private readonly sync: SyncAdapter | undefined;

  constructor(
    private readonly adapter: Adapter,
    private readonly seed: number,
    private readonly world: World,
  ) {
    this.inPlace = (adapter as { handsOverEvents?: boolean }).handsOverEvents === true;
    this.sync = adapter.sync;
  }

  async reset(): Promise<void> {
    this.take(-1, this.sync ? this.sync.reset(this.seed, this.world) : await this.adapter.reset(this.seed, this.world));
  }

  /** `reset` on a synchronous adapter, at once. */
  resetSync(): void {
    this.take(-1, this.sync!.reset(this.seed, this.world));
  }

  apply(action: Action, settle = false): readonly AdapterEvent[] | Promise<readonly AdapterEvent[]> {
    const step = this.actions.length;
    if (!settle) this.actions.push(action);
    this.events.push(settle ? { kind: 'action', at: this.clock, step, action, settle } : { kind: 'action', at: this.clock, step, action });
    const start = this.clock;
    if (this.sync) return this.took(step, start, action, action.kind === 'advance' ? this.sync.advance(action.ms) : this.sync.apply(action));
    return (action.kind === 'advance' ? this.adapter.advance(action.ms) : this.adapter.apply(action)).then((r) => this.took(step, start, action, r));
  }

  trace(): Trace {
    return { capabilities: this.adapter.capabilities, seed: this.seed, world: this.world, events: this.events };
  }

  private took(step: number, start: number, action: Action, reported: readonly AdapterEvent[]): readonly AdapterEvent[] {
    this.take(step, reported);
    if (action.kind === 'advance') this.clock = Math.max(this.clock, start + action.ms);
    return reported;
  }

  private take(step: number, reported: readonly AdapterEvent[]): void {
    for (const e of reported) {
      // Stamped in place when the adapter hands its events over (the reference makes a fresh
      // object per event and keeps none): the spread copy was a tenth of a campaign's time.
      if (this.inPlace) (e as TraceEvent).step = step;
      this.events.push(this.inPlace ? (e as TraceEvent) : ({ ...e, step } as TraceEvent));
      if (e.at > this.clock) this.clock = e.at;
    }
  }
}
