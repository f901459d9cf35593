/** impacket's DCOM client (Debian python3-impacket) over real MSRPC against the loopback wire emulator. */
import { availableParallelism } from 'node:os';
import type { AdapterFactory } from '../../spec';
import { IMPACKET_ACTIONS, IMPACKET_OBSERVES, ImpacketAdapter, type ImpacketOptions } from './adapter';
import { ImpacketNotSetUpError, impacketSetup } from './setup';

export { ImpacketAdapter, type ImpacketOptions } from './adapter';
export { ImpacketNotSetUpError, impacketSetup } from './setup';

/** Builds the adapter; throws ImpacketNotSetUpError when /usr/bin/python3 cannot import impacket. */
export function createImpacketAdapter(options: Omit<ImpacketOptions, 'version'> = {}): ImpacketAdapter {
  const setup = impacketSetup();
  if ('problem' in setup) throw new ImpacketNotSetUpError(setup.problem);
  return new ImpacketAdapter({ ...options, version: setup.version });
}

export const impacketAdapter: AdapterFactory = {
  name: 'impacket',
  capabilities: { actions: IMPACKET_ACTIONS, observes: IMPACKET_OBSERVES },
  summary: "impacket's DCOM client (Debian python3-impacket, child Python processes on a virtual clock) against the loopback DCOM wire emulator (needs scripts/setup-impacket.sh)",
  // Instances are independent (each its own emulator, zygote and listeners on loopback ports
  // of their own); one per core, at most 4 (docs/power.md).
  workers: () => Math.max(1, Math.min(availableParallelism(), 4)),
  async create(options?: Record<string, unknown>) {
    return createImpacketAdapter((options ?? {}) as Omit<ImpacketOptions, 'version'>);
  },
};
