/**
 * A campaign: N generated runs against one adapter, every run judged by every rule, then a
 * shrunk counterexample for each rule that failed. Runs are observed first in one fast-check
 * pass (so one rule's failure never hides another's); each failed rule is then shrunk from
 * its first failing run, which fast-check regenerates from the campaign seed and that run's
 * path.
 */
import fc from 'fast-check';
import {
  RULES,
  type ActionKind,
  type Adapter,
  type Capabilities,
  type Profile,
  type Rule,
  type RuleId,
  type RuleOutcome,
  type Verdict,
} from '../spec';
import { runArb, type GeneratorOptions, type RunInput } from '../generators';
import { judge } from '../oracles';
import { COUNTEREXAMPLE_FORMAT, type Counterexample } from './counterexample';
import type { CorpusCase } from './corpus';
import { executeRun, replayActions, type RunRecord } from './execute';
import { guardAdapter } from './guard';
import { inShard, shardRuns, type Shard } from './shard';
import { KIT_VERSION } from './version';

export interface CampaignOptions {
  /** Profile the rules are judged under. Default 'strict'. */
  profile?: Profile;
  /** Generated runs. Default 100. */
  runs?: number;
  /** Campaign seed; the same seed gives the same runs. Default: drawn from the clock. */
  seed?: number;
  /** Shape of generated runs. */
  generator?: GeneratorOptions;
  /** Shrink failures into counterexamples. Default true. */
  shrink?: boolean;
  /**
   * Most real ms spent shrinking one rule's counterexample; the smallest failing run found by
   * then stands. For adapters whose runs cost real seconds. Default: no limit.
   */
  shrinkTimeMs?: number;
  /** Real ms one adapter step may take before the run ends in an adapter error. Default 60 s. */
  stepLimitMs?: number;
  /** Called after each generated run. */
  onProgress?: (progress: { done: number; total: number; failedRules: number }) => void;
  /** Give up after this many runs in a row end in an adapter error. Default 3. */
  maxConsecutiveErrors?: number;
  /**
   * A regression corpus: cases replayed before the random runs and judged by every rule;
   * their verdicts count in the result. A failing case is its rule's counterexample as it
   * stands (no shrinking), unless the random runs find a worse failure.
   */
  corpus?: readonly CorpusCase[];
  /**
   * Execute only this shard's share of the runs (runner/shard.ts). The corpus replays in shard
   * 1 only, so merged shards count each case once.
   */
  shard?: Shard;
}

export interface RuleTally {
  rule: Rule;
  verdict: Verdict;
  /** Runs that exercised the rule. */
  runs: number;
  failures: number;
  nonStrict: number;
  /** How often each named situation came up, for coverage. */
  situations: Record<string, number>;
  /** Why the rule could not be judged, when UNIMPLEMENTED. */
  reason?: string;
  counterexample?: Counterexample;
  /** The corpus case the counterexample is, when it came from the corpus. */
  corpusCase?: string;
}

export interface RunError {
  run: number;
  message: string;
}

export interface CampaignResult {
  adapter: Capabilities;
  profile: Profile;
  seed: number;
  runs: number;
  rules: RuleTally[];
  actionCounts: Partial<Record<ActionKind, number>>;
  errors: RunError[];
  /** Wall time, actions carried out, and time spent shrinking. */
  stats: { wallMs: number; actions: number; events: number; shrinkMs: number };
  /** The shard executed, when the campaign was sharded; `runs` counts this shard's runs. */
  shard?: Shard;
  /** Corpus cases replayed (also counted in the tallies) and those the adapter cannot carry out. */
  corpus?: { replayed: number; skipped: { id: string; reason: string }[] };
}

/**
 * The failing run a rule's counterexample is shrunk from: a failure before a non-strict one,
 * then the run with the fewest actions (the earliest among equals). Starting small matters on
 * real targets, where every shrink attempt is a run that costs real time; a corpus case stands
 * unless a random run is worse.
 */
interface FirstFailure {
  run: number;
  status: 'fail' | 'non-strict';
  record: RunRecord;
  outcome: RuleOutcome;
  corpus?: CorpusCase;
}

function missing(rule: Rule, caps: Capabilities): string | undefined {
  const actions = rule.needs.filter((k) => !caps.actions.includes(k));
  if (actions.length) return `adapter cannot carry out ${actions.join(', ')}`;
  const observes = rule.observes.filter((o) => !caps.observes.includes(o));
  if (observes.length) return `adapter cannot observe ${observes.join(', ')}`;
  return undefined;
}

export async function runCampaign(unguarded: Adapter, options: CampaignOptions = {}): Promise<CampaignResult> {
  const adapter = guardAdapter(unguarded, options.stepLimitMs);
  const profile = options.profile ?? 'strict';
  const total = options.runs ?? 100;
  const seed = options.seed ?? Date.now() % 0x7fffffff;
  const maxErrors = options.maxConsecutiveErrors ?? 3;
  const caps = adapter.capabilities;
  const arb = runArb(caps, options.generator);
  const started = performance.now();

  const rules = RULES.filter((r) => r.profiles.includes(profile));
  const tallies = new Map<RuleId, RuleTally>(
    rules.map((rule) => [rule.id, { rule, verdict: 'UNIMPLEMENTED', runs: 0, failures: 0, nonStrict: 0, situations: {} }]),
  );
  // Counted in maps and written into the tallies at the end: a per-run update of a plain
  // object keyed by situation was a twentieth of a campaign.
  const situations = new Map<RuleId, Map<string, number>>(rules.map((rule) => [rule.id, new Map()]));
  const firstFailures = new Map<RuleId, FirstFailure>();
  const actionCounts: Partial<Record<ActionKind, number>> = {};
  const errors: RunError[] = [];
  let run = 0;
  let executed = 0;
  let consecutiveErrors = 0;
  let actions = 0;
  let events = 0;

  const tally = (record: RunRecord, index: number, corpusCase?: CorpusCase) => {
    actions += record.actions.length;
    events += record.trace.events.length;
    for (const a of record.actions) actionCounts[a.kind] = (actionCounts[a.kind] ?? 0) + 1;
    for (const outcome of judge(record.trace, profile)) {
      const t = tallies.get(outcome.rule)!;
      if (outcome.status === 'idle') continue;
      t.runs += 1;
      const seen = situations.get(outcome.rule)!;
      for (const s of outcome.situations) seen.set(s, (seen.get(s) ?? 0) + 1);
      if (outcome.status === 'fail') t.failures += 1;
      if (outcome.status === 'non-strict') t.nonStrict += 1;
      const first = firstFailures.get(outcome.rule);
      const worse = outcome.status === 'fail' && first?.status !== 'fail';
      const shorter = outcome.status === first?.status && !first.corpus && record.actions.length < first.record.actions.length;
      if ((outcome.status === 'fail' || outcome.status === 'non-strict') && (!first || worse || shorter)) {
        firstFailures.set(outcome.rule, { run: index, status: outcome.status, record, outcome, corpus: corpusCase });
      }
    }
  };

  let corpus: CampaignResult['corpus'];
  if (options.corpus && (!options.shard || options.shard.index === 1)) {
    corpus = { replayed: 0, skipped: [] };
    for (const c of options.corpus) {
      const unsupported = [...new Set(c.actions.map((a) => a.kind))].filter((k) => !caps.actions.includes(k));
      if (unsupported.length) {
        corpus.skipped.push({ id: c.id, reason: `adapter cannot carry out ${unsupported.join(', ')}` });
        continue;
      }
      let record: RunRecord;
      try {
        record = await replayActions(adapter, c.seed, c.world, c.actions);
      } catch (err) {
        errors.push({ run: -1, message: `corpus case ${c.id}: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      corpus.replayed += 1;
      tally(record, -1, c);
    }
  }

  const observe = fc.asyncProperty(arb, async (input: RunInput) => {
    const index = run++;
    if (!inShard(index, options.shard)) return true;
    executed += 1;
    if (consecutiveErrors >= maxErrors) return true;
    let record: RunRecord;
    try {
      record = await executeRun(adapter, input);
      consecutiveErrors = 0;
    } catch (err) {
      consecutiveErrors += 1;
      errors.push({ run: index, message: err instanceof Error ? err.message : String(err) });
      return true;
    }
    tally(record, index);
    const failedRules = [...firstFailures.values()].filter((f) => f.status === 'fail').length;
    options.onProgress?.(options.shard ? { done: executed, total: shardRuns(total, options.shard), failedRules } : { done: index + 1, total, failedRules });
    return true;
  });
  await fc.assert(observe, { seed, numRuns: total });

  let shrinkMs = 0;
  // Every run a shrink makes is judged under every rule: one bug often fails several rules,
  // and the shortest failing run seen for a rule while shrinking another may beat what its
  // own (time-limited, on a real target) shrink reaches. Judging is cheap next to a run.
  const harvested = new Map<RuleId, { record: RunRecord; outcome: RuleOutcome }>();
  const harvest = (record: RunRecord, outcomes: readonly RuleOutcome[]) => {
    for (const outcome of outcomes) {
      const first = firstFailures.get(outcome.rule);
      if (!first || first.corpus || outcome.status !== first.status) continue;
      const best = harvested.get(outcome.rule);
      if (!best || record.actions.length < best.record.actions.length) harvested.set(outcome.rule, { record, outcome });
    }
  };
  const shrunk = new Map<RuleId, { cx: Awaited<ReturnType<typeof shrink>>; elapsed: number }>();
  // In catalogue order: the headline rules first, so what they shrink to is met by the rest.
  const byCatalogue = [...firstFailures].sort(([a], [b]) => RULES.findIndex((r) => r.id === a) - RULES.findIndex((r) => r.id === b));
  for (const [ruleId, first] of byCatalogue) {
    if (options.shrink === false || first.corpus) continue;
    const t0 = performance.now();
    const cx = await shrink(adapter, arb, profile, seed, ruleId, first, harvest, options.shrinkTimeMs);
    shrunk.set(ruleId, { cx, elapsed: performance.now() - t0 });
  }
  for (const [ruleId, first] of firstFailures) {
    const own = shrunk.get(ruleId);
    const elapsed = own?.elapsed ?? 0;
    shrinkMs += elapsed;
    const other = own && harvested.get(ruleId);
    const cx =
      other && (!own.cx || other.record.actions.length < own.cx.record.actions.length)
        ? { ...other, path: '', shrunk: true, timedOut: own.cx?.timedOut ?? false }
        : own?.cx;
    const best = cx ?? { record: first.record, outcome: first.outcome, path: String(first.run), shrunk: first.corpus?.shrunk ?? false };
    const origin = first.corpus ? (first.corpus.origin ?? { campaignSeed: seed, run: -1, path: '' }) : { campaignSeed: seed, run: first.run, length: first.record.actions.length, path: best.path };
    if (first.corpus) tallies.get(ruleId)!.corpusCase = first.corpus.id;
    tallies.get(ruleId)!.counterexample = {
      format: COUNTEREXAMPLE_FORMAT,
      kitVersion: KIT_VERSION,
      adapter: { name: caps.name, version: caps.version },
      profile,
      rule: ruleId,
      verdict: first.status === 'fail' ? 'FAILED' : 'NON-STRICT',
      seed: best.record.trace.seed,
      world: best.record.trace.world,
      actions: best.record.actions,
      origin,
      shrunk: best.shrunk,
      ...(cx?.timedOut ? { shrinkTimedOut: true } : {}),
      shrinkMs: Math.round(elapsed),
      violations: best.outcome.violations,
      trace: best.record.trace.events,
    };
  }

  for (const t of tallies.values()) {
    t.situations = Object.fromEntries(situations.get(t.rule.id)!);
    const reason = missing(t.rule, caps);
    if (reason && t.runs === 0) {
      t.reason = reason;
      continue;
    }
    t.verdict =
      t.failures > 0
        ? 'FAILED'
        : t.nonStrict > 0
          ? 'NON-STRICT'
          : t.runs === 0
            ? 'UNIMPLEMENTED'
            : t.rule.informational
              ? 'INFORMATIONAL'
              : 'OK';
    if (t.verdict === 'UNIMPLEMENTED') t.reason = `not exercised in ${executed} runs${corpus?.replayed ? ` and ${corpus.replayed} corpus case${corpus.replayed === 1 ? '' : 's'}` : ''}`;
  }

  return {
    adapter: caps,
    profile,
    seed,
    runs: executed,
    rules: [...tallies.values()],
    actionCounts,
    errors,
    stats: { wallMs: performance.now() - started, actions, events, shrinkMs },
    ...(options.shard ? { shard: options.shard } : {}),
    ...(corpus ? { corpus } : {}),
  };
}

/** Replays the rule's first failing run and lets fast-check shrink it while the rule still fails. */
async function shrink(
  adapter: Adapter,
  arb: fc.Arbitrary<RunInput>,
  profile: Profile,
  seed: number,
  rule: RuleId,
  first: FirstFailure,
  seen: (record: RunRecord, outcomes: readonly RuleOutcome[]) => void,
  timeLimitMs?: number,
): Promise<{ record: RunRecord; outcome: RuleOutcome; path: string; shrunk: boolean; timedOut: boolean } | undefined> {
  let last: { record: RunRecord; outcome: RuleOutcome } | undefined;
  const property = fc.asyncProperty(arb, async (input: RunInput) => {
    let record: RunRecord;
    try {
      record = await executeRun(adapter, input);
    } catch {
      return true;
    }
    const outcomes = judge(record.trace, profile);
    seen(record, outcomes);
    const outcome = outcomes.find((o) => o.rule === rule)!;
    const failing = outcome.status === first.status;
    if (failing) last = { record, outcome };
    return !failing;
  });
  // Skip, never interrupt: fast-check's interruptAfterTimeLimit races an async run against
  // the clock and walks away from the loser, which keeps driving the adapter while the next
  // shrink resets it, and whose mixed-up trace would still be judged when it ends.
  const started = performance.now();
  const details = await fc.check(property, { seed, path: String(first.run), ...(timeLimitMs ? { skipAllAfterTimeLimit: timeLimitMs } : {}) });
  if (!last) return undefined;
  const timedOut = timeLimitMs !== undefined && performance.now() - started >= timeLimitMs;
  return { ...last, path: details.counterexamplePath ?? String(first.run), shrunk: true, timedOut };
}
