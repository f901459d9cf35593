import { SWARM_KEEPS } from '../../generators/commands';
import fc from 'fast-check';
import { SimulatedAdapter } from '../../adapters/reference';
import { runArb } from '../../generators';
import { record } from '../../generators/record';
import { executeRun } from '../../runner';

const model = {
  level: fc.integer({ min: 0, max: 6 }),
  flag: fc.boolean(),
  who: fc.constantFrom('alice', 'bob', 'svc-account'),
  maybe: fc.option(fc.nat({ max: 7 }), { freq: 3 }),
};

describe('record', () => {
  test('draws each key in order, as fc.record does, and builds plain objects', () => {
    const after = fc.integer();
    for (const seed of [1, 2, 3, 42]) {
      const ours = fc.sample(fc.tuple(record(model), after), { seed, numRuns: 200 });
      const asTuple = fc.sample(fc.tuple(fc.tuple(model.level, model.flag, model.who, model.maybe), after), { seed, numRuns: 200 });
      expect(ours.map(([r, n]) => [r.level, r.flag, r.who, r.maybe, n])).toEqual(asTuple.map(([[l, f, w, m], n]) => [l, f, w, m, n]));
      for (const [r] of ours) {
        expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
        expect(Object.keys(r)).toEqual(['level', 'flag', 'who', 'maybe']);
      }
    }
  });

  test('shrinks each key towards its own minimum', () => {
    const failsOn = (r: { level: number; flag: boolean; who: string }) => !(r.level >= 3 && r.flag && r.who !== 'alice');
    for (const seed of [1, 5, 9]) {
      const out = fc.check(fc.property(record(model), failsOn), { seed });
      expect(out.failed).toBe(true);
      // constantFrom shrinks only to its first value, which passes here: `who` stays as drawn.
      const [r] = out.counterexample!;
      expect(r).toEqual({ level: 3, flag: true, who: r.who, maybe: null });
      expect(r.who).not.toBe('alice');
    }
  });
});

describe('swarm omission', () => {
  test('leaves out each kind about half the time, never the kinds it keeps; heal only with partition', () => {
    const adapter = new SimulatedAdapter('reference');
    const runs = fc.sample(runArb(adapter.capabilities), { seed: 11, numRuns: 2000 });
    const counts = new Map<string, number>();
    for (const r of runs) for (const k of r.omitted ?? []) counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const r of runs) expect([r.omitted?.includes('heal'), r.omitted?.includes('partition')]).toEqual([r.omitted?.includes('partition'), r.omitted?.includes('heal')]);
    expect(SWARM_KEEPS).toEqual(expect.arrayContaining(['start', 'activate', 'advance']));
    for (const k of SWARM_KEEPS) expect(counts.has(k)).toBe(false);
    const others = adapter.capabilities.actions.filter((k) => !SWARM_KEEPS.includes(k));
    for (const k of others) expect(counts.get(k) ?? 0).toBeGreaterThan(850);
    for (const k of others) expect(counts.get(k) ?? 0).toBeLessThan(1150);
  });
});

describe('runArb', () => {
  test("a run's clone has the same world, seed and commands, none of them marked as run", async () => {
    const adapter = new SimulatedAdapter('reference');
    const [input] = fc.sample(runArb(adapter.capabilities), { seed: 3, numRuns: 1 });
    const record = await executeRun(adapter, input);
    expect(record.actions.length).toBeGreaterThan(0);
    const ran = (commands: Iterable<unknown>) => [...commands].filter((c) => (c as { hasRan: boolean }).hasRan).length;
    expect(ran(input.commands)).toBe(record.actions.length);
    const clone = (input as unknown as { [fc.cloneMethod](): typeof input })[fc.cloneMethod]();
    expect(clone).not.toBe(input);
    expect(clone.world).toBe(input.world);
    expect(clone.seed).toBe(input.seed);
    expect([...clone.commands].length).toBe([...input.commands].length);
    expect(ran(clone.commands)).toBe(0);
    // The clone replays the run exactly.
    expect((await executeRun(adapter, clone)).trace.events).toEqual(record.trace.events);
  });
});
