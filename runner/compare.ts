/**
 * Comparing two certificates as `dcomkit diff` does: which rules got worse, which were fixed,
 * and whether the two campaigns can be compared at all (a 4000-run certificate against a
 * 500-run one "regresses" on rare rules by chance).
 */
import type { Profile, RuleId } from '../spec';
import { canonicalJson, diffCertificates, type Certificate, type CertifiedRule } from './certificate';

/**
 * Verdicts from best to worst; verdicts in one tier are equal. A rule shown to hold beats one
 * whose deviation only nt4 admits; both beat a rule exercised too rarely to tell
 * (INCONCLUSIVE), which beats one never exercised (UNIMPLEMENTED); a rule shown to fail is
 * worst.
 */
export const VERDICT_ORDER: readonly (readonly string[])[] = [['OK', 'INFORMATIONAL'], ['NON-STRICT'], ['INCONCLUSIVE'], ['UNIMPLEMENTED'], ['FAILED']];

/** Verdicts that say something about the rule holding, as opposed to not knowing. */
const JUDGED = new Set(['OK', 'INFORMATIONAL', 'NON-STRICT', 'FAILED']);

/** 0 for the best tier; undefined for a verdict this kit does not know. */
export function verdictRank(verdict: string): number | undefined {
  const i = VERDICT_ORDER.findIndex((tier) => tier.includes(verdict));
  return i < 0 ? undefined : i;
}

/**
 * worse: down the order (exit 1). fixed: up the order, to a verdict that shows the rule holding
 * (or only nt4's admitted deviation). unproven: up the order, but to INCONCLUSIVE or
 * UNIMPLEMENTED: a failure no longer exercised is not a fix. unranked: a verdict the order does
 * not know. only-a, only-b: the rule was judged under this profile in one certificate only.
 */
export type ChangeKind = 'worse' | 'fixed' | 'unproven' | 'unranked' | 'only-a' | 'only-b';

export interface RuleChange {
  profile: Profile;
  rule: RuleId;
  kind: ChangeKind;
  from?: Pick<CertifiedRule, 'verdict' | 'runs' | 'failures' | 'nonStrict'>;
  to?: Pick<CertifiedRule, 'verdict' | 'runs' | 'failures' | 'nonStrict'>;
}

export interface CampaignSummary {
  /** Random runs per profile, over all campaigns. */
  runs: number;
  corpusCases: number;
  seeds: number[];
  profiles: Profile[];
  schemaHash: string;
  maxActions: number;
}

export interface Comparison {
  a: CampaignSummary;
  b: CampaignSummary;
  /** Why the two campaigns are not comparable, one plain sentence each; empty when they are. */
  differences: string[];
  changes: RuleChange[];
  unchanged: number;
}

function summary(c: Certificate): CampaignSummary {
  return {
    runs: Math.max(0, ...c.results.map((r) => r.runs)),
    corpusCases: Math.max(0, ...c.results.map((r) => r.corpusRuns)),
    seeds: c.campaigns.map((k) => k.seed),
    profiles: [...c.profiles],
    schemaHash: c.generator.schemaHash,
    maxActions: c.generator.options.maxActions,
  };
}

function kindOf(from: string | undefined, to: string | undefined): ChangeKind {
  if (from === undefined) return 'only-b';
  if (to === undefined) return 'only-a';
  const rf = verdictRank(from);
  const rt = verdictRank(to);
  if (rf === undefined || rt === undefined) return 'unranked';
  if (rt > rf) return 'worse';
  return JUDGED.has(to) ? 'fixed' : 'unproven';
}

function counts(t: CertifiedRule | undefined): RuleChange['from'] {
  return t && { verdict: t.verdict, runs: t.runs, failures: t.failures, nonStrict: t.nonStrict };
}

/** Compares certificate `b` (after) with `a` (before), rule by rule and profile by profile. */
export function compareCertificates(a: Certificate, b: Certificate): Comparison {
  const sa = summary(a);
  const sb = summary(b);
  const differences: string[] = [];
  const list = (xs: readonly unknown[]) => xs.join(', ') || 'none';
  if (sa.runs !== sb.runs) differences.push(`run counts differ: ${sa.runs} against ${sb.runs} runs per profile (a rule exercised rarely can change verdict by chance alone)`);
  if (canonicalJson(sa.seeds) !== canonicalJson(sb.seeds)) differences.push(`seeds differ: ${list(sa.seeds)} against ${list(sb.seeds)} (other runs were generated)`);
  if (canonicalJson(sa.profiles) !== canonicalJson(sb.profiles)) differences.push(`profiles differ: ${list(sa.profiles)} against ${list(sb.profiles)}`);
  if (sa.maxActions !== sb.maxActions) differences.push(`max-actions differs: ${sa.maxActions} against ${sb.maxActions} (runs of other lengths were generated)`);
  if (sa.schemaHash !== sb.schemaHash) differences.push(`generator schema hashes differ: ${sa.schemaHash.slice(0, 19)}… against ${sb.schemaHash.slice(0, 19)}… (the same seed generates other runs, or they are judged by other rules)`);
  if (sa.corpusCases !== sb.corpusCases) differences.push(`corpus cases differ: ${sa.corpusCases} against ${sb.corpusCases} replayed before the runs`);

  const diff = diffCertificates(a, b);
  const tally = (c: Certificate, profile: Profile, rule: RuleId) => c.results.find((r) => r.profile === profile)?.rules.find((t) => t.id === rule);
  const changes = diff.changes.map((c): RuleChange => ({
    profile: c.profile,
    rule: c.rule,
    kind: kindOf(c.from, c.to),
    from: counts(tally(a, c.profile, c.rule)),
    to: counts(tally(b, c.profile, c.rule)),
  }));
  return { a: sa, b: sb, differences, changes, unchanged: diff.unchanged };
}
