/**
 * The exporting machine's OXID resolver: the ping sets its clients' resolvers keep with it
 * and the rundown of what nobody pings any more.
 *
 * - SimplePing resets a known set's timer, else OR_INVALID_SET (MS-DCOM 3.1.2.5.1.2).
 * - ComplexPing with set id 0 makes a set of the known OIDs it adds; on a known set it is
 *   ignored, with success, when older than the last one accepted, and otherwise adds (an
 *   unknown OID: OR_INVALID_OID), deletes and resets the timer (3.1.2.5.1.3).
 * - A set not pinged for 3 ping periods expires: each OID loses the set's reference, and one
 *   that no set holds any more is reclaimed (3.1.2.2, 3.1.2.6).
 * - An object held from another machine but in no set (never pinged, or deleted from its last
 *   set) is run down a full set timeout later, as an expired set's would be.
 * - Holders on the exporter's own machine are not pinged: the resolver sees at its own tick
 *   that no local process holds the object any more.
 */
import { OR, SERVER_MACHINE, type MachineId, type ObjectId } from '../../spec';
import type { Sim } from './context';
import type { ExportedObject, Exporter } from './server-object';

export interface ServerSet {
  id: string;
  host: MachineId;
  from: MachineId;
  oids: Set<ObjectId>;
  seq: number;
  expiresAt: number;
  /** Q184278: credited pings left for a set from an untrusted domain. */
  credits: number;
}

export interface PingReply {
  status: 'ok' | 'lost' | number;
  newSetId?: string;
}

export class ServerResolver {
  readonly sets = new Map<string, ServerSet>();

  constructor(
    private readonly sim: Sim,
    private readonly exporter: Exporter,
  ) {}

  reset(): void {
    this.sets.clear();
  }

  /** A ping that reached the resolver on `host` from the resolver on `from`. */
  receive(host: MachineId, from: MachineId, type: 'simple' | 'complex', setId: string, seq: number, adds: ObjectId[], dels: ObjectId[]): PingReply {
    const sim = this.sim;
    if (type === 'simple') {
      const set = this.sets.get(setId);
      if (!set || set.host !== host) return { status: OR.OR_INVALID_SET };
      if (!sim.behaviour.simplePingIgnored) this.credit(set);
      return { status: 'ok' };
    }
    if (setId === '0') {
      const set: ServerSet = { id: sim.nextId('set'), host, from, oids: new Set(), seq, expiresAt: 0, credits: 2 };
      this.sets.set(set.id, set);
      for (const oid of adds) if (this.fresh(oid, seq)) this.addToSet(set, oid); // unknown OIDs are skipped on a new set
      this.credit(set);
      return { status: 'ok', newSetId: set.id };
    }
    const set = this.sets.get(setId);
    if (!set || set.host !== host) return { status: OR.OR_INVALID_SET };
    const b = sim.behaviour;
    if (set.seq > seq && !b.staleSeqApplied && !b.staleSeqPerObject) return { status: 'ok' };
    let status: 'ok' | number = 'ok';
    for (const oid of adds) if (this.fresh(oid, seq) && !this.addToSet(set, oid)) status = OR.OR_INVALID_OID;
    for (const oid of dels) {
      if (!this.fresh(oid, seq) || !set.oids.delete(oid)) continue;
      const obj = this.exporter.objects.get(oid);
      if (!obj) continue;
      this.letGo(obj);
      // Deleted from its last set while references remain: run down after a full timeout.
      if (obj.setRefs === 0 && obj.alive) obj.orphanDeadline = sim.now + sim.setTimeout();
    }
    this.credit(set);
    if (seq > set.seq || !b.staleSeqPerObject) set.seq = seq;
    return { status };
  }

  /** A set lets the object go: one set fewer holds it (exporterCountsPerSet: none does). */
  private letGo(obj: ExportedObject): void {
    obj.setRefs = this.sim.behaviour.exporterCountsPerSet ? 0 : obj.setRefs - 1;
  }

  /** staleSeqPerObject: whether a ComplexPing naming the object is newer than the last that did. */
  private fresh(oid: ObjectId, seq: number): boolean {
    if (!this.sim.behaviour.staleSeqPerObject) return true;
    const obj = this.exporter.objects.get(oid);
    if (!obj) return true;
    if (obj.pingSeq > seq) return false;
    obj.pingSeq = seq;
    return true;
  }

  /** False when the OID is not an object this resolver knows. */
  private addToSet(set: ServerSet, oid: ObjectId): boolean {
    const obj = this.exporter.objects.get(oid);
    if (!obj || !obj.alive || obj.machine !== set.host) return false;
    if (obj.uncredited || set.oids.has(oid)) return true;
    set.oids.add(oid);
    obj.setRefs += 1;
    obj.orphanDeadline = null;
    return true;
  }

  /** A ping resets the set's timer (Q184278: only the first two from an untrusted domain). */
  private credit(set: ServerSet): void {
    const sim = this.sim;
    if (sim.behaviour.q184278 && set.host === SERVER_MACHINE && set.from !== SERVER_MACHINE) {
      if (sim.world.machines[set.from].trust === 'untrusted') {
        if (set.credits === 0) return;
        set.credits -= 1;
      }
    }
    set.expiresAt = sim.now + sim.setTimeout();
  }

  /** Q224837: the object's pings stop counting; it leaves every set and goes when they would. */
  uncredit(obj: ExportedObject): void {
    obj.uncredited = true;
    for (const set of this.sets.values()) {
      if (set.oids.delete(obj.oid)) obj.setRefs -= 1;
    }
    if (obj.setRefs === 0) obj.orphanDeadline = this.sim.now + this.sim.setTimeout();
  }

  /** Reclaims the local objects no process on `machine` holds any more (`held`: the OIDs held). */
  localRundown(machine: MachineId, held: () => ReadonlySet<ObjectId>): void {
    let oids: ReadonlySet<ObjectId> | undefined;
    for (const obj of this.exporter.objects.values()) {
      if (obj.machine !== machine || obj.pinged || !obj.alive || obj.refs === 0) continue;
      oids ??= held();
      if (!oids.has(obj.oid)) this.exporter.reclaim(obj, 'rundown');
    }
  }

  /** The earliest set expiry or orphan rundown after `next`, or `next`. */
  nextDue(next: number): number {
    for (const set of this.sets.values()) if (set.expiresAt < next) next = set.expiresAt;
    for (const obj of this.exporter.objects.values()) {
      if (obj.alive && obj.setRefs === 0 && obj.orphanDeadline !== null && obj.orphanDeadline < next) next = obj.orphanDeadline;
    }
    return next;
  }

  /** Expires the sets and runs down the orphans that are due. */
  fireDue(): void {
    const now = this.sim.now;
    // Deleting the entry being visited is safe in a Map's iteration, and expiry adds none.
    for (const set of this.sets.values()) {
      if (set.expiresAt <= now) this.expire(set);
    }
    for (const obj of this.exporter.objects.values()) {
      if (obj.alive && obj.setRefs === 0 && obj.orphanDeadline !== null && obj.orphanDeadline <= now) this.exporter.reclaim(obj, 'rundown');
    }
  }

  private expire(set: ServerSet): void {
    this.sets.delete(set.id);
    const now = this.sim.now;
    for (const oid of set.oids) {
      const obj = this.exporter.get(oid);
      this.letGo(obj);
      if (obj.setRefs !== 0 || !obj.alive) continue;
      // Just handed to a new holder, which has yet to ping it: kept until its grace ends.
      if (obj.graceUntil > now) obj.orphanDeadline = obj.graceUntil;
      else this.exporter.reclaim(obj, 'rundown');
    }
  }
}
