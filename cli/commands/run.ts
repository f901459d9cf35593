import { existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatCampaign, formatErrors, formatHeader } from '../../report';
import { attempted, DEFAULT_REAL_CLOCK_RUNS, DEFAULT_RUNS, defaultRuns, KIT_VERSION, mostlyErrors, runCampaign, type CampaignOptions, type CampaignResult } from '../../runner';
import { CorpusError, loadCorpus, saveToCorpus, type CorpusCase } from '../../runner/corpus';
import { parseShard, shardRuns, type Shard } from '../../runner/shard';
import { DEFAULT_MIN_EVIDENCE } from '../../runner/verdict';
import type { Adapter, Profile } from '../../spec';
import { ADAPTER_HELP, adapterSpec, defaultWorkers, openAdapter, type AdapterFlags, type AdapterSpec } from '../adapter';
import { intFlag, LIMITS, parse, profileValue, seedValue } from '../args';
import { EXIT, UsageError } from '../errors';
import { exitCodeFor, interruptedBy, interruptible } from '../interrupt';
import { checkCanCreateDir, ensureWritableDir, ensureWritableFile, writeAtomic } from '../output';
import { Progress } from '../progress';

/** Real seconds a whole campaign may take by default: a CI job's budget, not a soak test's. */
export const DEFAULT_TIME_LIMIT_S = 1800;

export const CAMPAIGN_HELP = `  --seed S                campaign seed, for a repeatable campaign (default: from the clock;
                          printed before the first run)
  --max-actions N         most actions in one run (default 20)
  --shrink-time S         most seconds spent shrinking each failed rule; the smallest
                          failing run found by then stands (default: no limit; 20 for an
                          adapter on a real clock)
  --shrink-total S        most seconds spent shrinking all failed rules together (default:
                          no limit; 45 for an adapter on a real clock without --shrink-time)
  --time-limit S          most seconds the whole campaign may take, shrinking included;
                          then it stops and reports what it finished (default ${DEFAULT_TIME_LIMIT_S})
  --min-evidence N        runs that must exercise a rule before it can be OK; fewer is
                          INCONCLUSIVE (default ${DEFAULT_MIN_EVIDENCE})
  --corpus DIR            regression corpus: replay every counterexample in DIR before the
                          random runs (their verdicts count), and add new ones to it; DIR
                          must exist unless --create-corpus is given
  --create-corpus         create the --corpus folder if it does not exist
  --shard i/n             execute only shard i of n of the runs (1-based); shards of the same
                          seed and --runs together execute exactly the unsharded campaign
  --workers N             adapter instances running runs at once; the results are the same
                          for any N (default: what the adapter declares for this machine,
                          e.g. node-dcom and wine one per core; 1 for simulations and
                          --adapter-cmd)`;

export const EXIT_HELP = `Exit codes: 0 no rule FAILED; 1 some rule FAILED; 2 usage error, an adapter that
cannot be used, or no verdict (most runs ended in adapter errors, the adapter kept
failing, or the time limit passed); 130 / 143 stopped by SIGINT / SIGTERM (what finished
is printed, marked PARTIAL).`;

export const RUN_HELP = `Usage: dcomkit run [options]

Generates random runs of client, server and environment actions, carries them out on an
adapter, judges every trace by every rule, and shrinks each failure to a counterexample.
A run in which the adapter hangs, crashes or breaks the protocol is an adapter error: it is
reported (on stderr, in the adapter's own words) and never judged.

Options:
  --runs N                generated runs (default ${DEFAULT_RUNS}; ${DEFAULT_REAL_CLOCK_RUNS} on an adapter with a real
                          clock, whose runs take real seconds)
  --profile strict|nt4    strict: MS-DCOM plus the KB fixes; nt4 also admits behaviour the
                          KB articles document as by design (default strict)
${CAMPAIGN_HELP}
  --out DIR               where counterexample files go (default .dcomkit/counterexamples)
  --json FILE             also write the full result as JSON ('-': to stdout, and the
                          report to stderr)
  --no-shrink             report failures without shrinking them
  -h, --help              this text

${ADAPTER_HELP}

${EXIT_HELP}`;

/** The flags every campaign command (run, certify) takes. */
export const CAMPAIGN_OPTIONS = {
  adapter: { type: 'string' },
  'adapter-cmd': { type: 'string' },
  'step-timeout': { type: 'string' },
  profile: { type: 'string' },
  runs: { type: 'string' },
  seed: { type: 'string' },
  'max-actions': { type: 'string' },
  'shrink-time': { type: 'string' },
  'shrink-total': { type: 'string' },
  'time-limit': { type: 'string' },
  'min-evidence': { type: 'string' },
  out: { type: 'string' },
  corpus: { type: 'string' },
  'create-corpus': { type: 'boolean' },
  shard: { type: 'string' },
  workers: { type: 'string' },
} as const;

export const RUN_OPTIONS = {
  ...CAMPAIGN_OPTIONS,
  json: { type: 'string' },
  'no-shrink': { type: 'boolean' },
} as const;

type CampaignValues = { [K in keyof typeof CAMPAIGN_OPTIONS]?: (typeof CAMPAIGN_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The campaign flags, checked: every mistake is a usage error before any work. */
export interface CampaignSettings {
  runs: number;
  seed: number;
  maxActions: number;
  shrinkTimeMs?: number;
  shrinkTotalMs?: number;
  timeLimitMs: number;
  minEvidence: number;
  corpus?: CorpusCase[];
  shard?: Shard;
  /** Adapter instances at once; undefined: the adapter's default (workersFor). */
  workers?: number;
  spec: AdapterSpec;
}

export function campaignSettings(values: CampaignValues, defaultRuns: number): CampaignSettings {
  const runs = intFlag(values.runs, '--runs', defaultRuns, LIMITS.runs);
  const minEvidence = intFlag(values['min-evidence'], '--min-evidence', DEFAULT_MIN_EVIDENCE, LIMITS.minEvidence);
  return {
    runs,
    seed: seedValue(values.seed) ?? Date.now() % 0x7fffffff,
    maxActions: intFlag(values['max-actions'], '--max-actions', 20, LIMITS.maxActions),
    shrinkTimeMs: values['shrink-time'] === undefined ? undefined : intFlag(values['shrink-time'], '--shrink-time', 0, LIMITS.shrinkTime) * 1000,
    shrinkTotalMs: values['shrink-total'] === undefined ? undefined : intFlag(values['shrink-total'], '--shrink-total', 0, LIMITS.shrinkTime) * 1000,
    timeLimitMs: intFlag(values['time-limit'], '--time-limit', DEFAULT_TIME_LIMIT_S, LIMITS.timeLimit) * 1000,
    minEvidence,
    corpus: corpusValue(values.corpus, values['create-corpus'] === true),
    shard: shardValue(values.shard),
    workers: values.workers === undefined ? undefined : intFlag(values.workers, '--workers', 1, LIMITS.workers),
    spec: adapterSpec(values),
  };
}

/** --corpus DIR as cases, with a malformed or missing corpus reported as a usage error. */
export function corpusValue(dir: string | undefined, create = false): CorpusCase[] | undefined {
  if (dir === undefined) return undefined;
  if (!existsSync(dir)) {
    if (!create) throw new UsageError(`--corpus ${dir}: no such folder (give --create-corpus to start a new corpus there)`);
    ensureWritableDir(dir, '--corpus');
    return [];
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`--corpus ${dir}: not a folder`);
  ensureWritableDir(dir, '--corpus');
  try {
    return loadCorpus(dir);
  } catch (err) {
    if (err instanceof CorpusError) throw new UsageError(err.message);
    throw err;
  }
}

export function shardValue(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  const shard = parseShard(text);
  if (typeof shard === 'string') throw new UsageError(shard);
  return shard;
}

/** The command line that repeats a campaign exactly: the same arguments, with its seed. */
export function repeatCommand(command: string, args: readonly string[], seed: number): string {
  const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  const hasSeed = args.some((a) => a === '--seed' || a.startsWith('--seed='));
  return ['dcomkit', command, ...quoted, ...(hasSeed ? [] : ['--seed', String(seed)])].join(' ');
}

/** The workers a campaign runs with: --workers, else what suits the adapter; and how the others open. */
export function workersFor(settings: CampaignSettings, adapter: Adapter, flags: AdapterFlags): Pick<CampaignOptions, 'workers' | 'open'> {
  return { workers: settings.workers ?? defaultWorkers(settings.spec, adapter), open: () => openAdapter(settings.spec, flags) };
}

/** ", 2 workers" for a header line; nothing for one. */
export function workersText(workers: number | undefined): string {
  return workers && workers > 1 ? `, ${workers} workers` : '';
}

/** Runs the campaign with Ctrl-C stopping it gently; closes the adapter whatever happens. */
export async function campaignOn(adapter: Adapter, options: CampaignOptions, progress: Progress): Promise<CampaignResult> {
  try {
    return await interruptible((signal) => runCampaign(adapter, { ...options, signal, onProgress: (p) => progress.campaign(p) }));
  } finally {
    progress.done();
    await adapter.close();
  }
}

/**
 * The exit code a campaign earns: interrupted by a signal, no verdict (it stopped, gave up or
 * mostly failed as a program), some rule FAILED, or fine. Says why on stderr when it is not
 * about the rules.
 */
export function campaignExit(results: readonly CampaignResult[], repeat: string): number {
  const stopped = results.find((r) => r.stopped)?.stopped;
  const signal = interruptedBy();
  if (stopped?.reason === 'interrupted' || signal) {
    console.error(`dcomkit: interrupted (${signal ?? 'signal'}): the results above are PARTIAL. Repeat the campaign with: ${repeat}`);
    return exitCodeFor(signal ?? 'SIGINT');
  }
  if (stopped) {
    console.error(`dcomkit: no complete verdict: ${stopped.detail}. The results above are PARTIAL. Repeat with: ${repeat}`);
    return EXIT.usage;
  }
  const failing = results.filter(mostlyErrors);
  if (failing.length) {
    const r = failing[0];
    console.error(`dcomkit: no verdict: ${r.errors.length} of ${attempted(r)} runs${results.length > 1 ? ` (${r.profile})` : ''} ended in adapter errors`);
    return EXIT.usage;
  }
  return results.some((r) => r.rules.some((t) => t.verdict === 'FAILED')) ? EXIT.failed : EXIT.ok;
}

/** Saves each counterexample; returns the replay command for each rule. */
function saveCounterexamples(result: CampaignResult, dir: string, spec: AdapterSpec): Map<string, string> {
  const replays = new Map<string, string>();
  for (const t of result.rules) {
    const cx = t.counterexample;
    if (!cx) continue;
    ensureWritableDir(dir, '--out');
    const file = join(dir, `${t.rule.id}-${result.adapter.name}-${result.seed}.json`);
    writeAtomic(file, JSON.stringify({ ...cx, adapter: { ...cx.adapter, spec } }, null, 2) + '\n');
    const trust = spec.kind === 'name' ? '' : ' --trust-recorded-adapter';
    replays.set(t.rule.id, `npx dcomkit replay ${relative(process.cwd(), file) || file}${trust}`);
  }
  return replays;
}

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parse(args, RUN_OPTIONS, 'run');
  if (values.help) {
    console.log(RUN_HELP);
    return EXIT.ok;
  }
  const settings = campaignSettings(values, DEFAULT_RUNS);
  const profile: Profile = profileValue(values.profile);
  const out = values.out ?? join('.dcomkit', 'counterexamples');
  checkCanCreateDir(out, '--out');
  const json = values.json;
  if (json !== undefined && json !== '-') ensureWritableFile(json, '--json');
  // With --json -, stdout is the JSON alone; the report goes to stderr.
  const say = json === '-' ? (text: string) => console.error(text) : (text: string) => console.log(text);

  const adapter = await openAdapter(settings.spec, values);
  if (values.runs === undefined) settings.runs = defaultRuns(adapter.capabilities);
  const total = shardRuns(settings.runs, settings.shard);
  const shardText = settings.shard ? ` (shard ${settings.shard.index}/${settings.shard.count})` : '';
  const workers = workersFor(settings, adapter, values);
  say(formatHeader(adapter.capabilities, profile, total, settings.seed, `${shardText}${workersText(workers.workers)}`));
  const result = await campaignOn(
    adapter,
    {
      profile,
      runs: settings.runs,
      seed: settings.seed,
      generator: { maxActions: settings.maxActions },
      shrink: !values['no-shrink'],
      shrinkTimeMs: settings.shrinkTimeMs,
      shrinkTotalMs: settings.shrinkTotalMs,
      timeLimitMs: settings.timeLimitMs,
      minEvidence: settings.minEvidence,
      corpus: settings.corpus,
      shard: settings.shard,
      ...workers,
    },
    new Progress(process.stderr),
  );
  const replays = saveCounterexamples(result, out, settings.spec);
  say(formatCampaign(result, replays));
  for (const line of formatErrors(result.errors)) console.error(line);
  if (values.corpus && settings.corpus && !result.stopped) {
    const fresh = result.rules.filter((t) => t.counterexample && !t.corpusCase).map((t) => ({ ...t.counterexample!, adapter: { ...t.counterexample!.adapter, spec: settings.spec } }));
    const added = saveToCorpus(values.corpus, fresh, settings.corpus);
    if (added.length) say(`corpus ${values.corpus}: added ${added.length} counterexample${added.length === 1 ? '' : 's'}`);
  }
  const report = JSON.stringify({ kitVersion: KIT_VERSION, ...result }, null, 2) + '\n';
  if (json === '-') process.stdout.write(report);
  else if (json !== undefined) writeAtomic(json, report);
  return campaignExit([result], repeatCommand('run', args, settings.seed));
}
