/**
 * One self-contained HTML file (inline CSS and SVG, no scripts, no external requests): the
 * verdict matrix (rules by profile, one column group per certificate), each rule with its
 * statement and sources, the coverage tables, and each counterexample as a sequence diagram
 * beside its numbered action list.
 */
import { describeAction, formatMs, PROFILES, RULES, settleMs, type Profile, type RuleId, type Verdict } from '../../spec';
import type { Certificate, CertifiedCounterexample, CertifiedRule } from '../../runner/certificate';
import { describeCampaigns } from '../../runner/certificate';
import { describeShrink, describeWorld, firstFailure, replayCommand } from '../text';
import { esc, slug } from '../html/escape';
import { sequenceDiagram } from '../html/sequence';
import type { Reporter } from './types';

const VERDICT_CLASS: Record<Verdict, string> = {
  OK: 'ok',
  FAILED: 'failed',
  'NON-STRICT': 'nonstrict',
  INCONCLUSIVE: 'inconclusive',
  UNIMPLEMENTED: 'unimpl',
  INFORMATIONAL: 'info',
};

const CSS = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --panel:#f6f8fa;
  --ok:#1a7f37; --ok-bg:#dafbe1; --failed:#cf222e; --failed-bg:#ffebe9; --nonstrict:#9a6700; --nonstrict-bg:#fff8c5;
  --unimpl:#59636e; --unimpl-bg:#eff2f5; --info:#0969da; --info-bg:#ddf4ff; --accent:#0969da; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif; color:var(--fg); background:var(--bg); }
main { max-width: 1480px; margin: 0 auto; padding: 24px 32px 64px; }
header.top { border-bottom:1px solid var(--line); padding-bottom:16px; margin-bottom:8px; }
h1 { font-size:24px; margin:0 0 4px; } h2 { font-size:19px; margin:36px 0 12px; padding-bottom:6px; border-bottom:1px solid var(--line); }
h3 { font-size:16px; margin:0 0 6px; } a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
.meta { color:var(--muted); margin:2px 0; } code, .mono { font-family: ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace; font-size:12.5px; }
.summary { display:flex; gap:8px; flex-wrap:wrap; margin-top:10px; }
.pill { display:inline-block; border-radius:999px; padding:1px 10px; font-weight:600; font-size:12px; border:1px solid transparent; white-space:nowrap; }
.v-ok { color:var(--ok); background:var(--ok-bg); } .v-failed { color:var(--failed); background:var(--failed-bg); }
.v-nonstrict { color:var(--nonstrict); background:var(--nonstrict-bg); } .v-unimpl { color:var(--unimpl); background:var(--unimpl-bg); }
.v-info { color:var(--info); background:var(--info-bg); } .v-inconclusive { color:var(--nonstrict); background:repeating-linear-gradient(45deg,var(--nonstrict-bg),var(--nonstrict-bg) 6px,#fff 6px,#fff 12px); } .v-notrun { color:var(--muted); background: repeating-linear-gradient(45deg,#fff,#fff 6px,#f3f4f6 6px,#f3f4f6 12px); }
table { border-collapse:collapse; } th, td { text-align:left; vertical-align:top; }
table.matrix { width:100%; border:1px solid var(--line); border-radius:8px; overflow:hidden; }
table.matrix th, table.matrix td { border-bottom:1px solid var(--line); padding:8px 10px; }
table.matrix thead th { background:var(--panel); font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
table.matrix thead th.adapter { text-transform:none; letter-spacing:0; font-size:13px; color:var(--fg); text-align:center; border-left:1px solid var(--line); }
table.matrix td.cell { text-align:center; border-left:1px solid var(--line); min-width:104px; }
table.matrix th[scope=row] { min-width:240px; } .matrix-wrap { overflow-x:auto; }
table.matrix td.cell a, table.matrix td.cell span.verdict { display:block; font-weight:700; font-size:12.5px; border-radius:6px; padding:4px 6px; }
table.matrix td.cell small { display:block; color:var(--muted); font-size:11.5px; margin-top:2px; }
table.matrix .rule-id { font-weight:700; font-family: ui-monospace,"DejaVu Sans Mono",monospace; font-size:12.5px; }
table.matrix .rule-title { color:var(--muted); font-size:12.5px; } table.matrix td.src { color:var(--muted); font-size:12.5px; white-space:nowrap; }
table.matrix.by-adapter { table-layout:fixed; } table.matrix.by-adapter th[scope=row] { min-width:0; width:250px; }
table.matrix.by-adapter thead th:first-child { width:250px; } table.matrix.by-adapter td.cell { min-width:0; padding:6px 6px; }
table.matrix.by-adapter th .src { color:var(--muted); font-size:11.5px; font-weight:400; } table.matrix.by-adapter .version { font-size:11px; color:var(--muted); font-weight:400; overflow-wrap:anywhere; }
table.matrix.by-adapter .pv + .pv { margin-top:6px; } table.matrix.by-adapter .pv small { overflow-wrap:anywhere; }
table.matrix.by-adapter .profile { display:block; font-size:11px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
table.matrix.by-adapter td.cell a, table.matrix.by-adapter td.cell span.verdict { font-size:12px; padding:3px 4px; }
.legend { display:flex; gap:14px; flex-wrap:wrap; margin-top:10px; color:var(--muted); font-size:12.5px; } .legend .pill { margin-right:4px; }
.rules { display:grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap:12px; }
.rule { border:1px solid var(--line); border-radius:8px; padding:12px 14px; background:#fff; }
.rule p { margin:4px 0; } .rule .src { color:var(--muted); font-size:12.5px; } .rule .verdicts { display:flex; gap:6px; flex-wrap:wrap; margin-top:6px; }
.coverage { display:grid; grid-template-columns: minmax(320px, 1fr) 2fr; gap:24px; align-items:start; }
table.cov { width:100%; font-size:13px; } table.cov th, table.cov td { padding:3px 8px; border-bottom:1px solid #eef1f4; }
table.cov thead th { color:var(--muted); font-size:12px; font-weight:600; border-bottom:1px solid var(--line); }
table.cov td.n { text-align:right; font-variant-numeric: tabular-nums; width:64px; } table.cov td.bar { width:40%; }
table.cov tr.group th { padding-top:10px; font-family: ui-monospace,"DejaVu Sans Mono",monospace; font-size:12.5px; }
.bar span { display:block; height:9px; border-radius:5px; background:linear-gradient(90deg,#54aeff,#0969da); min-width:2px; }
.bar span.zero { background:#d1d9e0; width:2px; }
article.cx { border:1px solid var(--line); border-radius:10px; margin:18px 0; overflow:hidden; }
article.cx > header { padding:10px 16px; background:var(--panel); border-bottom:1px solid var(--line); }
article.cx .statement { margin:2px 0 4px; font-size:13px; } article.cx .statement .src { color:var(--muted); }
article.cx .violations { margin:6px 0 0; padding-left:18px; } article.cx .violations li { color:var(--failed); }
article.cx .violations li.nonstrict { color:var(--nonstrict); }
/* The steps sit beside the diagram when both fit; a diagram too wide for that (many lanes) goes
   below them at full width rather than scroll, and scales down only if even that is too narrow. */
.cx-body { display:flex; flex-wrap:wrap; gap:20px; padding:14px 16px; align-items:flex-start; }
.cx-steps { flex: 1 0 340px; max-width:100%; } .cx-steps ol { margin:0; padding-left:26px; } .cx-steps li { margin:3px 0; font-size:13px; }
.cx-steps .world, .cx-steps .replay { color:var(--muted); font-size:12px; margin-top:10px; word-break:break-word; }
.cx-steps .adapter-note { color:#7d4e00; background:var(--nonstrict-bg); border-radius:4px; padding:1px 6px; margin:2px 0; font-size:12px; }
figure.diagram { flex:1000 1 0; margin:0; overflow-x:auto; border:1px solid var(--line); border-radius:8px; background:#fff; }
figure.diagram svg.seq { max-width:100%; height:auto; }
figure.diagram figcaption { font-size:12px; color:var(--muted); padding:6px 10px; border-top:1px solid var(--line); }
svg.seq { display:block; font-family: ui-monospace,"DejaVu Sans Mono",Menlo,monospace; font-size:11px; }
svg.seq .lane-head { fill:#f6f8fa; stroke:#afb8c1; } svg.seq .lane-process .lane-head { fill:#ddf4ff; stroke:#54aeff; }
svg.seq .lane-server-object .lane-head { fill:#fbefff; stroke:#c297ff; } svg.seq .lane-network .lane-head { fill:#fff8c5; stroke:#d4a72c; }
svg.seq .lane-title { font-weight:700; fill:#1f2328; font-family: system-ui,"DejaVu Sans",sans-serif; font-size:12px; }
svg.seq .lane-sub { fill:#59636e; font-family: system-ui,"DejaVu Sans",sans-serif; font-size:10.5px; }
svg.seq .lifeline { stroke:#afb8c1; stroke-dasharray:4 4; } svg.seq .lane-network .lifeline { stroke:#d4a72c; stroke-dasharray:1 5; stroke-width:2; }
svg.seq .time-head { fill:#59636e; font-family: system-ui,"DejaVu Sans",sans-serif; font-size:11px; }
svg.seq .time-axis { stroke:#8c959f; } svg.seq .tick { stroke:#8c959f; } svg.seq .time { fill:#59636e; font-size:10.5px; }
svg.seq .row-zebra { fill:#f8fafc; } svg.seq .row-violation { fill:#ffebe9; } svg.seq .flag { fill:#cf222e; font-weight:700; font-size:13px; }
svg.seq .arrow { stroke:#1f2328; stroke-width:1.4; } svg.seq .arrow.dashed { stroke-dasharray:5 3; }
svg.seq .tone-ping .arrow { stroke:#0969da; } svg.seq .tone-return .arrow { stroke:#57606a; } svg.seq .tone-good .arrow { stroke:#1a7f37; }
svg.seq .tone-bad .arrow, svg.seq .cross { stroke:#cf222e; stroke-width:1.8; }
svg.seq .arrow-label { fill:#1f2328; } svg.seq .tone-ping .arrow-label { fill:#0550ae; } svg.seq .tone-bad .arrow-label { fill:#a40e26; }
svg.seq .note { fill:#ffffff; stroke:#afb8c1; } svg.seq .tone-bad .note { fill:#ffebe9; stroke:#ff8182; } svg.seq .tone-env .note { fill:#fff8c5; stroke:#d4a72c; }
svg.seq .tone-call .note { fill:#ddf4ff; stroke:#54aeff; } svg.seq .note-text { fill:#1f2328; }
svg.seq .gap { stroke:#8c959f; stroke-dasharray:2 4; } svg.seq .gap-label-bg { fill:#eff2f5; stroke:#d1d9e0; } svg.seq .gap-label { fill:#59636e; }
svg.seq .violation .arrow-label, svg.seq .violation .note-text { font-weight:700; } svg.seq .stack { stroke:#0969da; stroke-opacity:.35; stroke-width:1.4; } svg.seq .truncated { fill:#59636e; font-style:italic; }
footer { margin-top:40px; color:var(--muted); font-size:12px; border-top:1px solid var(--line); padding-top:12px; }
footer dl { display:grid; grid-template-columns: max-content 1fr; gap:2px 14px; margin:0; } footer dt { font-weight:600; } footer dd { margin:0; word-break:break-all; }
@media print { article.cx { break-inside: avoid; } }
`;

function pill(verdict: Verdict | 'not run'): string {
  const cls = verdict === 'not run' ? 'notrun' : VERDICT_CLASS[verdict];
  return `<span class="pill v-${cls}">${esc(verdict)}</span>`;
}

function certKey(cert: Certificate): string {
  return slug(`${cert.adapter.name}-${cert.adapter.version}`);
}

function cxId(cert: Certificate, profile: Profile, rule: RuleId): string {
  return `cx-${certKey(cert)}-${profile}-${rule}`;
}

function sameCase(a: CertifiedCounterexample, b: CertifiedCounterexample): boolean {
  return a.verdict === b.verdict && JSON.stringify([a.seed, a.world, a.actions]) === JSON.stringify([b.seed, b.world, b.actions]);
}

/** Each distinct counterexample once, with the profiles it stands for. */
function distinctCounterexamples(cert: Certificate): { rule: CertifiedRule; profiles: Profile[]; cx: CertifiedCounterexample }[] {
  const out: { rule: CertifiedRule; profiles: Profile[]; cx: CertifiedCounterexample }[] = [];
  for (const r of RULES) {
    for (const result of cert.results) {
      const t = result.rules.find((x) => x.id === r.id);
      if (!t?.counterexample) continue;
      const known = out.find((o) => o.rule.id === r.id && sameCase(o.cx, t.counterexample!));
      if (known) known.profiles.push(result.profile);
      else out.push({ rule: t, profiles: [result.profile], cx: t.counterexample });
    }
  }
  return out;
}

function columns(certs: readonly Certificate[]): { cert: Certificate; profiles: Profile[] }[] {
  // One certificate: the profiles it ran, in catalogue order. Several: every profile any ran, so the matrix lines up.
  const all = PROFILES.filter((p) => certs.some((c) => c.profiles.includes(p)));
  return certs.map((cert) => ({ cert, profiles: certs.length === 1 ? PROFILES.filter((p) => cert.profiles.includes(p)) : all }));
}

function legend(): string {
  return `<div class="legend">${[
    ['OK', 'exercised by enough runs, never violated'],
    ['FAILED', 'violated; see the counterexample'],
    ['NON-STRICT', 'only behaviour the nt4 profile admits'],
    ['INCONCLUSIVE', 'too few runs exercised it (never OK)'],
    ['UNIMPLEMENTED', 'the adapter cannot exercise it (never OK)'],
    ['INFORMATIONAL', 'reported, never judged'],
  ]
    .map(([v, what]) => `<span>${pill(v as Verdict)}${esc(what)}</span>`)
    .join('')}</div>`;
}

function detailOf(t: CertifiedRule, campaignRuns: number): string {
  const first = firstFailure(t, campaignRuns);
  return t.verdict === 'UNIMPLEMENTED' || t.verdict === 'INCONCLUSIVE' ? t.reason ?? '' : `${t.runs} run${t.runs === 1 ? '' : 's'}${t.failures ? `, ${t.failures} failing` : t.nonStrict ? `, ${t.nonStrict} non-strict` : ''}${first ? `; ${first}` : ''}`;
}

/** Random runs of a certificate under a profile (what "run N of M" counts). */
function runsOf(cert: Certificate, profile: Profile): number {
  return cert.results.find((r) => r.profile === profile)?.runs ?? 0;
}

/**
 * Several certificates side by side: one column per certificate, its profiles inside the cell
 * (one verdict when they agree, one line each when they differ), the sources under the rule.
 * Rules by adapters by profiles in separate columns was 2215 px wide for six certificates.
 */
function matrixByAdapter(certs: readonly Certificate[]): string {
  const cols = columns(certs);
  const out: string[] = ['<div class="matrix-wrap"><table class="matrix by-adapter" id="verdict-matrix"><thead>'];
  out.push(`<tr><th>Rule <span class="rule-title">and sources</span></th>${cols.map((c) => `<th class="adapter">${esc(c.cert.adapter.name)}<div class="mono version">${esc(c.cert.adapter.version)}</div></th>`).join('')}</tr></thead><tbody>`);
  for (const rule of RULES) {
    out.push(`<tr data-rule="${rule.id}"><th scope="row"><a class="rule-id" href="#rule-${rule.id}">${rule.id}</a><div class="rule-title">${esc(rule.title)}</div><div class="src">${rule.sources.map(esc).join('; ')}</div></th>`);
    for (const { cert, profiles } of cols) {
      const entries = profiles.map((p) => ({ p, t: cert.results.find((r) => r.profile === p)?.rules.find((x) => x.id === rule.id) }));
      // Profiles agree when their verdicts, counts and counterexamples are the same.
      const key = (t: CertifiedRule | undefined, p: Profile) => (t ? JSON.stringify([t.verdict, detailOf(t, runsOf(cert, p)), t.counterexample ? [t.counterexample.verdict, t.counterexample.seed, t.counterexample.world, t.counterexample.actions] : []]) : 'not run');
      const agree = entries.every((e) => key(e.t, e.p) === key(entries[0].t, entries[0].p));
      const shown = agree ? [{ ...entries[0], all: profiles }] : entries.map((e) => ({ ...e, all: [e.p] }));
      const lines = shown.map(({ p, t, all }) => {
        const who = agree ? '' : `<span class="profile">${esc(p)}</span>`;
        if (!t) return `<div class="pv" data-profile="${esc(all.join(' '))}" data-verdict="not run">${who}<span class="verdict v-notrun">not run</span></div>`;
        const cls = `v-${VERDICT_CLASS[t.verdict]}`;
        const label = t.counterexample ? `<a class="${cls}" href="#${cxId(cert, p, rule.id)}">${t.verdict}</a>` : `<span class="verdict ${cls}">${t.verdict}</span>`;
        return `<div class="pv" data-profile="${esc(all.join(' '))}" data-verdict="${t.verdict}" title="${esc(`${rule.id}, ${cert.adapter.name} under ${all.join(' and ')}: ${t.verdict}`)}">${who}${label}<small>${esc(detailOf(t, runsOf(cert, p)))}</small></div>`;
      });
      out.push(`<td class="cell">${lines.join('')}</td>`);
    }
    out.push('</tr>');
  }
  out.push('</tbody></table></div>');
  out.push(legend());
  out.push(`<p class="meta">Each cell holds every profile's verdict; one verdict stands for all profiles when they agree.</p>`);
  return out.join('');
}

function matrix(certs: readonly Certificate[]): string {
  if (certs.length > 1) return matrixByAdapter(certs);
  const cols = columns(certs);
  const out: string[] = ['<div class="matrix-wrap"><table class="matrix" id="verdict-matrix"><thead>'];
  out.push(`<tr><th rowspan="2">Rule</th><th rowspan="2">Source</th>${cols.map((c) => `<th class="adapter" colspan="${c.profiles.length}">${esc(c.cert.adapter.name)} <span class="mono">${esc(c.cert.adapter.version)}</span></th>`).join('')}</tr>`);
  out.push(`<tr>${cols.map((c) => c.profiles.map((p) => `<th class="adapter">${esc(p)}</th>`).join('')).join('')}</tr></thead><tbody>`);
  for (const rule of RULES) {
    out.push(`<tr data-rule="${rule.id}"><th scope="row"><a class="rule-id" href="#rule-${rule.id}">${rule.id}</a><div class="rule-title">${esc(rule.title)}</div></th><td class="src">${rule.sources.map(esc).join('<br>')}</td>`);
    for (const { cert, profiles } of cols) {
      for (const p of profiles) {
        const t = cert.results.find((r) => r.profile === p)?.rules.find((x) => x.id === rule.id);
        if (!t) {
          out.push(`<td class="cell" data-verdict="not run"><span class="verdict v-notrun">not run</span></td>`);
          continue;
        }
        const cls = `v-${VERDICT_CLASS[t.verdict]}`;
        const detail = esc(detailOf(t, runsOf(cert, p)));
        const label = t.counterexample ? `<a class="${cls}" href="#${cxId(cert, p, rule.id)}">${t.verdict}</a>` : `<span class="verdict ${cls}">${t.verdict}</span>`;
        out.push(`<td class="cell" data-verdict="${t.verdict}" title="${esc(`${rule.id} under ${p}: ${t.verdict}`)}">${label}<small>${detail}</small></td>`);
      }
    }
    out.push('</tr>');
  }
  out.push('</tbody></table></div>');
  out.push(legend());
  return out.join('');
}

function rulesSection(certs: readonly Certificate[]): string {
  const out: string[] = ['<div class="rules">'];
  for (const rule of RULES) {
    const verdicts = certs.flatMap((cert) =>
      cert.results.map((r) => {
        const t = r.rules.find((x) => x.id === rule.id);
        const who = certs.length > 1 ? `${cert.adapter.name} ${r.profile}` : r.profile;
        return t ? `<span class="mono">${esc(who)}</span> ${pill(t.verdict)}` : '';
      }),
    );
    out.push(
      `<section class="rule" id="rule-${rule.id}"><h3><span class="mono">${rule.id}</span>${rule.informational ? ' <small>(informational)</small>' : ''}</h3><p><strong>${esc(rule.title)}.</strong> ${esc(rule.statement)}</p><p class="src">Sources: ${rule.sources.map(esc).join('; ')}</p><div class="verdicts">${verdicts.join(' ')}</div></section>`,
    );
  }
  out.push('</div>');
  return out.join('');
}

function bar(n: number, max: number): string {
  if (n === 0) return '<span class="zero"></span>';
  return `<span style="width:${Math.max(1, Math.round((100 * n) / Math.max(1, max)))}%"></span>`;
}

function coverage(cert: Certificate): string {
  const results = cert.results;
  const kinds = [...new Set(results.flatMap((r) => Object.keys(r.actionCounts)))] as (keyof Certificate['results'][number]['actionCounts'])[];
  const max = Math.max(1, ...results.flatMap((r) => Object.values(r.actionCounts) as number[]));
  const head = results.map((r) => `<th class="n">${esc(r.profile)}</th>`).join('');
  const actions = [`<table class="cov actions" id="coverage-actions-${certKey(cert)}"><thead><tr><th>Action kind</th>${head}<th></th></tr></thead><tbody>`];
  for (const k of kinds) {
    const counts = results.map((r) => r.actionCounts[k] ?? 0);
    actions.push(`<tr data-action="${esc(k)}"><td class="mono">${esc(k)}</td>${counts.map((n) => `<td class="n">${n}</td>`).join('')}<td class="bar">${bar(counts[0], max)}</td></tr>`);
  }
  actions.push('</tbody></table>');
  const situations = [`<table class="cov situations" id="coverage-situations-${certKey(cert)}"><thead><tr><th>Rule and situation</th>${head}<th></th></tr></thead><tbody>`];
  for (const rule of RULES) {
    const tallies = results.map((r) => r.rules.find((t) => t.id === rule.id));
    const names = [...new Set(tallies.flatMap((t) => Object.keys(t?.situations ?? {})))];
    const runs = tallies.map((t) => (t ? String(t.runs) : '–'));
    situations.push(`<tr class="group"><th>${rule.id}</th>${runs.map((n) => `<td class="n"><strong>${n}</strong></td>`).join('')}<td class="mono" style="color:var(--muted);font-size:11px">runs</td></tr>`);
    if (!names.length) situations.push(`<tr><td colspan="${results.length + 2}" style="color:var(--muted)">no situation reached</td></tr>`);
    const smax = Math.max(1, ...tallies.flatMap((t) => Object.values(t?.situations ?? {})));
    for (const s of names) {
      const counts = tallies.map((t) => t?.situations[s] ?? 0);
      situations.push(`<tr data-situation="${esc(s)}"><td>${esc(s)}</td>${counts.map((n) => `<td class="n">${n}</td>`).join('')}<td class="bar">${bar(counts[0], smax)}</td></tr>`);
    }
  }
  situations.push('</tbody></table>');
  return `<div class="coverage"><div>${actions.join('')}</div><div>${situations.join('')}</div></div>`;
}

function counterexampleArticle(cert: Certificate, entry: { rule: CertifiedRule; profiles: Profile[]; cx: CertifiedCounterexample }): string {
  const { rule, profiles, cx } = entry;
  const id = cxId(cert, profiles[0], rule.id);
  const anchors = profiles.slice(1).map((p) => `<a id="${cxId(cert, p, rule.id)}"></a>`).join('');
  const diagram = sequenceDiagram(`seq-${id}`, cx.actions, cx.trace, cx.violations);
  const settle = settleMs(cx.trace);
  // What the adapter said about an action (it may contradict it: node-dcom always authenticates) sits under it, in full.
  const notes = (step: number) => cx.trace.filter((e) => e.kind === 'note' && e.step === step).map((e) => `<div class="adapter-note">adapter note: ${esc((e as { text: string }).text)}</div>`).join('');
  const steps = cx.actions.map((a, i) => `<li>${esc(describeAction(a))}${notes(i)}</li>`).join('');
  const violations = cx.violations
    .slice(0, 4)
    .map((v) => `<li class="${v.severity === 'fail' ? 'fail' : 'nonstrict'}">${esc(v.message)}</li>`)
    .join('');
  const more = cx.violations.length > 4 ? `<li>… and ${cx.violations.length - 4} more</li>` : '';
  const origin = cx.corpusCase ? `corpus case <span class="mono">${esc(cx.corpusCase)}</span>` : `campaign seed ${cx.origin.campaignSeed}, run ${cx.origin.run + 1}`;
  return `<article class="cx" id="${id}" data-rule="${rule.id}">${anchors}<header><h3>${pill(cx.verdict)} <span class="mono">${rule.id}</span> under ${profiles.map(esc).join(', ')}</h3><p class="statement">${esc(rule.statement)} <span class="src">(${rule.sources.map(esc).join('; ')})</span></p><div class="meta">${esc(describeShrink(cx))}; adapter seed ${cx.seed}; from ${origin}${firstFailure(rule, runsOf(cert, profiles[0])) ? `; ${firstFailure(rule, runsOf(cert, profiles[0]))}` : ''}</div><ul class="violations">${violations}${more}</ul></header><div class="cx-body"><div class="cx-steps"><ol>${steps}</ol>${settle !== undefined ? `<div class="world">then the runner lets ${esc(formatMs(settle))} pass${notes(cx.actions.length)}</div>` : ''}<div class="world"><strong>World:</strong> ${esc(describeWorld(cx.world))}</div><div class="replay">Replay it: <code>${esc(replayCommand(rule.id))}</code></div></div><figure class="diagram" style="min-width:min(100%, ${diagram.width + 2}px)">${diagram.svg}<figcaption>${cx.trace.length} trace events in ${diagram.rows} rows over ${diagram.lanes.length} lanes${diagram.collapsed ? ` (runs of identical pings drawn once, ×count)` : ''}${diagram.truncated ? `; ${diagram.truncated} later rows not drawn` : ''}; rows marked ! are the events the violations name.</figcaption></figure></div></article>`;
}

/** Runs that ended in adapter errors: never judged, listed in the adapter's own words. */
function adapterErrors(cert: Certificate): string {
  const out: string[] = [];
  for (const r of cert.results) {
    if (!r.errors.length) continue;
    out.push(`<p class="meta"><strong>${esc(cert.adapter.name)} ${esc(cert.adapter.version)}, ${esc(r.profile)}</strong>: ${r.errors.length} run${r.errors.length === 1 ? '' : 's'} ended in adapter errors and were not judged.</p><ul class="violations">`);
    for (const e of r.errors) {
      const where = e.corpusCase !== undefined ? `corpus case ${e.corpusCase}` : `run ${e.run + 1}`;
      out.push(`<li class="fail adapter-error"><strong>${esc(where)}</strong>: <pre class="mono">${esc([e.message, ...e.notes.map((n) => `note: ${n}`)].join('\n'))}</pre></li>`);
    }
    out.push('</ul>');
  }
  return out.join('');
}

export function renderHtml(certs: readonly Certificate[]): string {
  const one = certs.length === 1 ? certs[0] : undefined;
  const title = one ? `dcomkit certificate: ${one.adapter.name} ${one.adapter.version}` : `dcomkit conformance: ${certs.map((c) => c.adapter.name).join(', ')}`;
  const counts = new Map<Verdict, number>();
  for (const c of certs) for (const r of c.results) for (const t of r.rules) counts.set(t.verdict, (counts.get(t.verdict) ?? 0) + 1);
  const summary = (['OK', 'FAILED', 'NON-STRICT', 'INCONCLUSIVE', 'UNIMPLEMENTED', 'INFORMATIONAL'] as Verdict[])
    .filter((v) => counts.get(v))
    .map((v) => `<span class="pill v-${VERDICT_CLASS[v]}">${counts.get(v)} ${v}</span>`)
    .join('');
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`);
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  out.push(`<title>${esc(title)}</title><style>${CSS}</style></head><body><main>`);
  out.push(`<header class="top"><h1>${esc(title)}</h1>`);
  for (const c of certs) {
    const runs = c.results[0];
    out.push(
      `<p class="meta"><strong>${esc(c.adapter.name)} ${esc(c.adapter.version)}</strong>: profiles ${c.profiles.map(esc).join(', ')}; ${esc(describeCampaigns(c.campaigns))}${runs?.corpusRuns ? `; ${runs.corpusRuns} corpus cases` : ''}; ${c.adapter.clock.kind === 'virtual' ? 'virtual clock' : `real clock ×${c.adapter.clock.scale}`}; kit ${esc(c.kitVersion)}</p>`,
    );
  }
  out.push(`<div class="summary">${summary}</div></header>`);
  out.push(`<h2 id="matrix">Verdicts</h2>${matrix(certs)}`);
  const faulty = certs.filter((c) => c.results.some((r) => r.errors.length));
  if (faulty.length) out.push(`<h2 id="adapter-errors">Adapter errors</h2>${faulty.map(adapterErrors).join('')}`);
  out.push(`<h2 id="rules">Rules</h2>${rulesSection(certs)}`);
  for (const c of certs) out.push(`<h2 id="coverage-${certKey(c)}">Coverage${one ? '' : `: ${esc(c.adapter.name)}`}</h2>${coverage(c)}`);
  for (const c of certs) {
    const cxs = distinctCounterexamples(c);
    out.push(`<h2 id="counterexamples-${certKey(c)}">Counterexamples${one ? '' : `: ${esc(c.adapter.name)}`}</h2>`);
    if (!cxs.length) out.push(`<p class="meta">No rule failed: there is no counterexample.</p>`);
    for (const e of cxs) out.push(counterexampleArticle(c, e));
  }
  out.push(`<footer><dl>`);
  for (const c of certs) {
    out.push(`<dt>${esc(c.adapter.name)} certificate</dt><dd class="mono">${esc(c.hash)}</dd>`);
    out.push(`<dt>generator schema</dt><dd class="mono">${esc(c.generator.schemaHash)} (fast-check ${esc(c.generator.fastCheck)}, at most ${c.generator.options.maxActions} actions, settle ${esc(formatMs(c.generator.settleMs))})</dd>`);
  }
  out.push(`</dl><p>Check with <code>dcomkit verify certificate.json</code>: it re-runs the seeds and counterexamples and checks the hash.</p></footer>`);
  out.push(`</main></body></html>\n`);
  return out.join('\n');
}

export const htmlReporter: Reporter = {
  name: 'html',
  description: 'self-contained HTML page: verdict matrix, rules, coverage, sequence diagrams',
  file: 'report.html',
  render: renderHtml,
};
