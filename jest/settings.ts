/** describeConformance's options, with the environment's overrides, checked once when the tests are declared. */
import { PROFILES, RULE_IDS, type Profile, type RuleId } from '../spec';
import { DEFAULT_MIN_EVIDENCE } from '../runner/verdict';
import { DEFAULT_RUNS } from '../runner/campaign';

export interface ConformanceOptions {
  /** Generated runs. Default 100. The environment variable DCOMKIT_RUNS overrides it. */
  runs?: number;
  /**
   * Campaign seed: the same seed gives the same runs. Default: drawn from the clock, and
   * printed with every failure. The environment variable DCOMKIT_SEED overrides it.
   */
  seed?: number;
  /** 'strict' (MS-DCOM plus the KB fixes) or 'nt4' (also what the KB articles call by design). Default 'strict'. */
  profile?: Profile;
  /** Most actions in one run. Default 20. */
  maxActions?: number;
  /** Most seconds spent shrinking each failed rule; the smallest failing run found by then stands. Default: no limit. */
  shrinkTime?: number;
  /** Shrink failures into short counterexamples. Default true. */
  shrink?: boolean;
  /** Runs that must exercise a rule before it can pass; fewer is INCONCLUSIVE, which fails. Default 5. */
  minEvidence?: number;
  /**
   * A regression corpus folder, as `dcomkit run --corpus`: its counterexamples replay before
   * the random runs, and new counterexamples are added to it. Default: none.
   */
  corpus?: string;
  /** Where counterexample files are written. Default .dcomkit/counterexamples, under the working directory. */
  out?: string;
  /**
   * Real ms the campaign may take (the timeout of the beforeAll that runs it). The campaign
   * stops a little before, with what it has, and the adapter test fails. Default 600000 (10 minutes).
   */
  timeout?: number;
  /** Options handed to the adapter factory's create(). Default none. */
  adapterOptions?: Record<string, unknown>;
  /** The describe block's title. Default "dcomkit conformance: " and the adapter. */
  title?: string;
  /**
   * Rules the adapter can never exercise although it has the actions and observations they
   * need (no run of its can reach the situation), each with why: skipped, with the reason in
   * the title, instead of failing for lack of evidence. Should such a rule be judged after
   * all, the adapter test fails. Default none.
   */
  unimplemented?: Partial<Record<RuleId, string>>;
}

export interface Settings {
  runs: number;
  seed: number;
  profile: Profile;
  maxActions: number;
  shrinkTimeMs?: number;
  shrink: boolean;
  minEvidence: number;
  corpus?: string;
  out: string;
  timeout: number;
  adapterOptions?: Record<string, unknown>;
  unimplemented: Map<RuleId, string>;
}

/** A mistake in describeConformance's arguments: jest reports the test file as failing to run, with this one line. */
export class ConformanceUsageError extends Error {
  override name = 'ConformanceUsageError';
  constructor(message: string) {
    super(`describeConformance: ${message}`);
    this.stack = this.message;
  }
}

function whole(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConformanceUsageError(`${what} takes a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** The options in force: DCOMKIT_RUNS and DCOMKIT_SEED win over the code, so a failure's seed can be replayed from the shell. */
export function resolveSettings(options: ConformanceOptions, env: NodeJS.ProcessEnv = process.env, now = Date.now()): Settings {
  const runs = env.DCOMKIT_RUNS !== undefined && env.DCOMKIT_RUNS !== '' ? whole(env.DCOMKIT_RUNS, 'DCOMKIT_RUNS', 1) : whole(options.runs ?? DEFAULT_RUNS, 'runs', 1);
  const seed =
    env.DCOMKIT_SEED !== undefined && env.DCOMKIT_SEED !== ''
      ? whole(env.DCOMKIT_SEED, 'DCOMKIT_SEED', 0, 0x7fffffff)
      : options.seed === undefined
        ? now % 0x7fffffff
        : whole(options.seed, 'seed', 0, 0x7fffffff);
  const profile = options.profile ?? 'strict';
  if (!(PROFILES as readonly string[]).includes(profile)) throw new ConformanceUsageError(`profile is one of ${PROFILES.join(', ')}, not ${JSON.stringify(profile)}`);
  return {
    runs,
    seed,
    profile,
    maxActions: whole(options.maxActions ?? 20, 'maxActions', 1),
    ...(options.shrinkTime === undefined ? {} : { shrinkTimeMs: whole(options.shrinkTime, 'shrinkTime', 1) * 1000 }),
    shrink: options.shrink ?? true,
    minEvidence: whole(options.minEvidence ?? DEFAULT_MIN_EVIDENCE, 'minEvidence', 1),
    ...(options.corpus === undefined ? {} : { corpus: options.corpus }),
    out: options.out ?? '.dcomkit/counterexamples',
    timeout: whole(options.timeout ?? 600_000, 'timeout', 1),
    ...(options.adapterOptions ? { adapterOptions: options.adapterOptions } : {}),
    unimplemented: unimplementedRules(options.unimplemented),
  };
}

function unimplementedRules(given: ConformanceOptions['unimplemented']): Map<RuleId, string> {
  const out = new Map<RuleId, string>();
  for (const [id, why] of Object.entries(given ?? {})) {
    if (!(RULE_IDS as readonly string[]).includes(id)) throw new ConformanceUsageError(`unimplemented names no rule '${id}' (rules: ${RULE_IDS.join(', ')})`);
    if (typeof why !== 'string' || !why.trim()) throw new ConformanceUsageError(`unimplemented.${id} needs the reason, as a string`);
    out.set(id as RuleId, why.trim());
  }
  return out;
}
