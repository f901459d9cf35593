import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { campaignTiming, DEFAULT_REPORTERS, getReporter, reporterNames, type Reporter, type ReportTimings } from '../../report';
import { PROFILES, RULES, type Profile } from '../../spec';
import { runCampaign, type CampaignResult } from '../../runner';
import { asCertificate, buildCertificate, CertificateError, type Certificate } from '../../runner/certificate';
import { saveToCorpus } from '../../runner/corpus';
import { ADAPTER_HELP, adapterSpec, openAdapter } from '../adapter';
import { parse, positiveInt, profileValue, seedValue } from '../args';
import { EXIT, UsageError } from '../errors';
import { Progress } from '../progress';
import { CAMPAIGN_OPTIONS, corpusValue, shardValue } from './run';

export const CERTIFY_HELP = `Usage: dcomkit certify [options] --out DIR

Runs a certification campaign against an adapter under each profile and writes, into DIR:
  certificate.json  kit and generator schema hash, adapter, seeds and run counts, every
                    rule's verdict with its source, coverage (action kinds, situations),
                    every counterexample with its replay data, and a SHA-256 over it all
  report.html       one self-contained page: verdict matrix, rules, coverage, and each
                    counterexample as a sequence diagram beside its numbered actions
  junit.xml         one testcase per rule; failures carry the counterexample

Options:
  --out DIR               where the files go (required)
  --profile strict|nt4    certify under one profile (default: both, the same runs judged twice)
  --runs N                generated runs per profile (default 500)
  --seed S                campaign seed (default: from the clock; recorded in the certificate)
  --max-actions N         most actions in one run (default 20)
  --shrink-time S         most seconds spent shrinking each failed rule (default: no limit)
  --corpus DIR            regression corpus: replay its counterexamples first (their verdicts
                          count), and add the new ones to it
  --shard i/n             execute only shard i of n of the runs; 'dcomkit merge' combines the
                          shards' certificates into the one the whole campaign gives
  --reporter LIST         which files to write, comma-separated, from: {REPORTERS}
                          (default ${DEFAULT_REPORTERS.join(',')})
  -h, --help              this text

${ADAPTER_HELP}

Exit codes: 0 no rule FAILED, 1 some rule FAILED, 2 usage or adapter error.`;

export function certifyHelp(): string {
  return CERTIFY_HELP.replace('{REPORTERS}', reporterNames().join(', '));
}

export function reportersValue(list: string | undefined): Reporter[] {
  const names = list === undefined ? [...DEFAULT_REPORTERS] : list.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new UsageError('--reporter needs at least one reporter');
  return names.map((n) => {
    const r = getReporter(n);
    if (!r) throw new UsageError(`unknown reporter '${n}' (reporters: ${reporterNames().join(', ')})`);
    return r;
  });
}

/** Writes each reporter's file into `dir`; returns the paths. */
export function writeReports(dir: string, certificates: readonly Certificate[], reporters: readonly Reporter[], timings?: ReportTimings): string[] {
  mkdirSync(dir, { recursive: true });
  return reporters.map((r) => {
    const file = join(dir, r.file);
    writeFileSync(file, r.render(certificates, timings));
    return file;
  });
}

/** Reads a certificate file; every problem is a one-line usage error. */
export function loadCertificate(file: string): Certificate {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'a directory' : 'not valid JSON';
    throw new UsageError(`cannot read certificate ${file}: ${why}`);
  }
  try {
    return asCertificate(data, file);
  } catch (err) {
    if (err instanceof CertificateError) throw new UsageError(err.message);
    throw err;
  }
}

export function shown(file: string): string {
  return relative(process.cwd(), file) || file;
}

/** The verdict table of a certificate: one line per rule, one column per profile. */
export function verdictTable(cert: Certificate): string[] {
  const width = Math.max(...RULES.map((r) => r.id.length)) + 2;
  const lines = [`${''.padEnd(width)}${cert.results.map((r) => r.profile.padEnd(15)).join('')}`.trimEnd()];
  for (const rule of RULES) {
    const cells = cert.results.map((r) => {
      const t = r.rules.find((x) => x.id === rule.id);
      return (t ? `${t.verdict}` : '-').padEnd(15);
    });
    lines.push(`${rule.id.padEnd(width)}${cells.join('')}`.trimEnd());
  }
  return lines;
}

export async function certifyCommand(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    { ...CAMPAIGN_OPTIONS, reporter: { type: 'string' } } as const,
    'certify',
  );
  if (values.help) {
    console.log(certifyHelp());
    return EXIT.ok;
  }
  if (!values.out) throw new UsageError(`certify needs --out DIR (see 'dcomkit certify --help')`);
  const profiles: Profile[] = values.profile ? [profileValue(values.profile)] : [...PROFILES];
  const runs = positiveInt(values.runs, '--runs', 500);
  const seed = seedValue(values.seed) ?? Date.now() % 0x7fffffff;
  const maxActions = positiveInt(values['max-actions'], '--max-actions', 20);
  const reporters = reportersValue(values.reporter);
  const corpus = corpusValue(values.corpus);
  const shard = shardValue(values.shard);
  const spec = adapterSpec(values);
  const generator = { maxActions };

  const results: CampaignResult[] = [];
  const progress = new Progress(process.stderr);
  let adapter = await openAdapter(spec, values);
  const caps = adapter.capabilities;
  try {
    for (const profile of profiles) {
      if (results.length) {
        await adapter.close();
        adapter = await openAdapter(spec, values);
      }
      results.push(
        await runCampaign(adapter, {
          profile,
          runs,
          seed,
          generator,
          corpus,
          shard,
          shrinkTimeMs: values['shrink-time'] === undefined ? undefined : positiveInt(values['shrink-time'], '--shrink-time', 0) * 1000,
          onProgress: (p) => progress.update(`${profile}: run ${p.done}/${p.total}${p.failedRules ? `, ${p.failedRules} rule${p.failedRules === 1 ? '' : 's'} failing` : ''}`),
        }),
      );
      progress.done();
    }
  } finally {
    progress.done();
    await adapter.close();
  }
  const cert = await buildCertificate({ adapter: caps, spec, generator, campaign: { seed, runs, shard }, corpus, results });
  const files = writeReports(values.out, [cert], reporters, new Map([[cert, results.map(campaignTiming)]]));

  const shardText = shard && shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : '';
  console.log(`dcomkit certify: ${caps.name} ${caps.version}, seed ${seed}, ${runs} runs${shardText}, profiles ${profiles.join(', ')}`);
  if (corpus) console.log(`corpus: ${cert.results[0].corpusRuns} case${cert.results[0].corpusRuns === 1 ? '' : 's'} replayed`);
  console.log(verdictTable(cert).join('\n'));
  for (const r of results) {
    for (const e of r.errors.slice(0, 3)) console.log(`adapter error (${r.profile}, run ${e.run + 1}): ${e.message.split('\n')[0]}`);
  }
  if (values.corpus && corpus) {
    const fresh = results.flatMap((r) => r.rules.filter((t) => t.counterexample && !t.corpusCase).map((t) => ({ ...t.counterexample!, adapter: { ...t.counterexample!.adapter, spec } })));
    const added = saveToCorpus(values.corpus, fresh, corpus);
    if (added.length) console.log(`corpus ${values.corpus}: added ${added.length} counterexample${added.length === 1 ? '' : 's'}`);
  }
  console.log(`wrote ${files.map(shown).join(', ')}`);
  console.log(`hash ${cert.hash}`);
  if (results.some((r) => r.errors.length)) return EXIT.usage;
  return cert.results.some((r) => r.rules.some((t) => t.verdict === 'FAILED')) ? EXIT.failed : EXIT.ok;
}
