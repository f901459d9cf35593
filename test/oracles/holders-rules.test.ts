/**
 * Rules judged per holder and per machine when several processes hold one object: a shared
 * instance (activateShared) or a proxy handed to another process (handOver).
 */
import { judge } from '../../oracles';
import { HR, type Profile, type RuleId, type Trace } from '../../spec';
import { TraceBuilder } from '../helpers/trace';

const S = 1000;
function outcome(trace: Trace, rule: RuleId, profile: Profile = 'strict') {
  return judge(trace, profile, new Set([rule]))[0];
}

/** p1 on client1 and p2 on client2 both activate shared instance s1 (oid1) at time 0. */
function sharedAcross(): TraceBuilder {
  const t = new TraceBuilder();
  t.act(0, { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true });
  t.act(0, { kind: 'start', process: 'p2', machine: 'client2', identity: 'bob', authenticated: true });
  t.act(0, { kind: 'activateShared', process: 'p1', handle: 'h1', instance: 's1' });
  t.done(0, HR.S_OK, 'oid1');
  t.act(0, { kind: 'activateShared', process: 'p2', handle: 'h2', instance: 's1' });
  t.done(0, HR.S_OK, 'oid1');
  t.createSet(10 * S, ['oid1'], 'set1', 'client1');
  t.createSet(20 * S, ['oid1'], 'set2', 'client2');
  return t;
}

/** p1 and p2 on client1: p1 activates oid1 and hands it to p2 at time 0. */
function handedLocally(): TraceBuilder {
  const t = new TraceBuilder().startAndActivate(0);
  t.act(0, { kind: 'start', process: 'p2', machine: 'client1', identity: 'bob', authenticated: true });
  t.act(0, { kind: 'handOver', handle: 'h1', process: 'p2', newHandle: 'h2' });
  t.done(0, HR.S_OK, 'oid1');
  t.createSet(10 * S, ['oid1'], 'set1', 'client1');
  return t;
}

describe('NO-EARLY-RUNDOWN, per holder', () => {
  test("fails a rundown after one machine's holder let go while the other machine's holder lives and reaches the server", () => {
    const t = sharedAcross();
    t.act(100 * S, { kind: 'release', handle: 'h1' });
    t.ping(130 * S, { type: 'complex', setId: 'set1', seq: 2, dels: ['oid1'] });
    t.ping(140 * S, { type: 'simple', setId: 'set2', from: 'client2' });
    t.settle(140 * S).reclaim(490 * S, 'oid1', 'rundown');
    const o = outcome(t.build(), 'NO-EARLY-RUNDOWN');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/p2 got h2 \(remote, shared\), which still holds it/);
  });

  test('passes the same holders when nothing is run down, and names the situation', () => {
    const t = sharedAcross();
    t.act(100 * S, { kind: 'release', handle: 'h1' });
    t.settle(100 * S);
    const o = outcome(t.build(), 'NO-EARLY-RUNDOWN');
    expect(o.status).toBe('pass');
    expect(o.situations).toContain('outlived a holder on the other machine');
  });

  test('fails a release reclaim while the process it was handed to still holds it', () => {
    const t = handedLocally();
    t.act(100 * S, { kind: 'release', handle: 'h1' });
    t.reclaim(100 * S, 'oid1', 'release').settle(100 * S);
    expect(outcome(t.build(), 'NO-EARLY-RUNDOWN').status).toBe('fail');
  });
});

describe('PING-TERMINATION, per machine', () => {
  test('fails a machine that still pings an object after its last local holder let go, though the other machine holds it', () => {
    const t = sharedAcross();
    t.act(100 * S, { kind: 'release', handle: 'h1' });
    t.ping(130 * S, { type: 'simple', setId: 'set1' });
    t.ping(250 * S, { type: 'simple', setId: 'set1' });
    t.ping(260 * S, { type: 'simple', setId: 'set2', from: 'client2' });
    t.settle(260 * S);
    const o = outcome(t.build(), 'PING-TERMINATION');
    expect(o.status).toBe('fail');
    expect(o.violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/^client1 still pings oid1 on server 150s after its last reference ended/),
      expect.stringMatching(/^client1 still pings server 150s after it stopped referencing anything there/),
    ]);
    expect(o.situations).toContain("machine's last holder gone while the other machine holds it");
  });

  test('passes a machine that keeps pinging for a local holder after another local holder let go', () => {
    const t = handedLocally();
    t.act(100 * S, { kind: 'release', handle: 'h1' });
    t.ping(130 * S, { type: 'simple', setId: 'set1' });
    t.ping(250 * S, { type: 'simple', setId: 'set1' });
    t.settle(250 * S);
    const o = outcome(t.build(), 'PING-TERMINATION');
    expect(o.status).toBe('pass');
    expect(o.situations).toContain('dropped while another process on its machine holds it');
  });
});

describe('RELEASE-RECLAIM, on the last holder anywhere', () => {
  test('expects no reclaim while another holder lives, and a prompt one after the last release', () => {
    const t = sharedAcross();
    t.act(100 * S, { kind: 'release', handle: 'h1' });
    t.act(200 * S, { kind: 'release', handle: 'h2' });
    const late = t.settle(200 * S).reclaim(200 * S + 1500, 'oid1', 'release').build();
    const o = outcome(late, 'RELEASE-RECLAIM');
    expect(o.status).toBe('fail');
    expect(o.violations).toHaveLength(1);
    expect(o.violations[0].message).toMatch(/released at 200s/);
    expect(o.situations).toContain('last of several holders on both machines');
    const t2 = sharedAcross();
    t2.act(100 * S, { kind: 'release', handle: 'h1' });
    t2.act(200 * S, { kind: 'release', handle: 'h2' });
    expect(outcome(t2.reclaim(200 * S, 'oid1', 'release').settle(200 * S).build(), 'RELEASE-RECLAIM').status).toBe('pass');
  });

  test('a hand-over: the marshaller letting go first is not the last release', () => {
    const t = handedLocally();
    t.act(100 * S, { kind: 'release', handle: 'h1' });
    t.settle(100 * S);
    expect(outcome(t.build(), 'RELEASE-RECLAIM').status).toBe('idle');
  });
});

describe('PING-SEQUENCE, a shared object in a machine set', () => {
  test('fails a machine that adds an object again for a second local holder', () => {
    const t = handedLocally();
    t.ping(130 * S, { type: 'complex', setId: 'set1', seq: 2, adds: ['oid1'] });
    t.settle(130 * S);
    const o = outcome(t.build(), 'PING-SEQUENCE');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/adds oid1 already in set set1/);
  });

  test('names deletes of an object the other machine still holds', () => {
    const t = sharedAcross();
    t.act(100 * S, { kind: 'release', handle: 'h1' });
    t.ping(130 * S, { type: 'complex', setId: 'set1', seq: 2, dels: ['oid1'] });
    t.settle(130 * S);
    const o = outcome(t.build(), 'PING-SEQUENCE');
    expect(o.status).toBe('pass');
    expect(o.situations).toEqual(expect.arrayContaining(['ComplexPing adds an object the other machine holds', 'ComplexPing deletes an object the other machine holds']));
  });

  test('a stale ComplexPing is judged by what the set held at its latest sequence number', () => {
    // client1 deleted oid2 at seq 3; a retransmitted ComplexPing of seq 2 re-adding it comes
    // later. The exporter ignores it, so client1 does not keep oid2 alive by it.
    const t = handedLocally();
    t.act(0, { kind: 'activate', process: 'p1', handle: 'h3', clsctx: 'remote', serverInfo: true, authInfo: null });
    t.done(0, HR.S_OK, 'oid2');
    t.ping(130 * S, { type: 'complex', setId: 'set1', seq: 2, adds: ['oid2'] });
    t.act(140 * S, { kind: 'release', handle: 'h3' });
    t.ping(250 * S, { type: 'complex', setId: 'set1', seq: 3, dels: ['oid2'] });
    t.ping(360 * S, { type: 'complex', setId: 'set1', seq: 2, adds: ['oid2'] });
    t.ping(370 * S, { type: 'simple', setId: 'set1', seq: 3 });
    t.settle(370 * S);
    expect(outcome(t.build(), 'PING-TERMINATION').status).toBe('pass');
    // The client sending it again is the client's fault.
    expect(outcome(t.build(), 'PING-SEQUENCE').violations.map((v) => v.message)).toEqual([expect.stringMatching(/reuses sequence number 2 \(last 3\)/)]);
  });
});

describe('EVENTUAL-RUNDOWN, per cut-off holder', () => {
  /** client2 is cut off at 100 s (its last ping 20 s); p1 lets go at 150 s, client1 deletes at 200 s. */
  const cutOffAfterOtherLetGo = () => {
    const t = sharedAcross();
    t.act(100 * S, { kind: 'partition', machine: 'client2' });
    t.act(150 * S, { kind: 'release', handle: 'h1' });
    t.ping(200 * S, { type: 'complex', setId: 'set1', seq: 2, dels: ['oid1'] });
    return t;
  };

  test("another machine's delete is no sign of life for a cut-off holder: a rundown at its own set's expiry passes", () => {
    const t = cutOffAfterOtherLetGo().settle(200 * S).reclaim(380 * S, 'oid1', 'rundown');
    expect(outcome(t.build(), 'EVENTUAL-RUNDOWN').status).toBe('pass');
  });

  test('a rundown before the cut-off holder missed three pings fails', () => {
    const t = cutOffAfterOtherLetGo().settle(200 * S).reclaim(300 * S, 'oid1', 'rundown');
    const o = outcome(t.build(), 'EVENTUAL-RUNDOWN');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/for p2's h2 on client2, which was cut off/);
  });

  test('a hand-out is a sign of life: no rundown within the window after it', () => {
    const t = sharedAcross();
    t.act(100 * S, { kind: 'partition', machine: 'client2' });
    t.act(300 * S, { kind: 'handOver', handle: 'h1', process: 'p1', newHandle: 'h3' });
    t.done(300 * S, HR.S_OK, 'oid1');
    t.act(310 * S, { kind: 'crash', process: 'p1' });
    t.exited(310 * S).settle(310 * S).reclaim(390 * S, 'oid1', 'rundown');
    expect(outcome(t.build(), 'EVENTUAL-RUNDOWN').status).toBe('fail');
  });
});

describe('EVENTUAL-RUNDOWN, across a healed partition', () => {
  /** p1 holds oid1 (set at 10 s); client1 is cut off from 100 s to 800 s, then calls through h1. */
  const healed = () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(10 * S, ['oid1']);
    t.act(100 * S, { kind: 'partition', machine: 'client1' });
    t.act(800 * S, { kind: 'heal', machine: 'client1' });
    t.act(810 * S, { kind: 'call', handle: 'h1' });
    return t;
  };

  test('fails an object never run down while its only holder was cut off longer than the window', () => {
    const t = healed().done(810 * S).settle(810 * S);
    const o = outcome(t.build(), 'EVENTUAL-RUNDOWN');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/never reclaimed oid1, which no holder could ping from 100s to 800s/);
    // Cited: the activation, the partition that cut the holder off and the heal that ended it.
    expect(o.violations[0].events.map((e) => e.kind === 'action' && e.action.kind)).toEqual(['activate', 'partition', 'heal']);
    expect(o.situations).toEqual(expect.arrayContaining(['cut off past the rundown window, healed, proxy used', 'holders cut off past the window, then healed']));
  });

  test('passes one run down at its set expiry', () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(10 * S, ['oid1']);
    t.act(100 * S, { kind: 'partition', machine: 'client1' });
    t.reclaim(370 * S, 'oid1', 'rundown');
    t.act(800 * S, { kind: 'heal', machine: 'client1' });
    t.act(810 * S, { kind: 'call', handle: 'h1' });
    t.done(810 * S, HR.RPC_E_DISCONNECTED).settle(810 * S);
    expect(outcome(t.build(), 'EVENTUAL-RUNDOWN').status).toBe('pass');
    expect(outcome(t.build(), 'CALL-AFTER-RECLAIM').status).toBe('pass');
  });
});

describe('PING-SEQUENCE, after OR_INVALID_SET', () => {
  /** client1's set expires during a partition; after the heal the exporter refuses it. */
  const refused = () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(10 * S, ['oid1']);
    t.act(100 * S, { kind: 'partition', machine: 'client1' });
    t.ping(130 * S, { type: 'simple', status: 'lost' });
    t.act(600 * S, { kind: 'heal', machine: 'client1' });
    t.ping(610 * S, { type: 'simple', status: 1912 });
    return t;
  };

  test('fails a client that pings the refused set again', () => {
    const t = refused().ping(730 * S, { type: 'simple', status: 1912 }).settle(730 * S);
    const o = outcome(t.build(), 'PING-SEQUENCE');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/pings set set1 again after server answered OR_INVALID_SET/);
  });

  test('passes a client that makes a new set, even one given the old id again', () => {
    const t = refused().createSet(730 * S, ['oid1'], 'set1').ping(850 * S, { type: 'simple' }).settle(850 * S);
    const o = outcome(t.build(), 'PING-SEQUENCE');
    expect(o.status).toBe('pass');
    expect(o.situations).toContain('set refused with OR_INVALID_SET');
  });
});

describe('PING-SEQUENCE cadence, machine by machine', () => {
  /** Both machines hold oid1; client1 falls silent after 20 s (its pinging ended with its process). */
  const silent = () => {
    const t = sharedAcross();
    for (const at of [140, 260, 380, 500]) t.ping(at * S, { type: 'simple', setId: 'set2', from: 'client2' });
    return t;
  };

  test("another machine's pings do not count as this machine's resolver at work", () => {
    expect(outcome(silent().settle(500 * S).build(), 'PING-SEQUENCE').status).toBe('pass');
  });

  test("this machine's own later ping shows the set it left unpinged", () => {
    const t = silent().ping(510 * S, { type: 'complex', setId: 'set1', seq: 2, adds: ['oid9'] }).settle(510 * S);
    const o = outcome(t.build(), 'PING-SEQUENCE');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/^client1 did not ping set set1 on server \(holding oid1 oid9\) for 500s/);
  });
});

describe('PING-SEQUENCE cadence across a partition', () => {
  /** client1's pings stop showing while it is cut off (an exporter-side view sees none), then resume. */
  const gap = () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(10 * S, ['oid1']);
    t.act(100 * S, { kind: 'partition', machine: 'client1' });
    t.act(500 * S, { kind: 'heal', machine: 'client1' });
    t.ping(510 * S, { type: 'simple' });
    return t.settle(510 * S).build();
  };

  test('a set not seen pinged while its machine was cut off is no cadence failure', () => {
    expect(outcome(gap(), 'PING-SEQUENCE').status).toBe('pass');
  });

  test('the same silence with the link up is one', () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(10 * S, ['oid1']);
    t.ping(510 * S, { type: 'simple' });
    expect(outcome(t.settle(510 * S).build(), 'PING-SEQUENCE').violations[0].message).toMatch(/did not ping set set1 on server \(holding oid1\) for 500s/);
  });
});
