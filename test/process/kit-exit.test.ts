import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { childrenOf, fixture, FIXTURES, waitDead } from './helpers';

// The kit runs in its own node process here, so the process adapter is transpiled to plain
// JavaScript first (no type-check: tsc does that separately).
const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'test-artifacts', 'process-kit');

beforeAll(() => {
  for (const dir of ['adapters/process', 'spec']) {
    fs.mkdirSync(path.join(OUT, dir), { recursive: true });
    for (const file of fs.readdirSync(path.join(ROOT, dir))) {
      const from = path.join(ROOT, dir, file);
      if (file.endsWith('.json')) fs.copyFileSync(from, path.join(OUT, dir, file));
      if (!file.endsWith('.ts')) continue;
      const js = ts.transpileModule(fs.readFileSync(from, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      fs.writeFileSync(path.join(OUT, dir, file.replace(/\.ts$/, '.js')), js);
    }
  }
});

/** Starts the stand-in kit and waits until its adapter (and the adapter's own child) run. */
async function startKit(how: string) {
  const child = spawn(process.execPath, [path.join(FIXTURES, 'kit.js'), path.join(OUT, 'adapters/process/index.js'), how, fixture('misc.js', 'grandchild')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const adapter = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"adapter":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`kit ended early: ${err}`)));
  });
  const grandchild = childrenOf(adapter)[0];
  expect(grandchild).toBeDefined();
  return { child, adapter, grandchild: grandchild!, ended, stderr: () => err };
}

test.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s to the kit kills its adapters and their children, and the kit still dies of it', async (signal) => {
  const kit = await startKit('wait');
  kit.child.kill(signal);
  expect(await kit.ended).toEqual({ code: null, signal });
  expect(await waitDead(kit.adapter)).toBe(true);
  expect(await waitDead(kit.grandchild)).toBe(true);
});

test.each(['throw', 'exit'])('a kit that ends by %s leaves no adapter behind', async (how) => {
  const kit = await startKit(how);
  expect((await kit.ended).code).toBe(1);
  if (how === 'throw') expect(kit.stderr()).toMatch(/kit bug/);
  expect(await waitDead(kit.adapter)).toBe(true);
  expect(await waitDead(kit.grandchild)).toBe(true);
});
