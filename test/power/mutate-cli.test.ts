import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const dcomkit = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('dcomkit mutate', () => {
  test('prints the rule that kills each mutant and after how many runs; exit 0 when all die', () => {
    const r = dcomkit(['mutate', '--only', 'exit-lingers,release-leaks-ref', '--runs', '200', '--seed', '1']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^exit-lingers +killed by PROCESS-EXIT +after +\d+ runs?/m);
    expect(r.stdout).toMatch(/^release-leaks-ref +killed by RELEASE-RECLAIM +after +\d+ runs?/m);
    expect(r.stdout).toMatch(/2\/2 mutants killed\./);
  });

  test('a mutant no rule fails within the runs survives: exit 1', () => {
    const r = dcomkit(['mutate', '--only', 'stale-seq-applied', '--runs', '1', '--seed', '1']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^stale-seq-applied +SURVIVED +1 runs, no rule failed/m);
  });

  test('an unknown mutant is a usage error', () => {
    const r = dcomkit(['mutate', '--only', 'no-such-mutant']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown mutant 'no-such-mutant'/);
  });
});
