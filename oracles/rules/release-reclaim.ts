import { RELEASE_PROMPT_MS, formatMs, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { RunState } from '../state';

interface Due {
  oid: string;
  by: number;
  step: number;
}

/**
 * RELEASE-RECLAIM (MS-DCOM 3.2.4.4.2, 3.1.1.5.8). When a reachable holder gives back the last
 * reference (Release to zero, CoUninitialize, the server releasing a callback) and every
 * reference was given back, the exporter reclaims the object promptly.
 */
export class ReleaseReclaim extends Checker {
  private due: Due[] = [];

  observe(e: TraceEvent, s: RunState): void {
    if (this.due.length) this.settle(s, e.at);
    if (e.kind !== 'action') return;
    for (const h of s.dropped) {
      if (!h.returned) continue;
      const obj = s.objects.get(h.oid)!;
      if (obj.reclaimedAt !== undefined || s.liveHandles(h.oid).length > 0 || !obj.handles.every((x) => x.returned)) continue;
      this.exercise(`${obj.kind} object, last reference by ${h.dropKind}${h.tags.has('qi') ? ' after QueryInterface' : ''}`);
      // The last holder anywhere: every other process that held it gave its reference back.
      const holders = new Set(obj.handles.map((x) => x.holder));
      if (holders.size > 1) {
        const machines = new Set(obj.handles.map((x) => x.machine));
        this.exercise(`last of several holders ${machines.size > 1 ? 'on both machines' : 'on one machine'}`);
        if (obj.handles.some((x) => x.tags.has('handed'))) this.exercise('last holder of a handed-over object');
      }
      this.due.push({ oid: h.oid, by: e.at + this.ctx.bound(RELEASE_PROMPT_MS), step: e.step });
    }
  }

  override finish(s: RunState): void {
    this.settle(s, Infinity);
  }

  /** An object released to nobody may still be reclaimed in time until its due time. */
  override pendingUntil(s: RunState): number {
    let until = -Infinity;
    for (const d of this.due) if (s.objects.get(d.oid)!.reclaimedAt === undefined && d.by > until) until = d.by;
    return until;
  }

  private settle(s: RunState, now: number): void {
    this.due = this.due.filter((d) => {
      const obj = s.objects.get(d.oid)!;
      if (obj.reclaimedAt !== undefined && obj.reclaimedAt <= d.by) return false;
      if (now <= d.by && obj.reclaimedAt === undefined) return true;
      const when = obj.reclaimedAt === undefined ? 'was never reclaimed' : `was reclaimed only at ${formatMs(obj.reclaimedAt)} (${obj.cause})`;
      this.fail(`${d.oid} ${when} after its last reference was released at ${formatMs(s.actionEvents[d.step].at)}`, [s.actionEvents[d.step]]);
      return false;
    });
  }
}
