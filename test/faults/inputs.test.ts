/**
 * User mistakes and bad files: each is caught before any work, in one line on stderr with
 * exit 2, never a stack trace; and a file never makes the kit run a program by itself.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kit, type KitRun } from './helpers';

jest.setTimeout(120_000);

const scratch = mkdtempSync(join(tmpdir(), 'dcomkit-inputs-'));

function oneLine(r: KitRun, line: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.err.trim()).toMatch(line);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).not.toMatch(/internal error|\n\s+at /);
  // Caught before any work: no header, no run.
  expect(r.out).toBe('');
}

describe('options', () => {
  test.each([
    [['run', '--runs', '-5'], /^dcomkit: --runs must be from 1 to 10,000,000, not -5$/],
    [['run', '--runs', '0'], /^dcomkit: --runs must be from 1 to 10,000,000, not 0$/],
    [['run', '--runs', '2.5'], /^dcomkit: --runs takes a whole number from 1 to 10,000,000, not '2.5'$/],
    [['run', '--runs', '1e12'], /^dcomkit: --runs takes a whole number/],
    [['run', '--runs', '99999999999999999999'], /^dcomkit: --runs takes a whole number/],
    [['run', '--max-actions', '0'], /^dcomkit: --max-actions must be from 1 to 1,000, not 0$/],
    [['run', '--shrink-time', '-1'], /^dcomkit: --shrink-time must be from 1 to 604,800 s, not -1$/],
    [['run', '--time-limit', '0'], /^dcomkit: --time-limit must be from 1 to 604,800 s, not 0$/],
    [['run', '--min-evidence', '0'], /^dcomkit: --min-evidence must be from 1 to 1,000,000, not 0$/],
    [['run', '--seed', '-1'], /^dcomkit: --seed must be from 0 to 2,147,483,647, not -1$/],
    [['run', '--adapter-cmd', 'python3 x.py', '--step-timeout', '5'], /^dcomkit: --step-timeout must be from 100 to 3,600,000 ms, not 5$/],
    [['certify', '--out', join(scratch, 'c'), '--runs', 'lots'], /^dcomkit: --runs takes a whole number from 1 to 10,000,000, not 'lots'$/],
  ])('%j', async (args, line) => oneLine(await kit(args), line));
});

describe('output paths are checked before the campaign', () => {
  test.each([
    [['run', '--json', '/nonexistent-dcomkit/x.json'], /^dcomkit: --json \/nonexistent-dcomkit\/x\.json: folder \/nonexistent-dcomkit does not exist$/],
    [['run', '--json', tmpdir()], /is a folder, not a file$/],
    [['run', '--out', '/proc/dcomkit'], /^dcomkit: --out \/proc\/dcomkit: cannot write under \/proc$/],
    [['run', '--out', '/sys/kernel/dcomkit'], /^dcomkit: --out \/sys\/kernel\/dcomkit: cannot write under \/sys$/],
    [['certify', '--out', '/proc/x/y'], /cannot write under \/proc$/],
    [['run', '--corpus', join(scratch, 'no-such-corpus')], /--corpus .*no-such-corpus: no such folder \(give --create-corpus to start a new corpus there\)$/],
  ])('%j', async (args, line) => {
    oneLine(await kit(args), line);
    expect(existsSync('/nonexistent-dcomkit')).toBe(false);
  });

  test('--create-corpus starts a new corpus; --json - writes the result to stdout and the report to stderr', async () => {
    const corpus = join(scratch, 'new-corpus');
    const r = await kit(['run', '--adapter', 'nt4-sp5', '--runs', '40', '--seed', '2', '--corpus', corpus, '--create-corpus', '--json', '-', '--out', join(scratch, 'cx')]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.out);
    expect(result.seed).toBe(2);
    expect(r.err).toMatch(/^dcomkit: adapter nt4-sp5 .*, 40 runs, seed 2$/m);
    expect(readdirSync(corpus).length).toBeGreaterThan(0);
  });
});

describe('counterexample files are data', () => {
  let file: string;
  let cx: Record<string, unknown> & { actions: Record<string, unknown>[]; adapter: Record<string, unknown>; kitVersion: string };
  beforeAll(async () => {
    const out = join(scratch, 'found');
    await kit(['run', '--adapter', 'nt4-sp5', '--runs', '150', '--seed', '2', '--out', out]);
    file = join(out, readdirSync(out).find((f) => f.startsWith('PING-TERMINATION'))!);
    cx = JSON.parse(readFileSync(file, 'utf8'));
  });
  const edited = (name: string, edit: (c: typeof cx) => void) => {
    const copy = JSON.parse(JSON.stringify(cx)) as typeof cx;
    edit(copy);
    const path = join(scratch, `${name}.json`);
    writeFileSync(path, JSON.stringify(copy));
    return path;
  };

  test.each([
    ['huge-advance', (c: typeof cx) => c.actions.push({ kind: 'advance', ms: 1e15 }), /action \d+: advance of 1000000000000000 ms; an advance is from 1 to 1200000 ms$/],
    ['negative-advance', (c: typeof cx) => c.actions.push({ kind: 'advance', ms: -5 }), /advance of -5 ms/],
    // Action 2 of the counterexample is an activation (plain or of a shared instance), named by its kind.
    ['missing-field', (c: typeof cx) => delete c.actions[1]!.process, () => new RegExp(`is a damaged dcomkit-counterexample/1 file: /actions/1 \\(${cx.actions[1]!.kind}\\): must have required property 'process' \\(edited by hand\\?\\)$`)],
    ['unknown-kind', (c: typeof cx) => c.actions.push({ kind: 'explode' }), /\/actions\/\d+: unknown action kind "explode"/],
    ['unknown-handle', (c: typeof cx) => c.actions.push({ kind: 'release', handle: 'h77' }), /action \d+ \(release\) cannot apply there: it names something not made before it, or made twice$/],
    ['other-format', (c: typeof cx) => (c.format = 'dcomkit-counterexample/9'), /is not a dcomkit-counterexample\/1 file \(it says format "dcomkit-counterexample\/9"\)/],
    ['newer-unknown-field', (c: typeof cx) => Object.assign(c, { kitVersion: '99.0.0', extra: 1 }), /must NOT have additional properties 'extra' \(it was written by dcomkit 99\.0\.0, newer than this/],
  ])('%s: refused, exit 2, one line', async (name, edit, line) => {
    expect(['activate', 'activateShared']).toContain(cx.actions[1]!.kind);
    oneLine(await kit(['replay', edited(name, edit)]), typeof line === 'function' ? line() : line);
  });

  test('a file from a newer kit that this kit understands replays with a warning', async () => {
    const r = await kit(['replay', edited('newer', (c) => (c.kitVersion = '99.0.0'))]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^dcomkit: warning: .*newer\.json was written by dcomkit 99\.0\.0, newer than this .*; reading it anyway$/m);
    expect(r.out).toMatch(/reproduced; trace identical to the recorded one/);
  });

  test('a command named in a file is not run unless the user says so', async () => {
    const marker = join(scratch, 'pwned');
    const path = edited('command', (c) => (c.adapter.spec = { kind: 'command', value: `touch ${marker}` }));
    const r = await kit(['replay', path]);
    oneLine(r, /was recorded with the adapter command "touch .*pwned", which dcomkit does not start from a file: pass --adapter-cmd "touch .*pwned" \(or --trust-recorded-adapter\) to run it$/);
    expect(existsSync(marker)).toBe(false);
    // The command line can name the adapter instead; the file's command is then ignored.
    const named = await kit(['replay', path, '--adapter', 'nt4-sp5']);
    expect(named.code).toBe(1);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('certificates', () => {
  test('merge refuses a shard whose counts were edited, and names it', async () => {
    const dirs = [1, 2].map((i) => join(scratch, `shard${i}`));
    for (const [i, dir] of dirs.entries()) {
      await kit(['certify', '--adapter', 'nt4-sp5', '--runs', '60', '--seed', '2', '--shard', `${i + 1}/2`, '--out', dir, '--reporter', 'json']);
    }
    const second = join(dirs[1]!, 'certificate.json');
    const cert = JSON.parse(readFileSync(second, 'utf8'));
    cert.results[0].rules[0].runs += 3;
    writeFileSync(second, JSON.stringify(cert));
    const out = join(scratch, 'merged');
    const r = await kit(['merge', ...dirs.map((d) => join(d, 'certificate.json')), '--out', out]);
    oneLine(r, /^dcomkit: certificate 2 \(seed 2: shard 2\/2 of 60 runs\) cannot be merged: its hash does not match its content \(edited after it was written\)$/);
    expect(existsSync(out)).toBe(false);
  });

  test('a certificate asking for an impossible settle period is refused', async () => {
    const dir = join(scratch, 'settle');
    mkdirSync(dir, { recursive: true });
    const cert = JSON.parse(readFileSync(join(__dirname, '..', '..', 'certificates', 'reference', 'certificate.json'), 'utf8'));
    cert.generator.settleMs = 1e15;
    writeFileSync(join(dir, 'certificate.json'), JSON.stringify(cert));
    oneLine(await kit(['verify', join(dir, 'certificate.json')]), /a settle period of 1000000000000000 ms; it is from 1 to 1200000 ms$/);
  });
});
