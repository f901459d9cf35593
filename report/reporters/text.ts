/** Certificates as plain text, for terminals and CI logs. */
import { RULES } from '../../spec';
import { describeCampaigns, toCounterexample, type Certificate } from '../../runner/certificate';
import { formatCounterexample, formatErrors } from '../text';
import type { Reporter } from './types';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function renderText(certificates: readonly Certificate[]): string {
  const lines: string[] = [];
  const width = Math.max(...RULES.map((r) => r.id.length)) + 2;
  for (const cert of certificates) {
    if (lines.length) lines.push('');
    lines.push(`dcomkit certificate: ${cert.adapter.name} ${cert.adapter.version}, kit ${cert.kitVersion}, ${describeCampaigns(cert.campaigns)}`);
    lines.push(`${pad('', width)}${cert.results.map((r) => pad(r.profile, 15)).join('')}`);
    for (const rule of RULES) {
      const cells = cert.results.map((r) => pad(r.rules.find((t) => t.id === rule.id)?.verdict ?? '-', 15));
      lines.push(`${pad(rule.id, width)}${cells.join('')}`.trimEnd());
    }
    for (const r of cert.results) {
      for (const t of r.rules) {
        if (!t.counterexample) continue;
        lines.push('');
        lines.push(`${t.verdict} ${t.id} under ${r.profile}: ${t.title} (${t.sources.join('; ')})${t.counterexample.corpusCase ? ` [corpus case ${t.counterexample.corpusCase}]` : ''}`);
        lines.push(...formatCounterexample(toCounterexample(cert, t.counterexample)));
      }
    }
    for (const r of cert.results) {
      if (!r.errors.length) continue;
      lines.push('', `${r.profile}:`, ...formatErrors(r.errors, Infinity));
    }
    lines.push('');
    lines.push(`hash ${cert.hash}`);
  }
  return lines.join('\n') + '\n';
}

export const textReporter: Reporter = {
  name: 'text',
  description: 'plain text: verdicts by profile and each counterexample',
  file: 'certificate.txt',
  render: renderText,
};
