/**
 * Wine with two workers: the second instance runs its own Wine session on a copy of the
 * prefix (one session per prefix), both run at once, a campaign on two finds what one does,
 * and nothing of either session is left once the campaign is over.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWineAdapter, slotPrefix, winePrefix } from '../../adapters/wine';
import { livePids } from '../../adapters/process';
import { KIT_ROOT, runCampaign } from '../../runner';
import { loadCorpus } from '../../runner/corpus';
import { defaultWorld, type Adapter, type AdapterEvent } from '../../spec';
import { exclusively, REAL_TARGET_CAMPAIGN } from '../helpers/exclusive';
import { marked } from '../faults/helpers';
import { ensureWine } from './setup';

jest.setTimeout(900_000);

const SCALE = 240;
const base = winePrefix();
const copy = slotPrefix(base, 2);

/** Pids of live processes whose environment names `prefix` as their Wine prefix. */
const sessionOf = (prefix: string): number[] => marked(`WINEPREFIX=${prefix}`);

async function gone(prefix: string): Promise<number[]> {
  let left = sessionOf(prefix);
  for (let i = 0; i < 100 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = sessionOf(prefix);
  }
  return left;
}

beforeAll(() => ensureWine());

test('two adapters open at once run two sessions, on the prefix and on its copy, side by side', async () => {
  await exclusively(REAL_TARGET_CAMPAIGN, async () => {
    const adapters: Adapter[] = await Promise.all([createWineAdapter({ scale: SCALE }), createWineAdapter({ scale: SCALE })]);
    try {
      expect(readFileSync(join(copy, '.dcomkit-setup'), 'utf8')).toBe(readFileSync(join(base, '.dcomkit-setup'), 'utf8'));
      expect(sessionOf(base).length).toBeGreaterThan(0);
      expect(sessionOf(copy).length).toBeGreaterThan(0);
      // The same run on both at once: each session sees its own object made and reclaimed.
      const runOn = async (a: Adapter): Promise<AdapterEvent[]> => {
        const events = await a.reset(1, defaultWorld());
        for (const action of [
          { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true },
          { kind: 'activate', process: 'p1', handle: 'h1', clsctx: 'local', serverInfo: false, authInfo: null },
          { kind: 'release', handle: 'h1' },
        ] as const)
          events.push(...(await a.apply(action)));
        return events;
      };
      for (const events of await Promise.all(adapters.map(runOn))) {
        const made = events.find((e) => e.kind === 'completed' && e.oid);
        expect(made).toBeDefined();
        expect(events.filter((e) => e.kind === 'reclaimed').map((e) => (e as { oid: string }).oid)).toEqual([(made as { oid: string }).oid]);
      }
    } finally {
      await Promise.all(adapters.map((a) => a.close()));
    }
    expect(await gone(base)).toEqual([]);
    expect(await gone(copy)).toEqual([]);
  });
});

test('a campaign on two workers finds what Wine gets wrong, with no adapter error, and leaves nothing running', async () => {
  const corpus = loadCorpus(join(KIT_ROOT, 'adapters/wine/corpus'));
  await exclusively(REAL_TARGET_CAMPAIGN, async () => {
    const first = await createWineAdapter({ scale: SCALE });
    const t0 = performance.now();
    const result = await runCampaign(first, { runs: 8, seed: 20261121, shrink: false, corpus, workers: 2, open: () => createWineAdapter({ scale: SCALE }) });
    console.log(`wine, 2 workers: ${corpus.length} corpus cases + ${result.runs} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The second worker's session ended with the runs, before anything else.
    expect(await gone(copy)).toEqual([]);
    await first.close();
    expect(await gone(base)).toEqual([]);
    expect(livePids()).toEqual([]);
    expect(result.stats.workers).toBe(2);
    expect(result.errors).toEqual([]);
    expect(result.corpus).toEqual({ replayed: corpus.length, skipped: [] });
    expect(result.runs).toBe(8);
    const verdict = (id: string) => result.rules.find((t) => t.rule.id === id)!.verdict;
    expect(verdict('EVENTUAL-RUNDOWN')).toBe('FAILED');
    expect(verdict('CALLBACK-MARSHALLING')).toBe('FAILED');
    expect(verdict('CALL-AFTER-RECLAIM')).toBe('FAILED');
    expect(verdict('RELEASE-RECLAIM')).not.toBe('FAILED');
    expect(verdict('PROCESS-EXIT')).not.toBe('FAILED');
  });
});
