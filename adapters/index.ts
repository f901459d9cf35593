/** The adapters built into the kit, by name. */
import type { AdapterFactory } from '../spec';
import { NT4_RELEASES, referenceAdapter, simulatedFactory } from './reference';

export const BUILTIN_ADAPTERS: readonly AdapterFactory[] = [
  referenceAdapter,
  ...NT4_RELEASES.map((r) => simulatedFactory(r.name, r.summary, r.behaviour)),
];

export function findAdapter(name: string): AdapterFactory | undefined {
  return BUILTIN_ADAPTERS.find((f) => f.name === name);
}
