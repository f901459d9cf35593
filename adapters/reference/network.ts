/**
 * The network between the machines: which transport DCOM uses on a link, partitions, and how
 * an RPC ends when its peer cannot be reached. DCOM runs over UDP only when both machines list
 * ncadg_ip_udp first (Q224460); datagram RPC retransmits for about 32 s before it gives up
 * while a TCP connect fails at once (Q255198); a call that never returns is a hang. Pings are
 * idempotent RPCs (MS-DCOM 3.1.2.5.1): over UDP the network may deliver a ComplexPing a second
 * time, late, which is why the exporter keeps sequence numbers (3.1.2.5.1.3).
 */
import {
  CALL_TIMEOUT_MS,
  HR,
  SERVER_MACHINE,
  UDP_UNREACHABLE_FAILURE_MS,
  transportBetween,
  type MachineId,
  type ObjectId,
  type Transport,
} from '../../spec';
import type { Sim } from './context';
import type { PingReply, ServerResolver } from './server-resolver';

/** How a call ends: it returns, fails (possibly after a while), or never returns. */
export type Outcome = { kind: 'ok' } | { kind: 'error'; hr: number; delayMs: number } | { kind: 'hang' };

export const OK: Outcome = { kind: 'ok' };

/** The transport a completed event names; empty for a call within one machine. */
export type TransportInfo = { transport?: Transport };

/** What a pinging resolver tells the network about the set it pings on. */
export interface PingRoute {
  from: MachineId;
  to: MachineId;
  /** The set id the client holds now; a late duplicate is delivered under it. */
  setId: string | null;
  /** The network's: a ComplexPing it holds back, to deliver again after the route's next one. */
  late: Late | null;
}

/** A ComplexPing the network holds back (UDP only). */
export interface Late {
  seq: number;
  adds: ObjectId[];
  dels: ObjectId[];
}

export class Network {
  /** Client machines cut off from the server machine. */
  readonly partitioned = new Set<MachineId>();

  constructor(
    private readonly sim: Sim,
    private readonly exporterResolver: ServerResolver,
  ) {}

  reset(): void {
    this.partitioned.clear();
  }

  transportFor(a: MachineId, b: MachineId): Transport {
    const m = this.sim.world.machines;
    return transportBetween(m[a], m[b]);
  }

  /** The transport a completed event names for a call from `from` to an object on `to`. */
  info(from: MachineId, to: MachineId): TransportInfo {
    return from === to ? {} : { transport: this.transportFor(from, to) };
  }

  /** Partitions are kept per client machine; this names the client side of a link. */
  private clientSide(a: MachineId, b: MachineId): MachineId {
    return a === SERVER_MACHINE ? b : a;
  }

  /** Whether the link is cut (asked only about links between two machines). */
  linkDown(a: MachineId, b: MachineId): boolean {
    return this.partitioned.has(this.clientSide(a, b));
  }

  /** Datagram RPC retransmits until it gives up (Q255198); a TCP connect fails at once. */
  unreachable(transport: Transport): Outcome {
    return { kind: 'error', hr: HR.RPC_S_SERVER_UNAVAILABLE, delayMs: transport === 'udp' ? UDP_UNREACHABLE_FAILURE_MS : 0 };
  }

  /** Reports how a call ended, letting the time it took pass first. */
  finish(outcome: Outcome, extra: TransportInfo = {}): void {
    const sim = this.sim;
    if (outcome.kind === 'hang') {
      sim.runUntil(sim.now + CALL_TIMEOUT_MS);
      sim.emit({ kind: 'hung', at: sim.now, ...extra });
      return;
    }
    if (outcome.kind === 'ok') return this.complete(HR.S_OK, extra);
    if (outcome.delayMs > 0) sim.runUntil(sim.now + outcome.delayMs);
    this.complete(outcome.hr, extra);
  }

  complete(hr: number, extra: { oid?: ObjectId; transport?: Transport } = {}): void {
    this.sim.emit({ kind: 'completed', at: this.sim.now, hr, ...extra });
  }

  /**
   * Carries a ping from a client resolver to the exporter's and reports it on the wire. A
   * ComplexPing over UDP that the exporter accepted may be held back and delivered again
   * after the route's next ComplexPing (a late duplicate datagram).
   */
  ping(route: PingRoute, type: 'simple' | 'complex', setId: string, seq: number, adds: ObjectId[], dels: ObjectId[]): PingReply {
    const sim = this.sim;
    const { from, to } = route;
    const reply: PingReply = this.linkDown(from, to) ? { status: 'lost' } : this.exporterResolver.receive(to, from, type, setId, seq, adds, dels);
    sim.emit({ kind: 'ping', at: sim.now, from, to, type, setId, seq, adds, dels, status: reply.status, ...(reply.newSetId ? { newSetId: reply.newSetId } : {}) });
    const late = type === 'complex' ? route.late : null;
    if (late) route.late = null;
    if (late && route.setId !== null && !this.linkDown(from, to)) {
      const r = this.exporterResolver.receive(to, from, 'complex', route.setId, late.seq, late.adds, late.dels);
      sim.emit({ kind: 'ping', at: sim.now, from, to, type: 'complex', setId: route.setId, seq: late.seq, adds: late.adds, dels: late.dels, status: r.status, duplicate: true });
    }
    if (type === 'complex' && setId !== '0' && reply.status === 'ok' && this.transportFor(from, to) === 'udp' && sim.rng() < 0.5) {
      route.late = { seq, adds, dels };
    }
    return reply;
  }
}
