import { REFERENCE_VERSION } from '../../adapters/reference';
import { verifyCertificate } from '../../runner/certificate-verify';
import { checkCertificate } from '../../runner/load';
import {
  canonicalJson,
  CertificateError,
  certificateHash,
  diffCertificates,
  generatorSchemaHash,
  mergeCertificates,
  seal,
  type Certificate,
} from '../../runner/certificate';
import { compareCertificates, VERDICT_ORDER } from '../../runner/compare';
import { VERDICTS, type Verdict } from '../../spec';
import { adapterFor, certify, certifyFresh } from './helpers';

const clone = (c: Certificate): Certificate => JSON.parse(JSON.stringify(c));

describe('canonical JSON and the certificate hash', () => {
  test('canonical JSON sorts keys, drops undefined members, keeps array order, refuses NaN', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: undefined, c: 'x' }], e: null })).toBe('{"a":[3,{"c":"x"}],"b":1,"e":null}');
    expect(canonicalJson({ 'é': 1, Z: 2, a: 3 })).toBe('{"Z":2,"a":3,"é":1}');
    expect(canonicalJson([1.5, -0, 1e21, 'a"b'])).toBe('[1.5,0,1e+21,"a\\"b"]');
    expect(() => canonicalJson({ x: NaN })).toThrow(/no JSON form/);
  });

  test('the hash covers everything but itself, survives pretty-printing and key order, and catches any edit', async () => {
    const cert = await certify('nt4-sp5', 40, 2);
    expect(cert.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(certificateHash(cert)).toBe(cert.hash);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(cert).reverse()), null, 2));
    expect(certificateHash(reordered)).toBe(cert.hash);
    const edited = clone(cert);
    edited.results[0].rules[0].verdict = edited.results[0].rules[0].verdict === 'OK' ? 'FAILED' : 'OK';
    expect(certificateHash(edited)).not.toBe(cert.hash);
    const recounted = clone(cert);
    recounted.results[1].actionCounts.start = (recounted.results[1].actionCounts.start ?? 0) + 1;
    expect(certificateHash(recounted)).not.toBe(cert.hash);
  });

  test('a certificate records kit, generator schema, adapter, campaign, verdicts with sources, coverage and replayable counterexamples', async () => {
    const cert = await certify('nt4-sp5', 150, 2);
    expect(cert.format).toBe('dcomkit-certificate/1');
    expect(cert.generator.schemaHash).toBe(await generatorSchemaHash(cert.generator.options));
    expect(cert.adapter).toMatchObject({ name: 'nt4-sp5', version: REFERENCE_VERSION, spec: { kind: 'name', value: 'nt4-sp5' } });
    expect(cert.profiles).toEqual(['strict', 'nt4']);
    expect(cert.campaigns).toEqual([{ seed: 2, runs: 150 }]);
    const strict = cert.results.find((r) => r.profile === 'strict')!;
    const pt = strict.rules.find((t) => t.id === 'PING-TERMINATION')!;
    expect(pt).toMatchObject({ verdict: 'FAILED', sources: ['Q224837', 'MS-DCOM 3.2.6.1'] });
    expect(pt.counterexample!.actions.length).toBeGreaterThan(0);
    expect(pt.counterexample!.trace.length).toBeGreaterThan(0);
    expect(pt.counterexample).not.toHaveProperty('shrinkMs');
    expect(Object.values(strict.rules.find((t) => t.id === 'CALLBACK-MARSHALLING')!.situations).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(strict.actionCounts.start).toBeGreaterThan(0);
    expect(Object.keys(strict.actionCounts)).toContain('serverCrash');
    // Same seed, same certificate, byte for byte: no wall-clock time inside.
    expect((await certifyFresh('nt4-sp5', 150, 2)).hash).toBe(cert.hash);
    expect(() => checkCertificate({ format: 'x' }, 'f.json')).toThrow(/f\.json is not a dcomkit-certificate\/1 file/);
    expect(() => checkCertificate({ ...cert, results: 'no' }, 'f.json')).toThrow(/damaged/);
    expect(checkCertificate(JSON.parse(JSON.stringify(cert)), 'f.json').value.hash).toBe(cert.hash);
  });
});

describe('merge', () => {
  test('merging every shard gives exactly the unsharded certificate', async () => {
    const whole = await certify('nt4-sp5', 60, 3);
    const shards = await Promise.all([1, 2, 3].map((index) => certify('nt4-sp5', 60, 3, { shard: { index, count: 3 } })));
    expect(shards.map((s) => s.campaigns)).toEqual([1, 2, 3].map((index) => [{ seed: 3, runs: 60, shard: { index, count: 3 } }]));
    const merged = mergeCertificates([shards[2], shards[0], shards[1]]);
    expect(merged.missing).toEqual([]);
    expect(merged.certificate.campaigns).toEqual([{ seed: 3, runs: 60 }]);
    expect(merged.certificate).toEqual(whole);
    expect(merged.certificate.hash).toBe(whole.hash);
  });

  test('a missing shard is reported, duplicates and different adapters are refused, seeds add up', async () => {
    const [a, b] = await Promise.all([1, 2].map((index) => certify('nt4-sp6', 20, 1, { shard: { index, count: 3 } })));
    const partial = mergeCertificates([a, b]);
    expect(partial.missing).toEqual(['seed 1: shard 3/3']);
    expect(partial.certificate.campaigns).toHaveLength(2);
    expect(() => mergeCertificates([a, a])).toThrow(/shard 1\/3 of seed 1 appears more than once/);
    const other = await certify('reference', 20, 1);
    const sp6 = await certify('nt4-sp6', 20, 2);
    expect(() => mergeCertificates([other, sp6])).toThrow(CertificateError);
    const two = mergeCertificates([other, await certify('reference', 20, 2)]).certificate;
    expect(two.campaigns).toEqual([{ seed: 1, runs: 20 }, { seed: 2, runs: 20 }]);
    expect(two.results[0].runs).toBe(40);
    expect(certificateHash(two)).toBe(two.hash);
  });
});

describe('diff', () => {
  test('lists the rules whose verdict changed, profile by profile', async () => {
    const sp5 = await certify('nt4-sp5', 150, 2);
    const ref = await certify('reference', 150, 2);
    const d = diffCertificates(sp5, ref);
    expect(d.changes).toEqual(
      expect.arrayContaining([
        { profile: 'strict', rule: 'PING-TERMINATION', from: 'FAILED', to: 'OK' },
        { profile: 'nt4', rule: 'CALLBACK-MARSHALLING', from: 'NON-STRICT', to: 'OK' },
      ]),
    );
    expect(d.changes.length + d.unchanged).toBe(18);
    expect(diffCertificates(sp5, sp5)).toEqual({ changes: [], unchanged: 18 });
    const strictOnly = clone(ref);
    strictOnly.profiles = ['strict'];
    strictOnly.results = strictOnly.results.filter((r) => r.profile === 'strict');
    expect(diffCertificates(strictOnly, ref).changes.filter((c) => c.profile === 'nt4')).toHaveLength(9);
    expect(diffCertificates(strictOnly, ref).changes[0]).toMatchObject({ profile: 'nt4', from: undefined });
  });
});

describe('compare (dcomkit diff)', () => {
  type Edit = (c: Certificate) => void;
  const edited = async (edit: Edit) => {
    const c = clone(await certify('nt4-sp5', 150, 2));
    edit(c);
    return c;
  };
  const set = (profile: string, rule: string, verdict: string): Edit => (c) => {
    c.results.find((r) => r.profile === profile)!.rules.find((t) => t.id === rule)!.verdict = verdict as Verdict;
  };

  test('worse is down the stated order; fixed is up to a verdict that shows the rule holding; a failure no longer exercised is no fix', async () => {
    const base = await edited(() => {});
    const after = await edited((c) => {
      set('strict', 'PROCESS-EXIT', 'UNIMPLEMENTED')(c); // OK -> UNIMPLEMENTED: worse
      set('strict', 'RELEASE-RECLAIM', 'INCONCLUSIVE')(c); // OK -> INCONCLUSIVE: worse
      set('nt4', 'PING-SEQUENCE', 'NON-STRICT')(c); // OK -> NON-STRICT: worse
      set('strict', 'PING-TERMINATION', 'UNIMPLEMENTED')(c); // FAILED -> UNIMPLEMENTED: not shown to hold
      set('strict', 'CALLBACK-MARSHALLING', 'NON-STRICT')(c); // FAILED -> NON-STRICT: fixed
      set('nt4', 'CALLBACK-MARSHALLING', 'OK')(c); // NON-STRICT -> OK: fixed
      set('nt4', 'PING-TERMINATION', 'SOMETHING-NEW')(c);
    });
    const cmp = compareCertificates(base, after);
    expect(cmp.differences).toEqual([]);
    expect(cmp.changes.map((c) => `${c.profile} ${c.rule} ${c.from?.verdict}->${c.to?.verdict} ${c.kind}`).sort()).toEqual(
      [
        'strict PROCESS-EXIT OK->UNIMPLEMENTED worse',
        'strict RELEASE-RECLAIM OK->INCONCLUSIVE worse',
        'nt4 PING-SEQUENCE OK->NON-STRICT worse',
        'strict PING-TERMINATION FAILED->UNIMPLEMENTED unproven',
        'strict CALLBACK-MARSHALLING FAILED->NON-STRICT fixed',
        'nt4 CALLBACK-MARSHALLING NON-STRICT->OK fixed',
        'nt4 PING-TERMINATION FAILED->SOMETHING-NEW unranked',
      ].sort(),
    );
    expect(compareCertificates(after, base).changes.filter((c) => c.kind === 'worse').map((c) => c.rule).sort()).toEqual(['CALLBACK-MARSHALLING', 'CALLBACK-MARSHALLING', 'PING-TERMINATION']);
    // Every verdict has its place in the order (INCONCLUSIVE included, ahead of its arrival).
    expect(VERDICT_ORDER.flat().sort()).toEqual([...new Set<string>([...VERDICTS, 'INCONCLUSIVE'])].sort());
  });

  test('says why two campaigns are not comparable: run counts, seeds, profiles, max-actions, generator schema, corpus', async () => {
    const base = await edited(() => {});
    const other = await edited((c) => {
      c.campaigns = [{ seed: 7, runs: 4000 }];
      for (const r of c.results) {
        r.runs = 4000;
        r.corpusRuns = 3;
      }
      c.generator.options.maxActions = 40;
      c.generator.schemaHash = 'sha256:' + 'f'.repeat(64);
      c.profiles = ['strict'];
      c.results = c.results.filter((r) => r.profile === 'strict');
    });
    const cmp = compareCertificates(base, other);
    expect(cmp.a).toMatchObject({ runs: 150, seeds: [2], maxActions: 20 });
    expect(cmp.b).toMatchObject({ runs: 4000, seeds: [7], maxActions: 40 });
    expect(cmp.differences.map((d) => d.split(':')[0])).toEqual(['run counts differ', 'seeds differ', 'profiles differ', 'max-actions differs', 'generator schema hashes differ', 'corpus cases differ']);
    expect(cmp.differences[0]).toMatch(/150 against 4000 runs/);
    expect(cmp.changes.filter((c) => c.kind === 'only-a')).toHaveLength(9);
  });
});

describe('verify', () => {
  const open = (name: string) => async () => adapterFor(name);

  test('a certificate verifies: hash, generator, verdicts and counterexamples reproduce', async () => {
    const cert = await certify('nt4-sp5', 100, 2);
    const report = await verifyCertificate(cert, { open: open('nt4-sp5') });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.subject)).toEqual(expect.arrayContaining(['hash', 'generator', 'strict', 'nt4', 'counterexample strict PING-TERMINATION']));
  });

  test('an edited verdict fails the hash; a re-sealed forgery fails its own counts, a consistent one fails on re-running the seed', async () => {
    const cert = await certify('nt4-sp5', 100, 2);
    const forged = clone(cert);
    const t = forged.results[0].rules.find((r) => r.id === 'PING-TERMINATION')!;
    t.verdict = 'OK';
    delete t.counterexample;
    const edited = await verifyCertificate(forged, { open: open('nt4-sp5') });
    expect(edited.ok).toBe(false);
    expect(edited.checks.find((c) => c.subject === 'hash')!.detail).toMatch(/does not match the content/);
    // Re-sealed, the hash matches but the verdict is not what the counts give.
    const { hash: _h, ...content } = forged;
    const resealed = await verifyCertificate(seal(content), { open: open('nt4-sp5'), skipCampaigns: true, skipReplays: true });
    expect(resealed.checks.find((c) => c.subject === 'hash')!.detail).toMatch(/PING-TERMINATION: verdict OK, but its counts give FAILED/);
    // Counts edited to fit the forged verdict: only re-running the seed shows the lie.
    t.failures = 0;
    delete t.firstFailedRun;
    const { hash: _h2, ...consistent } = forged;
    const forgery = await verifyCertificate(seal(consistent), { open: open('nt4-sp5') });
    expect(forgery.checks.find((c) => c.subject === 'hash')!.ok).toBe(true);
    const strict = forgery.checks.find((c) => c.subject === 'strict')!;
    expect(strict.ok).toBe(false);
    expect(strict.detail).toMatch(/PING-TERMINATION OK -> FAILED/);
  });

  test('a count edited consistently (hash re-sealed) fails verify on a virtual clock: counts must reproduce', async () => {
    const cert = await certify('reference', 60, 3);
    const forged = clone(cert);
    const t = forged.results[0].rules.find((r) => r.id === 'PING-SEQUENCE')!;
    t.runs += 1;
    const { hash: _h, ...content } = forged;
    const report = await verifyCertificate(seal(content), { open: open('reference'), skipReplays: true });
    const strict = report.checks.find((c) => c.subject === 'strict')!;
    expect(strict.ok).toBe(false);
    expect(strict.detail).toMatch(/the counts do not.*PING-SEQUENCE/);
  });

  test('a real-clock adapter gets up to three replays per counterexample; a virtual-clock one gets one', async () => {
    const cert = await certify('nt4-sp5', 100, 2);
    // Every other adapter opened (the first is only asked its capabilities) is the fixed release,
    // so each counterexample fails on its second replay only.
    const flaky = (clock: 'real' | 'virtual') => {
      let opened = 0;
      return async () => {
        const a = adapterFor(opened++ % 2 === 1 ? 'reference' : 'nt4-sp5');
        (a.capabilities as { clock: unknown }).clock = clock === 'real' ? { kind: 'real', scale: 1 } : { kind: 'virtual' };
        return a;
      };
    };
    const real = await verifyCertificate(cert, { open: flaky('real'), skipCampaigns: true });
    const check = real.checks.find((c) => c.subject === 'counterexample strict PING-TERMINATION')!;
    expect(check.ok).toBe(true);
    expect(check.detail).toMatch(/FAILED again.*replay 2 of at most 3/);
    const virtual = await verifyCertificate(cert, { open: flaky('virtual'), skipCampaigns: true });
    expect(virtual.ok).toBe(false);
  });

  test('a counterexample that no longer fails, or another generator, does not verify', async () => {
    const cert = await certify('nt4-sp5', 100, 2);
    // The fixed release does not reproduce nt4-sp5's failures.
    const onFixed = await verifyCertificate(cert, { open: open('reference'), skipCampaigns: true });
    expect(onFixed.ok).toBe(false);
    expect(onFixed.checks.find((c) => c.subject === 'counterexample strict PING-TERMINATION')!.detail).toMatch(/recorded FAILED, now OK/);
    expect(onFixed.checks.find((c) => c.subject === 'adapter')!.notes).toEqual([`the certificate is for nt4-sp5 ${REFERENCE_VERSION}`]);
    const { hash: _h, ...content } = clone(cert);
    content.generator.schemaHash = 'sha256:' + '0'.repeat(64);
    const other = await verifyCertificate(seal(content), { open: open('nt4-sp5'), skipReplays: true });
    expect(other.checks.find((c) => c.subject === 'generator')).toMatchObject({ ok: false, detail: expect.stringMatching(/seeds cannot reproduce/) });
  });
});
