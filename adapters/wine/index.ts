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
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
  /**
   * The Wine prefix; default $DCOMKIT_WINE_PREFIX, else <repo>/.wine-prefix. One Wine session
   * runs per prefix: while this kit has a Wine adapter open on it, the next one opened (a
   * campaign's second worker) runs on a copy, <prefix>-2, then <prefix>-3 and so on, made from
   * the prefix when missing or older than its set-up.
   */
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

/**
 * Wine sessions that run well at once here: one per core, at most 4. A run mostly waits on
 * faketime's clock, so more sessions than cores still add runs per second on 2 cores (1.8x
 * with 2, 2.6x with 3, 3.1x with 4 at x240, docs/power.md), but every real millisecond a loaded machine
 * adds is `scale` virtual ones, and the default stays where timing has room.
 */
export function wineWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

/** Prefixes this kit has a Wine adapter open on (slot 1 is the prefix itself, slot k its copy <prefix>-k). */
const slotsInUse = new Map<string, Set<number>>();

function takeSlot(base: string): number {
  const used = slotsInUse.get(base) ?? new Set<number>();
  slotsInUse.set(base, used);
  let slot = 1;
  while (used.has(slot)) slot += 1;
  used.add(slot);
  return slot;
}

function freeSlot(base: string, slot: number): void {
  slotsInUse.get(base)?.delete(slot);
}

/** The prefix slot `slot` of `base` runs on. */
export function slotPrefix(base: string, slot: number): string {
  return slot === 1 ? base : `${base}-${slot}`;
}

const SETUP_STAMP = '.dcomkit-setup';

function stamp(prefix: string): string | undefined {
  try {
    return readFileSync(join(prefix, SETUP_STAMP), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Makes `copy` a copy of the prepared prefix `base` unless it already is one of its current
 * set-up: `cp -a` to a temporary name, then a rename, so a half-made copy is never used (a
 * copy of the 700 MB prefix takes a few seconds; a new prefix from wineboot takes far longer).
 * The registry in the copy holds no path of the prefix, only the build's.
 */
async function ensureCopy(base: string, copy: string): Promise<void> {
  const want = stamp(base);
  if (want !== undefined && stamp(copy) === want) return;
  const temp = `${copy}.tmp-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await promisify(execFile)('cp', ['-a', base, temp]);
  // The base's logs and lock file are its own.
  await rm(join(temp, 'dcomkit-logs'), { recursive: true, force: true });
  await rm(join(temp, '.dcomkit.lock'), { force: true });
  if (existsSync(copy)) await rm(copy, { recursive: true, force: true });
  try {
    await rename(temp, copy);
  } catch (err) {
    // Another kit made it meanwhile.
    await rm(temp, { recursive: true, force: true });
    if (stamp(copy) !== want) throw err;
  }
}

/** Starts the driver under Wine and faketime; throws WineNotSetUpError when set-up is missing. */
export async function createWineAdapter(options: WineAdapterOptions = {}): Promise<Adapter> {
  const problem = wineSetupProblem(options);
  if (problem) throw new WineNotSetUpError(problem);
  const scale = options.scale ?? (Number(process.env.DCOMKIT_WINE_SCALE) || DEFAULT_WINE_SCALE);
  if (!(scale >= 1)) throw new Error(`wine adapter: scale must be at least 1, got ${scale}`);
  const base = winePrefix(options);
  const slot = takeSlot(base);
  try {
    const prefix = slotPrefix(base, slot);
    if (slot > 1) await ensureCopy(base, prefix);
    const adapter = await startDriver(scale, prefix, options);
    const close = adapter.close.bind(adapter);
    (adapter as { close: () => Promise<void> }).close = () => close().finally(() => freeSlot(base, slot));
    return adapter;
  } catch (err) {
    freeSlot(base, slot);
    throw err;
  }
}

async function startDriver(scale: number, prefix: string, options: WineAdapterOptions): Promise<Adapter> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DCOMKIT_WINE_SCALE: String(scale),
    DCOMKIT_WINE_PREFIX: prefix,
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
  workers: wineWorkers,
  summary: "Wine 8.0's COM (ole32/combase/rpcss) with a mingw-built local server and clients, under faketime (needs scripts/setup-wine.sh)",
  create(options?: Record<string, unknown>) {
    return createWineAdapter(readOptions(options));
  },
};

/** For `dcomkit run --adapter dist/adapters/wine/index.js` (a module exporting `adapter`). */
export const adapter = wineAdapter;
