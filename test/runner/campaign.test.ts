import { CORRECT, SimulatedAdapter } from '../../adapters/reference';
import { NT4_RELEASES } from '../../adapters/reference';
import { REAL_CLOCK_SHRINK, replayActions, runCampaign, shrinkBudget } from '../../runner';
import { judge } from '../../oracles';
import type { Action, Adapter, AdapterEvent, World } from '../../spec';

/** A real target's pace: every call takes real milliseconds. Counts calls that overlap. */
class SlowAdapter implements Adapter {
  readonly capabilities;
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;
  constructor(private readonly inner: SimulatedAdapter) {
    this.capabilities = inner.capabilities;
  }
  private async slowly<T>(f: () => Promise<T>): Promise<T> {
    this.calls++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 3));
      return await f();
    } finally {
      this.inFlight--;
    }
  }
  reset(seed: number, world: World): Promise<AdapterEvent[]> {
    return this.slowly(() => this.inner.reset(seed, world));
  }
  apply(action: Action): Promise<AdapterEvent[]> {
    return this.slowly(() => this.inner.apply(action));
  }
  advance(ms: number): Promise<AdapterEvent[]> {
    return this.slowly(() => this.inner.advance(ms));
  }
  async close(): Promise<void> {}
}

describe('campaign', () => {
  test('the reference adapter passes every rule it exercises', async () => {
    const result = await runCampaign(new SimulatedAdapter('reference'), { runs: 300, seed: 1 });
    expect(result.errors).toEqual([]);
    const verdicts = Object.fromEntries(result.rules.map((t) => [t.rule.id, t.verdict]));
    expect(Object.values(verdicts)).not.toContain('FAILED');
    expect(verdicts['PING-TERMINATION']).toBe('OK');
    expect(verdicts['NO-EARLY-RUNDOWN']).toBe('OK');
    expect(verdicts['CALLBACK-MARSHALLING']).toBe('OK');
    expect(verdicts['UNREACHABLE-CALL']).toBe('INFORMATIONAL');
    expect(result.stats.actions).toBeGreaterThan(result.runs * 3);
  });

  test('the same campaign seed gives the same campaign', async () => {
    const a = await runCampaign(new SimulatedAdapter('reference'), { runs: 50, seed: 9 });
    const b = await runCampaign(new SimulatedAdapter('reference'), { runs: 50, seed: 9 });
    expect(b.actionCounts).toEqual(a.actionCounts);
    expect(b.rules.map((t) => [t.rule.id, t.runs])).toEqual(a.rules.map((t) => [t.rule.id, t.runs]));
  });

  test('an adapter that never sends DelFromSet fails PING-TERMINATION with a counterexample of at most 5 actions', async () => {
    const broken = new SimulatedAdapter('never-deletes', { ...CORRECT, neverDelFromSet: true });
    const result = await runCampaign(broken, { runs: 200, seed: 3 });
    const t = result.rules.find((r) => r.rule.id === 'PING-TERMINATION')!;
    expect(t.verdict).toBe('FAILED');
    const cx = t.counterexample!;
    expect(cx.shrunk).toBe(true);
    expect(cx.actions.length).toBeLessThanOrEqual(5);
    expect(cx.actions.map((a) => a.kind)).toEqual(expect.arrayContaining(['start']));
    expect(cx.actions.some((a) => a.kind === 'activate' || a.kind === 'activateShared')).toBe(true);
    expect(cx.violations[0].message).toMatch(/still pings/);
    // Only PING-TERMINATION may fail: the fault is on the client's side alone.
    expect(result.rules.filter((r) => r.verdict === 'FAILED').map((r) => r.rule.id)).toEqual(['PING-TERMINATION']);
  });

  test('a counterexample replays to the same verdict and the same trace', async () => {
    const broken = new SimulatedAdapter('never-deletes', { ...CORRECT, neverDelFromSet: true });
    const result = await runCampaign(broken, { runs: 200, seed: 3 });
    const cx = result.rules.find((r) => r.rule.id === 'PING-TERMINATION')!.counterexample!;
    const again = await replayActions(broken, cx.seed, cx.world, cx.actions);
    expect(again.trace.events).toEqual(cx.trace);
    expect(judge(again.trace, 'strict', new Set(['PING-TERMINATION'] as const))[0].status).toBe('fail');
  });

  test('rules an adapter cannot exercise are UNIMPLEMENTED, never OK', async () => {
    const adapter = new SimulatedAdapter('no-callbacks');
    (adapter.capabilities as { actions: string[] }).actions = adapter.capabilities.actions.filter((k) => k !== 'passCallback');
    const result = await runCampaign(adapter, { runs: 30, seed: 1 });
    const t = result.rules.find((r) => r.rule.id === 'CALLBACK-MARSHALLING')!;
    expect(t.verdict).toBe('UNIMPLEMENTED');
    expect(t.reason).toMatch(/cannot carry out passCallback/);
    expect(result.actionCounts.passCallback).toBeUndefined();
  });

  test('a shrink that runs out of time finishes its run first: runs never overlap, none outlives the campaign', async () => {
    const slow = new SlowAdapter(new SimulatedAdapter('never-deletes', { ...CORRECT, neverDelFromSet: true }));
    const result = await runCampaign(slow, { runs: 30, seed: 3, shrinkTimeMs: 150 });
    const callsAtEnd = slow.calls;
    await new Promise((r) => setTimeout(r, 300));
    expect(slow.calls).toBe(callsAtEnd);
    expect(slow.maxInFlight).toBe(1);
    const t = result.rules.find((r) => r.rule.id === 'PING-TERMINATION')!;
    expect(t.counterexample?.shrinkTimedOut).toBe(true);
    const again = await replayActions(slow, t.counterexample!.seed, t.counterexample!.world, t.counterexample!.actions);
    expect(again.trace.events).toEqual(t.counterexample!.trace);
  });

  test('an adapter on a real clock gets a shrink budget by default, per rule and overall; a virtual one none', () => {
    const real = { kind: 'real', scale: 240 } as const;
    expect(shrinkBudget({ kind: 'virtual' }, {})).toEqual({ ruleMs: undefined, totalMs: undefined });
    expect(shrinkBudget(real, {})).toEqual({ ruleMs: REAL_CLOCK_SHRINK.ruleMs, totalMs: REAL_CLOCK_SHRINK.totalMs });
    expect(REAL_CLOCK_SHRINK.totalMs).toBeGreaterThan(REAL_CLOCK_SHRINK.ruleMs);
    // A per-rule limit given is the user's budget; an overall one given stands beside either.
    expect(shrinkBudget(real, { shrinkTimeMs: 100_000 })).toEqual({ ruleMs: 100_000, totalMs: undefined });
    expect(shrinkBudget(real, { shrinkTotalMs: 5_000 })).toEqual({ ruleMs: REAL_CLOCK_SHRINK.ruleMs, totalMs: 5_000 });
    expect(shrinkBudget({ kind: 'virtual' }, { shrinkTotalMs: 5_000 })).toEqual({ ruleMs: undefined, totalMs: 5_000 });
  });

  test('the overall shrink budget stops shrinking; a rule whose turn came after keeps the smallest failing run seen', async () => {
    const sp5 = NT4_RELEASES.find((r) => r.name === 'nt4-sp5')!;
    const slow = new SlowAdapter(new SimulatedAdapter('nt4-sp5', sp5.behaviour));
    const result = await runCampaign(slow, { runs: 60, seed: 4, shrinkTotalMs: 200 });
    const failed = result.rules.filter((t) => t.verdict === 'FAILED');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    // Shrinking stopped soon after the budget: a shrink finishes the run it is in.
    expect(result.stats.shrinkMs).toBeLessThan(200 + 1_000);
    expect(failed.some((t) => t.counterexample!.shrinkTimedOut)).toBe(true);
    for (const t of failed) {
      const cx = t.counterexample!;
      const again = await replayActions(slow, cx.seed, cx.world, cx.actions);
      expect(judge(again.trace, 'strict', new Set([t.rule.id]))[0].status).toBe('fail');
    }
  });
});
