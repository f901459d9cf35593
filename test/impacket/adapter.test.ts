import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CALL_TIMEOUT_MS, HR, PING_PERIOD_MS, PING_SET_TIMEOUT_MS, type Action } from '../../spec';
import { ImpacketAdapter, createImpacketAdapter, impacketAdapter } from '../../adapters/impacket';
import { findAdapter } from '../../adapters';
import { alive } from '../../adapters/emulated/alive';
import { drive, of, pings } from '../helpers/drive';

const start: Action = { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true };
const activate = (handle = 'h1', process = 'p1'): Action => ({ kind: 'activate', process, handle, clsctx: 'remote', serverInfo: true, authInfo: null });
const RPC_S_SERVER_UNAVAILABLE = 0x800706ba;

describe('impacket adapter (Debian python3-impacket against the wire emulator)', () => {
  let adapter: ImpacketAdapter;
  beforeEach(() => {
    adapter = createImpacketAdapter();
  });
  afterEach(async () => {
    await adapter.close();
  });

  test('the built-in factory names impacket and its version, and leaves out what impacket cannot express', async () => {
    expect(findAdapter('impacket')).toBe(impacketAdapter);
    const a = await impacketAdapter.create();
    try {
      expect(a.capabilities).toMatchObject({ name: 'impacket', version: '0.10.0', observes: ['pings', 'reclaims', 'exits'], clock: { kind: 'virtual' } });
      for (const k of ['start', 'activate', 'queryInterface', 'call', 'release', 'exit', 'abandon', 'crash', 'faultNextRelease'] as const) expect(a.capabilities.actions).toContain(k);
      for (const k of ['passCallback', 'invokeCallback', 'releaseCallback', 'setBlanket', 'initSecurity', 'setAccess'] as const) expect(a.capabilities.actions).not.toContain(k);
    } finally {
      await a.close();
    }
  });

  test('activation (RemoteCreateInstance at packet privacy), QueryInterface and a call complete at virtual time 0', async () => {
    const events = await drive(adapter, [
      start,
      activate(),
      { kind: 'queryInterface', handle: 'h1', newHandle: 'h2', iid: 'IUnknown' },
      { kind: 'call', handle: 'h2' },
      { kind: 'call', handle: 'h1' },
      { kind: 'queryInterface', handle: 'h1', newHandle: 'h3', iid: 'IMissing' },
    ]);
    const done = of(events, 'completed');
    expect(done.map((e) => [e.at, e.hr, e.oid, e.detail])).toEqual([
      [0, HR.S_OK, 'oid1', undefined],
      [0, HR.S_OK, 'oid1', undefined],
      [0, HR.S_OK, undefined, undefined],
      [0, HR.S_OK, undefined, undefined],
      [0, HR.E_NOINTERFACE, undefined, expect.stringMatching(/E_NOINTERFACE/)],
    ]);
    expect(pings(events)).toEqual([]);
  });

  test('the ping timer runs on virtual time: ten ping periods pass with a ping at each, to the millisecond', async () => {
    const events = await drive(adapter, [start, 30_000, activate(), 10 * PING_PERIOD_MS]);
    const ps = pings(events);
    expect(ps.map((p) => [p.at, p.type])).toEqual([[150_000, 'complex'], ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => [30_000 + k * PING_PERIOD_MS, 'simple'])]);
    expect(ps[0]).toMatchObject({ from: 'client1', to: 'server', setId: '0', seq: 0, adds: ['oid1'], dels: [], status: 'ok', newSetId: 'set1' });
    expect(ps.slice(1).every((p) => p.setId === 'set1' && p.status === 'ok')).toBe(true);
    expect(of(events, 'reclaimed')).toEqual([]);
  });

  test('release: RemRelease gives back one of the five references the OBJREF carried; the OID leaves the set with sequence number 0 again', async () => {
    const events = await drive(adapter, [start, activate(), PING_PERIOD_MS, { kind: 'release', handle: 'h1' }, 2 * PING_PERIOD_MS]);
    const [, second] = pings(events);
    expect(second).toMatchObject({ at: 2 * PING_PERIOD_MS, type: 'complex', setId: 'set1', seq: 0, adds: [], dels: ['oid1'] });
    // Not reclaimed by the release: the server still counts four references until the
    // DelFromSet runs the object down.
    expect(of(events, 'reclaimed')).toEqual([{ kind: 'reclaimed', at: 2 * PING_PERIOD_MS, machine: 'server', oid: 'oid1', cause: 'rundown' }]);
  });

  test('release one of two interfaces on an object: impacket deletes the OID from its set, and the server runs the object down under the other', async () => {
    const events = await drive(adapter, [start, activate(), { kind: 'queryInterface', handle: 'h1', newHandle: 'h2', iid: 'ITest' }, PING_PERIOD_MS, { kind: 'release', handle: 'h1' }, PING_PERIOD_MS, { kind: 'call', handle: 'h2' }]);
    expect(pings(events)[1]).toMatchObject({ at: 2 * PING_PERIOD_MS, type: 'complex', dels: ['oid1'] });
    expect(of(events, 'reclaimed')).toEqual([{ kind: 'reclaimed', at: 2 * PING_PERIOD_MS, machine: 'server', oid: 'oid1', cause: 'rundown' }]);
    // h2 still holds the object, so its next call finds it gone.
    expect(of(events, 'completed').pop()).toMatchObject({ hr: HR.RPC_E_DISCONNECTED });
  });

  test('release a QueryInterface result: impacket deletes its OXID from the set; the ping event carries it as it went on the wire, with a note', async () => {
    const events = await drive(adapter, [start, activate(), { kind: 'queryInterface', handle: 'h1', newHandle: 'h2', iid: 'ITest' }, PING_PERIOD_MS, { kind: 'release', handle: 'h2' }, PING_PERIOD_MS]);
    expect(pings(events)[1]).toMatchObject({ at: 2 * PING_PERIOD_MS, type: 'complex', adds: [], dels: [expect.stringMatching(/^\?[0-9a-f]{16}$/)] });
    expect(of(events, 'note').some((n) => /ComplexPing from client1 names 0100000a00000000, which no object of this server ever had/.test(n.text))).toBe(true);
    expect(of(events, 'reclaimed')).toEqual([]);
  });

  test('exit: DCOMConnection.disconnect releases nothing, stops the pings, and the process exits at once', async () => {
    const events = await drive(adapter, [start, activate(), 130_000, { kind: 'exit', process: 'p1' }, 5 * PING_PERIOD_MS]);
    expect(pings(events).map((p) => p.at)).toEqual([120_000]);
    expect(of(events, 'processExit')).toEqual([{ kind: 'processExit', at: 130_000, process: 'p1', machine: 'client1' }]);
    expect(of(events, 'reclaimed')).toEqual([{ kind: 'reclaimed', at: 120_000 + PING_SET_TIMEOUT_MS, machine: 'server', oid: 'oid1', cause: 'rundown' }]);
  });

  test('a program that never activated exits at once; so does one whose program ends without disconnect before activating', async () => {
    const events = await drive(adapter, [start, { kind: 'exit', process: 'p1' }, { ...start, process: 'p2' }, { kind: 'abandon', process: 'p2' }]);
    expect(of(events, 'processExit').map((e) => [e.process, e.at])).toEqual([
      ['p1', 0],
      ['p2', 0],
    ]);
  });

  test('abandon: the program ends without disconnect; the ping timer keeps the process alive and pinging', async () => {
    const events = await drive(adapter, [start, activate(), { kind: 'abandon', process: 'p1' }, 10 * PING_PERIOD_MS]);
    expect(of(events, 'processExit')).toEqual([]);
    expect(pings(events)).toHaveLength(10);
  });

  test('crash: the process is gone at once and the server runs the object down 360 s after its last ping', async () => {
    const events = await drive(adapter, [start, activate(), 130_000, { kind: 'crash', process: 'p1' }, 10 * PING_PERIOD_MS]);
    expect(of(events, 'processExit').map((e) => e.at)).toEqual([130_000]);
    expect(of(events, 'reclaimed')).toEqual([{ kind: 'reclaimed', at: 120_000 + PING_SET_TIMEOUT_MS, machine: 'server', oid: 'oid1', cause: 'rundown' }]);
  });

  test('faultNextRelease: the emulator faults the RemRelease; impacket raises, and keeps the OID in its ping set', async () => {
    const events = await drive(adapter, [start, activate(), { kind: 'faultNextRelease' }, { kind: 'release', handle: 'h1' }, 3 * PING_PERIOD_MS]);
    const notes = of(events, 'note').map((n) => n.text);
    expect(notes.some((t) => /injected fault .* RemRelease/.test(t))).toBe(true);
    expect(notes.some((t) => /p1: release\(h1\) failed/.test(t))).toBe(true);
    expect(pings(events).map((p) => [p.type, p.dels])).toEqual([
      ['complex', []],
      ['simple', []],
      ['simple', []],
    ]);
  });

  test('a call after CoDisconnectObject fails with RPC_E_DISCONNECTED; an activation while partitioned fails at once', async () => {
    const events = await drive(adapter, [
      start,
      activate(),
      { kind: 'disconnect', handle: 'h1' },
      { kind: 'call', handle: 'h1' },
      { kind: 'partition', machine: 'client1' },
      activate('h2'),
    ]);
    const [, call, second] = of(events, 'completed');
    expect(call).toMatchObject({ at: 0, hr: HR.RPC_E_DISCONNECTED });
    expect(second).toMatchObject({ at: 0, hr: RPC_S_SERVER_UNAVAILABLE });
  });

  test('a dropped answer makes the call hang for the call timeout; pings keep their virtual times meanwhile', async () => {
    await adapter.close();
    adapter = createImpacketAdapter({ faults: [{ method: 'Add', effect: { kind: 'drop' } }], idleMs: 500 });
    const events = await drive(adapter, [start, activate(), { kind: 'call', handle: 'h1' }]);
    expect(of(events, 'hung')).toEqual([{ kind: 'hung', at: CALL_TIMEOUT_MS, transport: 'tcp', detail: 'impacket never returned' }]);
    expect(pings(events).map((p) => p.at)).toEqual([PING_PERIOD_MS]);
  });

  test('a local activation finds no class (impacket only activates remotely)', async () => {
    const events = await drive(adapter, [start, { kind: 'activate', process: 'p1', handle: 'h1', clsctx: 'local', serverInfo: false, authInfo: null }]);
    expect(of(events, 'completed')).toEqual([{ kind: 'completed', at: 0, hr: HR.REGDB_E_CLASSNOTREG, detail: 'impacket has no local activation' }]);
  });

  test('close leaves no client process behind', async () => {
    await drive(adapter, [start, activate(), { kind: 'abandon', process: 'p1' }]);
    const pids = adapter.clientPids();
    expect(pids.length).toBeGreaterThan(0);
    await adapter.close();
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('impacket missing', () => {
  test('dcomkit run says in one line which set-up command to run, and exits 2', () => {
    const cli = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
    const r = spawnSync(process.execPath, [cli, 'run', '--adapter', 'impacket', '--runs', '1'], {
      encoding: 'utf8',
      env: { ...process.env, DCOMKIT_IMPACKET_PYTHON: '/nonexistent/python3' },
    });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^dcomkit: adapter error: .*The impacket adapter is not set up: .*Run scripts\/setup-impacket\.sh/);
  });
});
