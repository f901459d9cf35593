/**
 * How a rule's verdict becomes a jest test's result. Only OK, NON-STRICT (behaviour the
 * profile admits) and INFORMATIONAL pass; everything else fails, including verdicts this
 * version does not know, so no lack of evidence ever shows green.
 */
import { missingFor } from '../spec';
import type { CampaignResult, RuleTally } from '../runner';
import { formatCounterexample } from '../report';

export type Check = { pass: true } | { pass: false; message: string };

const PASSING: readonly string[] = ['OK', 'NON-STRICT', 'INFORMATIONAL'];

/** Why an adapter with these capabilities can never exercise the rule, or undefined. */
export const cannotExercise = missingFor;

/** The closing line of every failure: which campaign it was and how to run it again. */
export function campaignLine(result: Pick<CampaignResult, 'adapter' | 'profile' | 'runs' | 'seed'>): string {
  const a = result.adapter;
  return `campaign: adapter ${a.name} ${a.version}, profile ${result.profile}, ${result.runs} runs, seed ${result.seed} (DCOMKIT_SEED=${result.seed} repeats it)`;
}

export function checkRule(tally: RuleTally, result: CampaignResult, replay?: string): Check {
  if (PASSING.includes(tally.verdict)) return { pass: true };
  const rule = tally.rule;
  const lines = [`${rule.id} ${tally.verdict}: ${rule.title} (${rule.sources.join('; ')})`];
  if (tally.verdict === 'FAILED' && tally.counterexample) {
    lines.push(...formatCounterexample(tally.counterexample, replay));
    if (tally.corpusCase) lines.push(`  (corpus case ${tally.corpusCase})`);
    lines.push(`  ${tally.failures} of ${tally.runs} runs that exercised it failed`);
  } else if (tally.verdict === 'UNIMPLEMENTED' && cannotExercise(rule, result.adapter)) {
    lines.push(`  ${tally.reason ?? cannotExercise(rule, result.adapter)}`);
    lines.push('  The adapter factory declares no capabilities, so this rule could not be skipped when the tests were declared;');
    lines.push('  give the factory `capabilities: { actions, observes }` and the rule is skipped with this reason instead.');
  } else {
    lines.push(`  ${tally.reason ?? `exercised in ${tally.runs} runs`}`);
    lines.push('  No verdict without evidence: raise the runs (option runs, or DCOMKIT_RUNS) or maxActions until the rule is exercised;');
    lines.push('  if no run of this adapter can ever reach it, name it in the option unimplemented, with why.');
  }
  lines.push(campaignLine(result));
  return { pass: false, message: lines.join('\n') };
}

/** The adapter's own errors (runs that ended in an adapter error are never judged), in its words. */
export function checkErrors(result: CampaignResult): Check {
  if (!result.errors.length) return { pass: true };
  const n = result.errors.length;
  const lines = [`adapter errors in ${n} run${n === 1 ? '' : 's'} (these runs were not judged):`];
  for (const e of result.errors.slice(0, 5)) lines.push(`  ${e.run < 0 ? `corpus case ${e.corpusCase ?? ''}`.trimEnd() : `run ${e.run + 1}`}: ${e.message.split('\n').join('\n    ')}`);
  if (n > 5) lines.push(`  ... and ${n - 5} more`);
  lines.push(campaignLine(result));
  return { pass: false, message: lines.join('\n') };
}
