/** JSON Lines between the impacket adapter (parent) and a client process running driver.py. */

import type { Run } from '../emulated/link';
import type { StepResult, Steps } from '../emulated/messages';

export type { StepResult };

export type ProgramStep = Steps<{ op: 'activate'; handle: string }, 'ITest' | 'IUnknown' | 'IMissing'>;

export type ToChild =
  | { t: 'begin'; now: number; port: number }
  | Run<ProgramStep>
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
