/**
 * Where a campaign's wall-clock time went, for reports that can show it (JUnit's `time`).
 * Certificates hold no wall-clock times (the same seeds give the same bytes), so these travel
 * beside them, from the campaign results of the command that made them.
 */
import type { CampaignResult } from '../runner';
import type { Profile, RuleId } from '../spec';

export interface CampaignTiming {
  profile: Profile;
  /** The whole campaign, runs and shrinking. */
  wallMs: number;
  /**
   * Each rule's share: an equal part of the runs (every run is judged by every rule, so the
   * runs belong to all of them alike) plus the time spent shrinking its own counterexample.
   * The shares add up to wallMs.
   */
  rules: Partial<Record<RuleId, number>>;
}

export function campaignTiming(result: CampaignResult): CampaignTiming {
  const shrinking = result.rules.reduce((ms, t) => ms + (t.counterexample?.shrinkMs ?? 0), 0);
  const runs = Math.max(0, result.stats.wallMs - shrinking) / Math.max(1, result.rules.length);
  const rules: Partial<Record<RuleId, number>> = {};
  for (const t of result.rules) rules[t.rule.id] = runs + (t.counterexample?.shrinkMs ?? 0);
  return { profile: result.profile, wallMs: result.stats.wallMs, rules };
}

/** Timings per certificate (the object a reporter is given), one entry per profile. */
export type ReportTimings = ReadonlyMap<object, readonly CampaignTiming[]>;
