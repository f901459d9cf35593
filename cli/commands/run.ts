import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatCampaign } from '../../report';
import { guardAdapter, KIT_VERSION, runCampaign, type CampaignResult } from '../../runner';
import { CorpusError, loadCorpus, saveToCorpus, type CorpusCase } from '../../runner/corpus';
import { parseShard, type Shard } from '../../runner/shard';
import { ADAPTER_HELP, adapterSpec, openAdapter, type AdapterSpec } from '../adapter';
import { parse, positiveInt, profileValue, seedValue } from '../args';
import { EXIT, UsageError } from '../errors';
import { Progress } from '../progress';

export const RUN_HELP = `Usage: dcomkit run [options]

Generates random runs of client, server and environment actions, carries them out on an
adapter, judges every trace by every rule, and shrinks each failure to a counterexample.

Options:
  --profile strict|nt4    strict: MS-DCOM plus the KB fixes; nt4 also admits behaviour the
                          KB articles document as by design (default strict)
  --runs N                generated runs (default 100)
  --seed S                campaign seed, for a repeatable campaign (default: from the clock)
  --max-actions N         most actions in one run (default 20)
  --out DIR               where counterexample files go (default .dcomkit/counterexamples)
  --json FILE             also write the full result as JSON
  --no-shrink             report failures without shrinking them
  --shrink-time S         most seconds spent shrinking each failed rule; the smallest
                          failing run found by then stands (default: no limit)
  --corpus DIR            regression corpus: replay every counterexample in DIR before the
                          random runs (their verdicts count), and add new ones to it
  --shard i/n             execute only shard i of n of the runs (1-based); shards of the same
                          seed and --runs together execute exactly the unsharded campaign
  -h, --help              this text

${ADAPTER_HELP}

Exit codes: 0 no rule FAILED, 1 some rule FAILED, 2 usage or adapter error.`;

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
  out: { type: 'string' },
  corpus: { type: 'string' },
  shard: { type: 'string' },
} as const;

export const RUN_OPTIONS = {
  ...CAMPAIGN_OPTIONS,
  json: { type: 'string' },
  'no-shrink': { type: 'boolean' },
} as const;

/** --corpus DIR as cases, with a malformed corpus reported as a usage error. */
export function corpusValue(dir: string | undefined): CorpusCase[] | undefined {
  if (dir === undefined) return undefined;
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

/** Saves each counterexample; returns the replay command for each rule. */
function saveCounterexamples(result: CampaignResult, dir: string, spec: AdapterSpec): Map<string, string> {
  const replays = new Map<string, string>();
  for (const t of result.rules) {
    const cx = t.counterexample;
    if (!cx) continue;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${t.rule.id}-${result.adapter.name}-${result.seed}.json`);
    writeFileSync(file, JSON.stringify({ ...cx, adapter: { ...cx.adapter, spec } }, null, 2) + '\n');
    replays.set(t.rule.id, `npx dcomkit replay ${relative(process.cwd(), file) || file}`);
  }
  return replays;
}

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parse(args, RUN_OPTIONS, 'run');
  if (values.help) {
    console.log(RUN_HELP);
    return EXIT.ok;
  }
  const profile = profileValue(values.profile);
  const runs = positiveInt(values.runs, '--runs', 100);
  const seed = seedValue(values.seed);
  const maxActions = positiveInt(values['max-actions'], '--max-actions', 20);
  const corpus = corpusValue(values.corpus);
  const shard = shardValue(values.shard);
  const spec = adapterSpec(values);
  const adapter = guardAdapter(await openAdapter(spec, values));
  const progress = new Progress(process.stderr);
  let result: CampaignResult;
  try {
    result = await runCampaign(adapter, {
      profile,
      runs,
      seed,
      generator: { maxActions },
      shrink: !values['no-shrink'],
      shrinkTimeMs: values['shrink-time'] === undefined ? undefined : positiveInt(values['shrink-time'], '--shrink-time', 0) * 1000,
      corpus,
      shard,
      onProgress: (p) => progress.update(`run ${p.done}/${p.total}${p.failedRules ? `, ${p.failedRules} rule${p.failedRules === 1 ? '' : 's'} failing` : ''}`),
    });
  } finally {
    progress.done();
    await adapter.close();
  }
  const replays = saveCounterexamples(result, values.out ?? join('.dcomkit', 'counterexamples'), spec);
  console.log(formatCampaign(result, replays));
  if (values.corpus && corpus) {
    const fresh = result.rules.filter((t) => t.counterexample && !t.corpusCase).map((t) => ({ ...t.counterexample!, adapter: { ...t.counterexample!.adapter, spec } }));
    const added = saveToCorpus(values.corpus, fresh, corpus);
    if (added.length) console.log(`corpus ${values.corpus}: added ${added.length} counterexample${added.length === 1 ? '' : 's'}`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ kitVersion: KIT_VERSION, ...result }, null, 2) + '\n');
  if (result.errors.length) return EXIT.usage;
  return result.rules.some((t) => t.verdict === 'FAILED') ? EXIT.failed : EXIT.ok;
}
