import fc from 'fast-check';
import { CORRECT, ReferenceWorld } from '../../adapters/reference';
import { runArb } from '../../generators';
import { executeRun, replayActions } from '../../runner';
import { SimulatedAdapter } from '../../adapters/reference';
import { defaultWorld, PING_PERIOD_MS, PING_SET_TIMEOUT_MS, type Action, type AdapterEvent, type PingEvent } from '../../spec';

const start: Action = { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true };
const activate: Action = { kind: 'activate', process: 'p1', handle: 'h1', clsctx: 'remote', serverInfo: true, authInfo: null };

function drive(actions: Action[], seed = 1, behaviour = CORRECT): AdapterEvent[] {
  const w = new ReferenceWorld(behaviour);
  const out = [...w.reset(seed, defaultWorld())];
  for (const a of actions) out.push(...w.apply(a));
  return out;
}
const pings = (events: AdapterEvent[]) => events.filter((e): e is Omit<PingEvent, 'step'> & { kind: 'ping' } => e.kind === 'ping');

describe('reference world', () => {
  test('same seed, world and actions give a byte-identical trace (property)', async () => {
    const adapter = new SimulatedAdapter('reference');
    await fc.assert(
      fc.asyncProperty(runArb(adapter.capabilities), async (input) => {
        const first = await executeRun(adapter, input);
        const again = await replayActions(adapter, input.seed, input.world, first.actions);
        expect(JSON.stringify(again.trace)).toBe(JSON.stringify(first.trace));
      }),
      { numRuns: 100, seed: 42 },
    );
  });

  test('different seeds move the resolvers\' ping phases', () => {
    const at = (seed: number) => pings(drive([start, activate, { kind: 'advance', ms: PING_PERIOD_MS }], seed))[0].at;
    expect(new Set([1, 2, 3, 4].map(at)).size).toBeGreaterThan(1);
  });

  test('a held object: one ComplexPing creates the set, SimplePings follow every period', () => {
    const p = pings(drive([start, activate, { kind: 'advance', ms: 4 * PING_PERIOD_MS }]));
    expect(p[0]).toMatchObject({ type: 'complex', setId: '0', seq: 1, adds: ['oid1'], dels: [], status: 'ok' });
    expect(p.slice(1).map((x) => x.type)).toEqual(['simple', 'simple', 'simple']);
    expect(p.slice(1).every((x) => x.setId === p[0].newSetId)).toBe(true);
    expect(p[1].at - p[0].at).toBe(PING_PERIOD_MS);
  });

  test('release: RemRelease reclaims at once, the next ping deletes the OID, then pinging stops', () => {
    const events = drive([start, activate, { kind: 'advance', ms: PING_PERIOD_MS }, { kind: 'release', handle: 'h1' }, { kind: 'advance', ms: 5 * PING_PERIOD_MS }]);
    const reclaim = events.find((e) => e.kind === 'reclaimed');
    expect(reclaim).toMatchObject({ oid: 'oid1', cause: 'release', at: PING_PERIOD_MS });
    const after = pings(events).filter((p) => p.at > PING_PERIOD_MS);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ type: 'complex', seq: 2, adds: [], dels: ['oid1'] });
  });

  test('two processes on one machine share one ping set (per machine, not per process)', () => {
    const events = drive([
      start,
      activate,
      { kind: 'start', process: 'p2', machine: 'client1', identity: 'bob', authenticated: true },
      { kind: 'activate', process: 'p2', handle: 'h2', clsctx: 'remote', serverInfo: false, authInfo: null },
      { kind: 'advance', ms: 3 * PING_PERIOD_MS },
    ]);
    const p = pings(events);
    expect(p[0].adds).toEqual(['oid1', 'oid2']);
    expect(new Set(p.slice(1).map((x) => x.setId)).size).toBe(1);
  });

  test('a partitioned holder\'s object is run down exactly 3 ping periods after its last good ping', () => {
    const events = drive([start, activate, { kind: 'advance', ms: PING_PERIOD_MS }, { kind: 'partition', machine: 'client1' }, { kind: 'advance', ms: 5 * PING_PERIOD_MS }]);
    const lastOk = pings(events).filter((p) => p.status === 'ok').at(-1)!;
    const reclaim = events.find((e) => e.kind === 'reclaimed')!;
    expect(reclaim).toMatchObject({ cause: 'rundown' });
    expect(reclaim.at - lastOk.at).toBe(PING_SET_TIMEOUT_MS);
  });

  test('Q255890 switch: SYSTEM denied hangs over UDP and returns E_OUTOFMEMORY over TCP', () => {
    const w = new ReferenceWorld({ ...CORRECT, q255890: true });
    const world = defaultWorld();
    world.machines.client1.access = { kind: 'list', allow: ['INTERACTIVE'], deny: [] };
    w.reset(1, world);
    w.apply(start);
    w.apply(activate);
    const tcp = w.apply({ kind: 'passCallback', handle: 'h1', callback: 'cb1' });
    expect(tcp.find((e) => e.kind === 'completed')).toMatchObject({ hr: 0x8007000e, transport: 'tcp' });
    w.apply({ kind: 'setProtocols', machine: 'client1', protocols: 'udp-first' });
    w.apply({ kind: 'setProtocols', machine: 'server', protocols: 'udp-first' });
    const udp = w.apply({ kind: 'passCallback', handle: 'h1', callback: 'cb2' });
    expect(udp.find((e) => e.kind === 'hung')).toMatchObject({ transport: 'udp' });
  });
});

describe('server fault injection: faultNextRelease', () => {
  test('the client forgets the proxy and stops pinging; the leaked reference is run down 360 s after the delete', () => {
    const events = drive([
      start,
      activate,
      { kind: 'advance', ms: PING_PERIOD_MS },
      { kind: 'faultNextRelease' },
      { kind: 'release', handle: 'h1' },
      { kind: 'advance', ms: 6 * PING_PERIOD_MS },
    ]);
    const reclaim = events.find((e) => e.kind === 'reclaimed')!;
    expect(reclaim).toMatchObject({ oid: 'oid1', cause: 'rundown' });
    const del = pings(events).find((p) => p.dels.includes('oid1'))!;
    expect(reclaim.at - del.at).toBe(PING_SET_TIMEOUT_MS);
    expect(pings(events).filter((p) => p.at > del.at)).toEqual([]);
  });

  test('the fault hits only the next releasing action', () => {
    const events = drive([
      start,
      activate,
      { kind: 'activate', process: 'p1', handle: 'h2', clsctx: 'remote', serverInfo: true, authInfo: null },
      { kind: 'faultNextRelease' },
      { kind: 'release', handle: 'h1' },
      { kind: 'release', handle: 'h2' },
    ]);
    expect(events.filter((e) => e.kind === 'reclaimed')).toEqual([expect.objectContaining({ oid: 'oid2', cause: 'release' })]);
  });

  test('a release for an object already gone is still sent, so it is the one the fault hits', () => {
    const events = drive([
      start,
      activate,
      { kind: 'activate', process: 'p1', handle: 'h2', clsctx: 'remote', serverInfo: true, authInfo: null },
      { kind: 'disconnect', handle: 'h1' },
      { kind: 'faultNextRelease' },
      { kind: 'release', handle: 'h1' },
      { kind: 'release', handle: 'h2' },
    ]);
    expect(events.filter((e) => e.kind === 'reclaimed')).toEqual([
      expect.objectContaining({ oid: 'oid1', cause: 'disconnect' }),
      expect.objectContaining({ oid: 'oid2', cause: 'release' }),
    ]);
  });
});
