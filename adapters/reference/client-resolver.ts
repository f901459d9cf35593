/**
 * Each machine's OXID resolver in its client role (MS-DCOM 3.2.6.1): it aggregates the OIDs
 * that every local process holds on objects of another machine into one ping set per
 * exporting machine and, every ping period (3.2.2), sends
 *
 * - ComplexPing(set 0, seq 1, AddToSet = all) when it has no set yet, keeping the set id;
 * - SimplePing when the set is unchanged;
 * - ComplexPing(set, seq + 1, added, deleted) when it changed.
 *
 * An emptied set is forgotten (the spec leaves open whether it is kept); a set the exporter
 * no longer knows (OR_INVALID_SET) is made afresh at the next tick.
 */
import { PING_PERIOD_MS, OR, type MachineId, type ObjectId, type ProcessId } from '../../spec';
import type { Proxy } from './client-process';
import type { Sim } from './context';
import type { Network, PingRoute } from './network';
import type { Exporter } from './server-object';

export interface ClientSet extends PingRoute {
  /** Per-process key when the setPerProcess mutant is on. */
  owner: string;
  setId: string | null;
  seq: number;
  /** OIDs the exporter's resolver has acknowledged as members. */
  acked: Set<ObjectId>;
}

/** What one of a machine's ping sets should hold. */
interface Wanted {
  to: MachineId;
  owner: string;
  oids: Set<ObjectId>;
}

/** What a ping set that nothing wants should hold (never modified). */
const NO_OIDS: ReadonlySet<ObjectId> = new Set();

/** A machine that wants no ping set (never modified). */
const NOTHING_WANTED: ReadonlyMap<string, Wanted> = new Map();

export class ClientResolver {
  private readonly sets = new Map<string, ClientSet>();
  /** OIDs a machine keeps pinging though nothing holds them (Q224837, crashKeepsOids). */
  private readonly leaked = new Map<MachineId, Map<ObjectId, string>>();
  /** releaseDropsShared: per machine and OID, the last proxy made before a local process released it. */
  private readonly releasedAt = new Map<MachineId, Map<ObjectId, number>>();

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly exporter: Exporter,
    /** The proxies of every process, which the client processes keep. */
    private readonly proxies: ReadonlyMap<string, Proxy>,
  ) {}

  reset(): void {
    this.sets.clear();
    this.leaked.clear();
    this.releasedAt.clear();
  }

  /** releaseDropsShared: a process released its proxy (`made` proxies so far); the machine stops pinging the OID. */
  released(px: Proxy, made: number): void {
    let m = this.releasedAt.get(px.machine);
    if (!m) this.releasedAt.set(px.machine, (m = new Map()));
    m.set(px.oid, made);
  }

  /** The machine goes on pinging this proxy's object although nothing holds it. */
  leak(px: Proxy): void {
    let m = this.leaked.get(px.machine);
    if (!m) this.leaked.set(px.machine, (m = new Map()));
    m.set(px.oid, px.holder);
  }

  /** One tick of `machine`'s ping timer: every set it keeps, or should, is pinged. */
  tick(machine: MachineId): void {
    const want = this.desired(machine);
    for (const [key, entry] of want) {
      if (!this.sets.has(key)) {
        this.sets.set(key, { from: machine, to: entry.to, owner: entry.owner, setId: null, seq: 0, acked: new Set(), late: null });
      }
    }
    for (const [key, set] of this.sets) {
      if (set.from !== machine) continue;
      this.pingSet(set, want.get(key)?.oids ?? NO_OIDS);
      if (set.setId === null && set.acked.size === 0 && !want.has(key)) this.sets.delete(key);
    }
  }

  /** OIDs each of this machine's ping sets should hold now, keyed like `sets`. */
  private desired(machine: MachineId): ReadonlyMap<string, Wanted> {
    // Every resolver ticks each period, most of them holding nothing: no map for those.
    let want: Map<string, Wanted> | undefined;
    const b = this.sim.behaviour;
    const perProcess = b.setPerProcess;
    const firstPingLate = b.firstPingLate;
    const released = this.releasedAt.get(machine);
    const now = this.sim.now;
    for (const px of this.proxies.values()) {
      if (px.machine !== machine) continue;
      const obj = this.exporter.get(px.oid);
      if (obj.machine === machine) continue;
      // firstPingLate mutant: a new object is left out of pings for three periods.
      if (firstPingLate && now - px.heldSince < 3 * PING_PERIOD_MS) continue;
      if (px.handed && b.receiverNeverPings) continue;
      // releaseDropsShared: a reference taken before another local process released is forgotten.
      if (released && (released.get(px.oid) ?? 0) >= px.serial) continue;
      const owner = perProcess || (px.handed && b.unmarshalSetPerProcess) ? px.holder : '';
      this.want((want ??= new Map()), machine, obj.machine, owner, obj.oid);
    }
    const leaked = this.leaked.get(machine);
    if (leaked) for (const [oid, holder] of leaked) this.want((want ??= new Map()), machine, this.exporter.get(oid).machine, perProcess ? holder : '', oid);
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
  private setKey(from: MachineId, to: MachineId, owner: ProcessId | ''): string {
    if (owner !== '') return `${from}>${to}>${owner}`;
    let byTo = this.setKeys.get(from);
    if (!byTo) this.setKeys.set(from, (byTo = new Map()));
    let key = byTo.get(to);
    if (key === undefined) byTo.set(to, (key = `${from}>${to}>`));
    return key;
  }

  private pingSet(set: ClientSet, want: ReadonlySet<ObjectId>): void {
    const b = this.sim.behaviour;
    const network = this.network;
    if (set.setId === null) {
      if (want.size === 0) return;
      const adds = [...want];
      const reply = network.ping(set, 'complex', '0', 1, adds, []);
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
      const reply = network.ping(set, 'simple', set.setId, set.seq, [], []);
      if (reply.status === OR.OR_INVALID_SET && !b.invalidSetKept) this.forget(set);
      return;
    }
    if (b.readdEverything) adds = [...want];
    const seq = b.seqFrozen ? set.seq : set.seq + 1;
    const reply = network.ping(set, 'complex', set.setId, seq, adds, dels);
    if (reply.status === OR.OR_INVALID_SET) return b.invalidSetKept ? undefined : this.forget(set);
    if (reply.status !== 'ok' && reply.status !== OR.OR_INVALID_OID) return;
    set.seq = seq;
    for (const o of adds) set.acked.add(o);
    for (const o of dels) set.acked.delete(o);
    // A set emptied by DelFromSet is forgotten: nothing is left to keep alive.
    if (set.acked.size === 0 && !b.emptySetsKept) set.setId = null;
  }

  private forget(set: ClientSet): void {
    set.setId = null;
    set.seq = 0;
    set.acked = new Set();
  }
}
