/**
 * The reference DCOM world: a deterministic discrete-event simulation on a virtual clock,
 * made of the parts MS-DCOM names, which the sequence diagrams draw as lanes:
 *
 * | part | file | MS-DCOM |
 * |---|---|---|
 * | client processes and their proxies | client-process.ts | 3.2.4 |
 * | each machine's resolver pinging for its processes | client-resolver.ts | 3.2.6.1, 3.2.2 |
 * | the network: transports, partitions, late datagrams | network.ts | Q255198, 3.1.2.5.1 |
 * | the exporting resolver's ping sets and rundown | server-resolver.ts | 3.1.2.5.1.2-3, 3.1.2.2, 3.1.2.6 |
 * | exported objects and their references | server-object.ts | 3.1.1.5.6, 3.1.1.6.2 |
 * | the server process (callbacks, disconnect, crash) | server-process.ts | CoDisconnectObject |
 * | the clock and the ping timers | timers.ts | 3.2.2, 3.1.2.2 |
 *
 * Every fault the KB articles describe, and every mutant, is a switch in `Behaviour`; with
 * `CORRECT` this is the world MS-DCOM and the KB fixes describe.
 */
import seedrandom from 'seedrandom';
import { cloneWorld, type Action, type ActionKind, type ActionOf, type AdapterEvent, type World } from '../../spec';
import { CORRECT, type Behaviour } from './behaviour';
import { Clients, type Proxy } from './client-process';
import { ClientResolver } from './client-resolver';
import { Sim } from './context';
import { Network } from './network';
import { Exporter } from './server-object';
import { ServerProcess } from './server-process';
import { ServerResolver } from './server-resolver';
import { Timers } from './timers';

export class ReferenceWorld {
  private readonly sim: Sim;
  private readonly exporter: Exporter;
  private readonly exporterResolver: ServerResolver;
  private readonly network: Network;
  private readonly clients: Clients;
  private readonly resolver: ClientResolver;
  private readonly server: ServerProcess;
  private readonly timers: Timers;

  constructor(behaviour: Behaviour = CORRECT) {
    const sim = (this.sim = new Sim(behaviour));
    this.exporter = new Exporter(sim);
    this.exporterResolver = new ServerResolver(sim, this.exporter);
    this.network = new Network(sim, this.exporterResolver);
    const proxies = new Map<string, Proxy>();
    this.clients = new Clients(sim, this.network, this.exporter, this.exporterResolver, proxies);
    this.resolver = new ClientResolver(sim, this.network, this.exporter, proxies);
    this.clients.resolver = this.resolver;
    this.server = new ServerProcess(sim, this.network, this.exporter, this.clients);
    this.timers = new Timers(sim, this.clients, this.resolver, this.exporterResolver);
    sim.runUntil = (target) => this.timers.runUntil(target);
  }

  reset(seed: number, world: World): AdapterEvent[] {
    // Alea: seedrandom's ARC4 spent more setting up its state than a short run spent on
    // everything else in the simulation.
    this.sim.reset(seedrandom.alea(String(seed)), cloneWorld(world));
    this.exporter.reset();
    this.exporterResolver.reset();
    this.network.reset();
    this.clients.reset();
    this.resolver.reset();
    this.server.reset();
    this.timers.reset();
    return this.sim.flush();
  }

  get time(): number {
    return this.sim.now;
  }

  /**
   * One handler per action kind; the mapped type makes the table exhaustive at compile time.
   * (A ts-pattern match here was rebuilt on every action and cost a third of a campaign.)
   */
  private readonly handlers: { [K in ActionKind]: (a: ActionOf<K>) => void } = {
    setAccess: (a) => void (this.sim.world.machines[a.machine].access = a.access),
    setProtocols: (a) => void (this.sim.world.machines[a.machine].protocols = a.protocols),
    setTrust: (a) => void (this.sim.world.machines[a.machine].trust = a.trust),
    partition: (a) => void this.network.partitioned.add(a.machine),
    heal: (a) => void this.network.partitioned.delete(a.machine),
    advance: (a) => this.timers.runUntil(this.sim.now + a.ms),
    start: (a) => this.clients.start(a),
    initSecurity: (a) => this.clients.initSecurity(a),
    activate: (a) => this.clients.activate(a),
    activateShared: (a) => this.clients.activateShared(a),
    setBlanket: (a) => this.clients.setBlanket(a),
    queryInterface: (a) => this.clients.queryInterface(a),
    addRef: (a) => this.clients.addRef(a.handle),
    release: (a) => this.clients.release(a.handle),
    handOver: (a) => this.clients.handOver(a),
    call: (a) => this.clients.call(a.handle),
    passCallback: (a) => {
      const held = this.clients.passCallback(a);
      if (held) this.server.hold(a.callback, held);
    },
    exit: (a) => this.clients.end(a.process, 'exit'),
    abandon: (a) => this.clients.end(a.process, 'abandon'),
    crash: (a) => this.clients.end(a.process, 'crash'),
    invokeCallback: (a) => this.server.invokeCallback(a.callback),
    releaseCallback: (a) => this.server.releaseCallback(a.callback),
    disconnect: (a) => this.server.disconnect(a.handle),
    serverCrash: () => this.server.crash(),
    faultNextRelease: () => void (this.exporter.releaseFault = 'armed'),
  };

  apply(action: Action): AdapterEvent[] {
    (this.handlers[action.kind] as (a: Action) => void)(action);
    if (this.exporter.releaseFault === 'hit') this.exporter.releaseFault = null;
    return this.sim.flush();
  }

  advance(ms: number): AdapterEvent[] {
    this.timers.runUntil(this.sim.now + ms);
    return this.sim.flush();
  }
}
