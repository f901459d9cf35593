/**
 * Re-checking a certificate: its hash, its generator schema, its campaigns (re-run from the
 * recorded seeds, shards and corpus, judged again under each profile) and its counterexamples
 * (replayed action by action). The verdicts must reproduce, and so must every count on an
 * adapter with a virtual clock (the same seed gives the same runs): a count that differs is
 * what an edited certificate, or a merge of edited shards, shows. On a real clock, counts that
 * differ are notes, since such an adapter need not repeat them exactly.
 */
import { isAdapterFault, type Adapter } from '../spec';
import { judge } from '../oracles';
import { runCampaign, type CampaignResult } from './campaign';
import { buildCertificate, certificateHash, certificateProblem, generatorSchemaHash, mergeCertificates, type Certificate, type ProfileResult } from './certificate';
import { replayActions } from './execute';

export interface VerifyCheck {
  /** What was checked: "hash", "generator", "adapter", "strict", "nt4", "counterexample strict PING-TERMINATION". */
  subject: string;
  ok: boolean;
  detail: string;
  /** Differences that do not fail the check (coverage counts, trace bytes). */
  notes?: string[];
}

export interface VerifyReport {
  ok: boolean;
  checks: VerifyCheck[];
}

export interface VerifyOptions {
  /** Opens a fresh adapter; each campaign and replay gets its own, closed afterwards. */
  open: () => Promise<Adapter>;
  /** Skip re-running the seeded campaigns (only hash and counterexamples). */
  skipCampaigns?: boolean;
  /** Skip replaying the counterexamples. */
  skipReplays?: boolean;
  /** Aborting it stops the verification; what was not checked counts as not verified. */
  signal?: AbortSignal;
  /** Adapter instances each re-run campaign runs at once (CampaignOptions.workers). Default 1. */
  workers?: number;
}

async function withAdapter<T>(open: () => Promise<Adapter>, f: (a: Adapter) => Promise<T>): Promise<T> {
  const adapter = await open();
  try {
    return await f(adapter);
  } finally {
    await adapter.close();
  }
}

function countNotes(recorded: ProfileResult, now: ProfileResult): string[] {
  const notes: string[] = [];
  if (recorded.runs !== now.runs) notes.push(`runs ${recorded.runs} recorded, ${now.runs} now`);
  if (recorded.corpusRuns !== now.corpusRuns) notes.push(`corpus cases ${recorded.corpusRuns} recorded, ${now.corpusRuns} now`);
  for (const t of recorded.rules) {
    const n = now.rules.find((x) => x.id === t.id);
    if (!n) continue;
    const a = `${t.runs}/${t.failures}/${t.nonStrict}`;
    const b = `${n.runs}/${n.failures}/${n.nonStrict}`;
    if (a !== b) notes.push(`${t.id}: runs/failures/non-strict ${a} recorded, ${b} now`);
  }
  const kinds = new Set([...Object.keys(recorded.actionCounts), ...Object.keys(now.actionCounts)]) as Set<keyof typeof now.actionCounts>;
  const differing = [...kinds].filter((k) => (recorded.actionCounts[k] ?? 0) !== (now.actionCounts[k] ?? 0));
  if (differing.length) notes.push(`action counts differ for ${differing.join(', ')}`);
  return notes;
}

/** Replays a real-clock adapter's counterexample gets before it counts as not reproduced. */
export const REAL_CLOCK_ATTEMPTS = 3;

export async function verifyCertificate(cert: Certificate, options: VerifyOptions): Promise<VerifyReport> {
  const checks: VerifyCheck[] = [];
  const hash = certificateHash(cert);
  const problem = hash === cert.hash ? certificateProblem(cert) : undefined;
  checks.push({
    subject: 'hash',
    ok: hash === cert.hash && !problem,
    detail: hash !== cert.hash ? `does not match the content (recorded ${cert.hash}, content ${hash})` : problem ? `matches, but ${problem}` : `matches (${cert.hash.slice(0, 19)}…)`,
  });

  const schema = await generatorSchemaHash(cert.generator.options);
  const schemaOk = schema === cert.generator.schemaHash;
  checks.push({
    subject: 'generator',
    ok: schemaOk,
    detail: schemaOk
      ? `schema matches this kit (${schema.slice(0, 19)}…)`
      : `this kit generates differently (schema ${schema.slice(0, 19)}…, certificate ${cert.generator.schemaHash.slice(0, 19)}…): the seeds cannot reproduce; regenerate the certificate`,
  });

  const caps = await withAdapter(options.open, async (a) => a.capabilities);
  const sameAdapter = caps.name === cert.adapter.name && caps.version === cert.adapter.version;
  checks.push({
    subject: 'adapter',
    ok: true,
    detail: `${caps.name} ${caps.version}`,
    notes: sameAdapter ? undefined : [`the certificate is for ${cert.adapter.name} ${cert.adapter.version}`],
  });

  if (schemaOk && !options.skipCampaigns) {
    // Each campaign again, every profile, without shrinking (the counterexamples replay below).
    const rerun: Certificate[] = [];
    for (const campaign of cert.campaigns) {
      const results: CampaignResult[] = [];
      for (const profile of cert.profiles) {
        results.push(
          await withAdapter(options.open, (a) =>
            runCampaign(a, { profile, runs: campaign.runs, seed: campaign.seed, generator: cert.generator.options, shard: campaign.shard, corpus: cert.corpus, shrink: false, minEvidence: cert.minEvidence, signal: options.signal, workers: options.workers, open: options.open }),
          ),
        );
      }
      rerun.push(await buildCertificate({ adapter: caps, generator: cert.generator.options, campaign, corpus: cert.corpus, results }));
    }
    const now = rerun.length === 1 ? rerun[0] : mergeCertificates(rerun).certificate;
    for (const recorded of cert.results) {
      const again = now.results.find((r) => r.profile === recorded.profile)!;
      const changed = recorded.rules
        .map((t) => ({ id: t.id, was: t.verdict, now: again.rules.find((x) => x.id === t.id)?.verdict }))
        .filter((c) => c.was !== c.now);
      const seeds = cert.campaigns.map((c) => c.seed).join(', ');
      const counts = countNotes(recorded, again);
      // The same seed gives the same runs on a virtual clock: every count must come out again.
      const strict = caps.clock.kind === 'virtual';
      checks.push({
        subject: recorded.profile,
        ok: changed.length === 0 && again.errors.length === 0 && (!strict || counts.length === 0),
        detail: changed.length
          ? `${changed.length} verdict${changed.length === 1 ? '' : 's'} did not reproduce: ${changed.map((c) => `${c.id} ${c.was} -> ${c.now ?? 'absent'}`).join(', ')}`
          : again.errors.length
            ? `adapter errors in ${again.errors.length} run(s): ${again.errors[0].message.split('\n')[0]}`
            : strict && counts.length
              ? `the verdicts reproduce but the counts do not (the certificate claims what its seeds do not give): ${counts[0]}`
              : `${recorded.rules.length} verdicts reproduce (seed${cert.campaigns.length === 1 ? '' : 's'} ${seeds}, ${again.runs} runs${again.corpusRuns ? `, ${again.corpusRuns} corpus cases` : ''})`,
        notes: counts,
      });
    }
  }

  // A real-clock target's timing differs from run to run, and with it what a replay sees;
  // its counterexamples get a few tries. A virtual-clock one gets exactly one.
  const attempts = caps.clock.kind === 'real' ? REAL_CLOCK_ATTEMPTS : 1;
  for (const result of options.skipReplays ? [] : cert.results) {
    for (const t of result.rules) {
      const cx = t.counterexample;
      if (!cx) continue;
      let verdict = '';
      let identical = false;
      let attempt = 0;
      while (attempt < attempts && verdict !== cx.verdict) {
        attempt++;
        let record;
        try {
          record = await withAdapter(options.open, (a) => replayActions(a, cx.seed, cx.world, cx.actions, cert.generator.settleMs, options.signal));
        } catch (err) {
          if (!isAdapterFault(err)) throw err;
          verdict = `an adapter error (${err.message.split('\n')[0]})`;
          continue;
        }
        const outcome = judge(record.trace, result.profile, new Set([t.id]))[0];
        verdict = outcome.status === 'fail' ? 'FAILED' : outcome.status === 'non-strict' ? 'NON-STRICT' : outcome.status === 'idle' ? 'not exercised' : 'OK';
        identical = JSON.stringify(record.trace.events) === JSON.stringify(cx.trace);
      }
      const tries = attempts > 1 ? ` (replay ${attempt} of at most ${attempts}: the adapter runs on a real clock)` : '';
      checks.push({
        subject: `counterexample ${result.profile} ${t.id}`,
        ok: verdict === cx.verdict,
        detail: `${cx.actions.length} action${cx.actions.length === 1 ? '' : 's'}: ${verdict === cx.verdict ? `${verdict} again` : `recorded ${cx.verdict}, now ${verdict}`}${identical ? ', trace identical' : ''}${tries}`,
        notes: identical ? undefined : ['trace differs from the recorded one'],
      });
    }
  }
  return { ok: checks.every((c) => c.ok), checks };
}
