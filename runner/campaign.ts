/**
 * A campaign: N generated runs against one adapter, every run judged by every rule, then a
 * shrunk counterexample for each rule that failed. Runs are observed first in one fast-check
 * pass (so one rule's failure never hides another's); each failed rule is then shrunk from
 * its first failing run, which fast-check regenerates from the campaign seed and that run's
 * path.
 *
 * A run in which the adapter failed as a program (hung, crashed, broke the protocol, reported
 * events that contradict it) is an adapter error: no rule judges any of it, and no
 * counterexample rests on it. A campaign stops early, with what it finished, when its signal
 * is aborted, when its time limit passes, or when the adapter keeps failing.
 */
import fc from 'fast-check';
import {
  isAdapterFault,
  RULES,
  type ActionKind,
  type Adapter,
  type AdapterFault,
  type Capabilities,
  type FaultKind,
  type Profile,
  type Rule,
  type RuleId,
  type RuleOutcome,
  type Verdict,
} from '../spec';
import { runArb, type GeneratorOptions, type RunInput } from '../generators';
import { judge } from '../oracles';
import { COUNTEREXAMPLE_FORMAT, type Counterexample, type ShrinkReport } from './counterexample';
import type { CorpusCase } from './corpus';
import { executeRun, replayActions, RunInterrupted, type RunRecord } from './execute';
import { guardAdapter } from './guard';
import { inShard, shardRuns, type Shard } from './shard';
import { decideVerdict, DEFAULT_MIN_EVIDENCE } from './verdict';
import { KIT_VERSION } from './version';
import { Workers, type Finished } from './workers';

export interface CampaignOptions {
  /** Profile the rules are judged under. Default 'strict'. */
  profile?: Profile;
  /** Generated runs. Default: defaultRuns(adapter capabilities), 200 or 20 on a real clock. */
  runs?: number;
  /** Campaign seed; the same seed gives the same runs. Default: drawn from the clock. */
  seed?: number;
  /** Shape of generated runs. */
  generator?: GeneratorOptions;
  /** Shrink failures into counterexamples. Default true. */
  shrink?: boolean;
  /**
   * Most real ms spent shrinking one rule's counterexample; the smallest failing run found by
   * then stands. For adapters whose runs cost real seconds. Default: no limit, or
   * REAL_CLOCK_SHRINK.ruleMs for an adapter on a real clock.
   */
  shrinkTimeMs?: number;
  /**
   * Most real ms spent shrinking all rules together; a rule whose turn comes after that keeps
   * the smallest failing run seen so far. Default: no limit, or REAL_CLOCK_SHRINK.totalMs for
   * an adapter on a real clock when shrinkTimeMs is not given either.
   */
  shrinkTotalMs?: number;
  /** Real ms one adapter step may take before the run ends in an adapter error. Default 60 s. */
  stepLimitMs?: number;
  /**
   * Adapter instances carrying out generated runs (and corpus cases) at once: the adapter
   * given, and `workers - 1` more from `open`. The result is the same for any number: runs
   * are generated in run order as with one, and tallied in run order, a stop that depends on
   * that order (adapter errors in a row) included; shrinking runs on the adapter given alone.
   * Default 1.
   */
  workers?: number;
  /**
   * Opens one more instance of the adapter, for each worker beyond the first. The campaign
   * closes what it opens (once the runs are done, before shrinking); one that fails to open
   * fails the campaign with its error.
   */
  open?: () => Promise<Adapter>;
  /** Called after each generated run and each shrink attempt. */
  onProgress?: (progress: CampaignProgress) => void;
  /** Give up (stop the campaign) after this many runs in a row end in adapter errors. Default 3. */
  maxConsecutiveErrors?: number;
  /** Runs that must exercise a rule before it can be OK; fewer is INCONCLUSIVE. Default 5. */
  minEvidence?: number;
  /**
   * Real ms the whole campaign (runs and shrinking) may take; then it stops with what it has,
   * marked as stopped. Default: no limit.
   */
  timeLimitMs?: number;
  /** Aborting it stops the campaign between two steps, with what it has, marked as interrupted. */
  signal?: AbortSignal;
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

/**
 * The shrink budget an adapter on a real clock gets by default: every shrink attempt is a
 * whole run in real time, and an unlimited shrink kept a 20-run campaign on Wine going for
 * more than a quarter of an hour.
 */
export const REAL_CLOCK_SHRINK = { ruleMs: 20_000, totalMs: 45_000 } as const;

/** The shrink budget a campaign works with: per rule and overall, undefined for no limit. */
export function shrinkBudget(clock: Capabilities['clock'], options: Pick<CampaignOptions, 'shrinkTimeMs' | 'shrinkTotalMs'>): { ruleMs?: number; totalMs?: number } {
  const real = clock.kind === 'real';
  return {
    ruleMs: options.shrinkTimeMs ?? (real ? REAL_CLOCK_SHRINK.ruleMs : undefined),
    // A per-rule limit given explicitly is the user's budget: no overall default on top.
    totalMs: options.shrinkTotalMs ?? (real && options.shrinkTimeMs === undefined ? REAL_CLOCK_SHRINK.totalMs : undefined),
  };
}

export type CampaignProgress =
  | { phase: 'runs'; done: number; total: number; failedRules: number; errors: number }
  | { phase: 'shrink'; rule: RuleId; attempts: number; actions: number; rulesLeft: number };

export interface RuleTally {
  rule: Rule;
  verdict: Verdict;
  /** Runs that exercised the rule. */
  runs: number;
  failures: number;
  nonStrict: number;
  /** The first run (1-based, in campaign order) that failed the rule; 0 for a corpus case. */
  firstFailedRun?: number;
  /** How often each named situation came up, for coverage. */
  situations: Record<string, number>;
  /** Why the rule could not be judged OK, when UNIMPLEMENTED or INCONCLUSIVE. */
  reason?: string;
  counterexample?: Counterexample;
  /** The corpus case the counterexample is, when it came from the corpus. */
  corpusCase?: string;
}

/** A run that ended in an adapter error, in the adapter's own words. */
export interface RunError {
  /** The campaign's run (0-based); -1 for a corpus case. */
  run: number;
  /** The corpus case, when it was one. */
  corpusCase?: string;
  kind: FaultKind;
  /** The step that failed. */
  step: string;
  /** The whole message: adapter, step, problem, offending line and stderr. */
  message: string;
  /** The notes the adapter sent during the run, latest last. */
  notes: string[];
  /** The last lines the adapter wrote to stderr. */
  stderr: string[];
}

/** Why a campaign ended before it had done everything. */
export interface CampaignStop {
  reason: 'interrupted' | 'time-limit' | 'adapter-gave-up';
  /** One sentence for a person. */
  detail: string;
  /** While observing runs, or while shrinking (the runs were all done). */
  phase: 'runs' | 'shrink';
}

export interface CampaignResult {
  adapter: Capabilities;
  profile: Profile;
  seed: number;
  /** Runs executed (with or without an adapter error); `total` when the campaign finished them. */
  runs: number;
  /** Runs the campaign was asked for (this shard's share when sharded). */
  total: number;
  minEvidence: number;
  rules: RuleTally[];
  actionCounts: Partial<Record<ActionKind, number>>;
  errors: RunError[];
  /** Set when the campaign ended early. */
  stopped?: CampaignStop;
  /** Wall time, actions carried out, time spent shrinking, and the adapter instances used. */
  stats: { wallMs: number; actions: number; events: number; shrinkMs: number; workers: number };
  /** The shard executed, when the campaign was sharded; `runs` counts this shard's runs. */
  shard?: Shard;
  /** Corpus cases replayed (also counted in the tallies) and those the adapter cannot carry out. */
  corpus?: { replayed: number; skipped: { id: string; reason: string }[] };
}

/**
 * Runs of a campaign by default: enough that every rule the reference can judge is
 * exercised by more than the evidence threshold's five runs for every seed (CALL-AFTER-RECLAIM,
 * the rarest, by 8 or more in 200). An adapter on a real clock gets fewer: each of its runs
 * costs real seconds.
 */
export const DEFAULT_RUNS = 200;
export const DEFAULT_REAL_CLOCK_RUNS = 20;

export function defaultRuns(caps: Pick<Capabilities, 'clock'>): number {
  return caps.clock.kind === 'real' ? DEFAULT_REAL_CLOCK_RUNS : DEFAULT_RUNS;
}

/** Real ms of work between two turns of the event loop: signals and timers get their turn. */
const YIELD_EVERY_MS = 20;

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

/** What a run ended in: its record, an adapter fault, an interruption, or an error of the kit itself. */
type Outcome = { kind: 'record'; record: RunRecord } | { kind: 'fault'; fault: AdapterFault } | { kind: 'interrupted' } | { kind: 'kit'; error: unknown };

function outcomeOf(finished: Finished<RunRecord>): Outcome {
  if (finished.ok) return { kind: 'record', record: finished.value };
  const error = finished.error;
  if (error instanceof RunInterrupted) return { kind: 'interrupted' };
  return isAdapterFault(error) ? { kind: 'fault', fault: error } : { kind: 'kit', error };
}

export function runError(run: number, fault: AdapterFault, corpusCase?: string): RunError {
  return {
    run,
    ...(corpusCase !== undefined ? { corpusCase } : {}),
    kind: fault.kind,
    step: fault.step,
    message: fault.message,
    notes: [...fault.notes],
    stderr: [...fault.stderr],
  };
}

/** Runs and corpus cases the campaign carried out, with or without an adapter error. */
export function attempted(result: Pick<CampaignResult, 'runs' | 'errors' | 'corpus'>): number {
  return result.runs + (result.corpus?.replayed ?? 0) + result.errors.filter((e) => e.run < 0).length;
}

/** Whether at least half of what the campaign carried out ended in adapter errors: no verdict then. */
export function mostlyErrors(result: Pick<CampaignResult, 'runs' | 'errors' | 'corpus'>): boolean {
  return result.errors.length > 0 && result.errors.length * 2 >= attempted(result);
}

export async function runCampaign(unguarded: Adapter, options: CampaignOptions = {}): Promise<CampaignResult> {
  const signal = options.signal;
  const adapter = guardAdapter(unguarded, options.stepLimitMs, signal);
  const profile = options.profile ?? 'strict';
  const total = options.runs ?? defaultRuns(unguarded.capabilities);
  const seed = options.seed ?? Date.now() % 0x7fffffff;
  const maxErrors = options.maxConsecutiveErrors ?? 3;
  const minEvidence = options.minEvidence ?? DEFAULT_MIN_EVIDENCE;
  const size = options.workers ?? 1;
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`campaign: workers must be a whole number from 1, not ${size}`);
  if (size > 1 && !options.open) throw new RangeError('campaign: more than one worker needs options.open to open the others');
  const caps = adapter.capabilities;
  const arb = runArb(caps, options.generator);
  const started = performance.now();
  const deadline = options.timeLimitMs === undefined ? Infinity : started + options.timeLimitMs;

  const rules = RULES.filter((r) => r.profiles.includes(profile));
  const tallies = new Map<RuleId, RuleTally>(
    rules.map((rule) => [rule.id, { rule, verdict: 'INCONCLUSIVE', runs: 0, failures: 0, nonStrict: 0, situations: {} }]),
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
  let stopped: CampaignStop | undefined;
  let phase: CampaignStop['phase'] = 'runs';

  const stop = (reason: CampaignStop['reason'], detail: string) => (stopped ??= { reason, detail, phase });
  /** Whether the campaign must end now; decides why, once. */
  const mustStop = (): boolean => {
    if (stopped) return true;
    if (signal?.aborted) stop('interrupted', 'interrupted');
    else if (performance.now() > deadline) stop('time-limit', `the campaign's time limit of ${Math.round(options.timeLimitMs! / 1000)} s passed`);
    return stopped !== undefined;
  };
  let lastYield = performance.now();
  /** A turn of the event loop now and then, so a signal or a timer can act even on a synchronous adapter. */
  const breathe = async () => {
    if (performance.now() - lastYield < YIELD_EVERY_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    lastYield = performance.now();
  };

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
      if (outcome.status === 'fail') {
        t.failures += 1;
        t.firstFailedRun ??= index + 1;
      }
      if (outcome.status === 'non-strict') t.nonStrict += 1;
      const first = firstFailures.get(outcome.rule);
      const worse = outcome.status === 'fail' && first?.status !== 'fail';
      const shorter = outcome.status === first?.status && !first.corpus && record.actions.length < first.record.actions.length;
      if ((outcome.status === 'fail' || outcome.status === 'non-strict') && (!first || worse || shorter)) {
        firstFailures.set(outcome.rule, { run: index, status: outcome.status, record, outcome, corpus: corpusCase });
      }
    }
  };

  /** Carries out one run on the campaign's own adapter, into what it ended in. */
  const attempt = async (work: (on: Adapter) => Promise<RunRecord>): Promise<Outcome> => {
    try {
      return outcomeOf({ ok: true, value: await work(adapter) });
    } catch (error) {
      return outcomeOf({ ok: false, error });
    }
  };
  // More workers: runs are started as instances come free and handed back in run order, into
  // the same steps as one worker's. Nothing after an interrupted run, or after the run that
  // made the adapter give up, counts: what was started beyond it is dropped, as one worker
  // would never have started it.
  const workers = size > 1 ? new Workers(adapter, { size, open: options.open!, wrap: (a) => guardAdapter(a, options.stepLimitMs, signal) }) : undefined;
  let cutOff = false;
  /** Work on the campaign's adapter, or on the next free worker; `settle` sees the outcomes in order. */
  const carryOut = async (work: (on: Adapter) => Promise<RunRecord>, settle: (outcome: Outcome) => void): Promise<boolean> => {
    if (!workers) {
      settle(await attempt(work));
      return true;
    }
    // Waiting for a free worker may have taken a while: the stop is checked again.
    if (!(await workers.free()) || mustStop()) return false;
    workers.start(work, (finished) => settle(outcomeOf(finished)));
    return true;
  };
  /**
   * Whether an outcome counts (a record or an adapter fault). An error of the kit itself is
   * thrown; an interrupted run stops the campaign, and nothing after it counts.
   */
  const counts = (outcome: Outcome): outcome is Extract<Outcome, { kind: 'record' | 'fault' }> => {
    if (outcome.kind === 'kit') throw outcome.error;
    if (outcome.kind !== 'interrupted') return true;
    mustStop();
    cutOff = true; // the run was cut short, not carried out
    return false;
  };

  let corpus: CampaignResult['corpus'];
  const shardTotal = shardRuns(total, options.shard);
  try {
    if (options.corpus && (!options.shard || options.shard.index === 1)) {
      const replays: NonNullable<CampaignResult['corpus']> = { replayed: 0, skipped: [] };
      corpus = replays;
      for (const c of options.corpus) {
        if (mustStop()) break;
        const unsupported = [...new Set(c.actions.map((a) => a.kind))].filter((k) => !caps.actions.includes(k));
        if (unsupported.length) {
          replays.skipped.push({ id: c.id, reason: `adapter cannot carry out ${unsupported.join(', ')}` });
          continue;
        }
        const started = await carryOut(
          (on) => replayActions(on, c.seed, c.world, c.actions, undefined, signal),
          (outcome) => {
            if (cutOff || !counts(outcome)) return;
            if (outcome.kind === 'fault') return void errors.push(runError(-1, outcome.fault, c.id));
            replays.replayed += 1;
            tally(outcome.record, -1, c);
          },
        );
        if (!started) break;
        await breathe();
      }
    }

    /** A generated run's outcome, in run order. */
    const settleRun = (index: number, outcome: Outcome) => {
      if (cutOff || !counts(outcome)) return;
      executed += 1;
      if (outcome.kind === 'fault') {
        errors.push(runError(index, outcome.fault));
        consecutiveErrors += 1;
        if (consecutiveErrors >= maxErrors) {
          stop('adapter-gave-up', `${consecutiveErrors} runs in a row ended in adapter errors`);
          cutOff = true;
        }
      } else {
        consecutiveErrors = 0;
        tally(outcome.record, index);
      }
      const failedRules = [...firstFailures.values()].filter((f) => f.status === 'fail').length;
      options.onProgress?.({ phase: 'runs', done: options.shard ? executed : index + 1, total: shardTotal, failedRules, errors: errors.length });
    };
    const observe = fc.asyncProperty(arb, async (input: RunInput) => {
      const index = run++;
      if (!inShard(index, options.shard)) return true;
      await breathe();
      // A false ends fast-check's pass at once (endOnFailure); nothing else here returns false.
      if (mustStop()) return false;
      const started = await carryOut(
        (on) => executeRun(on, input, undefined, signal),
        (outcome) => settleRun(index, outcome),
      );
      return started && !stopped;
    });
    const observed = await fc.check(observe, { seed, numRuns: total, endOnFailure: true });
    if (workers) {
      await workers.drain();
      if (workers.failure !== undefined) throw workers.failure;
    }
    if (observed.failed && !stopped) throw observed.errorInstance ?? new Error('campaign: a run failed without an error');
  } finally {
    // Before shrinking, which runs on the campaign's own adapter alone.
    await workers?.close();
  }

  phase = 'shrink';
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
  const shrunk = new Map<RuleId, { result: ShrinkResult; elapsed: number }>();
  // In catalogue order: the headline rules first, so what they shrink to is met by the rest.
  const byCatalogue = [...firstFailures].sort(([a], [b]) => RULES.findIndex((r) => r.id === a) - RULES.findIndex((r) => r.id === b));
  const toShrink = byCatalogue.filter(([, first]) => options.shrink !== false && !first.corpus);
  const budget = shrinkBudget(caps.clock, options);
  /** Rules whose turn came after the overall shrink budget was spent. */
  const outOfBudget = new Set<RuleId>();
  let spent = 0;
  for (const [i, [ruleId, first]] of toShrink.entries()) {
    if (mustStop()) break;
    const left = budget.totalMs === undefined ? undefined : budget.totalMs - spent;
    if (left !== undefined && left <= 0) {
      outOfBudget.add(ruleId);
      continue;
    }
    const t0 = performance.now();
    const result = await shrink({
      adapter,
      arb,
      profile,
      seed,
      rule: ruleId,
      first,
      seen: harvest,
      timeLimitMs: left === undefined ? budget.ruleMs : Math.min(budget.ruleMs ?? left, left),
      mustStop,
      breathe,
      signal,
      onAttempt: (attempts, length) => options.onProgress?.({ phase: 'shrink', rule: ruleId, attempts, actions: length, rulesLeft: toShrink.length - i - 1 }),
    });
    const elapsed = performance.now() - t0;
    spent += elapsed;
    shrunk.set(ruleId, { result, elapsed });
  }

  for (const [ruleId, first] of firstFailures) {
    const own = shrunk.get(ruleId);
    const elapsed = own?.elapsed ?? 0;
    shrinkMs += elapsed;
    const from = first.record.actions.length;
    // A rule left without its own shrink by the budget takes, like a shrunk one, a shorter
    // failing run another rule's shrink came across.
    const other = (own || outOfBudget.has(ruleId)) && harvested.get(ruleId);
    const ownBest = own?.result.best;
    const useOther = !!other && other.record.actions.length < (ownBest ?? first).record.actions.length;
    const best = useOther ? other! : (ownBest ?? { record: first.record, outcome: first.outcome });
    const path = useOther ? '' : (own?.result.path ?? String(first.run));
    const report = first.corpus
      ? corpusShrink(first.corpus, from)
      : outOfBudget.has(ruleId)
        ? { status: best.record.actions.length < from ? ('partial' as const) : ('not-shrunk' as const), from, to: best.record.actions.length, attempts: 0, errors: 0, why: 'time-limit' as const }
        : shrinkReport(own?.result, from, best.record.actions.length, useOther, options.shrink === false);
    const origin = first.corpus ? (first.corpus.origin ?? { campaignSeed: seed, run: -1, path: '' }) : { campaignSeed: seed, run: first.run, length: from, path };
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
      shrunk: report.status !== 'not-shrunk',
      shrink: report,
      ...(report.why === 'time-limit' ? { shrinkTimedOut: true } : {}),
      shrinkMs: Math.round(elapsed),
      violations: best.outcome.violations,
      trace: best.record.trace.events,
    };
  }

  const evidence = {
    minEvidence,
    cleanRuns: executed - errors.filter((e) => e.run >= 0).length,
    corpusRuns: corpus?.replayed ?? 0,
    errorRuns: errors.length,
  };
  for (const t of tallies.values()) {
    t.situations = Object.fromEntries(situations.get(t.rule.id)!);
    const { verdict, reason } = decideVerdict(t.rule, t, caps, evidence);
    t.verdict = verdict;
    if (reason) t.reason = reason;
  }

  return {
    adapter: caps,
    profile,
    seed,
    runs: executed,
    total: shardTotal,
    minEvidence,
    rules: [...tallies.values()],
    actionCounts,
    errors,
    ...(stopped ? { stopped } : {}),
    stats: { wallMs: performance.now() - started, actions, events, shrinkMs, workers: size },
    ...(options.shard ? { shard: options.shard } : {}),
    ...(corpus ? { corpus } : {}),
  };
}

/** How shrinking went for a rule: `result` is undefined when no shrink ran. */
function shrinkReport(result: ShrinkResult | undefined, from: number, to: number, harvested: boolean, disabled: boolean): ShrinkReport {
  const counts = { from, to, attempts: result?.attempts ?? 0, errors: result?.errors ?? 0 };
  if (!result) return { status: 'not-shrunk', ...counts, why: disabled ? 'disabled' : 'stopped' };
  // A shorter run met while shrinking another rule was never shrunk itself: not known minimal.
  const status = result.finished && !harvested ? 'minimal' : to < from ? 'partial' : 'not-shrunk';
  return { status, ...counts, ...(result.why ? { why: result.why } : {}) };
}

/** A corpus case stands as it was saved: its own shrink report, or what its file said. */
function corpusShrink(c: CorpusCase, length: number): ShrinkReport {
  return c.shrink ?? { status: c.shrunk ? 'partial' : 'not-shrunk', from: length, to: length, attempts: 0, errors: 0 };
}

interface ShrinkResult {
  /** The smallest run that still failed the rule the same way; undefined when none did. */
  best?: { record: RunRecord; outcome: RuleOutcome };
  path?: string;
  /** fast-check ran out of smaller candidates: no single shrink step of `best` fails. */
  finished: boolean;
  /** Why it did not finish. */
  why?: ShrinkReport['why'];
  /** Runs carried out while shrinking, and those that ended in adapter errors. */
  attempts: number;
  errors: number;
}

interface ShrinkJob {
  adapter: Adapter;
  arb: fc.Arbitrary<RunInput>;
  profile: Profile;
  seed: number;
  rule: RuleId;
  first: FirstFailure;
  seen: (record: RunRecord, outcomes: readonly RuleOutcome[]) => void;
  timeLimitMs?: number;
  mustStop: () => boolean;
  breathe: () => Promise<void>;
  signal?: AbortSignal;
  onAttempt: (attempts: number, actions: number) => void;
}

/**
 * Replays the rule's first failing run and lets fast-check shrink it while the rule still
 * fails. A shrink attempt that ends in an adapter error does not reproduce the failure.
 */
async function shrink(job: ShrinkJob): Promise<ShrinkResult> {
  let best: ShrinkResult['best'];
  let attempts = 0;
  let errors = 0;
  let skipped = false;
  let kitError: unknown;
  const property = fc.asyncProperty(job.arb, async (input: RunInput) => {
    await job.breathe();
    // Once stopped, every candidate passes at once and fast-check's shrink runs out.
    if (kitError !== undefined || job.mustStop()) {
      skipped = true;
      return true;
    }
    attempts += 1;
    let record: RunRecord;
    try {
      record = await executeRun(job.adapter, input, undefined, job.signal);
    } catch (err) {
      if (err instanceof RunInterrupted) job.mustStop();
      else if (isAdapterFault(err)) errors += 1;
      else kitError = err;
      return true;
    }
    const outcomes = judge(record.trace, job.profile);
    job.seen(record, outcomes);
    const outcome = outcomes.find((o) => o.rule === job.rule)!;
    const failing = outcome.status === job.first.status;
    if (failing) best = { record, outcome };
    job.onAttempt(attempts, (best ?? job.first).record.actions.length);
    return !failing;
  });
  // Skip, never interrupt: fast-check's interruptAfterTimeLimit races an async run against
  // the clock and walks away from the loser, which keeps driving the adapter while the next
  // shrink resets it, and whose mixed-up trace would still be judged when it ends.
  const started = performance.now();
  const details = await fc.check(property, { seed: job.seed, path: String(job.first.run), ...(job.timeLimitMs ? { skipAllAfterTimeLimit: job.timeLimitMs } : {}) });
  if (kitError !== undefined) throw kitError;
  const timedOut = job.timeLimitMs !== undefined && performance.now() - started >= job.timeLimitMs;
  const why: ShrinkReport['why'] = skipped ? 'stopped' : timedOut || details.numSkips > 0 ? 'time-limit' : best ? undefined : 'not-reproduced';
  return {
    best,
    path: best ? (details.counterexamplePath ?? String(job.first.run)) : undefined,
    // Without a reproduction, fast-check had nothing to shrink: not a minimal run.
    finished: best !== undefined && why === undefined,
    ...(why ? { why } : {}),
    attempts,
    errors,
  };
}
