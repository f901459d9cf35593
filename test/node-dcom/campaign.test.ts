import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exclusively, REAL_TARGET_CAMPAIGN } from '../helpers/exclusive';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * Random runs against the real, unmodified node-dcom 1.0.9 over MSRPC: the kit must find its
 * ping and exit bugs by itself. Each node-dcom run costs real time (Node processes, NTLM), so
 * shrinking gets 10 s per failed rule; the whole command takes about a minute on a 2-core
 * machine (printed, not asserted: speed belongs in bench/). It waits for the Wine campaign to
 * finish rather than run beside it.
 */
describe('dcomkit run --adapter node-dcom', () => {
  test('30 runs report PING-TERMINATION and PROCESS-EXIT FAILED with counterexamples of at most 6 actions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-node-dcom-'));
    const { r, seconds } = await exclusively(REAL_TARGET_CAMPAIGN, () => {
      const started = Date.now();
      const r = spawnSync(
        process.execPath,
        [CLI, 'run', '--adapter', 'node-dcom', '--runs', '30', '--seed', '42', '--shrink-time', '10', '--out', dir],
        { cwd: ROOT, encoding: 'utf8', timeout: 170_000 },
      );
      return { r, seconds: (Date.now() - started) / 1000 };
    });
    console.log(`node-dcom campaign: ${seconds.toFixed(1)} s\n${r.stdout}`);
    expect(r.status).toBe(1);
    // stderr holds progress lines only (off a terminal, one at most every 10 s): no adapter error.
    expect(r.stderr.split('\n').filter((l) => l && !/^dcomkit: (run \d+\/\d+|shrinking )/.test(l))).toEqual([]);
    for (const id of ['PING-TERMINATION', 'PROCESS-EXIT']) {
      expect(r.stdout).toMatch(new RegExp(`^${id} +FAILED`, 'm'));
      const file = readdirSync(dir).find((f) => f.startsWith(`${id}-node-dcom-`))!;
      const cx = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      expect(cx.actions.length).toBeLessThanOrEqual(6);
    }
    // Callbacks, blankets and ACLs are outside what node-dcom can express: never passed.
    expect(r.stdout).toMatch(/^CALLBACK-MARSHALLING +UNIMPLEMENTED .*cannot carry out passCallback/m);
  }, 900_000);
});
