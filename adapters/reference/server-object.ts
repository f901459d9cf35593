/**
 * The exported objects: the server's test objects, objects a local server on a client
 * machine exports, and callback objects client processes export. Each counts the references
 * its holders took (IRemUnknown, MS-DCOM 3.1.1.5.6); RemRelease of the last one reclaims it
 * at once (3.1.1.5.6.3); CoDisconnectObject and a dying exporter reclaim it too. Calls through
 * a proxy whose object is gone fail with RPC_E_DISCONNECTED (3.1.1.5.8), CO_E_OBJNOTCONNECTED
 * after CoDisconnectObject, or a server-death code after a crash.
 */
import { HR, SERVER_MACHINE, type MachineId, type ObjectId, type ReclaimCause } from '../../spec';
import type { Sim } from './context';
import { OK, type Outcome } from './network';

export interface ExportedObject {
  oid: ObjectId;
  machine: MachineId;
  /** 'server', 'local' (a local server on a client machine) or the exporting client process. */
  exporter: string;
  refs: number;
  /** Number of the exporting resolver's ping sets that contain the object. */
  setRefs: number;
  /** When an object in no ping set is run down; null while in a set or when never pinged. */
  orphanDeadline: number | null;
  /** Held from another machine, so kept alive by pings; local holders are watched locally. */
  pinged: boolean;
  alive: boolean;
  cause?: ReclaimCause;
  /** Q224837: pings never credit this object. */
  uncredited: boolean;
  /**
   * Until when the object is kept for a holder it was just handed to (a shared activation, a
   * hand-over), which has not had the chance to ping it yet; -Infinity when never handed out.
   */
  graceUntil: number;
  /** staleSeqPerObject: the sequence number of the last ComplexPing that named the object. */
  pingSeq: number;
}

export class Exporter {
  readonly objects = new Map<ObjectId, ExportedObject>();
  /** The server's shared instances by name (a singleton each), while they live. */
  private readonly shared = new Map<string, ExportedObject>();
  /** Whether the server process runs (it starts with the first remote activation). */
  serverUp = false;
  /** The server faults the RemRelease(s) of the next releasing action. */
  releaseFault: 'armed' | 'hit' | null = null;

  constructor(private readonly sim: Sim) {}

  reset(): void {
    this.objects.clear();
    this.shared.clear();
    this.serverUp = false;
    this.releaseFault = null;
  }

  /** A new object on `machine`, first held from `holder`. */
  export(machine: MachineId, exporter: string, holder: MachineId): ExportedObject {
    const pinged = holder !== machine;
    const obj: ExportedObject = {
      oid: this.sim.nextId('oid'),
      machine,
      exporter,
      refs: 0,
      setRefs: 0,
      // An exported object nobody ever pings is run down like an expired set (3.1.2.6).
      orphanDeadline: pinged ? this.sim.now + this.sim.setTimeout() : null,
      pinged,
      alive: true,
      uncredited: false,
      graceUntil: -Infinity,
      pingSeq: 0,
    };
    this.objects.set(obj.oid, obj);
    return obj;
  }

  /** The server's shared instance `name` for a holder on `holder`: the live one, or a new one. */
  sharedInstance(name: string, holder: MachineId): ExportedObject {
    const obj = this.shared.get(name);
    if (obj && obj.alive) {
      this.handOut(obj);
      return obj;
    }
    const made = this.export(SERVER_MACHINE, 'server', holder);
    this.shared.set(name, made);
    return made;
  }

  /**
   * The exporter hands out another reference to a live object (3.1.1.5.1): it keeps the object
   * for the new holder as long as for the first holder of a new one, a full set timeout in
   * which the holder's machine pings it. An ORPC that reached the object in the last ping
   * period likewise keeps it from reclamation (3.1.1.6.2).
   */
  handOut(obj: ExportedObject): void {
    const until = this.sim.now + this.sim.setTimeout();
    obj.graceUntil = until;
    if (obj.setRefs === 0 && obj.orphanDeadline !== null && obj.orphanDeadline < until) obj.orphanDeadline = until;
  }

  get(oid: ObjectId): ExportedObject {
    const obj = this.objects.get(oid);
    if (!obj) throw new Error(`unknown object ${oid}`);
    return obj;
  }

  /**
   * A RemRelease that reached the exporter. A faulted one leaks the reference; the client
   * sends it even for an object the server has run down: it cannot know.
   */
  remRelease(obj: ExportedObject): void {
    if (this.releaseFault && obj.machine === SERVER_MACHINE) {
      this.releaseFault = 'hit';
      return;
    }
    if (!obj.alive) return;
    if (this.sim.behaviour.releaseLeaksRef && obj.refs === 1) return;
    obj.refs -= 1;
    if (obj.refs === 0) this.reclaim(obj, 'release');
  }

  /** What a call that reaches the object's machine gets. */
  answer(obj: ExportedObject): Outcome {
    if (obj.alive) return OK;
    const b = this.sim.behaviour;
    if (b.callAfterReclaimHangs) return { kind: 'hang' };
    if (obj.cause === 'disconnect') return b.disconnectedCallsSucceed ? OK : { kind: 'error', hr: HR.CO_E_OBJNOTCONNECTED, delayMs: 0 };
    if (obj.cause === 'server-crash') return { kind: 'error', hr: HR.RPC_S_SERVER_UNAVAILABLE, delayMs: 0 };
    return { kind: 'error', hr: HR.RPC_E_DISCONNECTED, delayMs: 0 };
  }

  reclaim(obj: ExportedObject, cause: ReclaimCause): void {
    obj.alive = false;
    obj.cause = cause;
    obj.orphanDeadline = null;
    this.sim.emit({ kind: 'reclaimed', at: this.sim.now, machine: obj.machine, oid: obj.oid, cause });
  }

  /** The objects an exporter (a client process, or the server) held die with it. */
  exporterGone(exporter: string, cause: ReclaimCause): void {
    for (const obj of this.objects.values()) if (obj.exporter === exporter && obj.alive) this.reclaim(obj, cause);
  }
}
