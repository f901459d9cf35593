/**
 * The packed kit, installed from its tarball into an empty project and used as a team with
 * its own DCOM stack would: every command through npx, an in-process adapter written in
 * TypeScript against the published types, an out-of-process adapter, and a jest test file
 * using dcomkit/jest.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectExit, pack, ROOT, scratchProject, sh, type Packed } from './helpers';
import { hold, REAL_TARGET_CAMPAIGN } from '../helpers/exclusive';

jest.setTimeout(900_000); // beforeAll may wait for a real target's campaign to give the machine back

let packed: Packed;
let project: string;
let packDir: string;

let release: (() => void) | undefined;

beforeAll(async () => {
  release = await hold(REAL_TARGET_CAMPAIGN);
  packDir = mkdtempSync(join(tmpdir(), 'dcomkit-pack-'));
  packed = pack(packDir);
  project = scratchProject(packed.tarball, ['jest@30.5.2', 'ts-jest@29.4.15', 'typescript@6.0.3', '@types/node@20.19.43']);
});

afterAll(() => {
  release?.();
  for (const dir of [project, packDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The installed command, as npx finds it (npx itself is used where it matters: it costs a second a call). */
const dcomkit = (args: string, timeout?: number) => sh(`node_modules/.bin/dcomkit ${args}`, project, { timeout });

describe('the tarball', () => {
  test('ships the built kit with its declarations, the built-in adapters\' assets and the set-up scripts, and nothing of the tests or certificates', () => {
    const files = new Set(packed.files);
    for (const f of [
      'package.json', 'README.md', 'LICENSE',
      'dist/index.js', 'dist/index.d.ts', 'dist/jest/index.js', 'dist/jest/index.d.ts', 'dist/cli/main.js', 'dist/spec/protocol.schema.json',
      'dist/adapters/node-dcom/child.js', 'adapters/wine/src/driver.c', 'adapters/wine/src/server.c', 'adapters/wine/src/client.c', 'adapters/wine/run-driver.sh', 'adapters/impacket/driver.py',
      'scripts/setup.sh', 'scripts/setup-wine.sh', 'scripts/setup-impacket.sh', 'scripts/install-chromium.sh', 'scripts/setup-python3.sh', 'examples/python-adapter/adapter.py',
    ]) expect([f, files.has(f)]).toEqual([f, true]);
    const unwanted = packed.files.filter((f) => /^(test|certificates|bench|dist\/bench|dist\/test|\.ci)\//.test(f) || /\.map$|\.test\.|tsbuildinfo/.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)));
    expect(unwanted).toEqual([]);
    // Every set-up script scripts/setup.sh lists is shipped.
    const listed = readFileSync(join(project, 'node_modules', 'dcomkit', 'scripts', 'setup.sh'), 'utf8').match(/^[a-z0-9-]+ +([a-z0-9-]+\.sh)/gm)!;
    for (const line of listed) expect(files.has(`scripts/${line.split(/ +/)[1]}`)).toBe(true);
  });
});

describe('npx dcomkit', () => {
  test('every command answers --help; --version is the package\'s', () => {
    const help = expectExit(sh('npx dcomkit --help', project), 0, 'npx dcomkit --help');
    const commands = [...help.out.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
    expect(commands).toEqual(['run', 'replay', 'certify', 'verify', 'diff', 'merge', 'rules', 'adapters', 'mutate', 'setup']);
    for (const c of commands) expect(expectExit(dcomkit(`${c} --help`), 0, `${c} --help`).out).toMatch(new RegExp(`^Usage: dcomkit ${c}`, 'm'));
    expect(dcomkit('--version').out.trim()).toBe(JSON.parse(readFileSync(join(project, 'node_modules', 'dcomkit', 'package.json'), 'utf8')).version);
  });

  test('run, replay, certify, verify, diff, merge, rules, adapters, mutate and setup work from the installed package', () => {
    expect(expectExit(dcomkit('adapters'), 0, 'adapters').out).toMatch(/^reference\b[\s\S]*^node-dcom\b[\s\S]*^wine\b/m);
    expect(expectExit(dcomkit('rules'), 0, 'rules').out).toMatch(/^PING-TERMINATION {2}\[Q224837/m);
    expect(expectExit(dcomkit('run --adapter reference --runs 1000 --seed 1'), 0, 'run reference').out).toMatch(/^PING-TERMINATION +OK/m);

    const failing = expectExit(dcomkit('run --adapter nt4-sp5 --runs 150 --seed 2'), 1, 'run nt4-sp5');
    const replay = failing.out.match(/replay: (npx dcomkit replay \S+PING-TERMINATION\S+)/)![1];
    expect(expectExit(sh(replay, project), 1, 'replay').out).toMatch(/reproduced; trace identical/);

    expectExit(dcomkit('certify --adapter nt4-sp5 --runs 60 --seed 3 --out cert'), 1, 'certify');
    expect(expectExit(dcomkit('verify cert/certificate.json'), 0, 'verify').out).toMatch(/^verified$/m);
    expect(expectExit(dcomkit('diff cert/certificate.json cert/certificate.json'), 0, 'diff').out).toMatch(/no verdict changed/);
    for (const i of [1, 2]) expectExit(dcomkit(`certify --adapter nt4-sp5 --runs 60 --seed 3 --shard ${i}/2 --reporter json --out shard${i}`), 1, `certify shard ${i}`);
    expectExit(dcomkit('merge shard1/certificate.json shard2/certificate.json --out merged'), 1, 'merge');
    expect(readFileSync(join(project, 'merged', 'certificate.json'), 'utf8')).toBe(readFileSync(join(project, 'cert', 'certificate.json'), 'utf8'));
    expect(expectExit(dcomkit('mutate --only crash-keeps-oids --runs 300'), 0, 'mutate').out).toMatch(/^crash-keeps-oids +killed by PING-TERMINATION/m);
    expect(expectExit(dcomkit('setup python3'), 0, 'setup').out).toMatch(/setup-python3: present/);
  });

  test('an out-of-process adapter (--adapter-cmd): the shipped Python example, with its deliberate bug found', () => {
    const r = expectExit(dcomkit('run --adapter-cmd "python3 node_modules/dcomkit/examples/python-adapter/adapter.py" --runs 100 --seed 1'), 1, 'run --adapter-cmd');
    expect(r.out).toMatch(/^PING-TERMINATION +FAILED/m);
    expect(r.out).toMatch(/^CALLBACK-MARSHALLING +UNIMPLEMENTED/m);
  });
});

/** The README's complete dcomkit/jest example: its files, by the path on their first line. */
function readmeExample(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const files = new Map<string, string>();
  for (const m of readme.matchAll(/```ts\n\/\/ ((?:src|test)\/\S+\.ts)\n([\s\S]*?)```/g)) files.set(m[1], m[2]);
  expect([...files.keys()]).toEqual(['src/my-dcom.ts', 'test/conformance.test.ts']);
  return files;
}

/** The API from code: a campaign, judging a trace again, a certificate built and verified. */
const TS_API = `import { buildCertificate, judge, referenceAdapter, runCampaign, verifyCertificate, type CampaignResult, type Certificate, type RuleOutcome } from 'dcomkit';
import myDcom from './my-dcom';

async function main(): Promise<void> {
  const adapter = await myDcom.create();
  const result: CampaignResult = await runCampaign(adapter, { runs: 1000, seed: 1 });
  await adapter.close();
  const exit = result.rules.find((t) => t.rule.id === 'PROCESS-EXIT')!;
  const cx = exit.counterexample!;
  const outcomes: RuleOutcome[] = judge({ seed: cx.seed, world: cx.world, capabilities: result.adapter, events: cx.trace }, 'strict');
  const cert: Certificate = await buildCertificate({ adapter: result.adapter, campaign: { seed: 1, runs: 1000 }, results: [result] });
  const report = await verifyCertificate(cert, { open: () => myDcom.create(), skipCampaigns: true });
  const reference = await runCampaign(await referenceAdapter.create(), { runs: 300, seed: 1 });
  console.log(JSON.stringify({ verdict: exit.verdict, actions: cx.actions.length, rejudged: outcomes.find((o) => o.rule === 'PROCESS-EXIT')!.status, verified: report.ok, referenceFailed: reference.rules.filter((t) => t.verdict === 'FAILED').length }));
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

const TS_JEST = `import { describeConformance, type ConformanceAdapter, type ConformanceOptions } from 'dcomkit/jest';
import myDcom from './my-dcom';

const options: ConformanceOptions = { runs: 150, seed: 4, profile: 'strict', maxActions: 20, shrinkTime: 30 };
const adapters: ConformanceAdapter[] = [myDcom, 'reference', { cmd: 'python3 my_adapter.py', stepTimeoutMs: 5000 }, './out/src/my-dcom.js'];
export const declare = () => adapters.forEach((a) => describeConformance(a, options));
`;

describe('a TypeScript project using the package, as the README shows', () => {
  beforeAll(() => {
    mkdirSync(join(project, 'test'));
    for (const [file, text] of readmeExample()) writeFileSync(join(project, file), text);
    writeFileSync(join(project, 'src', 'api.ts'), TS_API);
    writeFileSync(join(project, 'src', 'conformance-types.ts'), TS_JEST);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false, types: ['node'], rootDir: '.', outDir: 'out' }, include: ['src', 'test'] }, null, 2),
    );
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ ...pkg, jest: { preset: 'ts-jest', testEnvironment: 'node', roots: ['<rootDir>/test'] } }, null, 2));
  });

  test('compiles against the published declarations, with every library check on', () => {
    expectExit(sh('npx tsc -p tsconfig.json', project), 0, 'tsc');
    expect(existsSync(join(project, 'out', 'src', 'my-dcom.js'))).toBe(true);
  });

  test('its in-process adapter runs from the command line, and the planted fault is found', () => {
    const r = expectExit(dcomkit('run --adapter ./out/src/my-dcom.js --runs 1000 --seed 1'), 1, 'run --adapter module');
    expect(r.out).toMatch(/^PROCESS-EXIT +FAILED/m);
    expect(r.out).toMatch(/^RELEASE-RECLAIM +OK/m);
    expect(r.out).toMatch(/crash/);
  });

  test('the API: a campaign, the counterexample judged again, a certificate built and verified', () => {
    const r = expectExit(sh('node out/src/api.js', project), 0, 'node out/src/api.js');
    expect(JSON.parse(r.out)).toEqual({ verdict: 'FAILED', actions: expect.any(Number), rejudged: 'fail', verified: true, referenceFailed: 0 });
  });

  test("the README's jest test file: the planted fault fails with its counterexample and seed, the Python model skips what it cannot do, as the README shows", () => {
    const r = sh('npx jest --json --outputFile=jest.json', project);
    expect(r.code).toBe(1);
    const results = JSON.parse(readFileSync(join(project, 'jest.json'), 'utf8')).testResults[0].assertionResults as { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }[];
    const block = (title: string) => results.filter((t) => t.ancestorTitles[0].includes(title));
    const mine = block('my-dcom');
    expect(mine).toHaveLength(10);
    expect(mine.filter((t) => t.status !== 'passed').map((t) => t.title)).toEqual(['PROCESS-EXIT: A finished client process exits']);
    const exit = mine.find((t) => t.title.startsWith('PROCESS-EXIT'))!.failureMessages.join('\n');
    expect(exit).toMatch(/PROCESS-EXIT FAILED[\s\S]*crash \(no cleanup\)[\s\S]*replay: npx dcomkit replay \.dcomkit\/counterexamples\/PROCESS-EXIT-my-dcom-1\.json --adapter <the module that exports your adapter factory>[\s\S]*1000 runs, seed 1 \(DCOMKIT_SEED=1 repeats it\)/);
    const python = block('python3');
    expect(python.filter((t) => t.status === 'failed')).toEqual([]);
    const skipped = python.filter((t) => t.status === 'pending').map((t) => t.title);
    const shown = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/^ {4}○ skipped (.*)$/gm)].map((m) => m[1]);
    expect(skipped).toEqual(shown);
    // The replay command works once given the module, as the README says.
    expect(expectExit(sh('npx dcomkit replay .dcomkit/counterexamples/PROCESS-EXIT-my-dcom-1.json --adapter ./out/src/my-dcom.js', project), 1, 'replay').out).toMatch(/reproduced/);
  });
});
