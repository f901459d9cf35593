/**
 * How long a run's settle period has to last: until nothing the run left behind could still
 * change a verdict. A pure function of the trace so far, asked by the runner between settle
 * chunks, so a replay settles exactly as the recorded run did.
 *
 * The world is quiet when nothing is referenced any more (a live reference keeps its holder
 * pinging and leaves its object open to an early rundown for as long as anyone waits), the
 * network has been silent for as long as an exporter waits before it gives a client up (a
 * resolver that has not pinged for three periods has stopped, by MS-DCOM's own measure), and
 * every deadline a rule waits on has passed (a process still to exit, an object still to be
 * reclaimed or run down). Until then, and never for longer than the runner's upper bound,
 * time passes.
 */
import { PING_SET_TIMEOUT_MS, type Trace } from '../spec';
import type { Checker } from './checker';
import { selectionFor, waitingCheckersOf } from './select';
import { RunState } from './state';

/** Deadlines are the same under every profile; only severities differ. */
const PROFILE = 'strict';

export class SettleWatch {
  private readonly state: RunState;
  /** The checkers of the rules that wait on deadlines. */
  private readonly waiting: Checker[];
  /** Network silence that counts as "no resolver is pinging"; none when pings are not observed. */
  private readonly silence: number | undefined;
  /** Time of the last action of the run itself (not the settle) or ping, whichever is later. */
  private lastActivity = -Infinity;
  private seen = 0;

  /** `trace.events` may grow between calls: the watch takes in what is new each time. */
  constructor(private readonly trace: Trace) {
    const selection = selectionFor(trace.capabilities, PROFILE, undefined);
    this.state = new RunState(trace);
    this.waiting = waitingCheckersOf(selection);
    this.silence = trace.capabilities.observes.includes('pings') ? selection.ctx.bound(PING_SET_TIMEOUT_MS) : undefined;
  }

  /** Latest time the trace covers (an advance covers its whole span). */
  get end(): number {
    this.catchUp();
    return this.state.end;
  }

  /**
   * Until when (virtual ms, inclusive) the trace has to go on for every verdict to be final,
   * given that no further action comes: Infinity while something is still referenced,
   * -Infinity when nothing is left to wait for.
   */
  horizon(): number {
    this.catchUp();
    const s = this.state;
    for (const h of s.handles.values()) if (h.droppedAt === undefined) return Infinity;
    let until = this.silence === undefined || this.lastActivity === -Infinity ? -Infinity : this.lastActivity + this.silence;
    for (const c of this.waiting) until = Math.max(until, c.pendingUntil(s));
    return until;
  }

  private catchUp(): void {
    const events = this.trace.events;
    for (; this.seen < events.length; this.seen++) {
      const e = events[this.seen];
      this.state.observe(e);
      for (const c of this.waiting) c.observe(e, this.state);
      if ((e.kind === 'action' && !e.settle) || e.kind === 'ping') this.lastActivity = Math.max(this.lastActivity, e.at);
    }
  }
}

/** The settle horizon after the whole trace (see SettleWatch.horizon). */
export function settleHorizon(trace: Trace): number {
  return new SettleWatch(trace).horizon();
}
