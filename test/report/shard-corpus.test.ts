import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAdapter } from '../../adapters/reference';
import { NT4_RELEASES } from '../../adapters/reference/releases';
import { runCampaign, type CampaignResult } from '../../runner';
import { caseFromCounterexample, CorpusError, loadCorpus, saveToCorpus } from '../../runner/corpus';
import { inShard, parseShard, shardRuns } from '../../runner/shard';

const sp5 = () => new SimulatedAdapter('nt4-sp5', NT4_RELEASES.find((r) => r.name === 'nt4-sp5')!.behaviour);

function counts(r: CampaignResult) {
  return r.rules.map((t) => [t.rule.id, t.runs, t.failures, t.nonStrict]);
}

describe('shard split', () => {
  test('parses i/n and refuses anything else', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('0/4')).toMatch(/index must be from 1 to 4/);
    expect(parseShard('5/4')).toMatch(/index must be from 1 to 4/);
    expect(parseShard('1/0')).toMatch(/count must be/);
    expect(parseShard('a/b')).toMatch(/takes i\/n/);
  });

  test('every run belongs to exactly one shard, and shardRuns counts them', () => {
    for (const count of [1, 2, 3, 7]) {
      for (const total of [0, 1, 5, 100, 101]) {
        let sum = 0;
        for (let index = 1; index <= count; index++) {
          const mine = Array.from({ length: total }, (_, r) => r).filter((r) => inShard(r, { index, count }));
          expect(shardRuns(total, { index, count })).toBe(mine.length);
          sum += mine.length;
        }
        expect(sum).toBe(total);
      }
    }
  });

  test('shards of a campaign together execute exactly the unsharded campaign', async () => {
    const whole = await runCampaign(sp5(), { runs: 90, seed: 4, shrink: false });
    const shards = await Promise.all([1, 2, 3].map((index) => runCampaign(sp5(), { runs: 90, seed: 4, shrink: false, shard: { index, count: 3 } })));
    expect(shards.map((s) => s.runs)).toEqual([30, 30, 30]);
    expect(shards[1].shard).toEqual({ index: 2, count: 3 });
    const summed = whole.rules.map((t, i) => [t.rule.id, ...[0, 1, 2].map((k) => shards.reduce((n, s) => n + [s.rules[i].runs, s.rules[i].failures, s.rules[i].nonStrict][k], 0))]);
    expect(summed).toEqual(counts(whole));
    const actions = shards.reduce((n, s) => n + s.stats.actions, 0);
    expect(actions).toBe(whole.stats.actions);
    // The run the whole campaign shrinks from is the best of the shards' (fewest actions, then earliest).
    const startOf = (r: CampaignResult) => {
      const o = r.rules.find((t) => t.rule.id === 'PING-TERMINATION')!.counterexample?.origin;
      return o ? [o.length!, o.run] : [Infinity, Infinity];
    };
    const best = shards.map(startOf).sort((a, b) => a[0] - b[0] || a[1] - b[1])[0];
    expect(startOf(whole)).toEqual(best);
    expect(best[0]).toBeLessThan(Infinity);
  });
});

describe('regression corpus', () => {
  test('corpus cases replay before the random runs, count in the tallies, and stand as counterexamples', async () => {
    const found = await runCampaign(sp5(), { runs: 150, seed: 2 });
    const cx = found.rules.find((t) => t.rule.id === 'PING-TERMINATION')!.counterexample!;
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-corpus-'));
    expect(saveToCorpus(dir, [cx])).toHaveLength(1);
    expect(saveToCorpus(dir, [cx])).toHaveLength(0); // the same case is not stored twice
    const corpus = loadCorpus(dir);
    expect(corpus).toHaveLength(1);
    expect(corpus[0]).toMatchObject({ rule: 'PING-TERMINATION', seed: cx.seed, actions: cx.actions });

    // One random run under a seed that fails nothing by itself; the corpus alone fails the rule.
    const pt = (r: CampaignResult) => r.rules.find((t) => t.rule.id === 'PING-TERMINATION')!;
    let seed = 1;
    let plain = await runCampaign(sp5(), { runs: 1, seed });
    while (pt(plain).verdict === 'FAILED' && seed < 50) plain = await runCampaign(sp5(), { runs: 1, seed: ++seed });
    expect(pt(plain).verdict).not.toBe('FAILED');
    const withCorpus = await runCampaign(sp5(), { runs: 1, seed, corpus });
    expect(withCorpus.corpus).toEqual({ replayed: 1, skipped: [] });
    expect(pt(withCorpus).verdict).toBe('FAILED');
    expect(pt(withCorpus).runs).toBe(pt(plain).runs + 1);
    expect(pt(withCorpus).corpusCase).toBe(corpus[0].id);
    expect(pt(withCorpus).counterexample!.actions).toEqual(cx.actions);
    expect(pt(withCorpus).counterexample!.trace).toEqual(cx.trace);

    // On the reference the same case passes: the corpus checks that the fault stays fixed.
    const fixed = await runCampaign(new SimulatedAdapter('reference'), { runs: 1, seed, corpus, minEvidence: 1 });
    expect(pt(fixed).verdict).toBe('OK');
    expect(pt(fixed).runs).toBeGreaterThanOrEqual(1);
  });

  test('cases the adapter cannot carry out are skipped with a reason; sharded campaigns replay the corpus in shard 1 only', async () => {
    const found = await runCampaign(sp5(), { runs: 150, seed: 2 });
    const corpus = found.rules.filter((t) => t.counterexample).map((t) => caseFromCounterexample(t.counterexample!));
    const adapter = sp5();
    (adapter.capabilities as { actions: string[] }).actions = adapter.capabilities.actions.filter((k) => k !== 'passCallback');
    const r = await runCampaign(adapter, { runs: 1, seed: 5, corpus });
    expect(r.corpus!.skipped.map((s) => s.id)).toEqual(corpus.filter((c) => c.actions.some((a) => a.kind === 'passCallback')).map((c) => c.id));
    expect(r.corpus!.replayed).toBe(corpus.length - r.corpus!.skipped.length);
    const second = await runCampaign(sp5(), { runs: 4, seed: 5, corpus, shard: { index: 2, count: 2 } });
    expect(second.corpus).toBeUndefined();
  });

  test('a malformed corpus file is an error naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-corpus-'));
    writeFileSync(join(dir, 'bad.json'), '{"format": "something else"}');
    expect(() => loadCorpus(dir)).toThrow(CorpusError);
    expect(() => loadCorpus(dir)).toThrow(/bad\.json is not a dcomkit-counterexample\/1 file/);
    expect(loadCorpus(join(dir, 'missing'))).toEqual([]);
    expect(readdirSync(dir)).toEqual(['bad.json']);
  });
});
