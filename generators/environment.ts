/** Arbitraries for the environment: machines' permissions, protocols, trust, partitions, time. */
import fc from 'fast-check';
import {
  CLIENT_MACHINES,
  DOMAIN_TRUSTS,
  MACHINES,
  PING_PERIOD_MS,
  PING_SET_TIMEOUT_MS,
  PRINCIPALS,
  PROTOCOL_ORDERS,
  type AccessPermission,
  type Action,
  type MachineConfig,
  type Principal,
  type ProtocolOrder,
  type World,
} from '../spec';
import { record } from './record';
import type { ActionCommand } from './command';
import { fixed, pickFrom, template } from './template';

const OTHERS = PRINCIPALS.filter((p) => p !== 'SYSTEM' && p !== 'Everyone');

/** DefaultAccessPermission, with SYSTEM in or out of the list as often as absent/empty. */
export const accessArb: fc.Arbitrary<AccessPermission> = fc.oneof(
  { withCrossShrink: true },
  fc.constant<AccessPermission>({ kind: 'absent' }),
  fc.constant<AccessPermission>({ kind: 'empty' }),
  record({ system: fc.boolean(), everyone: fc.boolean(), others: fc.subarray([...OTHERS], { minLength: 1 }) })
    .map(({ system, everyone, others }): AccessPermission => {
      const allow: Principal[] = [...others];
      if (system) allow.unshift('SYSTEM');
      if (everyone && system) allow.push('Everyone');
      return { kind: 'list', allow, deny: [] };
    }),
  record({ deny: fc.constantFrom<Principal[]>(['SYSTEM'], ['Everyone']), others: fc.subarray([...OTHERS], { minLength: 1 }) })
    .map(({ deny, others }): AccessPermission => ({ kind: 'list', allow: ['SYSTEM', ...others], deny })),
);

/**
 * "DCOM Protocols", UDP first three times in four: UDP is where datagrams come late and twice
 * (stale ping sequence numbers), and DCOM uses it only when both ends list it first. It
 * shrinks towards TCP only, the default world's, so a counterexample keeps UDP only where
 * the failure needs it.
 */
export const protocolsArb: fc.Arbitrary<ProtocolOrder> = fc.oneof(
  { withCrossShrink: true },
  { weight: 1, arbitrary: fc.constant<ProtocolOrder>('tcp-only') },
  { weight: 3, arbitrary: fc.constant<ProtocolOrder>('udp-first') },
);

const machineArb: fc.Arbitrary<MachineConfig> = record({
  access: accessArb,
  protocols: protocolsArb,
  trust: fc.constantFrom(...DOMAIN_TRUSTS),
});

/**
 * The world a run starts in. Every field shrinks towards the default world's (spec/world.ts:
 * absent permissions, TCP only, same domain), so a shrunk counterexample differs from the
 * default only where its failure needs it.
 */
export const worldArb: fc.Arbitrary<World> = fc
  .tuple(...MACHINES.map(() => machineArb))
  .map(([client1, client2, server]) => ({ machines: { client1, client2, server: { ...server, trust: 'same' as const } } }));

/** Virtual time steps, biased to land just before, on and after the ping and rundown bounds. */
export const advanceMsArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(PING_PERIOD_MS, 2 * PING_PERIOD_MS, PING_SET_TIMEOUT_MS, 4 * PING_PERIOD_MS) },
  { weight: 2, arbitrary: fc.constantFrom(PING_PERIOD_MS - 1, PING_PERIOD_MS + 1, PING_SET_TIMEOUT_MS - 1, PING_SET_TIMEOUT_MS + 1) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 10 * PING_PERIOD_MS }) },
);

const clientMachineArb = fc.constantFrom(...CLIENT_MACHINES);

export const environmentArbs: Partial<Record<Action['kind'], fc.Arbitrary<ActionCommand>>> = {
  // Time before the first process starts shows nothing but idle resolvers: skipped. While a
  // machine is cut off, three steps in four outlast the rundown window: a partition the exporter
  // runs the objects down in, healed later, is where resolvers and exporter must recover.
  advance: fc.tuple(advanceMsArb, fc.nat({ max: 3 })).map(([ms, outlast]) =>
    template('advance', (m) => {
      if (m.processes.size === 0) return undefined;
      if (outlast > 0 && m.partitioned.size > 0 && ms <= PING_SET_TIMEOUT_MS) return { kind: 'advance', ms: ms + PING_SET_TIMEOUT_MS };
      return { kind: 'advance', ms };
    }),
  ),
  setAccess: record({ machine: fc.constantFrom(...MACHINES), access: accessArb }).map((r) => fixed({ kind: 'setAccess', ...r })),
  setProtocols: record({ machine: fc.constantFrom(...MACHINES), protocols: fc.constantFrom(...PROTOCOL_ORDERS) }).map((r) =>
    fixed({ kind: 'setProtocols', ...r }),
  ),
  setTrust: record({ machine: clientMachineArb, trust: fc.constantFrom(...DOMAIN_TRUSTS) }).map((r) => fixed({ kind: 'setTrust', ...r })),
  // A partition or heal applies to whichever client machine is in the right state; a
  // partition cuts off a machine whose processes hold proxies when there is one (cutting off
  // a machine that holds nothing shows little but the calls that fail).
  partition: fc.nat({ max: 7 }).map((n) =>
    template('partition', (m) => {
      const open = CLIENT_MACHINES.filter((c) => !m.partitioned.has(c));
      const holding = open.filter((c) => m.liveHandles().some((h) => m.processes.get(m.handles.get(h)!.process)!.machine === c));
      const machine = pickFrom(holding.length ? holding : open, n);
      return machine && { kind: 'partition', machine };
    }),
  ),
  heal: fc.nat({ max: 7 }).map((n) =>
    template('heal', (m) => {
      const machine = pickFrom(CLIENT_MACHINES.filter((c) => m.partitioned.has(c)), n);
      return machine && { kind: 'heal', machine };
    }),
  ),
};
