/**
 * --workers on the command line: checked before any work, and a campaign run with several
 * adapter instances prints and writes what it does with one, leaving no process behind.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kit, misbehave, ROOT } from '../faults/helpers';

jest.setTimeout(300_000);

const scratch = mkdtempSync(join(tmpdir(), 'dcomkit-workers-'));
const PYTHON_ADAPTER = `python3 ${join(ROOT, 'examples', 'python-adapter', 'adapter.py')}`;
const CERTIFICATE = join(ROOT, 'certificates', 'reference', 'certificate.json');

/** A --json result without what depends on the clock or the number of instances. */
function content(file: string) {
  const result = JSON.parse(readFileSync(file, 'utf8'));
  delete result.stats;
  for (const t of result.rules) if (t.counterexample) delete t.counterexample.shrinkMs;
  return result;
}

describe('--workers', () => {
  test.each([
    [['run', '--workers', '0'], /^dcomkit: --workers must be from 1 to 64, not 0$/],
    [['run', '--workers', '-2'], /^dcomkit: --workers must be from 1 to 64, not -2$/],
    [['run', '--workers', '65'], /^dcomkit: --workers must be from 1 to 64, not 65$/],
    [['run', '--workers', '1.5'], /^dcomkit: --workers takes a whole number from 1 to 64, not '1.5'$/],
    [['run', '--workers', 'all'], /^dcomkit: --workers takes a whole number from 1 to 64, not 'all'$/],
    [['run', '--workers'], /^dcomkit: option '--workers <value>' argument missing/],
    [['certify', '--out', join(scratch, 'never'), '--workers', '0'], /^dcomkit: --workers must be from 1 to 64, not 0$/],
    [['verify', CERTIFICATE, '--workers', 'two'], /^dcomkit: --workers takes a whole number from 1 to 64, not 'two'$/],
  ])('%j is a usage error: exit 2, one line, before any work', async (args, line) => {
    const r = await kit(args);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(line);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/internal error|\n\s+at /);
    expect(r.out).toBe('');
  });

  test('an adapter command run by three instances reports what one does, and leaves nothing running', async () => {
    const runs: Record<number, { out: string; json: string }> = {};
    for (const workers of [1, 3]) {
      const json = join(scratch, `python-${workers}.json`);
      const r = await kit(['run', '--adapter-cmd', PYTHON_ADAPTER, '--runs', '80', '--seed', '20261121', '--workers', String(workers), '--json', json, '--out', join(scratch, `cx-${workers}`)]);
      expect(r.code).toBe(1); // the example's deliberate bug
      expect(r.leftovers).toEqual([]);
      runs[workers] = { out: r.out, json };
    }
    expect(runs[3].out).toMatch(/^dcomkit: adapter .*, 80 runs, 3 workers, seed 20261121$/m);
    expect(runs[1].out).not.toMatch(/\d+ workers/);
    expect(runs[3].out).toMatch(/^PING-TERMINATION +FAILED/m);
    // The same report but for the header, the files' folder and wall-clock figures.
    const body = (out: string) =>
      out
        .split('\n')
        .slice(1)
        .map((l) => l.replace(/cx-\d/g, 'cx').replace(/ in [\d.]+s/g, ' in Ts').replace(/\(\d+ actions\/s\)/, ''));
    expect(body(runs[3].out)).toEqual(body(runs[1].out));
    expect(content(runs[3].json)).toEqual(content(runs[1].json));
    expect(JSON.parse(readFileSync(runs[3].json, 'utf8')).stats.workers).toBe(3);
  });

  test('certify writes the same certificate with one worker and with two; a simulation defaults to one', async () => {
    const hashes: string[] = [];
    for (const workers of [undefined, 2]) {
      const out = join(scratch, `cert-${workers ?? 'default'}`);
      const r = await kit(['certify', '--adapter', 'nt4-sp5', '--runs', '120', '--seed', '3', '--out', out, ...(workers ? ['--workers', String(workers)] : [])]);
      expect(r.code).toBe(1);
      expect(r.out.split('\n')[0]).toMatch(workers ? /, 2 workers, profiles/ : /^dcomkit certify: nt4-sp5 \S+, seed 3, 120 runs, profiles/);
      hashes.push(JSON.parse(readFileSync(join(out, 'certificate.json'), 'utf8')).hash);
    }
    expect(hashes[1]).toBe(hashes[0]);
  });

  test('SIGINT stops a campaign on three workers within 2 s, prints what finished, and leaves nothing running', async () => {
    const r = await kit(['run', '--adapter-cmd', misbehave('slow 40'), '--runs', '400', '--seed', '5', '--workers', '3'], {
      signal: { when: /seed 5\n/, signal: 'SIGINT', afterMs: 1500 },
    });
    expect(r.code).toBe(130);
    expect(r.afterSignalMs).toBeLessThan(2000);
    expect(r.out).toMatch(/^PARTIAL: interrupted after \d+ of 400 runs/m);
    expect(r.leftovers).toEqual([]);
  });

  test('SIGTERM with every worker hung ends the kit within 2 s and kills each one, with its session-leaving grandchild', async () => {
    const r = await kit(['run', '--adapter-cmd', misbehave('setsid 3'), '--runs', '20', '--seed', '5', '--workers', '2', '--step-timeout', '60000'], {
      signal: { when: /seed 5\n/, signal: 'SIGTERM', afterMs: 2500 },
    });
    expect(r.code).toBe(143);
    expect(r.afterSignalMs).toBeLessThan(2000);
    expect(r.leftovers).toEqual([]);
  });
});
