/**
 * The CI recipes of docs/ci.md, run here: the YAML blocks are parsed from the doc and each
 * job's shell lines run in a fresh copy of a team's repository (the packed kit as its one
 * dependency, the committed certificate made as the doc says), with fewer runs. What the CI
 * services do themselves is done by the test: `uses:` steps (checkout, artefact upload and
 * download, JUnit publishing) and GitLab's artefact transfer between stages.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expectExit, pack, ROOT, sh, userEnv } from './helpers';
import { hold, REAL_TARGET_CAMPAIGN } from '../helpers/exclusive';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require('js-yaml') as { load(text: string): unknown };

jest.setTimeout(900_000); // beforeAll may wait for a real target's campaign to give the machine back

/** The ```yaml blocks of docs/ci.md, by the file name on their first line. */
function recipes(): Map<string, Record<string, unknown>> {
  const doc = readFileSync(join(ROOT, 'docs', 'ci.md'), 'utf8');
  const out = new Map<string, Record<string, unknown>>();
  for (const m of doc.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const file = m[1].match(/^# (\S+)/)![1];
    out.set(file, yaml.load(m[1]) as Record<string, unknown>);
  }
  return out;
}

const RUNS = '60';
const SEED = '1';
let base: string;
let repo: string;

/** A team's repository: the kit as a dev dependency, its lock file, and committed certificates. */
let release: (() => void) | undefined;

beforeAll(async () => {
  release = await hold(REAL_TARGET_CAMPAIGN);
  base = mkdtempSync(join(tmpdir(), 'dcomkit-ci-'));
  const { tarball } = pack(base);
  repo = join(base, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'team-dcom', version: '1.0.0', private: true, devDependencies: { dcomkit: `file:../${basename(tarball)}` } }, null, 2) + '\n');
  expectExit(sh('npm install', repo), 0, 'npm install in the team repository');
  for (const adapter of ['nt4-sp5', 'reference']) {
    // What docs/ci.md says made the committed certificate: the same campaign, unsharded.
    const r = sh(`npx dcomkit certify --adapter ${adapter} --runs ${RUNS} --seed ${SEED} --out certificates/${adapter}`, repo);
    expect([0, 1]).toContain(r.code);
  }
  rmSync(join(repo, 'node_modules'), { recursive: true });
  // A stand-in npx that makes `dcomkit verify` fail when asked to: can verify fail the job?
  mkdirSync(join(base, 'shim'));
  const real = sh('command -v npx', base).out.trim();
  writeFileSync(join(base, 'shim', 'npx'), `#!/usr/bin/env bash\nif [ "\${FAIL_VERIFY:-}" = 1 ] && [ "$1 $2" = "dcomkit verify" ]; then echo "verify: made to fail by the test" >&2; exit 1; fi\nexec ${real} "$@"\n`, { mode: 0o755 });
});

afterAll(() => {
  release?.();
  if (base) rmSync(base, { recursive: true, force: true });
});

let jobCount = 0;
/** A fresh checkout of the team repository for one job. */
function checkout(): string {
  const dir = join(base, `job-${++jobCount}`);
  cpSync(repo, dir, { recursive: true });
  return dir;
}

function jobEnv(vars: Record<string, unknown>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = userEnv({ CI: 'true', ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)])), ...extra });
  env.PATH = `${join(base, 'shim')}:${env.PATH}`;
  return env;
}

function copyInto(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

interface StepResult {
  name: string;
  ran: boolean;
  code?: number | null;
  out?: string;
}

// --- GitHub Actions ------------------------------------------------------------------------

interface GhStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface GhJob {
  needs?: string | string[];
  strategy?: { matrix: Record<string, unknown[]> };
  steps: GhStep[];
}

function runGithub(workflow: Record<string, unknown>, overrides: Record<string, string>, extraEnv: NodeJS.ProcessEnv = {}) {
  const jobs = workflow.jobs as Record<string, GhJob>;
  const vars = { ...(workflow.env as Record<string, unknown>), ...overrides };
  const artifacts = join(base, `gh-artifacts-${++jobCount}`);
  const results: Record<string, { ok: boolean; steps: StepResult[]; dir: string }[]> = {};
  const done = new Set<string>();
  while (done.size < Object.keys(jobs).length) {
    const [name, job] = Object.entries(jobs).find(([n, j]) => !done.has(n) && [j.needs ?? []].flat().every((x) => done.has(x)))!;
    const matrix = job.strategy?.matrix ?? { none: [undefined] };
    const keys = Object.keys(matrix);
    expect(keys).toHaveLength(1);
    results[name] = [];
    for (const value of matrix[keys[0]]) {
      const expand = (text: string) => {
        const t = text.replace(/\$\{\{ *matrix\.(\w+) *\}\}/g, (_m, k) => String(k === keys[0] ? value : ''));
        if (t.includes('${{')) throw new Error(`the test cannot expand ${t}`);
        return t;
      };
      const dir = join(base, `job-${++jobCount}`);
      let failed = false;
      const steps: StepResult[] = [];
      for (const step of job.steps) {
        const label = step.name ? expand(step.name) : (step.uses ?? step.run!);
        if (step.if !== undefined && step.if !== 'always()') throw new Error(`the test cannot evaluate if: ${step.if}`);
        if (failed && step.if !== 'always()') {
          steps.push({ name: label, ran: false });
          continue;
        }
        const w = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, expand(String(v))]));
        let code = 0;
        let out = '';
        if (step.run !== undefined) {
          const r = sh(expand(step.run), dir, { env: jobEnv(vars, extraEnv) }); // GitHub's default shell: bash -e
          code = r.code ?? 1;
          out = r.out + r.err;
        } else if (step.uses!.startsWith('actions/checkout@')) cpSync(repo, dir, { recursive: true });
        else if (step.uses!.startsWith('actions/setup-node@')) expect(w['node-version']).toBe('20');
        else if (step.uses!.startsWith('actions/upload-artifact@')) {
          const from = join(dir, w.path);
          if (!existsSync(from)) code = 1;
          else copyInto(from, statSync(from).isDirectory() ? join(artifacts, w.name) : join(artifacts, w.name, basename(from)));
        } else if (step.uses!.startsWith('actions/download-artifact@')) {
          for (const a of readdirSync(artifacts)) copyInto(join(artifacts, a), join(dir, w.path, a));
        } else if (step.uses!.startsWith('mikepenz/action-junit-report@')) code = existsSync(join(dir, w.report_paths)) ? 0 : 1;
        else throw new Error(`the test does not know ${step.uses}`);
        steps.push({ name: label, ran: true, code, out });
        if (code !== 0) failed = true;
      }
      results[name].push({ ok: !failed, steps, dir });
    }
    done.add(name);
  }
  return results;
}

// --- GitLab CI -----------------------------------------------------------------------------

interface GlJob {
  stage: string;
  parallel?: number;
  needs?: string[];
  script: string[];
  after_script?: string[];
  artifacts?: { paths?: string[]; reports?: { junit?: string } };
}

function runGitlab(pipeline: Record<string, unknown>, overrides: Record<string, string>, extraEnv: NodeJS.ProcessEnv = {}, only?: { job: string; artifacts: Map<string, string[]> }) {
  const vars = { ...(pipeline.variables as Record<string, unknown>), ...overrides };
  const jobs = Object.entries(pipeline).filter(([, j]) => typeof j === 'object' && j !== null && 'script' in (j as object)) as [string, GlJob][];
  const artifacts = only?.artifacts ?? new Map<string, string[]>(); // job name -> folders holding its instances' artefacts
  const results: Record<string, { code: number | null; out: string; dir: string }[]> = {};
  for (const stage of pipeline.stages as string[]) {
    for (const [name, job] of jobs.filter(([n, j]) => j.stage === stage && (!only || n === only.job))) {
      results[name] = [];
      const total = job.parallel ?? 1;
      for (let index = 1; index <= total; index++) {
        const dir = checkout();
        for (const need of job.needs ?? []) for (const store of artifacts.get(need) ?? []) cpSync(store, dir, { recursive: true });
        const env = jobEnv(vars, { ...(job.parallel ? { CI_NODE_INDEX: String(index), CI_NODE_TOTAL: String(total) } : {}), ...extraEnv });
        // GitLab runs the script lines in one shell that stops at the first failing command.
        const r = sh(`set -eo pipefail\n${job.script.join('\n')}`, dir, { env });
        if (job.after_script) sh(job.after_script.join('\n'), dir, { env }); // its exit code never counts
        const store = join(base, `gl-artifacts-${++jobCount}`);
        for (const p of job.artifacts?.paths ?? []) {
          const rel = sh(`printf '%s' "${p}"`, dir, { env }).out.replace(/\/$/, '');
          if (existsSync(join(dir, rel))) copyInto(join(dir, rel), join(store, rel));
        }
        artifacts.set(name, [...(artifacts.get(name) ?? []), store]);
        results[name].push({ code: r.code, out: r.out + r.err, dir });
      }
    }
  }
  return { results, artifacts };
}

describe('docs/ci.md', () => {
  test('has exactly the two recipes, and no job leaves verify or diff where they cannot fail it', () => {
    const r = recipes();
    expect([...r.keys()]).toEqual(['.github/workflows/certify.yml', '.gitlab-ci.yml']);
    for (const [, job] of Object.entries(r.get('.gitlab-ci.yml')!)) {
      const after = ((job as GlJob)?.after_script ?? []).join('\n');
      expect(after).not.toMatch(/dcomkit (verify|diff|merge)/);
    }
  });

  /** The GitHub run's shard folders (shard-N/certificate.json), which GitLab's certify stage makes with the same command. */
  let nt4Shards: string[] = [];

  test('GitHub Actions: four shards, then a merge job whose certificate is the committed one (like with like), verified and compared; nt4-sp5\'s FAILED rules fail it', () => {
    const results = runGithub(recipes().get('.github/workflows/certify.yml')!, { RUNS, SEED, ADAPTER: 'nt4-sp5' });
    expect(results.shard.map((j) => j.ok)).toEqual([true, true, true, true]);
    nt4Shards = results.shard.map((j, i) => {
      const store = join(base, `nt4-shard-${i + 1}`);
      copyInto(join(j.dir, `shard-${i + 1}`), join(store, `shard-${i + 1}`));
      return store;
    });
    const [merge] = results.merge;
    const step = (name: string) => merge.steps.find((s) => s.name === name)!;
    expect(step('merge')).toMatchObject({ ran: true, code: 1 });
    expect(step('verify')).toMatchObject({ ran: true, code: 0 });
    const diff = step('what changed since the committed certificate');
    expect(diff).toMatchObject({ ran: true, code: 0 });
    expect(diff.out).toMatch(/no verdict changed \(18 compared\)/);
    expect(diff.out).not.toMatch(/NOT COMPARABLE/);
    expect(merge.ok).toBe(false);
    expect(readFileSync(join(merge.dir, 'certificate', 'certificate.json'), 'utf8')).toBe(readFileSync(join(repo, 'certificates', 'nt4-sp5', 'certificate.json'), 'utf8'));
    expect(merge.steps.filter((s) => s.name.startsWith('mikepenz/') || s.name.startsWith('actions/upload-artifact')).every((s) => s.code === 0)).toBe(true);
  });

  test('GitLab CI: a correct adapter passes both stages; a failing verify, a changed verdict or a FAILED rule each fails the merge job', () => {
    const pipeline = recipes().get('.gitlab-ci.yml')!;
    const green = runGitlab(pipeline, { RUNS, SEED, ADAPTER: 'reference' });
    expect(green.results.certify.map((j) => j.code)).toEqual([0, 0, 0, 0]);
    expect(green.results.merge[0].code).toBe(0);
    expect(green.results.merge[0].out).toMatch(/^verified$/m);
    expect(green.results.merge[0].out).toMatch(/no verdict changed/);
    expect(existsSync(join(green.results.merge[0].dir, 'certificate', 'junit.xml'))).toBe(true);

    const merge = (shards: string[], overrides: Record<string, string> = {}, extraEnv: NodeJS.ProcessEnv = {}) =>
      runGitlab(pipeline, { RUNS, SEED, ADAPTER: 'reference', ...overrides }, extraEnv, { job: 'merge', artifacts: new Map([['certify', shards]]) }).results.merge[0];
    const verifyFails = merge(green.artifacts.get('certify')!, {}, { FAIL_VERIFY: '1' });
    expect(verifyFails.code).not.toBe(0);
    expect(verifyFails.out).toMatch(/verify: made to fail by the test/);
    // nt4-sp5's shards against the reference's committed certificate: rules got worse, diff fails the job.
    expect(nt4Shards).toHaveLength(4);
    const worse = merge(nt4Shards, { ADAPTER: 'reference' });
    expect(worse.code).toBe(1);
    expect(worse.out).toMatch(/^worse \(\d+\):/m);
    // nt4-sp5's shards against its own committed certificate: verify and diff pass, then its FAILED rules fail the job.
    const red = merge(nt4Shards, { ADAPTER: 'nt4-sp5' });
    expect(red.code).toBe(1);
    expect(red.out).toMatch(/^verified$/m);
    expect(red.out).toMatch(/no verdict changed/);
  });
});
