/**
 * What the client side of a run looks like at each moment, rebuilt from the trace alone:
 * which processes live, which proxies (handles) they hold on which objects, the machine
 * configuration, partitions, and each ping set as its client sees it. Checkers read it while
 * one pass walks the trace.
 */
import {
  OR,
  SERVER_MACHINE,
  cloneWorld,
  isSuccess,
  transportBetween,
  type Action,
  type ActionEvent,
  type ClientMachine,
  type CompletedEvent,
  type HungEvent,
  type MachineId,
  type ObjectId,
  type PingEvent,
  type ProcessId,
  type ReclaimCause,
  type Trace,
  type TraceEvent,
  type Transport,
  type World,
} from '../spec';

/** No set keys (nobody modifies it). */
const NO_KEYS: ReadonlySet<string> = new Set();

/** The shared empty list of a ping with no re-adds or strangers (nobody modifies it). */
const NONE: readonly ObjectId[] = [];

export const SERVER_HOLDER = '<server>';

export type DropKind = 'release' | 'exit' | 'abandon' | 'crash' | 'server-release' | 'server-crash';

export interface HandleInfo {
  handle: string;
  holder: ProcessId;
  machine: MachineId;
  oid: ObjectId;
  exporter: MachineId;
  createdAt: number;
  refs: number;
  droppedAt?: number;
  dropKind?: DropKind;
  /** The drop gave the reference back with a RemRelease that could reach the exporter. */
  returned?: boolean;
  /** How the reference came to be: 'coauthinfo', 'blanket', 'unauthenticated', 'shared', 'handed', ... */
  tags: Set<string>;
  /** Step of the action that created the handle. */
  step: number;
}

export interface ObjectInfo {
  oid: ObjectId;
  exporter: MachineId;
  kind: 'server' | 'local' | 'callback';
  /** For a callback object: the client process that exported it. */
  exporterProcess?: ProcessId;
  /** For a shared instance: its name. */
  instance?: string;
  createdAt: number;
  handles: HandleInfo[];
  reclaimedAt?: number;
  cause?: ReclaimCause;
  /**
   * Last sign of life the exporter had, as far as it has been written down: creation, a ping
   * naming it, a set it left. Pings of a set it is still in count too: ask
   * `RunState.lastAlive`, which adds them.
   */
  lastAlive: number;
  /**
   * When the exporter last handed a reference out: created the object, or gave a holder
   * another reference (a shared activation, a hand-over's RemAddRef). Each gives the object a
   * full set timeout in which its new holder's machine pings it.
   */
  handedOutAt: number;
  /** Per client machine, the last time its resolver told the exporter about the object outside a set it is in (a delete, a set it left). */
  heardFrom?: Map<MachineId, number>;
  /** Every time written down in `lastAlive` (deletes, sets left, hand-outs), in trace order. */
  heard?: number[];
}

export interface ProcessInfo {
  id: ProcessId;
  machine: ClientMachine;
  authenticated: boolean;
  startedAt: number;
  endedAt?: number;
  endKind?: 'exit' | 'abandon' | 'crash';
  exitedAt?: number;
}

/** A ping set as its client sees it. */
export interface ClientPingSet {
  from: MachineId;
  to: MachineId;
  setId: string;
  oids: Set<ObjectId>;
  lastSeq: number;
  lastPingAt: number;
}

export interface StepInfo {
  step: number;
  at: number;
  action: Action;
  settle: boolean;
  result?: CompletedEvent | HungEvent;
}

interface LiveCount {
  count: number;
  lastDropAt: number;
  lastDropStep: number;
}

function unreachable(x: never): never {
  throw new Error(`unhandled trace event ${JSON.stringify(x)}`);
}

/** `>machine`: the live-count key of everything a machine exports, one string per machine. */
const exporterKeys = new Map<MachineId, string>();
function exporterKey(m: MachineId): string {
  let key = exporterKeys.get(m);
  if (key === undefined) exporterKeys.set(m, (key = `>${m}`));
  return key;
}

/** Index of the last interval starting at or before `at` in a list ordered by start; -1 if none. */
function lastStartingBy(list: ReadonlyArray<readonly [number, number]>, at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid][0] <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function linkKey(a: MachineId, b: MachineId): ClientMachine | null {
  if (a === b) return null;
  return (a === SERVER_MACHINE ? b : a) as ClientMachine;
}

export class RunState {
  /** Time of the event being observed. */
  now = 0;
  /** Latest time the trace covers: an advance covers its whole span even if nothing happened. */
  end = 0;
  readonly world: World;
  readonly processes = new Map<ProcessId, ProcessInfo>();
  readonly handles = new Map<string, HandleInfo>();
  readonly objects = new Map<ObjectId, ObjectInfo>();
  readonly steps: StepInfo[] = [];
  /** Partition intervals per client machine: [from, to), `to` Infinity while cut. */
  readonly partitions = new Map<ClientMachine, Array<[number, number]>>();
  readonly pingSets = new Map<string, ClientPingSet>();
  /** Times the server process crashed, in trace order. */
  readonly serverCrashes: number[] = [];
  /** The action event of each step. */
  readonly actionEvents: ActionEvent[] = [];
  /** Every handle each holder got, in the order it got them. */
  private readonly heldBy = new Map<ProcessId, HandleInfo[]>();
  /** Per client and exporter machine, the sets (by key) that hold objects as their client sees them. */
  private readonly holding = new Map<MachineId, Map<MachineId, Set<string>>>();
  /**
   * Live handles and the last drop, per holder machine and object (`oid`) and per holder
   * machine and exporter (`>server`). Nested maps: PING-TERMINATION asks for every OID of
   * every ping, and building a string key per question was a third of judging a long trace.
   */
  private readonly live = new Map<MachineId, Map<string, LiveCount>>();
  /** Handles dropped by the event just observed. */
  dropped: HandleInfo[] = [];
  /** The server will fault the RemRelease(s) of the next releasing action. */
  private releaseFault: 'armed' | 'hit' | null = null;
  /** For a ping event just observed: the set it keeps alive as the client claims it. */
  claimed: Set<ObjectId> | null = null;
  /**
   * For a ping event just observed on a set the client knew: the last sequence number it had
   * sent on it before this ping; null for a set it did not know (or a creation).
   */
  previousSeq: number | null = null;
  /**
   * For a ping event just observed (not a duplicate): the key, `from>to>setId`, of the set it
   * names (the new set's for a creation), as `pingSets` files it; null when it names none.
   * The same string for every ping of a set, so maps keyed by it look it up fast.
   */
  pingKey: string | null = null;
  /** For a ping on a known set: its adds that were members already, and its dels that were not. */
  readded: readonly ObjectId[] = NONE;
  strangers: readonly ObjectId[] = NONE;
  /**
   * The ping sets (by key) each object is in. A ping credits its whole set, and crediting
   * every member on every ping made judging quadratic once sets held hundreds of objects;
   * the credit is read from the set's last ping when asked instead (`lastAlive`).
   */
  private readonly memberOf = new Map<ObjectId, Set<string>>();
  /**
   * Members of each set (by key) that its client machine no longer references: the only ones
   * PING-TERMINATION must look at on a ping, kept up to date as references and sets change.
   */
  private readonly unreferencedIn = new Map<string, Set<ObjectId>>();
  /** Key of the set the ping just observed was filed under, if it was. */
  private filedUnder: string | null = null;
  /** When each object was in which set (client's view), for questions about spans of the run. */
  private readonly stays = new Map<ObjectId, Array<{ key: string; from: number; to: number }>>();
  /** Times of the accepted pings of each set, in order. */
  private readonly pingTimes = new Map<string, number[]>();

  constructor(readonly trace: Trace) {
    this.world = cloneWorld(trace.world);
  }

  // --- queries ---------------------------------------------------------------------------

  /**
   * The process that exported the object has died since it made it (a server crash, or the
   * end of the client process that exported a callback): its endpoint is gone, so a call
   * on the object may fail as a call to a dead server does, whatever reclaimed it first.
   */
  exporterDied(obj: ObjectInfo, at = this.now): boolean {
    if (obj.kind === 'server') return this.serverCrashes.some((t) => t >= obj.createdAt && t <= at);
    const p = obj.exporterProcess === undefined ? undefined : this.processes.get(obj.exporterProcess);
    return p?.endedAt !== undefined && p.endedAt <= at;
  }

  isPartitioned(a: MachineId, b: MachineId, at = this.now): boolean {
    return this.cutAt(a, b, at) !== undefined;
  }

  /** The partition interval cutting the link between two machines at a time, if any. */
  cutAt(a: MachineId, b: MachineId, at = this.now): [number, number] | undefined {
    const key = linkKey(a, b);
    if (!key) return undefined;
    const list = this.partitions.get(key);
    if (!list) return undefined;
    const i = lastStartingBy(list, at);
    return i >= 0 && at < list[i][1] ? list[i] : undefined;
  }

  /** The partition intervals of the link between two machines, in order ([from, to), to Infinity while cut). */
  cutsOf(a: MachineId, b: MachineId): ReadonlyArray<readonly [number, number]> {
    const key = linkKey(a, b);
    return (key && this.partitions.get(key)) || [];
  }

  /** Whether the link between two machines was up during the whole of [from, to]. */
  linkUpThroughout(a: MachineId, b: MachineId, from: number, to: number): boolean {
    const key = linkKey(a, b);
    if (!key) return true;
    const list = this.partitions.get(key);
    if (!list) return true;
    // Intervals are disjoint and in order: the last one starting by `to` ends last of those.
    const i = lastStartingBy(list, to);
    return !(i >= 0 && list[i][1] > from);
  }


  transport(a: MachineId, b: MachineId): Transport {
    return transportBetween(this.world.machines[a], this.world.machines[b]);
  }

  liveHandles(oid: ObjectId): HandleInfo[] {
    return (this.objects.get(oid)?.handles ?? []).filter((h) => h.droppedAt === undefined);
  }

  processAlive(id: ProcessId): boolean {
    if (id === SERVER_HOLDER) return true;
    const p = this.processes.get(id);
    return !!p && p.endedAt === undefined;
  }

  /**
   * Since when `machine` has held no reference to `oid` (or, with `to`, to anything exported
   * by that machine); undefined while it still holds one or never held any.
   */
  unreferencedSince(machine: MachineId, target: { oid: ObjectId } | { to: MachineId }): { at: number; step: number } | undefined {
    const entry = this.live.get(machine)?.get('oid' in target ? target.oid : exporterKey(target.to));
    if (!entry || entry.count > 0) return undefined;
    return { at: entry.lastDropAt, step: entry.lastDropStep };
  }

  private count(machine: MachineId, key: string, delta: number, step: number): void {
    let byKey = this.live.get(machine);
    if (!byKey) this.live.set(machine, (byKey = new Map()));
    let entry = byKey.get(key);
    // Watched: known to the machine and not referenced now (what unreferencedSince answers).
    const wasWatched = entry !== undefined && entry.count <= 0;
    if (!entry) byKey.set(key, (entry = { count: 0, lastDropAt: 0, lastDropStep: -1 }));
    entry.count += delta;
    if (delta < 0) {
      entry.lastDropAt = this.now;
      entry.lastDropStep = step;
    }
    // An object's last reference on this machine ends, or one comes back: the watch lists of
    // the machine's sets that hold it follow (keys of objects never start with '>').
    if (key.startsWith('>') || wasWatched === entry.count <= 0) return;
    for (const k of this.memberOf.get(key) ?? []) {
      if (this.pingSets.get(k)?.from !== machine) continue;
      if (entry.count > 0) this.unreferencedIn.get(k)?.delete(key);
      else this.watch(k).add(key);
    }
  }

  /** Whether more than one process has held references to `oid`. */
  sharedObject(oid: ObjectId): boolean {
    const handles = this.objects.get(oid)?.handles;
    if (!handles || handles.length < 2) return false;
    return handles.some((h) => h.holder !== handles[0].holder);
  }

  /** Whether some process on `machine` holds a reference to `oid` now. */
  heldOn(machine: MachineId, oid: ObjectId): boolean {
    return (this.live.get(machine)?.get(oid)?.count ?? 0) > 0;
  }

  handleOf(name: string): HandleInfo | undefined {
    const h = this.handles.get(name);
    return h && h.droppedAt === undefined ? h : undefined;
  }

  // --- the pass ----------------------------------------------------------------------------

  observe(e: TraceEvent): void {
    this.now = Math.max(this.now, e.at);
    this.end = Math.max(this.end, e.kind === 'action' && e.action.kind === 'advance' ? e.at + e.action.ms : e.at);
    // Most events drop nothing: a fresh list only after one that did (checkers never keep it).
    if (this.dropped.length > 0) this.dropped = [];
    this.claimed = null;
    this.previousSeq = null;
    this.pingKey = null;
    this.readded = this.strangers = NONE;
    this.filedUnder = null;
    switch (e.kind) {
      case 'action':
        return this.onAction(e);
      case 'completed':
      case 'hung':
        return this.onResult(e);
      case 'ping':
        return this.onPing(e);
      case 'reclaimed': {
        const obj = this.objects.get(e.oid);
        if (obj && obj.reclaimedAt === undefined) {
          obj.reclaimedAt = e.at;
          obj.cause = e.cause;
        }
        return;
      }
      case 'processExit': {
        const p = this.processes.get(e.process);
        if (p && p.exitedAt === undefined) p.exitedAt = e.at;
        return;
      }
      case 'callbackDelivered':
      case 'note':
        return;
      default:
        return unreachable(e);
    }
  }

  private currentStep = -1;

  private onAction(e: ActionEvent): void {
    this.applyAction(e);
    if (this.releaseFault === 'hit') this.releaseFault = null;
  }

  private applyAction(e: ActionEvent): void {
    this.steps[e.step] = { step: e.step, at: e.at, action: e.action, settle: !!e.settle };
    this.actionEvents[e.step] = e;
    this.currentStep = e.step;
    const a = e.action;
    switch (a.kind) {
      case 'setAccess':
        this.world.machines[a.machine].access = a.access;
        return;
      case 'setProtocols':
        this.world.machines[a.machine].protocols = a.protocols;
        return;
      case 'setTrust':
        this.world.machines[a.machine].trust = a.trust;
        return;
      case 'partition': {
        const list = this.partitions.get(a.machine) ?? [];
        if (!list.some(([, to]) => to === Infinity)) list.push([e.at, Infinity]);
        this.partitions.set(a.machine, list);
        return;
      }
      case 'heal': {
        const open = (this.partitions.get(a.machine) ?? []).find(([, to]) => to === Infinity);
        if (open) open[1] = e.at;
        return;
      }
      case 'start':
        this.processes.set(a.process, { id: a.process, machine: a.machine, authenticated: a.authenticated, startedAt: e.at });
        return;
      case 'addRef': {
        const h = this.handleOf(a.handle);
        if (h) h.refs += 1;
        return;
      }
      case 'release': {
        const h = this.handleOf(a.handle);
        if (!h) return;
        h.refs -= 1;
        if (h.refs <= 0) this.drop(h, 'release');
        return;
      }
      case 'setBlanket':
        this.handleOf(a.handle)?.tags.add('blanket');
        return;
      case 'exit':
      case 'abandon':
      case 'crash': {
        const p = this.processes.get(a.process);
        if (!p || p.endedAt !== undefined) return;
        p.endedAt = e.at;
        p.endKind = a.kind;
        for (const h of this.heldBy.get(a.process) ?? []) if (h.droppedAt === undefined) this.drop(h, a.kind);
        return;
      }
      case 'releaseCallback': {
        const h = this.handleOf(`callback:${a.callback}`);
        if (h) this.drop(h, 'server-release');
        return;
      }
      case 'serverCrash':
        this.serverCrashes.push(e.at);
        for (const h of this.heldBy.get(SERVER_HOLDER) ?? []) {
          if (h.machine === SERVER_MACHINE && h.droppedAt === undefined) this.drop(h, 'server-crash');
        }
        return;
      case 'faultNextRelease':
        this.releaseFault = 'armed';
        return;
      case 'advance':
      case 'initSecurity':
      case 'activate':
      case 'activateShared':
      case 'handOver':
      case 'queryInterface':
      case 'call':
      case 'passCallback':
      case 'invokeCallback':
      case 'disconnect':
        return;
      default:
        return unreachable(a);
    }
  }

  private drop(h: HandleInfo, kind: DropKind): void {
    h.droppedAt = this.now;
    h.dropKind = kind;
    const gives = kind === 'release' || kind === 'exit' || kind === 'server-release';
    h.returned = gives && !this.isPartitioned(h.machine, h.exporter);
    if (h.returned && this.releaseFault && h.exporter === SERVER_MACHINE) {
      h.returned = false;
      this.releaseFault = 'hit';
    }
    this.dropped.push(h);
    this.count(h.machine, h.oid, -1, this.currentStep);
    this.count(h.machine, exporterKey(h.exporter), -1, this.currentStep);
  }

  /** A successful activation, QueryInterface or callback creates a handle. */
  private onResult(e: CompletedEvent | HungEvent): void {
    const info = this.steps[e.step];
    if (!info || info.result) return;
    info.result = e;
    if (e.kind !== 'completed' || !isSuccess(e.hr) || !e.oid) return;
    const a = info.action;
    if (a.kind === 'activate') {
      const p = this.processes.get(a.process);
      if (!p) return;
      const remote = a.serverInfo || a.clsctx === 'remote';
      const tags = new Set<string>([remote ? 'remote' : 'local']);
      if (!p.authenticated) tags.add('unauthenticated');
      if (a.authInfo) tags.add('coauthinfo');
      if (this.world.machines[p.machine].trust === 'untrusted') tags.add('untrusted');
      this.addHandle(a.handle, p.id, p.machine, e.oid, remote ? SERVER_MACHINE : p.machine, remote ? 'server' : 'local', tags, e.step);
    } else if (a.kind === 'activateShared') {
      const p = this.processes.get(a.process);
      if (!p) return;
      const tags = new Set<string>(['remote', 'shared']);
      if (!p.authenticated) tags.add('unauthenticated');
      if (this.world.machines[p.machine].trust === 'untrusted') tags.add('untrusted');
      this.addHandle(a.handle, p.id, p.machine, e.oid, SERVER_MACHINE, 'server', tags, e.step);
      this.objects.get(e.oid)!.instance ??= a.instance;
      // Handing out a reference is a sign of life the exporter itself gives (MS-DCOM 3.1.1.5.1).
      this.handedOut(e.oid, e.at);
    } else if (a.kind === 'handOver') {
      const from = this.handleOf(a.handle);
      const p = this.processes.get(a.process);
      if (!from || !p) return;
      const kind = this.objects.get(from.oid)?.kind ?? 'server';
      const tags = new Set<string>([from.tags.has('local') ? 'local' : 'remote', 'handed']);
      if (p.machine !== from.machine) tags.add('handed across');
      if (!p.authenticated) tags.add('unauthenticated');
      if (this.world.machines[p.machine].trust === 'untrusted') tags.add('untrusted');
      this.addHandle(a.newHandle, p.id, p.machine, e.oid, from.exporter, kind, tags, e.step);
      // The marshaller's RemAddRef reached the exporter (MS-DCOM 3.2.4.3).
      this.handedOut(e.oid, e.at);
    } else if (a.kind === 'queryInterface') {
      const from = this.handleOf(a.handle);
      if (!from) return;
      this.addHandle(a.newHandle, from.holder, from.machine, e.oid, from.exporter, 'server', new Set([...from.tags, 'qi']), e.step);
    } else if (a.kind === 'passCallback') {
      const via = this.handleOf(a.handle);
      const p = via && this.processes.get(via.holder);
      if (!via || !p) return;
      this.addHandle(`callback:${a.callback}`, SERVER_HOLDER, via.exporter, e.oid, p.machine, 'callback', new Set(['callback']), e.step);
      this.objects.get(e.oid)!.exporterProcess = p.id;
    }
  }

  private addHandle(
    handle: string,
    holder: ProcessId,
    machine: MachineId,
    oid: ObjectId,
    exporter: MachineId,
    kind: ObjectInfo['kind'],
    tags: Set<string>,
    step: number,
  ): void {
    const h: HandleInfo = { handle, holder, machine, oid, exporter, createdAt: this.now, refs: 1, tags, step };
    this.handles.set(handle, h);
    let held = this.heldBy.get(holder);
    if (!held) this.heldBy.set(holder, (held = []));
    held.push(h);
    let obj = this.objects.get(oid);
    if (!obj) {
      obj = { oid, exporter, kind, createdAt: this.now, handles: [], lastAlive: this.now, handedOutAt: this.now };
      this.objects.set(oid, obj);
    }
    obj.handles.push(h);
    this.count(machine, oid, 1, step);
    this.count(machine, exporterKey(exporter), 1, step);
  }

  /**
   * Set keys, by client, exporter and set id: the same string each time, whose hash the
   * engine keeps. Keys concatenated afresh on every ping were a fifth of judging.
   */
  private readonly keys = new Map<MachineId, Map<MachineId, Map<string, string>>>();

  /** The key, `from>to>setId`, `pingSets` files a set under: always the same string for one set. */
  keyOf(from: MachineId, to: MachineId, setId: string): string {
    let byTo = this.keys.get(from);
    if (!byTo) this.keys.set(from, (byTo = new Map()));
    let byId = byTo.get(to);
    if (!byId) byTo.set(to, (byId = new Map()));
    let key = byId.get(setId);
    if (key === undefined) byId.set(setId, (key = `${from}>${to}>${setId}`));
    return key;
  }

  private onPing(e: PingEvent): void {
    if (e.duplicate) return;
    const creating = e.type === 'complex' && (e.setId === '0' || e.setId === '');
    const id = creating ? e.newSetId : e.setId;
    const k = id === undefined ? null : this.keyOf(e.from, e.to, id);
    this.pingKey = k;
    const before = creating ? null : this.pingSets.get(k!) ?? null;
    this.previousSeq = before ? before.lastSeq : null;
    if (before && e.type === 'complex' && e.seq < before.lastSeq) {
      // Older than what the set already accepted: the exporter does nothing with it, not even
      // reset the set's timer (MS-DCOM 3.1.2.5.1.3). The set is judged by what it held at its
      // latest sequence number, whatever a stale ComplexPing adds or deletes.
      this.claimed = before.oids;
      this.filedUnder = k;
      return;
    }
    if (before) {
      if (e.adds.length) this.readded = e.adds.filter((o) => before.oids.has(o));
      if (e.dels.length) this.strangers = e.dels.filter((o) => !before.oids.has(o));
    }
    const accepted = e.status === 'ok' || e.status === OR.OR_INVALID_OID;
    // An accepted change to a known set changes its OIDs in place: copying them for every
    // ComplexPing made judging grow with set size, and sets hold hundreds in long runs. A
    // ping that changes nothing shares them; a refused one claims a copy.
    const unchanged = before !== null && e.adds.length === 0 && e.dels.length === 0;
    const base = before ? (unchanged || accepted ? before.oids : new Set(before.oids)) : new Set<ObjectId>();
    if (!unchanged) {
      for (const o of e.adds) base.add(o);
      for (const o of e.dels) base.delete(o);
    }
    this.claimed = base;
    if (!accepted) {
      if (e.status === OR.OR_INVALID_SET && before) this.dropSet(k!);
      return;
    }
    if (k === null) {
      // A set the trace never names cannot be looked up later: credit its members now.
      for (const oid of base) this.heardOf(oid, e.to, e.at, e.from);
      for (const oid of e.dels) this.heardOf(oid, e.to, e.at, e.from);
      return;
    }
    // The exporter heard from the client about these objects just now: the dels here, the
    // members through the set's last ping (see lastAlive).
    for (const oid of e.dels) this.heardOf(oid, e.to, e.at, e.from);
    this.pinged(k, e.at);
    if (before) {
      for (const o of e.dels) {
        if (this.memberOf.get(o)?.delete(k)) this.leave(o, k);
        this.unreferencedIn.get(k)?.delete(o);
      }
      for (const o of e.adds) this.join(o, k, e.from);
      // The set's record is the client's view, brought up to date in place.
      before.lastSeq = e.seq;
      before.lastPingAt = e.at;
      if (!unchanged) this.holds(e.from, e.to, k, before.oids.size > 0);
    } else {
      // Set ids may come again after an exporter restart: the old set's credit is kept.
      this.dropSet(k);
      for (const o of base) this.join(o, k, e.from);
      this.pingSets.set(k, { from: e.from, to: e.to, setId: id!, oids: base, lastSeq: e.seq, lastPingAt: e.at });
      this.holds(e.from, e.to, k, base.size > 0);
    }
    this.filedUnder = k;
  }

  private holds(from: MachineId, to: MachineId, key: string, holding: boolean): void {
    let byTo = this.holding.get(from);
    if (!byTo) this.holding.set(from, (byTo = new Map()));
    let keys = byTo.get(to);
    if (!keys) byTo.set(to, (keys = new Set()));
    if (holding) keys.add(key);
    else keys.delete(key);
  }

  /** The keys of the sets from `from` to `to` that hold objects, as their client sees them. */
  setsHolding(from: MachineId, to: MachineId): ReadonlySet<string> {
    return this.holding.get(from)?.get(to) ?? NO_KEYS;
  }

  /** Last sign of life the exporter had of an object: its own record or its sets' last pings. */
  lastAlive(obj: ObjectInfo): number {
    let at = obj.lastAlive;
    for (const k of this.memberOf.get(obj.oid) ?? []) {
      const set = this.pingSets.get(k);
      if (set && set.to === obj.exporter && set.lastPingAt > at) at = set.lastPingAt;
    }
    return at;
  }

  private join(oid: ObjectId, key: string, from: MachineId): void {
    let sets = this.memberOf.get(oid);
    if (!sets) this.memberOf.set(oid, (sets = new Set()));
    if (!sets.has(key)) {
      sets.add(key);
      let stays = this.stays.get(oid);
      if (!stays) this.stays.set(oid, (stays = []));
      stays.push({ key, from: this.now, to: Infinity });
    }
    if (this.unreferencedSince(from, { oid })) this.watch(key).add(oid);
  }

  /** The object leaves the set `key` (the caller took it out of memberOf). */
  private leave(oid: ObjectId, key: string): void {
    const stays = this.stays.get(oid);
    if (!stays) return;
    for (let i = stays.length - 1; i >= 0; i--) {
      if (stays[i].key === key && stays[i].to === Infinity) {
        stays[i].to = this.now;
        return;
      }
    }
  }

  private pinged(key: string, at: number): void {
    let times = this.pingTimes.get(key);
    if (!times) this.pingTimes.set(key, (times = []));
    times.push(at);
  }

  /**
   * The last accepted ping, in [from, to), of a set while the object was in it: what an
   * EVENTUAL-RUNDOWN judged over a span of the run needs of the sets' credit, which
   * `lastAlive` gives only as of the end. -Infinity when there is none.
   */
  lastPingHolding(oid: ObjectId, from: number, to: number): number {
    let last = -Infinity;
    for (const stay of this.stays.get(oid) ?? []) {
      const lo = Math.max(from, stay.from);
      const hi = Math.min(to, stay.to);
      const times = this.pingTimes.get(stay.key);
      if (!times || lo >= hi) continue;
      // The last ping before `hi`, by binary search: pings come in time order.
      let a = 0;
      let b = times.length;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (times[mid] < hi) a = mid + 1;
        else b = mid;
      }
      if (a > 0 && times[a - 1] >= lo && times[a - 1] > last) last = times[a - 1];
    }
    return last;
  }

  private watch(key: string): Set<ObjectId> {
    let oids = this.unreferencedIn.get(key);
    if (!oids) this.unreferencedIn.set(key, (oids = new Set()));
    return oids;
  }

  /**
   * For the ping just observed: the OIDs it claims that its machine no longer references, in
   * no particular order (all of `claimed` that unreferencedSince knows).
   */
  claimedUnreferenced(from: MachineId): Iterable<ObjectId> {
    if (this.filedUnder !== null) return this.unreferencedIn.get(this.filedUnder) ?? [];
    return [...(this.claimed ?? [])].filter((oid) => this.unreferencedSince(from, { oid }));
  }

  /** A set goes: its members keep the credit of its last ping. */
  private dropSet(key: string): void {
    const set = this.pingSets.get(key);
    if (!set) return;
    this.pingSets.delete(key);
    this.holds(set.from, set.to, key, false);
    this.unreferencedIn.delete(key);
    for (const oid of set.oids) {
      if (this.memberOf.get(oid)?.delete(key)) this.leave(oid, key);
      this.heardOf(oid, set.to, set.lastPingAt, set.from);
    }
  }

  /** The exporter `to` had news of the object from the resolver of `from` at `at`. */
  private heardOf(oid: ObjectId, to: MachineId, at: number, from: MachineId): void {
    const obj = this.objects.get(oid);
    if (!obj || obj.exporter !== to) return;
    obj.lastAlive = Math.max(obj.lastAlive, at);
    (obj.heard ??= []).push(at);
    const heard = (obj.heardFrom ??= new Map());
    heard.set(from, Math.max(heard.get(from) ?? -Infinity, at));
  }

  /** The exporter handed out another reference to the object at `at`. */
  private handedOut(oid: ObjectId, at: number): void {
    const obj = this.objects.get(oid);
    if (!obj) return;
    obj.lastAlive = Math.max(obj.lastAlive, at);
    (obj.heard ??= []).push(at);
    obj.handedOutAt = Math.max(obj.handedOutAt, at);
  }

  /**
   * The last sign of life of the object that counts for one holder: the exporter's last
   * hand-out, or the last news from the holder's own machine (its sets' pings, its deletes).
   * Another machine's pings keep the object only as long as that machine's set lives, so
   * they say nothing of when this holder's reference may be run down.
   */
  lastAliveFor(h: HandleInfo): number {
    const obj = this.objects.get(h.oid);
    if (!obj) return h.createdAt;
    let at = Math.max(obj.handedOutAt, obj.heardFrom?.get(h.machine) ?? -Infinity);
    for (const k of this.memberOf.get(obj.oid) ?? []) {
      const set = this.pingSets.get(k);
      if (set && set.from === h.machine && set.to === obj.exporter && set.lastPingAt > at) at = set.lastPingAt;
    }
    return at;
  }
}
