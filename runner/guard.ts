/**
 * A watchdog around an in-process adapter: a step that has not finished after a real-time
 * limit fails with AdapterStepTimeout (an AdapterFault of kind 'hang') instead of stalling
 * the campaign. Out-of-process adapters have their own step timeout in adapters/process.
 */
import { AdapterFault, type Action, type Adapter, type AdapterEvent, type World } from '../spec';
import { RunInterrupted } from './recorder';

/** Real ms one reset/apply/advance may take by default. */
export const DEFAULT_STEP_LIMIT_MS = 60_000;

export class AdapterStepTimeout extends AdapterFault {
  override name = 'AdapterStepTimeout';
}

/**
 * A synchronous adapter (`Adapter.sync`) comes back as it is: its steps hold the event loop
 * until they finish, so no timer could interrupt one, and wrapping it would cost every run a
 * promise and a timer per command (a third of a campaign on the reference world).
 */
export function guardAdapter(adapter: Adapter, limitMs = DEFAULT_STEP_LIMIT_MS, signal?: AbortSignal): Adapter {
  if (adapter.sync) return adapter;
  const within = <T>(what: string, work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AdapterStepTimeout('hang', adapter.capabilities.name, what, `did not finish within ${limitMs / 1000} s of real time`)),
        limitMs,
      );
      // An interrupted campaign does not wait for a slow step: the adapter is closed next.
      onAbort = () => reject(new RunInterrupted(`interrupted during ${what}`));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([work, limit]).finally(() => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    });
  };
  return {
    capabilities: adapter.capabilities,
    reset: (seed: number, world: World): Promise<AdapterEvent[]> => within(`reset (seed ${seed})`, adapter.reset(seed, world)),
    apply: (action: Action): Promise<AdapterEvent[]> => within(`apply ${action.kind}`, adapter.apply(action)),
    advance: (ms: number): Promise<AdapterEvent[]> => within(`advance ${ms} ms`, adapter.advance(ms)),
    // A close that never finishes must not keep the kit alive either.
    close: () => within('close', adapter.close()).catch(() => undefined),
  };
}
