/**
 * A counterexample's trace as rows a person reads: runs of identical pings collapse into one
 * row ("SimplePing(set set2) ok x8, 240s - 1080s"), and the events a violation names stay
 * rows of their own, marked. Shared by the text and the sequence diagram.
 */
import { describeEvent, formatMs, type PingEvent, type TraceEvent, type Violation } from '../spec';

export interface TraceRow {
  /** The event, or the first of a collapsed run. */
  event: TraceEvent;
  /** The last ping of a collapsed run; undefined for a single event. */
  last?: PingEvent;
  /** How many identical pings the row stands for (1 for a single event). */
  count: number;
  /** A violation names this event. */
  cited: boolean;
}

export interface TraceRowOptions {
  /** Shortest run of identical pings collapsed into one row (default 3: a pair reads as well as a row). */
  minRun?: number;
}

/** What makes two pings identical: everything but their time and the step they fell in. */
function pingKey(e: PingEvent): string {
  return JSON.stringify([e.from, e.to, e.type, e.setId, e.type === 'complex' ? [e.seq, e.adds, e.dels] : 0, e.status, e.newSetId ?? '', e.duplicate ?? false]);
}

/** The set a ping is about: a different ping on the same set ends a run (its order matters). */
function setOf(e: PingEvent): string {
  return `${e.from}>${e.to}>${e.setId}`;
}

/** The events the violations name, as a membership test. */
export function citedEvents(violations: readonly Violation[]): (e: TraceEvent) => boolean {
  const cited = new Set(violations.flatMap((v) => v.events.map((e) => JSON.stringify(e))));
  return (e) => cited.size > 0 && cited.has(JSON.stringify(e));
}

/**
 * The trace as rows. A run is made of pings with nothing but other pings between them (an
 * action, a call's result, a reclaim or a cited event ends every run), identical to one
 * another, with no different ping on the same set among them; it becomes one row where its
 * first ping stood. Pings of different sets interleave freely (a resolver pings its sets in
 * turn), so each keeps its own run.
 */
export function traceRows(events: readonly TraceEvent[], violations: readonly Violation[], options: TraceRowOptions = {}): TraceRow[] {
  const minRun = options.minRun ?? 3;
  const isCited = citedEvents(violations);
  const rows: TraceRow[] = [];
  // Per run: the row it occupies and the members after the first (they become rows of their
  // own again if the run stays shorter than minRun).
  const runs: { row: TraceRow; rest: { index: number; event: PingEvent }[] }[] = [];
  const open = new Map<string, { key: string; run: (typeof runs)[number] }>();
  const rowsAt = new Map<number, TraceRow>();
  events.forEach((e, index) => {
    const cited = isCited(e);
    if (e.kind !== 'ping' || cited) {
      open.clear();
      rowsAt.set(index, { event: e, count: 1, cited });
      return;
    }
    const key = pingKey(e);
    const current = open.get(setOf(e));
    if (current && current.key === key) {
      current.run.rest.push({ index, event: e });
      return;
    }
    const row: TraceRow = { event: e, count: 1, cited: false };
    const run = { row, rest: [] };
    runs.push(run);
    open.set(setOf(e), { key, run });
    rowsAt.set(index, row);
  });
  for (const { row, rest } of runs) {
    if (rest.length + 1 >= minRun) {
      row.count = rest.length + 1;
      row.last = rest[rest.length - 1].event;
    } else {
      for (const r of rest) rowsAt.set(r.index, { event: r.event, count: 1, cited: false });
    }
  }
  for (const index of [...rowsAt.keys()].sort((a, b) => a - b)) rows.push(rowsAt.get(index)!);
  return rows;
}

/** "[240s - 1080s] ping client1 -> server: SimplePing(set set2) ok x8", or describeEvent of a single event. */
export function describeRow(row: TraceRow): string {
  const text = describeEvent(row.event);
  if (!row.last) return text;
  return `[${formatMs(row.event.at)} - ${formatMs(row.last.at)}] ${text.slice(text.indexOf('] ') + 2)} x${row.count}`;
}
