import { SimulatedAdapter } from '../../adapters/reference';
import { AdapterStepTimeout, guardAdapter, runCampaign } from '../../runner';
import { defaultWorld, type Action, type Adapter, type AdapterEvent, type World } from '../../spec';

/** An asynchronous adapter whose steps never finish. */
class StuckAdapter implements Adapter {
  readonly capabilities = new SimulatedAdapter('stuck').capabilities;
  reset(_seed: number, _world: World): Promise<AdapterEvent[]> {
    return new Promise(() => {});
  }
  apply(_action: Action): Promise<AdapterEvent[]> {
    return new Promise(() => {});
  }
  advance(_ms: number): Promise<AdapterEvent[]> {
    return new Promise(() => {});
  }
  async close(): Promise<void> {}
}

describe('guardAdapter', () => {
  test('a step of an asynchronous adapter that outlasts the limit fails with AdapterStepTimeout', async () => {
    const guarded = guardAdapter(new StuckAdapter(), 50);
    await expect(guarded.reset(1, defaultWorld())).rejects.toBeInstanceOf(AdapterStepTimeout);
    await expect(guarded.advance(1000)).rejects.toThrow(/advance 1000 ms: did not finish within 0.05 s/);
  });

  test('a synchronous adapter keeps its synchronous path: campaigns on it need no promise per step', async () => {
    const adapter = new SimulatedAdapter('reference');
    expect(guardAdapter(adapter)).toBe(adapter);
    // Its promise-returning steps refuse: a campaign that completes went the synchronous way.
    const refuse = () => Promise.reject(new Error('asynchronous step'));
    Object.assign(adapter, { reset: refuse, apply: refuse, advance: refuse });
    const result = await runCampaign(adapter, { runs: 50, seed: 3 });
    expect(result.errors).toEqual([]);
    expect(result.stats.actions).toBeGreaterThan(100);
  });
});
