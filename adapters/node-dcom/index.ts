/** node-dcom 1.0.9 over real MSRPC against the loopback wire emulator. */
import { availableParallelism } from 'node:os';
import type { AdapterFactory } from '../../spec';
import { NODE_DCOM_ACTIONS, NODE_DCOM_OBSERVES, NodeDcomAdapter, type NodeDcomOptions } from './adapter';

export { NodeDcomAdapter, type NodeDcomOptions } from './adapter';

export const nodeDcomAdapter: AdapterFactory = {
  name: 'node-dcom',
  summary: 'node-dcom 1.0.9 (real client, child process, fake clock) against the loopback DCOM wire emulator',
  capabilities: { actions: NODE_DCOM_ACTIONS, observes: NODE_DCOM_OBSERVES },
  // Instances are independent (each its own emulator on its own loopback ports and its own
  // child processes), but its runs are CPU-bound: 2 workers gave 1.07x at load 1 and 0.82x at
  // load 5 on 2 cores (docs/power.md, Workers), so one unless the machine has cores to spare.
  workers: () => (availableParallelism() >= 4 ? Math.min(availableParallelism() - 2, 4) : 1),
  async create(options?: Record<string, unknown>) {
    return new NodeDcomAdapter((options ?? {}) as NodeDcomOptions);
  },
};
