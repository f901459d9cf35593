/**
 * What an adapter reports is checked before anything judges it: events that contradict the
 * protocol's meaning are the adapter's fault, not the DCOM's it drives. A rule judging them
 * would blame the implementation for a bug in its adapter (time running backwards makes an
 * object look reclaimed early; a reclaim of an object nobody was given looks like a leak).
 * What a client sends on the wire is judged, not checked: a ping may name any OID.
 */
import { CALLING_KINDS, EVENT_KINDS, MACHINES, RECLAIM_CAUSES, type Action, type AdapterEvent, type EventKind, type MachineId } from '../spec';

const KNOWN_KINDS: ReadonlySet<EventKind> = new Set(EVENT_KINDS.filter((k) => k !== 'action'));
const KNOWN_MACHINES: ReadonlySet<MachineId> = new Set(MACHINES);
const KNOWN_CAUSES: ReadonlySet<string> = new Set(RECLAIM_CAUSES);

/** Follows one run's events; `accept` returns what is wrong with the next one, if anything. */
export class EventCheck {
  private lastAt = 0;
  /** Objects handed out by a completed call: the only ones an exporter can reclaim. */
  private readonly objects = new Set<string>();
  private readonly started = new Set<string>();
  private readonly exited = new Set<string>();
  private readonly callbacks = new Set<string>();
  /** The action of the step under way, and whether its call has ended yet. */
  private action: Action | undefined;
  private answered = false;

  /** A new step begins: `action` is what the runner applies (undefined for the reset). */
  begin(action: Action | undefined): void {
    this.action = action;
    this.answered = false;
    if (!action) return;
    if (action.kind === 'start') this.started.add(action.process);
    if (action.kind === 'passCallback') this.callbacks.add(action.callback);
  }

  accept(e: AdapterEvent): string | undefined {
    if (!KNOWN_KINDS.has(e.kind)) return `event of unknown kind ${JSON.stringify(e.kind)}`;
    const at = e.at;
    if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) return `${e.kind} event at ${JSON.stringify(at)}: times are virtual ms since the reset, >= 0`;
    if (at < this.lastAt) return `${e.kind} event at ${at} ms after an event at ${this.lastAt} ms: time went backwards`;
    this.lastAt = at;
    switch (e.kind) {
      case 'completed':
      case 'hung': {
        const a = this.action;
        if (!a || !CALLING_KINDS.has(a.kind)) return `${e.kind} event during ${a ? `'${a.kind}'` : 'the reset'}, which makes no call`;
        if (this.answered) return `a second ${e.kind} event for the same '${a.kind}' call`;
        this.answered = true;
        if (e.kind === 'completed' && e.oid !== undefined) this.objects.add(e.oid);
        return undefined;
      }
      // A ping may name any OID: it is what a client put on the wire, and an OID the exporter
      // never handed out is a client's mistake for PING-SEQUENCE to judge, not the adapter's.
      case 'ping':
        if (!KNOWN_MACHINES.has(e.from) || !KNOWN_MACHINES.has(e.to)) return `ping from ${JSON.stringify(e.from)} to ${JSON.stringify(e.to)}: unknown machine`;
        return undefined;
      case 'reclaimed':
        if (!KNOWN_MACHINES.has(e.machine)) return `reclaimed on unknown machine ${JSON.stringify(e.machine)}`;
        if (!KNOWN_CAUSES.has(e.cause)) return `reclaimed with unknown cause ${JSON.stringify(e.cause)}`;
        if (!this.objects.has(e.oid)) return `reclaimed ${e.oid}, an object no call handed out`;
        return undefined;
      case 'processExit':
        if (!this.started.has(e.process)) return `processExit of ${e.process}, a process never started`;
        if (this.exited.has(e.process)) return `a second processExit of ${e.process}`;
        this.exited.add(e.process);
        return undefined;
      case 'callbackDelivered':
        if (!this.callbacks.has(e.callback)) return `callbackDelivered for ${e.callback}, a callback never passed`;
        if (!this.started.has(e.process)) return `callbackDelivered to ${e.process}, a process never started`;
        return undefined;
      default:
        return undefined;
    }
  }
}
