/** Turns --adapter / --adapter-cmd into a live Adapter. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isAdapterFault, unusableCapabilities, type Adapter, type AdapterFactory } from '../spec';
import { BUILTIN_ADAPTERS, findAdapter } from '../adapters';
import { DEFAULT_STEP_TIMEOUT_MS, spawnAdapter } from '../adapters/process';
import type { Counterexample } from '../runner';
import { intFlag, LIMITS } from './args';
import { UsageError } from './errors';

export type AdapterSpec = NonNullable<Counterexample['adapter']['spec']>;

export interface AdapterFlags {
  adapter?: string;
  'adapter-cmd'?: string;
  'step-timeout'?: string;
  'trust-recorded-adapter'?: boolean;
}

/** An adapter could not be loaded, started or used: exit 2, one line. */
export class AdapterStartError extends Error {
  override name = 'AdapterStartError';
}

export const ADAPTER_HELP = `Adapter options:
  --adapter NAME|PATH     a built-in adapter (see 'dcomkit adapters') or a JS module
                          exporting an AdapterFactory (default export or 'adapter')
  --adapter-cmd "CMD"     spawn an out-of-process adapter speaking JSON Lines
                          (docs/protocol.md), e.g. --adapter-cmd "python3 my_adapter.py"
  --step-timeout MS       real ms an out-of-process step may take before it is a hang
                          (default ${DEFAULT_STEP_TIMEOUT_MS})`;

/** For commands that read a file naming its adapter (replay, verify). */
export const RECORDED_ADAPTER_HELP = `  --trust-recorded-adapter
                          run the adapter command or module named inside the file; without
                          it only a built-in adapter named there is used, since a file from
                          someone else must not start programs`;

function looksLikePath(value: string): boolean {
  return value.includes('/') || value.includes('\\') || /\.(c|m)?js$/.test(value);
}

export function adapterSpec(flags: AdapterFlags, fallback?: AdapterSpec): AdapterSpec {
  if (flags.adapter && flags['adapter-cmd']) throw new UsageError('give either --adapter or --adapter-cmd, not both');
  if (flags['adapter-cmd']) return { kind: 'command', value: flags['adapter-cmd'] };
  if (flags.adapter) return { kind: looksLikePath(flags.adapter) ? 'module' : 'name', value: flags.adapter };
  return fallback ?? { kind: 'name', value: 'reference' };
}

/**
 * The adapter a file asks for, unless the command line names one. Files are data: a command
 * or module named in a file runs only when the user says so.
 */
export function recordedAdapterSpec(flags: AdapterFlags, recorded: AdapterSpec, file: string): AdapterSpec {
  if (flags.adapter || flags['adapter-cmd']) return adapterSpec(flags);
  if (recorded.kind === 'name' || flags['trust-recorded-adapter']) return recorded;
  const as = recorded.kind === 'command' ? `--adapter-cmd ${JSON.stringify(recorded.value)}` : `--adapter ${JSON.stringify(recorded.value)}`;
  throw new UsageError(
    `${file} was recorded with the adapter ${recorded.kind} ${JSON.stringify(recorded.value)}, which dcomkit does not start from a file: pass ${as} (or --trust-recorded-adapter) to run it`,
  );
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return text.split('\n')[0];
}

function loadModule(path: string): AdapterFactory {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`adapter module not found: ${path}`);
  let mod: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(full);
  } catch (err) {
    throw new AdapterStartError(`adapter module ${path} could not be loaded: ${oneLine(err)}`);
  }
  const m = mod as { default?: unknown; adapter?: unknown } | undefined;
  const factory = (m?.default ?? m?.adapter ?? m) as AdapterFactory | undefined;
  if (!factory || typeof factory.create !== 'function') {
    throw new UsageError(`${path} does not export an adapter factory (an object with create(), as default export or 'adapter')`);
  }
  return factory;
}

/** Checks what an adapter declares before any run: something a campaign can use. */
function checked(adapter: Adapter, what: string): Adapter {
  const caps = adapter?.capabilities;
  if (!caps || typeof caps.name !== 'string' || !Array.isArray(caps.actions) || !Array.isArray(caps.observes) || !caps.clock) {
    throw new AdapterStartError(`${what} gave no adapter with capabilities (name, actions, observes, clock)`);
  }
  const unusable = unusableCapabilities(caps);
  if (unusable) throw new AdapterStartError(`adapter ${caps.name} declares nothing usable: ${unusable}`);
  return adapter;
}

async function create(factory: AdapterFactory, what: string): Promise<Adapter> {
  let adapter: Adapter;
  try {
    adapter = await factory.create();
  } catch (err) {
    if (err instanceof UsageError || err instanceof AdapterStartError) throw err;
    // A fault while starting (no hello, a crash) keeps its own words.
    throw new AdapterStartError(isAdapterFault(err) ? err.message.split('\n')[0] : `${what} failed to start: ${oneLine(err)}`);
  }
  try {
    return checked(adapter, what);
  } catch (err) {
    await adapter?.close?.().catch(() => undefined);
    throw err;
  }
}

/**
 * How many instances of the adapter a campaign runs at once unless --workers says: what its
 * factory declares for this machine; 1 for an adapter command (its instances are not known
 * to be independent) and for a synchronous adapter (its instances would only take turns on
 * the one thread, and one is fastest).
 */
export function defaultWorkers(spec: AdapterSpec, adapter: Adapter): number {
  if (adapter.sync || spec.kind === 'command') return 1;
  try {
    const factory = spec.kind === 'name' ? findAdapter(spec.value) : loadModule(spec.value);
    const n = factory?.workers?.();
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? Math.min(n, LIMITS.workers.max) : 1;
  } catch {
    return 1;
  }
}

export async function openAdapter(spec: AdapterSpec, flags: AdapterFlags = {}): Promise<Adapter> {
  if (spec.kind === 'command') {
    const timeout = flags['step-timeout'] === undefined ? undefined : intFlag(flags['step-timeout'], '--step-timeout', 0, LIMITS.stepTimeout);
    return create({ name: spec.value, summary: '', create: () => spawnAdapter({ command: spec.value, stepTimeoutMs: timeout }) }, `adapter command ${JSON.stringify(spec.value)}`);
  }
  if (spec.kind === 'module') return create(loadModule(spec.value), `adapter module ${spec.value}`);
  const factory = findAdapter(spec.value);
  if (!factory) {
    throw new UsageError(`unknown adapter '${spec.value}'; built in: ${BUILTIN_ADAPTERS.map((f) => f.name).join(', ')}`);
  }
  return create(factory, `adapter ${spec.value}`);
}
