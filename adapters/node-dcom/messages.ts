/** IPC between the node-dcom adapter (parent) and the client process running node-dcom (child). */

import type { Run } from '../emulated/link';
import type { StepResult, Steps } from '../emulated/messages';

export type { StepResult };

/** `clsid`: the class to activate (default: the test class). */
export type ProgramStep = Steps<{ op: 'activate'; handle: string; address: string; identity: string; clsid?: string }, string>;

export type ToChild =
  | { t: 'begin'; now: number }
  | { t: 'tick'; to: number }
  | Run<ProgramStep>
  | { t: 'state' }
  | { t: 'end' }
  | { t: 'tryExit' }
  /** The program dies at once, as under SIGKILL. */
  | { t: 'crash' }
  /** Forget the ended program and get ready for a new one. */
  | { t: 'recycle' };

export type FromChild =
  | { t: 'ready'; now: number }
  | { t: 'begun'; now: number }
  /** A tick is over: the state after it. */
  | (ChildState & { t: 'ticked'; now: number })
  | { t: 'done'; id: number; result: StepResult }
  | (ChildState & { t: 'state' })
  | { t: 'tryExit'; exiting: boolean; timers: number; handles: string[] }
  | { t: 'crashed' }
  /** Whether the process is as good as fresh; if not, the parent ends it. */
  | { t: 'recycled'; ok: boolean };

/** What the child is doing, as far as the parent's clock needs to know. */
export interface ChildState {
  /** Program steps and timer callbacks not yet settled. */
  pending: number;
  /** Moves with every socket event, write and timer callback. */
  activity: number;
  queued: number;
  /** Real asynchronous work queued (setImmediate, connects, lookups), by resource type. */
  work: string[];
  /** Open sockets: [local port, bytes written, bytes read]. */
  flows: Array<[number, number, number]>;
  /** When the next fake timer is due, if any. */
  due: number | null;
}
