/**
 * Wine 8.0 (Debian bookworm) as a real DCOM target. A driver program built with mingw-w64
 * runs under Wine, speaks the kit's JSON Lines protocol (spec/protocol.ts) and carries the
 * actions out with real Wine processes: a COM local server (server.exe) and one client
 * process (client.exe) per `start`. The whole Wine session runs under faketime, sped up
 * `scale` times, so the 6-minute rundown window passes in seconds of real time.
 * adapters/wine/README.md describes the design and what Wine was seen to do.
 *
 * Needs scripts/setup-wine.sh to have run (packages, prefix, build, registration).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Adapter, AdapterFactory, Capabilities } from '../../spec/adapter';
import { defaultWorld } from '../../spec/world';
import { spawnAdapter } from '../process';
import { KIT_ROOT } from '../../spec/kit';

export const WINE_ADAPTER_DIR = join(KIT_ROOT, 'adapters', 'wine');
export const WINE_LAUNCHER = join(WINE_ADAPTER_DIR, 'run-driver.sh');
export const WINE_SETUP_SCRIPT = join(KIT_ROOT, 'scripts', 'setup-wine.sh');
/**
 * Default faketime speed-up. Generated runs let 20-40 virtual minutes pass each (their own
 * advances and the settle period): at x480 that is 3-5 real seconds, and `dcomkit run
 * --adapter wine --runs 20` finishes, shrinking included, within three minutes. Every time
 * bound is then widened by 480 virtual seconds (one real second), and the 6-minute rundown
 * window plus that still ends well inside the settle period. Wine's own timeouts shrink too:
 * on a loaded machine an activation fails with E_NOINTERFACE now and then at x480, more often
 * above (adapters/wine/README.md, "Speed-up").
 */
export const DEFAULT_WINE_SCALE = 480;

export interface WineAdapterOptions {
  /**
   * faketime speed-up the Wine session runs at; also the clock scale the adapter declares.
   * Default: $DCOMKIT_WINE_SCALE, else DEFAULT_WINE_SCALE.
   */
  scale?: number;
  /** The Wine prefix; default <repo>/.wine-prefix. */
  prefix?: string;
  /** Report every AddRef/Release the server sees as a note. */
  notes?: boolean;
  /** Real ms one step may take before the process host calls it hung; default 60 s. */
  stepTimeoutMs?: number;
}

export function winePrefix(options: WineAdapterOptions = {}): string {
  return options.prefix ?? process.env.DCOMKIT_WINE_PREFIX ?? join(KIT_ROOT, '.wine-prefix');
}

function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why the Wine adapter cannot start here, or undefined when scripts/setup-wine.sh has run. */
export function wineSetupProblem(options: WineAdapterOptions = {}): string | undefined {
  const missing: string[] = [];
  if (!existsSync('/usr/lib/wine/wine64')) missing.push('Wine (/usr/lib/wine/wine64, Debian packages wine and wine64)');
  if (!onPath('faketime')) missing.push('faketime');
  if (!onPath('wineserver')) missing.push('wineserver');
  const prefix = winePrefix(options);
  if (!existsSync(join(prefix, '.dcomkit-setup'))) missing.push(`a prepared Wine prefix (${prefix}/.dcomkit-setup)`);
  for (const exe of ['driver.exe', 'client.exe', 'server.exe']) {
    if (!existsSync(join(WINE_ADAPTER_DIR, 'build', exe))) missing.push(`adapters/wine/build/${exe}`);
  }
  if (!missing.length) return undefined;
  return `The Wine adapter is not set up: missing ${missing.join(', ')}. Run scripts/setup-wine.sh (as root or with sudo: it installs wine, wine64, gcc-mingw-w64-x86-64 and faketime with apt-get, creates the prefix, builds the driver and registers the COM server).`;
}

export class WineNotSetUpError extends Error {
  override name = 'WineNotSetUpError';
}

/** Starts the driver under Wine and faketime; throws WineNotSetUpError when set-up is missing. */
export async function createWineAdapter(options: WineAdapterOptions = {}): Promise<Adapter> {
  const problem = wineSetupProblem(options);
  if (problem) throw new WineNotSetUpError(problem);
  const scale = options.scale ?? (Number(process.env.DCOMKIT_WINE_SCALE) || DEFAULT_WINE_SCALE);
  if (!(scale >= 1)) throw new Error(`wine adapter: scale must be at least 1, got ${scale}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DCOMKIT_WINE_SCALE: String(scale),
    DCOMKIT_WINE_PREFIX: winePrefix(options),
    DCOMKIT_WINE_NOTES: options.notes ? '1' : '0',
  };
  const adapter = await spawnAdapter({
    command: `bash ${JSON.stringify(WINE_LAUNCHER)}`,
    cwd: KIT_ROOT,
    env,
    label: 'wine',
    // Starting wineserver and Wine's services takes a few seconds, more on a loaded machine.
    // One Wine session runs per prefix: the launcher waits up to 10 minutes for another
    // adapter on the same prefix to finish, so hello may come that much later.
    helloTimeoutMs: 11 * 60_000,
    stepTimeoutMs: options.stepTimeoutMs ?? 60_000,
  });
  try {
    await warmUp(adapter);
  } catch (err) {
    await adapter.close();
    throw err;
  }
  return adapter;
}

/**
 * A fresh Wine session's first activation waits for rpcss to start (about a second of real
 * time, longer than the call timeout at x60 in a brand-new prefix, and at x240 it can fail
 * with E_NOINTERFACE). One throwaway activation warms it, so runs see Wine's COM, not its
 * cold start; the next reset begins a clean run.
 */
async function warmUp(adapter: Adapter): Promise<void> {
  await adapter.reset(0, defaultWorld());
  await adapter.apply({ kind: 'start', process: 'warm', machine: 'client1', identity: 'alice', authenticated: true });
  await adapter.apply({ kind: 'activate', process: 'warm', handle: 'warm1', clsctx: 'local', serverInfo: false, authInfo: null });
  await adapter.apply({ kind: 'exit', process: 'warm' });
}

function readOptions(raw: Record<string, unknown> = {}): WineAdapterOptions {
  const options: WineAdapterOptions = {};
  if (raw.scale !== undefined) options.scale = Number(raw.scale);
  if (typeof raw.prefix === 'string') options.prefix = raw.prefix;
  if (raw.notes !== undefined) options.notes = raw.notes === true || raw.notes === 'true' || raw.notes === '1';
  if (raw.stepTimeoutMs !== undefined) options.stepTimeoutMs = Number(raw.stepTimeoutMs);
  return options;
}

/**
 * What the driver's hello announces (src/driver.c), for describeConformance to know before a
 * Wine session starts; test/wine checks the two agree. Wine sends no pings the kit can see.
 */
const WINE_CAPABILITIES: Pick<Capabilities, 'actions' | 'observes'> = {
  actions: ['setAccess', 'advance', 'start', 'initSecurity', 'activate', 'setBlanket', 'queryInterface', 'addRef', 'release', 'handOver', 'call', 'passCallback', 'exit', 'abandon', 'crash', 'invokeCallback', 'releaseCallback', 'disconnect'],
  observes: ['reclaims', 'callbacks', 'exits'],
};

export const wineAdapter: AdapterFactory = {
  name: 'wine',
  capabilities: WINE_CAPABILITIES,
  summary: "Wine 8.0's COM (ole32/combase/rpcss) with a mingw-built local server and clients, under faketime (needs scripts/setup-wine.sh)",
  create(options?: Record<string, unknown>) {
    return createWineAdapter(readOptions(options));
  },
};

/** For `dcomkit run --adapter dist/adapters/wine/index.js` (a module exporting `adapter`). */
export const adapter = wineAdapter;
