import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function dcomkit(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dcomkit certify, verify, diff, merge', () => {
  test.each(['reference', 'nt4-sp5'])('the committed %s certificate verifies', (name) => {
    const r = dcomkit(['verify', join('certificates', name, 'certificate.json')]);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^ {2}ok {3}hash +matches/m);
    expect(r.out).toMatch(/^ {2}ok {3}strict +9 verdicts reproduce/m);
    expect(r.out).toMatch(/^ {2}ok {3}nt4 +9 verdicts reproduce/m);
    expect(r.out).toMatch(/^verified$/m);
    expect(r.code).toBe(0);
  });

  test('certify writes the three files; verify passes; an edited certificate fails; diff and merge work on the results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcomkit-cert-'));
    const sp5 = dcomkit(['certify', '--adapter', 'nt4-sp5', '--runs', '120', '--seed', '2', '--out', join(dir, 'sp5')]);
    expect(sp5.code).toBe(1); // rules FAILED
    expect(sp5.out).toMatch(/^PING-TERMINATION +FAILED +FAILED$/m);
    expect(sp5.out).toMatch(/^CALLBACK-MARSHALLING +FAILED +NON-STRICT$/m);
    expect(readdirSync(join(dir, 'sp5')).sort()).toEqual(['certificate.json', 'counterexamples', 'junit.xml', 'report.html']);
    expect(readdirSync(join(dir, 'sp5', 'counterexamples')).sort()).toEqual(expect.arrayContaining(['PING-TERMINATION-strict.json', 'PING-TERMINATION-nt4.json']));
    const file = join(dir, 'sp5', 'certificate.json');
    expect(dcomkit(['verify', file]).code).toBe(0);

    const cert = JSON.parse(readFileSync(file, 'utf8'));
    cert.results[0].rules[0].verdict = 'OK';
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(cert));
    const edited = dcomkit(['verify', '--hash-only', join(dir, 'edited.json')]);
    expect(edited.code).toBe(1);
    expect(edited.out).toMatch(/FAIL hash +does not match the content/);
    expect(edited.out).toMatch(/^NOT verified$/m);

    const ref = dcomkit(['certify', '--adapter', 'reference', '--profile', 'strict', '--runs', '120', '--seed', '2', '--out', join(dir, 'ref'), '--reporter', 'json']);
    expect(ref.code).toBe(0);
    expect(readdirSync(join(dir, 'ref'))).toEqual(['certificate.json']);
    // Fixes are no failure: exit 0, listed as fixes; the missing profile makes the campaigns not comparable.
    const diff = dcomkit(['diff', file, join(dir, 'ref', 'certificate.json')]);
    expect(diff.code).toBe(0);
    expect(diff.out).toMatch(/^runs: 120 -> 120 per profile$/m);
    expect(diff.out).toMatch(/^NOT COMPARABLE: .*\n {2}profiles differ: strict, nt4 against strict$/m);
    expect(diff.out).toMatch(/^fixed \(\d+\):\n(?: {2}.*\n)*? {2}strict +PING-TERMINATION +FAILED \(\d+ runs, \d+ failing\) -> OK \(\d+ runs\)$/m);
    expect(diff.out).toMatch(/^judged only in BEFORE, its profile missing from AFTER \(9\):\n(?: {2}.*\n)*? {2}nt4 +PING-TERMINATION +FAILED \(\d+ runs, \d+ failing\) -> \(not judged\)$/m);
    expect(diff.out).toMatch(/^18 verdicts: 0 worse, \d+ fixed, 9 other changes, \d+ unchanged\.$/m);
    // The other way round the same rules got worse: exit 1.
    const back = dcomkit(['diff', join(dir, 'ref', 'certificate.json'), file]);
    expect(back.code).toBe(1);
    expect(back.out).toMatch(/^worse \(\d+\):\n(?: {2}.*\n)*? {2}strict +PING-TERMINATION +OK \(\d+ runs\) -> FAILED \(\d+ runs, \d+ failing\)$/m);
    const same = dcomkit(['diff', file, file]);
    expect(same.out).toMatch(/no verdict changed \(18 compared\)/);
    expect(same.out).not.toMatch(/NOT COMPARABLE/);
    expect(same.code).toBe(0);
    const json = JSON.parse(dcomkit(['diff', '--json', join(dir, 'ref', 'certificate.json'), file]).out);
    expect(json).toMatchObject({ comparable: false, a: { runs: 120, seeds: [2] }, b: { runs: 120, seeds: [2] } });
    expect(json.changes).toEqual(expect.arrayContaining([expect.objectContaining({ profile: 'strict', rule: 'PING-TERMINATION', kind: 'worse' })]));

    for (const i of [1, 2]) {
      const s = dcomkit(['certify', '--adapter', 'nt4-sp5', '--runs', '120', '--seed', '2', '--shard', `${i}/2`, '--out', join(dir, `shard${i}`), '--reporter', 'json']);
      expect(s.out).toMatch(new RegExp(`shard ${i}/2`));
    }
    const partial = dcomkit(['merge', join(dir, 'shard1', 'certificate.json'), '--out', join(dir, 'partial')]);
    expect(partial.code).toBe(2);
    expect(partial.err).toMatch(/missing shards \(seed 2: shard 2\/2\); pass --partial/);
    const merged = dcomkit(['merge', join(dir, 'shard1', 'certificate.json'), join(dir, 'shard2', 'certificate.json'), '--out', join(dir, 'merged')]);
    expect(merged.code).toBe(1);
    expect(readFileSync(join(dir, 'merged', 'certificate.json'), 'utf8')).toBe(readFileSync(file, 'utf8'));
    // The same JUnit but for time: certify knows where its campaign's time went, merged shards do not.
    const certified = readFileSync(join(dir, 'sp5', 'junit.xml'), 'utf8');
    const mergedXml = readFileSync(join(dir, 'merged', 'junit.xml'), 'utf8');
    expect(certified.match(/<testcase [^>]* time="\d+\.\d{3}">/g)).toHaveLength(18);
    expect(certified.match(/<testsuite [^>]* time="\d+\.\d{3}">/g)).toHaveLength(2);
    expect(mergedXml).not.toMatch(/ time="/);
    expect(mergedXml).toBe(certified.replace(/ time="[\d.]+"/g, ''));
  });

  test.each([
    [['certify', '--adapter', 'reference'], /certify needs --out DIR/],
    [['certify', '--out', '/tmp/x', '--shard', '3/2'], /--shard: the shard index must be from 1 to 2, not 3/],
    [['certify', '--out', '/tmp/x', '--reporter', 'pdf'], /unknown reporter 'pdf' \(reporters: text, json, html, junit\)/],
    [['certify', '--out', '/tmp/x', '--corpus', 'package.json'], /--corpus package.json: not a folder/],
    [['run', '--shard', 'half'], /--shard takes i\/n/],
    [['verify'], /verify needs a certificate file/],
    [['verify', 'nope.json'], /cannot read certificate nope.json: no such file/],
    [['verify', 'package.json'], /package.json is not a dcomkit-certificate\/1 file/],
    [['diff', 'certificates/reference/certificate.json'], /diff needs two certificate files/],
    [['merge', '--out', '/tmp/x'], /merge needs certificate files/],
    [['merge', 'certificates/reference/certificate.json', 'certificates/nt4-sp5/certificate.json', '--out', '/tmp/x'], /cannot merge certificates of different adapters/],
  ])('%j is a usage error: exit 2, one line', (args, message) => {
    const r = dcomkit(args);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(2);
  });

  test.each(['certify', 'verify', 'diff', 'merge'])('%s --help explains the command', (command) => {
    const r = dcomkit([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Usage: dcomkit ${command} `));
    expect(r.out).toMatch(/Exit codes:/);
    if (command === 'diff') expect(r.out).toMatch(/OK = INFORMATIONAL > NON-STRICT > INCONCLUSIVE > UNIMPLEMENTED > FAILED/);
    expect(dcomkit(['--help']).out).toMatch(new RegExp(`^ {2}${command} `, 'm'));
  });
});
