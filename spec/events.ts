/**
 * What a run observed. Every event carries the virtual time it happened at (ms since reset)
 * and the step (index of the action) during which the adapter reported it. The runner
 * records each action as an `action` event, so a trace alone is enough to judge a run.
 */
import type { Action, CallbackId, ProcessId } from './actions';
import type { Capabilities } from './adapter';
import type { MachineId, Transport, World } from './world';

export type ObjectId = string;
export type SetId = string;

/** An action as the runner applied it. `settle` marks the advance the runner appends. */
export interface ActionEvent { kind: 'action'; at: number; step: number; action: Action; settle?: boolean }

/** The call made by the action of `step` returned. `oid` names the object it produced, if any. */
export interface CompletedEvent {
  kind: 'completed';
  at: number;
  step: number;
  hr: number;
  oid?: ObjectId;
  transport?: Transport;
  detail?: string;
}

/** The call made by the action of `step` did not return within the call timeout. */
export interface HungEvent { kind: 'hung'; at: number; step: number; transport?: Transport; detail?: string }

/**
 * A ping on the wire from a machine's resolver to another's (MS-DCOM 3.2.6.1). `adds` and
 * `dels` are ComplexPing's AddToSet and DelFromSet; a SimplePing has neither. `status` is
 * 'ok', 'lost' (never reached the peer) or the resolver's error_status_t.
 */
export interface PingEvent {
  kind: 'ping';
  at: number;
  step: number;
  from: MachineId;
  to: MachineId;
  type: 'simple' | 'complex';
  setId: SetId;
  seq: number;
  adds: ObjectId[];
  dels: ObjectId[];
  status: 'ok' | 'lost' | number;
  /** The set id the peer assigned, when a ComplexPing with set id "0" created one. */
  newSetId?: SetId;
  /** A datagram the network delivered a second time, late; not a new ping by the client. */
  duplicate?: boolean;
}

export const RECLAIM_CAUSES = ['release', 'rundown', 'disconnect', 'server-crash', 'process-exit'] as const;
export type ReclaimCause = (typeof RECLAIM_CAUSES)[number];

/** An exporter dropped an object: the server's objects, or a client's callback object. */
export interface ReclaimedEvent { kind: 'reclaimed'; at: number; step: number; machine: MachineId; oid: ObjectId; cause: ReclaimCause }

/** The server's call into a callback reached the client process that exported it. */
export interface CallbackDeliveredEvent { kind: 'callbackDelivered'; at: number; step: number; callback: CallbackId; process: ProcessId }

/** A client process is gone from its machine. */
export interface ProcessExitEvent { kind: 'processExit'; at: number; step: number; process: ProcessId; machine: MachineId }

/** Free text an adapter wants a person to see; never judged. */
export interface NoteEvent { kind: 'note'; at: number; step: number; text: string }

export type TraceEvent =
  | ActionEvent
  | CompletedEvent
  | HungEvent
  | PingEvent
  | ReclaimedEvent
  | CallbackDeliveredEvent
  | ProcessExitEvent
  | NoteEvent;
export type EventKind = TraceEvent['kind'];

/** What an adapter reports: the runner adds the step. */
export type AdapterEvent = TraceEvent extends infer E ? (E extends TraceEvent ? Omit<E, 'step'> : never) : never;

export const EVENT_KINDS: readonly EventKind[] = [
  'action',
  'completed',
  'hung',
  'ping',
  'reclaimed',
  'callbackDelivered',
  'processExit',
  'note',
];

export interface Trace {
  capabilities: Capabilities;
  seed: number;
  world: World;
  events: TraceEvent[];
}
