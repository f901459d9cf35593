import { CALL_TIMEOUT_MS, HR, formatHr, formatMs, type ReclaimCause, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { RunState } from '../state';

/** What an exporter may say of an object it no longer has: the stub is gone, or the IPID or object is unknown. */
const GONE = new Set<number>([HR.RPC_E_DISCONNECTED, HR.CO_E_OBJNOTCONNECTED, 0x80010113 /* RPC_E_INVALID_IPID */, HR.RPC_E_INVALID_OBJECT]);
const SERVER_DEAD = new Set<number>([
  HR.RPC_S_SERVER_UNAVAILABLE,
  HR.RPC_E_SERVER_DIED,
  HR.RPC_E_SERVER_DIED_DNE,
  HR.RPC_E_CONNECTION_TERMINATED,
  HR.RPC_S_CALL_FAILED,
  HR.RPC_S_CALL_FAILED_DNE,
]);

/** CALL-AFTER-RECLAIM (MS-DCOM 3.1.1.5.8; CoDisconnectObject). */
export class CallAfterReclaim extends Checker {
  private pending = new Map<number, { cause: ReclaimCause; dead: boolean }>();
  /** Each object's reclaim, which a violation cites as its cause. */
  private reclaims = new Map<string, TraceEvent>();

  observe(e: TraceEvent, s: RunState): void {
    if (e.kind === 'reclaimed') this.reclaims.set(e.oid, e);
    if (e.kind === 'action' && e.action.kind === 'call') {
      const h = s.handleOf(e.action.handle);
      const obj = h && s.objects.get(h.oid);
      if (!h || !obj || obj.reclaimedAt === undefined || s.isPartitioned(h.machine, h.exporter)) return;
      // A server that crashed after a disconnect is as dead as one whose crash reclaimed the object.
      this.pending.set(e.step, { cause: obj.cause ?? 'rundown', dead: obj.cause === 'server-crash' || s.exporterDied(obj) });
      return;
    }
    if ((e.kind !== 'completed' && e.kind !== 'hung') || !this.pending.has(e.step)) return;
    const { cause, dead } = this.pending.get(e.step)!;
    this.pending.delete(e.step);
    this.exercise(`call after ${cause}`);
    const action = s.actionEvents[e.step];
    const reclaim = action.action.kind === 'call' ? this.reclaims.get(s.handles.get(action.action.handle)?.oid ?? '') : undefined;
    if (e.kind === 'hung' || e.at - action.at > CALL_TIMEOUT_MS) {
      this.fail(`a call to an object reclaimed by ${cause} hangs`, [reclaim, action, e]);
      return;
    }
    const hr = e.hr >>> 0;
    if (GONE.has(hr) || (dead && SERVER_DEAD.has(hr))) return;
    this.fail(`a call to an object reclaimed by ${cause} returns ${formatHr(e.hr)} after ${formatMs(e.at - action.at)}`, [reclaim, action, e]);
  }
}
