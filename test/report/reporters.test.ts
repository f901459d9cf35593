import { hunt } from '../../runner/hunt';
import { REFERENCE_VERSION } from '../../adapters/reference';
import { campaignTiming, formatCampaign, getReporter, renderHtml, renderJunit, reporterNames, sequenceDiagram, xmlText } from '../../report';
import { runCampaign, type CampaignResult } from '../../runner';
import { buildCertificate } from '../../runner/certificate';
import { PROFILES, RULES } from '../../spec';
import { adapterFor, certify } from './helpers';

/** The reference version as anchors spell it. */
const VERSION_ID = REFERENCE_VERSION.replace(/\./g, '-');

describe('reporter registry', () => {
  test('has text, json, html and junit, each with its file', () => {
    expect(reporterNames()).toEqual(['text', 'json', 'html', 'junit']);
    expect(getReporter('junit')!.file).toBe('junit.xml');
    expect(getReporter('html')!.file).toBe('report.html');
    expect(getReporter('json')!.file).toBe('certificate.json');
    expect(getReporter('nope')).toBeUndefined();
  });
});

describe('junit', () => {
  test('one testcase per rule and profile; FAILED carries the counterexample text, UNIMPLEMENTED is skipped', async () => {
    const cert = await certify('nt4-sp5', 150, 2);
    const xml = renderJunit([cert]);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="dcomkit"')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(2 * RULES.length);
    const failed = cert.results.flatMap((r) => r.rules.filter((t) => t.verdict === 'FAILED'));
    const skipped = cert.results.flatMap((r) => r.rules.filter((t) => t.verdict === 'UNIMPLEMENTED' || t.verdict === 'INCONCLUSIVE'));
    expect(xml.match(/<failure /g)).toHaveLength(failed.length);
    expect(xml.match(/<skipped /g) ?? []).toHaveLength(skipped.length);
    expect(xml).toMatch(new RegExp(`<testsuites name="dcomkit" tests="18" failures="${failed.length}" errors="0" skipped="${skipped.length}">`));
    const pt = xml.slice(xml.indexOf('name="PING-TERMINATION'), xml.indexOf('</testcase>', xml.indexOf('name="PING-TERMINATION')));
    expect(pt).toMatch(/<failure message="client1 still pings/);
    expect(pt).toMatch(/counterexample \(\d+ actions?, minimal: shrunk from \d+, \d+ attempts; adapter seed \d+\)/);
    expect(pt).toMatch(/ +1\. start client p1/);
    // Every element opened is closed, in order.
    const stack: string[] = [];
    for (const m of xml.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
      if (m[3]) continue;
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else stack.push(m[2]);
    }
    expect(stack).toEqual([]);
  });

  test("time: each rule's share of its campaign (an equal part of the runs plus its own shrinking), the campaign's on the suite; left out when unknown", async () => {
    const results: CampaignResult[] = [];
    for (const profile of PROFILES) results.push(await runCampaign(adapterFor('nt4-sp5'), { profile, runs: 80, seed: 3 }));
    const cert = await buildCertificate({ adapter: adapterFor('nt4-sp5').capabilities, campaign: { seed: 3, runs: 80 }, results });
    expect(renderJunit([cert])).not.toMatch(/ time="/);
    const xml = renderJunit([cert], new Map([[cert, results.map(campaignTiming)]]));
    const suites = [...xml.matchAll(/<testsuite [^>]*time="([\d.]+)">([\s\S]*?)<\/testsuite>/g)];
    expect(suites).toHaveLength(2);
    suites.forEach(([, suiteTime, body], i) => {
      const result = results[i];
      expect(Number(suiteTime)).toBeCloseTo(result.stats.wallMs / 1000, 3);
      expect(Number(suiteTime)).toBeGreaterThan(0);
      const times = new Map([...body.matchAll(/<testcase [^>]*name="([A-Z-]+):[^"]*" time="([\d.]+)">/g)].map((m) => [m[1], Number(m[2])]));
      expect([...times.keys()]).toEqual(result.rules.map((t) => t.rule.id));
      // The shares add up to the campaign.
      expect([...times.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(Number(suiteTime), 2);
      // A failed rule carries its own shrinking on top of the share every rule has.
      const ok = result.rules.find((t) => !t.counterexample)!;
      for (const t of result.rules.filter((x) => x.counterexample)) {
        expect(times.get(t.rule.id)! - times.get(ok.rule.id)!).toBeCloseTo(t.counterexample!.shrinkMs / 1000, 2);
      }
    });
  });

  test('escapes markup and drops characters XML cannot carry', () => {
    expect(xmlText('a<b & "c">\u0001')).toBe('a&lt;b &amp; &quot;c&quot;&gt;\uFFFD');
  });
});

describe('runs to first failure', () => {
  test('the runner records the run that first failed each rule, as a hunt for that rule finds it; JUnit, HTML and the campaign text show it', async () => {
    const result = await runCampaign(adapterFor('nt4-sp5'), { profile: 'strict', runs: 60, seed: 2, shrink: false });
    const tally = result.rules.find((t) => t.rule.id === 'PING-TERMINATION')!;
    const hunted = await hunt(adapterFor('nt4-sp5'), { seed: 2, maxRuns: 60, rules: ['PING-TERMINATION'] });
    expect(tally.firstFailedRun).toBe(hunted.runs);
    for (const t of result.rules) expect(t.firstFailedRun === undefined).toBe(t.failures === 0);
    expect(formatCampaign(result)).toMatch(new RegExp(`^PING-TERMINATION +FAILED +\\d+ runs {2}\\(\\d+ failing, first failed at run ${hunted.runs} of 60\\)$`, 'm'));

    const cert = await certify('nt4-sp5', 150, 2);
    const pt = cert.results[0].rules.find((t) => t.id === 'PING-TERMINATION')!;
    expect(renderJunit([cert])).toMatch(new RegExp(`FAILED: \\d+ runs, \\d+ failing, first failed at run ${pt.firstFailedRun} of 150 \\(Q224837`));
    expect(renderHtml([cert])).toContain(`; first failed at run ${pt.firstFailedRun} of 150`);
    for (const r of cert.results) for (const t of r.rules) delete t.firstFailedRun;
    expect(renderJunit([cert])).not.toMatch(/first failed at run \d+ of 150 \(Q224837/);
  });
});

describe('html', () => {
  test('a self-contained page: verdict matrix, rules with sources, coverage, one sequence diagram per distinct counterexample', async () => {
    const cert = await certify('nt4-sp5', 150, 2);
    const html = renderHtml([cert]);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src="http|href="http|url\(http|@import/i);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
    const matrix = html.slice(html.indexOf('id="verdict-matrix"'), html.indexOf('</table>', html.indexOf('id="verdict-matrix"')));
    expect(matrix.match(/<tr data-rule=/g)).toHaveLength(RULES.length);
    expect(matrix.match(/<td class="cell"/g)).toHaveLength(2 * RULES.length);
    expect(matrix).toMatch(new RegExp(`data-verdict="FAILED"[^>]*><a class="v-failed" href="#cx-nt4-sp5-${VERSION_ID}-strict-PING-TERMINATION">FAILED</a>`));
    for (const rule of RULES) expect(html).toContain(`id="rule-${rule.id}"`);
    expect(html).toContain('Sources: Q224837; MS-DCOM 3.2.6.1');
    expect(html).toMatch(/data-situation="callback, SYSTEM (admitted|denied), (udp|tcp|local)"/);
    // PING-TERMINATION and NO-EARLY-RUNDOWN fail alike under both profiles: one article each, both anchors present.
    const articles = html.match(/<article class="cx"/g)!;
    const svgs = html.match(/<svg [^>]*class="seq"/g)!;
    expect(svgs.length).toBe(articles.length);
    expect(articles.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain(`id="cx-nt4-sp5-${VERSION_ID}-nt4-PING-TERMINATION"`);
    expect(html.match(/class="lane lane-/g)!.length).toBeGreaterThanOrEqual(5 * articles.length);
  });

  test('the sequence diagram puts calls, pings, lost pings and reclaims on their lanes and flags the violation', () => {
    const actions = [
      { kind: 'start', process: 'p1', machine: 'client1', identity: 'alice', authenticated: true },
      { kind: 'activate', process: 'p1', handle: 'h1', clsctx: 'remote', serverInfo: true, authInfo: null },
      { kind: 'partition', machine: 'client1' },
    ] as const;
    const ping = { kind: 'ping', at: 120000, step: 3, from: 'client1', to: 'server', type: 'simple', setId: 's1', seq: 0, adds: [], dels: [], status: 'lost' } as const;
    const reclaim = { kind: 'reclaimed', at: 360000, step: 3, machine: 'server', oid: 'oid1', cause: 'rundown' } as const;
    const events = [
      { kind: 'action', at: 0, step: 0, action: actions[0] },
      { kind: 'action', at: 0, step: 1, action: actions[1] },
      { kind: 'completed', at: 0, step: 1, hr: 0, oid: 'oid1' },
      { kind: 'action', at: 0, step: 2, action: actions[2] },
      { kind: 'action', at: 0, step: 3, action: { kind: 'advance', ms: 400000 }, settle: true },
      ping,
      reclaim,
    ] as const;
    const d = sequenceDiagram('t', actions as never, events as never, [{ message: 'x', severity: 'fail', events: [reclaim] }]);
    expect(d.lanes.map((l) => l.title)).toEqual(['client process p1', 'client1 resolver', 'network', 'server resolver', 'server object']);
    expect(d.rows).toBe(7);
    expect(d.svg.match(/<g class="row /g)).toHaveLength(7);
    expect(d.svg).toMatch(/<g class="row row-arrow tone-call" data-kind="action">.*?CoCreateInstanceEx/);
    expect(d.svg).toMatch(/<g class="row row-arrow tone-bad" data-kind="ping">.*?class="cross".*?SimplePing s1 \(lost\)/);
    expect(d.svg).toMatch(/<g class="row row-note tone-bad violation" data-kind="reclaimed">.*?reclaimed oid1 \(rundown\)/);
    expect(d.svg).toContain('>360s<');
    expect(d.svg.match(/class="row-violation"/g)).toHaveLength(1);
  });
});
