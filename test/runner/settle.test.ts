import fc from 'fast-check';
import { NT4_RELEASES, SimulatedAdapter, type Behaviour } from '../../adapters/reference';
import { MUTANTS } from '../../adapters/reference/mutants';
import { runArb } from '../../generators';
import { judge, settleHorizon } from '../../oracles';
import { TraceRecorder, executeRun, replayActions, type RunRecord } from '../../runner';
import { SETTLE_MS, defaultWorld, settleMs, type Action, type Adapter, type Trace, type World } from '../../spec';
import { activate, start } from '../power/scenarios';

/** The run as the runner used to settle it: ten ping periods, always. */
async function fixedSettle(adapter: Adapter, seed: number, world: World, actions: readonly Action[]): Promise<Trace> {
  const recorder = new TraceRecorder(adapter, seed, world);
  await recorder.reset();
  for (const a of actions) await recorder.apply(a);
  await recorder.apply({ kind: 'advance', ms: SETTLE_MS }, true);
  return recorder.trace();
}

/** What a verdict is made of: status, how many violations, which situations. */
const outcomes = (trace: Trace) =>
  (['strict', 'nt4'] as const).flatMap((p) => judge(trace, p).map((o) => `${p} ${o.rule} ${o.status} ${o.violations.length} ${o.situations.join(',')}`));

const exit: Action = { kind: 'exit', process: 'p1' };
const settled = (r: RunRecord) => settleMs(r.trace.events)!;
const end = (t: Trace) => Math.max(...t.events.map((e) => (e.kind === 'action' && e.action.kind === 'advance' ? e.at + e.action.ms : e.at)));

describe('settle period', () => {
  test('a run that leaves nothing behind settles only until nothing is left to judge', async () => {
    const r = await replayActions(new SimulatedAdapter('reference'), 1, defaultWorld(), [start(), activate(), exit]);
    expect(settled(r)).toBeGreaterThan(0);
    expect(settled(r)).toBeLessThan(SETTLE_MS / 2);
    // It stopped exactly where its own trace says nothing is left.
    expect(settleHorizon(r.trace)).toBeLessThanOrEqual(end(r.trace));
    expect(outcomes(r.trace)).toEqual(outcomes(await fixedSettle(new SimulatedAdapter('reference'), 1, defaultWorld(), [start(), activate(), exit])));
  });

  test('a run still holding a reference settles for the whole bound, in one chunk', async () => {
    const r = await replayActions(new SimulatedAdapter('reference'), 1, defaultWorld(), [start(), activate()]);
    const chunks = r.trace.events.filter((e) => e.kind === 'action' && e.settle);
    expect(chunks).toHaveLength(1);
    expect(settled(r)).toBe(SETTLE_MS);
    expect(settled(await replayActions(new SimulatedAdapter('reference'), 1, defaultWorld(), [start(), activate()], 300_000))).toBe(300_000);
  });

  // Q224837: the machine of an unauthenticated client that activated with COAUTHINFO keeps
  // pinging after the program ends. Nothing is referenced, yet the world is not quiet.
  test('a machine that goes on pinging keeps the settle going: Q224837 still fails on nt4-sp5', async () => {
    const actions = [start('p1', 'client1', false), activate('p1', 'h1', true), exit];
    const sp5 = NT4_RELEASES.find((r) => r.name === 'nt4-sp5')!;
    for (const seed of [0, 1, 2, 3]) {
      const bad = await replayActions(new SimulatedAdapter('nt4-sp5', sp5.behaviour), seed, defaultWorld(), actions);
      expect(judge(bad.trace, 'strict').find((o) => o.rule === 'PING-TERMINATION')!.status).toBe('fail');
      expect(settled(bad)).toBe(SETTLE_MS);
      const good = await replayActions(new SimulatedAdapter('reference'), seed, defaultWorld(), actions);
      expect(settled(good)).toBeLessThan(SETTLE_MS / 2);
    }
  });

  test('a replay settles exactly as the recorded run did', async () => {
    const adapter = new SimulatedAdapter('reference');
    const inputs = fc.sample(runArb(adapter.capabilities, { maxActions: 20 }), { seed: 5, numRuns: 40 });
    for (const input of inputs) {
      const run = await executeRun(adapter, input);
      const again = await replayActions(adapter, run.trace.seed, run.trace.world, run.actions);
      expect(JSON.stringify(again.trace.events)).toBe(JSON.stringify(run.trace.events));
    }
  });

  // The settle must never change a verdict: every run judged after the early settle is judged
  // exactly as after the fixed ten periods, on the reference, the NT4 releases and every mutant.
  const subjects: Array<[string, Behaviour | undefined]> = [
    ['reference', undefined],
    ...NT4_RELEASES.map((r): [string, Behaviour] => [r.name, r.behaviour]),
    ...MUTANTS.map((m): [string, Behaviour] => [m.name, m.behaviour]),
  ];
  test.each(subjects)('%s: every run is judged as after the fixed settle, in less virtual time', async (name, behaviour) => {
    const adapter = new SimulatedAdapter(name, behaviour);
    const inputs = fc.sample(runArb(adapter.capabilities, { maxActions: 20 }), { seed: 11, numRuns: 150 });
    let early = 0;
    for (const input of inputs) {
      const run = await executeRun(adapter, input);
      const fixed = await fixedSettle(adapter, run.trace.seed, run.trace.world, run.actions);
      expect([name, outcomes(run.trace)]).toEqual([name, outcomes(fixed)]);
      early += settleMs(run.trace.events) ?? 0;
    }
    expect(early / inputs.length).toBeLessThan(0.9 * SETTLE_MS);
  });
});
