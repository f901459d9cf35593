/**
 * Workers: a campaign run by several adapter instances at once must come out exactly as with
 * one (verdicts, counts, first failed runs, counterexamples, errors, certificates), however the
 * instances' runs interleave and in whatever order they finish.
 */
import { NT4_RELEASES, SimulatedAdapter } from '../../adapters/reference';
import { runCampaign, type CampaignOptions, type CampaignResult } from '../../runner';
import { buildCertificate, mergeCertificates } from '../../runner/certificate';
import type { CorpusCase } from '../../runner/corpus';
import { Workers } from '../../runner/workers';
import { AdapterFault, type Action, type Adapter, type AdapterEvent, type World } from '../../spec';

const SP3 = NT4_RELEASES.find((r) => r.name === 'nt4-sp3')!.behaviour;

interface Shape {
  /** Most real ms a run waits at its reset, drawn afresh per run: runs finish out of order. */
  jitterMs?: number;
  /** Whether the run with this reset seed ends in an adapter error, and at which step. */
  faultAt?: (seed: number) => number | undefined;
}

/** Counts what a campaign opens and closes, and how many steps were under way at once. */
class Census {
  opened = 0;
  closed = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Reset seeds, in the order the runs started. */
  started: number[] = [];
  /** Each run's start and end (its last step) on one counter, as runs end. */
  runs: { start: number; end: number }[] = [];
  tick = 0;

  /** Whether some run ended before a run started earlier than it. */
  outOfOrder(): boolean {
    const byStart = [...this.runs].sort((a, b) => a.start - b.start);
    return byStart.some((r, i) => i > 0 && r.end < byStart[i - 1].end);
  }
}

/** The NT4 SP3 simulation behind the asynchronous contract, as an out-of-process target is. */
class AsyncSimulation implements Adapter {
  readonly capabilities;
  private readonly inner = new SimulatedAdapter('nt4-sp3', SP3);
  private seed = 0;
  private steps = 0;
  private faultStep: number | undefined;
  private run: { start: number; end: number } | undefined;

  constructor(
    private readonly shape: Shape,
    private readonly census: Census,
  ) {
    this.capabilities = this.inner.capabilities;
    census.opened += 1;
  }

  private async step<T>(work: () => T, waitMs = 0): Promise<T> {
    const census = this.census;
    census.maxInFlight = Math.max(census.maxInFlight, ++census.inFlight);
    try {
      if (waitMs) await new Promise((r) => setTimeout(r, waitMs));
      else await Promise.resolve();
      if (this.steps++ === this.faultStep) throw new AdapterFault('crash', 'async-sim', `step ${this.steps - 1}`, `planted fault in the run of seed ${this.seed}`);
      return work();
    } finally {
      census.inFlight -= 1;
      if (this.run) this.run.end = census.tick++;
    }
  }

  private ended(): void {
    if (this.run) this.census.runs.push(this.run);
    this.run = undefined;
  }

  reset(seed: number, world: World): Promise<AdapterEvent[]> {
    this.ended();
    this.run = { start: this.census.tick++, end: 0 };
    this.seed = seed;
    this.steps = 0;
    this.faultStep = this.shape.faultAt?.(seed);
    this.census.started.push(seed);
    return this.step(() => this.inner.sync.reset(seed, world), Math.random() * (this.shape.jitterMs ?? 0));
  }
  apply(action: Action): Promise<AdapterEvent[]> {
    return this.step(() => this.inner.sync.apply(action));
  }
  advance(ms: number): Promise<AdapterEvent[]> {
    return this.step(() => this.inner.sync.advance(ms));
  }
  async close(): Promise<void> {
    this.ended();
    this.census.closed += 1;
  }
}

/** Everything a campaign result says except wall-clock figures and the instance count. */
function content(r: CampaignResult) {
  return {
    ...r,
    stats: { actions: r.stats.actions, events: r.stats.events },
    rules: r.rules.map((t) => ({ ...t, counterexample: t.counterexample && { ...t.counterexample, shrinkMs: undefined } })),
  };
}

async function campaign(workers: number, shape: Shape, options: CampaignOptions = {}) {
  const census = new Census();
  const first = new AsyncSimulation(shape, census);
  const result = await runCampaign(first, { runs: 60, seed: 7, ...options, workers, open: async () => new AsyncSimulation(shape, census) });
  await first.close();
  return { result, census };
}

async function certificate(result: CampaignResult, runs: number, seed: number, shard?: CampaignOptions['shard'], corpus?: CorpusCase[]) {
  return buildCertificate({ adapter: result.adapter, campaign: { seed, runs, ...(shard ? { shard } : {}) }, corpus, results: [result] });
}

describe('workers', () => {
  test('an asynchronous simulation gives the same campaign and certificate with 1, 2 and 4 workers', async () => {
    const one = await campaign(1, {});
    const two = await campaign(2, {});
    const four = await campaign(4, {});
    expect(one.result.rules.filter((t) => t.verdict === 'FAILED').length).toBeGreaterThan(0);
    expect(one.result.rules.some((t) => t.counterexample?.shrink?.status === 'minimal')).toBe(true);
    expect(content(two.result)).toEqual(content(one.result));
    expect(content(four.result)).toEqual(content(one.result));
    const hash = (await certificate(one.result, 60, 7)).hash;
    expect((await certificate(two.result, 60, 7)).hash).toBe(hash);
    expect((await certificate(four.result, 60, 7)).hash).toBe(hash);
    // The instances really ran side by side, and the campaign closed the ones it opened.
    expect(one.census.maxInFlight).toBe(1);
    expect(four.census.maxInFlight).toBeGreaterThan(1);
    expect(four.census.opened).toBe(4);
    expect(four.census.closed).toBe(4);
    expect(four.result.stats.workers).toBe(4);
  });

  test('runs that take random times, finishing out of order, are tallied in run order', async () => {
    const one = await campaign(1, { jitterMs: 10 }, { runs: 40 });
    const three = await campaign(3, { jitterMs: 10 }, { runs: 40 });
    expect(one.census.outOfOrder()).toBe(false);
    expect(three.census.outOfOrder()).toBe(true);
    expect(three.census.maxInFlight).toBe(3);
    expect(content(three.result)).toEqual(content(one.result));
  });

  test('adapter errors land on the same runs, in the same order, with the same counts', async () => {
    // A third of the runs (by their seeds) crash at a step of their own: some in reset, most later.
    const shape: Shape = { jitterMs: 10, faultAt: (seed) => (seed % 3 === 0 ? seed % 4 : undefined) };
    const one = await campaign(1, shape, { runs: 50, maxConsecutiveErrors: 1000 });
    expect(one.result.errors.length).toBeGreaterThan(10);
    expect(one.result.stopped).toBeUndefined();
    for (const n of [2, 4]) {
      const many = await campaign(n, shape, { runs: 50, maxConsecutiveErrors: 1000 });
      expect(many.census.outOfOrder()).toBe(true);
      expect(content(many.result)).toEqual(content(one.result));
    }
  });

  test('three adapter errors in a row stop the campaign at the same run whatever ran beyond it', async () => {
    // Half the runs crash: three in a row come early, while the other workers are ahead.
    const shape: Shape = { jitterMs: 5, faultAt: (seed) => (seed % 2 === 0 ? 1 : undefined) };
    const one = await campaign(1, shape, { runs: 100 });
    expect(one.result.stopped?.reason).toBe('adapter-gave-up');
    expect(one.result.runs).toBeLessThan(100);
    const errors = one.result.errors;
    expect(errors.slice(-3).map((e) => e.run)).toEqual([errors.at(-1)!.run - 2, errors.at(-1)!.run - 1, errors.at(-1)!.run]);
    for (const n of [2, 4]) {
      const many = await campaign(n, shape, { runs: 100 });
      expect(content(many.result)).toEqual(content(one.result));
      // Runs beyond the stop were started, then dropped.
      expect(many.census.started.length).toBeGreaterThan(one.census.started.length);
    }
  });

  test('shards with workers merge into the unsharded certificate', async () => {
    const runs = 45;
    const whole = await campaign(1, { jitterMs: 5 }, { runs });
    const shards = [];
    for (const index of [1, 2, 3]) {
      const shard = { index, count: 3 };
      const one = await campaign(1, { jitterMs: 5 }, { runs, shard });
      const two = await campaign(2, { jitterMs: 5 }, { runs, shard });
      expect(content(two.result)).toEqual(content(one.result));
      shards.push(await certificate(two.result, runs, 7, shard));
    }
    const merged = mergeCertificates(shards).certificate;
    expect(merged.hash).toBe((await certificate(whole.result, runs, 7)).hash);
  });

  test('a corpus replays on the workers and counts in case order', async () => {
    const found = await campaign(1, {}, { runs: 60 });
    const corpus: CorpusCase[] = found.result.rules
      .filter((t) => t.counterexample)
      .map((t, i) => ({ id: `case-${i}`, rule: t.rule.id, seed: 1000 + i, world: t.counterexample!.world, actions: t.counterexample!.actions }));
    expect(corpus.length).toBeGreaterThan(1);
    const shape: Shape = { jitterMs: 5, faultAt: (seed) => (seed === corpus[0].seed ? 2 : undefined) };
    const one = await campaign(1, shape, { runs: 20, seed: 11, corpus });
    const four = await campaign(4, shape, { runs: 20, seed: 11, corpus });
    expect(one.result.corpus?.replayed).toBe(corpus.length - 1);
    expect(one.result.errors[0].corpusCase).toBe('case-0');
    expect(content(four.result)).toEqual(content(one.result));
    expect((await certificate(four.result, 20, 11, undefined, corpus)).hash).toBe((await certificate(one.result, 20, 11, undefined, corpus)).hash);
  });

  test('a synchronous adapter keeps its synchronous path with one worker, and comes out the same with more', async () => {
    const calls = { async: 0 };
    const counted = () => {
      const a = new SimulatedAdapter('nt4-sp3', SP3);
      for (const m of ['reset', 'apply', 'advance'] as const) {
        const original = a[m].bind(a) as (...args: unknown[]) => Promise<AdapterEvent[]>;
        (a as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
          calls.async += 1;
          return original(...args);
        };
      }
      return a;
    };
    const one = await runCampaign(counted(), { runs: 60, seed: 7 });
    expect(calls.async).toBe(0);
    const three = await runCampaign(counted(), { runs: 60, seed: 7, workers: 3, open: async () => counted() });
    expect(content(three).rules).toEqual(content(one).rules);
    // The simulation behind the asynchronous contract judges exactly like the synchronous one.
    expect(content((await campaign(2, {})).result).rules).toEqual(content(one).rules);
  });

  test('an instance that cannot open fails the campaign with its error and closes the others', async () => {
    const census = new Census();
    const first = new AsyncSimulation({}, census);
    let opens = 0;
    const open = async () => {
      opens += 1;
      if (opens === 2) throw new Error('no second prefix');
      return new AsyncSimulation({ jitterMs: 5 }, census);
    };
    await expect(runCampaign(first, { runs: 30, seed: 7, workers: 3, open })).rejects.toThrow('no second prefix');
    expect(census.closed).toBe(census.opened - 1); // all but the caller's own
  });

  test('an interrupted campaign with workers stops, with every instance it opened closed', async () => {
    const census = new Census();
    const first = new AsyncSimulation({ jitterMs: 5 }, census);
    const controller = new AbortController();
    const result = await runCampaign(first, {
      runs: 10_000,
      seed: 7,
      workers: 3,
      open: async () => new AsyncSimulation({ jitterMs: 5 }, census),
      signal: controller.signal,
      onProgress: (p) => p.phase === 'runs' && p.done === 20 && controller.abort(),
    });
    expect(result.stopped?.reason).toBe('interrupted');
    expect(result.runs).toBeGreaterThanOrEqual(20);
    expect(result.runs).toBeLessThan(40);
    expect(census.closed).toBe(2);
  });

  test('workers must be a whole number from 1, and more than one needs a way to open them', async () => {
    const a = new SimulatedAdapter('reference');
    await expect(runCampaign(a, { runs: 1, workers: 0 })).rejects.toThrow(RangeError);
    await expect(runCampaign(a, { runs: 1, workers: 1.5 })).rejects.toThrow(RangeError);
    await expect(runCampaign(a, { runs: 1, workers: 2 })).rejects.toThrow(/open/);
  });
});

describe('Workers', () => {
  /** An adapter that is only a name: the work below does not drive it. */
  const named = (name: string): Adapter => ({ capabilities: { name }, close: async () => undefined } as unknown as Adapter);

  test('hands results back in the order the work started, whatever order it finishes in', async () => {
    let n = 0;
    const workers = new Workers(named('w0'), { size: 3, open: async () => named(`w${++n}`) });
    const release: ((value: string) => void)[] = [];
    const handed: string[] = [];
    const ran: string[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await workers.free()).toBe(true);
      workers.start(
        (adapter) =>
          new Promise<string>((resolve) => {
            ran.push(adapter.capabilities.name);
            release[i] = resolve;
          }),
        (f) => handed.push(f.ok ? f.value : `error ${String(f.error)}`),
      );
    }
    expect(new Set(ran).size).toBe(3); // three instances at once
    release[2]('third');
    release[1]('second');
    await new Promise((r) => setImmediate(r));
    expect(handed).toEqual([]); // held for the first
    release[0]('first');
    await workers.drain();
    expect(handed).toEqual(['first', 'second', 'third']);
    await workers.close();
  });

  test('a failure is handed back in its place, and holds nothing else up', async () => {
    const workers = new Workers(named('w0'), { size: 2, open: async () => named('w1') });
    const handed: string[] = [];
    await workers.free();
    workers.start(() => new Promise<string>((_, reject) => setTimeout(() => reject(new Error('boom')), 5)), (f) => handed.push(f.ok ? f.value : (f.error as Error).message));
    await workers.free();
    workers.start(async () => 'fast', (f) => handed.push(f.ok ? f.value : 'error'));
    await workers.drain();
    expect(handed).toEqual(['boom', 'fast']);
  });

  test('starts nothing beyond its window while an early piece of work is still running', async () => {
    const workers = new Workers(named('w0'), { size: 2, open: async () => named('w1'), window: 3 });
    let releaseSlow!: () => void;
    await workers.free();
    workers.start(() => new Promise<void>((r) => (releaseSlow = r)), () => undefined);
    for (let i = 0; i < 2; i++) {
      await workers.free();
      workers.start(async () => undefined, () => undefined);
    }
    let free = false;
    void workers.free().then(() => (free = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(free).toBe(false); // the second instance is idle, but three are not handed back yet
    releaseSlow();
    await workers.drain();
    expect(free).toBe(true);
  });
});
