/**
 * A clean clone, as CI and a new user get it (the files git tracks, plus new ones not yet
 * ignored): the committed lock file installs with `npm ci` under npm 10 and this machine's
 * npm 11, the README's two commands work as written, and neither leaves `git status` dirty.
 * The README's test command is run with jest only listing the tests (running them here would
 * run this suite again): what it proves is that the command sets everything up by itself,
 * and that its set-up does nothing the second time.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expectExit, ROOT, sh, userEnv } from './helpers';
import { hold, REAL_TARGET_CAMPAIGN } from '../helpers/exclusive';

jest.setTimeout(900_000); // beforeAll may wait for a real target's campaign to give the machine back

let clone: string;
// Its own Wine prefix: set-up must not re-register another checkout's.
const env = () => {
  const e = userEnv();
  delete e.DCOMKIT_WINE_PREFIX;
  return e;
};
const run = (command: string, timeout = 600_000) => sh(command, clone, { env: env(), timeout });
const gitStatus = () => expectExit(run('git status --porcelain'), 0, 'git status').out;

/** The README's opening block: exactly the two set-up commands. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = readme.match(/^```(?:sh|bash|shell)?\n([\s\S]*?)\n```\n/);
  expect(m).not.toBeNull();
  return m![1].split('\n');
}

let release: (() => void) | undefined;

beforeAll(async () => {
  release = await hold(REAL_TARGET_CAMPAIGN);
  clone = mkdtempSync(join(tmpdir(), 'dcomkit-clone-'));
  const files = expectExit(sh('git ls-files -z --cached --others --exclude-standard', ROOT), 0, 'git ls-files').out.split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    try {
      copyFileSync(join(ROOT, f), join(clone, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted, not yet committed
    }
  }
  expectExit(run('git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -q -m clone'), 0, 'git init');
});

afterAll(() => {
  release?.();
  if (clone) rmSync(clone, { recursive: true, force: true });
});

test('the README opens with the two set-up commands, one per line', () => {
  const [install, tests, ...rest] = readmeCommands();
  expect(rest).toEqual([]);
  expect(install).toBe('npm install && npm start');
  expect(tests).toBe('npm test');
});

test('npm ci accepts the committed lock file under npm 10 and npm 11, and leaves git status clean', () => {
  const npm10 = expectExit(run('npx -y npm@10 --version && npx -y npm@10 ci --ignore-scripts'), 0, 'npm 10 ci');
  expect(npm10.out).toMatch(/^10\./);
  expect(gitStatus()).toBe('');
  rmSync(join(clone, 'node_modules'), { recursive: true });
  expect(expectExit(run('npm --version'), 0, 'npm --version').out).toMatch(/^11\./);
  expectExit(run('npm ci --ignore-scripts'), 0, 'npm ci'); // the README's first command builds next
  expect(gitStatus()).toBe('');
});

test("the README's first command installs, builds and runs the suite on the reference, leaving git status clean", () => {
  const [install] = readmeCommands();
  const r = expectExit(run(install), 0, install);
  expect(r.out).toMatch(/^dcomkit: adapter reference 1\.\d+\.\d+, profile strict, 200 runs/m);
  expect(r.out).toMatch(/^PING-TERMINATION +OK/m);
  expect(r.out).not.toMatch(/FAILED/);
  expect(gitStatus()).toBe('');
});

test("the README's test command sets up what the tests need by itself, and a second time does nothing", () => {
  const [, tests] = readmeCommands();
  const first = expectExit(run(`${tests} -- --listTests`), 0, `${tests} (first)`);
  expect(first.out).toMatch(/^setup: ready \(node-modules python3 chromium impacket wine\)/m);
  expect(first.out).toMatch(/test\/package\/clean-clone\.test\.ts$/m);
  const again = expectExit(run(`${tests} -- --listTests`), 0, `${tests} (again)`);
  expect(again.out).toMatch(/setup-node-modules: node_modules is up to date/);
  expect(again.out).toMatch(/setup-python3: present/);
  expect(again.out).toMatch(/install-chromium: present/);
  expect(again.out).toMatch(/setup-impacket: impacket \S+ already importable/);
  expect(again.out).toMatch(/setup-wine: packages present/);
  expect(again.out).not.toMatch(/npm ci|installing|building|creating the Wine prefix|registering/);
  expect(gitStatus()).toBe('');
});

test('.ci/run runs the README\'s test command and nothing else', () => {
  const script = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  const shell = script.split(/node -e '/)[0].split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  expect(shell.filter((l) => /\b(npm|npx|apt-get|bash|scripts\/)/.test(l))).toEqual(['npm test -- --json --outputFile="$report"']);
});
