/** Oracles: pure functions from a trace to one outcome per rule. */
import { RULES, type Capabilities, type Profile, type Rule, type RuleId, type RuleOutcome, type Trace } from '../spec';
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

/** What judging a run under one profile and rule selection starts from. */
interface Selection {
  ctx: CheckContext;
  /** The rules asked for, in catalogue order. */
  rules: readonly Rule[];
  /** Of those, the ones whose observations the adapter makes. */
  active: readonly Rule[];
}

/** Real-clock adapters get a second of real time, scaled, on every time bound. */
function select(capabilities: Capabilities, profile: Profile, only: ReadonlySet<RuleId> | undefined): Selection {
  const clock = capabilities.clock;
  const slack = clock.kind === 'real' ? 1000 * clock.scale : 0;
  const observes = new Set(capabilities.observes);
  const rules = RULES.filter((r) => (!only || only.has(r.id)) && r.profiles.includes(profile));
  return { ctx: { profile, bound: (ms) => ms + slack }, rules, active: rules.filter((r) => r.observes.every((o) => observes.has(o))) };
}

/**
 * Selections by capabilities object, profile and rule selection: a campaign judges thousands
 * of runs alike, and working the selection out afresh was a tenth of judging a short run.
 */
const selections = new WeakMap<Capabilities, Map<string, Selection>>();

function selectionFor(capabilities: Capabilities, profile: Profile, only: ReadonlySet<RuleId> | undefined): Selection {
  let byKey = selections.get(capabilities);
  if (!byKey) selections.set(capabilities, (byKey = new Map()));
  const key = only ? `${profile}:${[...only].sort().join(',')}` : profile;
  let selection = byKey.get(key);
  if (!selection) byKey.set(key, (selection = select(capabilities, profile, only)));
  return selection;
}

/**
 * Judges one run. Rules whose observations the adapter lacks come back idle: a rule the
 * adapter cannot show is never passed by default.
 */
export function judge(trace: Trace, profile: Profile, only?: ReadonlySet<RuleId>): RuleOutcome[] {
  const { ctx, rules, active: activeRules } = selectionFor(trace.capabilities, profile, only);
  const active = activeRules.map((r) => new CHECKERS[r.id](r.id as never, ctx));
  const state = new RunState(trace);
  for (const e of trace.events) {
    state.observe(e);
    for (const c of active) c.observe(e, state);
  }
  for (const c of active) c.finish(state);
  return rules.map((r) => {
    const c = active.find((a) => a.rule === r.id);
    return c ? c.outcome() : { rule: r.id, status: 'idle', violations: [], situations: [] };
  });
}
