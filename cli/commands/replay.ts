import { readFileSync } from 'node:fs';
import { formatCounterexample } from '../../report';
import { describeEvent, RULE_IDS, RULES_BY_ID, type RuleId } from '../../spec';
import { judge } from '../../oracles';
import { COUNTEREXAMPLE_FORMAT, guardAdapter, replayActions, type Counterexample } from '../../runner';
import { ADAPTER_HELP, adapterSpec, openAdapter } from '../adapter';
import { parse, profileValue } from '../args';
import { EXIT, UsageError } from '../errors';

export const REPLAY_HELP = `Usage: dcomkit replay FILE [options]

Re-executes a saved counterexample on its adapter (or the one given) and judges it again.

Options:
  --profile strict|nt4    judge under another profile (default: the file's)
  -h, --help              this text

${ADAPTER_HELP}

Exit codes: 0 the rule holds, 1 the rule FAILED again, 2 usage or adapter error.`;

function load(file: string): Counterexample {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not valid JSON';
    throw new UsageError(`cannot read counterexample ${file}: ${why}`);
  }
  const cx = data as Counterexample;
  if (cx?.format !== COUNTEREXAMPLE_FORMAT || !Array.isArray(cx.actions) || !RULE_IDS.includes(cx.rule)) {
    throw new UsageError(`${file} is not a dcomkit counterexample (expected format ${COUNTEREXAMPLE_FORMAT})`);
  }
  return cx;
}

export async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { adapter: { type: 'string' }, 'adapter-cmd': { type: 'string' }, 'step-timeout': { type: 'string' }, profile: { type: 'string' } } as const,
    'replay',
    1,
  );
  if (values.help) {
    console.log(REPLAY_HELP);
    return EXIT.ok;
  }
  if (!positionals[0]) throw new UsageError(`replay needs a counterexample file (see 'dcomkit replay --help')`);
  const cx = load(positionals[0]);
  const profile = values.profile ? profileValue(values.profile) : cx.profile;
  const adapter = await openAdapter(adapterSpec(values, cx.adapter.spec ?? { kind: 'name', value: cx.adapter.name }), values);
  let record;
  try {
    record = await replayActions(guardAdapter(adapter), cx.seed, cx.world, cx.actions);
  } finally {
    await adapter.close();
  }
  const outcome = judge(record.trace, profile, new Set<RuleId>([cx.rule]))[0];
  const identical = JSON.stringify(record.trace.events) === JSON.stringify(cx.trace);
  const rule = RULES_BY_ID.get(cx.rule)!;
  const verdict = outcome.status === 'fail' ? 'FAILED' : outcome.status === 'non-strict' ? 'NON-STRICT' : outcome.status === 'idle' ? 'not exercised' : 'OK';
  console.log(`dcomkit replay: ${cx.rule} on ${record.trace.capabilities.name} ${record.trace.capabilities.version}, profile ${profile}: ${verdict}`);
  console.log(`  recorded ${cx.verdict}; ${verdict === cx.verdict ? 'reproduced' : 'NOT reproduced'}; trace ${identical ? 'identical to the recorded one' : 'differs from the recorded one'}`);
  console.log(`  ${rule.statement}`);
  console.log(formatCounterexample({ ...cx, violations: outcome.violations, trace: record.trace.events }).join('\n'));
  if (!identical && process.env.DCOMKIT_VERBOSE) for (const e of record.trace.events) console.log(`    ${describeEvent(e)}`);
  return outcome.status === 'fail' ? EXIT.failed : EXIT.ok;
}
