/**
 * dcomkit/jest as a user meets it: the fixture test files (test/jest/fixtures) run in a child
 * jest against the built kit, and the results jest reports are checked test by test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, 'fixtures');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

interface Result {
  status: 'passed' | 'failed' | 'pending';
  ancestorTitles: string[];
  title: string;
  failureMessages: string[];
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Runs fixture files in a child jest from a fresh working directory; returns its tests by block. */
function runFixtures(pattern: string, env: NodeJS.ProcessEnv = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'dcomkit-jest-'));
  scratch.push(cwd);
  const out = join(cwd, 'results.json');
  const config = JSON.stringify({ rootDir: FIXTURES, testMatch: ['**/*.fixture.js'], transform: {}, testEnvironment: 'node' });
  const r = spawnSync(process.execPath, [JEST, '--config', config, '--json', '--outputFile', out, pattern], {
    cwd,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, DCOMKIT_SEED: '', DCOMKIT_RUNS: '', ...env },
  });
  expect(existsSync(out)).toBe(true);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { testResults: { assertionResults: Result[] }[] };
  const tests = report.testResults.flatMap((s) => s.assertionResults);
  const block = (title: string) => {
    const found = tests.filter((t) => t.ancestorTitles[0] === title);
    expect(found.length).toBeGreaterThan(0);
    const test = (prefix: string) => {
      const t = found.find((x) => x.title.startsWith(prefix));
      if (!t) throw new Error(`no test '${prefix}' in '${title}': ${found.map((x) => x.title).join(' / ')}`);
      return { ...t, message: t.failureMessages.join('\n') };
    };
    return { tests: found, test };
  };
  return { code: r.status, cwd, block, stderr: r.stderr };
}

describe('describeConformance', () => {
  test('one test per rule plus the adapter test; the reference passes them all, nt4-sp5 fails its known rules with the counterexample, replay command and seed', () => {
    const run = runFixtures('builtin');
    expect(run.code).toBe(1);
    const reference = run.block('dcomkit conformance: reference');
    expect(reference.tests).toHaveLength(1 + 9);
    expect(reference.tests.filter((t) => t.status !== 'passed')).toEqual([]);

    const nt4 = run.block('dcomkit conformance: nt4-sp5');
    expect(nt4.test('adapter nt4-sp5').status).toBe('passed');
    for (const id of ['PING-TERMINATION', 'NO-EARLY-RUNDOWN', 'CALLBACK-MARSHALLING']) expect(nt4.test(id).status).toBe('failed');
    for (const id of ['RELEASE-RECLAIM', 'PROCESS-EXIT', 'PING-SEQUENCE']) expect(nt4.test(id).status).toBe('passed');
    const ping = nt4.test('PING-TERMINATION').message;
    expect(ping).toMatch(/PING-TERMINATION FAILED: Pinging stops when references are gone/);
    // Q224837's minimal counterexample is 3 actions through COAUTHINFO, 4 through
    // CoSetProxyBlanket; which one a campaign seed meets first depends on what it draws.
    expect(ping).toMatch(/counterexample \((3|4) actions, minimal: shrunk/);
    expect(ping).toMatch(/ 1\. start client p1 on client1 as alice \(unauthenticated\)/);
    expect(ping).toMatch(/violation: client1 still pings/);
    expect(ping).toMatch(/seed 2 \(DCOMKIT_SEED=2 repeats it\)/);
    expect(ping).not.toMatch(/\s+at .*\.js:\d+/); // no stack into the kit

    // The replay command works from where jest ran, and reproduces the failure.
    const replay = ping.match(/replay: npx dcomkit replay (\S+)$/m)![1];
    const again = spawnSync(process.execPath, [CLI, 'replay', replay], { cwd: run.cwd, encoding: 'utf8', timeout: 60_000 });
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/reproduced; trace identical/);
  });

  test('an out-of-process adapter: rules it cannot exercise are skipped with the reason in the title, its bug fails with a replayable counterexample', () => {
    const run = runFixtures('python');
    const python = run.block('python model');
    expect(python.tests).toHaveLength(1 + 9);
    expect(python.test('CALLBACK-MARSHALLING').status).toBe('pending');
    expect(python.test('CALLBACK-MARSHALLING').title).toBe('CALLBACK-MARSHALLING: UNIMPLEMENTED (adapter cannot carry out passCallback)');
    expect(python.test('UNREACHABLE-CALL').title).toBe('UNREACHABLE-CALL: UNIMPLEMENTED (adapter cannot carry out partition)');
    expect(python.test('CALL-AFTER-RECLAIM').title).toBe('CALL-AFTER-RECLAIM: UNIMPLEMENTED (no partition or disconnect in the model: a held object is never reclaimed)');
    expect(python.tests.filter((t) => t.status === 'pending')).toHaveLength(3);
    expect(python.tests.filter((t) => t.status === 'failed').map((t) => t.title)).toEqual(['PING-TERMINATION: Pinging stops when references are gone']);
    const ping = python.test('PING-TERMINATION');
    expect(ping.status).toBe('failed');
    expect(ping.message).toMatch(/crash \(no cleanup\)/);
    // A command named in a file replays only when trusted: the printed command says so.
    const replay = ping.message.match(/replay: npx dcomkit (replay \S+ --trust-recorded-adapter)$/m)![1];
    const again = spawnSync(process.execPath, [CLI, ...replay.split(' ')], { cwd: run.cwd, encoding: 'utf8', timeout: 60_000 });
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/reproduced/);
  });

  test('adapter errors fail the adapter test in the adapter\'s words; rules never pass without evidence; misdeclared capabilities are caught', () => {
    const run = runFixtures('in-process');
    const exploding = run.block('dcomkit conformance: exploding');
    const errors = exploding.test('adapter exploding');
    expect(errors.status).toBe('failed');
    expect(errors.message).toMatch(/adapter errors in \d+ runs \(these runs were not judged\)/);
    expect(errors.message).toMatch(/run \d+: adapter "exploding", apply #\d+ \(crash\): threw Error: the model has no crash: it exploded/);
    expect(errors.message).toMatch(/seed 3/);

    // Declared no capabilities and observes no callbacks: the rule fails (never passes), and says how to skip it.
    const blind = run.block('dcomkit conformance: blind').test('CALLBACK-MARSHALLING');
    expect(blind.status).toBe('failed');
    expect(blind.message).toMatch(/UNIMPLEMENTED[\s\S]*adapter cannot observe callbacks[\s\S]*give the factory `capabilities/);

    const misdeclared = run.block('dcomkit conformance: misdeclared');
    expect(misdeclared.test('PING-TERMINATION').status).toBe('pending');
    expect(misdeclared.test('adapter misdeclared').message).toMatch(/capabilities differ from those its factory declares/);

    const wrong = run.block('wrongly unimplemented');
    expect(wrong.test('PING-TERMINATION').status).toBe('pending');
    expect(wrong.test('adapter reference').message).toMatch(/rules skipped as unimplemented \(by declared capabilities or the option unimplemented\) were exercised after all: PING-TERMINATION OK in \d+ runs/);

    const late = run.block('out of time').test('adapter reference');
    expect(late.status).toBe('failed');
    expect(late.message).toMatch(/the campaign stopped early \(time-limit\)/);

    const few = run.block('too few runs');
    const unexercised = few.tests.filter((t) => t.status === 'failed');
    expect(unexercised.length).toBeGreaterThan(0);
    for (const t of unexercised) expect(t.failureMessages.join('\n')).toMatch(/INCONCLUSIVE[\s\S]*(not exercised in|exercised in \d+ runs? of) 3 clean runs[\s\S]*No verdict without evidence/);
    expect(few.tests.filter((t) => t.status === 'pending')).toEqual([]);
  });

  test('DCOMKIT_SEED and DCOMKIT_RUNS override the options, and the failure says so', () => {
    const run = runFixtures('builtin', { DCOMKIT_SEED: '5', DCOMKIT_RUNS: '120' });
    const ping = run.block('dcomkit conformance: nt4-sp5').test('PING-TERMINATION');
    expect(ping.status).toBe('failed');
    expect(ping.message).toMatch(/profile strict, 120 runs, seed 5 \(DCOMKIT_SEED=5 repeats it\)/);
    expect(ping.message).toMatch(/PING-TERMINATION-nt4-sp5-5\.json/);
  });

  test('a bad option or environment value stops the test file with one line', () => {
    const run = runFixtures('builtin', { DCOMKIT_RUNS: 'many' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/describeConformance: DCOMKIT_RUNS takes a whole number from 1, not "many"/);
  });
});
