/**
 * Drives the Wine adapter by hand through the Adapter interface: concrete action sequences
 * against Wine 8.0, asserting what Wine is known to do (shared/research/wine/README.md) and
 * what the kit must therefore find. Times are virtual ms (real ms x the faketime scale).
 */
import { createWineAdapter, wineAdapter } from '../../adapters/wine';
import {
  HR,
  PING_SET_TIMEOUT_MS,
  RUNDOWN_SLACK_MS,
  defaultWorld,
  formatHr,
  type Action,
  type Adapter,
  type AdapterEvent,
  type World,
} from '../../spec';
import { ensureWine } from './setup';

jest.setTimeout(180_000);

let adapter: Adapter;

beforeAll(async () => {
  ensureWine();
  adapter = await createWineAdapter({ scale: 60 });
}, 900_000);

afterAll(async () => {
  await adapter?.close();
});

type Step = Action | { kind: 'advance'; ms: number };

test("the factory declares what the driver's hello announces (describeConformance skips by it)", () => {
  expect([...wineAdapter.capabilities!.actions].sort()).toEqual([...adapter.capabilities.actions].sort());
  expect([...wineAdapter.capabilities!.observes].sort()).toEqual([...adapter.capabilities.observes].sort());
});

/** Resets, carries the steps out, and returns the events each step reported. */
async function run(steps: Step[], world: World = defaultWorld(), seed = 1): Promise<{ all: AdapterEvent[]; per: AdapterEvent[][] }> {
  await adapter.reset(seed, world);
  const per: AdapterEvent[][] = [];
  for (const s of steps) per.push(s.kind === 'advance' ? await adapter.advance(s.ms) : await adapter.apply(s));
  const all = per.flat();
  for (let i = 1; i < all.length; i++) expect(all[i].at).toBeGreaterThanOrEqual(all[i - 1].at);
  return { all, per };
}

function completed(events: AdapterEvent[]) {
  const c = events.filter((e) => e.kind === 'completed');
  expect(c).toHaveLength(1);
  return c[0] as Extract<AdapterEvent, { kind: 'completed' }>;
}

const hr = (events: AdapterEvent[]) => formatHr(completed(events).hr);
const reclaims = (events: AdapterEvent[], oid?: string) =>
  events.filter((e): e is Extract<AdapterEvent, { kind: 'reclaimed' }> => e.kind === 'reclaimed' && (oid === undefined || e.oid === oid));

const start = (process: string, machine: 'client1' | 'client2' = 'client1'): Action => ({
  kind: 'start',
  process,
  machine,
  identity: 'alice',
  authenticated: true,
});
const activate = (process: string, handle: string, extra: Partial<Extract<Action, { kind: 'activate' }>> = {}): Action => ({
  kind: 'activate',
  process,
  handle,
  clsctx: 'local',
  serverInfo: false,
  authInfo: null,
  ...extra,
});

test('the driver declares a sped-up real clock and no pings', () => {
  expect(adapter.capabilities.name).toBe('wine');
  expect(adapter.capabilities.version).toMatch(/^wine-8\.0/);
  expect(adapter.capabilities.clock).toEqual({ kind: 'real', scale: 60 });
  expect(adapter.capabilities.observes).not.toContain('pings');
  expect(adapter.capabilities.observes).toEqual(expect.arrayContaining(['reclaims', 'callbacks', 'exits']));
  expect(adapter.capabilities.actions).not.toContain('partition');
});

test('activate, call, Release: the last release reclaims the object at once', async () => {
  const { per } = await run([start('p1'), activate('p1', 'h1'), { kind: 'call', handle: 'h1' }, { kind: 'release', handle: 'h1' }]);
  const act = completed(per[1]);
  expect(formatHr(act.hr)).toBe(formatHr(HR.S_OK));
  expect(act.oid).toMatch(/^server:\d+$/);
  expect(hr(per[2])).toBe(formatHr(HR.S_OK));
  const [r] = reclaims(per[3], act.oid);
  expect(r).toMatchObject({ machine: 'server', cause: 'release' });
  console.log(`release -> reclaimed ${r.at - act.at} virtual ms after activation completed`);
});

test('AddRef and QueryInterface references keep the object until the last Release', async () => {
  const { per } = await run([
    start('p1'),
    activate('p1', 'h1'),
    { kind: 'addRef', handle: 'h1' },
    { kind: 'queryInterface', handle: 'h1', newHandle: 'h2', iid: 'IUnknown' },
    { kind: 'queryInterface', handle: 'h1', newHandle: 'h3', iid: 'IMissing' },
    { kind: 'release', handle: 'h1' },
    { kind: 'release', handle: 'h1' },
    { kind: 'release', handle: 'h2' },
  ]);
  const oid = completed(per[1]).oid;
  expect(completed(per[3])).toMatchObject({ hr: HR.S_OK, oid });
  expect(hr(per[4])).toBe(formatHr(HR.E_NOINTERFACE));
  expect(reclaims(per.slice(0, 7).flat())).toHaveLength(0);
  expect(reclaims(per[7], oid)).toHaveLength(1);
});

test('an interface pointer handed to another client process (CoMarshalInterface, CoUnmarshalInterface) is one object, kept until its last holder lets go', async () => {
  const { per } = await run([
    start('p1'),
    start('p2', 'client2'),
    activate('p1', 'h1'),
    { kind: 'handOver', handle: 'h1', process: 'p2', newHandle: 'h2' },
    { kind: 'release', handle: 'h1' },
    { kind: 'call', handle: 'h2' },
    start('p3'),
    { kind: 'handOver', handle: 'h2', process: 'p3', newHandle: 'h3' },
    { kind: 'exit', process: 'p2' },
    { kind: 'call', handle: 'h3' },
    { kind: 'release', handle: 'h3' },
  ]);
  const oid = completed(per[2]).oid;
  expect(completed(per[3])).toMatchObject({ hr: HR.S_OK, oid });
  expect(completed(per[7])).toMatchObject({ hr: HR.S_OK, oid });
  expect(hr(per[5])).toBe(formatHr(HR.S_OK));
  expect(hr(per[9])).toBe(formatHr(HR.S_OK));
  // Neither the marshaller's Release nor its exit ends the object the receiver holds.
  expect(reclaims(per.slice(0, 10).flat())).toHaveLength(0);
  expect(reclaims(per[10], oid)).toEqual([expect.objectContaining({ cause: 'release' })]);
});

test('CoUninitialize and exit release what the process holds; the process is gone', async () => {
  const { per } = await run([start('p1'), activate('p1', 'h1'), activate('p1', 'h2'), { kind: 'exit', process: 'p1' }]);
  const oids = [completed(per[1]).oid, completed(per[2]).oid];
  const exitEvents = per[3];
  for (const oid of oids) expect(reclaims(exitEvents, oid)).toEqual([expect.objectContaining({ cause: 'release' })]);
  expect(exitEvents.filter((e) => e.kind === 'processExit')).toEqual([
    expect.objectContaining({ process: 'p1', machine: 'client1' }),
  ]);
});

test("a crashed client's objects are never run down (TerminateProcess and kill -9)", async () => {
  const wait = PING_SET_TIMEOUT_MS + RUNDOWN_SLACK_MS + 60_000;
  const { per, all } = await run([
    start('p1'),
    activate('p1', 'h1'),
    start('p2'),
    activate('p2', 'h2', { serverInfo: true }),
    { kind: 'crash', process: 'p1' },
    { kind: 'crash', process: 'p2' },
    { kind: 'advance', ms: wait },
    // The server is still there and still serves: a new client is not affected.
    start('p3'),
    activate('p3', 'h3'),
  ]);
  const oids = [completed(per[1]).oid!, completed(per[3]).oid!];
  const notes = all.filter((e) => e.kind === 'note').map((e) => (e as { text: string }).text);
  expect(notes.some((t) => /p1 crashes: TerminateProcess/.test(t))).toBe(true);
  expect(notes.some((t) => /p2 crashes: kill -9/.test(t))).toBe(true);
  expect(per[4].filter((e) => e.kind === 'processExit')).toHaveLength(1);
  expect(per[5].filter((e) => e.kind === 'processExit')).toHaveLength(1);
  for (const oid of oids) expect(reclaims(all, oid)).toHaveLength(0);
  expect(hr(per[8])).toBe(formatHr(HR.S_OK));
});

test('a process that ends without CoUninitialize (abandon) leaves its objects alive too', async () => {
  const { per, all } = await run([
    start('p1'),
    activate('p1', 'h1'),
    { kind: 'abandon', process: 'p1' },
    { kind: 'advance', ms: PING_SET_TIMEOUT_MS + RUNDOWN_SLACK_MS + 60_000 },
  ]);
  expect(per[2].filter((e) => e.kind === 'processExit')).toHaveLength(1);
  expect(reclaims(all, completed(per[1]).oid)).toHaveLength(0);
});

test('CoSetProxyBlanket returns E_NOTIMPL on the interface and on IUnknown; calls still work', async () => {
  const blanket = { authnSvc: 10, authnLevel: 6 as const, impLevel: 3 as const, capabilities: 0 };
  const { per } = await run([
    start('p1'),
    activate('p1', 'h1'),
    { kind: 'setBlanket', handle: 'h1', target: 'interface', ...blanket },
    { kind: 'setBlanket', handle: 'h1', target: 'iunknown', ...blanket, authnLevel: 1, impLevel: 1 },
    { kind: 'call', handle: 'h1' },
  ]);
  expect(hr(per[2])).toBe(formatHr(HR.E_NOTIMPL));
  expect(hr(per[3])).toBe(formatHr(HR.E_NOTIMPL));
  expect(hr(per[4])).toBe(formatHr(HR.S_OK));
});

test('remote activation fails with REGDB_E_CLASSNOTREG; local activation with COSERVERINFO and COAUTHINFO works', async () => {
  const authInfo = { authnSvc: 10, authnLevel: 2 as const, impLevel: 3 as const, identity: 'bob' };
  const { per } = await run([
    start('p1'),
    activate('p1', 'h1', { clsctx: 'remote', serverInfo: true }),
    activate('p1', 'h2', { clsctx: 'remote', serverInfo: true, authInfo }),
    activate('p1', 'h3', { clsctx: 'remote', serverInfo: false }),
    activate('p1', 'h4', { serverInfo: true, authInfo }),
    activate('p1', 'h5', { serverInfo: false, authInfo }),
    activate('p1', 'h6', { serverInfo: true }),
  ]);
  for (const i of [1, 2, 3]) {
    expect(hr(per[i])).toBe(formatHr(HR.REGDB_E_CLASSNOTREG));
    expect(completed(per[i]).oid).toBeUndefined();
  }
  for (const i of [4, 5, 6]) expect(hr(per[i])).toBe(formatHr(HR.S_OK));
});

test('callbacks with SYSTEM admitted: passed, invoked at once and later, released', async () => {
  const { per } = await run([
    start('p1'),
    activate('p1', 'h1'),
    { kind: 'passCallback', handle: 'h1', callback: 'cb1' },
    { kind: 'invokeCallback', callback: 'cb1' },
    { kind: 'releaseCallback', callback: 'cb1' },
  ]);
  const pass = completed(per[2]);
  expect(formatHr(pass.hr)).toBe(formatHr(HR.S_OK));
  expect(pass.oid).toBe('cb:cb1');
  expect(per[2].filter((e) => e.kind === 'callbackDelivered')).toEqual([expect.objectContaining({ callback: 'cb1', process: 'p1' })]);
  expect(hr(per[3])).toBe(formatHr(HR.S_OK));
  expect(per[3].filter((e) => e.kind === 'callbackDelivered')).toHaveLength(1);
  expect(reclaims(per[4], 'cb:cb1')).toEqual([expect.objectContaining({ machine: 'client1', cause: 'release' })]);
});

test('access descriptors are not enforced: a callback is accepted although SYSTEM is denied', async () => {
  const world = defaultWorld();
  world.machines.client1.access = { kind: 'list', allow: ['Everyone'], deny: ['SYSTEM'] };
  const { per } = await run(
    [
      start('p1'),
      { kind: 'initSecurity', process: 'p1', authnLevel: 6, impLevel: 2, capabilities: 0 },
      activate('p1', 'h1'),
      { kind: 'passCallback', handle: 'h1', callback: 'cb1' },
      // also with a descriptor that lets only INTERACTIVE in, set while the run goes on
      { kind: 'setAccess', machine: 'client1', access: { kind: 'list', allow: ['INTERACTIVE'], deny: [] } },
      start('p2'),
      { kind: 'initSecurity', process: 'p2', authnLevel: 2, impLevel: 3, capabilities: 0 },
      activate('p2', 'h2'),
      { kind: 'passCallback', handle: 'h2', callback: 'cb2' },
      { kind: 'invokeCallback', callback: 'cb1' },
    ],
    world,
  );
  expect(hr(per[1])).toBe(formatHr(HR.S_OK));
  expect(hr(per[3])).toBe(formatHr(HR.S_OK));
  expect(per[3].some((e) => e.kind === 'callbackDelivered')).toBe(true);
  expect(hr(per[6])).toBe(formatHr(HR.S_OK));
  expect(hr(per[8])).toBe(formatHr(HR.S_OK));
  expect(hr(per[9])).toBe(formatHr(HR.S_OK));
  expect(per[9].some((e) => e.kind === 'callbackDelivered')).toBe(true);
});

test("the server's call into a crashed client's callback fails fast with RPC_S_SERVER_UNAVAILABLE", async () => {
  const { per } = await run([
    start('p1'),
    activate('p1', 'h1'),
    { kind: 'passCallback', handle: 'h1', callback: 'cb1' },
    { kind: 'crash', process: 'p1' },
    { kind: 'invokeCallback', callback: 'cb1' },
  ]);
  expect(reclaims(per[3], 'cb:cb1')).toEqual([expect.objectContaining({ cause: 'process-exit' })]);
  const c = completed(per[4]);
  expect(formatHr(c.hr)).toBe(formatHr(HR.RPC_S_SERVER_UNAVAILABLE));
  expect(per[4].some((e) => e.kind === 'callbackDelivered')).toBe(false);
});

test('CoDisconnectObject: the object is reclaimed; a later call fails at once, with RPC_S_UNKNOWN_IF', async () => {
  const { per } = await run([
    start('p1'),
    activate('p1', 'h1'),
    { kind: 'disconnect', handle: 'h1' },
    { kind: 'call', handle: 'h1' },
    { kind: 'release', handle: 'h1' },
  ]);
  const oid = completed(per[1]).oid;
  const call = per[3].find((e) => e.kind === 'completed' || e.kind === 'hung')!;
  console.log(
    `disconnect: reclaimed ${JSON.stringify(reclaims(per.flat(), oid).map((r) => [r.cause, r.at]))}; call after it: ${
      call.kind === 'completed' ? formatHr(call.hr) : 'hung'
    }`,
  );
  expect(reclaims(per[2], oid)).toEqual([expect.objectContaining({ cause: 'disconnect' })]);
  expect(call.kind).toBe('completed');
  // Wine answers RPC_S_UNKNOWN_IF (0x800706B5), not RPC_E_DISCONNECTED / CO_E_OBJNOTCONNECTED.
  expect((call as { hr: number }).hr >>> 0).toBe(0x800706b5);
});
