import { PING_PERIOD_MS, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { RunState } from '../state';

/** PING-SEQUENCE (MS-DCOM 3.2.6.1, 3.1.2.5.1.3): each client's ping sets, as it keeps them. */
export class PingSequence extends Checker {
  private readonly flagged = new Set<string>();

  observe(e: TraceEvent, s: RunState): void {
    if (e.kind !== 'ping' || e.duplicate) return;
    const creating = e.type === 'complex' && (e.setId === '0' || e.setId === '');
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

  private once(key: string, message: string, e: TraceEvent): void {
    if (this.flagged.has(key)) return;
    this.flagged.add(key);
    this.fail(message, [e]);
  }
}
