/** The shape every rule's checker has: it watches one pass over a trace, then concludes. */
import type { Profile, RuleId, RuleOutcome, TraceEvent, Violation } from '../spec';
import type { RunState } from './state';

export interface CheckContext {
  profile: Profile;
  /**
   * A time bound in virtual ms, widened for adapters on a real clock so scheduling jitter
   * (a second of real time, scaled) does not count as misbehaviour.
   */
  bound(ms: number): number;
}

export abstract class Checker {
  private readonly violations: Violation[] = [];
  private readonly situations = new Set<string>();
  private exercised = false;
  /** Informational checkers report situations only. */
  protected informational = false;

  constructor(
    readonly rule: RuleId,
    protected readonly ctx: CheckContext,
  ) {}

  /** Called for each event after the run state has taken it in. */
  abstract observe(e: TraceEvent, s: RunState): void;

  /** Called once after the last event. */
  finish(_s: RunState): void {}

  /**
   * Until when (virtual ms, inclusive) the mere passing of time could still change this
   * rule's outcome, were no further action to come: a deadline it is waiting on. -Infinity
   * when nothing is pending. What the settle period waits for (oracles/settle.ts).
   */
  pendingUntil(_s: RunState): number {
    return -Infinity;
  }

  protected exercise(situation?: string): void {
    this.exercised = true;
    if (situation) this.situations.add(situation);
  }

  protected fail(message: string, events: Array<TraceEvent | undefined>, severity: Violation['severity'] = 'fail'): void {
    this.exercised = true;
    this.violations.push({ message, severity, events: events.filter((e): e is TraceEvent => e !== undefined) });
  }

  outcome(): RuleOutcome {
    const status = this.violations.some((v) => v.severity === 'fail')
      ? 'fail'
      : this.violations.length > 0
        ? 'non-strict'
        : !this.exercised
          ? 'idle'
          : this.informational
            ? 'info'
            : 'pass';
    return { rule: this.rule, status, violations: this.violations, situations: [...this.situations].sort() };
  }
}
