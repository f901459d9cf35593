/** Oracles: pure functions from a trace to one outcome per rule. */
import { RULES, type Profile, type RuleId, type RuleOutcome, type Trace } from '../spec';
import { Checker, type CheckContext } from './checker';
import { CallAfterReclaim } from './rules/call-after-reclaim';
import { CallbackMarshalling } from './rules/callback-marshalling';
import { EventualRundown } from './rules/eventual-rundown';
import { NoEarlyRundown } from './rules/no-early-rundown';
import { PingSequence } from './rules/ping-sequence';
import { PingTermination } from './rules/ping-termination';
import { ProcessExit } from './rules/process-exit';
import { ReleaseReclaim } from './rules/release-reclaim';
import { UnreachableCall } from './rules/unreachable-call';
import { RunState } from './state';

export { RunState } from './state';

type CheckerClass = new (rule: never, ctx: CheckContext) => Checker;

const CHECKERS: Record<RuleId, CheckerClass> = {
  'PING-TERMINATION': PingTermination,
  'NO-EARLY-RUNDOWN': NoEarlyRundown,
  'EVENTUAL-RUNDOWN': EventualRundown,
  'RELEASE-RECLAIM': ReleaseReclaim,
  'CALLBACK-MARSHALLING': CallbackMarshalling,
  'CALL-AFTER-RECLAIM': CallAfterReclaim,
  'PING-SEQUENCE': PingSequence,
  'PROCESS-EXIT': ProcessExit,
  'UNREACHABLE-CALL': UnreachableCall,
};

/** Real-clock adapters get a second of real time, scaled, on every time bound. */
function contextFor(trace: Trace, profile: Profile): CheckContext {
  const clock = trace.capabilities.clock;
  const slack = clock.kind === 'real' ? 1000 * clock.scale : 0;
  return { profile, bound: (ms) => ms + slack };
}

/**
 * Judges one run. Rules whose observations the adapter lacks come back idle: a rule the
 * adapter cannot show is never passed by default.
 */
export function judge(trace: Trace, profile: Profile, only?: ReadonlySet<RuleId>): RuleOutcome[] {
  const ctx = contextFor(trace, profile);
  const observes = new Set(trace.capabilities.observes);
  const rules = RULES.filter((r) => (!only || only.has(r.id)) && r.profiles.includes(profile));
  const active = rules.filter((r) => r.observes.every((o) => observes.has(o))).map((r) => new CHECKERS[r.id](r.id as never, ctx));
  const state = new RunState(trace);
  for (const e of trace.events) {
    state.observe(e);
    for (const c of active) c.observe(e, state);
  }
  for (const c of active) c.finish(state);
  const outcomes = new Map(active.map((c) => [c.rule, c.outcome()]));
  return rules.map((r) => outcomes.get(r.id) ?? { rule: r.id, status: 'idle', violations: [], situations: [] });
}
