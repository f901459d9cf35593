import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exclusively, REAL_TARGET_CAMPAIGN } from '../helpers/exclusive';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * Random runs against the real, unmodified node-dcom 1.0.9 over MSRPC: the kit must find its
 * ping and exit bugs by itself. The command is the one the README shows, and the
 * counterexamples must be as long as the README says. Each node-dcom run costs real time
 * (Node processes, NTLM), so shrinking has a time budget per failed rule; the whole command
 * takes about ten seconds on a 2-core machine (printed, not asserted: speed belongs in bench/).
 * It waits for the Wine campaign to finish rather than run beside it.
 */
/**
 * What the README says a user gets from node-dcom: the command it shows, and the range of
 * counterexample lengths it promises ("with counterexamples of 3-5 actions").
 */
function readmeClaim(): { args: string[]; failed: string[]; min: number; max: number } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => l.startsWith('npx dcomkit run --adapter node-dcom'));
  const range = readme.match(/counterexamples of\s+(\d+)-(\d+)\s+actions/);
  const failed = readme.match(/This command reports\s+([A-Za-z ,\n-]+?)\s+FAILED/);
  if (!line || !range || !failed) throw new Error('README.md no longer shows the node-dcom command, what it reports or its counterexample lengths');
  return { args: line.replace(/#.*$/, '').trim().split(/\s+/).slice(2), failed: failed[1].split(/,|\band\b/).map((x) => x.trim()), min: Number(range[1]), max: Number(range[2]) };
}

describe('dcomkit run --adapter node-dcom', () => {
  test("the README's command reports the rules the README names FAILED (PING-TERMINATION and PROCESS-EXIT among them), with counterexamples as long as the README says", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-node-dcom-'));
    const claim = readmeClaim();
    expect(claim.args).toEqual(expect.arrayContaining(['--seed', '--shrink-time']));
    const { r, seconds } = await exclusively(REAL_TARGET_CAMPAIGN, () => {
      const started = Date.now();
      const r = spawnSync(process.execPath, [CLI, ...claim.args, '--out', dir], { cwd: ROOT, encoding: 'utf8', timeout: 800_000 });
      return { r, seconds: (Date.now() - started) / 1000 };
    });
    console.log(`node-dcom campaign: ${seconds.toFixed(1)} s\n${r.stdout}`);
    expect(r.status).toBe(1);
    // stderr holds progress lines only (off a terminal, one at most every 10 s): no adapter error.
    expect(r.stderr.split('\n').filter((l) => l && !/^dcomkit: (run \d+\/\d+|shrinking )/.test(l))).toEqual([]);
    expect(claim.failed).toEqual(expect.arrayContaining(['PING-TERMINATION', 'PROCESS-EXIT']));
    for (const id of claim.failed) expect(r.stdout).toMatch(new RegExp(`^${id} +FAILED`, 'm'));
    // Every counterexample whose shrink finished is as long as the README promises; one that
    // spent its budget may be longer, as the README says, but never longer than its run.
    const cxs = readdirSync(dir).map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as { actions: unknown[]; shrinkTimedOut?: boolean; origin: { length: number } }) }));
    const finished = cxs.filter((c) => !c.shrinkTimedOut);
    expect(finished.length).toBeGreaterThanOrEqual(1);
    for (const c of finished) expect([c.file, c.actions.length >= claim.min && c.actions.length <= claim.max ? 'as the README says' : c.actions.length]).toEqual([c.file, 'as the README says']);
    for (const c of cxs) expect(c.actions.length).toBeLessThanOrEqual(c.origin.length);
    // Callbacks, blankets and ACLs are outside what node-dcom can express: never passed.
    expect(r.stdout).toMatch(/^CALLBACK-MARSHALLING +UNIMPLEMENTED .*cannot carry out passCallback/m);
  }, 900_000);
});
