import { readFileSync } from 'node:fs';
import { describeShrink, formatCounterexample } from '../../report';
import { describeEvent, RULE_IDS, RULES_BY_ID, type Profile, type RuleId } from '../../spec';
import { judge } from '../../oracles';
import { replayActions, type Counterexample } from '../../runner';
import { toCounterexample } from '../../runner/certificate';
import { checkCertificate, checkCounterexample, FileError } from '../../runner/load';
import { ADAPTER_HELP, openAdapter, RECORDED_ADAPTER_HELP, recordedAdapterSpec, type AdapterSpec } from '../adapter';
import { parse, profileValue } from '../args';
import { EXIT, UsageError } from '../errors';
import { interruptedBy, interruptible, exitCodeFor } from '../interrupt';

export const REPLAY_HELP = `Usage: dcomkit replay FILE [RULE-ID] [options]

Re-executes a saved counterexample on its adapter (or the one given) and judges it again.
FILE is a counterexample file ('dcomkit run' writes them) or a certificate.json: then
RULE-ID picks the rule whose counterexample to replay, or --all replays every one.

Options:
  --all                   with a certificate: replay every counterexample in it
  --profile strict|nt4    judge under another profile (default: the file's)
${RECORDED_ADAPTER_HELP}
  -h, --help              this text

${ADAPTER_HELP}

Exit codes: 0 every rule replayed holds; 1 a rule FAILED again; 2 usage error, a damaged
file, or an adapter error during the replay; 130 / 143 stopped by SIGINT / SIGTERM.`;

const OPTIONS = {
  adapter: { type: 'string' },
  'adapter-cmd': { type: 'string' },
  'step-timeout': { type: 'string' },
  'trust-recorded-adapter': { type: 'boolean' },
  profile: { type: 'string' },
  all: { type: 'boolean' },
} as const;

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : code}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`cannot read ${file}: not valid JSON`);
  }
}

interface Job {
  cx: Counterexample;
  profile: Profile;
  /** How to name it in the output: the file, or the certificate and rule. */
  label: string;
}

/** The counterexamples FILE asks to replay, checked; warnings go to stderr. */
function jobs(file: string, rule: string | undefined, all: boolean, profile: Profile | undefined): { jobs: Job[]; adapter: AdapterSpec } {
  const data = readJson(file);
  const isCertificate = typeof data === 'object' && data !== null && typeof (data as { format?: unknown }).format === 'string' && (data as { format: string }).format.startsWith('dcomkit-certificate');
  try {
    if (!isCertificate) {
      if (rule !== undefined || all) throw new UsageError(`${file} is a counterexample file: RULE-ID and --all are for certificates`);
      const { value: cx, warnings } = checkCounterexample(data, file);
      for (const w of warnings) console.error(`dcomkit: warning: ${w}`);
      return { jobs: [{ cx, profile: profile ?? cx.profile, label: file }], adapter: cx.adapter.spec ?? { kind: 'name', value: cx.adapter.name } };
    }
    const { value: cert, warnings } = checkCertificate(data, file);
    for (const w of warnings) console.error(`dcomkit: warning: ${w}`);
    if (rule === undefined && !all) throw new UsageError(`${file} is a certificate: name the rule whose counterexample to replay (${RULE_IDS.join(', ')}) or give --all`);
    if (rule !== undefined && !(RULE_IDS as readonly string[]).includes(rule)) throw new UsageError(`unknown rule '${rule}' (rules: ${RULE_IDS.join(', ')})`);
    const found: Job[] = [];
    for (const r of cert.results) {
      for (const t of r.rules) {
        if (!t.counterexample || (rule !== undefined && t.id !== rule)) continue;
        found.push({ cx: toCounterexample(cert, t.counterexample), profile: profile ?? r.profile, label: `${t.id} under ${r.profile}` });
      }
    }
    if (!found.length) throw new UsageError(rule ? `${file} holds no counterexample for ${rule} (the rule did not fail there)` : `${file} holds no counterexample`);
    return { jobs: found, adapter: cert.adapter.spec ?? { kind: 'name', value: cert.adapter.name } };
  } catch (err) {
    if (err instanceof FileError) throw new UsageError(err.message);
    throw err;
  }
}

export async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS, 'replay', 2);
  if (values.help) {
    console.log(REPLAY_HELP);
    return EXIT.ok;
  }
  if (!positionals[0]) throw new UsageError(`replay needs a counterexample or certificate file (see 'dcomkit replay --help')`);
  const file = positionals[0];
  const { jobs: todo, adapter: recorded } = jobs(file, positionals[1], values.all === true, values.profile ? profileValue(values.profile) : undefined);
  const spec = recordedAdapterSpec(values, recorded, file);
  if (spec.kind !== 'name') console.error(`dcomkit: replaying on the adapter ${spec.kind} ${JSON.stringify(spec.value)}`);
  let failed = false;
  for (const { cx, profile, label } of todo) {
    const adapter = await openAdapter(spec, values);
    let record;
    try {
      record = await interruptible((signal) => replayActions(adapter, cx.seed, cx.world, cx.actions, undefined, signal));
    } catch (err) {
      const signal = interruptedBy();
      if (signal) {
        console.error(`dcomkit: interrupted (${signal}) while replaying ${label}`);
        return exitCodeFor(signal);
      }
      throw err;
    } finally {
      await adapter.close();
    }
    const outcome = judge(record.trace, profile, new Set<RuleId>([cx.rule]))[0];
    const identical = JSON.stringify(record.trace.events) === JSON.stringify(cx.trace);
    const rule = RULES_BY_ID.get(cx.rule)!;
    const verdict = outcome.status === 'fail' ? 'FAILED' : outcome.status === 'non-strict' ? 'NON-STRICT' : outcome.status === 'idle' ? 'not exercised' : 'OK';
    console.log(`dcomkit replay: ${label}: ${cx.rule} on ${record.trace.capabilities.name} ${record.trace.capabilities.version}, profile ${profile}: ${verdict}`);
    console.log(`  recorded ${cx.verdict} (${describeShrink(cx)}); ${verdict === cx.verdict ? 'reproduced' : 'NOT reproduced'}; trace ${identical ? 'identical to the recorded one' : 'differs from the recorded one'}`);
    console.log(`  ${rule.statement}`);
    console.log(formatCounterexample({ ...cx, violations: outcome.violations, trace: record.trace.events }).join('\n'));
    if (!identical && process.env.DCOMKIT_VERBOSE) for (const e of record.trace.events) console.log(`    ${describeEvent(e)}`);
    if (outcome.status === 'fail') failed = true;
  }
  return failed ? EXIT.failed : EXIT.ok;
}
