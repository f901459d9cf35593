import { judge } from '../../oracles';
import { defaultWorld, HR, type Profile, type Trace, type World } from '../../spec';
import { TraceBuilder } from '../helpers/trace';

const S = 1000;
const outcome = (trace: Trace, profile: Profile = 'strict') => judge(trace, profile, new Set(['CALLBACK-MARSHALLING'] as const))[0];

function world(system: 'admitted' | 'denied', protocols: 'udp-first' | 'tcp-only' = 'tcp-only'): World {
  const w = defaultWorld();
  w.machines.client1.access = system === 'admitted' ? { kind: 'empty' } : { kind: 'list', allow: ['INTERACTIVE'], deny: [] };
  w.machines.client1.protocols = protocols;
  w.machines.server.protocols = protocols;
  return w;
}

function passCallback(w: World, result: (t: TraceBuilder) => void): TraceBuilder {
  const t = new TraceBuilder(w).startAndActivate(0);
  t.act(1 * S, { kind: 'passCallback', handle: 'h1', callback: 'cb1' });
  result(t);
  return t;
}

describe('CALLBACK-MARSHALLING', () => {
  test('passes a callback accepted with SYSTEM admitted and delivered when invoked', () => {
    const t = passCallback(world('admitted'), (x) => x.done(1 * S, HR.S_OK, 'oid9'));
    t.act(2 * S, { kind: 'invokeCallback', callback: 'cb1' });
    t.delivered(2 * S, 'cb1').done(2 * S, HR.S_OK).settle(2 * S);
    const o = outcome(t.build());
    expect(o.status).toBe('pass');
    expect(o.situations).toEqual(['callback, SYSTEM admitted, tcp', 'held callback invoked']);
  });

  test('fails an invocation that reports success without reaching the client', () => {
    const t = passCallback(world('admitted'), (x) => x.done(1 * S, HR.S_OK, 'oid9'));
    t.act(2 * S, { kind: 'invokeCallback', callback: 'cb1' });
    t.done(2 * S, HR.S_OK).settle(2 * S);
    expect(outcome(t.build()).violations[0].message).toMatch(/never reaches the client/);
  });

  test('fails a refused callback with SYSTEM admitted', () => {
    const t = passCallback(world('admitted'), (x) => x.done(1 * S, HR.E_ACCESSDENIED)).settle(1 * S);
    expect(outcome(t.build()).status).toBe('fail');
  });

  test('passes an access error with SYSTEM denied', () => {
    const t = passCallback(world('denied'), (x) => x.done(1 * S, HR.E_ACCESSDENIED)).settle(1 * S);
    expect(outcome(t.build()).status).toBe('pass');
  });

  test('flags a callback accepted although SYSTEM is denied, under both profiles', () => {
    const t = passCallback(world('denied'), (x) => x.done(1 * S, HR.S_OK, 'oid9')).settle(1 * S);
    for (const p of ['strict', 'nt4'] as const) expect(outcome(t.build(), p).violations[0].message).toMatch(/accepted although SYSTEM is denied/);
  });

  test("Q255890's UDP hang fails under strict and is NON-STRICT under nt4", () => {
    const t = passCallback(world('denied', 'udp-first'), (x) => x.hung(121 * S)).settle(121 * S);
    expect(outcome(t.build(), 'strict').status).toBe('fail');
    expect(outcome(t.build(), 'nt4').status).toBe('non-strict');
    expect(outcome(t.build(), 'nt4').situations).toEqual(['callback, SYSTEM denied, udp']);
  });

  test("Q255890's TCP E_OUTOFMEMORY fails under strict and is NON-STRICT under nt4", () => {
    const t = passCallback(world('denied'), (x) => x.done(1 * S, HR.E_OUTOFMEMORY)).settle(1 * S);
    expect(outcome(t.build(), 'strict').status).toBe('fail');
    expect(outcome(t.build(), 'nt4').status).toBe('non-strict');
  });

  test('treats an answer after the call timeout as a hang', () => {
    const t = passCallback(world('denied'), (x) => x.done(121 * S + 1, HR.E_ACCESSDENIED)).settle(122 * S);
    expect(outcome(t.build()).violations[0].message).toMatch(/hangs/);
  });

  test('a deny entry for Everyone denies SYSTEM too', () => {
    const w = defaultWorld();
    w.machines.client1.access = { kind: 'list', allow: ['SYSTEM'], deny: ['Everyone'] };
    const t = passCallback(w, (x) => x.done(1 * S, HR.S_OK, 'oid9')).settle(1 * S);
    expect(outcome(t.build()).status).toBe('fail');
  });
});
