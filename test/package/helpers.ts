/**
 * The kit as a user gets it: `npm pack` of this checkout (dist/ as the test suite's global
 * set-up built it), installed from the tarball into scratch projects. npm runs prefer-offline
 * (its cache holds every dependency once the kit itself was installed) and without the npm_*
 * variables of an enclosing `npm test`, which would point it at this checkout.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** The environment a user's shell would give npm: this process's, less npm's own, offline first. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && !k.startsWith('JEST_') && k !== 'NODE_ENV') env[k] = v;
  return { ...env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

export interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a command line in bash, as a user types it. */
export function sh(command: string, cwd: string, options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Ran {
  const spawnOptions: SpawnSyncOptions = { cwd, encoding: 'utf8', timeout: options.timeout ?? 300_000, env: options.env ?? userEnv(), maxBuffer: 64 << 20 };
  const r = spawnSync('bash', ['-c', command], spawnOptions);
  return { code: r.status, out: String(r.stdout ?? ''), err: String(r.stderr ?? '') };
}

/** Fails with what the command said, when it did not exit as expected. */
export function expectExit(r: Ran, code: number, what: string): Ran {
  // The last line said comes first: a CI summary that keeps one line of the message shows why.
  const last = (r.err.trim() || r.out.trim()).split('\n').pop();
  if (r.code !== code) throw new Error(`${what}: exit ${r.code}, expected ${code} (last words: ${last ?? 'none'})\n--- stdout\n${r.out.slice(-4000)}\n--- stderr\n${r.err.slice(-4000)}`);
  return r;
}

export interface Packed {
  tarball: string;
  files: string[];
}

/** `npm pack` of this checkout into dir (no build: the global set-up just built dist/). */
export function pack(dir: string): Packed {
  const r = expectExit(sh(`npm pack --ignore-scripts --json --pack-destination ${JSON.stringify(dir)}`, ROOT), 0, 'npm pack');
  const [info] = JSON.parse(r.out) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(dir, info.filename), files: info.files.map((f) => f.path) };
}

/** An empty project with the packed kit (and whatever else is named) installed as a user would. */
export function scratchProject(tarball: string, devDependencies: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'dcomkit-user-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'dcom-team', version: '1.0.0', private: true }, null, 2) + '\n');
  mkdirSync(join(dir, 'src'));
  expectExit(sh(`npm install --save-dev ${JSON.stringify(tarball)} ${devDependencies.join(' ')}`, dir), 0, 'npm install of the packed kit');
  return dir;
}
