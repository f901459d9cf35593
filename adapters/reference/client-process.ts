/**
 * Client processes and the proxies they hold (MS-DCOM 3.2.4): activation, CoSetProxyBlanket,
 * QueryInterface (3.2.4.4.3), calls, AddRef, Release (RemRelease of every reference the
 * proxy holds once the application lets go, 3.2.4.4.2), passing a callback object, and the
 * three ways a program ends: CoUninitialize releases every proxy; an exit without it, or a
 * crash, releases nothing, and the machine's resolver drops the process's OIDs at its next
 * tick (dcom-facts 1.6).
 */
import {
  HR,
  SERVER_MACHINE,
  systemAdmitted,
  type ActionOf,
  type ClientMachine,
  type HandleId,
  type MachineId,
  type ObjectId,
  type ProcessId,
} from '../../spec';
import type { ClientResolver } from './client-resolver';
import type { Sim } from './context';
import type { Network, Outcome } from './network';
import type { ExportedObject, Exporter } from './server-object';
import type { ServerResolver } from './server-resolver';

/** Holder id of the proxies the server process keeps (callbacks it was given). */
export const SERVER_PROCESS = '<server>';

export interface Process {
  id: ProcessId;
  machine: ClientMachine;
  authenticated: boolean;
  alive: boolean;
  /** CoInitializeSecurity was called, explicitly or implicitly by the first activation. */
  secured: boolean;
}

export interface Proxy {
  handle: HandleId;
  holder: ProcessId;
  machine: MachineId;
  oid: ObjectId;
  refs: number;
  /** Q224837: this proxy's object is pinged under a context the server does not credit. */
  tainted: boolean;
  heldSince: number;
  /** Unmarshalled from a pointer another process handed over. */
  handed: boolean;
  /** Order of creation among the run's proxies. */
  serial: number;
}

/** A callback object a client process exported, as the server process holds it. */
export interface HeldCallback {
  oid: ObjectId;
  process: ProcessId;
  /** Machine of the server process that holds the callback proxy. */
  holder: MachineId;
}

export class Clients {
  readonly processes = new Map<ProcessId, Process>();
  /** Proxies made so far in this run. */
  private made = 0;

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly exporter: Exporter,
    private readonly exporterResolver: ServerResolver,
    /** Every process's proxies, the server process's included; the resolvers read them. */
    readonly proxies: Map<HandleId, Proxy>,
  ) {}

  /** Set once the resolvers exist (they read the proxies this keeps). */
  resolver!: ClientResolver;

  reset(): void {
    this.processes.clear();
    this.proxies.clear();
    this.made = 0;
  }

  start(a: ActionOf<'start'>): void {
    this.processes.set(a.process, { id: a.process, machine: a.machine, authenticated: a.authenticated, alive: true, secured: false });
  }

  initSecurity(a: ActionOf<'initSecurity'>): void {
    const p = this.process(a.process);
    // CoInitializeSecurity runs once per process, before any marshalling (RPC_E_TOO_LATE).
    if (p.secured) return this.network.complete(HR.RPC_E_TOO_LATE);
    p.secured = true;
    this.network.complete(HR.S_OK);
  }

  activate(a: ActionOf<'activate'>): void {
    const p = this.process(a.process);
    p.secured = true;
    const remote = a.serverInfo || a.clsctx === 'remote';
    const network = this.network;
    if (!remote) {
      const obj = this.exporter.export(p.machine, 'local', p.machine);
      this.addProxy(a.handle, p.id, p.machine, obj, false);
      return network.complete(HR.S_OK, { oid: obj.oid });
    }
    const transport = network.transportFor(p.machine, SERVER_MACHINE);
    if (network.linkDown(p.machine, SERVER_MACHINE)) return network.finish(network.unreachable(transport), { transport });
    this.exporter.serverUp = true;
    const obj = this.exporter.export(SERVER_MACHINE, 'server', p.machine);
    // Q224837: an unsecure client that activates securely through COAUTHINFO.
    const tainted = this.sim.behaviour.q224837 && !p.authenticated && a.authInfo !== null;
    if (tainted) obj.uncredited = true;
    this.addProxy(a.handle, p.id, p.machine, obj, tainted);
    network.complete(HR.S_OK, { oid: obj.oid, transport });
  }

  /** Activation of the server's shared instance: the live one if there is one, else a new one. */
  activateShared(a: ActionOf<'activateShared'>): void {
    const p = this.process(a.process);
    p.secured = true;
    const network = this.network;
    const transport = network.transportFor(p.machine, SERVER_MACHINE);
    if (network.linkDown(p.machine, SERVER_MACHINE)) return network.finish(network.unreachable(transport), { transport });
    this.exporter.serverUp = true;
    const obj = this.exporter.sharedInstance(a.instance, p.machine);
    this.addProxy(a.handle, p.id, p.machine, obj, false);
    network.complete(HR.S_OK, { oid: obj.oid, transport });
  }

  /**
   * CoMarshalInterface in the holder, CoUnmarshalInterface in `a.process`. A proxy holds one
   * public reference here, so marshaling asks the exporter for another one to hand over
   * (RemAddRef, 3.2.4.3, 3.2.4.4.1), which fails as a call would. A receiver on another machine
   * resolves the exporter's OXID first (ResolveOxid, 3.1.2.5.1.1); if it cannot, the
   * unmarshal fails and the marshaller releases the reference again (CoReleaseMarshalData).
   * The receiver's proxy holds the handed-over reference; its machine's resolver pings the
   * object from its next tick on (3.2.4.1.2, 3.2.6.1). This world joins client machines to
   * the server machine only: a proxy to an object a client machine exports cannot reach the
   * other client machine (RPC_S_SERVER_UNAVAILABLE).
   */
  handOver(a: ActionOf<'handOver'>): void {
    const px = this.proxy(a.handle);
    const to = this.process(a.process);
    const obj = this.exporter.get(px.oid);
    const network = this.network;
    const info = network.info(px.machine, obj.machine);
    const outcome = this.reach(px, obj);
    if (outcome.kind !== 'ok') return network.finish(outcome, info);
    if (to.machine !== px.machine && obj.machine !== SERVER_MACHINE) return network.complete(HR.RPC_S_SERVER_UNAVAILABLE);
    if (to.machine !== px.machine && network.linkDown(to.machine, obj.machine)) {
      const transport = network.transportFor(to.machine, obj.machine);
      return network.finish(network.unreachable(transport), { transport });
    }
    this.exporter.handOut(obj);
    this.addProxy(a.newHandle, to.id, to.machine, obj, false).handed = true;
    network.complete(HR.S_OK, { oid: obj.oid, ...info });
  }

  setBlanket(a: ActionOf<'setBlanket'>): void {
    const px = this.proxy(a.handle);
    const p = this.process(px.holder);
    const obj = this.exporter.get(px.oid);
    // Q224837: an unauthenticated client that calls through CoSetProxyBlanket.
    if (this.sim.behaviour.q224837 && !p.authenticated && obj.machine !== px.machine && !px.tainted) {
      px.tainted = true;
      this.exporterResolver.uncredit(obj);
    }
    this.network.complete(HR.S_OK);
  }

  queryInterface(a: ActionOf<'queryInterface'>): void {
    const px = this.proxy(a.handle);
    const obj = this.exporter.get(px.oid);
    const network = this.network;
    const outcome = this.reach(px, obj);
    if (outcome.kind !== 'ok') return network.finish(outcome, network.info(px.machine, obj.machine));
    if (a.iid === 'IMissing') return network.complete(HR.E_NOINTERFACE);
    this.addProxy(a.newHandle, px.holder, px.machine, obj, px.tainted);
    network.complete(HR.S_OK, { oid: obj.oid, ...network.info(px.machine, obj.machine) });
  }

  call(handle: HandleId): void {
    const px = this.proxy(handle);
    const obj = this.exporter.get(px.oid);
    this.network.finish(this.reach(px, obj), this.network.info(px.machine, obj.machine));
  }

  addRef(handle: HandleId): void {
    this.proxy(handle).refs += 1;
  }

  /**
   * Passes a new callback object to the server. Exporting it needs SYSTEM (RPCSS) to be able
   * to call into the client (Q255890). Returns the callback the server process now holds.
   */
  passCallback(a: ActionOf<'passCallback'>): HeldCallback | undefined {
    const px = this.proxy(a.handle);
    const p = this.process(px.holder);
    const obj = this.exporter.get(px.oid);
    const network = this.network;
    const info = network.info(px.machine, obj.machine);
    const outcome = this.reach(px, obj);
    if (outcome.kind !== 'ok') return void network.finish(outcome, info);
    const b = this.sim.behaviour;
    let admitted = systemAdmitted(this.sim.world.machines[p.machine].access);
    if (b.callbackCheckSkipped) admitted = true;
    if (b.callbackCheckInverted) admitted = !admitted;
    if (!admitted) {
      if (b.deniedCallbackHangs) return void network.finish({ kind: 'hang' }, info);
      if (b.q255890) {
        const outcomeNt4: Outcome = info.transport === 'udp' ? { kind: 'hang' } : { kind: 'error', hr: HR.E_OUTOFMEMORY, delayMs: 0 };
        return void network.finish(outcomeNt4, info);
      }
      return void network.complete(HR.E_ACCESSDENIED, info);
    }
    const holderMachine = obj.machine;
    const cb = this.exporter.export(p.machine, p.id, holderMachine);
    this.addProxy(`callback:${a.callback}`, SERVER_PROCESS, holderMachine, cb, false);
    network.complete(HR.S_OK, { oid: cb.oid, ...info });
    return { oid: cb.oid, process: p.id, holder: holderMachine };
  }

  release(handle: HandleId): void {
    const px = this.proxy(handle);
    px.refs -= 1;
    if (px.refs <= 0) this.dropProxy(px, true);
  }

  end(id: ProcessId, how: 'exit' | 'abandon' | 'crash'): void {
    const p = this.process(id);
    const b = this.sim.behaviour;
    const remRelease = how === 'exit' && !b.uninitSkipsRelease;
    for (const px of [...this.proxies.values()]) {
      if (px.holder !== id) continue;
      if (!remRelease && how === 'crash' && b.crashKeepsOids) this.resolver.leak(px);
      this.dropProxy(px, remRelease);
    }
    p.alive = false;
    this.exporter.exporterGone(id, 'process-exit');
    if (how !== 'crash' && b.exitLingers) return;
    this.sim.emit({ kind: 'processExit', at: this.sim.now, process: id, machine: p.machine });
  }

  addProxy(handle: HandleId, holder: ProcessId, machine: MachineId, obj: ExportedObject, tainted: boolean): Proxy {
    obj.refs += 1;
    const px: Proxy = { handle, holder, machine, oid: obj.oid, refs: 1, tainted, heldSince: this.sim.now, handed: false, serial: ++this.made };
    this.proxies.set(handle, px);
    return px;
  }

  /** The proxy goes away; with `remRelease` its reference is given back to the exporter. */
  dropProxy(px: Proxy, remRelease: boolean): void {
    this.proxies.delete(px.handle);
    if (px.tainted) this.resolver.leak(px);
    const obj = this.exporter.get(px.oid);
    if (!remRelease) return;
    if (this.sim.behaviour.releaseDropsShared) this.resolver.released(px, this.made);
    // A client cut off from the exporter forgets the proxy; the reference is never given back.
    if (obj.machine !== px.machine && this.network.linkDown(px.machine, obj.machine)) return;
    this.exporter.remRelease(obj);
  }

  /** Whether a call through this proxy reaches a live object, and how it ends if not. */
  reach(px: Proxy, obj: ExportedObject): Outcome {
    const network = this.network;
    if (obj.machine !== px.machine && network.linkDown(px.machine, obj.machine)) {
      return network.unreachable(network.transportFor(px.machine, obj.machine));
    }
    return this.exporter.answer(obj);
  }

  process(id: ProcessId): Process {
    const p = this.processes.get(id);
    if (!p) throw new Error(`unknown process ${id}`);
    return p;
  }

  proxy(handle: HandleId): Proxy {
    const px = this.proxies.get(handle);
    if (!px) throw new Error(`unknown handle ${handle}`);
    return px;
  }
}
