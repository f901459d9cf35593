import * as path from 'node:path';
import { livePids, spawnAdapter } from '../../adapters/process';
import { replayActions, runCampaign } from '../../runner';
import type { Adapter } from '../../spec';

// End to end: the kit drives the example Python adapter over the protocol, finds its
// deliberate bug, shrinks it to the few actions that show it, and replays it exactly.
const ADAPTER = path.resolve(__dirname, '..', '..', 'examples', 'python-adapter', 'adapter.py');
const CAMPAIGN = { runs: 150, seed: 20261121 };

let adapter: Adapter | undefined;
afterEach(async () => {
  await adapter?.close();
  adapter = undefined;
  expect(livePids()).toEqual([]);
});

const failedRules = (result: Awaited<ReturnType<typeof runCampaign>>) =>
  result.rules.filter((t) => t.verdict === 'FAILED').map((t) => t.rule.id);

test('the campaign finds the crashed-process ping leak, shrinks it and replays it', async () => {
  adapter = await spawnAdapter({ command: `python3 ${JSON.stringify(ADAPTER)}`, label: 'python-model' });
  const result = await runCampaign(adapter, CAMPAIGN);
  expect(result.errors).toEqual([]);
  expect(failedRules(result)).toEqual(['PING-TERMINATION']);

  const cx = result.rules.find((t) => t.rule.id === 'PING-TERMINATION')!.counterexample!;
  expect(cx.shrunk).toBe(true);
  // a process that activates a server object and crashes is all it takes
  expect(cx.actions.length).toBeLessThanOrEqual(4);
  expect(cx.actions.map((a) => a.kind)).toEqual(expect.arrayContaining(['start', 'activate', 'crash']));
  expect(cx.violations[0]!.message).toMatch(/still pings/);

  const replay = await replayActions(adapter, cx.seed, cx.world, cx.actions);
  expect(replay.trace.events).toEqual(cx.trace);
});

test('without the bug the same campaign fails no rule', async () => {
  adapter = await spawnAdapter({ command: `python3 ${JSON.stringify(ADAPTER)} --fixed`, label: 'python-model-fixed' });
  const result = await runCampaign(adapter, CAMPAIGN);
  expect(result.errors).toEqual([]);
  expect(failedRules(result)).toEqual([]);
  expect(result.rules.find((t) => t.rule.id === 'PING-TERMINATION')!.verdict).toBe('OK');
});
