/**
 * The server process that hosts the test objects: it calls into and releases the callbacks
 * clients passed it, disconnects objects (CoDisconnectObject: later calls fail with
 * CO_E_OBJNOTCONNECTED), crashes, and can be told to fault its next RemRelease.
 */
import { HR, SERVER_MACHINE, type CallbackId, type HandleId } from '../../spec';
import { SERVER_PROCESS, type Clients, type HeldCallback } from './client-process';
import type { Sim } from './context';
import type { Network } from './network';
import type { Exporter } from './server-object';

export class ServerProcess {
  private readonly callbacks = new Map<CallbackId, HeldCallback>();

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly exporter: Exporter,
    private readonly clients: Clients,
  ) {}

  reset(): void {
    this.callbacks.clear();
  }

  hold(id: CallbackId, cb: HeldCallback): void {
    this.callbacks.set(id, cb);
  }

  invokeCallback(id: CallbackId): void {
    const cb = this.callbacks.get(id);
    if (!cb) throw new Error(`unknown callback ${id}`);
    const p = this.clients.process(cb.process);
    const network = this.network;
    const remote = cb.holder !== p.machine;
    const info = network.info(cb.holder, p.machine);
    if (remote && network.linkDown(cb.holder, p.machine)) return network.finish(network.unreachable(info.transport!), info);
    const obj = this.exporter.get(cb.oid);
    if (!obj.alive || !p.alive) return network.complete(HR.RPC_S_SERVER_UNAVAILABLE, info);
    if (!this.sim.behaviour.callbackNotDelivered) this.sim.emit({ kind: 'callbackDelivered', at: this.sim.now, callback: id, process: p.id });
    network.complete(HR.S_OK, info);
  }

  releaseCallback(id: CallbackId): void {
    const px = this.clients.proxies.get(`callback:${id}`);
    this.callbacks.delete(id);
    if (px) this.clients.dropProxy(px, true);
  }

  disconnect(handle: HandleId): void {
    const obj = this.exporter.get(this.clients.proxy(handle).oid);
    if (obj.alive) this.exporter.reclaim(obj, 'disconnect');
  }

  crash(): void {
    const exporter = this.exporter;
    if (!exporter.serverUp) return;
    exporter.serverUp = false;
    exporter.exporterGone('server', 'server-crash');
    // The server's resolver survives; the proxies the dead process held are dropped unpinged.
    for (const px of [...this.clients.proxies.values()]) {
      if (px.holder === SERVER_PROCESS && px.machine === SERVER_MACHINE) this.clients.dropProxy(px, false);
    }
    for (const [id, cb] of this.callbacks) if (cb.holder === SERVER_MACHINE) this.callbacks.delete(id);
  }
}
