/** node-dcom 1.0.9 over real MSRPC against the loopback wire emulator. */
import type { AdapterFactory } from '../../spec';
import { NodeDcomAdapter, type NodeDcomOptions } from './adapter';

export { NodeDcomAdapter, type NodeDcomOptions } from './adapter';

export const nodeDcomAdapter: AdapterFactory = {
  name: 'node-dcom',
  summary: 'node-dcom 1.0.9 (real client, child process, fake clock) against the loopback DCOM wire emulator',
  async create(options?: Record<string, unknown>) {
    return new NodeDcomAdapter((options ?? {}) as NodeDcomOptions);
  },
};
