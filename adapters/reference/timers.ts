/**
 * Virtual time: each machine's resolver ping timer (every ping period, MS-DCOM 3.2.2, at a
 * phase of its own drawn from the seed) and the exporting resolvers' set timers (3.1.2.2).
 * Time moves only when a step lets it pass; whatever falls due meanwhile fires in time order.
 */
import { SERVER_MACHINE, type MachineId, type ObjectId } from '../../spec';
import type { Clients } from './client-process';
import type { ClientResolver } from './client-resolver';
import type { Sim } from './context';
import type { ServerResolver } from './server-resolver';

const MACHINE_ORDER: readonly MachineId[] = ['client1', 'client2', SERVER_MACHINE];

export class Timers {
  /** Each resolver's next ping tick, in MACHINE_ORDER. */
  private readonly nextTick = [0, 0, 0];

  constructor(
    private readonly sim: Sim,
    private readonly clients: Clients,
    private readonly clientResolver: ClientResolver,
    private readonly serverResolver: ServerResolver,
  ) {}

  /** Each resolver's ping timer starts at its own phase, so ticks of machines interleave. */
  reset(): void {
    const period = this.sim.behaviour.pingPeriodMs;
    for (let i = 0; i < MACHINE_ORDER.length; i++) this.nextTick[i] = 1 + Math.floor(this.sim.rng() * (period - 1));
  }

  runUntil(target: number): void {
    const sim = this.sim;
    for (;;) {
      const next = this.nextDue();
      if (next > target) break;
      sim.now = Math.max(sim.now, next);
      this.fireDue();
    }
    sim.now = target;
  }

  private nextDue(): number {
    const ticks = this.nextTick;
    const next = Math.min(ticks[0], ticks[1], ticks[2]);
    if (this.sim.behaviour.noRundown) return next;
    return this.serverResolver.nextDue(next);
  }

  /** Client ticks first, so a ping arriving exactly at a set's deadline still counts. */
  private fireDue(): void {
    const sim = this.sim;
    for (let i = 0; i < MACHINE_ORDER.length; i++) {
      const t = this.nextTick[i];
      if (t <= sim.now) {
        this.tick(MACHINE_ORDER[i]);
        this.nextTick[i] = t + sim.behaviour.pingPeriodMs;
      }
    }
    if (sim.behaviour.noRundown) return;
    this.serverResolver.fireDue();
  }

  private tick(machine: MachineId): void {
    // Local references need no pings: the resolver notices holders gone at its own tick.
    this.serverResolver.localRundown(machine, this.held);
    this.clientResolver.tick(machine);
  }

  /** The OIDs some proxy holds, built only when a local object needs the answer. */
  private readonly held = (): ReadonlySet<ObjectId> => {
    const held = new Set<ObjectId>();
    for (const px of this.clients.proxies.values()) held.add(px.oid);
    return held;
  };
}
