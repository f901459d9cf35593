import { PING_SET_TIMEOUT_MS, RUNDOWN_SLACK_MS, formatMs, type Action, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { HandleInfo, ObjectInfo, RunState } from '../state';

/**
 * EVENTUAL-RUNDOWN (MS-DCOM 3.1.2.2, 3.1.2.6). When nobody who can ping holds an object any
 * more, and not every reference was given back, the exporter must run it down: not before
 * three ping periods after the last sign of life while a cut-off holder lives, and not later
 * than that plus the slack.
 */
export class EventualRundown extends Checker {
  /** What a violation cites as its cause: the action that dropped each handle, and the partitions. */
  private readonly drops = new Map<HandleInfo, TraceEvent>();
  private readonly cuts: TraceEvent[] = [];
  private readonly reclaims = new Map<string, TraceEvent>();
  /** Heals and other actions, by time, that may end a span in which nobody could ping. */
  private readonly ends: TraceEvent[] = [];

  observe(e: TraceEvent, s: RunState): void {
    if (e.kind === 'action') {
      for (const h of s.dropped) this.drops.set(h, e);
      if (e.action.kind === 'partition') this.cuts.push(e);
      if (e.action.kind === 'heal' || e.action.kind === 'activateShared' || e.action.kind === 'handOver') this.ends.push(e);
      return this.usedAfterHeal(e.action, s);
    }
    if (e.kind === 'reclaimed') this.reclaims.set(e.oid, e);
    if (e.kind !== 'reclaimed' || e.cause !== 'rundown') return;
    const obj = s.objects.get(e.oid);
    if (!obj) return;
    // Judged per cut-off holder: its reference may go three periods after the last sign of
    // life its own machine gave, or the exporter's last hand-out, whatever other holders did.
    for (const h of s.liveHandles(e.oid)) {
      if (!s.processAlive(h.holder) || !s.isPartitioned(h.machine, obj.exporter, e.at)) continue;
      const alive = s.lastAliveFor(h);
      if (e.at >= alive + PING_SET_TIMEOUT_MS) continue;
      this.fail(
        `${obj.exporter} ran ${e.oid} down ${formatMs(e.at - alive)} after its last sign of life for ${h.holder}'s ${h.handle} on ${h.machine}, which was cut off, before ${formatMs(PING_SET_TIMEOUT_MS)}`,
        [s.actionEvents[h.step], this.partitionOf(h, obj, s, e.at), e],
      );
      return;
    }
  }

  /**
   * A proxy whose holder was cut off from the exporter for longer than the rundown window, and
   * is used again after the heal (a call, QueryInterface, a callback passed, a hand-over or a
   * Release: each reaches the exporter): its object must have been run down meanwhile, and the
   * use shows how the exporter and the resolvers recover (the set is gone, the call fails).
   */
  private usedAfterHeal(a: Action, s: RunState): void {
    if (a.kind !== 'call' && a.kind !== 'queryInterface' && a.kind !== 'passCallback' && a.kind !== 'handOver' && a.kind !== 'release') return;
    const h = s.handleOf(a.handle);
    if (!h || !s.processAlive(h.holder)) return;
    for (const [from, to] of s.cutsOf(h.machine, h.exporter)) {
      if (to <= s.now && from >= h.createdAt && to - from > PING_SET_TIMEOUT_MS) {
        this.exercise('cut off past the rundown window, healed, proxy used');
        return;
      }
    }
  }

  override finish(s: RunState): void {
    for (const obj of s.objects.values()) {
      this.judge(obj, s);
      this.judgeHealed(obj, s);
    }
  }

  /**
   * The spans, before the end of the run, in which no holder of the object could ping it (all
   * cut off, or gone) until a partition healed or a new holder came. If references were still
   * out when such a span began, the exporter must have run the object down within the window
   * after its last sign of life: its sets' last pings came before the span, and what it heard
   * during the span (a machine deleting it once its last holder there went) is written down.
   */
  private judgeHealed(obj: ObjectInfo, s: RunState): void {
    if (obj.handles.length === 0) return;
    const able: Array<[number, number]> = [];
    for (const h of obj.handles) {
      const p = h.holder.startsWith('<') ? undefined : s.processes.get(h.holder);
      const stop = Math.min(h.droppedAt ?? Infinity, p?.endedAt ?? Infinity, s.end);
      let from = h.createdAt;
      if (h.machine !== obj.exporter) {
        for (const [c0, c1] of s.cutsOf(h.machine, obj.exporter)) {
          if (c1 <= from || c0 >= stop) continue;
          if (c0 > from) able.push([from, c0]);
          from = Math.max(from, c1);
        }
      }
      if (from < stop) able.push([from, stop]);
    }
    able.sort((a, b) => a[0] - b[0]);
    let reach = -Infinity;
    for (const [a0, a1] of able) {
      if (reach !== -Infinity && a0 > reach) this.judgeSpan(obj, reach, a0, s);
      reach = Math.max(reach, a1);
    }
  }

  private judgeSpan(obj: ObjectInfo, from: number, to: number, s: RunState): void {
    if (obj.reclaimedAt !== undefined && obj.reclaimedAt <= from) return;
    const out = obj.handles.filter((h) => h.createdAt <= from && !(h.droppedAt !== undefined && h.droppedAt <= from && h.returned));
    if (out.length === 0) return;
    // Signs of life in the span: a machine deleting it once its last holder there went, or a
    // machine pinging a set that still holds it (its client's fault, not the exporter's).
    let last = Math.max(from, s.lastPingHolding(obj.oid, from, to));
    for (const at of obj.heard ?? []) if (at > last && at < to) last = at;
    const deadline = last + PING_SET_TIMEOUT_MS + RUNDOWN_SLACK_MS;
    if (to <= this.ctx.bound(deadline)) return;
    this.exercise('holders cut off past the window, then healed');
    if (obj.reclaimedAt !== undefined && obj.reclaimedAt <= this.ctx.bound(deadline)) return;
    const when = obj.reclaimedAt === undefined ? 'never reclaimed' : `reclaimed only at ${formatMs(obj.reclaimedAt)}`;
    // Cited: the holder's reference, what cut the last able holder off (its partition or its
    // end), what ended the span (a heal, or a new holder), and a late reclaim.
    const h = out[out.length - 1];
    const began = out.map((x) => (x.droppedAt === from ? this.drops.get(x) : this.partitionOf(x, obj, s, from))).find((x) => x !== undefined);
    const ended = this.ends.find((x) => x.at === to);
    this.fail(
      `${obj.exporter} ${when} ${obj.oid}, which no holder could ping from ${formatMs(from)} to ${formatMs(to)} (due by ${formatMs(deadline)})`,
      [s.actionEvents[h.step], began, ended, obj.reclaimedAt !== undefined ? this.reclaims.get(obj.oid) : undefined],
    );
  }

  /**
   * When the last holder able to ping lost that ability, with the event that took it away
   * (its drop, or the partition); undefined if one still can.
   */
  private loss(h: HandleInfo, obj: ObjectInfo, s: RunState): { at: number; cause?: TraceEvent } | undefined {
    const p = h.holder.startsWith('<') ? undefined : s.processes.get(h.holder);
    const end = Math.min(h.droppedAt ?? Infinity, p?.endedAt ?? Infinity);
    if (end === Infinity && !s.isPartitioned(h.machine, obj.exporter, s.end)) return undefined;
    const at = end === Infinity ? s.end : end;
    const cut = s.cutAt(h.machine, obj.exporter, at);
    return { at: Math.max(h.createdAt, cut ? cut[0] : at), cause: cut ? this.partitionOf(h, obj, s, at) : this.drops.get(h) };
  }

  /** The partition action that cut a holder off from the exporter at a time. */
  private partitionOf(h: HandleInfo, obj: ObjectInfo, s: RunState, at: number): TraceEvent | undefined {
    const cut = s.cutAt(h.machine, obj.exporter, at);
    if (!cut) return undefined;
    for (let i = this.cuts.length - 1; i >= 0; i--) {
      const c = this.cuts[i];
      if (c.at === cut[0] && c.kind === 'action' && c.action.kind === 'partition' && (c.action.machine === h.machine || c.action.machine === obj.exporter)) return c;
    }
    return undefined;
  }

  /**
   * For an object nobody able to ping holds any more, and not every reference was given back:
   * since when (and what ended it), and the deadline of its rundown. Undefined for any other.
   */
  private owed(obj: ObjectInfo, s: RunState): { since: number; cause?: TraceEvent; deadline: number } | undefined {
    if (obj.handles.length === 0) return undefined;
    let since = -Infinity;
    let cause: TraceEvent | undefined;
    for (const h of obj.handles) {
      const lost = this.loss(h, obj, s);
      if (lost === undefined) return undefined;
      if (lost.at >= since) cause = lost.cause;
      since = Math.max(since, lost.at);
    }
    // Every reference handed back: RELEASE-RECLAIM judges that.
    if (obj.handles.every((h) => h.returned)) return undefined;
    if (obj.reclaimedAt !== undefined && obj.reclaimedAt <= since) return undefined;
    return { since, cause, deadline: Math.max(s.lastAlive(obj), since) + PING_SET_TIMEOUT_MS + RUNDOWN_SLACK_MS };
  }

  /** An owed rundown not yet seen may still come, or be missed, until just past its deadline. */
  override pendingUntil(s: RunState): number {
    let until = -Infinity;
    for (const obj of s.objects.values()) {
      if (obj.reclaimedAt !== undefined) continue;
      const owed = this.owed(obj, s);
      // "Never reclaimed" needs the trace to reach past the deadline, not onto it.
      if (owed) until = Math.max(until, this.ctx.bound(owed.deadline) + 1);
    }
    return until;
  }

  private judge(obj: ObjectInfo, s: RunState): void {
    const owed = this.owed(obj, s);
    if (!owed) return;
    const { since, cause, deadline } = owed;
    const how = obj.handles.map((h) => (h.droppedAt === undefined ? 'partition' : h.returned ? h.dropKind : `${h.dropKind}`));
    this.exercise(`${obj.kind} object after ${[...new Set(how)].sort().join(' + ')}`);
    if (new Set(obj.handles.map((h) => h.machine)).size > 1) this.exercise('object held on both machines, every holder gone or cut off');
    const last = obj.handles.reduce((a, b) => ((a.droppedAt ?? a.createdAt) >= (b.droppedAt ?? b.createdAt) ? a : b));
    if (obj.reclaimedAt === undefined) {
      if (s.end > this.ctx.bound(deadline)) {
        this.fail(
          `${obj.exporter} never reclaimed ${obj.oid}, whose holders could no longer ping from ${formatMs(since)} (due by ${formatMs(deadline)})`,
          [s.actionEvents[last.step], cause, s.actionEvents[s.actionEvents.length - 1]],
        );
      }
    } else if (obj.reclaimedAt > this.ctx.bound(deadline)) {
      this.fail(`${obj.exporter} reclaimed ${obj.oid} at ${formatMs(obj.reclaimedAt)}, after its deadline ${formatMs(deadline)}`, [
        s.actionEvents[last.step],
        cause,
        this.reclaims.get(obj.oid),
      ]);
    }
  }
}
