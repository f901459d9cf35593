/** IPC between the node-dcom adapter (parent) and the client process running node-dcom (child). */

/** One step of the client program; handles are the kit's names for proxies. */
export type ProgramStep =
  /** `clsid`: the class to activate (default: the test class). */
  | { op: 'activate'; handle: string; address: string; identity: string; clsid?: string }
  | { op: 'queryInterface'; handle: string; newHandle: string; iid: string }
  | { op: 'addRef'; handle: string }
  | { op: 'release'; handle: string }
  | { op: 'call'; handle: string }
  | { op: 'exit' };

export type StepResult =
  | { ok: true; ipid?: string; hr: number; detail?: string }
  | { ok: false; hr: number; detail: string };

export type ToChild =
  | { t: 'begin'; now: number }
  | { t: 'peek' }
  | { t: 'tick'; to: number }
  | { t: 'run'; id: number; step: ProgramStep }
  | { t: 'state' }
  | { t: 'end' }
  | { t: 'tryExit' };

export type FromChild =
  | { t: 'ready'; now: number }
  | { t: 'begun'; now: number }
  | { t: 'peek'; now: number; due: number | null }
  | { t: 'ticked'; now: number; pending: number }
  | { t: 'done'; id: number; result: StepResult }
  | {
      t: 'state';
      pending: number;
      activity: number;
      queued: number;
      /** Real asynchronous work queued (setImmediate, connects, lookups), by resource type. */
      work: string[];
      /** Open sockets: [local port, bytes written, bytes read]. */
      flows: Array<[number, number, number]>;
    }
  | { t: 'tryExit'; exiting: boolean; timers: number; handles: string[] };
