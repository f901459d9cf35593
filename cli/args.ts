/** Flag parsing on node:util's parseArgs, with its errors turned into one-line usage errors. */
import { parseArgs } from 'node:util';
import { PROFILES, type Profile } from '../spec';
import { UsageError } from './errors';

type Flags = Record<string, { type: 'string' | 'boolean' }>;
type Values<O extends Flags> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean };

export function parse<O extends Flags>(args: string[], options: O, command: string, positionals = 0): { values: Values<O>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument '${parsed.positionals[positionals]}'`);
    return { values: parsed.values as Values<O>, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const message = err instanceof Error ? err.message.split('\n')[0].replace(/\. To specify.*$/, '') : String(err);
    const lowered = message.charAt(0).toLowerCase() + message.slice(1);
    throw new UsageError(`${lowered} (see 'dcomkit ${command} --help')`);
  }
}

export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, not '${value}'`);
  return n;
}

export function seedValue(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new UsageError(`--seed takes a whole number from 0 to 2147483647, not '${value}'`);
  return n;
}

export function profileValue(value: string | undefined): Profile {
  if (value === undefined) return 'strict';
  if (!(PROFILES as readonly string[]).includes(value)) throw new UsageError(`--profile is one of ${PROFILES.join(', ')}, not '${value}'`);
  return value as Profile;
}
