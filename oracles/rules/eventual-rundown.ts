import { PING_SET_TIMEOUT_MS, RUNDOWN_SLACK_MS, formatMs, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { HandleInfo, ObjectInfo, RunState } from '../state';

/**
 * EVENTUAL-RUNDOWN (MS-DCOM 3.1.2.2, 3.1.2.6). When nobody who can ping holds an object any
 * more, and not every reference was given back, the exporter must run it down: not before
 * three ping periods after the last sign of life while a cut-off holder lives, and not later
 * than that plus the slack.
 */
export class EventualRundown extends Checker {
  observe(e: TraceEvent, s: RunState): void {
    if (e.kind !== 'reclaimed' || e.cause !== 'rundown') return;
    const obj = s.objects.get(e.oid);
    if (!obj) return;
    const cutOff = s.liveHandles(e.oid).find((h) => s.processAlive(h.holder) && s.isPartitioned(h.machine, obj.exporter, e.at));
    if (cutOff && e.at < s.lastAlive(obj) + PING_SET_TIMEOUT_MS) {
      this.fail(
        `${obj.exporter} ran ${e.oid} down ${formatMs(e.at - s.lastAlive(obj))} after its last sign of life while ${cutOff.holder} was cut off, before ${formatMs(PING_SET_TIMEOUT_MS)}`,
        [s.actionEvents[cutOff.step], e],
      );
    }
  }

  override finish(s: RunState): void {
    for (const obj of s.objects.values()) this.judge(obj, s);
  }

  /** When the last holder able to ping lost that ability, or undefined if one still can. */
  private lostSince(h: HandleInfo, obj: ObjectInfo, s: RunState): number | undefined {
    const p = h.holder.startsWith('<') ? undefined : s.processes.get(h.holder);
    const end = Math.min(h.droppedAt ?? Infinity, p?.endedAt ?? Infinity);
    if (end === Infinity && !s.isPartitioned(h.machine, obj.exporter, s.end)) return undefined;
    const at = end === Infinity ? s.end : end;
    const cut = s.cutAt(h.machine, obj.exporter, at);
    return Math.max(h.createdAt, cut ? cut[0] : at);
  }

  private judge(obj: ObjectInfo, s: RunState): void {
    if (obj.handles.length === 0) return;
    let since = -Infinity;
    for (const h of obj.handles) {
      const lost = this.lostSince(h, obj, s);
      if (lost === undefined) return;
      since = Math.max(since, lost);
    }
    // Every reference handed back: RELEASE-RECLAIM judges that.
    if (obj.handles.every((h) => h.returned)) return;
    if (obj.reclaimedAt !== undefined && obj.reclaimedAt <= since) return;
    const how = obj.handles.map((h) => (h.droppedAt === undefined ? 'partition' : h.returned ? h.dropKind : `${h.dropKind}`));
    this.exercise(`${obj.kind} object after ${[...new Set(how)].sort().join(' + ')}`);
    const deadline = Math.max(s.lastAlive(obj), since) + PING_SET_TIMEOUT_MS + RUNDOWN_SLACK_MS;
    const last = obj.handles.reduce((a, b) => ((a.droppedAt ?? a.createdAt) >= (b.droppedAt ?? b.createdAt) ? a : b));
    if (obj.reclaimedAt === undefined) {
      if (s.end > this.ctx.bound(deadline)) {
        this.fail(
          `${obj.exporter} never reclaimed ${obj.oid}, whose holders could no longer ping from ${formatMs(since)} (due by ${formatMs(deadline)})`,
          [s.actionEvents[last.step], s.actionEvents[s.actionEvents.length - 1]],
        );
      }
    } else if (obj.reclaimedAt > this.ctx.bound(deadline)) {
      this.fail(`${obj.exporter} reclaimed ${obj.oid} at ${formatMs(obj.reclaimedAt)}, after its deadline ${formatMs(deadline)}`, [
        s.actionEvents[last.step],
      ]);
    }
  }
}
