/**
 * The out-of-process adapter protocol: JSON Lines over the adapter's stdin (kit -> adapter)
 * and stdout (adapter -> kit), one JSON object per line. stderr is free for the adapter's
 * own logging and is never parsed. spec/protocol.schema.json is generated from these types.
 *
 * Exchange: the adapter speaks first with `hello`; then every kit request carries an `id`
 * and is answered by exactly one `events` (or `error`) message with the same id.
 */
import type { Action } from './actions';
import type { Clock, Observation } from './adapter';
import type {
  CallbackDeliveredEvent,
  CompletedEvent,
  HungEvent,
  NoteEvent,
  PingEvent,
  ProcessExitEvent,
  ReclaimedEvent,
} from './events';
import type { ActionKind } from './actions';
import type { World } from './world';

export const PROTOCOL_VERSION = 1;

/** Adapter -> kit, first line on stdout. */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  name: string;
  version: string;
  capabilities: { actions: ActionKind[]; observes: Observation[]; clock: Clock };
}

/** Kit -> adapter: start a fresh world. */
export interface ResetMessage { type: 'reset'; id: number; seed: number; world: World }
/** Kit -> adapter: carry out one action (never `advance`). */
export interface ApplyMessage { type: 'apply'; id: number; action: Action }
/** Kit -> adapter: let virtual time pass. */
export interface AdvanceMessage { type: 'advance'; id: number; ms: number }
/** Kit -> adapter: finish; the adapter answers and exits. */
export interface CloseMessage { type: 'close'; id: number }

/**
 * An event as an adapter reports it over the protocol: an AdapterEvent other than `action`
 * (the kit records actions itself). Spelled out member by member because the schema
 * generator cannot expand AdapterEvent's distributive conditional type.
 */
export type WireEvent =
  | Omit<CompletedEvent, 'step'>
  | Omit<HungEvent, 'step'>
  | Omit<PingEvent, 'step'>
  | Omit<ReclaimedEvent, 'step'>
  | Omit<CallbackDeliveredEvent, 'step'>
  | Omit<ProcessExitEvent, 'step'>
  | Omit<NoteEvent, 'step'>;

/** Adapter -> kit: the answer to a request. Every WireEvent is an AdapterEvent. */
export interface EventsMessage { type: 'events'; id: number; events: WireEvent[] }
/** Adapter -> kit: the request could not be carried out (an adapter fault, not a DCOM result). */
export interface ErrorMessage { type: 'error'; id?: number; message: string }

export type KitMessage = ResetMessage | ApplyMessage | AdvanceMessage | CloseMessage;
export type AdapterMessage = HelloMessage | EventsMessage | ErrorMessage;
