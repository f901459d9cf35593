import { SettleWatch, settleHorizon } from '../../oracles';
import { EXIT_PROMPT_MS, PING_PERIOD_MS, PING_SET_TIMEOUT_MS, RELEASE_PROMPT_MS, RUNDOWN_SLACK_MS, defaultWorld, type Capabilities } from '../../spec';
import { FULL_CAPS, TraceBuilder } from '../helpers/trace';

/** An adapter like Wine's: no pings to see, on a real clock sped up 60 times. */
const NO_PINGS: Capabilities = { ...FULL_CAPS, observes: ['reclaims', 'callbacks', 'exits'] };
const REAL_60: Capabilities = { ...NO_PINGS, clock: { kind: 'real', scale: 60 } };

const release = (at: number, handle = 'h1') => (t: TraceBuilder) => t.act(at, { kind: 'release', handle });

describe('settle horizon', () => {
  test('a reference still held keeps every rule open: no horizon', () => {
    const t = new TraceBuilder().startAndActivate(0);
    expect(settleHorizon(t.build())).toBe(Infinity);
    // ...whoever holds it: a process cut off from the server, or the server holding a callback.
    t.act(5_000, { kind: 'partition', machine: 'client1' });
    expect(settleHorizon(t.build())).toBe(Infinity);
  });

  test('with pings observed, nothing held: three ping periods of silence after the last action', () => {
    const t = new TraceBuilder().startAndActivate(0);
    release(10_000)(t);
    t.reclaim(10_000, 'oid1', 'release');
    expect(settleHorizon(t.build())).toBe(10_000 + PING_SET_TIMEOUT_MS);
  });

  test('a ping after the last action (a DelFromSet, or one that should not be) starts the silence again', () => {
    const t = new TraceBuilder().startAndActivate(0).createSet(60_000, ['oid1']);
    release(70_000)(t);
    t.reclaim(70_000, 'oid1', 'release').ping(180_000, { type: 'complex', seq: 2, dels: ['oid1'] });
    expect(settleHorizon(t.build())).toBe(180_000 + PING_SET_TIMEOUT_MS);
    t.ping(300_000, { type: 'simple', seq: 2 });
    expect(settleHorizon(t.build())).toBe(300_000 + PING_SET_TIMEOUT_MS);
  });

  test('without pings to see, only the rules\' deadlines count: a release is due within a second', () => {
    const t = new TraceBuilder(defaultWorld(), NO_PINGS).startAndActivate(0);
    release(10_000)(t);
    expect(settleHorizon(t.build())).toBe(10_000 + RELEASE_PROMPT_MS);
    t.reclaim(10_500, 'oid1', 'release');
    expect(settleHorizon(t.build())).toBe(-Infinity);
  });

  test('a program that ended keeps the settle going until its process is due to be gone', () => {
    const t = new TraceBuilder(defaultWorld(), NO_PINGS);
    t.act(0, { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true });
    t.act(2_000, { kind: 'abandon', process: 'p1' });
    expect(settleHorizon(t.build())).toBe(2_000 + EXIT_PROMPT_MS);
    t.exited(2_100);
    expect(settleHorizon(t.build())).toBe(-Infinity);
  });

  test('an object whose holder crashed keeps it until just past its rundown deadline, widened on a real clock', () => {
    const deadline = 50_000 + PING_SET_TIMEOUT_MS + RUNDOWN_SLACK_MS;
    const crash = (caps: Capabilities) => {
      const t = new TraceBuilder(defaultWorld(), caps).startAndActivate(0);
      t.act(50_000, { kind: 'crash', process: 'p1' });
      return t.exited(50_000);
    };
    expect(settleHorizon(crash(NO_PINGS).build())).toBe(deadline + 1);
    expect(settleHorizon(crash(REAL_60).build())).toBe(deadline + 60_000 + 1);
    // The rundown came: nothing is left to wait for.
    expect(settleHorizon(crash(NO_PINGS).reclaim(deadline - 1, 'oid1', 'rundown').build())).toBe(-Infinity);
    // With pings, the last one it was in moves the deadline, and the silence counts too.
    const pinged = new TraceBuilder().startAndActivate(0).createSet(40_000, ['oid1']);
    pinged.act(50_000, { kind: 'crash', process: 'p1' });
    pinged.exited(50_000).ping(40_000 + PING_PERIOD_MS, { type: 'complex', seq: 2, dels: ['oid1'] });
    expect(settleHorizon(pinged.build())).toBe(40_000 + PING_PERIOD_MS + PING_SET_TIMEOUT_MS + RUNDOWN_SLACK_MS + 1);
  });

  test('the watch takes a growing trace in piece by piece and answers as the whole trace does', () => {
    const full = new TraceBuilder().startAndActivate(0).createSet(30_000, ['oid1']);
    full.act(40_000, { kind: 'exit', process: 'p1' });
    full.reclaim(40_000, 'oid1', 'release').exited(40_500);
    full.ping(150_000, { type: 'complex', seq: 2, dels: ['oid1'] });
    const trace = full.build();
    const growing = { ...trace, events: [] as typeof trace.events };
    const watch = new SettleWatch(growing);
    for (const e of trace.events) {
      growing.events.push(e);
      expect(watch.horizon()).toBe(settleHorizon({ ...trace, events: [...growing.events] }));
    }
    expect(watch.end).toBe(150_000);
    expect(watch.horizon()).toBe(150_000 + PING_SET_TIMEOUT_MS);
  });
});
