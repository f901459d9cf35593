import { PING_PERIOD_MS, formatMs, type PingEvent, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { RunState } from '../state';

/**
 * PING-SEQUENCE (MS-DCOM 3.2.6.1, 3.1.2.5.1.3): each client's ping sets, as it keeps them,
 * and their cadence: a set that holds objects is pinged (sent, whether or not the network
 * delivers it) at least once per ping period. Cadence is judged when a later ping shows the
 * resolver at work; a resolver gone silent altogether is NO-EARLY-RUNDOWN's to catch.
 */
export class PingSequence extends Checker {
  private readonly flagged = new Set<string>();
  /** Last time each set the client keeps was pinged, lost pings included. */
  private readonly sent = new Map<string, PingEvent>();
  /** Earliest time any kept set falls overdue; cadence is checked only once time passes it. */
  private nextDue = Infinity;

  observe(e: TraceEvent, s: RunState): void {
    if (e.kind !== 'ping' || e.duplicate) return;
    if (e.at > this.nextDue) this.cadence(s, e.at);
    const creating = e.type === 'complex' && (e.setId === '0' || e.setId === '');
    const id = creating ? e.newSetId : e.setId;
    if (id !== undefined) {
      this.sent.set(`${e.from}>${e.to}>${id}`, e);
      const due = e.at + this.ctx.bound(PING_PERIOD_MS);
      if (due < this.nextDue) this.nextDue = due;
    }
    const link = `${e.from}>${e.to}`;
    const other = [...s.pingSets.values()].find(
      (set) =>
        set.from === e.from &&
        set.to === e.to &&
        set.setId !== (creating ? e.newSetId : e.setId) &&
        set.oids.size > 0 &&
        set.lastPingAt < e.at &&
        set.lastPingAt >= e.at - 2 * PING_PERIOD_MS,
    );
    if (other) this.once(`${link} sets`, `${e.from} keeps a second ping set to ${e.to} beside set ${other.setId}; resolvers keep one per machine`, e);
    if (creating) return;
    const before = s.previous;
    this.exercise(e.type === 'simple' ? 'SimplePing' : `ComplexPing${e.adds.length ? ' add' : ''}${e.dels.length ? ' del' : ''}`);
    if (!before) {
      if (e.status === 'ok') this.once(`${link} ${e.setId} unknown`, `${e.from} pings set ${e.setId}, which no ComplexPing created`, e);
      return;
    }
    if (e.type === 'simple') return;
    if (e.seq <= before.lastSeq) this.once(`${link} ${e.setId} seq`, `ComplexPing on set ${e.setId} reuses sequence number ${e.seq} (last ${before.lastSeq})`, e);
    const readded = e.adds.filter((o) => before.oids.has(o));
    if (readded.length) this.once(`${link} readd`, `ComplexPing adds ${readded.join(' ')} already in set ${e.setId}`, e);
    const strangers = e.dels.filter((o) => !before.oids.has(o));
    if (strangers.length) this.once(`${link} strangers`, `ComplexPing deletes ${strangers.join(' ')}, not in set ${e.setId}`, e);
  }

  /** Flags each set that still holds objects (as its client sees it) and was not pinged for a period. */
  private cadence(s: RunState, now: number): void {
    this.nextDue = Infinity;
    for (const [key, last] of this.sent) {
      const at = last.at;
      const set = s.pingSets.get(key);
      if (!set || set.oids.size === 0) {
        this.sent.delete(key);
        continue;
      }
      const due = at + this.ctx.bound(PING_PERIOD_MS);
      if (now <= due) {
        if (due < this.nextDue) this.nextDue = due;
        continue;
      }
      this.sent.delete(key);
      const link = `${set.from}>${set.to} cadence`;
      if (this.flagged.has(link)) continue;
      this.flagged.add(link);
      this.exercise();
      this.fail(
        `${set.from} did not ping set ${set.setId} on ${set.to} (holding ${[...set.oids].join(' ')}) for ${formatMs(now - at)}, more than one ping period (${formatMs(PING_PERIOD_MS)})`,
        [last],
      );
    }
  }

  private once(key: string, message: string, e: TraceEvent): void {
    if (this.flagged.has(key)) return;
    this.flagged.add(key);
    this.fail(message, [e]);
  }
}
