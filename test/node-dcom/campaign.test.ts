import { runCampaign } from '../../runner';
import { nodeDcomAdapter } from '../../adapters/node-dcom';
import type { Adapter } from '../../spec';

/**
 * Random runs against the real client: the kit must find node-dcom's ping and exit bugs itself.
 * The 30 runs take about 30 s, but shrinking four failed rules replays a few hundred runs
 * (about 3 minutes on a 2-core machine), so this is opt-in: DCOMKIT_CAMPAIGN=1.
 */
const maybe = process.env.DCOMKIT_CAMPAIGN ? describe : describe.skip;

maybe('node-dcom campaign', () => {
  let adapter: Adapter | undefined;
  afterAll(async () => {
    await adapter?.close();
  });

  test('30 runs find PING-TERMINATION and PROCESS-EXIT failures, shrunk to at most 6 actions', async () => {
    adapter = await nodeDcomAdapter.create();
    const result = await runCampaign(adapter, { runs: 30, seed: 42, generator: { maxActions: 10, maxProcesses: 2 } });
    expect(result.errors).toEqual([]);
    const runMs = result.stats.wallMs - result.stats.shrinkMs;
    expect(runMs).toBeLessThan(120_000);
    for (const id of ['PING-TERMINATION', 'PROCESS-EXIT']) {
      const tally = result.rules.find((r) => r.rule.id === id)!;
      expect(tally.verdict).toBe('FAILED');
      expect(tally.counterexample?.actions.length).toBeLessThanOrEqual(6);
    }
    const lines = result.rules.map((r) => `${r.rule.id} ${r.verdict} runs=${r.runs} failures=${r.failures} cx=${r.counterexample?.actions.length ?? '-'}`);
    console.log(`runs ${Math.round(runMs)} ms, shrinking ${Math.round(result.stats.shrinkMs)} ms\n${lines.join('\n')}`);
  }, 600_000);
});
