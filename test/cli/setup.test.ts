/** dcomkit setup: the set-up steps of scripts/setup.sh, reachable from the command line. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function dcomkit(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dcomkit setup', () => {
  test('lists the steps of scripts/setup.sh, each with its script beside it', () => {
    const r = dcomkit(['setup', '--list']);
    expect(r.code).toBe(0);
    const names = r.out.trim().split('\n');
    expect(names).toEqual(expect.arrayContaining(['node-modules', 'python3', 'chromium', 'impacket', 'wine']));
    const listed = spawnSync('bash', [join(ROOT, 'scripts', 'setup.sh'), '--list'], { encoding: 'utf8' }).stdout;
    expect(listed.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(names);
    const help = dcomkit(['setup', '--help']);
    expect(help.code).toBe(0);
    for (const n of names) expect(help.out).toMatch(new RegExp(`^  ${n} +\\S`, 'm'));
    const source = readFileSync(join(ROOT, 'scripts', 'setup.sh'), 'utf8');
    for (const script of source.match(/^[a-z0-9-]+ +([a-z0-9-]+\.sh)/gm)!.map((l) => l.split(/ +/)[1])) expect(existsSync(join(ROOT, 'scripts', script))).toBe(true);
  });

  test('runs the steps named, and says when one is already done', () => {
    const r = dcomkit(['setup', 'python3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/setup-python3: present \(Python 3\./);
    expect(r.out).toMatch(/setup: ready \(python3\)/);
  });

  test.each([
    [['setup'], /^dcomkit: setup needs a step: node-modules, python3, chromium, impacket, wine/],
    [['setup', 'wine', 'bogus'], /^dcomkit: unknown set-up step 'bogus'/],
  ])('%j is a usage error in one line', (args, message) => {
    const r = dcomkit(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
