import { judge } from '../../oracles';
import { defaultWorld, HR, OR, type PingEvent, type Profile, type RuleId, type Trace } from '../../spec';
import { FULL_CAPS, TraceBuilder } from '../helpers/trace';

const S = 1000;
function outcome(trace: Trace, rule: RuleId, profile: Profile = 'strict') {
  return judge(trace, profile, new Set([rule]))[0];
}

/** Activated at 0, set created at 50 s, released at 100 s. */
function released(): TraceBuilder {
  const t = new TraceBuilder().startAndActivate(0);
  t.createSet(50 * S, ['oid1']);
  t.act(100 * S, { kind: 'release', handle: 'h1' });
  t.reclaim(100 * S, 'oid1', 'release');
  return t;
}

describe('PING-TERMINATION', () => {
  test('passes when the next ping deletes the released object and pinging stops', () => {
    const t = released().ping(170 * S, { type: 'complex', seq: 2, dels: ['oid1'] }).settle(170 * S);
    expect(outcome(t.build(), 'PING-TERMINATION').status).toBe('pass');
  });

  test('allows a ping keeping the object exactly one ping period after the release', () => {
    const t = released().ping(220 * S, { type: 'simple' }).settle(220 * S);
    expect(outcome(t.build(), 'PING-TERMINATION').status).toBe('pass');
  });

  test('fails a ping keeping the object one millisecond past one ping period', () => {
    const t = released().ping(220 * S + 1, { type: 'simple' }).settle(221 * S);
    const o = outcome(t.build(), 'PING-TERMINATION');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/still pings oid1/);
    expect(o.violations[0].events.map((e) => e.kind)).toEqual(['action', 'ping']);
  });

  test('fails when pings go on after the client process exited (Q224837)', () => {
    const t = new TraceBuilder().startAndActivate(0, { authInfo: true });
    t.createSet(50 * S, ['oid1']);
    t.act(60 * S, { kind: 'exit', process: 'p1' });
    t.reclaim(60 * S, 'oid1', 'release').exited(60 * S);
    t.settle(60 * S);
    for (let at = 170; at < 1260; at += 120) t.ping(at * S, { type: 'simple' });
    const o = outcome(t.build(), 'PING-TERMINATION');
    expect(o.status).toBe('fail');
    expect(o.situations).toContain('exit after COAUTHINFO');
  });

  test('admits retried DelFromSet pings while the link is cut', () => {
    const t = released();
    t.act(101 * S, { kind: 'partition', machine: 'client1' });
    for (const at of [170, 290, 410]) t.ping(at * S, { type: 'complex', seq: 2, dels: ['oid1'], status: 'lost' });
    t.settle(410 * S);
    expect(outcome(t.build(), 'PING-TERMINATION').status).toBe('pass');
  });

  test('fails a SimplePing on an emptied set once nothing is referenced', () => {
    const t = released().ping(170 * S, { type: 'complex', seq: 2, dels: ['oid1'] }).ping(290 * S, { type: 'simple' }).settle(290 * S);
    const o = outcome(t.build(), 'PING-TERMINATION');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/stopped referencing anything/);
  });

  test('is idle when the adapter cannot observe pings, never passed by default', () => {
    const t = new TraceBuilder(defaultWorld(), { ...FULL_CAPS, observes: ['reclaims'] });
    t.startAndActivate(0).act(1 * S, { kind: 'release', handle: 'h1' });
    t.settle(1 * S);
    expect(outcome(t.build(), 'PING-TERMINATION').status).toBe('idle');
  });
});

describe('PING-SEQUENCE', () => {
  const base = () => new TraceBuilder().startAndActivate(0).createSet(50 * S, ['oid1']);

  test('passes a set created by ComplexPing then SimplePinged', () => {
    const t = base().ping(170 * S, { type: 'simple' }).settle(170 * S);
    expect(outcome(t.build(), 'PING-SEQUENCE').status).toBe('pass');
  });

  test('fails a ComplexPing that reuses the sequence number', () => {
    const t = base().startAndActivate(60 * S, { handle: 'h2', oid: 'oid2' }).ping(170 * S, { type: 'complex', seq: 1, adds: ['oid2'] }).settle(170 * S);
    expect(outcome(t.build(), 'PING-SEQUENCE').violations[0].message).toMatch(/reuses sequence number 1/);
  });

  test('fails a ComplexPing re-adding an object already in the set', () => {
    const t = base().ping(170 * S, { type: 'complex', seq: 2, adds: ['oid1'] }).settle(170 * S);
    expect(outcome(t.build(), 'PING-SEQUENCE').violations[0].message).toMatch(/already in set/);
  });

  test('fails a SimplePing to a set no ComplexPing created', () => {
    const t = new TraceBuilder().startAndActivate(0).ping(50 * S, { type: 'simple', setId: 'set9' }).settle(50 * S);
    expect(outcome(t.build(), 'PING-SEQUENCE').violations[0].message).toMatch(/which no ComplexPing created/);
  });

  test('fails a second live ping set from the same machine to the same server', () => {
    const t = base().startAndActivate(60 * S, { process: 'p2', handle: 'h2', oid: 'oid2' }).createSet(100 * S, ['oid2']).settle(100 * S);
    const v = outcome(t.build(), 'PING-SEQUENCE').violations[0];
    expect(v.message).toMatch(/second ping set/);
    // It names the two ComplexPings that created the sets.
    expect(v.events.map((e) => e.kind === 'ping' && [e.at, e.newSetId])).toEqual([
      [50 * S, 'set1'],
      [100 * S, 'set2'],
    ]);
  });

  test('a second set revealed by a later SimplePing names the two creations, not that ping (node-dcom: one set per session)', () => {
    const t = new TraceBuilder().startAndActivate(0).startAndActivate(0, { handle: 'h2', oid: 'oid2' }).settle(0);
    t.createSet(120 * S, ['oid1']).createSet(120 * S, ['oid2']);
    for (const at of [240, 360, 480]) t.ping(at * S, { type: 'simple', setId: 'set1' }).ping(at * S, { type: 'simple', setId: 'set2' });
    const o = outcome(t.build(), 'PING-SEQUENCE');
    expect(o.violations.map((v) => v.message)).toEqual(['client1 keeps a second ping set to server beside set set2; resolvers keep one per machine']);
    expect(o.violations[0].events.map((e) => e.kind === 'ping' && [e.at, e.type, e.newSetId])).toEqual([
      [120 * S, 'complex', 'set1'],
      [120 * S, 'complex', 'set2'],
    ]);
  });

  // p1 adds oid2 to set1 with ComplexPing 2 and releases it; ComplexPing 3 deletes it, and then
  // ComplexPing 2 arrives again.
  const staleAdd = (status: PingEvent['status']) => {
    const t = base().startAndActivate(60 * S, { handle: 'h2', oid: 'oid2' }).ping(170 * S, { type: 'complex', seq: 2, adds: ['oid2'] });
    t.act(180 * S, { kind: 'release', handle: 'h2' });
    t.done(180 * S).reclaim(180 * S, 'oid2', 'release');
    return t.ping(290 * S, { type: 'complex', seq: 3, dels: ['oid2'] }).ping(290 * S, { type: 'complex', seq: 2, adds: ['oid2'], duplicate: true, status }).settle(290 * S);
  };

  test('fails an exporter that looks up the OIDs of a stale ComplexPing', () => {
    const o = outcome(staleAdd(OR.OR_INVALID_OID).build(), 'PING-SEQUENCE');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/ComplexPing 2 on set set1, older than 3/);
  });

  test('passes an exporter that answers a stale ComplexPing with success', () => {
    expect(outcome(staleAdd('ok').build(), 'PING-SEQUENCE').status).toBe('pass');
  });

  test('counts sequence numbers afresh when a set id is given out again', () => {
    const t = base().ping(170 * S, { type: 'complex', seq: 5, adds: ['oid1'] }).createSet(300 * S, ['oid1'], 'set1');
    t.ping(420 * S, { type: 'complex', seq: 2, adds: ['oid9'], status: OR.OR_INVALID_OID }).settle(420 * S);
    expect(outcome(t.build(), 'PING-SEQUENCE').violations.filter((v) => /stale/.test(v.message))).toEqual([]);
  });

  test('ignores datagrams the network delivered twice', () => {
    const t = base().ping(170 * S, { type: 'simple' }).ping(171 * S, { type: 'complex', seq: 1, adds: ['oid1'], duplicate: true }).settle(171 * S);
    expect(outcome(t.build(), 'PING-SEQUENCE').status).toBe('pass');
  });
});

describe('UNREACHABLE-CALL', () => {
  test('reports how a call to a cut-off server ends and never fails', () => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(1 * S, { kind: 'partition', machine: 'client1' });
    t.act(2 * S, { kind: 'call', handle: 'h1' });
    t.done(2 * S, HR.RPC_S_SERVER_UNAVAILABLE);
    t.settle(2 * S);
    const o = outcome(t.build(), 'UNREACHABLE-CALL');
    expect(o.status).toBe('info');
    expect(o.situations).toEqual(['tcp: 0x800706BA RPC_S_SERVER_UNAVAILABLE after 0s']);
  });
});
