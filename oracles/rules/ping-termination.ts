import { PING_PERIOD_MS, formatMs, type MachineId, type ObjectId, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { HandleInfo, RunState } from '../state';

/**
 * PING-TERMINATION (Q224837; MS-DCOM 3.2.6.1). A ping may keep an object alive for at most
 * one ping period after its machine's last reference to it ended; a machine that holds
 * nothing on a server sends it nothing but DelFromSet. Each object and each link is reported
 * once per run.
 */
export class PingTermination extends Checker {
  /** Objects reported. */
  private readonly flagged = new Set<string>();
  /** Links reported, by client: a per-ping string key was a tenth of this checker. */
  private readonly flaggedLinks = new Map<MachineId, Set<MachineId>>();

  /**
   * A holder of an object others hold too goes: its machine keeps pinging the object while a
   * local process holds it, and stops within a period once none does, whatever the other
   * machine does.
   */
  private severalHolders(h: HandleInfo, s: RunState): void {
    const live = s.liveHandles(h.oid);
    if (live.some((x) => x.machine === h.machine && x.holder !== h.holder)) this.exercise('dropped while another process on its machine holds it');
    else if (!s.heldOn(h.machine, h.oid) && live.some((x) => x.machine !== h.machine && x.machine !== h.exporter)) {
      this.exercise("machine's last holder gone while the other machine holds it");
    }
  }

  observe(e: TraceEvent, s: RunState): void {
    if (e.kind === 'action') {
      for (const h of s.dropped) {
        if (h.machine === h.exporter) continue;
        this.exercise(`${h.dropKind}${h.tags.has('coauthinfo') ? ' after COAUTHINFO' : ''}${h.tags.has('blanket') ? ' after blanket' : ''}`);
        this.severalHolders(h, s);
      }
      return;
    }
    if (e.kind !== 'ping' || e.duplicate || !s.claimed) return;
    // Only claimed objects the machine no longer references can be late; a set may hold
    // hundreds that it does.
    const late: ObjectId[] = [];
    for (const oid of s.claimedUnreferenced(e.from)) {
      const since = s.unreferencedSince(e.from, { oid });
      if (since && e.at > since.at + PING_PERIOD_MS && !this.flagged.has(oid)) late.push(oid);
    }
    // Reported in the order the ping lists them.
    const order = late.length > 1 ? [...s.claimed].filter((oid) => late.includes(oid)) : late;
    for (const oid of order) {
      const since = s.unreferencedSince(e.from, { oid })!;
      this.flagged.add(oid);
      this.fail(
        `${e.from} still pings ${oid} on ${e.to} ${formatMs(e.at - since.at)} after its last reference ended (limit ${formatMs(PING_PERIOD_MS)})`,
        [s.actionEvents[since.step], e],
      );
    }
    const onlyDeletes = e.type === 'complex' && e.adds.length === 0 && e.dels.length > 0;
    if (onlyDeletes || this.flaggedLinks.get(e.from)?.has(e.to)) return;
    const none = s.unreferencedSince(e.from, { to: e.to });
    if (none && e.at > none.at + PING_PERIOD_MS) {
      let links = this.flaggedLinks.get(e.from);
      if (!links) this.flaggedLinks.set(e.from, (links = new Set()));
      links.add(e.to);
      this.fail(
        `${e.from} still pings ${e.to} ${formatMs(e.at - none.at)} after it stopped referencing anything there`,
        [s.actionEvents[none.step], e],
      );
    }
  }
}
