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

describe('several holders of one object', () => {
  const startOn = (process: string, machine: 'client1' | 'client2'): Action => ({ kind: 'start', process, machine, identity: 'alice', authenticated: true });
  const shared = (process: string, handle: string, instance = 's1'): Action => ({ kind: 'activateShared', process, handle, instance });
  const oids = (events: AdapterEvent[]) => events.flatMap((e) => (e.kind === 'completed' && e.oid ? [e.oid] : []));
  const reclaims = (events: AdapterEvent[]) => events.filter((e) => e.kind === 'reclaimed');

  test('a shared instance is one object for every process and machine; each machine pings it in its own set', () => {
    const events = drive([startOn('p1', 'client1'), startOn('p2', 'client2'), shared('p1', 'h1'), shared('p2', 'h2'), shared('p1', 'h3', 's2'), { kind: 'advance', ms: 2 * PING_PERIOD_MS }]);
    expect(oids(events)).toEqual(['oid1', 'oid1', 'oid2']);
    const creations = pings(events).filter((p) => p.setId === '0');
    expect(creations.map((p) => [p.from, p.adds])).toEqual(expect.arrayContaining([['client1', ['oid1', 'oid2']], ['client2', ['oid1']]]));
  });

  test("one holder's release gives back only its reference; the machine keeps pinging for a local holder; the last release reclaims", () => {
    const events = drive([
      startOn('p1', 'client1'),
      startOn('p2', 'client1'),
      startOn('p3', 'client2'),
      shared('p1', 'h1'),
      shared('p2', 'h2'),
      shared('p3', 'h3'),
      { kind: 'advance', ms: PING_PERIOD_MS },
      { kind: 'release', handle: 'h1' },
      { kind: 'advance', ms: 2 * PING_PERIOD_MS },
    ]);
    expect(reclaims(events)).toEqual([]);
    // p2 on client1 still holds the object: client1 never deletes it.
    expect(pings(events).filter((p) => p.from === 'client1' && p.dels.length > 0)).toEqual([]);
    const more = drive([
      startOn('p1', 'client1'),
      startOn('p2', 'client2'),
      shared('p1', 'h1'),
      shared('p2', 'h2'),
      { kind: 'release', handle: 'h1' },
      { kind: 'release', handle: 'h2' },
    ]);
    expect(reclaims(more)).toEqual([expect.objectContaining({ oid: 'oid1', cause: 'release' })]);
    expect(more.filter((e) => e.kind === 'reclaimed')[0].at).toBe(0);
  });

  test('a handed-over proxy: the receiving machine pings the object itself and keeps it after the marshaller lets go', () => {
    const events = drive([
      startOn('p1', 'client1'),
      startOn('p2', 'client2'),
      activate,
      { kind: 'handOver', handle: 'h1', process: 'p2', newHandle: 'h2' },
      { kind: 'release', handle: 'h1' },
      { kind: 'advance', ms: 6 * PING_PERIOD_MS },
    ]);
    expect(oids(events)).toEqual(['oid1', 'oid1']);
    expect(reclaims(events)).toEqual([]);
    expect(pings(events).filter((p) => p.from === 'client2' && p.status === 'ok').length).toBeGreaterThanOrEqual(5);
  });

  test("a local server's object cannot be handed to the other client machine", () => {
    const events = drive([
      startOn('p1', 'client1'),
      startOn('p2', 'client2'),
      { kind: 'activate', process: 'p1', handle: 'h1', clsctx: 'local', serverInfo: false, authInfo: null },
      { kind: 'handOver', handle: 'h1', process: 'p2', newHandle: 'h2' },
    ]);
    expect(events.filter((e) => e.kind === 'completed').map((e) => e.kind === 'completed' && e.hr >>> 0)).toEqual([0, 0x800706ba]);
  });

  test('a holder given an existing object keeps it a full set timeout although the only set holding it expires first', () => {
    // p1's machine is cut off right after its first ping; p2 gets the shared object 10 s
    // before client1's set expires, and pings it from client2's next tick.
    for (const seed of [1, 2, 3, 4]) {
      const w = new ReferenceWorld();
      const events = [...w.reset(seed, defaultWorld())];
      const run = (a: Action) => events.push(...(a.kind === 'advance' ? w.advance(a.ms) : w.apply(a)));
      [startOn('p1', 'client1'), shared('p1', 'h1'), { kind: 'advance', ms: PING_PERIOD_MS } as Action, { kind: 'partition', machine: 'client1' } as Action].forEach(run);
      const firstPing = pings(events)[0].at;
      run({ kind: 'advance', ms: firstPing + PING_SET_TIMEOUT_MS - 10_000 - w.time });
      [startOn('p2', 'client2'), shared('p2', 'h2'), { kind: 'advance', ms: 4 * PING_PERIOD_MS } as Action].forEach(run);
      expect(oids(events)).toEqual(['oid1', 'oid1']);
      expect(reclaims(events)).toEqual([]);
      expect(pings(events).some((p) => p.from === 'client2' && p.adds.includes('oid1') && p.status === 'ok')).toBe(true);
    }
  });

  test('a shared instance that is gone is made afresh', () => {
    const events = drive([startOn('p1', 'client1'), shared('p1', 'h1'), { kind: 'release', handle: 'h1' }, shared('p1', 'h2')]);
    expect(oids(events)).toEqual(['oid1', 'oid2']);
  });
});
