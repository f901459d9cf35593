/**
 * Builds a run's trace: stamps each action and each event the adapter reports with its step,
 * checks what the adapter reports (runner/check.ts) and turns whatever goes wrong in the
 * adapter into an AdapterFault naming the step.
 */
import { AdapterFault, isAdapterFault, type Action, type Adapter, type AdapterEvent, type SyncAdapter, type Trace, type TraceEvent, type World } from '../spec';
import type { ActionSink } from '../generators';
import { EventCheck } from './check';

/** The run was cut short because its signal was aborted; nothing of it is judged. */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
}

/** Notes of a faulty run kept for its error report: the adapter's own words, latest last. */
const NOTES_KEPT = 10;

export class TraceRecorder implements ActionSink {
  readonly events: TraceEvent[] = [];
  readonly actions: Action[] = [];
  private clock = 0;
  private readonly check = new EventCheck();
  /** The adapter gives up its event objects: the recorder may add `step` to them. */
  private readonly inPlace: boolean;
  /** Set when the adapter answers at once: `apply` then returns events, not a promise. */
  private readonly sync: SyncAdapter | undefined;

  constructor(
    private readonly adapter: Adapter,
    private readonly seed: number,
    private readonly world: World,
    /** Aborting it ends the run before its next step. */
    private readonly signal?: AbortSignal,
  ) {
    this.inPlace = (adapter as { handsOverEvents?: boolean }).handsOverEvents === true;
    this.sync = adapter.sync;
  }

  async reset(): Promise<void> {
    if (this.sync) return this.resetSync();
    const name = `reset (seed ${this.seed})`;
    this.check.begin(undefined);
    let reported: readonly AdapterEvent[];
    try {
      reported = await this.adapter.reset(this.seed, this.world);
    } catch (err) {
      throw this.fault(err, name);
    }
    this.take(-1, reported, name);
  }

  /** `reset` on a synchronous adapter, at once. */
  resetSync(): void {
    const name = `reset (seed ${this.seed})`;
    this.check.begin(undefined);
    let reported: readonly AdapterEvent[];
    try {
      reported = this.sync!.reset(this.seed, this.world);
    } catch (err) {
      throw this.fault(err, name);
    }
    this.take(-1, reported, name);
  }

  apply(action: Action, settle = false): readonly AdapterEvent[] | Promise<readonly AdapterEvent[]> {
    if (this.signal?.aborted) throw new RunInterrupted('the run was interrupted');
    const step = this.actions.length;
    if (!settle) this.actions.push(action);
    this.events.push(settle ? { kind: 'action', at: this.clock, step, action, settle } : { kind: 'action', at: this.clock, step, action });
    this.check.begin(action);
    const start = this.clock;
    const name = settle ? `settle (advance ${action.kind === 'advance' ? action.ms : 0} ms)` : `${action.kind === 'advance' ? 'advance' : 'apply'} #${step} (${action.kind === 'advance' ? `${action.ms} ms` : action.kind})`;
    if (this.sync) {
      let reported: readonly AdapterEvent[];
      try {
        reported = action.kind === 'advance' ? this.sync.advance(action.ms) : this.sync.apply(action);
      } catch (err) {
        throw this.fault(err, name);
      }
      return this.took(step, start, action, reported, name);
    }
    let pending: Promise<readonly AdapterEvent[]>;
    try {
      pending = action.kind === 'advance' ? this.adapter.advance(action.ms) : this.adapter.apply(action);
    } catch (err) {
      throw this.fault(err, name);
    }
    return pending.then(
      (r) => this.took(step, start, action, r, name),
      (err) => {
        throw this.fault(err, name);
      },
    );
  }

  trace(): Trace {
    return { capabilities: this.adapter.capabilities, seed: this.seed, world: this.world, events: this.events };
  }

  private took(step: number, start: number, action: Action, reported: readonly AdapterEvent[], name: string): readonly AdapterEvent[] {
    this.take(step, reported, name);
    if (action.kind === 'advance') this.clock = Math.max(this.clock, start + action.ms);
    return reported;
  }

  private take(step: number, reported: readonly AdapterEvent[], name: string): void {
    if (!Array.isArray(reported)) throw this.fault(new AdapterFault('protocol', this.label, name, `answered ${describe(reported)} instead of a list of events`), name);
    for (const e of reported) {
      const problem = typeof e === 'object' && e !== null ? this.check.accept(e) : `reported ${describe(e)} as an event`;
      if (problem !== undefined) throw this.fault(new AdapterFault('data', this.label, name, problem), name);
      // Stamped in place when the adapter hands its events over (the reference makes a fresh
      // object per event and keeps none): the spread copy was a tenth of a campaign's time.
      if (this.inPlace) (e as TraceEvent).step = step;
      this.events.push(this.inPlace ? (e as TraceEvent) : ({ ...e, step } as TraceEvent));
      if (e.at > this.clock) this.clock = e.at;
    }
  }

  private get label(): string {
    return this.adapter.capabilities.name;
  }

  /** The fault behind `err`, with the notes the run had shown so far. */
  private fault(err: unknown, step: string): AdapterFault {
    const fault = isAdapterFault(err) ? err : new AdapterFault('crash', this.label, step, `threw ${describe(err)}`);
    if (!fault.notes.length) {
      const notes: string[] = [];
      for (const e of this.events) if (e.kind === 'note') notes.push(`[${e.at} ms] ${e.text}`);
      fault.notes = notes.slice(-NOTES_KEPT);
    }
    return fault;
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message.split('\n')[0]}`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
