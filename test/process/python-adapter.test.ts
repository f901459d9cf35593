import * as path from 'node:path';
import type { Action } from '../../spec/actions';
import type { Adapter } from '../../spec/adapter';
import type { AdapterEvent } from '../../spec/events';
import { defaultWorld } from '../../spec/world';
import { livePids, spawnAdapter } from '../../adapters/process';

// The example adapter through the real protocol path (schema validation included).
const ADAPTER = path.resolve(__dirname, '..', '..', 'examples', 'python-adapter', 'adapter.py');
const world = defaultWorld();

const scenario: Action[] = [
  { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true },
  { kind: 'activate', process: 'p1', handle: 'h1', clsctx: 'remote', serverInfo: true, authInfo: null },
  { kind: 'activate', process: 'p1', handle: 'h2', clsctx: 'remote', serverInfo: true, authInfo: null },
  { kind: 'advance', ms: 240_000 },
  { kind: 'release', handle: 'h2' },
  { kind: 'call', handle: 'h1' },
  { kind: 'crash', process: 'p1' },
  { kind: 'advance', ms: 1_200_000 },
];

async function play(adapter: Adapter, seed: number): Promise<AdapterEvent[]> {
  const events = await adapter.reset(seed, world);
  for (const a of scenario) events.push(...(a.kind === 'advance' ? await adapter.advance(a.ms) : await adapter.apply(a)));
  return events;
}

const pingsAfter = (events: AdapterEvent[], t: number) => events.filter((e) => e.kind === 'ping' && e.at > t);

let adapters: Adapter[] = [];
afterEach(async () => {
  for (const a of adapters) await a.close();
  adapters = [];
  expect(livePids()).toEqual([]);
});

async function open(...flags: string[]): Promise<Adapter> {
  const adapter = await spawnAdapter({ command: ['python3', ADAPTER, ...flags].join(' '), label: 'python-model' });
  adapters.push(adapter);
  return adapter;
}

test('the corrected model stops pinging after the crash and runs the object down', async () => {
  const adapter = await open('--fixed');
  expect(adapter.capabilities.actions).toEqual(['start', 'activate', 'activateShared', 'handOver', 'release', 'call', 'exit', 'crash', 'advance']);
  const events = await play(adapter, 5);
  expect(events).toContainEqual({ kind: 'reclaimed', at: 240_000, machine: 'server', oid: 'oid2', cause: 'release' });
  expect(events).toContainEqual({ kind: 'processExit', at: 240_000, process: 'p1', machine: 'client1' });
  const after = pingsAfter(events, 240_000);
  // one last ComplexPing deletes both OIDs, then silence
  expect(after).toHaveLength(1);
  expect(after[0]).toMatchObject({ type: 'complex', seq: 2, adds: [], dels: ['oid1', 'oid2'] });
  expect(events).toContainEqual({ kind: 'reclaimed', at: after[0]!.at + 360_000, machine: 'server', oid: 'oid1', cause: 'rundown' });
});

test('the deliberate bug: after a crash the machine pings forever and nothing is run down', async () => {
  const events = await play(await open(), 5);
  const after = pingsAfter(events, 240_000);
  // the released OID leaves the set; the crashed process's OID stays in it for good
  expect(after[0]).toMatchObject({ type: 'complex', seq: 2, adds: [], dels: ['oid2'] });
  expect(after.slice(1).map((e) => e.kind === 'ping' && e.type)).toEqual(Array(9).fill('simple'));
  expect(events.some((e) => e.kind === 'reclaimed' && e.oid === 'oid1')).toBe(false);
});

test('the same seed gives the same events; the seed moves the ping phase', async () => {
  const adapter = await open();
  const first = await play(adapter, 42);
  expect(await play(adapter, 42)).toEqual(first);
  const other = await play(adapter, 43);
  const firstPing = (es: AdapterEvent[]) => es.find((e) => e.kind === 'ping')!.at;
  expect(firstPing(other)).not.toBe(firstPing(first));
});

test('several holders: a shared instance and a handed-over proxy keep the object until the last holder lets go', async () => {
  const adapter = await open('--fixed');
  const events = await adapter.reset(3, world);
  const run = async (a: Action) => events.push(...(a.kind === 'advance' ? await adapter.advance(a.ms) : await adapter.apply(a)));
  for (const a of [
    { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true },
    { kind: 'start', process: 'p2', machine: 'client2', identity: 'bob', authenticated: true },
    { kind: 'activateShared', process: 'p1', handle: 'h1', instance: 's1' },
    { kind: 'activateShared', process: 'p2', handle: 'h2', instance: 's1' },
    { kind: 'advance', ms: 240_000 },
    { kind: 'release', handle: 'h1' },
    { kind: 'handOver', handle: 'h2', process: 'p1', newHandle: 'h3' },
    { kind: 'release', handle: 'h2' },
    { kind: 'advance', ms: 480_000 },
  ] satisfies Action[]) await run(a);
  const completed = events.filter((e) => e.kind === 'completed');
  // One object for both activations of the shared instance and for the hand-over.
  expect(completed.map((e) => e.kind === 'completed' && e.oid)).toEqual(['oid1', 'oid1', 'oid1']);
  expect(events.some((e) => e.kind === 'reclaimed')).toBe(false);
  // Both machines pinged it; client2 deleted it once p2 let go, client1 still pings it.
  const pings = events.filter((e) => e.kind === 'ping');
  expect(pings.some((e) => e.kind === 'ping' && e.from === 'client2' && e.dels.includes('oid1'))).toBe(true);
  expect(pings.filter((e) => e.kind === 'ping' && e.from === 'client1' && e.at > 480_000).length).toBeGreaterThan(0);
  await run({ kind: 'release', handle: 'h3' });
  expect(events.at(-1)).toMatchObject({ kind: 'reclaimed', oid: 'oid1', cause: 'release' });
});
