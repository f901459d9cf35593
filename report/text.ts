/** Plain-text rendering of campaign results and counterexamples, for terminals and CI logs. */
import { describeAction, describeEvent, describeAccess, formatMs, type World } from '../spec';
import type { CampaignResult, Counterexample, RuleTally } from '../runner';
import { describeRow, traceRows } from './trace';

export function describeWorld(world: World): string {
  return Object.entries(world.machines)
    .map(([m, c]) => `${m}: ${c.protocols}, access ${describeAccess(c.access)}${m === 'server' ? '' : `, trust ${c.trust}`}`)
    .join('; ');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/**
 * "first failed at run 37 of 500": the number users compare between versions. The runner
 * gives it as `firstFailedRun` (0-based, as `origin.run`; negative for a corpus case) on a
 * rule's tally and certified rule; nothing is said when it does not.
 */
export function firstFailure(t: object, runs: number): string | undefined {
  const n = (t as { firstFailedRun?: unknown }).firstFailedRun;
  if (typeof n !== 'number') return undefined;
  return n < 0 ? 'first failed in a corpus case' : `first failed at run ${n + 1} of ${runs}`;
}

/** One line per rule: id, verdict, runs that exercised it; `campaignRuns` for "first failed at run N of M". */
export function formatVerdicts(rules: readonly RuleTally[], campaignRuns?: number): string[] {
  const width = Math.max(...rules.map((t) => t.rule.id.length)) + 2;
  return rules.map((t) => {
    const runs = `${t.runs} run${t.runs === 1 ? '' : 's'}`;
    const first = campaignRuns === undefined ? undefined : firstFailure(t, campaignRuns);
    const extra = t.reason ? `  (${t.reason})` : t.failures ? `  (${t.failures} failing${first ? `, ${first}` : ''})` : t.nonStrict ? `  (${t.nonStrict} non-strict${first ? `, ${first}` : ''})` : '';
    return `${pad(t.rule.id, width)}${pad(t.verdict, 15)}${runs}${extra}`;
  });
}

/** Most trace rows the text shows; rows a violation names are shown beyond it. */
const MAX_TRACE_ROWS = 40;

/** The trace with identical pings collapsed, `!` marking the events the violations name. */
export function formatTrace(cx: Pick<Counterexample, 'trace' | 'violations'>): string[] {
  const rows = traceRows(cx.trace, cx.violations);
  const lines = [`  trace (${cx.trace.length} event${cx.trace.length === 1 ? '' : 's'}${rows.length < cx.trace.length ? `, identical pings collapsed` : ''}; ! marks what the violations name):`];
  let hidden = 0;
  rows.forEach((row, i) => {
    if (i >= MAX_TRACE_ROWS && !row.cited) {
      hidden += row.count;
      return;
    }
    if (hidden) lines.push(`      ... ${hidden} event${hidden === 1 ? '' : 's'} not shown`);
    hidden = 0;
    lines.push(`    ${row.cited ? '!' : ' '} ${describeRow(row)}`);
  });
  if (hidden) lines.push(`      ... ${hidden} later event${hidden === 1 ? '' : 's'} not shown`);
  return lines;
}

export function formatCounterexample(cx: Counterexample, replay?: string): string[] {
  const lines: string[] = [];
  const tally = `${cx.actions.length} action${cx.actions.length === 1 ? '' : 's'}${cx.shrunk ? (cx.shrinkMs ? `, shrunk in ${formatMs(cx.shrinkMs)}` : ', shrunk') : ', not shrunk'}`;
  lines.push(`  counterexample (${tally}; adapter seed ${cx.seed})`);
  lines.push(`  world: ${describeWorld(cx.world)}`);
  // What the adapter said about an action (it may contradict the action: node-dcom always
  // authenticates) goes right under it, in full.
  const notes = (step: number) => cx.trace.filter((e) => e.kind === 'note' && e.step === step).map((e) => `        adapter note: ${(e as { text: string }).text}`);
  cx.actions.forEach((a, i) => lines.push(`    ${String(i + 1).padStart(2)}. ${describeAction(a)}`, ...notes(i)));
  const settle = cx.trace.find((e) => e.kind === 'action' && e.settle);
  if (settle?.kind === 'action' && settle.action.kind === 'advance') lines.push(`        (then the runner lets ${formatMs(settle.action.ms)} pass)`, ...notes(settle.step));
  for (const v of cx.violations.slice(0, 3)) {
    lines.push(`  ${v.severity === 'fail' ? 'violation' : 'non-strict'}: ${v.message}`);
    for (const e of v.events) lines.push(`      ${describeEvent(e)}`);
  }
  if (cx.violations.length > 3) lines.push(`  ... and ${cx.violations.length - 3} more`);
  lines.push(...formatTrace(cx));
  if (replay) lines.push(`  replay: ${replay}`);
  return lines;
}

/** The whole report of a campaign; `replays` maps rule ids to their replay commands. */
export function formatCampaign(result: CampaignResult, replays: ReadonlyMap<string, string> = new Map()): string {
  const lines: string[] = [];
  const a = result.adapter;
  const shard = result.shard ? ` (shard ${result.shard.index}/${result.shard.count})` : '';
  lines.push(`dcomkit: adapter ${a.name} ${a.version}, profile ${result.profile}, ${result.runs} runs${shard}, seed ${result.seed}`);
  if (result.corpus) {
    const skipped = result.corpus.skipped.length ? `, ${result.corpus.skipped.length} skipped (${result.corpus.skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')})` : '';
    lines.push(`corpus: ${result.corpus.replayed} case${result.corpus.replayed === 1 ? '' : 's'} replayed${skipped}`);
  }
  lines.push(...formatVerdicts(result.rules, result.runs));
  for (const t of result.rules) {
    if (!t.counterexample) continue;
    lines.push('');
    lines.push(`${t.verdict} ${t.rule.id}: ${t.rule.title} (${t.rule.sources.join('; ')})${t.corpusCase ? ` [corpus case ${t.corpusCase}]` : ''}`);
    lines.push(...formatCounterexample(t.counterexample, replays.get(t.rule.id)));
  }
  if (result.errors.length) {
    lines.push('');
    lines.push(`adapter errors in ${result.errors.length} run${result.errors.length === 1 ? '' : 's'}:`);
    for (const e of result.errors.slice(0, 5)) lines.push(`  run ${e.run + 1}: ${e.message.split('\n').join('\n    ')}`);
  }
  const count = (v: string) => result.rules.filter((t) => t.verdict === v).length;
  const parts = ['OK', 'FAILED', 'NON-STRICT', 'UNIMPLEMENTED', 'INFORMATIONAL'].filter((v) => count(v)).map((v) => `${count(v)} ${v}`);
  const s = result.stats;
  lines.push('');
  lines.push(`${result.rules.length} rules: ${parts.join(', ')}. ${result.runs} runs, ${s.actions} actions in ${formatMs(Math.round(s.wallMs))} (${Math.round(s.actions / (s.wallMs / 1000))} actions/s).`);
  return lines.join('\n');
}
