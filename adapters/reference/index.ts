import type { Action, Adapter, AdapterFactory, Capabilities, SyncAdapter, World } from '../../spec';
import { ACTION_KINDS } from '../../spec';
import { CORRECT, type Behaviour } from './behaviour';
import { ReferenceWorld } from './simulation';

export { CORRECT, type Behaviour } from './behaviour';
export { ReferenceWorld } from './simulation';
export { NT4_RELEASES, type Release } from './releases';

/**
 * 1.1.0: the simulation's randomness comes from Alea, so a seed's ping phases differ from 1.0.0.
 * 1.2.0: shared instances and handed-over proxies (activateShared, handOver); generated runs
 * draw them, so a campaign seed's runs differ from 1.1.0.
 */
export const REFERENCE_VERSION = '1.2.0';

/** The simulation carries out every action and observes everything. */
const SIMULATED: Pick<Capabilities, 'actions' | 'observes'> = { actions: [...ACTION_KINDS], observes: ['pings', 'reclaims', 'callbacks', 'exits'] };

/** An Adapter over the in-process simulation; `behaviour` switches it to a faulty world. */
export class SimulatedAdapter implements Adapter {
  readonly capabilities: Capabilities;
  readonly world: ReferenceWorld;
  /** Every event it reports is a fresh object it never touches again (see TraceRecorder). */
  readonly handsOverEvents = true;
  readonly sync: SyncAdapter;

  constructor(name: string, behaviour: Behaviour = CORRECT, version = REFERENCE_VERSION) {
    this.world = new ReferenceWorld(behaviour);
    this.sync = this.world;
    this.capabilities = {
      name,
      version,
      actions: [...SIMULATED.actions],
      observes: [...SIMULATED.observes],
      clock: { kind: 'virtual' },
    };
  }

  async reset(seed: number, world: World) {
    return this.world.reset(seed, world);
  }
  async apply(action: Action) {
    return this.world.apply(action);
  }
  async advance(ms: number) {
    return this.world.advance(ms);
  }
  async close() {}
}

export function simulatedFactory(name: string, summary: string, behaviour: Behaviour = CORRECT): AdapterFactory {
  return { name, summary, capabilities: SIMULATED, create: async () => new SimulatedAdapter(name, behaviour) };
}

export const referenceAdapter = simulatedFactory(
  'reference',
  'Deterministic simulation of correct DCOM (MS-DCOM plus the NT4 KB fixes)',
);
