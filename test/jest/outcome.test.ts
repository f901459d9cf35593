/** How verdicts become jest results, and the options describeConformance accepts. */
import { referenceAdapter, runCampaign, type CampaignResult, type RuleTally, type Verdict } from '../../index';
import { checkErrors, checkRule } from '../../jest/outcome';
import { resolveSettings } from '../../jest/settings';

let result: CampaignResult;
beforeAll(async () => {
  const adapter = await referenceAdapter.create();
  result = await runCampaign(adapter, { runs: 200, seed: 1 });
  await adapter.close();
});

function as(verdict: string, extra: Partial<RuleTally> = {}): RuleTally {
  const t = result.rules.find((r) => r.rule.id === 'PING-TERMINATION')!;
  return { ...t, ...extra, verdict: verdict as Verdict };
}

describe('checkRule', () => {
  test.each(['OK', 'NON-STRICT', 'INFORMATIONAL'])('%s passes', (verdict) => {
    expect(checkRule(as(verdict), result).pass).toBe(true);
  });

  test.each([
    ['INCONCLUSIVE', 'exercised in 3 runs, fewer than 5'],
    ['UNIMPLEMENTED', 'not exercised in 200 runs'],
    ['SOMETHING-NEW', undefined],
  ])('%s fails, naming the reason, the seed and what to raise', (verdict, reason) => {
    const check = checkRule(as(verdict, { runs: 3, ...(reason ? { reason } : {}) }), result);
    expect(check.pass).toBe(false);
    const message = (check as { message: string }).message;
    expect(message).toMatch(new RegExp(`^PING-TERMINATION ${verdict}: Pinging stops`));
    expect(message).toContain(reason ?? 'exercised in 3 runs');
    expect(message).toMatch(/raise the runs \(option runs, or DCOMKIT_RUNS\)/);
    expect(message).toMatch(/seed 1 \(DCOMKIT_SEED=1 repeats it\)/);
  });

  test('adapter errors fail in the adapter\'s words', () => {
    expect(checkErrors(result).pass).toBe(true);
    const fault = { kind: 'hang' as const, step: 'apply #3 (call)', notes: [], stderr: [] };
    const check = checkErrors({ ...result, errors: [{ ...fault, run: 6, message: 'step apply took too long\nlast stderr: boom' }, { ...fault, run: -1, corpusCase: 'x', message: 'broken' }] });
    expect(check.pass).toBe(false);
    expect((check as { message: string }).message).toMatch(/adapter errors in 2 runs[\s\S]*run 7: step apply took too long\n {4}last stderr: boom\n {2}corpus case x: broken/);
  });
});

describe('resolveSettings', () => {
  test('defaults, with the seed from the clock', () => {
    expect(resolveSettings({}, {}, 1234)).toEqual({ runs: 200, seed: 1234, profile: 'strict', maxActions: 20, shrink: true, minEvidence: 5, out: '.dcomkit/counterexamples', timeout: 600_000, unimplemented: new Map() });
    expect(resolveSettings({ unimplemented: { 'CALL-AFTER-RECLAIM': ' no disconnect ' } }, {}).unimplemented).toEqual(new Map([['CALL-AFTER-RECLAIM', 'no disconnect']]));
  });

  test('DCOMKIT_SEED and DCOMKIT_RUNS win over the options; shrinkTime is in seconds', () => {
    const s = resolveSettings({ runs: 10, seed: 3, shrinkTime: 4, corpus: 'regressions' }, { DCOMKIT_SEED: '77', DCOMKIT_RUNS: '500' });
    expect(s).toMatchObject({ runs: 500, seed: 77, shrinkTimeMs: 4000, corpus: 'regressions' });
    expect(resolveSettings({ runs: 10, seed: 3 }, { DCOMKIT_SEED: '', DCOMKIT_RUNS: '' })).toMatchObject({ runs: 10, seed: 3 });
  });

  test.each([
    [{ runs: 0 }, {}, /runs takes a whole number from 1, not 0/],
    [{}, { DCOMKIT_SEED: '-1' }, /DCOMKIT_SEED takes a whole number from 0 to 2147483647, not "-1"/],
    [{ profile: 'nt5' as never }, {}, /profile is one of strict, nt4, not "nt5"/],
    [{ maxActions: 2.5 }, {}, /maxActions takes a whole number/],
    [{ unimplemented: { 'PING-TERMINATON': 'typo' } as never }, {}, /unimplemented names no rule 'PING-TERMINATON'/],
    [{ unimplemented: { 'PING-TERMINATION': '' } }, {}, /unimplemented.PING-TERMINATION needs the reason/],
  ])('%j %j is refused in one line', (options, env, message) => {
    expect(() => resolveSettings(options, env)).toThrow(message);
  });
});
