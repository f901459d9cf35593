/** Arbitraries for client process actions. */
import fc from 'fast-check';
import { AUTHN_SVC, CLIENT_MACHINES, EOAC, INTERFACES, type Action, type ActionKind, type AuthnLevel, type ClientMachine, type ImpLevel } from '../spec';
import type { ResolvedGeneratorOptions } from './options';
import { record } from './record';
import type { ActionCommand } from './command';
import { pickFrom, template } from './template';

const authnLevelArb = fc.integer({ min: 0, max: 6 }) as fc.Arbitrary<AuthnLevel>;
const impLevelArb = fc.integer({ min: 0, max: 4 }) as fc.Arbitrary<ImpLevel>;
const authnSvcArb = fc.constantFrom<number>(AUTHN_SVC.WINNT, AUTHN_SVC.NONE, AUTHN_SVC.GSS_NEGOTIATE, AUTHN_SVC.GSS_KERBEROS, AUTHN_SVC.DEFAULT);
const capabilitiesArb = fc.constantFrom<number>(EOAC.NONE, EOAC.SECURE_REFS, EOAC.STATIC_CLOAKING, EOAC.DYNAMIC_CLOAKING, EOAC.MUTUAL_AUTH);
const identityArb = fc.constantFrom('alice', 'bob', 'svc-account');
/** Shared instances: two names, the first three times in four, so activations meet the same object often. */
const instanceArb = fc.oneof({ weight: 3, arbitrary: fc.constant('s1') }, { weight: 1, arbitrary: fc.constant('s2') });
const pick = fc.nat({ max: 7 });

function otherMachine(m: ClientMachine): ClientMachine {
  return m === CLIENT_MACHINES[0] ? CLIENT_MACHINES[1] : CLIENT_MACHINES[0];
}

/** A template acting on the pick-th live process. */
function onProcess<K extends 'initSecurity' | 'exit' | 'abandon' | 'crash'>(
  kind: K,
  rest?: fc.Arbitrary<Omit<Extract<Action, { kind: K }>, 'kind' | 'process'>>,
): fc.Arbitrary<ActionCommand> {
  const on = (n: number, r?: object) =>
    template(kind, (m) => {
      const process = pickFrom(m.liveProcesses(), n);
      return process === undefined ? undefined : ({ kind, process, ...r } as Action);
    });
  // Without parameters the pick is drawn alone: the same draws as a tuple with a constant,
  // one layer fewer.
  return rest ? fc.tuple(pick, rest).map(([n, r]) => on(n, r)) : pick.map((n) => on(n));
}

/** A template acting on the pick-th live proxy. */
function onHandle<K extends ActionKind>(
  kind: K,
  rest?: fc.Arbitrary<Record<string, unknown>>,
  fresh?: { field: string; prefix: string },
): fc.Arbitrary<ActionCommand> {
  const on = (n: number, r?: object) =>
    template(kind, (m) => {
      const handle = pickFrom(m.liveHandles(), n);
      if (handle === undefined) return undefined;
      const extra = fresh ? { [fresh.field]: m.fresh(fresh.prefix) } : {};
      return { kind, handle, ...r, ...extra } as Action;
    });
  return rest ? fc.tuple(pick, rest).map(([n, r]) => on(n, r)) : pick.map((n) => on(n));
}

export function clientArbs(o: ResolvedGeneratorOptions): Partial<Record<ActionKind, fc.Arbitrary<ActionCommand>>> {
  return {
    // Two times in three a new process is placed by a live one, half the time on its machine
    // and half the time on the other: a machine's resolver pings for all its processes in one
    // set, which is where ping-set bookkeeping (adds and deletes of one process among
    // another's, sequence numbers) gets exercised, and objects held from both machines are in
    // two sets, which is where the exporter's counting does.
    start: record({
      machine: fc.constantFrom(...CLIENT_MACHINES),
      join: fc.option(pick, { freq: 3 }),
      apart: fc.boolean(),
      identity: identityArb,
      authenticated: fc.boolean(),
    }).map(({ machine, join, apart, ...r }) =>
      template('start', (m) => {
        if (m.processes.size >= o.maxProcesses) return undefined;
        const beside = join === null ? undefined : pickFrom(m.liveProcesses(), join);
        const near = beside === undefined ? machine : m.processes.get(beside)!.machine;
        return { kind: 'start', process: m.fresh('p'), machine: beside !== undefined && apart ? otherMachine(near) : near, ...r };
      }),
    ),
    initSecurity: onProcess('initSecurity', record({ authnLevel: authnLevelArb, impLevel: impLevelArb, capabilities: capabilitiesArb })),
    activate: fc
      .tuple(
        pick,
        record({
          clsctx: fc.constantFrom<'local' | 'remote'>('remote', 'local'),
          serverInfo: fc.boolean(),
          authInfo: fc.option(record({ authnSvc: authnSvcArb, authnLevel: authnLevelArb, impLevel: impLevelArb, identity: identityArb }), {
            nil: null,
            freq: 2,
          }),
        }),
      )
      .map(([n, r]) =>
        template('activate', (m) => {
          const process = pickFrom(m.liveProcesses(), n);
          return process === undefined ? undefined : { kind: 'activate', process, handle: m.fresh('h'), ...r };
        }),
      ),
    activateShared: fc.tuple(pick, instanceArb).map(([n, instance]) =>
      template('activateShared', (m) => {
        const process = pickFrom(m.liveProcesses(), n);
        return process === undefined ? undefined : { kind: 'activateShared', process, handle: m.fresh('h'), instance };
      }),
    ),
    // The receiver is picked among the live processes other than the holder; a proxy to a
    // client machine's own local server stays on that machine (the world joins client
    // machines to the server machine only).
    handOver: fc.tuple(pick, pick).map(([n, k]) =>
      template('handOver', (m) => {
        const handle = pickFrom(m.liveHandles(), n);
        if (handle === undefined) return undefined;
        const h = m.handles.get(handle)!;
        const machine = m.processes.get(h.process)!.machine;
        const process = pickFrom(m.liveProcesses().filter((p) => p !== h.process && (!h.local || m.processes.get(p)!.machine === machine)), k);
        return process === undefined ? undefined : { kind: 'handOver', handle, process, newHandle: m.fresh('h') };
      }),
    ),
    setBlanket: onHandle(
      'setBlanket',
      record({
        target: fc.constantFrom<'interface' | 'iunknown'>('interface', 'iunknown'),
        authnSvc: authnSvcArb,
        authnLevel: authnLevelArb,
        impLevel: impLevelArb,
        capabilities: capabilitiesArb,
      }),
    ),
    queryInterface: onHandle('queryInterface', record({ iid: fc.constantFrom(...INTERFACES) }), { field: 'newHandle', prefix: 'h' }),
    addRef: onHandle('addRef'),
    release: onHandle('release'),
    call: onHandle('call'),
    passCallback: onHandle('passCallback', undefined, { field: 'callback', prefix: 'cb' }),
    exit: onProcess('exit'),
    abandon: onProcess('abandon'),
    crash: onProcess('crash'),
  };
}
