import { judge } from '../../oracles';
import type { RuleId, Trace } from '../../spec';
import { TraceBuilder } from '../helpers/trace';

const S = 1000;
const outcome = (trace: Trace, rule: RuleId) => judge(trace, 'strict', new Set([rule]))[0];

describe('PING-SEQUENCE cadence', () => {
  const base = () => new TraceBuilder().startAndActivate(0).createSet(50 * S, ['oid1']);

  test('fails a set holding objects that goes more than a ping period without a ping', () => {
    const t = base().ping(291 * S, { type: 'simple' }).settle(291 * S);
    const o = outcome(t.build(), 'PING-SEQUENCE');
    expect(o.status).toBe('fail');
    expect(o.violations[0].message).toMatch(/did not ping set set1 on server \(holding oid1\) for 241s/);
  });

  test('passes pings exactly one period apart, and counts pings the network lost', () => {
    const t = base().ping(170 * S, { type: 'simple', status: 'lost' }).ping(290 * S, { type: 'simple' }).settle(290 * S);
    expect(outcome(t.build(), 'PING-SEQUENCE').status).toBe('pass');
  });

  test('asks nothing of a set the client emptied', () => {
    const t = base().ping(170 * S, { type: 'complex', seq: 2, dels: ['oid1'] }).createSet(600 * S, ['oid2'], 'set7').settle(600 * S);
    expect(outcome(t.build(), 'PING-SEQUENCE').violations).toEqual([]);
  });
});
