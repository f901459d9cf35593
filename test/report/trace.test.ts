/**
 * How a counterexample's trace reads: runs of identical pings collapse, the events a violation
 * names stay rows of their own and are the ones highlighted, adapter notes are shown in full.
 */
import { judge } from '../../oracles';
import { formatCounterexample, sequenceDiagram } from '../../report';
import { describeRow, traceRows } from '../../report/trace';
import { COUNTEREXAMPLE_FORMAT, type Counterexample } from '../../runner';
import type { PingEvent, TraceEvent, Violation } from '../../spec';
import { TraceBuilder } from '../helpers/trace';

const S = 1000;
const NOTE = 'p1: node-dcom always authenticates with NTLM; started authenticated, whatever the action asked for, so this note runs well past one line of the diagram';

/** node-dcom's PING-SEQUENCE failure: one ping set per activation, then ten periods of SimplePings on both. */
function twoSets(): TraceBuilder {
  const t = new TraceBuilder().startAndActivate(0);
  t.events.push({ kind: 'note', at: 0, step: 0, text: NOTE });
  t.startAndActivate(0, { handle: 'h2', oid: 'oid2' }).settle(0);
  t.createSet(120 * S, ['oid1']).createSet(120 * S, ['oid2']);
  for (let at = 240; at <= 1200; at += 120) t.ping(at * S, { type: 'simple', setId: 'set1' }).ping(at * S, { type: 'simple', setId: 'set2' });
  return t;
}

function counterexample(t: TraceBuilder): Counterexample {
  const trace = t.build();
  const outcome = judge(trace, 'strict', new Set(['PING-SEQUENCE']))[0];
  const actions = trace.events.flatMap((e) => (e.kind === 'action' && !e.settle ? [e.action] : []));
  return {
    format: COUNTEREXAMPLE_FORMAT,
    kitVersion: 'test',
    adapter: { name: 'hand-built', version: '0' },
    profile: 'strict',
    rule: 'PING-SEQUENCE',
    verdict: 'FAILED',
    seed: 0,
    world: trace.world,
    actions,
    origin: { campaignSeed: 0, run: 0, path: '' },
    shrunk: true,
    shrinkMs: 0,
    violations: outcome.violations,
    trace: trace.events,
  };
}

const ping = (at: number, setId: string, extra: Partial<PingEvent> = {}): PingEvent => ({ kind: 'ping', at, step: 0, from: 'client1', to: 'server', type: 'simple', setId, seq: 0, adds: [], dels: [], status: 'ok', ...extra });

describe('trace rows', () => {
  test('interleaved runs of identical SimplePings become one row per set, where each run began', () => {
    const cx = counterexample(twoSets());
    const rows = traceRows(cx.trace, cx.violations);
    const pings = rows.filter((r) => r.event.kind === 'ping');
    expect(pings.map((r) => [r.event.at / S, r.count, r.last && r.last.at / S, r.cited])).toEqual([
      [120, 1, undefined, true],
      [120, 1, undefined, true],
      [240, 9, 1200, false],
      [240, 9, 1200, false],
    ]);
    expect(pings.slice(2).map(describeRow)).toEqual([
      '[240s - 1200s] ping client1 -> server: SimplePing(set set1) ok x9',
      '[240s - 1200s] ping client1 -> server: SimplePing(set set2) ok x9',
    ]);
    // Nothing is lost: the rows account for every event.
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(cx.trace.length);
  });

  test('a cited ping, an action, or a different ping on the same set ends a run; pairs stay as they are', () => {
    const cited = ping(480 * S, 's1');
    const events: TraceEvent[] = [
      ...[120, 240, 360].map((at) => ping(at * S, 's1')),
      cited,
      ...[600, 720].map((at) => ping(at * S, 's1')),
      { kind: 'action', at: 730 * S, step: 1, action: { kind: 'partition', machine: 'client1' } },
      ...[840, 960, 1080].map((at) => ping(at * S, 's1', { status: 'lost' })),
      ping(1100 * S, 's1', { type: 'complex', seq: 3, dels: ['oid1'], status: 'lost' }),
      ...[1200, 1320, 1440].map((at) => ping(at * S, 's1', { status: 'lost' })),
    ];
    const violations: Violation[] = [{ message: 'x', severity: 'fail', events: [cited] }];
    const rows = traceRows(events, violations);
    expect(rows.map((r) => [r.event.at / S, r.count, r.cited])).toEqual([
      [120, 3, false],
      [480, 1, true],
      [600, 1, false],
      [720, 1, false],
      [730, 1, false],
      [840, 3, false],
      [1100, 1, false],
      [1200, 3, false],
    ]);
    expect(traceRows(events, violations, { minRun: 2 }).map((r) => r.count)).toEqual([3, 1, 2, 1, 3, 1, 3]);
  });

  test('pings that differ in anything but their time are not a run', () => {
    const events = [ping(1, 's1'), ping(2, 's1', { duplicate: true }), ping(3, 's1'), ping(4, 's1', { to: 'client2' }), ping(5, 's1')];
    expect(traceRows(events, []).map((r) => r.count)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('the text of a counterexample', () => {
  test('puts adapter notes in full under their action, and shows the trace collapsed with the cited events marked', () => {
    const lines = formatCounterexample(counterexample(twoSets()));
    const text = lines.join('\n');
    expect(lines[lines.findIndex((l) => / 1\. start client p1/.test(l)) + 1]).toBe(`        adapter note: ${NOTE}`);
    expect(text).toMatch(/^ {2}violation: client1 keeps a second ping set to server beside set set2; resolvers keep one per machine$/m);
    expect(lines.filter((l) => l.startsWith('    ! '))).toEqual([
      '    ! [120s] ping client1 -> server: ComplexPing(set 0, seq 1, add [oid1], del []) ok -> set set1',
      '    ! [120s] ping client1 -> server: ComplexPing(set 0, seq 1, add [oid2], del []) ok -> set set2',
    ]);
    expect(text).toContain('      [240s - 1200s] ping client1 -> server: SimplePing(set set2) ok x9');
    expect(text).toMatch(/trace \(27 events, identical pings collapsed; ! marks what the violations name\):/);
    expect(text).not.toContain('…');
  });
});

describe('the sequence diagram of a counterexample', () => {
  test('highlights the events that prove the violation, draws each run of identical pings once, and shows notes whole', () => {
    const cx = counterexample(twoSets());
    const d = sequenceDiagram('t', cx.actions, cx.trace, cx.violations);
    const rows = [...d.svg.matchAll(/<g class="row ([^"]*)" data-kind="(\w+)"[^>]*>(.*?)<\/g>/g)];
    const highlighted = rows.filter((r) => r[1].includes('violation')).map((r) => r[3].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
    expect(highlighted).toHaveLength(2);
    expect(highlighted.every((h) => /ComplexPing 0 #1 \+oid\d → set\d/.test(h))).toBe(true);
    expect(d.svg.match(/class="row-violation"/g)).toHaveLength(2);
    expect(d.svg.match(/data-count="9"/g)).toHaveLength(2);
    expect(d.svg).toContain('SimplePing set1 ×9, 240s – 1200s');
    expect(d.rows).toBe(cx.trace.length - 2 * 8);
    expect(d.collapsed).toBe(2);
    // The note wraps over lines (tspans), every word of it drawn, nothing cut with an ellipsis.
    const note = rows.find((r) => r[2] === 'note')![3];
    const spans = [...note.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1]);
    expect(spans.length).toBeGreaterThan(1);
    expect(spans.join(' ')).toBe(`adapter note: ${NOTE}`);
    expect(d.svg).not.toContain('…');
  });
});
