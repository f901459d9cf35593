/** The adapters built into the kit, by name. */
import type { AdapterFactory } from '../spec';
import { impacketAdapter } from './impacket';
import { nodeDcomAdapter } from './node-dcom';
import { NT4_RELEASES, referenceAdapter, simulatedFactory } from './reference';
import { wineAdapter } from './wine';

export const BUILTIN_ADAPTERS: readonly AdapterFactory[] = [
  referenceAdapter,
  ...NT4_RELEASES.map((r) => simulatedFactory(r.name, r.summary, r.behaviour)),
  nodeDcomAdapter,
  impacketAdapter,
  wineAdapter,
];

export function findAdapter(name: string): AdapterFactory | undefined {
  return BUILTIN_ADAPTERS.find((f) => f.name === name);
}
