import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const FIXTURES = join(__dirname, 'fixtures');
export const MISBEHAVE = join(FIXTURES, 'misbehave.py');
export const SYNC_ADAPTER = join(FIXTURES, 'sync-adapter.js');

export interface KitRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
  /** Processes still alive that the run started (they carry its marker in their environment). */
  leftovers: number[];
  /** Real ms from the (first) signal sent to the end of the kit, when one was sent. */
  afterSignalMs?: number;
}

/** Pids of live processes whose environment holds `entry` exactly. */
export function marked(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface KitOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Once its output (stdout and stderr together) matches `when`, wait `afterMs` and send the
   * kit `signal`; with `again`, send it a second time that many ms later.
   */
  signal?: { when: RegExp; signal: NodeJS.Signals; afterMs?: number; again?: number };
  /** Kill everything after this many ms (a safety net for a test that would hang). */
  limitMs?: number;
}

/**
 * Runs the built kit as a user does, marking its environment so that everything it starts can
 * be found afterwards, however it ended.
 */
export function kit(args: string[], options: KitOptions = {}): Promise<KitRun> {
  const mark = `DCOMKIT_FAULTS_MARK=${randomBytes(8).toString('hex')}`;
  const [name, value] = mark.split('=');
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...options.env, [name!]: value }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let signalledAt: number | undefined;
  let armed = !!options.signal;
  const watch = () => {
    const s = options.signal;
    if (!s || !armed || !s.when.test(out + err)) return;
    armed = false;
    setTimeout(() => {
      signalledAt = Date.now();
      child.kill(s.signal);
      if (s.again !== undefined) setTimeout(() => child.kill(s.signal), s.again);
    }, s.afterMs ?? 0);
  };
  child.stdout.on('data', (d) => {
    out += d;
    watch();
  });
  child.stderr.on('data', (d) => {
    err += d;
    watch();
  });
  const safety = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 120_000);
  return new Promise((resolve) => {
    child.on('close', async (code, signal) => {
      clearTimeout(safety);
      const ended = Date.now();
      const ms = ended - started;
      // What the kit started must be gone once it is: give the kernel a moment to reap.
      let leftovers = marked(mark);
      for (let i = 0; i < 20 && leftovers.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        leftovers = marked(mark);
      }
      for (const pid of leftovers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      resolve({ code, signal, out, err, ms, leftovers, ...(signalledAt !== undefined ? { afterSignalMs: ended - signalledAt } : {}) });
    });
  });
}

export function misbehave(mode: string, ...extra: string[]): string {
  return ['python3', MISBEHAVE, ...mode.split(' '), ...extra].join(' ');
}
