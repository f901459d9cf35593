/** JSON Lines between the impacket adapter (parent) and a client process running driver.py. */

/** One step of the client program; handles are the kit's names for proxies. */
export type ProgramStep =
  | { op: 'activate'; handle: string }
  | { op: 'queryInterface'; handle: string; newHandle: string; iid: 'ITest' | 'IUnknown' | 'IMissing' }
  | { op: 'addRef'; handle: string }
  | { op: 'release'; handle: string }
  | { op: 'call'; handle: string }
  | { op: 'exit' };

export type StepResult =
  | { ok: true; ipid?: string; hr: number; detail?: string }
  | { ok: false; hr: number; detail: string };

export type ToChild =
  | { t: 'begin'; now: number; port: number }
  | { t: 'run'; id: number; step: ProgramStep }
  | { t: 'peek' }
  | { t: 'tick'; to: number }
  | { t: 'end' };

/**
 * `log`: what impacket logged meanwhile. `exiting`: nothing keeps the process alive any more
 * (its program is over, no ping timer is armed); it ends right after saying so.
 */
export type FromChild =
  | { t: 'hello'; token: string; pid: number }
  | { t: 'ready' }
  | { t: 'begun' }
  | { t: 'done'; id: number; result: StepResult; log: string[]; exiting: boolean }
  | { t: 'peek'; due: number | null }
  | { t: 'ticked'; busy: number; log: string[]; exiting: boolean }
  | { t: 'ended'; exiting: boolean };
