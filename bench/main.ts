/**
 * The kit's benchmark (`npm run bench`; not part of CI): throughput on the reference adapter
 * against the bare simulation; the settle period on the same runs settled until nothing is
 * left to judge and for the fixed ten ping periods (reference, node-dcom, impacket, Wine);
 * `dcomkit run` on the real targets, runs per second with 1 and 2 workers; detection power on
 * every known-bad NT4 release and every mutant; how soon the generators reach each situation
 * of several holders; oracle cost against trace length. Prints
 * tables, writes bench/results.json. `--skip-real` leaves node-dcom, impacket and Wine out,
 * `--skip-wine` Wine alone (impacket and Wine are also left out when their set-up scripts
 * have not run), `--only-real` keeps just the settle and real-target sections,
 * `--real-targets-only` just the real-target one (written to bench/real-targets.json unless
 * `--out` says otherwise, so that it never replaces the full results).
 *
 * Times are CPU time of this process (user + system) unless marked wall: the machine is
 * shared, and CPU time is what the kit costs. Real targets are measured in wall time, with the
 * load average beside, since their runs wait on real processes.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { createImpacketAdapter, impacketSetup } from '../adapters/impacket';
import { NodeDcomAdapter } from '../adapters/node-dcom';
import { NT4_RELEASES, ReferenceWorld, SimulatedAdapter, type Behaviour } from '../adapters/reference';
import { MUTANTS } from '../adapters/reference/mutants';
import { DEFAULT_WINE_SCALE, createWineAdapter, wineSetupProblem } from '../adapters/wine';
import { runArb, type GeneratorOptions } from '../generators';
import { judge } from '../oracles';
import { KIT_ROOT, TraceRecorder, executeRun, replayActions, runCampaign, type RunRecord } from '../runner';
import { HOLDER_SITUATIONS, hunt, huntSituations, shrinkHunted } from '../runner/hunt';
import { SETTLE_MS, settleMs, type Action, type Adapter, type Profile, type RuleId, type Trace, type World } from '../spec';

/** What replays a run on the bare model. */
interface Replay {
  seed: number;
  world: World;
  actions: Action[];
  /** The settle chunks the kit let pass after the actions. */
  settle: number[];
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU ms of this process's children that have ended and been reaped (Linux; 0 elsewhere). */
function childCpuMs(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // Fields 16 and 17 of the whole line (cutime, cstime), in clock ticks of (nearly always) 10 ms.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

function machine() {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    /* not Linux */
  }
  return { nproc: availableParallelism(), cpu, node: process.version, load: readLoad() };
}

function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

// --- throughput ---------------------------------------------------------------------------

interface Throughput {
  maxActions: number;
  runs: number;
  actions: number;
  events: number;
  kitCpuMs: number;
  kitWallMs: number;
  /** Actions per CPU second: the headline, since CPU time is what the kit costs. */
  actionsPerSec: number;
  /** Actions per CPU second in the first pass, before the JIT has optimised the hot paths. */
  coldActionsPerSec: number;
  /** Actions per wall-clock second (the garbage collector runs beside on the second core). */
  wallActionsPerSec: number;
  runsPerSec: number;
  bareCpuMs: number;
  bareActionsPerSec: number;
  /** Full kit step (a campaign: generate, apply, record, judge, tally) over the bare model step. */
  overhead: number;
  /** Of the kit's CPU time: share of judging (re-measured on the recorded traces). */
  judgeShare: number;
}

/** The middle value (the lower of the two middles for an even count); NaN for none. */
function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Timed passes per throughput measurement; the median is reported (passes on a shared VM vary ±15%). */
const PASSES = 5;

async function throughput(maxActions: number, runs: number): Promise<Throughput> {
  const adapter = new SimulatedAdapter('reference');
  const generator: GeneratorOptions = { maxActions };
  // What `dcomkit run` does, shrinking aside (nothing fails on the reference): generate,
  // apply, record, judge every run and tally every rule.
  const campaign = (seed: number) => runCampaign(adapter, { runs, seed, generator, shrink: false });
  // The first pass on another seed is the cold start a short campaign sees; the JIT keeps
  // optimising through a second, so steady state is measured after both.
  const c0 = cpuMs();
  const cold = await campaign(2);
  const coldCpuMs = cpuMs() - c0;
  await campaign(3);
  const cpu: number[] = [];
  const wall: number[] = [];
  let passActions = 0;
  let passEvents = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    const result = await campaign(1);
    cpu.push(cpuMs() - c0);
    wall.push(performance.now() - w0);
    passActions = result.stats.actions;
    passEvents = result.stats.events;
  }
  const coldActions = cold.stats.actions;
  // Timed passes keep nothing: holding runs for later would load the garbage collector in a
  // way a campaign never does. An untimed pass over the same seed (the same runs) keeps what
  // the bare model needs to replay them.
  const runsMade: Replay[] = [];
  await fc.assert(
    fc.asyncProperty(runArb(adapter.capabilities, generator), async (input) => {
      const record = await executeRun(adapter, input);
      runsMade.push({ seed: record.trace.seed, world: record.trace.world, actions: record.actions, settle: settleChunks(record) });
    }),
    { seed: 1, numRuns: runs },
  );
  const kitCpuMs = median(cpu);
  const kitWallMs = median(wall);

  // The bare model: the same simulation replaying the same actions, settle included.
  const world = new ReferenceWorld();
  const replay = (r: Replay) => {
    world.reset(r.seed, r.world);
    for (const a of r.actions) {
      if (a.kind === 'advance') world.advance(a.ms);
      else world.apply(a);
    }
    for (const ms of r.settle) world.advance(ms);
  };
  for (const r of runsMade.slice(0, 20)) replay(r); // warm-up
  const bare: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const b0 = cpuMs();
    for (const r of runsMade) replay(r);
    bare.push(cpuMs() - b0);
  }
  const bareCpuMs = median(bare);

  // The judge's share: the same traces again, made outside the clock, judged inside it.
  const traces: Trace[] = [];
  for (const r of runsMade) traces.push((await replayActions(adapter, r.seed, r.world, r.actions)).trace);
  const j0 = cpuMs();
  for (const t of traces) judge(t, 'strict');
  const judgeCpuMs = cpuMs() - j0;

  return {
    maxActions,
    runs,
    actions: passActions,
    events: passEvents,
    kitCpuMs,
    kitWallMs,
    actionsPerSec: (passActions / kitCpuMs) * 1000,
    coldActionsPerSec: (coldActions / coldCpuMs) * 1000,
    wallActionsPerSec: (passActions / kitWallMs) * 1000,
    runsPerSec: (runs / kitCpuMs) * 1000,
    bareCpuMs,
    bareActionsPerSec: (passActions / bareCpuMs) * 1000,
    overhead: kitCpuMs / bareCpuMs,
    judgeShare: judgeCpuMs / kitCpuMs,
  };
}

// --- settle period -------------------------------------------------------------------------

function settleChunks(record: RunRecord): number[] {
  return record.trace.events.flatMap((e) => (e.kind === 'action' && e.settle && e.action.kind === 'advance' ? [e.action.ms] : []));
}

/** A run's actions again, settled as the runner did before: the fixed ten ping periods. */
async function withFixedSettle(adapter: Adapter, run: RunRecord): Promise<RunRecord> {
  const recorder = new TraceRecorder(adapter, run.trace.seed, run.trace.world);
  await recorder.reset();
  for (const a of run.actions) await recorder.apply(a);
  await recorder.apply({ kind: 'advance', ms: SETTLE_MS }, true);
  return { trace: recorder.trace(), actions: recorder.actions };
}

/** Status and number of violations of every rule, strict and nt4: what a verdict is made of. */
function outcomes(trace: Trace): string {
  return (['strict', 'nt4'] as const).map((p) => judge(trace, p).map((o) => `${o.status}:${o.violations.length}`).join(',')).join('|');
}

interface SettleMeasure {
  adapter: string;
  runs: number;
  /** Mean virtual seconds of settle per run: until nothing is left to judge, and the fixed period before. */
  earlyS: number;
  fixedS: number;
  /** Wall ms the same runs took each way (a real-clock adapter's settle is wall time). */
  earlyWallMs: number;
  fixedWallMs: number;
  /** Runs judged differently after the two settles (strict and nt4, status and violation count per rule). */
  differ: number;
  load: string;
}

/**
 * The same generated runs settled both ways, on one adapter. With `warm`, the runs are made
 * once untimed (start-up, JIT) and both ways are timed as replays of their actions; without,
 * the generated runs themselves are timed (an adapter that takes minutes per pass).
 */
async function settleOn(name: string, adapter: Adapter, runs: number, seed: number, generator: GeneratorOptions, warm: boolean): Promise<SettleMeasure> {
  const inputs = fc.sample(runArb(adapter.capabilities, generator), { seed, numRuns: runs });
  let early: RunRecord[] = [];
  let w0 = performance.now();
  for (const input of inputs) early.push(await executeRun(adapter, input));
  if (warm) {
    const made = early;
    early = [];
    w0 = performance.now();
    for (const run of made) early.push(await replayActions(adapter, run.trace.seed, run.trace.world, run.actions));
  }
  const earlyWallMs = performance.now() - w0;
  const fixed: RunRecord[] = [];
  const w1 = performance.now();
  for (const run of early) fixed.push(await withFixedSettle(adapter, run));
  const fixedWallMs = performance.now() - w1;
  const mean = (rs: RunRecord[]) => rs.reduce((sum, r) => sum + (settleMs(r.trace.events) ?? 0), 0) / rs.length / 1000;
  return {
    adapter: name,
    runs,
    earlyS: mean(early),
    fixedS: mean(fixed),
    earlyWallMs,
    fixedWallMs,
    differ: early.filter((r, i) => outcomes(r.trace) !== outcomes(fixed[i].trace)).length,
    load: readLoad(),
  };
}

// --- real targets ----------------------------------------------------------------------------

interface RealRun {
  adapter: string;
  command: string;
  /** Adapter instances that carried out the runs (`--workers`, or the adapter's default). */
  workers: number;
  runs: number;
  wallMs: number;
  /** Of the wall time, shrinking. */
  shrinkMs: number;
  /** Runs per wall second, shrinking left out. */
  runsPerSec: number;
  /** CPU ms of the command and everything it started, per run. */
  cpuMsPerRun: number;
  exitCode: number | null;
  verdicts: string;
  load: { before: string; after: string };
}

/** `dcomkit run` itself, as a user types it, timed from outside with its children's CPU. */
function cliRun(adapter: string, args: string[]): RealRun {
  const json = join(KIT_ROOT, 'bench', `.bench-${adapter}-${process.pid}.json`);
  const out = join(KIT_ROOT, 'bench', `.bench-${adapter}-${process.pid}-cx`);
  const argv = [join(KIT_ROOT, 'dist', 'cli', 'main.js'), 'run', '--adapter', adapter, ...args, '--json', json, '--out', out];
  const before = readLoad();
  const c0 = childCpuMs();
  const w0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd: KIT_ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  const wallMs = performance.now() - w0;
  const cpu = childCpuMs() - c0;
  let result: { runs: number; stats: { shrinkMs: number; workers?: number }; rules: Array<{ rule: { id: string }; verdict: string; runs: number; failures: number }> } | undefined;
  try {
    result = JSON.parse(readFileSync(json, 'utf8'));
  } catch {
    result = undefined;
  }
  rmSync(json, { force: true });
  rmSync(out, { recursive: true, force: true });
  const runs = result?.runs ?? 0;
  const shrinkMs = result?.stats.shrinkMs ?? 0;
  return {
    adapter,
    command: `dcomkit run --adapter ${adapter} ${args.join(' ')}`,
    workers: result?.stats.workers ?? 0,
    runs,
    wallMs,
    shrinkMs,
    runsPerSec: runs / ((wallMs - shrinkMs) / 1000),
    cpuMsPerRun: cpu / Math.max(1, runs),
    exitCode: r.status,
    verdicts: result ? result.rules.map((t) => `${t.rule.id} ${t.verdict} ${t.runs}/${t.failures}`).join('; ') : (r.stderr || r.error?.message || '').trim().split('\n')[0],
    load: { before, after: readLoad() },
  };
}

// --- detection power ----------------------------------------------------------------------

interface Subject {
  name: string;
  kind: 'release' | 'mutant';
  behaviour: Behaviour;
  profile: Profile;
  /** The rule this row is about; the hunt stops when it fails (mutants: any rule). */
  rule: RuleId;
  huntRules?: RuleId[];
  minimal: number;
}

function subjects(): Subject[] {
  const rel = (n: string) => NT4_RELEASES.find((r) => r.name === n)!.behaviour;
  const out: Subject[] = [];
  for (const name of ['nt4-sp3', 'nt4-sp5']) {
    out.push({ name, kind: 'release', behaviour: rel(name), profile: 'strict', rule: 'PING-TERMINATION', huntRules: ['PING-TERMINATION'], minimal: 3 });
    out.push({ name, kind: 'release', behaviour: rel(name), profile: 'strict', rule: 'NO-EARLY-RUNDOWN', huntRules: ['NO-EARLY-RUNDOWN'], minimal: 2 });
  }
  out.push({
    name: 'nt4-sp3 (Q184278 alone)',
    kind: 'release',
    behaviour: { ...rel('nt4-sp3'), q224837: false },
    profile: 'strict',
    rule: 'NO-EARLY-RUNDOWN',
    huntRules: ['NO-EARLY-RUNDOWN'],
    minimal: 2,
  });
  for (const name of ['nt4-sp3', 'nt4-sp5', 'nt4-sp6']) {
    out.push({ name, kind: 'release', behaviour: rel(name), profile: 'strict', rule: 'CALLBACK-MARSHALLING', huntRules: ['CALLBACK-MARSHALLING'], minimal: 3 });
  }
  for (const m of MUTANTS) out.push({ name: m.name, kind: 'mutant', behaviour: m.behaviour, profile: 'strict', rule: m.killedBy, minimal: m.minimal });
  return out;
}

interface Detection {
  subject: string;
  kind: Subject['kind'];
  rule: RuleId;
  seeds: number;
  detected: number;
  runsMedian: number;
  runsWorst: number;
  /** Median CPU / wall ms from the first run to the failing one. */
  detectCpuMsMedian: number;
  detectWallMsMedian: number;
  minimal: number;
  shrunkMedian: number;
  shrunkWorst: number;
  shrinkMsMedian: number;
  shrinkMsWorst: number;
  killedBy: string[];
}

async function detect(s: Subject, seeds: number, maxRuns: number, generator: GeneratorOptions): Promise<Detection> {
  const runs: number[] = [];
  const cpu: number[] = [];
  const wall: number[] = [];
  const shrunk: number[] = [];
  const shrinkMs: number[] = [];
  const killedBy = new Set<string>();
  let detected = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const adapter = new SimulatedAdapter(s.name, s.behaviour);
    const h = await hunt(adapter, { seed, maxRuns, generator, profile: s.profile, rules: s.huntRules });
    runs.push(h.failed.length ? h.runs : Infinity);
    if (!h.failed.length) continue;
    detected += 1;
    cpu.push(h.cpuMs);
    wall.push(h.wallMs);
    for (const r of h.failed) killedBy.add(r);
    const rule = h.failed.includes(s.rule) ? s.rule : h.failed[0];
    const t = await shrinkHunted(adapter, { seed, runs: h.runs, rule, generator, profile: s.profile });
    if (t?.counterexample) {
      shrunk.push(t.counterexample.actions.length);
      shrinkMs.push(t.counterexample.shrinkMs);
    }
  }
  return {
    subject: s.name,
    kind: s.kind,
    rule: s.rule,
    seeds,
    detected,
    runsMedian: median(runs),
    runsWorst: Math.max(...runs),
    detectCpuMsMedian: median(cpu),
    detectWallMsMedian: median(wall),
    minimal: s.minimal,
    shrunkMedian: median(shrunk),
    shrunkWorst: Math.max(...shrunk),
    shrinkMsMedian: median(shrinkMs),
    shrinkMsWorst: Math.max(...shrinkMs),
    killedBy: [...killedBy].sort(),
  };
}

// --- oracle cost ----------------------------------------------------------------------------

interface OracleCost {
  events: number;
  repeats: number;
  usPerEvent: number;
}

/** A long trace from one generated run of many actions and processes. */
async function longTrace(minEvents: number): Promise<Trace> {
  const adapter = new SimulatedAdapter('reference');
  const actions = Math.ceil(minEvents / 1.5);
  const arb = runArb(adapter.capabilities, { maxActions: actions, maxProcesses: Math.max(3, Math.floor(actions / 8)) });
  for (let seed = 1; ; seed++) {
    const [input] = fc.sample(arb, { seed, numRuns: 1 });
    const record = await executeRun(adapter, input);
    if (record.trace.events.length >= minEvents) return record.trace;
  }
}

function oracleCosts(trace: Trace, sizes: readonly number[]): OracleCost[] {
  const prefixes = sizes.map((n): Trace => ({ ...trace, events: trace.events.slice(0, n) }));
  for (const p of prefixes) judge(p, 'strict');
  const best = sizes.map(() => Infinity);
  const repeats = sizes.map(() => 0);
  // Five rounds of at least 150 ms of CPU per size; the fastest round counts (the machine is
  // shared, and interference only ever adds time). Sizes take turns within each round: this
  // VM's speed drifts over seconds, and measuring one size after another read drift as growth.
  for (let round = 0; round < 5; round++) {
    prefixes.forEach((prefix, i) => {
      let k = 0;
      const c0 = cpuMs();
      while (cpuMs() - c0 < 150 || k < 3) {
        judge(prefix, 'strict');
        k += 1;
      }
      best[i] = Math.min(best[i], ((cpuMs() - c0) * 1000) / (k * sizes[i]));
      repeats[i] += k;
    });
  }
  return sizes.map((events, i) => ({ events, repeats: repeats[i], usPerEvent: best[i] }));
}

// --- report ---------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

// --- sections of the report ------------------------------------------------------------------

async function throughputSection(): Promise<Throughput[]> {
  console.log(`Throughput on the reference adapter (CPU time, median of ${PASSES} campaigns after two warm-up campaigns, each without shrinking; kit = a campaign: generate + apply + record + judge + tally):`);
  const tp: Throughput[] = [];
  for (const [maxActions, runs] of [
    [20, 3000],
    [200, 400],
  ] as const) {
    tp.push(await throughput(maxActions, runs));
  }
  console.log(
    table([
      ['run length (max actions)', 'runs', 'actions', 'actions/s', 'actions/s (wall)', 'first pass actions/s', 'runs/s', 'bare model actions/s', 'overhead (kit/bare)', 'judge share'],
      ...tp.map((t) => [
        `${t.maxActions} (mean ${fmt(t.actions / t.runs, 1)})`,
        String(t.runs),
        String(t.actions),
        fmt(t.actionsPerSec),
        fmt(t.wallActionsPerSec),
        fmt(t.coldActionsPerSec),
        fmt(t.runsPerSec),
        fmt(t.bareActionsPerSec),
        `${fmt(t.overhead, 1)}x`,
        `${fmt(t.judgeShare * 100)}%`,
      ]),
    ]),
  );
  return tp;
}

/** The same runs settled both ways: on the reference, and on node-dcom and Wine when asked. */
async function settleSection(generator: GeneratorOptions, real: boolean, wine: boolean): Promise<SettleMeasure[]> {
  console.log('\nSettle period: the same runs settled until nothing is left to judge (after) and for the fixed ten ping periods (before); mean virtual seconds per run, wall time for all runs:');
  const settles: SettleMeasure[] = [];
  settles.push(await settleOn('reference', new SimulatedAdapter('reference'), 3000, 1, generator, true));
  if (real) {
    const nodeDcom = new NodeDcomAdapter();
    try {
      settles.push(await settleOn('node-dcom', nodeDcom, 30, 1, generator, true));
    } finally {
      await nodeDcom.close();
    }
  }
  if (real && !('problem' in impacketSetup())) {
    const impacket = createImpacketAdapter();
    try {
      settles.push(await settleOn('impacket', impacket, 30, 1, generator, true));
    } finally {
      await impacket.close();
    }
  }
  if (real && wine) {
    const adapter = await createWineAdapter();
    try {
      settles.push(await settleOn(`wine (x${DEFAULT_WINE_SCALE})`, adapter, 20, 1, generator, false));
    } finally {
      await adapter.close();
    }
  }
  console.log(
    table([
      ['adapter', 'runs', 'settle per run, after', 'settle per run, before', 'wall, after', 'wall, before', 'runs judged differently', 'load'],
      ...settles.map((m) => [m.adapter, String(m.runs), `${fmt(m.earlyS, 1)} s`, `${fmt(m.fixedS, 1)} s`, `${fmt(m.earlyWallMs / 1000, 2)} s`, `${fmt(m.fixedWallMs / 1000, 2)} s`, String(m.differ), m.load]),
    ]),
  );
  return settles;
}

/** 1 and 2 workers on the same commands, in one bench run: runs per wall second and whether the counts agree. */
interface WorkersRatio {
  adapter: string;
  /** Runs per wall second (shrinking left out) over all its commands, with 1 and with 2 workers. */
  oneRunsPerSec: number;
  twoRunsPerSec: number;
  ratio: number;
  /** Commands whose verdicts and counts differed between 1 and 2 workers. */
  differ: string[];
}

/**
 * `dcomkit run` on node-dcom and impacket (three seeds, shrinking off) and on Wine with default
 * settings, each with 1 and with 2 workers, taking turns (1 then 2 on one seed, 2 then 1 on the
 * next) so that a drifting load weighs on both alike; and the reference simulation, in
 * process, where two workers only take turns on the one thread.
 */
function realSection(wine: string | undefined): { real: RealRun[]; workers: WorkersRatio[] } {
  console.log('\nReal targets, `dcomkit run` timed from outside with 1 and 2 workers (runs per second leave shrinking out; CPU counts every process the command started):');
  const real: RealRun[] = [];
  const pairs: [RealRun, RealRun][] = [];
  // A target's first command pays for its first child processes and a cold disk cache (and,
  // for Wine, a missing prefix copy): a short untimed campaign on 2 workers first.
  const warm = (adapter: string, args: string[]) => void cliRun(adapter, [...args, '--no-shrink', '--runs', '4', '--workers', '2']);
  const both = (adapter: string, args: string[], turn: number) => {
    const order = turn % 2 === 0 ? ['1', '2'] : ['2', '1'];
    const [a, b] = order.map((n) => cliRun(adapter, [...args, '--workers', n]));
    const [one, two] = order[0] === '1' ? [a, b] : [b, a];
    real.push(one, two);
    pairs.push([one, two]);
  };
  both('reference', ['--no-shrink', '--runs', '20000', '--seed', '1'], 0);
  warm('node-dcom', ['--seed', '9']);
  for (const seed of [1, 2, 3]) both('node-dcom', ['--no-shrink', '--runs', '30', '--seed', String(seed)], seed);
  const impacket = impacketSetup();
  if ('problem' in impacket) console.log(`(impacket not measured: ${impacket.problem})`);
  else {
    warm('impacket', ['--seed', '9']);
    for (const seed of [1, 2, 3]) both('impacket', ['--no-shrink', '--runs', '30', '--seed', String(seed)], seed);
  }
  // Default settings but the workers: the default speed-up and the real-clock shrink budget.
  if (wine === undefined) {
    warm('wine', ['--seed', '9']);
    both('wine', ['--runs', '20', '--seed', '1'], 0);
  } else console.log(`(wine ${wine === 'skipped' ? 'skipped' : `not measured: ${wine}`})`);
  console.log(
    table([
      ['command', 'workers', 'runs', 'wall', 'of which shrinking', 'runs/s', 'CPU per run', 'load before / after', 'exit'],
      ...real.map((r) => [r.command, String(r.workers), String(r.runs), `${fmt(r.wallMs / 1000, 1)} s`, `${fmt(r.shrinkMs / 1000, 1)} s`, fmt(r.runsPerSec, 2), `${fmt(r.cpuMsPerRun)} ms`, `${r.load.before} / ${r.load.after}`, String(r.exitCode)]),
    ]),
  );
  for (const r of real) console.log(`  ${r.command}: ${r.verdicts}`);
  const rate = (rs: RealRun[]) => rs.reduce((n, r) => n + r.runs, 0) / (rs.reduce((ms, r) => ms + r.wallMs - r.shrinkMs, 0) / 1000);
  const workers = [...new Set(pairs.map(([one]) => one.adapter))].map((adapter): WorkersRatio => {
    const mine = pairs.filter(([one]) => one.adapter === adapter);
    const oneRunsPerSec = rate(mine.map(([one]) => one));
    const twoRunsPerSec = rate(mine.map(([, two]) => two));
    // Shrinking on a real clock stops at a time budget: only the runs' verdicts and counts compare.
    const differ = mine.filter(([one, two]) => one.verdicts !== two.verdicts).map(([one]) => one.command);
    return { adapter, oneRunsPerSec, twoRunsPerSec, ratio: twoRunsPerSec / oneRunsPerSec, differ };
  });
  console.log('\nWorkers: runs per wall second with 2 workers against 1, from the commands above:');
  console.log(
    table([
      ['adapter', 'runs/s, 1 worker', 'runs/s, 2 workers', '2 workers / 1', 'verdicts and counts'],
      ...workers.map((w) => [w.adapter, fmt(w.oneRunsPerSec, 2), fmt(w.twoRunsPerSec, 2), `${fmt(w.ratio, 2)}x`, w.differ.length ? `differ: ${w.differ.join('; ')}` : 'the same']),
    ]),
  );
  return { real, workers };
}

async function detectionSection(seeds: number, maxRuns: number, generator: GeneratorOptions, only: string[] | undefined): Promise<Detection[]> {
  console.log(`\nDetection (${seeds} campaign seeds, at most ${maxRuns} runs each, runs of at most ${generator.maxActions} actions):`);
  const detections: Detection[] = [];
  for (const s of subjects()) {
    if (only && !only.includes(s.name)) continue;
    const d = await detect(s, seeds, maxRuns, generator);
    detections.push(d);
    process.stderr.write(`  ${d.subject} ${d.rule}: median ${d.runsMedian} runs\n`);
  }
  console.log(
    table([
      ['subject', 'rule', 'detected', 'runs to 1st failure (median / worst)', 'time to detect (median cpu / wall)', 'shrunk (median / worst) vs minimal', 'shrink time (median / worst)'],
      ...detections.map((d) => [
        d.kind === 'mutant' ? `mutant ${d.subject}` : d.subject,
        d.kind === 'mutant' && d.killedBy.length && !d.killedBy.includes(d.rule) ? `${d.killedBy.join(', ')} (expected ${d.rule})` : d.rule,
        `${d.detected}/${d.seeds}`,
        `${fmt(d.runsMedian)} / ${fmt(d.runsWorst)}`,
        `${fmt(d.detectCpuMsMedian)} ms / ${fmt(d.detectWallMsMedian)} ms`,
        `${fmt(d.shrunkMedian)} / ${fmt(d.shrunkWorst)} vs ${d.minimal}`,
        `${fmt(d.shrinkMsMedian)} ms / ${fmt(d.shrinkMsWorst)} ms`,
      ]),
    ]),
  );
  return detections;
}

async function oracleSection(): Promise<OracleCost[]> {
  console.log('\nOracle cost against trace length (judge, all rules, strict):');
  const trace = await longTrace(10_000);
  const costs = oracleCosts(trace, [100, 1000, 10_000]);
  console.log(
    table([
      ['events', 'µs per event', 'ratio to 10^2', 'n log n allows'],
      ...costs.map((c) => [String(c.events), fmt(c.usPerEvent, 2), fmt(c.usPerEvent / costs[0].usPerEvent, 2), fmt(Math.log(c.events) / Math.log(costs[0].events), 2)]),
    ]),
  );
  return costs;
}

// --- situations reached ----------------------------------------------------------------------

interface Reach {
  rule: RuleId;
  situation: string;
  seeds: number;
  reached: number;
  /** Runs until a run first exercised the situation (median / worst over the seeds). */
  runsMedian: number;
  runsWorst: number;
}

/** How many generated runs it takes to reach each situation of several holders, per seed. */
async function reachSection(seeds: number, maxRuns: number, generator: GeneratorOptions): Promise<Reach[]> {
  console.log(`\nSituations of several holders on the reference (${seeds} campaign seeds, at most ${maxRuns} runs each, runs of at most ${generator.maxActions} actions; target: a median of at most 200 runs):`);
  const runs = new Map<string, number[]>();
  for (let seed = 1; seed <= seeds; seed++) {
    const first = await huntSituations(new SimulatedAdapter('reference'), { seed, maxRuns, generator, situations: HOLDER_SITUATIONS });
    for (const { rule, situation } of HOLDER_SITUATIONS) {
      const key = `${rule}: ${situation}`;
      if (!runs.has(key)) runs.set(key, []);
      runs.get(key)!.push(first.get(key) ?? Infinity);
    }
  }
  const reached = HOLDER_SITUATIONS.map(({ rule, situation }) => {
    const r = runs.get(`${rule}: ${situation}`)!;
    return { rule, situation, seeds, reached: r.filter(Number.isFinite).length, runsMedian: median(r), runsWorst: Math.max(...r) };
  });
  console.log(
    table([
      ['rule', 'situation', 'reached', 'runs until first reached (median / worst)'],
      ...reached.map((r) => [r.rule, r.situation, `${r.reached}/${r.seeds}`, `${fmt(r.runsMedian)} / ${fmt(r.runsWorst)}`]),
    ]),
  );
  return reached;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string' },
      'max-runs': { type: 'string' },
      only: { type: 'string' },
      'skip-detection': { type: 'boolean' },
      'skip-real': { type: 'boolean' },
      'skip-wine': { type: 'boolean' },
      'only-real': { type: 'boolean' },
      'real-targets-only': { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const seeds = Number(values.seeds ?? 10);
  const maxRuns = Number(values['max-runs'] ?? 3000);
  const generator: GeneratorOptions = { maxActions: 20 };
  const m = machine();
  console.log(`dcomkit bench on ${m.nproc} CPUs (${m.cpu}), node ${m.node}, load ${m.load}\n`);

  const realOnly = values['real-targets-only'] === true;
  const onlyReal = values['only-real'] === true || realOnly;
  const tp = onlyReal ? [] : await throughputSection();
  const wine = values['skip-wine'] || values['skip-real'] ? 'skipped' : wineSetupProblem();
  const settles = realOnly ? [] : await settleSection(generator, !values['skip-real'], wine === undefined);
  const { real, workers } = values['skip-real'] ? { real: [], workers: [] } : realSection(wine);
  const detections = values['skip-detection'] || onlyReal ? [] : await detectionSection(seeds, maxRuns, generator, values.only?.split(','));
  const situations = values['skip-detection'] || onlyReal ? [] : await reachSection(seeds, maxRuns, generator);
  const costs = onlyReal ? [] : await oracleSection();

  const results = { date: new Date().toISOString(), machine: m, generator, seeds, maxRuns, throughput: tp, settle: settles, realTargets: real, workers, detections, situations, oracleCost: costs };
  const out = values.out ?? join(KIT_ROOT, 'bench', realOnly ? 'real-targets.json' : 'results.json');
  writeFileSync(out, JSON.stringify(results, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  console.log(`\nwrote ${out}`);
}

void (main as () => Promise<void>)().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});


