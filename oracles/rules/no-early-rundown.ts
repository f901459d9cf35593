import { PING_PERIOD_MS, PING_SET_TIMEOUT_MS, formatMs, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { HandleInfo, RunState } from '../state';

/**
 * NO-EARLY-RUNDOWN (Q224837, Q184278; MS-DCOM 3.1.2.2). An object must not be reclaimed
 * (run down, or released while references remain) while a live holder could reach its
 * exporter during the whole ping-set window before.
 */
export class NoEarlyRundown extends Checker {
  observe(e: TraceEvent, s: RunState): void {
    if (e.kind !== 'reclaimed' || (e.cause !== 'rundown' && e.cause !== 'release')) return;
    const obj = s.objects.get(e.oid);
    if (!obj) return;
    for (const h of s.liveHandles(e.oid)) {
      if (!s.processAlive(h.holder)) continue;
      if (!s.linkUpThroughout(h.machine, obj.exporter, e.at - PING_SET_TIMEOUT_MS, e.at)) continue;
      const how = [...h.tags].join(', ');
      this.fail(
        `${obj.exporter} reclaimed ${e.oid} (${e.cause}) ${formatMs(e.at - h.createdAt)} after ${h.holder} got ${h.handle} (${how}), which still holds it and can reach ${obj.exporter}`,
        [s.actionEvents[h.step], e],
      );
      return;
    }
  }

  override finish(s: RunState): void {
    for (const h of s.handles.values()) {
      const end = h.droppedAt ?? s.end;
      if (h.machine === h.exporter || end - h.createdAt < PING_SET_TIMEOUT_MS) continue;
      if (!s.linkUpThroughout(h.machine, h.exporter, h.createdAt, end)) continue;
      const tags = ['unauthenticated', 'coauthinfo', 'blanket', 'untrusted'].filter((t) => h.tags.has(t));
      this.exercise(`held ${tags.length ? tags.join(' + ') : 'plain'} over ${s.transport(h.machine, h.exporter)}`);
      this.severalHolders(h, end, s);
    }
  }

  /**
   * Situations of an object several processes hold: this holder kept it a whole window after
   * another holder let go (its machine's delete, if any, goes out within a ping period), or
   * got it handed over.
   */
  private severalHolders(h: HandleInfo, end: number, s: RunState): void {
    if (h.tags.has('handed')) this.exercise(`handed over ${h.tags.has('handed across') ? 'across machines' : 'on one machine'}, held past the window`);
    const latest = end - PING_SET_TIMEOUT_MS - PING_PERIOD_MS;
    for (const other of s.objects.get(h.oid)?.handles ?? []) {
      if (other.holder === h.holder || other.droppedAt === undefined || other.droppedAt < h.createdAt || other.droppedAt > latest) continue;
      this.exercise(other.machine === h.machine ? 'outlived another holder on its machine' : 'outlived a holder on the other machine');
    }
  }
}
