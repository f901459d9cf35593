/**
 * How a rule's counts become its verdict: the one place the campaign, a merge of shards and
 * a certificate's check decide it, so the three can never disagree.
 */
import { missingFor, type Capabilities, type Rule, type Verdict } from '../spec';

/** Runs that must exercise a rule before it can be OK, by default. */
export const DEFAULT_MIN_EVIDENCE = 5;

export interface RuleCounts {
  /** Runs (random and corpus) that exercised the rule. */
  runs: number;
  failures: number;
  nonStrict: number;
}

export interface Evidence {
  /** Runs that must exercise the rule before it can be OK. */
  minEvidence: number;
  /** Random runs that ended cleanly, corpus cases replayed, and runs that ended in adapter errors. */
  cleanRuns: number;
  corpusRuns: number;
  errorRuns: number;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the runs were: "40 runs and 2 corpus cases (3 more ended in adapter errors)". */
export function describeRuns(e: Pick<Evidence, 'cleanRuns' | 'corpusRuns' | 'errorRuns'>): string {
  const corpus = e.corpusRuns ? ` and ${plural(e.corpusRuns, 'corpus case')}` : '';
  const errors = e.errorRuns ? ` (${e.errorRuns} more ended in adapter errors)` : '';
  return `${plural(e.cleanRuns, 'clean run')}${corpus}${errors}`;
}

/**
 * FAILED and NON-STRICT need one run that shows it. OK needs `minEvidence` runs that exercised
 * the rule; fewer is INCONCLUSIVE, never green. UNIMPLEMENTED is for what the adapter cannot
 * carry out or observe.
 */
export function decideVerdict(rule: Rule, counts: RuleCounts, caps: Pick<Capabilities, 'actions' | 'observes'>, evidence: Evidence): { verdict: Verdict; reason?: string } {
  if (counts.failures > 0) return { verdict: 'FAILED' };
  if (counts.nonStrict > 0) return { verdict: 'NON-STRICT' };
  const missing = missingFor(rule, caps);
  if (missing && counts.runs === 0) return { verdict: 'UNIMPLEMENTED', reason: missing };
  if (counts.runs === 0) return { verdict: 'INCONCLUSIVE', reason: `not exercised in ${describeRuns(evidence)}` };
  if (rule.informational) return { verdict: 'INFORMATIONAL' };
  if (counts.runs < evidence.minEvidence) {
    return { verdict: 'INCONCLUSIVE', reason: `exercised in ${plural(counts.runs, 'run')} of ${describeRuns(evidence)}; ${evidence.minEvidence} needed before it can be OK` };
  }
  return { verdict: 'OK' };
}
