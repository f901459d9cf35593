/**
 * The reference DCOM world: a deterministic discrete-event simulation on a virtual clock.
 *
 * Machines run an OXID resolver each. A client machine's resolver aggregates the OIDs its
 * processes hold into one ping set per server machine and pings every period: ComplexPing
 * when the set changed, SimplePing otherwise (MS-DCOM 3.2.6.1). The exporting machine's
 * resolver keeps the sets, resets a set's timer on each ping and runs its objects down when
 * three pings are missed (3.1.2.2, 3.1.2.5.1.3, 3.1.2.6). Every fault the KB articles
 * describe, and every mutant, is a switch in `Behaviour`; with `CORRECT` this is the world
 * MS-DCOM and the KB fixes describe.
 */
import seedrandom from 'seedrandom';
import {
  CALL_TIMEOUT_MS,
  HR,
  OR,
  PING_PERIOD_MS,
  SERVER_MACHINE,
  UDP_UNREACHABLE_FAILURE_MS,
  cloneWorld,
  systemAdmitted,
  transportBetween,
  type Action,
  type ActionKind,
  type ActionOf,
  type AdapterEvent,
  type CallbackId,
  type ClientMachine,
  type HandleId,
  type MachineId,
  type ObjectId,
  type ProcessId,
  type ReclaimCause,
  type Transport,
  type World,
} from '../../spec';
import { CORRECT, type Behaviour } from './behaviour';

/** Holder id of the proxies the server process keeps (callbacks it was given). */
const SERVER_PROCESS = '<server>';

interface Process {
  id: ProcessId;
  machine: ClientMachine;
  authenticated: boolean;
  alive: boolean;
  /** CoInitializeSecurity was called, explicitly or implicitly by the first activation. */
  secured: boolean;
}

interface Proxy {
  handle: HandleId;
  holder: ProcessId;
  machine: MachineId;
  oid: ObjectId;
  refs: number;
  /** Q224837: this proxy's object is pinged under a context the server does not credit. */
  tainted: boolean;
  heldSince: number;
}

interface ExportedObject {
  oid: ObjectId;
  machine: MachineId;
  /** 'server', 'local' (a local server on a client machine) or the exporting client process. */
  exporter: string;
  refs: number;
  /** Number of server-side ping sets that contain the object. */
  setRefs: number;
  /** When an object in no ping set is run down; null while in a set or when never pinged. */
  orphanDeadline: number | null;
  /** Held from another machine, so kept alive by pings; local holders are watched locally. */
  pinged: boolean;
  alive: boolean;
  cause?: ReclaimCause;
  /** Q224837: pings never credit this object. */
  uncredited: boolean;
}

interface ClientSet {
  from: MachineId;
  to: MachineId;
  /** Per-process key when the setPerProcess mutant is on. */
  owner: string;
  setId: string | null;
  seq: number;
  /** OIDs the exporter's resolver has acknowledged as members. */
  acked: Set<ObjectId>;
  /** A ComplexPing the network will deliver again after the next ping (UDP only). */
  duplicate: { seq: number; adds: ObjectId[]; dels: ObjectId[] } | null;
}

interface ServerSet {
  id: string;
  host: MachineId;
  from: MachineId;
  oids: Set<ObjectId>;
  seq: number;
  expiresAt: number;
  /** Q184278: credited pings left for a set from an untrusted domain. */
  credits: number;
}

interface HeldCallback {
  oid: ObjectId;
  process: ProcessId;
  /** Machine of the server process that holds the callback proxy. */
  holder: MachineId;
}

type Outcome = { kind: 'ok' } | { kind: 'error'; hr: number; delayMs: number } | { kind: 'hang' };

const MACHINE_ORDER: readonly MachineId[] = ['client1', 'client2', SERVER_MACHINE];

/** What a ping set that nothing wants should hold (never modified). */
const NO_OIDS: ReadonlySet<ObjectId> = new Set();

/** What one of a machine's ping sets should hold. */
interface Wanted {
  to: MachineId;
  owner: string;
  oids: Set<ObjectId>;
}

/** A machine that wants no ping set (never modified). */
const NOTHING_WANTED: ReadonlyMap<string, Wanted> = new Map();

export class ReferenceWorld {
  private now = 0;
  private rng: () => number = Math.random;
  private world!: World;
  private out: AdapterEvent[] = [];
  private processes = new Map<ProcessId, Process>();
  private proxies = new Map<HandleId, Proxy>();
  private objects = new Map<ObjectId, ExportedObject>();
  private callbacks = new Map<CallbackId, HeldCallback>();
  private clientSets = new Map<string, ClientSet>();
  private serverSets = new Map<string, ServerSet>();
  /** OIDs a machine keeps pinging though nothing holds them (Q224837, crashKeepsOids). */
  private leaked = new Map<MachineId, Map<ObjectId, string>>();
  /** Each resolver's next ping tick, in MACHINE_ORDER. */
  private readonly nextTick = [0, 0, 0];
  private partitioned = new Set<MachineId>();
  private serverUp = false;
  /** The server faults the RemRelease(s) of the next releasing action. */
  private releaseFault: 'armed' | 'hit' | null = null;
  private counter = 0;

  constructor(private readonly behaviour: Behaviour = CORRECT) {}

  reset(seed: number, world: World): AdapterEvent[] {
    // Alea: seedrandom's ARC4 spent more setting up its state than a short run spent on
    // everything else in the simulation.
    this.rng = seedrandom.alea(String(seed));
    this.world = cloneWorld(world);
    this.now = 0;
    this.out = [];
    this.processes.clear();
    this.proxies.clear();
    this.objects.clear();
    this.callbacks.clear();
    this.clientSets.clear();
    this.serverSets.clear();
    this.leaked.clear();
    this.partitioned.clear();
    this.serverUp = false;
    this.releaseFault = null;
    this.counter = 0;
    // Each resolver's ping timer starts at its own phase, so ticks of machines interleave.
    for (let i = 0; i < MACHINE_ORDER.length; i++) this.nextTick[i] = 1 + Math.floor(this.rng() * (this.behaviour.pingPeriodMs - 1));
    return this.flush();
  }

  get time(): number {
    return this.now;
  }

  /**
   * One handler per action kind; the mapped type makes the table exhaustive at compile time.
   * (A ts-pattern match here was rebuilt on every action and cost a third of a campaign.)
   */
  private readonly handlers: { [K in ActionKind]: (a: ActionOf<K>) => void } = {
    setAccess: (a) => void (this.world.machines[a.machine].access = a.access),
    setProtocols: (a) => void (this.world.machines[a.machine].protocols = a.protocols),
    setTrust: (a) => void (this.world.machines[a.machine].trust = a.trust),
    partition: (a) => void this.partitioned.add(a.machine),
    heal: (a) => void this.partitioned.delete(a.machine),
    advance: (a) => this.runUntil(this.now + a.ms),
    start: (a) => this.start(a),
    initSecurity: (a) => this.initSecurity(a),
    activate: (a) => this.activate(a),
    setBlanket: (a) => this.setBlanket(a),
    queryInterface: (a) => this.queryInterface(a),
    addRef: (a) => void (this.proxy(a.handle).refs += 1),
    release: (a) => this.release(a.handle),
    call: (a) => this.call(a.handle),
    passCallback: (a) => this.passCallback(a),
    exit: (a) => this.end(a.process, 'exit'),
    abandon: (a) => this.end(a.process, 'abandon'),
    crash: (a) => this.end(a.process, 'crash'),
    invokeCallback: (a) => this.invokeCallback(a.callback),
    releaseCallback: (a) => this.releaseCallback(a.callback),
    disconnect: (a) => this.disconnect(a.handle),
    serverCrash: () => this.serverCrash(),
    faultNextRelease: () => void (this.releaseFault = 'armed'),
  };

  apply(action: Action): AdapterEvent[] {
    (this.handlers[action.kind] as (a: Action) => void)(action);
    if (this.releaseFault === 'hit') this.releaseFault = null;
    return this.flush();
  }

  advance(ms: number): AdapterEvent[] {
    this.runUntil(this.now + ms);
    return this.flush();
  }

  // --- client process ------------------------------------------------------------------

  private start(a: ActionOf<'start'>): void {
    this.processes.set(a.process, { id: a.process, machine: a.machine, authenticated: a.authenticated, alive: true, secured: false });
  }

  private initSecurity(a: ActionOf<'initSecurity'>): void {
    const p = this.process(a.process);
    // CoInitializeSecurity runs once per process, before any marshalling (RPC_E_TOO_LATE).
    if (p.secured) return this.complete(HR.RPC_E_TOO_LATE);
    p.secured = true;
    this.complete(HR.S_OK);
  }

  private activate(a: ActionOf<'activate'>): void {
    const p = this.process(a.process);
    p.secured = true;
    const remote = a.serverInfo || a.clsctx === 'remote';
    if (!remote) {
      const obj = this.export(p.machine, 'local', p.machine);
      this.addProxy(a.handle, p.id, p.machine, obj, false);
      return this.complete(HR.S_OK, { oid: obj.oid });
    }
    const transport = this.transport(p.machine);
    if (this.partitioned.has(p.machine)) return this.finish(this.unreachable(transport), { transport });
    this.serverUp = true;
    const obj = this.export(SERVER_MACHINE, 'server', p.machine);
    // Q224837: an unsecure client that activates securely through COAUTHINFO.
    const tainted = this.behaviour.q224837 && !p.authenticated && a.authInfo !== null;
    if (tainted) obj.uncredited = true;
    this.addProxy(a.handle, p.id, p.machine, obj, tainted);
    this.complete(HR.S_OK, { oid: obj.oid, transport });
  }

  private setBlanket(a: ActionOf<'setBlanket'>): void {
    const px = this.proxy(a.handle);
    const p = this.process(px.holder);
    const obj = this.object(px.oid);
    // Q224837: an unauthenticated client that calls through CoSetProxyBlanket.
    if (this.behaviour.q224837 && !p.authenticated && obj.machine !== px.machine && !px.tainted) {
      px.tainted = true;
      this.uncredit(obj);
    }
    this.complete(HR.S_OK);
  }

  private queryInterface(a: ActionOf<'queryInterface'>): void {
    const px = this.proxy(a.handle);
    const obj = this.object(px.oid);
    const outcome = this.reach(px, obj);
    if (outcome.kind !== 'ok') return this.finish(outcome, this.transportInfo(px, obj));
    if (a.iid === 'IMissing') return this.complete(HR.E_NOINTERFACE);
    this.addProxy(a.newHandle, px.holder, px.machine, obj, px.tainted);
    this.complete(HR.S_OK, { oid: obj.oid, ...this.transportInfo(px, obj) });
  }

  private call(handle: HandleId): void {
    const px = this.proxy(handle);
    const obj = this.object(px.oid);
    this.finish(this.reach(px, obj), this.transportInfo(px, obj));
  }

  private passCallback(a: ActionOf<'passCallback'>): void {
    const px = this.proxy(a.handle);
    const p = this.process(px.holder);
    const obj = this.object(px.oid);
    const info = this.transportInfo(px, obj);
    const outcome = this.reach(px, obj);
    if (outcome.kind !== 'ok') return this.finish(outcome, info);
    // Exporting the callback needs SYSTEM (RPCSS) to be able to call into the client (Q255890).
    let admitted = systemAdmitted(this.world.machines[p.machine].access);
    if (this.behaviour.callbackCheckSkipped) admitted = true;
    if (this.behaviour.callbackCheckInverted) admitted = !admitted;
    if (!admitted) {
      if (this.behaviour.deniedCallbackHangs) return this.finish({ kind: 'hang' }, info);
      if (this.behaviour.q255890) {
        const outcomeNt4: Outcome = info.transport === 'udp' ? { kind: 'hang' } : { kind: 'error', hr: HR.E_OUTOFMEMORY, delayMs: 0 };
        return this.finish(outcomeNt4, info);
      }
      return this.complete(HR.E_ACCESSDENIED, info);
    }
    const holderMachine = obj.machine;
    const cb = this.export(p.machine, p.id, holderMachine);
    this.addProxy(`callback:${a.callback}`, SERVER_PROCESS, holderMachine, cb, false);
    this.callbacks.set(a.callback, { oid: cb.oid, process: p.id, holder: holderMachine });
    this.complete(HR.S_OK, { oid: cb.oid, ...info });
  }

  private release(handle: HandleId): void {
    const px = this.proxy(handle);
    px.refs -= 1;
    if (px.refs <= 0) this.dropProxy(px, true);
  }

  private end(id: ProcessId, how: 'exit' | 'abandon' | 'crash'): void {
    const p = this.process(id);
    const remRelease = how === 'exit' && !this.behaviour.uninitSkipsRelease;
    for (const px of [...this.proxies.values()]) {
      if (px.holder !== id) continue;
      if (!remRelease && how === 'crash' && this.behaviour.crashKeepsOids) this.leak(px);
      this.dropProxy(px, remRelease);
    }
    p.alive = false;
    for (const obj of this.objects.values()) if (obj.exporter === id && obj.alive) this.reclaim(obj, 'process-exit');
    if (how !== 'crash' && this.behaviour.exitLingers) return;
    this.emit({ kind: 'processExit', at: this.now, process: id, machine: p.machine });
  }

  // --- server ----------------------------------------------------------------------------

  private invokeCallback(id: CallbackId): void {
    const cb = this.callbacks.get(id);
    if (!cb) throw new Error(`unknown callback ${id}`);
    const p = this.process(cb.process);
    const remote = cb.holder !== p.machine;
    const info = remote ? { transport: this.transportFor(cb.holder, p.machine) } : {};
    if (remote && this.linkDown(cb.holder, p.machine)) return this.finish(this.unreachable(info.transport!), info);
    const obj = this.object(cb.oid);
    if (!obj.alive || !p.alive) return this.complete(HR.RPC_S_SERVER_UNAVAILABLE, info);
    if (!this.behaviour.callbackNotDelivered) this.emit({ kind: 'callbackDelivered', at: this.now, callback: id, process: p.id });
    this.complete(HR.S_OK, info);
  }

  private releaseCallback(id: CallbackId): void {
    const px = this.proxies.get(`callback:${id}`);
    this.callbacks.delete(id);
    if (px) this.dropProxy(px, true);
  }

  private disconnect(handle: HandleId): void {
    const obj = this.object(this.proxy(handle).oid);
    if (obj.alive) this.reclaim(obj, 'disconnect');
  }

  private serverCrash(): void {
    if (!this.serverUp) return;
    this.serverUp = false;
    for (const obj of this.objects.values()) if (obj.exporter === 'server' && obj.alive) this.reclaim(obj, 'server-crash');
    // The server's resolver survives; the proxies the dead process held are dropped unpinged.
    for (const px of [...this.proxies.values()]) {
      if (px.holder === SERVER_PROCESS && px.machine === SERVER_MACHINE) this.dropProxy(px, false);
    }
    for (const [id, cb] of this.callbacks) if (cb.holder === SERVER_MACHINE) this.callbacks.delete(id);
  }

  // --- references ------------------------------------------------------------------------

  private export(machine: MachineId, exporter: string, holder: MachineId): ExportedObject {
    const pinged = holder !== machine;
    const obj: ExportedObject = {
      oid: `oid${++this.counter}`,
      machine,
      exporter,
      refs: 0,
      setRefs: 0,
      // An exported object nobody ever pings is run down like an expired set (3.1.2.6).
      orphanDeadline: pinged ? this.now + this.setTimeout() : null,
      pinged,
      alive: true,
      uncredited: false,
    };
    this.objects.set(obj.oid, obj);
    return obj;
  }

  private addProxy(handle: HandleId, holder: ProcessId, machine: MachineId, obj: ExportedObject, tainted: boolean): void {
    obj.refs += 1;
    this.proxies.set(handle, { handle, holder, machine, oid: obj.oid, refs: 1, tainted, heldSince: this.now });
  }

  /** The proxy goes away; with `remRelease` its reference is given back to the exporter. */
  private dropProxy(px: Proxy, remRelease: boolean): void {
    this.proxies.delete(px.handle);
    if (px.tainted) this.leak(px);
    const obj = this.object(px.oid);
    if (!remRelease) return;
    if (obj.machine !== px.machine && this.partitioned.has(this.clientSide(px.machine, obj.machine))) return;
    // A faulted RemRelease: the client forgets the proxy all the same; the reference leaks.
    // The client sends it even for an object the server has run down: it cannot know.
    if (this.releaseFault && obj.machine === SERVER_MACHINE) {
      this.releaseFault = 'hit';
      return;
    }
    if (!obj.alive) return;
    if (this.behaviour.releaseLeaksRef && obj.refs === 1) return;
    obj.refs -= 1;
    if (obj.refs === 0) this.reclaim(obj, 'release');
  }

  private leak(px: Proxy): void {
    let m = this.leaked.get(px.machine);
    if (!m) this.leaked.set(px.machine, (m = new Map()));
    m.set(px.oid, px.holder);
  }

  private uncredit(obj: ExportedObject): void {
    obj.uncredited = true;
    for (const set of this.serverSets.values()) {
      if (set.oids.delete(obj.oid)) obj.setRefs -= 1;
    }
    if (obj.setRefs === 0) obj.orphanDeadline = this.now + this.setTimeout();
  }

  private reclaim(obj: ExportedObject, cause: ReclaimCause): void {
    obj.alive = false;
    obj.cause = cause;
    obj.orphanDeadline = null;
    this.emit({ kind: 'reclaimed', at: this.now, machine: obj.machine, oid: obj.oid, cause });
  }

  // --- reachability and call outcomes ----------------------------------------------------

  /** Whether a call through this proxy reaches a live object, and how it ends if not. */
  private reach(px: Proxy, obj: ExportedObject): Outcome {
    if (obj.machine !== px.machine && this.partitioned.has(this.clientSide(px.machine, obj.machine))) {
      return this.unreachable(this.transportFor(px.machine, obj.machine));
    }
    if (obj.alive) return { kind: 'ok' };
    if (this.behaviour.callAfterReclaimHangs) return { kind: 'hang' };
    if (obj.cause === 'disconnect') {
      return this.behaviour.disconnectedCallsSucceed ? { kind: 'ok' } : { kind: 'error', hr: HR.CO_E_OBJNOTCONNECTED, delayMs: 0 };
    }
    if (obj.cause === 'server-crash') return { kind: 'error', hr: HR.RPC_S_SERVER_UNAVAILABLE, delayMs: 0 };
    return { kind: 'error', hr: HR.RPC_E_DISCONNECTED, delayMs: 0 };
  }

  /** Datagram RPC retransmits until it gives up (Q255198); a TCP connect fails at once. */
  private unreachable(transport: Transport): Outcome {
    return { kind: 'error', hr: HR.RPC_S_SERVER_UNAVAILABLE, delayMs: transport === 'udp' ? UDP_UNREACHABLE_FAILURE_MS : 0 };
  }

  private finish(outcome: Outcome, extra: { transport?: Transport } = {}): void {
    if (outcome.kind === 'hang') {
      this.runUntil(this.now + CALL_TIMEOUT_MS);
      this.emit({ kind: 'hung', at: this.now, ...extra });
      return;
    }
    if (outcome.kind === 'ok') return this.complete(HR.S_OK, extra);
    if (outcome.delayMs > 0) this.runUntil(this.now + outcome.delayMs);
    this.complete(outcome.hr, extra);
  }

  private complete(hr: number, extra: { oid?: ObjectId; transport?: Transport } = {}): void {
    this.emit({ kind: 'completed', at: this.now, hr, ...extra });
  }

  private transportInfo(px: Proxy, obj: ExportedObject): { transport?: Transport } {
    return obj.machine === px.machine ? {} : { transport: this.transportFor(px.machine, obj.machine) };
  }

  private transportFor(a: MachineId, b: MachineId): Transport {
    return transportBetween(this.world.machines[a], this.world.machines[b]);
  }

  private transport(m: ClientMachine): Transport {
    return this.transportFor(m, SERVER_MACHINE);
  }

  /** Partitions are kept per client machine; this names the client side of a link. */
  private clientSide(a: MachineId, b: MachineId): MachineId {
    return a === SERVER_MACHINE ? b : a;
  }

  private linkDown(a: MachineId, b: MachineId): boolean {
    return this.partitioned.has(this.clientSide(a, b));
  }

  // --- time --------------------------------------------------------------------------------

  private setTimeout(): number {
    return PING_PERIOD_MS * this.behaviour.missedPings;
  }

  private runUntil(target: number): void {
    for (;;) {
      const next = this.nextDue();
      if (next > target) break;
      this.now = Math.max(this.now, next);
      this.fireDue();
    }
    this.now = target;
  }

  private nextDue(): number {
    const ticks = this.nextTick;
    let next = Math.min(ticks[0], ticks[1], ticks[2]);
    if (this.behaviour.noRundown) return next;
    for (const set of this.serverSets.values()) next = Math.min(next, set.expiresAt);
    for (const obj of this.objects.values()) {
      if (obj.alive && obj.setRefs === 0 && obj.orphanDeadline !== null) next = Math.min(next, obj.orphanDeadline);
    }
    return next;
  }

  /** Client ticks first, so a ping arriving exactly at a set's deadline still counts. */
  private fireDue(): void {
    for (let i = 0; i < MACHINE_ORDER.length; i++) {
      const t = this.nextTick[i];
      if (t <= this.now) {
        this.tick(MACHINE_ORDER[i]);
        this.nextTick[i] = t + this.behaviour.pingPeriodMs;
      }
    }
    if (this.behaviour.noRundown) return;
    // Deleting the entry being visited is safe in a Map's iteration, and expiry adds none.
    for (const set of this.serverSets.values()) {
      if (set.expiresAt <= this.now) this.expire(set);
    }
    for (const obj of this.objects.values()) {
      if (obj.alive && obj.setRefs === 0 && obj.orphanDeadline !== null && obj.orphanDeadline <= this.now) this.reclaim(obj, 'rundown');
    }
  }

  private expire(set: ServerSet): void {
    this.serverSets.delete(set.id);
    for (const oid of set.oids) {
      const obj = this.object(oid);
      obj.setRefs -= 1;
      if (obj.setRefs === 0 && obj.alive) this.reclaim(obj, 'rundown');
    }
  }

  // --- pinging (client resolver side) -------------------------------------------------------

  /** OIDs each of this machine's ping sets should hold now, keyed like `clientSets`. */
  private desired(machine: MachineId): ReadonlyMap<string, Wanted> {
    // Every resolver ticks each period, most of them holding nothing: no map for those.
    let want: Map<string, Wanted> | undefined;
    const perProcess = this.behaviour.setPerProcess;
    const firstPingLate = this.behaviour.firstPingLate;
    for (const px of this.proxies.values()) {
      if (px.machine !== machine) continue;
      const obj = this.object(px.oid);
      if (obj.machine === machine) continue;
      // firstPingLate mutant: a new object is left out of pings for three periods.
      if (firstPingLate && this.now - px.heldSince < 3 * PING_PERIOD_MS) continue;
      this.want((want ??= new Map()), machine, obj.machine, perProcess ? px.holder : '', obj.oid);
    }
    const leaked = this.leaked.get(machine);
    if (leaked) for (const [oid, holder] of leaked) this.want((want ??= new Map()), machine, this.object(oid).machine, perProcess ? holder : '', oid);
    return want ?? NOTHING_WANTED;
  }

  private want(want: Map<string, Wanted>, from: MachineId, to: MachineId, owner: string, oid: ObjectId): void {
    const key = this.setKey(from, to, owner);
    let entry = want.get(key);
    if (!entry) want.set(key, (entry = { to, owner, oids: new Set() }));
    entry.oids.add(oid);
  }

  /** `${from}>${to}>` for machine-wide sets, built once per link: ticks ask for every proxy. */
  private readonly setKeys = new Map<MachineId, Map<MachineId, string>>();
  private setKey(from: MachineId, to: MachineId, owner: string): string {
    if (owner !== '') return `${from}>${to}>${owner}`;
    let byTo = this.setKeys.get(from);
    if (!byTo) this.setKeys.set(from, (byTo = new Map()));
    let key = byTo.get(to);
    if (key === undefined) byTo.set(to, (key = `${from}>${to}>`));
    return key;
  }

  private tick(machine: MachineId): void {
    // Local references need no pings: the resolver notices holders gone at its own tick.
    let held: Set<ObjectId> | undefined;
    for (const obj of this.objects.values()) {
      if (obj.machine !== machine || obj.pinged || !obj.alive || obj.refs === 0) continue;
      if (!held) {
        held = new Set();
        for (const px of this.proxies.values()) held.add(px.oid);
      }
      if (!held.has(obj.oid)) this.reclaim(obj, 'rundown');
    }
    const want = this.desired(machine);
    for (const [key, entry] of want) {
      if (!this.clientSets.has(key)) {
        this.clientSets.set(key, { from: machine, to: entry.to, owner: entry.owner, setId: null, seq: 0, acked: new Set(), duplicate: null });
      }
    }
    for (const [key, set] of this.clientSets) {
      if (set.from !== machine) continue;
      this.pingSet(set, want.get(key)?.oids ?? NO_OIDS);
      if (set.setId === null && set.acked.size === 0 && !want.has(key)) this.clientSets.delete(key);
    }
  }

  private pingSet(set: ClientSet, want: ReadonlySet<ObjectId>): void {
    const b = this.behaviour;
    if (set.setId === null) {
      if (want.size === 0) return;
      const adds = [...want];
      const reply = this.sendPing(set, 'complex', '0', 1, adds, []);
      if (reply.status === 'ok' || reply.status === OR.OR_INVALID_OID) {
        set.setId = reply.newSetId!;
        set.seq = 1;
        set.acked = new Set(adds);
      }
      return;
    }
    let adds: ObjectId[] = [];
    for (const o of want) if (!set.acked.has(o)) adds.push(o);
    const dels: ObjectId[] = [];
    if (!b.neverDelFromSet) for (const o of set.acked) if (!want.has(o)) dels.push(o);
    if (adds.length === 0 && dels.length === 0) {
      if (set.acked.size === 0 && !b.emptySetsKept) {
        set.setId = null;
        return;
      }
      const reply = this.sendPing(set, 'simple', set.setId, set.seq, [], []);
      if (reply.status === OR.OR_INVALID_SET) this.forgetSet(set);
      return;
    }
    if (b.readdEverything) adds = [...want];
    const seq = b.seqFrozen ? set.seq : set.seq + 1;
    const reply = this.sendPing(set, 'complex', set.setId, seq, adds, dels);
    if (reply.status === OR.OR_INVALID_SET) return this.forgetSet(set);
    if (reply.status !== 'ok' && reply.status !== OR.OR_INVALID_OID) return;
    set.seq = seq;
    for (const o of adds) set.acked.add(o);
    for (const o of dels) set.acked.delete(o);
    // A set emptied by DelFromSet is forgotten: nothing is left to keep alive.
    if (set.acked.size === 0 && !b.emptySetsKept) set.setId = null;
  }

  private forgetSet(set: ClientSet): void {
    set.setId = null;
    set.seq = 0;
    set.acked = new Set();
  }

  private sendPing(
    set: ClientSet,
    type: 'simple' | 'complex',
    setId: string,
    seq: number,
    adds: ObjectId[],
    dels: ObjectId[],
  ): { status: 'ok' | 'lost' | number; newSetId?: string } {
    const reply: { status: 'ok' | 'lost' | number; newSetId?: string } = this.linkDown(set.from, set.to)
      ? { status: 'lost' }
      : this.receivePing(set.to, set.from, type, setId, seq, adds, dels);
    this.emit({ kind: 'ping', at: this.now, from: set.from, to: set.to, type, setId, seq, adds, dels, status: reply.status, ...(reply.newSetId ? { newSetId: reply.newSetId } : {}) });
    // A datagram held up in the network arrives after the next ComplexPing of its set.
    const late = type === 'complex' ? set.duplicate : null;
    if (late) set.duplicate = null;
    if (late && set.setId !== null && !this.linkDown(set.from, set.to)) {
      const r = this.receivePing(set.to, set.from, 'complex', set.setId, late.seq, late.adds, late.dels);
      this.emit({ kind: 'ping', at: this.now, from: set.from, to: set.to, type: 'complex', setId: set.setId, seq: late.seq, adds: late.adds, dels: late.dels, status: r.status, duplicate: true });
    }
    if (type === 'complex' && setId !== '0' && reply.status === 'ok' && this.transportFor(set.from, set.to) === 'udp' && this.rng() < 0.5) {
      set.duplicate = { seq, adds, dels };
    }
    return reply;
  }

  // --- pinging (exporter resolver side, MS-DCOM 3.1.2.5.1) -----------------------------------

  private receivePing(
    host: MachineId,
    from: MachineId,
    type: 'simple' | 'complex',
    setId: string,
    seq: number,
    adds: ObjectId[],
    dels: ObjectId[],
  ): { status: 'ok' | number; newSetId?: string } {
    if (type === 'simple') {
      const set = this.serverSets.get(setId);
      if (!set || set.host !== host) return { status: OR.OR_INVALID_SET };
      if (!this.behaviour.simplePingIgnored) this.credit(set);
      return { status: 'ok' };
    }
    if (setId === '0') {
      const set: ServerSet = { id: `set${++this.counter}`, host, from, oids: new Set(), seq, expiresAt: 0, credits: 2 };
      this.serverSets.set(set.id, set);
      for (const oid of adds) this.addToSet(set, oid); // unknown OIDs are skipped on a new set
      this.credit(set);
      return { status: 'ok', newSetId: set.id };
    }
    const set = this.serverSets.get(setId);
    if (!set || set.host !== host) return { status: OR.OR_INVALID_SET };
    if (set.seq > seq && !this.behaviour.staleSeqApplied) return { status: 'ok' };
    let status: 'ok' | number = 'ok';
    for (const oid of adds) if (!this.addToSet(set, oid)) status = OR.OR_INVALID_OID;
    for (const oid of dels) {
      if (!set.oids.delete(oid)) continue;
      const obj = this.objects.get(oid);
      if (!obj) continue;
      obj.setRefs -= 1;
      // Deleted from its last set while references remain: run down after a full timeout.
      if (obj.setRefs === 0 && obj.alive) obj.orphanDeadline = this.now + this.setTimeout();
    }
    this.credit(set);
    set.seq = seq;
    return { status };
  }

  /** False when the OID is not an object this resolver knows. */
  private addToSet(set: ServerSet, oid: ObjectId): boolean {
    const obj = this.objects.get(oid);
    if (!obj || !obj.alive || obj.machine !== set.host) return false;
    if (obj.uncredited || set.oids.has(oid)) return true;
    set.oids.add(oid);
    obj.setRefs += 1;
    obj.orphanDeadline = null;
    return true;
  }

  private credit(set: ServerSet): void {
    if (this.behaviour.q184278 && set.host === SERVER_MACHINE && set.from !== SERVER_MACHINE) {
      if (this.world.machines[set.from].trust === 'untrusted') {
        if (set.credits === 0) return;
        set.credits -= 1;
      }
    }
    set.expiresAt = this.now + this.setTimeout();
  }

  // --- plumbing ------------------------------------------------------------------------------

  private emit(e: AdapterEvent): void {
    this.out.push(e);
  }

  private flush(): AdapterEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  private process(id: ProcessId): Process {
    const p = this.processes.get(id);
    if (!p) throw new Error(`unknown process ${id}`);
    return p;
  }

  private proxy(handle: HandleId): Proxy {
    const px = this.proxies.get(handle);
    if (!px) throw new Error(`unknown handle ${handle}`);
    return px;
  }

  private object(oid: ObjectId): ExportedObject {
    const obj = this.objects.get(oid);
    if (!obj) throw new Error(`unknown object ${oid}`);
    return obj;
  }
}
