import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const PYTHON_ADAPTER = `python3 ${join(ROOT, 'examples', 'python-adapter', 'adapter.py')}`;

function dcomkit(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dcomkit with an out-of-process adapter', () => {
  test('run --adapter-cmd finds the Python adapter\'s bug, and replay re-spawns it to the same trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-cmd-'));
    const r = dcomkit(['run', '--adapter-cmd', PYTHON_ADAPTER, '--runs', '60', '--seed', '5', '--out', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^PING-TERMINATION +FAILED/m);
    const file = readdirSync(dir).find((f) => f.startsWith('PING-TERMINATION'))!;
    const saved = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    expect(saved.adapter.spec).toEqual({ kind: 'command', value: PYTHON_ADAPTER });
    expect(saved.actions.length).toBeLessThanOrEqual(4);
    // A file is data: the command recorded in it runs only when the user says so.
    const refused = dcomkit(['replay', join(dir, file)]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/recorded with the adapter command .*--trust-recorded-adapter/);
    const again = dcomkit(['replay', join(dir, file), '--trust-recorded-adapter']);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/reproduced; trace identical to the recorded one/);
  });

  test('an adapter command that does not start is an adapter error: exit 2, one line', () => {
    const r = dcomkit(['run', '--adapter-cmd', 'python3 -c "import sys; sys.exit(3)"', '--runs', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^dcomkit: adapter error: /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
