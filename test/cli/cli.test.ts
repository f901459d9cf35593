import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function dcomkit(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dcomkit CLI', () => {
  test('run on the reference exits 0 with one line per rule', () => {
    const r = dcomkit(['run', '--adapter', 'reference', '--runs', '200', '--seed', '1']);
    expect(r.code).toBe(0);
    for (const id of ['PING-TERMINATION', 'NO-EARLY-RUNDOWN', 'CALLBACK-MARSHALLING']) expect(r.out).toMatch(new RegExp(`^${id} +OK +\\d+ runs`, 'm'));
    expect(r.err).toBe('');
  });

  test('a failing rule prints a numbered counterexample and a replay command that reproduces it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-'));
    const r = dcomkit(['run', '--adapter', 'nt4-sp5', '--runs', '150', '--seed', '2', '--out', dir, '--json', join(dir, 'result.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^PING-TERMINATION +FAILED/m);
    expect(r.out).toMatch(/^ +1\. start client p1/m);
    const replay = r.out.match(/replay: npx dcomkit replay (\S+PING-TERMINATION\S+\.json)/);
    expect(replay).not.toBeNull();
    const again = dcomkit(['replay', replay![1]]);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/reproduced; trace identical/);
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
    expect(result.rules.find((t: { rule: { id: string } }) => t.rule.id === 'PING-TERMINATION').verdict).toBe('FAILED');
    expect(readdirSync(dir).filter((f) => f.startsWith('NO-EARLY-RUNDOWN'))).toHaveLength(1);
  });

  test.each([
    [['run', '--bogus'], /unknown option '--bogus'/],
    [['run', '--runs', 'many'], /--runs takes a whole number from 1 to 10,000,000, not 'many'/],
    [['run', '--profile', 'nt5'], /--profile is one of strict, nt4/],
    [['run', '--adapter', 'nope'], /unknown adapter 'nope'; built in: reference/],
    [['run', '--adapter', './missing.js'], /adapter module not found/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['replay'], /replay needs a counterexample or certificate file/],
    [['replay', 'no-such-file.json'], /cannot read no-such-file.json: no such file/],
  ])('%j is a usage error: exit 2, one line, no stack trace', (args, message) => {
    const r = dcomkit(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test('replay refuses a file that is not a counterexample', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-'));
    writeFileSync(join(dir, 'x.json'), '{"hello": 1}');
    const r = dcomkit(['replay', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not a dcomkit-counterexample\/1 file/);
  });

  test('every command has --help', () => {
    for (const cmd of ['run', 'replay', 'rules', 'adapters']) {
      const r = dcomkit([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: dcomkit ${cmd}`));
    }
  });

  test('rules and adapters list the catalogue', () => {
    expect(dcomkit(['rules']).out).toMatch(/^PING-TERMINATION +\[Q224837; MS-DCOM 3\.2\.6\.1\]/m);
    expect(dcomkit(['adapters']).out).toMatch(/^nt4-sp6 /m);
  });
});
