/**
 * What describeConformance is asked to test, made into something that opens adapters: a
 * built-in name, a module path, an AdapterFactory, or an out-of-process command. Worked out
 * when the tests are declared, synchronously, as jest requires; the adapter itself is only
 * opened by the campaign.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ACTION_KINDS, OBSERVATIONS, type Adapter, type AdapterFactory, type Capabilities } from '../spec';
import { BUILTIN_ADAPTERS, findAdapter } from '../adapters';
import { DEFAULT_HELLO_TIMEOUT_MS, spawnAdapter, splitCommand } from '../adapters/process';
import type { AdapterSpec } from '../cli/adapter';
import { ConformanceUsageError } from './settings';

/**
 * A built-in adapter's name ('reference', 'nt4-sp5', 'node-dcom', 'wine', ...), the path of
 * a module whose default (or `adapter`) export is an AdapterFactory, an AdapterFactory, or
 * an out-of-process adapter's command line (docs/protocol.md) with its step timeout.
 */
export type ConformanceAdapter = string | AdapterFactory | { cmd: string; stepTimeoutMs?: number };

export type StaticCapabilities = Pick<Capabilities, 'actions' | 'observes'>;

export interface Choice {
  /** How the adapter is named in test titles and messages. */
  label: string;
  open(options?: Record<string, unknown>): Promise<Adapter>;
  /** What `dcomkit replay` needs to open the adapter again; absent for a factory given as an object. */
  spec?: AdapterSpec;
  /** What the adapter can carry out and observe, when known before it is opened. */
  capabilities?: StaticCapabilities;
}

function looksLikePath(value: string): boolean {
  return value.includes('/') || value.includes('\\') || /\.(c|m)?[jt]s$/.test(value);
}

function isFactory(value: unknown): value is AdapterFactory {
  return typeof value === 'object' && value !== null && typeof (value as AdapterFactory).create === 'function';
}

function fromFactory(factory: AdapterFactory, label: string, spec: AdapterSpec | undefined): Choice {
  return { label, spec, capabilities: factory.capabilities, open: (options) => factory.create(options) };
}

function fromModule(path: string): Choice {
  const full = resolve(path);
  if (!existsSync(full)) throw new ConformanceUsageError(`adapter module not found: ${path} (resolved from ${process.cwd()})`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(full);
  const factory = mod?.default ?? mod?.adapter ?? mod;
  if (!isFactory(factory)) throw new ConformanceUsageError(`${path} does not export an adapter factory (an object with create(), as default export or 'adapter')`);
  return fromFactory(factory, factory.name ?? path, { kind: 'module', value: full });
}

/**
 * The capabilities an out-of-process adapter announces in its hello, read by starting it
 * once with its stdin closed (the protocol has it speak first and exit at end of input).
 * Undefined when it does not answer so: the campaign then reports what went wrong.
 */
export function probeHello(command: string, timeoutMs = DEFAULT_HELLO_TIMEOUT_MS): StaticCapabilities | undefined {
  let argv: string[];
  try {
    argv = splitCommand(command);
  } catch {
    return undefined;
  }
  if (!argv.length) return undefined;
  const r = spawnSync(argv[0], argv.slice(1), {
    input: '',
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { PYTHONUNBUFFERED: '1', ...process.env },
    maxBuffer: 1 << 20,
  });
  const first = (r.stdout ?? '').split('\n', 1)[0];
  try {
    const hello = JSON.parse(first) as { type?: string; capabilities?: { actions?: unknown; observes?: unknown } };
    const caps = hello.capabilities;
    if (hello.type !== 'hello' || !Array.isArray(caps?.actions) || !Array.isArray(caps?.observes)) return undefined;
    return {
      actions: ACTION_KINDS.filter((k) => (caps.actions as unknown[]).includes(k)),
      observes: OBSERVATIONS.filter((o) => (caps.observes as unknown[]).includes(o)),
    };
  } catch {
    return undefined;
  }
}

export function resolveChoice(adapter: ConformanceAdapter): Choice {
  if (typeof adapter === 'string') {
    const builtin = findAdapter(adapter);
    if (builtin) return fromFactory(builtin, adapter, { kind: 'name', value: adapter });
    if (looksLikePath(adapter)) return fromModule(adapter);
    throw new ConformanceUsageError(`unknown adapter '${adapter}'; built in: ${BUILTIN_ADAPTERS.map((f) => f.name).join(', ')} (or give a module path, an AdapterFactory or { cmd })`);
  }
  if (isFactory(adapter)) {
    const builtin = BUILTIN_ADAPTERS.find((f) => f === adapter);
    return fromFactory(adapter, adapter.name ?? 'adapter', builtin ? { kind: 'name', value: builtin.name } : undefined);
  }
  if (typeof adapter === 'object' && adapter !== null && typeof (adapter as { cmd?: unknown }).cmd === 'string' && (adapter as { cmd: string }).cmd.trim()) {
    const { cmd, stepTimeoutMs } = adapter as { cmd: string; stepTimeoutMs?: number };
    if (stepTimeoutMs !== undefined && !(Number.isInteger(stepTimeoutMs) && stepTimeoutMs > 0)) throw new ConformanceUsageError(`stepTimeoutMs takes a positive whole number of ms, not ${JSON.stringify(stepTimeoutMs)}`);
    return {
      label: cmd,
      spec: { kind: 'command', value: cmd },
      capabilities: probeHello(cmd),
      open: () => spawnAdapter({ command: cmd, ...(stepTimeoutMs ? { stepTimeoutMs } : {}) }),
    };
  }
  throw new ConformanceUsageError(`the adapter is a built-in name, a module path, an AdapterFactory or { cmd: "..." }, not ${JSON.stringify(adapter)}`);
}
