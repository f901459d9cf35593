import { certificateHash, describeCampaigns, diffCertificates } from '../../runner/certificate';
import { parse } from '../args';
import { EXIT, UsageError } from '../errors';
import { loadCertificate, shown } from './certify';

export const DIFF_HELP = `Usage: dcomkit diff A.json B.json [--json]

Shows which rules changed verdict, profile by profile, between two certificates: an adapter
before and after a fix, two releases, or two implementations.

Options:
  --json                  print the changes as JSON
  -h, --help              this text

Exit codes: 0 no verdict changed, 1 some verdict changed, 2 usage error.`;

export function diffCommand(args: string[]): number {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } } as const, 'diff', 2);
  if (values.help) {
    console.log(DIFF_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 2) throw new UsageError(`diff needs two certificate files (see 'dcomkit diff --help')`);
  const [fa, fb] = positionals;
  const a = loadCertificate(fa);
  const b = loadCertificate(fb);
  const diff = diffCertificates(a, b);
  if (values.json) {
    console.log(JSON.stringify({ a: { file: fa, adapter: a.adapter.name, version: a.adapter.version, hash: a.hash }, b: { file: fb, adapter: b.adapter.name, version: b.adapter.version, hash: b.hash }, ...diff }, null, 2));
    return diff.changes.length ? EXIT.failed : EXIT.ok;
  }
  const label = (file: string, c: typeof a) => `${shown(file)} (${c.adapter.name} ${c.adapter.version}; ${describeCampaigns(c.campaigns)})`;
  console.log(`dcomkit diff: ${label(fa, a)}`);
  console.log(`          -> ${label(fb, b)}`);
  for (const [file, c] of [[fa, a], [fb, b]] as const) {
    if (certificateHash(c) !== c.hash) console.log(`warning: ${shown(file)}: its hash does not match its content (edited?)`);
  }
  const width = Math.max(0, ...diff.changes.map((c) => c.rule.length)) + 2;
  for (const c of diff.changes) console.log(`  ${c.profile.padEnd(7)} ${c.rule.padEnd(width)}${c.from ?? '(not judged)'} -> ${c.to ?? '(not judged)'}`);
  const total = diff.changes.length + diff.unchanged;
  console.log(diff.changes.length ? `${diff.changes.length} of ${total} verdicts changed.` : `no verdict changed (${total} compared).`);
  return diff.changes.length ? EXIT.failed : EXIT.ok;
}
