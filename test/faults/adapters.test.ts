/**
 * Misbehaving adapters, run through the built CLI as a user runs it. Behind each is a correct
 * model (the Python example, fixed; or the reference simulation): any FAILED verdict would be
 * one made from an adapter fault. Each case checks the exit code, the stderr line, that no
 * rule was judged on a faulty run, and that nothing the kit started is left.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, kit, misbehave, SYNC_ADAPTER, type KitRun } from './helpers';

jest.setTimeout(180_000);

interface Result {
  runs: number;
  errors: { run: number; kind: string; step: string; message: string; notes: string[] }[];
  rules: { rule: { id: string }; verdict: string; runs: number; counterexample?: { shrink?: { status: string; errors: number } } }[];
  stopped?: { reason: string };
}

function jsonOf(r: KitRun): Result {
  return JSON.parse(r.out) as Result;
}

/** The checks every faulty campaign must pass, whatever else it shows. */
function judgedOnlyCleanRuns(r: KitRun, result: Result): void {
  expect(r.leftovers).toEqual([]);
  expect(r.err).not.toMatch(/internal error|\n\s+at /);
  // A correct model: no FAILED can come from anything but a fault.
  expect(result.rules.filter((t) => t.verdict === 'FAILED').map((t) => t.rule.id)).toEqual([]);
  const clean = result.runs - result.errors.filter((e) => e.run >= 0).length;
  for (const t of result.rules) expect(t.runs).toBeLessThanOrEqual(clean);
}

const campaign = (command: string, runs: number, ...extra: string[]) =>
  kit(['run', '--adapter-cmd', command, '--runs', String(runs), '--seed', '4', '--step-timeout', '1000', '--json', '-', ...extra]);

describe('an adapter that fails as a program gives adapter errors, never verdicts', () => {
  test.each([
    // mode, runs, expected exit, a line stderr must show, the fault kind
    ['silent', 3, 2, /run 1 \(hang\): adapter "[^"]*misbehave\.py silent", reset \(seed \d+\): did not answer within 1000 ms/, 'hang'],
    ['hang-advance 100000', 4, 2, /advance #\d+ \(\d{6,} ms\): did not answer within 1000 ms/, 'hang'],
    ['crash 5', 3, 2, /\(crash\): .*the adapter process exited with code 3\n\s+last stderr lines:\n\s+misbehave crash 5 pid \d+\n\s+fatal: model invariant broken/, 'crash'],
    ['garbage 5', 3, 2, /\(protocol\): .*stdout line is not JSON .*\n\s+offending line: Traceback \(most recent call last\): oops/, 'protocol'],
    ['oversized 5', 3, 2, /\(protocol\): .*stdout line too long \(no newline after 4 MiB\)/, 'protocol'],
    ['wrong-id 5', 3, 2, /\(protocol\): .*answer has id 105, the request had id 5/, 'protocol'],
    ['duplicate 5', 3, 2, /\(protocol\): .*wrote to stdout when no request was pending/, 'protocol'],
    ['close-stdout 5', 3, 2, /\(crash\): .*closed its stdout/, 'crash'],
    ['grandchild 5', 3, 2, /\(crash\): .*exited with code 0/, 'crash'],
    ['setsid 5', 3, 2, /\(hang\): .*did not answer within 1000 ms/, 'hang'],
    ['note-crash 5', 3, 2, /adapter note: \[\d+ ms\] about to fall over/, 'crash'],
  ] as const)('%s', async (mode, runs, exit, line, kind) => {
    const r = await campaign(misbehave(mode), runs);
    expect(r.code).toBe(exit);
    expect(r.err).toMatch(line);
    const result = jsonOf(r);
    expect(result.errors.length).toBeGreaterThanOrEqual(Math.min(runs, 3));
    expect(result.errors[0]!.kind).toBe(kind);
    // Every run ended in an error: nothing was judged at all.
    expect(result.rules.every((t) => t.runs === 0 && t.verdict !== 'OK')).toBe(true);
    expect(r.err).toMatch(/^dcomkit: (no verdict|no complete verdict): /m);
    judgedOnlyCleanRuns(r, result);
  });

  test.each([
    ['backwards 25', /\(data\): adapter "misbehave", .*: note event at \d+ ms after an event at \d+ ms: time went backwards/],
    ['stranger 25', /\(data\): adapter "misbehave", .*: reclaimed oid-nobody, an object no call handed out/],
  ])('%s: events that contradict the protocol are an adapter error, the other runs are judged', async (mode, line) => {
    const r = await campaign(misbehave(mode), 12);
    expect(r.err).toMatch(line);
    const result = jsonOf(r);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.kind).toBe('data');
    expect(r.code).toBe(0); // one faulty run of twelve: the rest stand, and are judged
    judgedOnlyCleanRuns(r, result);
  });

  test('a model that crashes on every shrink attempt: the failure stands unshrunk, and the crashes are counted', async () => {
    const counter = join(mkdtempSync(join(tmpdir(), 'dcomkit-faults-')), 'resets');
    const r = await kit(['run', '--adapter-cmd', misbehave('crash-resets 40', '--buggy'), '--runs', '40', '--seed', '5', '--json', '-'], { env: { MISBEHAVE_COUNTER: counter } });
    const result = jsonOf(r);
    expect(result.errors).toEqual([]);
    const pt = result.rules.find((t) => t.rule.id === 'PING-TERMINATION')!;
    expect(pt.verdict).toBe('FAILED'); // --buggy's known leak, found in clean runs
    expect(pt.counterexample!.shrink).toMatchObject({ status: 'not-shrunk' });
    expect(pt.counterexample!.shrink!.errors).toBeGreaterThan(0);
    expect(r.err).toMatch(/PING-TERMINATION/);
    expect(r.err).toMatch(/not shrunk \(the failure did not reproduce when replayed\); \d+ shrink attempts? ended in adapter errors/);
    expect(r.code).toBe(1);
    expect(r.leftovers).toEqual([]);
  });

  test('an adapter that is slow but alive ends the campaign at its time limit: exit 2, partial, the seed to repeat it', async () => {
    const r = await campaign(misbehave('slow 200'), 100, '--time-limit', '3');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no complete verdict: the campaign's time limit of 3 s passed\. The results above are PARTIAL\. Repeat with: dcomkit run .*--seed 4/);
    expect(jsonOf(r).stopped).toMatchObject({ reason: 'time-limit' });
    expect(r.ms).toBeLessThan(20_000);
    expect(r.leftovers).toEqual([]);
  });

  test('a closed stdout is seen at once, not after the step limit', async () => {
    const r = await kit(['run', '--adapter-cmd', misbehave('close-stdout 5'), '--runs', '2', '--seed', '4', '--step-timeout', '60000']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/closed its stdout/);
    expect(r.ms).toBeLessThan(30_000);
    expect(r.leftovers).toEqual([]);
  });

  test('a JS adapter whose times go backwards is refused, not judged', async () => {
    const r = await campaign(`${process.execPath} ${join(__dirname, '..', 'process', 'fixtures', 'misc.js')} time-travel`, 2);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/'at' must be a virtual time >= 0/);
    judgedOnlyCleanRuns(r, jsonOf(r));
  });
});

describe('in-process adapter modules', () => {
  const module = (fault: string, ...args: string[]) => kit(['run', '--adapter', SYNC_ADAPTER, '--runs', '20', '--seed', '1', ...args], { env: { DCOMKIT_FAULT: fault } });

  test.each([
    ['throw-create', /^dcomkit: adapter error: adapter module .*sync-adapter\.js failed to start: cannot open the model$/],
    ['reject-create', /^dcomkit: adapter error: adapter module .*sync-adapter\.js failed to start: TypeError: bad configuration$/],
    ['scale0', /^dcomkit: adapter error: adapter reference declares nothing usable: it declares a real clock sped up 0 times; the scale must be from 1 to 100000$/],
    ['nothing', /^dcomkit: adapter error: adapter reference declares nothing usable: it declares actions \[advance, setAccess\]/],
  ])('%s: exit 2 before any run, one line', async (fault, line) => {
    const r = await module(fault);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(line);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  test('a module with a syntax error: exit 2, one line', async () => {
    const r = await kit(['run', '--adapter', join(FIXTURES, 'syntax-error.js')]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/^dcomkit: adapter error: adapter module .*syntax-error\.js could not be loaded: SyntaxError: /);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  test('a step that throws is an adapter error in that run only', async () => {
    const r = await module('throw 30', '--json', '-');
    expect(r.err).toMatch(/run \d+ \(crash\): adapter "reference", apply #\d+ \(\w+\): threw Error: simulated model bug: invariant broken/);
    const result = jsonOf(r);
    expect(result.errors).toHaveLength(1);
    judgedOnlyCleanRuns(r, result);
  });

  test('a synchronous step that never returns: SIGTERM still ends the kit within 2 s, with the seed shown first', async () => {
    const r = await kit(['run', '--adapter', SYNC_ADAPTER, '--runs', '100', '--seed', '1'], {
      env: { DCOMKIT_FAULT: 'loop 40' },
      signal: { when: /seed 1\n/, signal: 'SIGTERM', afterMs: 1000 },
      limitMs: 60_000,
    });
    expect(r.out).toMatch(/^dcomkit: adapter reference 1\.\d+\.\d+, profile strict, 100 runs, seed 1$/m);
    expect(r.code).toBe(143);
    expect(r.afterSignalMs).toBeLessThan(2500);
    expect(r.err).toMatch(/did not stop within 1\.5 s of SIGTERM \(an adapter step held it\); killed it and every process it started/);
    expect(r.leftovers).toEqual([]);
  });
});
