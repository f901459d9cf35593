import fc from 'fast-check';
import { NT4_RELEASES, SimulatedAdapter, type Behaviour } from '../../adapters/reference';
import { runArb } from '../../generators';
import { RunState, judge } from '../../oracles';
import { executeRun, replayActions, runCampaign, type CampaignResult } from '../../runner';
import type { Profile, RuleId, Verdict } from '../../spec';
import { RELEASE_SCENARIOS, type Scenario } from './scenarios';

const release = (name: string): Behaviour => NT4_RELEASES.find((r) => r.name === name)!.behaviour;
const verdicts = (r: CampaignResult) => Object.fromEntries(r.rules.map((t) => [t.rule.id, t.verdict])) as Record<RuleId, Verdict>;
const tally = (r: CampaignResult, id: RuleId) => r.rules.find((t) => t.rule.id === id)!;

async function campaign(name: string, behaviour: Behaviour, profile: Profile = 'strict', runs = 200, seed = 11) {
  return runCampaign(new SimulatedAdapter(name, behaviour), { runs, seed, profile });
}

/** The rule outcome of a documented scenario on a release, over four ping phases. */
async function scenarioStatuses(behaviour: Behaviour, s: Scenario, rule: RuleId, profile: Profile = 'strict') {
  const out = new Set<string>();
  for (const seed of [0, 1, 2, 3]) {
    const r = await replayActions(new SimulatedAdapter('x', behaviour), seed, s.world, s.actions);
    out.add(judge(r.trace, profile, new Set([rule]))[0].status);
  }
  return [...out];
}

describe('NT4 releases, from random runs', () => {
  test('nt4-sp5 fails PING-TERMINATION and NO-EARLY-RUNDOWN; the shrunk counterexamples are the known minimal ones, within one action', async () => {
    const r = await campaign('nt4-sp5', release('nt4-sp5'));
    expect(verdicts(r)['PING-TERMINATION']).toBe('FAILED');
    expect(verdicts(r)['NO-EARLY-RUNDOWN']).toBe('FAILED');
    const pt = tally(r, 'PING-TERMINATION').counterexample!;
    expect(pt.actions.length).toBeLessThanOrEqual(RELEASE_SCENARIOS.q224837PingsForever.actions.length + 1);
    // Q224837's two documented triggers: an activation with COAUTHINFO (3 actions with the
    // end of the program) or CoSetProxyBlanket on a proxy (4), by an unauthenticated client.
    const trigger = pt.actions.some((a) => (a.kind === 'activate' && a.authInfo !== null) || a.kind === 'setBlanket');
    expect([pt.actions.map((a) => a.kind), trigger]).toEqual([expect.anything(), true]);
    expect(pt.actions).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'start', authenticated: false })]));
    const ner = tally(r, 'NO-EARLY-RUNDOWN').counterexample!;
    expect(ner.actions.length).toBeLessThanOrEqual(RELEASE_SCENARIOS.q224837EarlyRundown.actions.length + 1);
    expect(ner.violations[0].message).toMatch(/reclaimed oid\d+ \(rundown\) 360s after/);
  });

  test('the documented Q224837 counterexamples fail on nt4-sp3 and nt4-sp5 and pass on nt4-sp6', async () => {
    for (const name of ['nt4-sp3', 'nt4-sp5']) {
      expect(await scenarioStatuses(release(name), RELEASE_SCENARIOS.q224837PingsForever, 'PING-TERMINATION')).toEqual(['fail']);
      expect(await scenarioStatuses(release(name), RELEASE_SCENARIOS.q224837EarlyRundown, 'NO-EARLY-RUNDOWN')).toEqual(['fail']);
    }
    expect(await scenarioStatuses(release('nt4-sp6'), RELEASE_SCENARIOS.q224837PingsForever, 'PING-TERMINATION')).toEqual(['pass']);
    expect(await scenarioStatuses(release('nt4-sp6'), RELEASE_SCENARIOS.q224837EarlyRundown, 'NO-EARLY-RUNDOWN')).toEqual(['pass']);
  });

  test('a cut-off client\'s object goes before three missed pings: sp3 and sp5 through Q224837, sp3 through Q184278 too', async () => {
    // A consequence of the early cleanups rather than a fault of its own: rare in random runs.
    for (const name of ['nt4-sp3', 'nt4-sp5']) {
      expect(await scenarioStatuses(release(name), RELEASE_SCENARIOS.q224837CutOff, 'EVENTUAL-RUNDOWN')).toEqual(['fail']);
    }
    expect(await scenarioStatuses(release('nt4-sp3'), RELEASE_SCENARIOS.q184278CutOff, 'EVENTUAL-RUNDOWN')).toEqual(['fail']);
    expect(await scenarioStatuses(release('nt4-sp5'), RELEASE_SCENARIOS.q184278CutOff, 'EVENTUAL-RUNDOWN')).not.toContain('fail');
    for (const s of [RELEASE_SCENARIOS.q224837CutOff, RELEASE_SCENARIOS.q184278CutOff]) {
      expect(await scenarioStatuses(release('nt4-sp6'), s, 'EVENTUAL-RUNDOWN')).not.toContain('fail');
    }
  });

  test('nt4-sp3 fails NO-EARLY-RUNDOWN through the untrusted-domain path too (Q184278), which nt4-sp5 fixed', async () => {
    // Random runs on sp3 include early rundowns of objects activated from an untrusted domain
    // that no handle in the run reached through COAUTHINFO or a blanket: Q224837 cannot
    // explain those, Q184278 does. The same runs on sp5 (Q184278 fixed) have none.
    const untrustedOnly = async (behaviour: Behaviour) => {
      const adapter = new SimulatedAdapter('x', behaviour);
      let hits = 0;
      await fc.assert(
        fc.asyncProperty(runArb(adapter.capabilities), async (input) => {
          const record = await executeRun(adapter, input);
          const o = judge(record.trace, 'strict', new Set(['NO-EARLY-RUNDOWN'] as const))[0];
          if (o.violations.length === 0) return;
          const state = new RunState(record.trace);
          for (const e of record.trace.events) state.observe(e);
          for (const v of o.violations) {
            const reclaimed = v.events.find((e) => e.kind === 'reclaimed');
            const handles = reclaimed?.kind === 'reclaimed' ? (state.objects.get(reclaimed.oid)?.handles ?? []) : [];
            // Q224837 taints the object, whichever of its proxies was activated or blanketed.
            const q224837 = handles.some((h) => h.tags.has('coauthinfo') || h.tags.has('blanket'));
            if (/untrusted/.test(v.message) && !q224837) hits += 1;
          }
        }),
        { numRuns: 300, seed: 5 },
      );
      return hits;
    };
    expect(await untrustedOnly(release('nt4-sp3'))).toBeGreaterThan(0);
    expect(await untrustedOnly(release('nt4-sp5'))).toBe(0);
    expect(await scenarioStatuses(release('nt4-sp3'), RELEASE_SCENARIOS.q184278Untrusted, 'NO-EARLY-RUNDOWN')).toEqual(['fail']);
    expect(await scenarioStatuses(release('nt4-sp5'), RELEASE_SCENARIOS.q184278Untrusted, 'NO-EARLY-RUNDOWN')).toEqual(['pass']);
  });

  test('nt4-sp3 with Q224837 switched off still fails NO-EARLY-RUNDOWN; the shrinker reaches the untrusted-domain minimal', async () => {
    const r = await campaign('nt4-sp3-q184278-only', { ...release('nt4-sp3'), q224837: false });
    expect(verdicts(r)['NO-EARLY-RUNDOWN']).toBe('FAILED');
    expect(verdicts(r)['PING-TERMINATION']).toBe('OK');
    const cx = tally(r, 'NO-EARLY-RUNDOWN').counterexample!;
    // Minimal: an untrusted world, start, activate (2 actions); a setTrust action instead of the world is one more.
    expect(cx.actions.length).toBeLessThanOrEqual(RELEASE_SCENARIOS.q184278Untrusted.actions.length + 1);
    expect(cx.violations[0].message).toMatch(/untrusted/);
    expect(cx.violations[0].message).not.toMatch(/coauthinfo|blanket/);
    expect(cx.actions.some((a) => a.kind === 'setBlanket' || (a.kind === 'activate' && a.authInfo !== null))).toBe(false);
  });

  test('nt4-sp6 passes PING-TERMINATION and NO-EARLY-RUNDOWN', async () => {
    const r = await campaign('nt4-sp6', release('nt4-sp6'), 'strict', 300);
    expect(verdicts(r)['PING-TERMINATION']).toBe('OK');
    expect(verdicts(r)['NO-EARLY-RUNDOWN']).toBe('OK');
  });

  test.each(['nt4-sp3', 'nt4-sp5', 'nt4-sp6'])('%s: Q255890 is NON-STRICT under nt4 and FAILED under strict', async (name) => {
    const nt4 = await campaign(name, release(name), 'nt4');
    const strict = await campaign(name, release(name), 'strict');
    expect(verdicts(nt4)['CALLBACK-MARSHALLING']).toBe('NON-STRICT');
    expect(verdicts(strict)['CALLBACK-MARSHALLING']).toBe('FAILED');
    const cx = tally(strict, 'CALLBACK-MARSHALLING').counterexample!;
    expect(cx.actions.length).toBeLessThanOrEqual(RELEASE_SCENARIOS.q255890Tcp.actions.length + 1);
    expect(cx.violations[0].message).toMatch(/SYSTEM denied over (udp hangs|tcp returns 0x8007000E)/);
    for (const s of [RELEASE_SCENARIOS.q255890Udp, RELEASE_SCENARIOS.q255890Tcp]) {
      expect(await scenarioStatuses(release(name), s, 'CALLBACK-MARSHALLING', 'nt4')).toEqual(['non-strict']);
      expect(await scenarioStatuses(release(name), s, 'CALLBACK-MARSHALLING', 'strict')).toEqual(['fail']);
    }
  });
});
