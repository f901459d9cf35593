/** Turns --adapter / --adapter-cmd into a live Adapter. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Adapter, AdapterFactory } from '../spec';
import { BUILTIN_ADAPTERS, findAdapter } from '../adapters';
import { spawnAdapter } from '../adapters/process';
import type { Counterexample } from '../runner';
import { UsageError } from './errors';

export type AdapterSpec = NonNullable<Counterexample['adapter']['spec']>;

export interface AdapterFlags {
  adapter?: string;
  'adapter-cmd'?: string;
  'step-timeout'?: string;
}

export const ADAPTER_HELP = `Adapter options:
  --adapter NAME|PATH     a built-in adapter (see 'dcomkit adapters') or a JS module
                          exporting an AdapterFactory (default export or 'adapter')
  --adapter-cmd "CMD"     spawn an out-of-process adapter speaking JSON Lines
                          (docs/protocol.md), e.g. --adapter-cmd "python3 my_adapter.py"
  --step-timeout MS       real ms an out-of-process step may take before it is a hang
                          (default 10000)`;

function looksLikePath(value: string): boolean {
  return value.includes('/') || value.includes('\\') || /\.(c|m)?js$/.test(value);
}

export function adapterSpec(flags: AdapterFlags, fallback?: AdapterSpec): AdapterSpec {
  if (flags.adapter && flags['adapter-cmd']) throw new UsageError('give either --adapter or --adapter-cmd, not both');
  if (flags['adapter-cmd']) return { kind: 'command', value: flags['adapter-cmd'] };
  if (flags.adapter) return { kind: looksLikePath(flags.adapter) ? 'module' : 'name', value: flags.adapter };
  return fallback ?? { kind: 'name', value: 'reference' };
}

function loadModule(path: string): AdapterFactory {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`adapter module not found: ${path}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(full);
  const factory = mod?.default ?? mod?.adapter ?? mod;
  if (!factory || typeof factory.create !== 'function') {
    throw new UsageError(`${path} does not export an adapter factory (an object with create(), as default export or 'adapter')`);
  }
  return factory as AdapterFactory;
}

export async function openAdapter(spec: AdapterSpec, flags: AdapterFlags = {}): Promise<Adapter> {
  if (spec.kind === 'command') {
    const timeout = flags['step-timeout'] === undefined ? undefined : Number(flags['step-timeout']);
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) throw new UsageError('--step-timeout takes a positive whole number of ms');
    return spawnAdapter({ command: spec.value, stepTimeoutMs: timeout });
  }
  if (spec.kind === 'module') return loadModule(spec.value).create();
  const factory = findAdapter(spec.value);
  if (!factory) {
    throw new UsageError(`unknown adapter '${spec.value}'; built in: ${BUILTIN_ADAPTERS.map((f) => f.name).join(', ')}`);
  }
  return factory.create();
}
