/** The minimal counterexamples docs/power.md lists, as action lists a test can replay. */
import { defaultWorld, PING_PERIOD_MS, type Action, type World } from '../../spec';

export const P = PING_PERIOD_MS;

export function start(process = 'p1', machine: 'client1' | 'client2' = 'client1', authenticated = true): Action {
  return { kind: 'start', process, machine, identity: 'alice', authenticated };
}

export function activate(process = 'p1', handle = 'h1', coauthinfo = false): Action {
  return {
    kind: 'activate',
    process,
    handle,
    clsctx: 'remote',
    serverInfo: true,
    authInfo: coauthinfo ? { authnSvc: 10, authnLevel: 0, impLevel: 0, identity: 'alice' } : null,
  };
}

export const advance = (ms = P): Action => ({ kind: 'advance', ms });

export function shared(process = 'p1', handle = 'h1', instance = 's1'): Action {
  return { kind: 'activateShared', process, handle, instance };
}

export interface Scenario {
  world: World;
  actions: Action[];
}

export function world(edit: (w: World) => void = () => {}): World {
  const w = defaultWorld();
  edit(w);
  return w;
}

const denySystem = (w: World) => void (w.machines.client1.access = { kind: 'list', allow: ['SYSTEM', 'Administrators'], deny: ['SYSTEM'] });
const udp = (w: World) => {
  for (const m of ['client1', 'client2', 'server'] as const) w.machines[m].protocols = 'udp-first';
};

/** One minimal scenario per mutant, keyed by mutant name. */
export const MUTANT_SCENARIOS: Record<string, Scenario> = {
  'never-del-from-set': { world: world(), actions: [start(), activate(), advance(), { kind: 'release', handle: 'h1' }] },
  'crash-keeps-oids': { world: world(), actions: [start(), activate(), { kind: 'crash', process: 'p1' }] },
  'two-missed-pings': { world: world(), actions: [start(), activate(), { kind: 'partition', machine: 'client1' }] },
  'four-missed-pings': { world: world(), actions: [start(), activate(), { kind: 'crash', process: 'p1' }] },
  'slow-ping-period': { world: world(), actions: [start(), activate()] },
  'stale-seq-applied': {
    world: world(udp),
    actions: [start(), activate('p1', 'h1'), advance(), activate('p1', 'h2'), advance(), { kind: 'release', handle: 'h2' }],
  },
  'release-leaks-ref': { world: world(), actions: [start(), activate(), { kind: 'release', handle: 'h1' }] },
  'callback-check-inverted': { world: world(), actions: [start(), activate(), { kind: 'passCallback', handle: 'h1', callback: 'cb1' }] },
  'callback-check-skipped': { world: world(denySystem), actions: [start(), activate(), { kind: 'passCallback', handle: 'h1', callback: 'cb1' }] },
  'denied-callback-hangs': { world: world(denySystem), actions: [start(), activate(), { kind: 'passCallback', handle: 'h1', callback: 'cb1' }] },
  'call-after-reclaim-hangs': {
    world: world(),
    actions: [start(), activate(), { kind: 'disconnect', handle: 'h1' }, { kind: 'call', handle: 'h1' }],
  },
  'disconnected-calls-succeed': {
    world: world(),
    actions: [start(), activate(), { kind: 'disconnect', handle: 'h1' }, { kind: 'call', handle: 'h1' }],
  },
  'set-per-process': { world: world(), actions: [start('p1'), start('p2'), activate('p1', 'h1'), activate('p2', 'h2')] },
  'empty-sets-kept': { world: world(), actions: [start(), activate(), advance(), { kind: 'release', handle: 'h1' }] },
  'uninit-skips-release': { world: world(), actions: [start(), activate(), { kind: 'exit', process: 'p1' }] },
  'simple-ping-ignored': { world: world(), actions: [start(), activate()] },
  'no-rundown': { world: world(), actions: [start(), activate(), { kind: 'crash', process: 'p1' }] },
  'seq-frozen': { world: world(), actions: [start(), activate('p1', 'h1'), advance(), activate('p1', 'h2')] },
  'readd-everything': { world: world(), actions: [start(), activate('p1', 'h1'), advance(), activate('p1', 'h2')] },
  'exit-lingers': { world: world(), actions: [start(), { kind: 'exit', process: 'p1' }] },
  'callback-not-delivered': {
    world: world(),
    actions: [start(), activate(), { kind: 'passCallback', handle: 'h1', callback: 'cb1' }, { kind: 'invokeCallback', callback: 'cb1' }],
  },
  'first-ping-late': { world: world(), actions: [start(), activate()] },
  'unmarshal-set-per-process': {
    world: world(),
    actions: [start('p1'), start('p2'), activate('p1', 'h1'), { kind: 'handOver', handle: 'h1', process: 'p2', newHandle: 'h2' }],
  },
  'release-drops-shared': {
    world: world(),
    actions: [start(), activate('p1', 'h1'), { kind: 'queryInterface', handle: 'h1', newHandle: 'h2', iid: 'ITest' }, { kind: 'release', handle: 'h1' }],
  },
  'exporter-counts-per-set': {
    world: world(),
    actions: [start('p1'), start('p2', 'client2'), shared('p1', 'h1'), shared('p2', 'h2'), advance(), { kind: 'release', handle: 'h1' }],
  },
  'stale-seq-per-object': {
    world: world(),
    actions: [start('p1'), shared('p1', 'h1'), advance(), { kind: 'abandon', process: 'p1' }, advance(), start('p2'), shared('p2', 'h2')],
  },
  'receiver-never-pings': {
    world: world(),
    actions: [start('p1'), start('p2', 'client2'), activate('p1', 'h1'), { kind: 'handOver', handle: 'h1', process: 'p2', newHandle: 'h2' }, { kind: 'release', handle: 'h1' }],
  },
  'invalid-set-kept': {
    world: world(),
    actions: [start(), activate('p1', 'h1'), advance(), { kind: 'partition', machine: 'client1' }, advance(4 * P), { kind: 'heal', machine: 'client1' }],
  },
};

const untrusted = (w: World) => void (w.machines.client1.trust = 'untrusted');

/** The known minimal counterexamples of the NT4 releases (docs/power.md). */
export const RELEASE_SCENARIOS = {
  /** Q224837: an unauthenticated client activates with COAUTHINFO and ends: pings forever. */
  q224837PingsForever: { world: world(), actions: [start('p1', 'client1', false), activate('p1', 'h1', true), { kind: 'exit', process: 'p1' }] },
  /** Q224837: an unauthenticated client activates with COAUTHINFO: run down at 360 s while held. */
  q224837EarlyRundown: { world: world(), actions: [start('p1', 'client1', false), activate('p1', 'h1', true)] },
  /** Q184278: a client in an untrusted domain, no COAUTHINFO, no blanket: disconnected after ~9 min. */
  q184278Untrusted: { world: world(untrusted), actions: [start(), activate()] },
  /** Q224837: the server never credits the object's pings, so once its client is cut off it goes early. */
  q224837CutOff: { world: world(), actions: [start('p1', 'client1', false), activate('p1', 'h1', true), advance(P), { kind: 'partition', machine: 'client1' }] },
  /** Q184278: the server stops counting an untrusted client's pings; cut off, the object goes early. */
  q184278CutOff: { world: world(untrusted), actions: [start(), activate(), advance(4 * P), { kind: 'partition', machine: 'client1' }] },
  /** Q255890: SYSTEM denied on the client machine, a callback hangs over UDP. */
  q255890Udp: { world: world((w) => (denySystem(w), udp(w))), actions: [start(), activate(), { kind: 'passCallback', handle: 'h1', callback: 'cb1' }] },
  /** Q255890: SYSTEM denied on the client machine, a callback returns E_OUTOFMEMORY over TCP. */
  q255890Tcp: { world: world(denySystem), actions: [start(), activate(), { kind: 'passCallback', handle: 'h1', callback: 'cb1' }] },
} satisfies Record<string, Scenario>;
