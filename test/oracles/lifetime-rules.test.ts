import { judge } from '../../oracles';
import { HR, type Profile, type RuleId, type Trace, type TraceEvent } from '../../spec';
import { TraceBuilder } from '../helpers/trace';

const S = 1000;
/** "time what" of a cited event. */
const brief = (e: TraceEvent) => `${e.at} ${e.kind === 'action' ? e.action.kind : e.kind}`;
function outcome(trace: Trace, rule: RuleId, profile: Profile = 'strict') {
  return judge(trace, profile, new Set([rule]))[0];
}

describe('NO-EARLY-RUNDOWN', () => {
  test('fails a rundown while the holder lives and reaches the server (Q224837)', () => {
    const t = new TraceBuilder().startAndActivate(0, { authInfo: true }).settle(0).reclaim(360 * S, 'oid1', 'rundown');
    const o = outcome(t.build(), 'NO-EARLY-RUNDOWN');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/still holds it and can reach server/);
  });

  test('passes a held object that is never reclaimed', () => {
    const t = new TraceBuilder().startAndActivate(0).settle(0);
    const o = outcome(t.build(), 'NO-EARLY-RUNDOWN');
    expect(o.status).toBe('pass');
    expect(o.situations).toEqual(['held plain over tcp']);
  });

  test('judges the whole window: a heal exactly 360 s before the rundown leaves no excuse', () => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(10 * S, { kind: 'partition', machine: 'client1' });
    t.act(100 * S, { kind: 'heal', machine: 'client1' });
    t.settle(100 * S).reclaim(460 * S, 'oid1', 'rundown');
    expect(outcome(t.build(), 'NO-EARLY-RUNDOWN').status).toBe('fail');
  });

  test('leaves a rundown within 360 s of a partition to EVENTUAL-RUNDOWN', () => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(10 * S, { kind: 'partition', machine: 'client1' });
    t.act(100 * S, { kind: 'heal', machine: 'client1' });
    t.settle(100 * S).reclaim(460 * S - 1, 'oid1', 'rundown');
    expect(outcome(t.build(), 'NO-EARLY-RUNDOWN').violations).toHaveLength(0);
  });

  test('fails a reclaim by release while another proxy on the object is still held', () => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(1 * S, { kind: 'queryInterface', handle: 'h1', newHandle: 'h2', iid: 'ITest' });
    t.done(1 * S, HR.S_OK, 'oid1');
    t.act(2 * S, { kind: 'release', handle: 'h1' });
    t.reclaim(2 * S, 'oid1', 'release').settle(2 * S);
    expect(outcome(t.build(), 'NO-EARLY-RUNDOWN').status).toBe('fail');
  });
});

describe('EVENTUAL-RUNDOWN', () => {
  /** Set created at 50 s, then the holder crashes at 100 s. */
  const crashed = () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(50 * S, ['oid1']);
    t.act(100 * S, { kind: 'crash', process: 'p1' });
    return t.exited(100 * S).settle(100 * S);
  };

  test('passes a rundown within three ping periods plus slack of the crash', () => {
    expect(outcome(crashed().reclaim(520 * S, 'oid1', 'rundown').build(), 'EVENTUAL-RUNDOWN').status).toBe('pass');
  });

  test('fails a rundown later than the deadline', () => {
    const o = outcome(crashed().reclaim(520 * S + 1, 'oid1', 'rundown').build(), 'EVENTUAL-RUNDOWN');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/after its deadline 520s/);
    // The activation, the crash that ended the pinging, and the late reclaim.
    expect(o.violations[0].events.map(brief)).toEqual(['0 activate', '100000 crash', '520001 reclaimed']);
  });

  test('fails an object a crashed client held that is never reclaimed', () => {
    const o = outcome(crashed().build(), 'EVENTUAL-RUNDOWN');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/never reclaimed oid1/);
    expect(o.violations[0].events.map(brief)).toEqual(['0 activate', '100000 crash', '100000 advance']);
  });

  /** Set created at 50 s, then client1 is cut off at 100 s and stays so. */
  const cutOff = () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(50 * S, ['oid1']);
    t.act(100 * S, { kind: 'partition', machine: 'client1' });
    return t.settle(100 * S);
  };

  test('passes a rundown exactly three ping periods after the last successful ping', () => {
    expect(outcome(cutOff().reclaim(410 * S, 'oid1', 'rundown').build(), 'EVENTUAL-RUNDOWN').status).toBe('pass');
  });

  test('fails a rundown one millisecond before three ping periods while the holder is cut off', () => {
    const o = outcome(cutOff().reclaim(410 * S - 1, 'oid1', 'rundown').build(), 'EVENTUAL-RUNDOWN');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/before 360s/);
    expect(o.violations[0].events.map(brief)).toEqual(['0 activate', '100000 partition', '409999 reclaimed']);
  });

  test('is not exercised when every reference was released', () => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(10 * S, { kind: 'release', handle: 'h1' });
    t.reclaim(10 * S, 'oid1', 'release').settle(10 * S);
    expect(outcome(t.build(), 'EVENTUAL-RUNDOWN').status).toBe('idle');
  });
});

describe('RELEASE-RECLAIM', () => {
  const releasedAt = (reclaimAt?: number) => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(10 * S, { kind: 'release', handle: 'h1' });
    if (reclaimAt !== undefined) t.reclaim(reclaimAt, 'oid1', 'release');
    return t.settle(10 * S).build();
  };

  test('passes a reclaim at the release', () => expect(outcome(releasedAt(10 * S), 'RELEASE-RECLAIM').status).toBe('pass'));
  test('passes a reclaim exactly one second later', () => expect(outcome(releasedAt(11 * S), 'RELEASE-RECLAIM').status).toBe('pass'));
  test('fails a reclaim later than one second', () => expect(outcome(releasedAt(11 * S + 1), 'RELEASE-RECLAIM').status).toBe('fail'));
  test('fails when the object is never reclaimed', () => {
    expect(outcome(releasedAt(), 'RELEASE-RECLAIM').violations[0].message).toMatch(/was never reclaimed/);
  });

  test('counts CoUninitialize as giving back every reference', () => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(10 * S, { kind: 'exit', process: 'p1' });
    const o = outcome(t.exited(10 * S).settle(10 * S).build(), 'RELEASE-RECLAIM');
    expect(o.status).toBe('fail');
    expect(o.situations).toEqual(['server object, last reference by exit']);
  });

  test('does not expect a reclaim when the release could not reach the server', () => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(5 * S, { kind: 'partition', machine: 'client1' });
    t.act(10 * S, { kind: 'release', handle: 'h1' });
    expect(outcome(t.settle(10 * S).build(), 'RELEASE-RECLAIM').status).toBe('idle');
  });
});

describe('CALL-AFTER-RECLAIM', () => {
  const afterDisconnect = (result: (t: TraceBuilder) => void) => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(5 * S, { kind: 'disconnect', handle: 'h1' });
    t.reclaim(5 * S, 'oid1', 'disconnect');
    t.act(6 * S, { kind: 'call', handle: 'h1' });
    result(t);
    return outcome(t.settle(6 * S).build(), 'CALL-AFTER-RECLAIM');
  };

  test.each([
    ['CO_E_OBJNOTCONNECTED', HR.CO_E_OBJNOTCONNECTED],
    ['RPC_E_DISCONNECTED', HR.RPC_E_DISCONNECTED],
    ['RPC_E_INVALID_OBJECT', HR.RPC_E_INVALID_OBJECT],
  ])('passes %s', (_, hr) => expect(afterDisconnect((t) => t.done(6 * S, hr)).status).toBe('pass'));
  test('fails E_FAIL: a failure that does not say the object is gone', () => expect(afterDisconnect((t) => t.done(6 * S, 0x80004005)).status).toBe('fail'));
  test('fails a hang', () => expect(afterDisconnect((t) => t.hung(126 * S)).violations[0].message).toMatch(/hangs/));
  test('fails a success, naming the reclaim, the call and its result', () => {
    const o = afterDisconnect((t) => t.done(6 * S, HR.S_OK));
    expect(o.status).toBe('fail');
    expect(o.violations[0].events.map(brief)).toEqual(['5000 reclaimed', '6000 call', '6000 completed']);
  });
  test('fails an answer after the call timeout', () => expect(afterDisconnect((t) => t.done(126 * S + 1, HR.CO_E_OBJNOTCONNECTED)).status).toBe('fail'));

  /** Disconnected at 5 s, then the server crashes or not before the call at 6 s. */
  const crashedAfterDisconnect = (hr: number, crash: boolean) => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(5 * S, { kind: 'disconnect', handle: 'h1' });
    t.reclaim(5 * S, 'oid1', 'disconnect');
    if (crash) t.act(5.5 * S, { kind: 'serverCrash' });
    t.act(6 * S, { kind: 'call', handle: 'h1' });
    t.done(6 * S, hr);
    return outcome(t.settle(6 * S).build(), 'CALL-AFTER-RECLAIM').status;
  };
  test('passes RPC_S_SERVER_UNAVAILABLE when the server crashed after the disconnect: its endpoint is gone', () =>
    expect(crashedAfterDisconnect(HR.RPC_S_SERVER_UNAVAILABLE, true)).toBe('pass'));
  test('fails RPC_S_SERVER_UNAVAILABLE from a server that is alive', () =>
    expect(crashedAfterDisconnect(HR.RPC_S_SERVER_UNAVAILABLE, false)).toBe('fail'));
  test('fails a success even from a crashed server', () => expect(crashedAfterDisconnect(HR.S_OK, true)).toBe('fail'));
});

describe('PROCESS-EXIT', () => {
  const endedThenExited = (exitAt?: number) => {
    const t = new TraceBuilder().startAndActivate(0);
    t.act(10 * S, { kind: 'abandon', process: 'p1' });
    if (exitAt !== undefined) t.exited(exitAt);
    return outcome(t.settle(10 * S).build(), 'PROCESS-EXIT');
  };
  test('passes an exit five seconds after the program ended', () => expect(endedThenExited(15 * S).status).toBe('pass'));
  test('fails an exit later than five seconds', () => expect(endedThenExited(15 * S + 1).status).toBe('fail'));
  test('fails a process that never exits', () => expect(endedThenExited().violations[0].message).toMatch(/never exited/));
});

describe('after the server faults a RemRelease', () => {
  /** A release the server faults at 10 s; the object is then held by nobody. */
  const faulted = () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(5 * S, ['oid1']);
    t.act(9 * S, { kind: 'faultNextRelease' });
    t.act(10 * S, { kind: 'release', handle: 'h1' });
    return t;
  };

  test('no prompt reclaim is owed', () => {
    expect(outcome(faulted().settle(10 * S).build(), 'RELEASE-RECLAIM').status).toBe('idle');
  });

  test('the object must still be run down in time', () => {
    expect(outcome(faulted().settle(10 * S).build(), 'EVENTUAL-RUNDOWN').violations[0].message).toMatch(/never reclaimed oid1/);
    expect(outcome(faulted().settle(10 * S).reclaim(370 * S, 'oid1', 'rundown').build(), 'EVENTUAL-RUNDOWN').status).toBe('pass');
  });

  test('the fault is spent by one action: a later release is owed a prompt reclaim again', () => {
    const t = faulted().startAndActivate(20 * S, { handle: 'h2', oid: 'oid2' });
    t.act(30 * S, { kind: 'release', handle: 'h2' });
    expect(outcome(t.settle(30 * S).build(), 'RELEASE-RECLAIM').violations[0].message).toMatch(/oid2 was never reclaimed/);
  });
});
