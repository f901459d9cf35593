/** Oracles: pure functions from a trace to one outcome per rule. */
import type { Profile, RuleId, RuleOutcome, Trace } from '../spec';
import { checkersOf, selectionFor } from './select';
import { RunState } from './state';

export { RunState } from './state';
export { SettleWatch, settleHorizon } from './settle';

/**
 * Judges one run. Rules whose observations the adapter lacks come back idle: a rule the
 * adapter cannot show is never passed by default.
 */
export function judge(trace: Trace, profile: Profile, only?: ReadonlySet<RuleId>): RuleOutcome[] {
  const selection = selectionFor(trace.capabilities, profile, only);
  const active = checkersOf(selection);
  const state = new RunState(trace);
  for (const e of trace.events) {
    state.observe(e);
    for (const c of active) c.observe(e, state);
  }
  for (const c of active) c.finish(state);
  return selection.rules.map((r) => {
    const c = active.find((a) => a.rule === r.id);
    return c ? c.outcome() : { rule: r.id, status: 'idle', violations: [], situations: [] };
  });
}
