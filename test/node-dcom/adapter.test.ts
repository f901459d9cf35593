import { CALL_TIMEOUT_MS, EXIT_PROMPT_MS, HR, PING_PERIOD_MS, PING_SET_TIMEOUT_MS, type Action } from '../../spec';
import { NodeDcomAdapter, nodeDcomAdapter } from '../../adapters/node-dcom';
import { alive } from '../../adapters/emulated/alive';
import { drive, of, pings } from '../helpers/drive';

const start: Action = { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true };
const activate = (handle = 'h1'): Action => ({ kind: 'activate', process: 'p1', handle, clsctx: 'remote', serverInfo: true, authInfo: null });

describe('node-dcom adapter (node-dcom 1.0.9 against the wire emulator)', () => {
  let adapter: NodeDcomAdapter;
  beforeEach(() => {
    adapter = new NodeDcomAdapter();
  });
  afterEach(async () => {
    await adapter.close();
  });

  test('the factory names the adapter and leaves out what node-dcom cannot express', async () => {
    const a = await nodeDcomAdapter.create();
    try {
      expect(nodeDcomAdapter.name).toBe('node-dcom');
      expect(a.capabilities).toMatchObject({ name: 'node-dcom', version: '1.0.9', observes: ['pings', 'reclaims', 'exits'], clock: { kind: 'virtual' } });
      for (const k of ['start', 'activate', 'queryInterface', 'call', 'release', 'exit', 'abandon', 'crash'] as const) expect(a.capabilities.actions).toContain(k);
      for (const k of ['passCallback', 'invokeCallback', 'setBlanket', 'initSecurity', 'setAccess'] as const) expect(a.capabilities.actions).not.toContain(k);
    } finally {
      await a.close();
    }
  });

  test('activate, QueryInterface and a call complete over real MSRPC at virtual time 0', async () => {
    const events = await drive(adapter, [
      start,
      activate(),
      { kind: 'queryInterface', handle: 'h1', newHandle: 'h2', iid: 'ITest' },
      { kind: 'call', handle: 'h2' },
      { kind: 'queryInterface', handle: 'h1', newHandle: 'h3', iid: 'IMissing' },
    ]);
    const done = of(events, 'completed');
    expect(done.slice(0, 3).map((e) => [e.at, e.hr, e.oid, e.detail])).toEqual([
      [0, HR.S_OK, 'oid1', undefined],
      [0, HR.S_OK, 'oid1', undefined],
      [0, HR.S_OK, undefined, undefined],
    ]);
    // node-dcom turns the server's E_NOINTERFACE into an exception, not a hang.
    expect(done[3].hr).not.toBe(HR.S_OK);
    expect(done[3].detail).toMatch(/node-dcom threw/);
  });

  test('a shared instance: activations from two sessions of one process and from another machine get one object, kept while any holds it', async () => {
    const shared = (process: string, handle: string): Action => ({ kind: 'activateShared', process, handle, instance: 's1' });
    const events = await drive(adapter, [
      start,
      { kind: 'start', process: 'p2', machine: 'client2', identity: 'bob', authenticated: true },
      shared('p1', 'h1'),
      shared('p1', 'h2'),
      shared('p2', 'h3'),
      activate('h4'),
      2 * PING_PERIOD_MS,
      { kind: 'exit', process: 'p2' },
      PING_SET_TIMEOUT_MS + PING_PERIOD_MS,
    ]);
    // One object for the three shared activations; a plain activation makes another.
    expect(of(events, 'completed').map((e) => [e.hr, e.oid])).toEqual([
      [HR.S_OK, 'oid1'],
      [HR.S_OK, 'oid1'],
      [HR.S_OK, 'oid1'],
      [HR.S_OK, 'oid2'],
    ]);
    // Each node-dcom session pings it in a set of its own, from both machines.
    const adds = pings(events).filter((p) => p.adds.includes('oid1'));
    expect(new Set(adds.map((p) => p.from))).toEqual(new Set(['client1', 'client2']));
    // p2 letting go does not end the object p1 still holds.
    expect(of(events, 'reclaimed').filter((e) => e.oid === 'oid1')).toEqual([]);
  });

  test('after release of every proxy node-dcom keeps pinging and never sends DelFromSet', async () => {
    const events = await drive(adapter, [start, activate(), { kind: 'release', handle: 'h1' }, 5 * PING_PERIOD_MS]);
    const ps = pings(events);
    expect(ps.map((p) => [p.at, p.type])).toEqual([
      [120_000, 'complex'],
      [240_000, 'simple'],
      [360_000, 'simple'],
      [480_000, 'simple'],
      [600_000, 'simple'],
    ]);
    expect(ps[0]).toMatchObject({ from: 'client1', to: 'server', setId: '0', adds: ['oid1'], status: 'ok', newSetId: 'set1' });
    expect(ps.every((p) => p.dels.length === 0 && p.status === 'ok')).toBe(true);
    // release() gives back 5 of the 10 references node-dcom took (OBJREF + AddRef): the object lives on.
    expect(of(events, 'reclaimed')).toEqual([]);
  });

  test('exit: destroySession releases, stops pinging, and the process exits by itself', async () => {
    const events = await drive(adapter, [start, activate(), 130_000, { kind: 'exit', process: 'p1' }, 10 * PING_PERIOD_MS]);
    expect(of(events, 'reclaimed')).toEqual([{ kind: 'reclaimed', at: 130_000, machine: 'server', oid: 'oid1', cause: 'release' }]);
    expect(pings(events).map((p) => p.at)).toEqual([120_000]);
    const [exit] = of(events, 'processExit');
    expect(exit).toMatchObject({ process: 'p1', machine: 'client1' });
    // node-dcom's socket timeout timers (3 s, never cleared) keep it alive a little while.
    expect(exit.at - 130_000).toBeLessThanOrEqual(EXIT_PROMPT_MS);
  });

  test('abandon: the program ends without destroySession; pings go on and the process never exits', async () => {
    const events = await drive(adapter, [start, activate(), { kind: 'abandon', process: 'p1' }, 10 * PING_PERIOD_MS]);
    expect(of(events, 'processExit')).toEqual([]);
    expect(pings(events)).toHaveLength(10);
  });

  test('a faulted final RemRelease: destroySession returns, cleanup is skipped, pings go on for ever', async () => {
    adapter = new NodeDcomAdapter({ faultFinalRelease: true });
    const events = await drive(adapter, [start, activate(), { kind: 'exit', process: 'p1' }, 10 * PING_PERIOD_MS]);
    expect(of(events, 'note').some((n) => /injected fault .* RemRelease/.test(n.text))).toBe(true);
    expect(of(events, 'processExit')).toEqual([]);
    expect(of(events, 'reclaimed')).toEqual([]);
    expect(pings(events).length).toBeGreaterThanOrEqual(9);
  });

  test('crash: the process is gone at once and the server runs the object down 360 s after its last ping', async () => {
    const events = await drive(adapter, [start, activate(), 130_000, { kind: 'crash', process: 'p1' }, 10 * PING_PERIOD_MS]);
    expect(of(events, 'processExit').map((e) => e.at)).toEqual([130_000]);
    expect(of(events, 'reclaimed')).toEqual([{ kind: 'reclaimed', at: 120_000 + PING_SET_TIMEOUT_MS, machine: 'server', oid: 'oid1', cause: 'rundown' }]);
  });

  test('a dropped answer makes the call hang for the call timeout; pings keep their virtual times meanwhile', async () => {
    adapter = new NodeDcomAdapter({ socketTimeoutMs: 1_000_000, faults: [{ method: 'Add', effect: { kind: 'drop' } }] });
    const events = await drive(adapter, [start, activate(), { kind: 'call', handle: 'h1' }]);
    expect(of(events, 'hung')).toEqual([{ kind: 'hung', at: CALL_TIMEOUT_MS, transport: 'tcp', detail: 'node-dcom never returned' }]);
    expect(pings(events).map((p) => p.at)).toEqual([120_000]);
  });

  test('an activation whose answer never arrives: the object the server made and ran down is a note, not a reclaim the trace cannot place', async () => {
    adapter = new NodeDcomAdapter({ socketTimeoutMs: 1_000_000, faults: [{ method: 'RemoteActivation', effect: { kind: 'drop' } }] });
    const events = await drive(adapter, [start, activate(), 10 * PING_PERIOD_MS]);
    expect(of(events, 'hung')).toHaveLength(1);
    expect(of(events, 'reclaimed')).toEqual([]);
    expect(of(events, 'note').map((n) => n.text)).toContainEqual(expect.stringMatching(/^server: oid1 reclaimed \(rundown\), an object the client library never received$/));
  });

  test('disconnect: the server drops the object and a call through the proxy fails', async () => {
    const events = await drive(adapter, [start, activate(), { kind: 'disconnect', handle: 'h1' }, { kind: 'call', handle: 'h1' }]);
    expect(of(events, 'reclaimed')).toEqual([{ kind: 'reclaimed', at: 0, machine: 'server', oid: 'oid1', cause: 'disconnect' }]);
    const [done] = of(events, 'completed').slice(1);
    expect(done.hr).toBe(HR.RPC_E_DISCONNECTED);
  });

  test('a local activation finds no class (node-dcom only activates remotely); the next remote one works', async () => {
    const local: Action = { kind: 'activate', process: 'p1', handle: 'h1', clsctx: 'local', serverInfo: false, authInfo: null };
    const events = await drive(adapter, [start, local, activate('h2')]);
    const [first, second] = of(events, 'completed');
    expect(first).toMatchObject({ hr: HR.REGDB_E_CLASSNOTREG, detail: 'node-dcom has no local activation' });
    expect(first.oid).toBeUndefined();
    expect(second).toMatchObject({ hr: 0, oid: 'oid1' });
  });

  test('two sessions of one process ping at the same instant, every period, and each ping is answered', async () => {
    const events = await drive(adapter, [start, activate('h1'), activate('h2'), 5 * PING_PERIOD_MS]);
    const byTime = new Map<number, number>();
    for (const p of pings(events)) byTime.set(p.at, (byTime.get(p.at) ?? 0) + (p.status === 'ok' ? 1 : 0));
    expect([...byTime]).toEqual([1, 2, 3, 4, 5].map((k) => [k * PING_PERIOD_MS, 2]));
  });

  test('close leaves no client process behind', async () => {
    await drive(adapter, [start, activate(), { kind: 'abandon', process: 'p1' }]);
    const pids = adapter.clientPids();
    expect(pids.length).toBeGreaterThan(0);
    await adapter.close();
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('node-dcom client processes are recycled between programs', () => {
  const exit: Action = { kind: 'exit', process: 'p1' };
  const scenarios: Array<[string, Array<Action | number>]> = [
    ['exit', [start, activate(), 130_000, exit, 10 * PING_PERIOD_MS]],
    ['abandon', [start, activate(), { kind: 'abandon', process: 'p1' }, 3 * PING_PERIOD_MS]],
    ['crash', [start, activate(), 130_000, { kind: 'crash', process: 'p1' }, 10 * PING_PERIOD_MS]],
    ['release, then a call', [start, activate(), activate('h2'), { kind: 'release', handle: 'h1' }, 2 * PING_PERIOD_MS, { kind: 'call', handle: 'h2' }, exit, 2 * PING_PERIOD_MS]],
  ];

  // Every program of the second round runs in a process that ran one of the first round.
  test('a recycled process runs each program exactly as a fresh one does, and few processes are ever started', async () => {
    const fresh = new NodeDcomAdapter({ reuse: false });
    const reused = new NodeDcomAdapter();
    try {
      for (let round = 0; round < 2; round++) {
        for (const [, steps] of scenarios) {
          const want = await drive(fresh, steps);
          expect(await drive(reused, steps)).toEqual(want);
        }
      }
      expect(fresh.processesStarted).toBeGreaterThanOrEqual(2 * scenarios.length);
      expect(reused.processesStarted).toBeLessThanOrEqual(3);
    } finally {
      await Promise.all([fresh.close(), reused.close()]);
    }
  });

  test('a process whose program did not end when its run did is recycled too, and close ends them all', async () => {
    const adapter = new NodeDcomAdapter();
    try {
      for (let run = 0; run < 4; run++) {
        const events = await drive(adapter, [start, activate(), PING_PERIOD_MS]);
        expect(pings(events).map((p) => p.at)).toEqual([PING_PERIOD_MS]);
      }
      expect(adapter.processesStarted).toBeLessThanOrEqual(3);
      const pids = adapter.clientPids();
      expect(pids.length).toBeGreaterThan(0);
      await adapter.close();
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      await adapter.close();
    }
  });
});
