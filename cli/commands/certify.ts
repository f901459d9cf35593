import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { campaignTiming, DEFAULT_REPORTERS, getReporter, reporterNames, type Reporter, type ReportTimings } from '../../report';
import { PROFILES, RULES, type Profile } from '../../spec';
import { formatCampaign, formatErrors } from '../../report';
import type { CampaignResult } from '../../runner';
import { buildCertificate, toCounterexample, type Certificate } from '../../runner/certificate';
import { checkCertificate, FileError } from '../../runner/load';
import { saveToCorpus } from '../../runner/corpus';
import { ADAPTER_HELP, openAdapter } from '../adapter';
import { parse, profileValue } from '../args';
import { EXIT, UsageError } from '../errors';
import { interruptedBy } from '../interrupt';
import { checkCanCreateDir, ensureWritableDir, writeAtomic } from '../output';
import { Progress } from '../progress';
import { CAMPAIGN_HELP, CAMPAIGN_OPTIONS, campaignExit, campaignOn, campaignSettings, EXIT_HELP, repeatCommand, workersFor, workersText } from './run';

export const CERTIFY_HELP = `Usage: dcomkit certify [options] --out DIR

Runs a certification campaign against an adapter under each profile and writes, into DIR:
  certificate.json  kit and generator schema hash, adapter, seeds and run counts, every
                    rule's verdict with its source, coverage (action kinds, situations),
                    every counterexample with its replay data, every adapter error, and a
                    SHA-256 over it all
  report.html       one self-contained page: verdict matrix, rules, coverage, and each
                    counterexample as a sequence diagram beside its numbered actions
  junit.xml         one testcase per rule (failures carry the counterexample), and one
                    <error> testcase per run that ended in an adapter error
  counterexamples/  each counterexample as a file 'dcomkit replay' takes
Nothing is written when the campaign is interrupted or stops early.

Options:
  --out DIR               where the files go (required)
  --runs N                generated runs per profile (default 500)
  --profile strict|nt4    certify under one profile (default: both, judging the same runs)
${CAMPAIGN_HELP}
  --reporter LIST         which files to write, comma-separated, from: {REPORTERS}
                          (default ${DEFAULT_REPORTERS.join(',')})
  -h, --help              this text

${ADAPTER_HELP}

${EXIT_HELP}`;

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

/** Writes each reporter's file into `dir` (each whole, or not at all); returns the paths. */
export function writeReports(dir: string, certificates: readonly Certificate[], reporters: readonly Reporter[], timings?: ReportTimings): string[] {
  ensureWritableDir(dir, '--out');
  // Rendered first: a reporter that throws leaves no file behind.
  const rendered = reporters.map((r) => [join(dir, r.file), r.render(certificates, timings)] as const);
  for (const [file, text] of rendered) writeAtomic(file, text);
  return rendered.map(([file]) => file);
}

/** Each counterexample of a certificate as a file 'dcomkit replay' takes: DIR/counterexamples/RULE-profile.json. */
export function writeCounterexamples(dir: string, cert: Certificate): string[] {
  const files: string[] = [];
  for (const r of cert.results) {
    for (const t of r.rules) {
      if (!t.counterexample) continue;
      const folder = join(dir, 'counterexamples');
      ensureWritableDir(folder, '--out');
      const file = join(folder, `${t.id}-${r.profile}.json`);
      writeAtomic(file, JSON.stringify(toCounterexample(cert, t.counterexample), null, 2) + '\n');
      files.push(file);
    }
  }
  return files;
}

/** Reads a certificate file, checked as runner/load.ts checks files; every problem is a one-line usage error. */
export function loadCertificate(file: string): Certificate {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'a directory' : 'not valid JSON';
    throw new UsageError(`cannot read certificate ${file}: ${why}`);
  }
  try {
    const { value, warnings } = checkCertificate(data, file);
    for (const w of warnings) console.error(`dcomkit: warning: ${w}`);
    return value;
  } catch (err) {
    if (err instanceof FileError) throw new UsageError(err.message);
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
  const { values } = parse(args, { ...CAMPAIGN_OPTIONS, reporter: { type: 'string' } } as const, 'certify');
  if (values.help) {
    console.log(certifyHelp());
    return EXIT.ok;
  }
  if (!values.out) throw new UsageError(`certify needs --out DIR (see 'dcomkit certify --help')`);
  const profiles: Profile[] = values.profile ? [profileValue(values.profile)] : [...PROFILES];
  const settings = campaignSettings(values, 500);
  const reporters = reportersValue(values.reporter);
  checkCanCreateDir(values.out, '--out');
  const generator = { maxActions: settings.maxActions };
  const { spec, seed, runs, shard, corpus } = settings;

  let adapter = await openAdapter(spec, values);
  const caps = adapter.capabilities;
  const shardText = shard && shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : '';
  const workers = workersFor(settings, adapter, values);
  console.log(`dcomkit certify: ${caps.name} ${caps.version}, seed ${seed}, ${runs} runs${shardText}${workersText(workers.workers)}, profiles ${profiles.join(', ')}`);
  const results: CampaignResult[] = [];
  const started = performance.now();
  for (const profile of profiles) {
    if (results.length) adapter = await openAdapter(spec, values);
    const spent = performance.now() - started;
    const result = await campaignOn(
      adapter,
      { profile, runs, seed, generator, corpus, shard, shrinkTimeMs: settings.shrinkTimeMs, shrinkTotalMs: settings.shrinkTotalMs, timeLimitMs: Math.max(1, settings.timeLimitMs - spent), minEvidence: settings.minEvidence, ...workers },
      new Progress(process.stderr, `${profile}: `),
    );
    results.push(result);
    if (result.stopped) break;
  }
  for (const r of results) {
    const lines = formatErrors(r.errors);
    if (lines.length) console.error([`${r.profile}:`, ...lines].join('\n'));
  }
  const repeat = repeatCommand('certify', args, seed);
  if (results.some((r) => r.stopped) || interruptedBy()) {
    for (const r of results) console.log([`${r.profile}:`, formatCampaign(r)].join('\n'));
    console.error('dcomkit: the campaign did not finish: no certificate written');
    return campaignExit(results, repeat);
  }
  const cert = await buildCertificate({ adapter: caps, spec, generator, campaign: { seed, runs, shard }, corpus, results });
  const files = [...writeReports(values.out, [cert], reporters, new Map([[cert, results.map(campaignTiming)]])), ...writeCounterexamples(values.out, cert)];

  if (corpus) console.log(`corpus: ${cert.results[0].corpusRuns} case${cert.results[0].corpusRuns === 1 ? '' : 's'} replayed`);
  console.log(verdictTable(cert).join('\n'));
  if (values.corpus && corpus) {
    const fresh = results.flatMap((r) => r.rules.filter((t) => t.counterexample && !t.corpusCase).map((t) => ({ ...t.counterexample!, adapter: { ...t.counterexample!.adapter, spec } })));
    const added = saveToCorpus(values.corpus, fresh, corpus);
    if (added.length) console.log(`corpus ${values.corpus}: added ${added.length} counterexample${added.length === 1 ? '' : 's'}`);
  }
  console.log(`wrote ${files.map(shown).join(', ')}`);
  console.log(`hash ${cert.hash}`);
  return campaignExit(results, repeat);
}
