import { OR, PING_PERIOD_MS, formatMs, type MachineId, type PingEvent, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { RunState } from '../state';

/**
 * PING-SEQUENCE (MS-DCOM 3.2.6.1, 3.1.2.5.1.3): each client's ping sets, as it keeps them,
 * and their cadence: a set that holds objects is pinged (sent, whether or not the network
 * delivers it) at least once per ping period. Cadence is judged when a later ping of the same
 * machine shows its resolver at work, over stretches its link to the exporter was up; a
 * resolver gone silent altogether is NO-EARLY-RUNDOWN's to catch.
 *
 * And the exporter's side of sequence numbers (3.1.2.5.1.3): a ComplexPing older than the
 * last one it accepted on a set (a datagram duplicated and delayed by the network) must be
 * answered with success and nothing done. Looking up its OIDs shows as OR_INVALID_OID for an
 * object reclaimed since, which is the first trace of a stale ComplexPing being applied.
 */
export class PingSequence extends Checker {
  private readonly flagged = new Set<string>();
  /** Last time each set the client keeps was pinged, lost pings included. */
  private readonly sent = new Map<string, PingEvent>();
  /** Per client machine, when one of its kept sets first falls overdue; checked once a ping of that machine comes later. */
  private readonly nextDue = new Map<MachineId, number>();
  /** Highest sequence number the exporter accepted on each set (`from>to>setId`). */
  private readonly acceptedSeq = new Map<string, number>();
  /** The ComplexPing that created each set the client keeps: what a second set's violation cites. */
  private readonly creations = new Map<string, { e: PingEvent; n: number }>();
  private made = 0;
  /** Sets (`from>to>setId`) the exporter answered OR_INVALID_SET: gone, never to be pinged again. */
  private readonly refused = new Set<string>();

  observe(e: TraceEvent, s: RunState): void {
    if (e.kind !== 'ping') return;
    if (e.type === 'complex') {
      this.staleness(e, s);
      this.severalHolders(e, s);
    }
    if (e.duplicate) return;
    if (e.at > (this.nextDue.get(e.from) ?? Infinity)) this.cadence(s, e.at, e.from);
    const creating = e.type === 'complex' && (e.setId === '0' || e.setId === '');
    const id = creating ? e.newSetId : e.setId;
    this.afterRefusal(e, s, creating);
    if (s.pingKey !== null) {
      if (creating) this.creations.set(s.pingKey, { e, n: this.made++ });
      this.sent.set(s.pingKey, e);
      const due = e.at + this.ctx.bound(PING_PERIOD_MS);
      if (due < (this.nextDue.get(e.from) ?? Infinity)) this.nextDue.set(e.from, due);
    }
    const holding = s.setsHolding(e.from, e.to);
    for (const key of holding.size > 0 && !this.flagged.has(`${e.from}>${e.to} sets`) ? holding : []) {
      const set = s.pingSets.get(key)!;
      if (
        set.setId !== id &&
        set.oids.size > 0 &&
        set.lastPingAt < e.at &&
        set.lastPingAt >= e.at - 2 * PING_PERIOD_MS
      ) {
        // The two creations prove it; the ping that revealed it is only a later consequence.
        const a = this.creations.get(key);
        const b = s.pingKey === null ? undefined : this.creations.get(s.pingKey);
        const cited = a && b ? (a.n < b.n ? [a.e, b.e] : [b.e, a.e]) : [e];
        this.once(`${e.from}>${e.to} sets`, `${e.from} keeps a second ping set to ${e.to} beside set ${set.setId}; resolvers keep one per machine`, cited);
        break;
      }
    }
    if (creating) return;
    this.exercise(e.type === 'simple' ? 'SimplePing' : `ComplexPing${e.adds.length ? ' add' : ''}${e.dels.length ? ' del' : ''}`);
    const link = () => `${e.from}>${e.to}`;
    const last = s.previousSeq;
    if (last === null) {
      if (e.status === 'ok') this.once(`${link()} ${e.setId} unknown`, `${e.from} pings set ${e.setId}, which no ComplexPing created`, e);
      return;
    }
    if (e.type === 'simple') return;
    if (e.seq <= last) this.once(`${link()} ${e.setId} seq`, `ComplexPing on set ${e.setId} reuses sequence number ${e.seq} (last ${last})`, e);
    if (s.readded.length) this.once(`${link()} readd`, `ComplexPing adds ${s.readded.join(' ')} already in set ${e.setId}`, e);
    if (s.strangers.length) this.once(`${link()} strangers`, `ComplexPing deletes ${s.strangers.join(' ')}, not in set ${e.setId}`, e);
  }

  /**
   * A set the exporter answered OR_INVALID_SET for no longer exists (it expired, or the
   * exporter lost it): pinging it again only repeats the error, while the objects the client
   * still holds go unpinged until a ComplexPing with set id 0 makes a new set (MS-DCOM
   * 3.2.6.1, 3.1.2.5.1.2-3). A set id given out again by a later creation is a new set.
   */
  private afterRefusal(e: PingEvent, s: RunState, creating: boolean): void {
    if (creating) {
      if (e.newSetId !== undefined) this.refused.delete(s.keyOf(e.from, e.to, e.newSetId));
      return;
    }
    const key = s.keyOf(e.from, e.to, e.setId);
    if (this.refused.has(key)) {
      this.exercise('ping after OR_INVALID_SET');
      this.once(`${key} refused`, `${e.from} pings set ${e.setId} again after ${e.to} answered OR_INVALID_SET for it; a new set must be made with set id 0`, e);
      return;
    }
    if (e.status === OR.OR_INVALID_SET) {
      this.refused.add(key);
      this.exercise('set refused with OR_INVALID_SET');
    }
  }

  /** ComplexPings that change what a machine's set holds of an object other holders share. */
  private severalHolders(e: PingEvent, s: RunState): void {
    if (e.duplicate || e.status === 'lost') return;
    const other = e.from === 'client1' ? 'client2' : e.from === 'client2' ? 'client1' : null;
    if (other === null) return;
    if (e.adds.some((o) => s.heldOn(other, o))) this.exercise('ComplexPing adds an object the other machine holds');
    if (e.dels.some((o) => s.heldOn(other, o))) this.exercise('ComplexPing deletes an object the other machine holds');
  }

  /** The exporter must ignore, with success, a ComplexPing older than one it accepted. */
  private staleness(e: PingEvent, s: RunState): void {
    if (e.newSetId !== undefined) {
      // Set ids may come again after an exporter restart: a creation starts the count afresh.
      if (e.status === 'ok') this.acceptedSeq.set(s.keyOf(e.from, e.to, e.newSetId), e.seq);
      return;
    }
    const key = s.keyOf(e.from, e.to, e.setId);
    const last = this.acceptedSeq.get(key);
    if (last === undefined) return;
    if (e.seq >= last) {
      if (e.status === 'ok') this.acceptedSeq.set(key, e.seq);
      return;
    }
    this.exercise('stale ComplexPing');
    if ([...e.adds, ...e.dels].some((o) => s.sharedObject(o))) this.exercise('stale ComplexPing naming an object several processes hold');
    if (e.status === OR.OR_INVALID_OID) {
      this.once(
        `${key} stale`,
        `${e.to} looked up the OIDs of ComplexPing ${e.seq} on set ${e.setId}, older than ${last} it had accepted (OR_INVALID_OID); a stale ComplexPing must be ignored with success`,
        e,
      );
    }
  }

  /**
   * Flags each of `from`'s sets that still holds objects (as its client sees it) and was not
   * pinged for a period, now that a ping of `from` shows its resolver at work. Another
   * machine's pings say nothing of this one's resolver (a client whose pinging ends with its
   * process, as node-dcom's does, goes silent as a whole).
   */
  private cadence(s: RunState, now: number, from: MachineId): void {
    let next = Infinity;
    for (const [key, last] of this.sent) {
      if (last.from !== from) continue;
      const at = last.at;
      const set = s.pingSets.get(key);
      if (!set || set.oids.size === 0) {
        this.sent.delete(key);
        continue;
      }
      const due = at + this.ctx.bound(PING_PERIOD_MS);
      if (now <= due) {
        if (due < next) next = due;
        continue;
      }
      this.sent.delete(key);
      // A client cut off from the exporter meanwhile may have tried: an adapter that sees the
      // wire from the exporter's side cannot show pings that never connected.
      if (!s.linkUpThroughout(set.from, set.to, at, now)) continue;
      const link = `${set.from}>${set.to} cadence`;
      if (this.flagged.has(link)) continue;
      this.flagged.add(link);
      this.exercise();
      this.fail(
        `${set.from} did not ping set ${set.setId} on ${set.to} (holding ${[...set.oids].join(' ')}) for ${formatMs(now - at)}, more than one ping period (${formatMs(PING_PERIOD_MS)})`,
        [last],
      );
    }
    this.nextDue.set(from, next);
  }


  private once(key: string, message: string, e: TraceEvent | Array<TraceEvent | undefined>): void {
    if (this.flagged.has(key)) return;
    this.flagged.add(key);
    this.fail(message, Array.isArray(e) ? e : [e]);
  }
}
