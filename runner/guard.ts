/**
 * A watchdog around an in-process adapter: a step that has not finished after a real-time
 * limit fails with AdapterStepTimeout instead of stalling the campaign. (Out-of-process
 * adapters get finer handling from adapters/process: a hang there becomes a `hung` event.)
 */
import type { Action, Adapter, AdapterEvent, World } from '../spec';

/** Real ms one reset/apply/advance may take by default. */
export const DEFAULT_STEP_LIMIT_MS = 60_000;

export class AdapterStepTimeout extends Error {
  override name = 'AdapterStepTimeout';
}

/**
 * A synchronous adapter (`Adapter.sync`) comes back as it is: its steps hold the event loop
 * until they finish, so no timer could interrupt one, and wrapping it would cost every run a
 * promise and a timer per command (a third of a campaign on the reference world).
 */
export function guardAdapter(adapter: Adapter, limitMs = DEFAULT_STEP_LIMIT_MS): Adapter {
  if (adapter.sync) return adapter;
  const within = <T>(what: string, work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AdapterStepTimeout(`adapter ${adapter.capabilities.name}: ${what} did not finish within ${limitMs / 1000} s of real time`)),
        limitMs,
      );
    });
    return Promise.race([work, limit]).finally(() => clearTimeout(timer));
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
