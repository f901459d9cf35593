/** Builds a run's trace: stamps each action and each event the adapter reports with its step. */
import type { Action, Adapter, AdapterEvent, Trace, TraceEvent, World } from '../spec';
import type { ActionSink } from '../generators';

export class TraceRecorder implements ActionSink {
  readonly events: TraceEvent[] = [];
  readonly actions: Action[] = [];
  private clock = 0;
  /** The adapter gives up its event objects: the recorder may add `step` to them. */
  private readonly inPlace: boolean;

  constructor(
    private readonly adapter: Adapter,
    private readonly seed: number,
    private readonly world: World,
  ) {
    this.inPlace = (adapter as { handsOverEvents?: boolean }).handsOverEvents === true;
  }

  async reset(): Promise<void> {
    this.take(-1, await this.adapter.reset(this.seed, this.world));
  }

  async apply(action: Action, settle = false): Promise<readonly AdapterEvent[]> {
    const step = this.actions.length;
    if (!settle) this.actions.push(action);
    this.events.push(settle ? { kind: 'action', at: this.clock, step, action, settle } : { kind: 'action', at: this.clock, step, action });
    const start = this.clock;
    const reported = action.kind === 'advance' ? await this.adapter.advance(action.ms) : await this.adapter.apply(action);
    this.take(step, reported);
    if (action.kind === 'advance') this.clock = Math.max(this.clock, start + action.ms);
    return reported;
  }

  trace(): Trace {
    return { capabilities: this.adapter.capabilities, seed: this.seed, world: this.world, events: this.events };
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
