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
  test('draws what fc.record draws from every seed, leaving the same stream to what follows', () => {
    // Followed by another draw, as a command's record is inside a run: a draw more or less
    // would shift everything after it.
    const after = fc.integer();
    for (const seed of [1, 2, 3, 42]) {
      const ours = fc.sample(fc.tuple(record(model), after), { seed, numRuns: 200 });
      const theirs = fc.sample(fc.tuple(fc.record(model), after), { seed, numRuns: 200 });
      expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
    }
  });

  test('shrinks to what fc.record shrinks to, as plain objects', () => {
    const failsOn = (r: { level: number; flag: boolean; who: string }) => !(r.level >= 3 && r.flag && r.who !== 'alice');
    for (const seed of [1, 5, 9]) {
      const ours = fc.check(fc.property(record(model), failsOn), { seed });
      const theirs = fc.check(fc.property(fc.record(model), failsOn), { seed });
      expect(ours.failed).toBe(true);
      expect(JSON.stringify(ours.counterexample)).toBe(JSON.stringify(theirs.counterexample));
      expect(Object.getPrototypeOf(ours.counterexample![0])).toBe(Object.prototype);
    }
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
