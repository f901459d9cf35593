/**
 * A hunt: generated runs against one adapter until some rule FAILS, the way a campaign
 * observes them (same seed, same runs), but stopping at the first failing run. It answers
 * "how many runs does the kit need to catch this bug?" (dcomkit mutate, the benchmark).
 */
import fc from 'fast-check';
import type { Adapter, Profile, RuleId } from '../spec';
import { runArb, type GeneratorOptions, type RunInput } from '../generators';
import { judge } from '../oracles';
import { runCampaign, type RuleTally } from './campaign';
import { executeRun } from './execute';

export interface HuntOptions {
  profile?: Profile;
  /** Campaign seed: the hunt sees the same runs as `runCampaign` with this seed. */
  seed: number;
  /** Give up after this many runs. */
  maxRuns: number;
  generator?: GeneratorOptions;
  /** Stop only when one of these rules fails (default: any rule). */
  rules?: readonly RuleId[];
}

export interface HuntResult {
  /** Runs carried out up to and including the first failing one (maxRuns when none failed). */
  runs: number;
  /** Rules that failed in the first failing run; empty when the adapter survived. */
  failed: RuleId[];
  actions: number;
  wallMs: number;
  /** CPU time of this process during the hunt (user + system). */
  cpuMs: number;
}

export async function hunt(adapter: Adapter, options: HuntOptions): Promise<HuntResult> {
  const profile = options.profile ?? 'strict';
  const arb = runArb(adapter.capabilities, options.generator);
  let runs = 0;
  let actions = 0;
  let failed: RuleId[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const property = fc.asyncProperty(arb, async (input: RunInput) => {
    runs += 1;
    const record = await executeRun(adapter, input);
    actions += record.actions.length;
    failed = judge(record.trace, profile)
      .filter((o) => o.status === 'fail' && (!options.rules || options.rules.includes(o.rule)))
      .map((o) => o.rule);
    return failed.length === 0;
  });
  // endOnFailure: stop at the first failing run without shrinking it.
  await fc.check(property, { seed: options.seed, numRuns: options.maxRuns, endOnFailure: true });
  const cpu = process.cpuUsage(c0);
  return { runs, failed, actions, wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * The shrunk counterexample for `rule` from a hunt that failed after `runs` runs: the
 * campaign with the same seed over the same runs finds the same first failure and shrinks it.
 */
export async function shrinkHunted(
  adapter: Adapter,
  options: Omit<HuntOptions, 'maxRuns'> & { runs: number; rule: RuleId },
): Promise<RuleTally | undefined> {
  const result = await runCampaign(adapter, { profile: options.profile, seed: options.seed, runs: options.runs, generator: options.generator });
  return result.rules.find((t) => t.rule.id === options.rule && t.counterexample);
}

/** The situations multi-holder lifetime needs reached, by rule (bench rows, coverage). */
export const HOLDER_SITUATIONS: ReadonlyArray<{ rule: RuleId; situation: string }> = [
  { rule: 'NO-EARLY-RUNDOWN', situation: 'outlived another holder on its machine' },
  { rule: 'NO-EARLY-RUNDOWN', situation: 'outlived a holder on the other machine' },
  { rule: 'NO-EARLY-RUNDOWN', situation: 'handed over on one machine, held past the window' },
  { rule: 'NO-EARLY-RUNDOWN', situation: 'handed over across machines, held past the window' },
  { rule: 'PING-TERMINATION', situation: 'dropped while another process on its machine holds it' },
  { rule: 'PING-TERMINATION', situation: "machine's last holder gone while the other machine holds it" },
  { rule: 'RELEASE-RECLAIM', situation: 'last of several holders on one machine' },
  { rule: 'RELEASE-RECLAIM', situation: 'last of several holders on both machines' },
  { rule: 'RELEASE-RECLAIM', situation: 'last holder of a handed-over object' },
  { rule: 'PING-SEQUENCE', situation: 'ComplexPing adds an object the other machine holds' },
  { rule: 'PING-SEQUENCE', situation: 'ComplexPing deletes an object the other machine holds' },
  { rule: 'PING-SEQUENCE', situation: 'stale ComplexPing naming an object several processes hold' },
  { rule: 'EVENTUAL-RUNDOWN', situation: 'object held on both machines, every holder gone or cut off' },
  { rule: 'EVENTUAL-RUNDOWN', situation: 'cut off past the rundown window, healed, proxy used' },
  { rule: 'EVENTUAL-RUNDOWN', situation: 'holders cut off past the window, then healed' },
];

export interface SituationHuntOptions {
  profile?: Profile;
  /** Campaign seed: the same runs as `runCampaign` with this seed. */
  seed: number;
  maxRuns: number;
  generator?: GeneratorOptions;
  situations: ReadonlyArray<{ rule: RuleId; situation: string }>;
}

/**
 * Generated runs, as a campaign with the same seed makes them, until each situation has come
 * up in some run's judgement: how many runs it takes the generators to reach it.
 * The answer maps `rule: situation` to the run (from 1) that first reached it, absent if none
 * did within `maxRuns`.
 */
export async function huntSituations(adapter: Adapter, options: SituationHuntOptions): Promise<Map<string, number>> {
  const profile = options.profile ?? 'strict';
  const wanted = new Map<string, Set<string>>();
  for (const { rule, situation } of options.situations) {
    if (!wanted.has(rule)) wanted.set(rule, new Set());
    wanted.get(rule)!.add(situation);
  }
  const first = new Map<string, number>();
  let runs = 0;
  const property = fc.asyncProperty(runArb(adapter.capabilities, options.generator), async (input: RunInput) => {
    runs += 1;
    const record = await executeRun(adapter, input);
    for (const o of judge(record.trace, profile)) {
      const want = wanted.get(o.rule);
      if (!want) continue;
      for (const situation of o.situations) {
        const key = `${o.rule}: ${situation}`;
        if (want.has(situation) && !first.has(key)) first.set(key, runs);
      }
    }
    return first.size < options.situations.length;
  });
  await fc.check(property, { seed: options.seed, numRuns: options.maxRuns, endOnFailure: true });
  return first;
}
