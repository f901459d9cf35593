/**
 * The settle period after a run's last action: virtual time passes until nothing the run left
 * behind could still change a verdict (oracles/settle.ts), never longer than an upper bound.
 * It advances in chunks worked out from the trace alone, so a replay settles as the recorded
 * run did; each chunk is one `advance` marked `settle` in the trace.
 */
import { SettleWatch } from '../oracles';
import type { TraceRecorder } from './recorder';

/** Settles the run being recorded; at once (no promise) when the adapter answers at once. */
export function settleRun(recorder: TraceRecorder, maxMs: number): void | Promise<void> {
  const watch = new SettleWatch(recorder.trace());
  const until = watch.end + maxMs;
  let reachedBound = false;
  const next = (): void | Promise<void> => {
    // Past the bound nothing more is asked: what the last chunk brought is not worth a look.
    while (!reachedBound) {
      const target = Math.min(until, watch.horizon());
      // Whole ms: adapters take integral advances, and a deadline is met at or after its time.
      const ms = Math.ceil(target - watch.end);
      if (!(ms > 0)) return;
      reachedBound = target === until;
      const reported = recorder.apply({ kind: 'advance', ms }, true);
      if (reported instanceof Promise) return reported.then(next);
    }
  };
  return next();
}
