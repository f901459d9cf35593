import { CertificateError, mergeCertificates } from '../../runner/certificate';
import { parse } from '../args';
import { EXIT, UsageError } from '../errors';
import { loadCertificate, reportersValue, shown, verdictTable, writeReports } from './certify';

export const MERGE_HELP = `Usage: dcomkit merge CERTIFICATE... --out DIR [options]

Combines certificates of one adapter into one: the shards of a campaign ('dcomkit certify
--shard i/n' on several machines) or campaigns with different seeds. Counts add up, each
rule's verdict is decided again from them, and each rule keeps the counterexample the whole
campaign would have chosen: merging every shard gives exactly the unsharded certificate.
The certificates must come from the same adapter version, kit and generator schema.

Options:
  --out DIR               where the merged files go (required)
  --reporter LIST         which files to write (default json,html,junit)
  --partial               merge even if some shard of a campaign is missing
  -h, --help              this text

Exit codes: 0 no rule FAILED, 1 some rule FAILED, 2 usage error (unreadable or
incompatible certificates, missing shards).`;

export function mergeCommand(args: string[]): number {
  const { values, positionals } = parse(args, { out: { type: 'string' }, reporter: { type: 'string' }, partial: { type: 'boolean' } } as const, 'merge', Number.MAX_SAFE_INTEGER);
  if (values.help) {
    console.log(MERGE_HELP);
    return EXIT.ok;
  }
  if (!positionals.length) throw new UsageError(`merge needs certificate files (see 'dcomkit merge --help')`);
  if (!values.out) throw new UsageError(`merge needs --out DIR (see 'dcomkit merge --help')`);
  const reporters = reportersValue(values.reporter);
  const certs = positionals.map(loadCertificate);
  let merged;
  try {
    merged = mergeCertificates(certs);
  } catch (err) {
    if (err instanceof CertificateError) throw new UsageError(err.message);
    throw err;
  }
  if (merged.missing.length && !values.partial) throw new UsageError(`missing shards (${merged.missing.join('; ')}); pass --partial to merge anyway`);
  const cert = merged.certificate;
  const files = writeReports(values.out, [cert], reporters);
  console.log(`dcomkit merge: ${certs.length} certificate${certs.length === 1 ? '' : 's'} of ${cert.adapter.name} ${cert.adapter.version}; ${cert.results[0]?.runs ?? 0} runs per profile`);
  if (merged.missing.length) console.log(`partial: missing ${merged.missing.join('; ')}`);
  console.log(verdictTable(cert).join('\n'));
  console.log(`wrote ${files.map(shown).join(', ')}`);
  console.log(`hash ${cert.hash}`);
  return cert.results.some((r) => r.rules.some((t) => t.verdict === 'FAILED')) ? EXIT.failed : EXIT.ok;
}
