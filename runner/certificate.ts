/**
 * Certificates: what a certification campaign established about one adapter, as a
 * self-checking JSON document. It records the kit and generator that produced it, the
 * adapter, the campaigns (seeds, run counts, shards), the regression corpus replayed, and per
 * profile every rule's verdict with its coverage and counterexample. `hash` is a SHA-256 over
 * the canonical JSON of everything else (see canonicalJson), so any edit is detected.
 *
 * Certificates hold no wall-clock times: the same seeds give the same certificate, byte for
 * byte, and merging the shards of a campaign gives exactly the unsharded certificate.
 */
import { createHash } from 'node:crypto';
import { ACTION_KINDS, RULES, RULES_BY_ID, SETTLE_MS, type ActionKind, type Capabilities, type Profile, type RuleId, type Verdict } from '../spec';
import fc from 'fast-check';
import { SimulatedAdapter } from '../adapters/reference';
import { ACTION_WEIGHTS, runArb, type GeneratorOptions } from '../generators';
import { resolveGeneratorOptions, type ResolvedGeneratorOptions } from '../generators/options';
import type { CampaignResult, RunError } from './campaign';
import { decideVerdict, DEFAULT_MIN_EVIDENCE } from './verdict';
import type { CorpusCase } from './corpus';
import { executeRun } from './execute';
import type { Counterexample } from './counterexample';
import { shardRuns, type Shard } from './shard';
import { KIT_VERSION } from './version';

export const CERTIFICATE_FORMAT = 'dcomkit-certificate/1';

/** A counterexample as a certificate keeps it: everything needed to replay it, no timing. */
export type CertifiedCounterexample = Omit<Counterexample, 'shrinkMs'> & {
  /** The corpus case it is, when it came from the regression corpus. */
  corpusCase?: string;
};

export interface CertifiedRule {
  id: RuleId;
  title: string;
  statement: string;
  /** Where the rule comes from: KB articles and MS-DCOM sections. */
  sources: string[];
  informational?: boolean;
  verdict: Verdict;
  /** Runs (random and corpus) that exercised the rule. */
  runs: number;
  failures: number;
  nonStrict: number;
  /** The rule's interesting situations and how often each came up. */
  situations: Record<string, number>;
  /** The first run (1-based, in campaign order) that failed the rule; 0 for a corpus case. */
  firstFailedRun?: number;
  /** Why the rule could not be judged OK, when UNIMPLEMENTED or INCONCLUSIVE. */
  reason?: string;
  counterexample?: CertifiedCounterexample;
}

export interface ProfileResult {
  profile: Profile;
  /** Random runs executed, over all campaigns. */
  runs: number;
  /** Corpus cases replayed, and those the adapter cannot carry out. */
  corpusRuns: number;
  corpusSkipped: { id: string; reason: string }[];
  /** How often each action kind ran (every kind the adapter supports, zeros included). */
  actionCounts: Partial<Record<ActionKind, number>>;
  rules: CertifiedRule[];
  errors: RunError[];
}

export interface CertificateCampaign {
  seed: number;
  /** Runs of the whole campaign; a shard executes its share of them. */
  runs: number;
  shard?: Shard;
}

export interface Certificate {
  format: typeof CERTIFICATE_FORMAT;
  kitVersion: string;
  generator: {
    /** SHA-256 of everything that shapes generated runs and their judgement (generatorSchema). */
    schemaHash: string;
    options: ResolvedGeneratorOptions;
    /** By action kind; a kit of another version may not know every kind of this one's. */
    weights: Partial<Record<ActionKind, number>>;
    settleMs: number;
    fastCheck: string;
  };
  adapter: Pick<Capabilities, 'name' | 'version' | 'actions' | 'observes' | 'clock'> & { spec?: Counterexample['adapter']['spec'] };
  /** Runs that had to exercise a rule before it could be OK. */
  minEvidence: number;
  profiles: Profile[];
  campaigns: CertificateCampaign[];
  corpus: CorpusCase[];
  results: ProfileResult[];
  /** "sha256:" + hex digest of canonicalJson(the certificate without this field). */
  hash: string;
}

// --- canonical JSON and hashing -------------------------------------------------------------

/**
 * Canonical JSON, as in RFC 8785 (JCS): no whitespace; object keys sorted by UTF-16 code
 * units; members whose value is undefined left out (as JSON.stringify does); numbers and
 * strings serialised as ECMAScript's JSON.stringify does; arrays keep their order. Numbers
 * that JSON cannot carry (NaN, Infinity) are an error rather than silently null.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new Error(`canonicalJson: a ${typeof value} has no JSON form`);
}

export function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** The hash a certificate should carry: over all of it but the `hash` field. */
export function certificateHash(cert: Omit<Certificate, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...content } = cert;
  return sha256(canonicalJson(content));
}

export function seal(content: Omit<Certificate, 'hash'>): Certificate {
  return { ...content, hash: certificateHash(content) };
}

// --- the generator schema -------------------------------------------------------------------

function fastCheckVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('fast-check/package.json') as { version: string }).version;
}

const PROBE_SEED = 20240607;
const PROBE_RUNS = 24;
const probes = new Map<string, Promise<string>>();

/**
 * A fingerprint of generation itself: the action sequences of a fixed sample of runs, carried
 * out on the reference simulation. Any change to the generators that alters what a seed
 * produces (arbitraries, the command model, weights) changes it, where comments do not.
 */
export function generatorProbe(options: GeneratorOptions = {}): Promise<string> {
  const resolved = resolveGeneratorOptions(options);
  const key = canonicalJson(resolved);
  let probe = probes.get(key);
  if (!probe) {
    probe = (async () => {
      const adapter = new SimulatedAdapter('reference');
      const inputs = fc.sample(runArb(adapter.capabilities, resolved), { seed: PROBE_SEED, numRuns: PROBE_RUNS });
      const runs: unknown[] = [];
      for (const input of inputs) {
        const record = await executeRun(adapter, input);
        runs.push([input.seed, input.world, record.actions]);
      }
      return sha256(canonicalJson(runs));
    })();
    probes.set(key, probe);
  }
  return probe;
}

/**
 * What shapes generated runs and how they are judged: the action weights, the generator
 * options, the settle period, the fast-check release (its generation from a seed), a probe of
 * generation itself and the rule catalogue. Two kits with the same schema hash generate the
 * same runs from a seed.
 */
export async function generatorSchema(options: GeneratorOptions = {}) {
  return {
    weights: ACTION_WEIGHTS,
    options: resolveGeneratorOptions(options),
    settleMs: SETTLE_MS,
    fastCheck: fastCheckVersion(),
    probe: await generatorProbe(options),
    rules: RULES.map((r) => ({ id: r.id, statement: r.statement, profiles: r.profiles, informational: r.informational ?? false, needs: r.needs, observes: r.observes })),
  };
}

export async function generatorSchemaHash(options: GeneratorOptions = {}): Promise<string> {
  return sha256(canonicalJson(await generatorSchema(options)));
}

// --- building -------------------------------------------------------------------------------

export interface CertificateInput {
  adapter: Capabilities;
  spec?: Counterexample['adapter']['spec'];
  generator?: GeneratorOptions;
  campaign: CertificateCampaign;
  corpus?: readonly CorpusCase[];
  /** One campaign result per profile, all from the same seed, runs and shard. */
  results: readonly CampaignResult[];
}

/** Runs that ended cleanly, of a profile's random runs. */
export function cleanRunsOf(r: Pick<ProfileResult, 'runs' | 'errors'>): number {
  return r.runs - r.errors.filter((e) => e.run >= 0).length;
}

function certifiedCounterexample(cx: Counterexample, corpusCase: string | undefined): CertifiedCounterexample {
  const { shrinkMs: _time, ...rest } = cx;
  return corpusCase ? { ...rest, corpusCase } : rest;
}

function actionCountsFor(adapter: Pick<Capabilities, 'actions'>, counts: Partial<Record<ActionKind, number>>): Partial<Record<ActionKind, number>> {
  const out: Partial<Record<ActionKind, number>> = {};
  for (const k of ACTION_KINDS) if (adapter.actions.includes(k) || counts[k]) out[k] = counts[k] ?? 0;
  return out;
}

function sortedSituations(s: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(s).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)));
}

export async function buildCertificate(input: CertificateInput): Promise<Certificate> {
  const caps = input.adapter;
  const options = resolveGeneratorOptions(input.generator);
  const schema = await generatorSchema(options);
  const results: ProfileResult[] = input.results.map((r) => ({
    profile: r.profile,
    runs: r.runs,
    corpusRuns: r.corpus?.replayed ?? 0,
    corpusSkipped: r.corpus?.skipped ?? [],
    actionCounts: actionCountsFor(caps, r.actionCounts),
    rules: r.rules.map((t) => ({
      id: t.rule.id,
      title: t.rule.title,
      statement: t.rule.statement,
      sources: t.rule.sources,
      ...(t.rule.informational ? { informational: true } : {}),
      verdict: t.verdict,
      runs: t.runs,
      failures: t.failures,
      nonStrict: t.nonStrict,
      ...(t.firstFailedRun !== undefined ? { firstFailedRun: t.firstFailedRun } : {}),
      situations: sortedSituations(t.situations),
      ...(t.reason ? { reason: t.reason } : {}),
      ...(t.counterexample ? { counterexample: certifiedCounterexample({ ...t.counterexample, adapter: { ...t.counterexample.adapter, ...(input.spec ? { spec: input.spec } : {}) } }, t.corpusCase) } : {}),
    })),
    errors: r.errors,
  }));
  return seal({
    format: CERTIFICATE_FORMAT,
    kitVersion: KIT_VERSION,
    generator: { schemaHash: sha256(canonicalJson(schema)), options, weights: { ...ACTION_WEIGHTS }, settleMs: SETTLE_MS, fastCheck: schema.fastCheck },
    adapter: { name: caps.name, version: caps.version, actions: [...caps.actions], observes: [...caps.observes], clock: caps.clock, ...(input.spec ? { spec: input.spec } : {}) },
    minEvidence: input.results[0]?.minEvidence ?? DEFAULT_MIN_EVIDENCE,
    profiles: input.results.map((r) => r.profile),
    campaigns: [input.campaign.shard && input.campaign.shard.count > 1 ? input.campaign : { seed: input.campaign.seed, runs: input.campaign.runs }],
    corpus: [...(input.corpus ?? [])],
    results,
  });
}

/** A certified counterexample as a counterexample file `dcomkit replay` accepts. */
export function toCounterexample(cert: Certificate, cx: CertifiedCounterexample): Counterexample {
  const { corpusCase: _case, ...rest } = cx;
  return { ...rest, adapter: { ...rest.adapter, ...(cert.adapter.spec && !rest.adapter.spec ? { spec: cert.adapter.spec } : {}) }, shrinkMs: 0 };
}

// --- validation -----------------------------------------------------------------------------

/** Input that is not a certificate, or certificates that cannot be combined. */
export class CertificateError extends Error {
  override name = 'CertificateError';
}

/**
 * What is wrong with a certificate as it stands, if anything: a hash that does not match its
 * content, or counts that cannot be what a campaign produced (more failures than runs, a
 * verdict its counts do not give, more runs than its campaigns had). A certificate whose
 * counts were edited and its hash computed again passes the first check but not the second
 * unless the edit was itself consistent, which only `dcomkit verify` re-running it can catch.
 */
export function certificateProblem(cert: Certificate): string | undefined {
  if (certificateHash(cert) !== cert.hash) return 'its hash does not match its content (edited after it was written)';
  const campaignRuns = cert.campaigns.reduce((n, c) => n + shardRuns(c.runs, c.shard), 0);
  for (const r of cert.results) {
    const errorRuns = r.errors.filter((e) => e.run >= 0).length;
    if (r.runs > campaignRuns || errorRuns > r.runs) return `${r.profile}: ${r.runs} runs and ${errorRuns} adapter errors do not fit its campaigns (${campaignRuns} runs)`;
    const evidence = { minEvidence: cert.minEvidence, cleanRuns: r.runs - errorRuns, corpusRuns: r.corpusRuns, errorRuns: r.errors.length };
    for (const t of r.rules) {
      const rule = RULES_BY_ID.get(t.id)!;
      if (t.runs > r.runs + r.corpusRuns || t.failures > t.runs || t.nonStrict > t.runs) return `${r.profile} ${t.id}: ${t.runs} runs, ${t.failures} failures, ${t.nonStrict} non-strict do not fit ${r.runs} runs`;
      if (Object.values(t.situations).some((n) => n > t.runs)) return `${r.profile} ${t.id}: a situation counted more often than the rule's ${t.runs} runs`;
      const decided = decideVerdict(rule, t, cert.adapter, evidence).verdict;
      if (decided !== t.verdict) return `${r.profile} ${t.id}: verdict ${t.verdict}, but its counts give ${decided}`;
      if ((t.verdict === 'FAILED' || t.verdict === 'NON-STRICT') !== !!t.counterexample) return `${r.profile} ${t.id}: a ${t.verdict} verdict ${t.counterexample ? 'with' : 'without'} a counterexample`;
    }
  }
  return undefined;
}

// --- merging --------------------------------------------------------------------------------

function campaignKey(c: CertificateCampaign): string {
  return `${c.seed}/${c.runs}`;
}

/** Groups the shards of each campaign; complete groups collapse into the unsharded campaign. */
function mergeCampaigns(all: CertificateCampaign[]): { campaigns: CertificateCampaign[]; missing: string[] } {
  const groups = new Map<string, CertificateCampaign[]>();
  for (const c of all) groups.set(campaignKey(c), [...(groups.get(campaignKey(c)) ?? []), c]);
  const campaigns: CertificateCampaign[] = [];
  const missing: string[] = [];
  const sortedKeys = [...groups.keys()].sort((a, b) => {
    const [sa, ra] = a.split('/').map(Number);
    const [sb, rb] = b.split('/').map(Number);
    return sa - sb || ra - rb;
  });
  for (const key of sortedKeys) {
    const group = groups.get(key)!;
    const [seed, runs] = key.split('/').map(Number);
    const whole = group.filter((c) => !c.shard);
    const shards = group.filter((c) => c.shard).sort((a, b) => a.shard!.index - b.shard!.index);
    if (whole.length > 1 || (whole.length && shards.length)) throw new CertificateError(`campaign seed ${seed} with ${runs} runs appears more than once`);
    if (whole.length) {
      campaigns.push(whole[0]);
      continue;
    }
    const count = shards[0].shard!.count;
    if (shards.some((c) => c.shard!.count !== count)) throw new CertificateError(`campaign seed ${seed} with ${runs} runs is split into different shard counts`);
    const seen = new Set<number>();
    for (const c of shards) {
      if (seen.has(c.shard!.index)) throw new CertificateError(`shard ${c.shard!.index}/${count} of seed ${seed} appears more than once`);
      seen.add(c.shard!.index);
    }
    if (seen.size === count) {
      campaigns.push({ seed, runs });
    } else {
      campaigns.push(...shards);
      const absent = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
      missing.push(`seed ${seed}: shard${absent.length === 1 ? '' : 's'} ${absent.map((i) => `${i}/${count}`).join(', ')}`);
    }
  }
  return { campaigns, missing };
}

/** Which of two counterexamples for a rule a merged certificate keeps: the one the unsharded campaign would have. */
function better(a: CertifiedCounterexample, b: CertifiedCounterexample, order: Map<number, number>): CertifiedCounterexample {
  const rank = (c: CertifiedCounterexample) => [c.verdict === 'FAILED' ? 0 : 1, c.corpusCase ? 0 : 1, c.corpusCase ? 0 : (order.get(c.origin.campaignSeed) ?? 0), c.corpusCase ? 0 : (c.origin.length ?? Infinity), c.corpusCase ? 0 : c.origin.run];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] < rb[i] ? a : b;
  return a;
}

export interface MergeResult {
  certificate: Certificate;
  /** Shards absent from a campaign ("seed 1: shard 3/4"); empty when every campaign is complete. */
  missing: string[];
}

/**
 * Combines certificates of the same adapter, kit and generator: the shards of a campaign
 * (into the unsharded campaign, when all are there) or campaigns of different seeds. Counts
 * add up, verdicts are decided again from them, and each rule keeps the counterexample the
 * combined campaign would have chosen.
 */
export function mergeCertificates(certs: readonly Certificate[]): MergeResult {
  if (certs.length === 0) throw new CertificateError('nothing to merge');
  for (const [i, c] of certs.entries()) {
    const problem = certificateProblem(c);
    if (problem) throw new CertificateError(`certificate ${i + 1} (${describeCampaigns(c.campaigns)}) cannot be merged: ${problem}`);
  }
  const first = certs[0];
  const same = (what: string, f: (c: Certificate) => unknown) => {
    const want = canonicalJson(f(first));
    for (const c of certs.slice(1)) {
      if (canonicalJson(f(c)) !== want) throw new CertificateError(`cannot merge certificates of different ${what}: ${canonicalJson(f(first))} and ${canonicalJson(f(c))}`);
    }
  };
  same('adapters', (c) => [c.adapter.name, c.adapter.version]);
  same('kit versions', (c) => c.kitVersion);
  same('generators (schema hash)', (c) => c.generator.schemaHash);
  same('profiles', (c) => c.profiles);
  same('evidence thresholds', (c) => c.minEvidence);

  const { campaigns, missing } = mergeCampaigns(certs.flatMap((c) => c.campaigns));
  const order = new Map<number, number>();
  campaigns.forEach((c, i) => (order.has(c.seed) ? undefined : order.set(c.seed, i)));

  const corpus = new Map<string, CorpusCase>();
  for (const c of certs) for (const k of c.corpus) if (!corpus.has(k.id)) corpus.set(k.id, k);

  const results: ProfileResult[] = first.profiles.map((profile) => {
    const parts = certs.map((c) => c.results.find((r) => r.profile === profile)!);
    const runs = parts.reduce((n, r) => n + r.runs, 0);
    const corpusRuns = parts.reduce((n, r) => n + r.corpusRuns, 0);
    const skipped = new Map<string, { id: string; reason: string }>();
    for (const r of parts) for (const s of r.corpusSkipped) skipped.set(s.id, s);
    const errors = parts.flatMap((r) => r.errors).sort((a, b) => a.run - b.run);
    const actionCounts: Partial<Record<ActionKind, number>> = {};
    for (const k of ACTION_KINDS) {
      if (parts.some((r) => r.actionCounts[k] !== undefined)) actionCounts[k] = parts.reduce((n, r) => n + (r.actionCounts[k] ?? 0), 0);
    }
    const rules: CertifiedRule[] = first.results.find((r) => r.profile === profile)!.rules.map((template) => {
      const tallies = parts.map((r) => r.rules.find((t) => t.id === template.id)!);
      // Shards number runs as their campaign does, so the earliest is the unsharded campaign's.
      const firsts = tallies.flatMap((t) => (t.firstFailedRun === undefined ? [] : [t.firstFailedRun]));
      const merged: CertifiedRule = {
        id: template.id,
        title: template.title,
        statement: template.statement,
        sources: template.sources,
        ...(template.informational ? { informational: true } : {}),
        verdict: 'INCONCLUSIVE',
        runs: tallies.reduce((n, t) => n + t.runs, 0),
        failures: tallies.reduce((n, t) => n + t.failures, 0),
        nonStrict: tallies.reduce((n, t) => n + t.nonStrict, 0),
        ...(firsts.length ? { firstFailedRun: Math.min(...firsts) } : {}),
        situations: {},
      };
      const situations: Record<string, number> = {};
      for (const t of tallies) for (const [s, n] of Object.entries(t.situations)) situations[s] = (situations[s] ?? 0) + n;
      merged.situations = sortedSituations(situations);
      const decided = decideVerdict(RULES_BY_ID.get(template.id)!, merged, first.adapter, {
        minEvidence: first.minEvidence,
        cleanRuns: runs - errors.filter((e) => e.run >= 0).length,
        corpusRuns,
        errorRuns: errors.length,
      });
      merged.verdict = decided.verdict;
      if (decided.reason) merged.reason = decided.reason;
      const cxs = tallies.map((t) => t.counterexample).filter((c): c is CertifiedCounterexample => !!c);
      if (cxs.length) merged.counterexample = cxs.reduce((a, b) => better(a, b, order));
      return merged;
    });
    return { profile, runs, corpusRuns, corpusSkipped: [...skipped.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), actionCounts, rules, errors };
  });

  const { hash: _h, ...content } = first;
  return { certificate: seal({ ...content, campaigns, corpus: [...corpus.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), results }), missing };
}

// --- diffing --------------------------------------------------------------------------------

export interface VerdictChange {
  profile: Profile;
  rule: RuleId;
  /** undefined: the rule was not judged under this profile in that certificate. */
  from?: Verdict;
  to?: Verdict;
}

export interface CertificateDiff {
  changes: VerdictChange[];
  unchanged: number;
}

/** Which rules changed verdict between two certificates, profile by profile. */
export function diffCertificates(a: Certificate, b: Certificate): CertificateDiff {
  const profiles = [...new Set([...a.profiles, ...b.profiles])];
  const changes: VerdictChange[] = [];
  let unchanged = 0;
  for (const profile of profiles) {
    const ra = a.results.find((r) => r.profile === profile);
    const rb = b.results.find((r) => r.profile === profile);
    const ids = RULES.map((r) => r.id).filter((id) => ra?.rules.some((t) => t.id === id) || rb?.rules.some((t) => t.id === id));
    for (const rule of ids) {
      const from = ra?.rules.find((t) => t.id === rule)?.verdict;
      const to = rb?.rules.find((t) => t.id === rule)?.verdict;
      if (from === to) unchanged += 1;
      else changes.push({ profile, rule, from, to });
    }
  }
  return { changes, unchanged };
}

/** "seed 1: 500 runs; seed 2: shard 1/4 of 1000 runs" */
export function describeCampaigns(campaigns: readonly CertificateCampaign[]): string {
  return campaigns.map((c) => `seed ${c.seed}: ${c.shard ? `shard ${c.shard.index}/${c.shard.count} of ` : ''}${c.runs} runs`).join('; ');
}
