import { verifyCertificate } from '../../runner/certificate-verify';
import { ADAPTER_HELP, defaultWorkers, openAdapter, RECORDED_ADAPTER_HELP, recordedAdapterSpec } from '../adapter';
import { exitCodeFor, interruptedBy, interruptible } from '../interrupt';
import { intFlag, LIMITS, parse } from '../args';
import { EXIT, UsageError } from '../errors';
import { loadCertificate, shown } from './certify';

export const VERIFY_HELP = `Usage: dcomkit verify CERTIFICATE [options]

Re-checks a certificate written by 'dcomkit certify' or 'dcomkit merge':
  - its SHA-256 matches its content;
  - this kit generates runs the same way (generator schema hash);
  - its counts fit together (no more failures than runs, each verdict what its counts give);
  - re-running its campaigns (seeds, run counts, shards, corpus) under each profile gives
    the same verdict for every rule, and on a virtual clock the same counts (on a real
    clock, counts that differ are notes);
  - every counterexample replays to its recorded verdict (an adapter on a real clock, whose
    timing varies, gets up to three replays per counterexample).

Options:
  --hash-only             check the hash, the counts and the generator schema only;
                          re-run nothing
  --skip-campaigns        replay the counterexamples but do not re-run the seeds
  --workers N             adapter instances re-running a campaign at once (default: what
                          the adapter declares for this machine, as for 'dcomkit run')
${RECORDED_ADAPTER_HELP}
  -h, --help              this text

The adapter is the one the certificate names, unless given:
${ADAPTER_HELP}

Exit codes: 0 verified, 1 something did not reproduce or the hash does not match, 2 usage
or adapter error, 130 / 143 stopped by SIGINT / SIGTERM.`;

export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { adapter: { type: 'string' }, 'adapter-cmd': { type: 'string' }, 'step-timeout': { type: 'string' }, 'trust-recorded-adapter': { type: 'boolean' }, 'hash-only': { type: 'boolean' }, 'skip-campaigns': { type: 'boolean' }, workers: { type: 'string' } } as const,
    'verify',
    1,
  );
  if (values.help) {
    console.log(VERIFY_HELP);
    return EXIT.ok;
  }
  if (!positionals[0]) throw new UsageError(`verify needs a certificate file (see 'dcomkit verify --help')`);
  const file = positionals[0];
  const cert = loadCertificate(file);
  const spec = recordedAdapterSpec(values, cert.adapter.spec ?? { kind: 'name', value: cert.adapter.name }, file);
  const asked = values.workers === undefined ? undefined : intFlag(values.workers, '--workers', 1, LIMITS.workers);
  // Fail on a bad adapter before any work, as a usage error.
  const probe = await openAdapter(spec, values);
  const workers = asked ?? defaultWorkers(spec, probe);
  await probe.close();
  console.log(`dcomkit verify: ${shown(file)}: ${cert.adapter.name} ${cert.adapter.version}, kit ${cert.kitVersion}, profiles ${cert.profiles.join(', ')}`);
  const report = await interruptible((signal) =>
    verifyCertificate(cert, { open: () => openAdapter(spec, values), skipCampaigns: values['skip-campaigns'] || values['hash-only'], skipReplays: values['hash-only'], signal, workers }),
  );
  const signal = interruptedBy();
  if (signal) {
    console.error(`dcomkit: interrupted (${signal}): NOT verified`);
    return exitCodeFor(signal);
  }
  const width = Math.max(...report.checks.map((c) => c.subject.length)) + 2;
  for (const c of report.checks) {
    console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.subject.padEnd(width)}${c.detail}`);
    for (const n of c.notes ?? []) console.log(`       ${''.padEnd(width)}note: ${n}`);
  }
  console.log(report.ok ? 'verified' : 'NOT verified');
  return report.ok ? EXIT.ok : EXIT.failed;
}
