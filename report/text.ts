/** Plain-text rendering of campaign results and counterexamples, for terminals and CI logs. */
import { defaultWorld, describeAction, describeEvent, describeAccess, formatMs, MACHINES, settleMs, VERDICTS, type World } from '../spec';
import type { CampaignResult, Counterexample, RuleTally, RunError } from '../runner';
import type { Capabilities, Profile } from '../spec';
import { describeRow, traceRows } from './trace';

/**
 * The world a counterexample starts in, as far as it differs from the default world (every
 * machine TCP only, access permission absent, same domain): what is left after shrinking is
 * what the failure needs.
 */
export function describeWorld(world: World): string {
  const base = defaultWorld();
  const parts: string[] = [];
  for (const m of MACHINES) {
    const c = world.machines[m];
    const d = base.machines[m];
    const diffs: string[] = [];
    if (c.protocols !== d.protocols) diffs.push(c.protocols);
    if (JSON.stringify(c.access) !== JSON.stringify(d.access)) diffs.push(`access ${describeAccess(c.access)}`);
    if (m !== 'server' && c.trust !== d.trust) diffs.push(`trust ${c.trust}`);
    if (diffs.length) parts.push(`${m}: ${diffs.join(', ')}`);
  }
  return parts.length ? `default, except ${parts.join('; ')}` : 'default (TCP only, access permission absent, one domain)';
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/**
 * "first failed at run 37 of 500": the number users compare between versions. The runner
 * gives it as `firstFailedRun` (1-based, in campaign order; 0 for a corpus case) on a
 * rule's tally and certified rule; nothing is said when it does not.
 */
export function firstFailure(t: { firstFailedRun?: number }, runs: number): string | undefined {
  const n = t.firstFailedRun;
  if (n === undefined) return undefined;
  return n === 0 ? 'first failed in a corpus case' : `first failed at run ${n} of ${runs}`;
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

/** The command that replays a certified counterexample, run beside its certificate.json. */
export function replayCommand(rule: string, certificate = 'certificate.json'): string {
  return `npx dcomkit replay ${certificate} ${rule}`;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** What shrinking did, honestly: minimal, partly shrunk (from N to M) or not shrunk, and why. */
export function describeShrink(cx: Pick<Counterexample, 'actions' | 'shrunk' | 'shrink' | 'shrinkTimedOut'> & { shrinkMs?: number }): string {
  const n = plural(cx.actions.length, 'action');
  const s = cx.shrink;
  const time = cx.shrinkMs ? ` in ${formatMs(cx.shrinkMs)}` : '';
  const errors = s?.errors ? `; ${plural(s.errors, 'shrink attempt')} ended in adapter errors and counted as not reproducing` : '';
  if (!s) return `${n}, ${cx.shrunk ? (cx.shrinkTimedOut ? 'partly shrunk' : 'shrunk') : 'not shrunk'}`;
  const why =
    s.why === 'time-limit' ? 'shrink budget spent' : s.why === 'stopped' ? 'the campaign stopped' : s.why === 'disabled' ? 'shrinking off' : s.why === 'not-reproduced' ? 'the failure did not reproduce when replayed' : '';
  if (s.status === 'minimal') return `${n}, minimal: shrunk from ${s.from}${time}, ${plural(s.attempts, 'attempt')}${errors}`;
  if (s.status === 'partial') return `${n}, partly shrunk from ${s.from}${time} (${why || 'not finished'})${errors}`;
  return `${n}, not shrunk${why ? ` (${why})` : ''}${errors}`;
}

/** The line printed before the first run: what is about to happen, and the seed to repeat it. */
export function formatHeader(caps: Pick<Capabilities, 'name' | 'version'>, profile: Profile, runs: number, seed: number, extra = ''): string {
  return `dcomkit: adapter ${caps.name} ${caps.version}, profile ${profile}, ${runs} runs${extra}, seed ${seed}`;
}

/** Adapter errors, for stderr: each in the adapter's own words (its message, notes and stderr). */
export function formatErrors(errors: readonly RunError[], limit = 5): string[] {
  if (!errors.length) return [];
  const lines = [`dcomkit: ${plural(errors.length, 'run')} ended in adapter errors; no rule judged ${errors.length === 1 ? 'it' : 'them'}:`];
  for (const e of errors.slice(0, limit)) {
    const where = e.corpusCase !== undefined ? `corpus case ${e.corpusCase}` : `run ${e.run + 1}`;
    lines.push(`  ${where} (${e.kind}): ${e.message.split('\n').join('\n    ')}`);
    for (const n of e.notes) lines.push(`    adapter note: ${n}`);
  }
  if (errors.length > limit) lines.push(`  ... and ${errors.length - limit} more (all of them are in --json and certificates)`);
  return lines;
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
  lines.push(`  counterexample (${describeShrink(cx)}; adapter seed ${cx.seed})`);
  lines.push(`  world: ${describeWorld(cx.world)}`);
  // What the adapter said about an action (it may contradict the action: node-dcom always
  // authenticates) goes right under it, in full.
  const notes = (step: number) => cx.trace.filter((e) => e.kind === 'note' && e.step === step).map((e) => `        adapter note: ${(e as { text: string }).text}`);
  cx.actions.forEach((a, i) => lines.push(`    ${String(i + 1).padStart(2)}. ${describeAction(a)}`, ...notes(i)));
  // The settle period's chunks all carry the step after the last action.
  const settle = settleMs(cx.trace);
  if (settle !== undefined) lines.push(`        (then the runner lets ${formatMs(settle)} pass)`, ...notes(cx.actions.length));
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
  if (result.stopped) {
    lines.push(`PARTIAL: ${result.stopped.detail} ${result.stopped.phase === 'runs' ? `after ${result.runs} of ${result.total} runs` : `while shrinking (all ${result.runs} runs done)`}; the verdicts below are from what finished.`);
  }
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
  const count = (v: string) => result.rules.filter((t) => t.verdict === v).length;
  const parts = VERDICTS.filter((v) => count(v)).map((v) => `${count(v)} ${v}`);
  const s = result.stats;
  const errors = result.errors.length ? `, ${plural(result.errors.length, 'adapter error')} (not judged; see stderr)` : '';
  lines.push('');
  lines.push(`${result.rules.length} rules: ${parts.join(', ')}. ${result.runs} runs${errors}, ${s.actions} actions in ${formatMs(Math.round(s.wallMs))} (${Math.round(s.actions / Math.max(s.wallMs / 1000, 0.001))} actions/s).`);
  return lines.join('\n');
}
