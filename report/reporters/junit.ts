/**
 * JUnit XML, as CI systems (GitHub Actions test reporters, GitLab `artifacts:reports:junit`,
 * Jenkins) read it: one testsuite per adapter and profile, one testcase per rule. FAILED is a
 * failure carrying the counterexample text; UNIMPLEMENTED and INCONCLUSIVE are skipped with
 * their reason (never a pass); NON-STRICT and INFORMATIONAL pass, with what happened in
 * system-out. Every run that ended in an adapter error is a testcase with an `<error>`, so a
 * CI reading the file never goes green on an adapter that crashed. `time`, when the
 * campaigns' timings are given, is each rule's share of its campaign (an equal part of the runs
 * plus its own shrinking) and the campaign's time on the suite, in seconds; without them (a
 * certificate read back, merged shards) it is left out rather than claimed to be 0.
 */
import { toCounterexample, type Certificate, type CertifiedRule } from '../../runner/certificate';
import { firstFailure, formatCounterexample, replayCommand } from '../text';
import type { ReportTimings } from '../timing';
import type { Reporter } from './types';

/** XML 1.0 text: escaped, and without the control characters XML cannot carry at all. */
export function xmlText(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function situations(t: CertifiedRule): string {
  const entries = Object.entries(t.situations);
  return entries.length ? `situations: ${entries.map(([s, n]) => `${s} (${n})`).join('; ')}` : 'no situation reached';
}

/** ` time="1.234"`, or nothing when the time is unknown. */
function timeAttr(ms: number | undefined): string {
  return ms === undefined ? '' : ` time="${(ms / 1000).toFixed(3)}"`;
}

export function renderJunit(certificates: readonly Certificate[], timings?: ReportTimings): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const cert of certificates) {
    for (const r of cert.results) {
      const name = `dcomkit ${cert.adapter.name} ${cert.adapter.version} (${r.profile})`;
      const classname = `dcomkit.${cert.adapter.name}.${r.profile}`;
      const timing = timings?.get(cert)?.find((x) => x.profile === r.profile);
      const cases: string[] = [];
      let suiteFailures = 0;
      let suiteSkipped = 0;
      for (const t of r.rules) {
        const head = `    <testcase classname="${xmlText(classname)}" name="${xmlText(`${t.id}: ${t.title}`)}"${timeAttr(timing?.rules[t.id])}>`;
        const first = firstFailure(t, r.runs);
        const summary = `${t.verdict}: ${t.runs} run${t.runs === 1 ? '' : 's'}${t.failures ? `, ${t.failures} failing` : ''}${t.nonStrict ? `, ${t.nonStrict} non-strict` : ''}${first ? `, ${first}` : ''} (${t.sources.join('; ')})`;
        if (t.verdict === 'FAILED') {
          suiteFailures += 1;
          const cx = t.counterexample;
          const message = cx?.violations[0]?.message ?? `${t.failures} failing runs`;
          const body = [t.statement, summary, ...(cx ? formatCounterexample(toCounterexample(cert, cx), replayCommand(t.id)) : [])].join('\n');
          cases.push(`${head}\n      <failure message="${xmlText(message)}" type="${xmlText(t.id)}">${xmlText(body)}</failure>\n    </testcase>`);
        } else if (t.verdict === 'UNIMPLEMENTED' || t.verdict === 'INCONCLUSIVE') {
          suiteSkipped += 1;
          cases.push(`${head}\n      <skipped message="${xmlText(`${t.verdict}: ${t.reason ?? 'not exercised'}`)}"/>\n    </testcase>`);
        } else {
          const extra = t.counterexample ? `\n${formatCounterexample(toCounterexample(cert, t.counterexample)).join('\n')}` : '';
          cases.push(`${head}\n      <system-out>${xmlText(`${summary}\n${situations(t)}${extra}`)}</system-out>\n    </testcase>`);
        }
      }
      for (const e of r.errors) {
        const where = e.corpusCase !== undefined ? `corpus case ${e.corpusCase}` : `run ${e.run + 1}`;
        const words = [e.message, ...(e.notes.length ? ['adapter notes:', ...e.notes.map((n) => `  ${n}`)] : [])].join('\n');
        cases.push(
          `    <testcase classname="${xmlText(classname)}" name="${xmlText(`adapter error in ${where}`)}" time="0">\n      <error message="${xmlText(`${e.kind} at ${e.step}`)}" type="${xmlText(`adapter-${e.kind}`)}">${xmlText(words)}</error>\n    </testcase>`,
        );
      }
      const suiteErrors = r.errors.length;
      tests += r.rules.length + suiteErrors;
      failures += suiteFailures;
      errors += suiteErrors;
      skipped += suiteSkipped;
      const props = [
        ['adapter', `${cert.adapter.name} ${cert.adapter.version}`],
        ['profile', r.profile],
        ['seeds', cert.campaigns.map((c) => (c.shard ? `${c.seed} (shard ${c.shard.index}/${c.shard.count})` : String(c.seed))).join(', ')],
        ['runs', String(r.runs)],
        ['certificate', cert.hash],
      ]
        .map(([k, v]) => `      <property name="${k}" value="${xmlText(v)}"/>`)
        .join('\n');
      suites.push(
        `  <testsuite name="${xmlText(name)}" tests="${r.rules.length + suiteErrors}" failures="${suiteFailures}" errors="${suiteErrors}" skipped="${suiteSkipped}"${timeAttr(timing?.wallMs)}>\n    <properties>\n${props}\n    </properties>\n${cases.join('\n')}\n  </testsuite>`,
      );
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="dcomkit" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export const junitReporter: Reporter = {
  name: 'junit',
  description: 'JUnit XML: one testcase per rule, failures carry the counterexample',
  file: 'junit.xml',
  render: renderJunit,
};
