/** Flag parsing on node:util's parseArgs, with its errors turned into one-line usage errors. */
import { parseArgs } from 'node:util';
import { PROFILES, type Profile } from '../spec';
import { UsageError } from './errors';

type Flags = Record<string, { type: 'string' | 'boolean' }>;
type Values<O extends Flags> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean };

/**
 * parseArgs reads "--runs -5" as a flag without its value followed by an unknown option; the
 * user meant the value -5, which the flag's own check then refuses by name.
 */
function joinNegativeValues(args: readonly string[], options: Flags): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parse<O extends Flags>(args: string[], options: O, command: string, positionals = 0): { values: Values<O>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: joinNegativeValues(args, options), options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument '${parsed.positionals[positionals]}'`);
    return { values: parsed.values as Values<O>, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const message = err instanceof Error ? err.message.split('\n')[0].replace(/\. To specify.*$/, '') : String(err);
    const lowered = message.charAt(0).toLowerCase() + message.slice(1);
    throw new UsageError(`${lowered} (see 'dcomkit ${command} --help')`);
  }
}

/**
 * A whole number flag within bounds; `fallback` when absent. Every numeric flag goes through
 * here, so none takes a negative, a fraction, a word or a number too large to mean anything.
 */
export function intFlag(value: string | undefined, flag: string, fallback: number, bounds: { min: number; max: number; unit?: string }): number {
  if (value === undefined) return fallback;
  const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
  const range = `from ${bounds.min} to ${bounds.max.toLocaleString('en-US')}${bounds.unit ? ` ${bounds.unit}` : ''}`;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} takes a whole number ${range}, not '${value}'`);
  if (n < bounds.min || n > bounds.max) throw new UsageError(`${flag} must be ${range}, not ${n}`);
  return n;
}

/** Limits of the campaign flags: generous, but each one short of what no machine finishes. */
export const LIMITS = {
  runs: { min: 1, max: 10_000_000 },
  maxActions: { min: 1, max: 1_000 },
  shrinkTime: { min: 1, max: 7 * 24 * 3600, unit: 's' },
  timeLimit: { min: 1, max: 7 * 24 * 3600, unit: 's' },
  stepTimeout: { min: 100, max: 3_600_000, unit: 'ms' },
  minEvidence: { min: 1, max: 1_000_000 },
  workers: { min: 1, max: 64 },
} as const;

export function seedValue(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return intFlag(value, '--seed', 0, { min: 0, max: 0x7fffffff });
}

export function profileValue(value: string | undefined): Profile {
  if (value === undefined) return 'strict';
  if (!(PROFILES as readonly string[]).includes(value)) throw new UsageError(`--profile is one of ${PROFILES.join(', ')}, not '${value}'`);
  return value as Profile;
}
