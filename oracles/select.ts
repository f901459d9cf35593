/** Which checkers judge a run: by the adapter's capabilities, the profile and a rule selection. */
import { RULES, type Capabilities, type Profile, type Rule, type RuleId } from '../spec';
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
export interface Selection {
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

export function selectionFor(capabilities: Capabilities, profile: Profile, only: ReadonlySet<RuleId> | undefined): Selection {
  let byKey = selections.get(capabilities);
  if (!byKey) selections.set(capabilities, (byKey = new Map()));
  const key = only ? `${profile}:${[...only].sort().join(',')}` : profile;
  let selection = byKey.get(key);
  if (!selection) byKey.set(key, (selection = select(capabilities, profile, only)));
  return selection;
}

/** A fresh checker for each rule of a selection the adapter can show, in catalogue order. */
export function checkersOf(selection: Selection): Checker[] {
  return selection.active.map((r) => new CHECKERS[r.id](r.id as never, selection.ctx));
}

/** Whether a rule's checker waits on deadlines (overrides Checker.pendingUntil). */
function waits(rule: Rule): boolean {
  return CHECKERS[rule.id].prototype.pendingUntil !== Checker.prototype.pendingUntil;
}

/** Of a selection the adapter can show, a fresh checker for each rule that waits on deadlines. */
export function waitingCheckersOf(selection: Selection): Checker[] {
  return selection.active.filter(waits).map((r) => new CHECKERS[r.id](r.id as never, selection.ctx));
}
