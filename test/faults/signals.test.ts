/**
 * Ctrl-C and SIGTERM: any campaign stops within 2 s, prints what it finished (marked PARTIAL)
 * and how to repeat it, and exits 130 / 143; a second signal ends it at once; nothing the kit
 * started outlives it.
 */
import { kit, misbehave } from './helpers';

jest.setTimeout(120_000);

describe('signals', () => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s during a campaign on the in-process reference: partial results, the repeat command, exit %i', async (signal, code) => {
    const r = await kit(['run', '--runs', '10000000', '--seed', '5'], { signal: { when: /seed 5\n/, signal, afterMs: 500 } });
    expect(r.code).toBe(code);
    expect(r.afterSignalMs).toBeLessThan(2000);
    expect(r.out).toMatch(/^dcomkit: adapter reference .*, 10000000 runs, seed 5$/m);
    expect(r.out).toMatch(/^PARTIAL: interrupted after \d+ of 10000000 runs; the verdicts below are from what finished\.$/m);
    expect(r.out).toMatch(/^PING-TERMINATION +\w+/m);
    expect(r.err).toMatch(/dcomkit: interrupted \(/);
    expect(r.err).toMatch(/Repeat the campaign with: dcomkit run --runs 10000000 --seed 5$/m);
    expect(r.leftovers).toEqual([]);
  });

  test('SIGINT while shrinking stops the shrink too', async () => {
    // The buggy Python model fails at once; its shrinks take many runs of a slow adapter.
    const r = await kit(['run', '--adapter-cmd', misbehave('slow 50', '--buggy'), '--runs', '30', '--seed', '5'], {
      signal: { when: /shrinking/, signal: 'SIGINT' },
      env: { DCOMKIT_PROGRESS_EVERY_MS: '200' },
    });
    expect(r.code).toBe(130);
    expect(r.afterSignalMs).toBeLessThan(2000);
    expect(r.out).toMatch(/^PARTIAL: interrupted while shrinking/m);
    expect(r.leftovers).toEqual([]);
  });

  test('a second SIGINT ends the kit at once, and its adapters with it', async () => {
    const r = await kit(['run', '--adapter-cmd', misbehave('slow 400'), '--runs', '50', '--seed', '5'], { signal: { when: /seed 5\n/, signal: 'SIGINT', afterMs: 1500, again: 100 } });
    expect([130, null]).toContain(r.code);
    expect(r.afterSignalMs).toBeLessThan(2000);
    expect(r.leftovers).toEqual([]);
  });

  test('a hung out-of-process adapter: SIGTERM ends the kit within 2 s and kills the adapter and its session-leaving grandchild', async () => {
    const r = await kit(['run', '--adapter-cmd', misbehave('setsid 3'), '--runs', '5', '--seed', '5', '--step-timeout', '60000'], {
      signal: { when: /seed 5\n/, signal: 'SIGTERM', afterMs: 1500 },
    });
    expect(r.code).toBe(143);
    expect(r.afterSignalMs).toBeLessThan(2000);
    expect(r.leftovers).toEqual([]);
  });
});
