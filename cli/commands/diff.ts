import { certificateHash, describeCampaigns, type Certificate } from '../../runner/certificate';
import { compareCertificates, VERDICT_ORDER, type ChangeKind, type RuleChange } from '../../runner/compare';
import { parse } from '../args';
import { EXIT, UsageError } from '../errors';
import { loadCertificate, shown } from './certify';

export const DIFF_HELP = `Usage: dcomkit diff BEFORE.json AFTER.json [--json]

Compares two certificates rule by rule, profile by profile: an adapter before and after a
fix, two releases, or two implementations. Lists the rules that got worse, the rules that
were fixed, and says plainly when the two campaigns cannot be compared (different run
counts, seeds, profiles, max-actions, generator schema or corpus), with both run counts.

Verdicts are ordered, best first:
  ${VERDICT_ORDER.map((tier) => tier.join(' = ')).join(' > ')}
A rule got worse when its verdict moved down this order (OK -> UNIMPLEMENTED is worse too:
the rule is no longer shown to hold). It was fixed when it moved up to OK, INFORMATIONAL or
NON-STRICT. A move up that ends INCONCLUSIVE or UNIMPLEMENTED (a failure that is no longer
exercised) is listed as not shown to hold: neither a fix nor a regression.

Options:
  --json                  print the comparison as JSON
  -h, --help              this text

Exit codes: 0 no rule got worse (fixes and other changes included), 1 some rule got worse,
2 usage error.`;

const HEADINGS: Record<ChangeKind, string> = {
  worse: 'worse',
  fixed: 'fixed',
  unproven: 'no longer failing, but not shown to hold',
  unranked: 'changed to a verdict this kit does not rank',
  'only-a': 'judged only in BEFORE, its profile missing from AFTER',
  'only-b': 'judged only in AFTER, its profile missing from BEFORE',
};

function side(t: RuleChange['from']): string {
  if (!t) return '(not judged)';
  const extra = t.failures ? `, ${t.failures} failing` : t.nonStrict ? `, ${t.nonStrict} non-strict` : '';
  return `${t.verdict} (${t.runs} run${t.runs === 1 ? '' : 's'}${extra})`;
}

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
  const cmp = compareCertificates(a, b);
  const worse = cmp.changes.filter((c) => c.kind === 'worse').length;
  const code = worse ? EXIT.failed : EXIT.ok;
  if (values.json) {
    const who = (file: string, c: Certificate, s: typeof cmp.a) => ({ file, adapter: c.adapter.name, version: c.adapter.version, hash: c.hash, ...s });
    console.log(JSON.stringify({ a: who(fa, a, cmp.a), b: who(fb, b, cmp.b), comparable: cmp.differences.length === 0, differences: cmp.differences, changes: cmp.changes, unchanged: cmp.unchanged }, null, 2));
    return code;
  }
  const label = (file: string, c: Certificate) => `${shown(file)} (${c.adapter.name} ${c.adapter.version}; ${describeCampaigns(c.campaigns)})`;
  console.log(`dcomkit diff: ${label(fa, a)}`);
  console.log(`          -> ${label(fb, b)}`);
  console.log(`runs: ${cmp.a.runs} -> ${cmp.b.runs} per profile`);
  for (const [file, c] of [[fa, a], [fb, b]] as const) {
    if (certificateHash(c) !== c.hash) console.log(`warning: ${shown(file)}: its hash does not match its content (edited?)`);
  }
  if (cmp.differences.length) {
    console.log(`NOT COMPARABLE: these campaigns differ, so a verdict may change for that reason and not because the adapter did:`);
    for (const d of cmp.differences) console.log(`  ${d}`);
  }
  const width = Math.max(0, ...cmp.changes.map((c) => c.rule.length)) + 2;
  for (const kind of Object.keys(HEADINGS) as ChangeKind[]) {
    const changes = cmp.changes.filter((c) => c.kind === kind);
    if (!changes.length) continue;
    console.log(`${HEADINGS[kind]} (${changes.length}):`);
    for (const c of changes) console.log(`  ${c.profile.padEnd(7)} ${c.rule.padEnd(width)}${side(c.from)} -> ${side(c.to)}`);
  }
  const total = cmp.changes.length + cmp.unchanged;
  const count = (k: ChangeKind) => cmp.changes.filter((c) => c.kind === k).length;
  const parts = [`${worse} worse`, `${count('fixed')} fixed`];
  const other = cmp.changes.length - worse - count('fixed');
  if (other) parts.push(`${other} other change${other === 1 ? '' : 's'}`);
  console.log(cmp.changes.length ? `${total} verdicts: ${parts.join(', ')}, ${cmp.unchanged} unchanged.` : `no verdict changed (${total} compared).`);
  return code;
}
