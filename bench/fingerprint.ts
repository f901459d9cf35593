/**
 * A fingerprint of what the built-in simulations do: SHA-256 over the traces and verdicts of
 * thousands of generated runs on the reference, the NT4 releases and every mutant, and over a
 * few shrunk counterexamples. Refactoring the reference world must leave it unchanged:
 *
 *   npm run build && node dist/bench/fingerprint.js > before.json
 *   (change the code)
 *   npm run build && node dist/bench/fingerprint.js > after.json && diff before.json after.json
 *
 * Options: --runs N (short runs per behaviour, default 1000), --long N (runs of 200 actions,
 * default 100), --shrinks (also shrink four failing campaigns; default on, --no-shrinks off).
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { CORRECT, NT4_RELEASES, SimulatedAdapter, type Behaviour } from '../adapters/reference';
import { MUTANTS } from '../adapters/reference/mutants';
import { runArb } from '../generators';
import { judge } from '../oracles';
import { executeRun, runCampaign } from '../runner';
import type { RuleOutcome } from '../spec';

function verdicts(outcomes: RuleOutcome[]): string {
  return JSON.stringify(outcomes.map((o) => [o.rule, o.status, o.situations, o.violations.map((v) => [v.message, v.severity, v.events.map((e) => [e.kind, e.step, e.at])])]));
}

async function behaviourHash(name: string, behaviour: Behaviour, runs: number, long: number): Promise<string> {
  const h = createHash('sha256');
  const adapter = new SimulatedAdapter(name, behaviour);
  for (const [maxActions, n, seed] of [
    [20, runs, 1],
    [200, long, 2],
  ] as const) {
    for (const input of fc.sample(runArb(adapter.capabilities, { maxActions }), { seed, numRuns: n })) {
      const record = await executeRun(adapter, input);
      h.update(JSON.stringify(record.trace.events));
      h.update(verdicts(judge(record.trace, 'strict')));
      h.update(verdicts(judge(record.trace, 'nt4')));
    }
  }
  return h.digest('hex').slice(0, 16);
}

async function shrinkHash(name: string, behaviour: Behaviour, runs: number, seed: number): Promise<string> {
  const result = await runCampaign(new SimulatedAdapter(name, behaviour), { runs, seed });
  const h = createHash('sha256');
  for (const t of result.rules) {
    h.update(JSON.stringify([t.rule.id, t.verdict, t.runs, t.failures, t.situations]));
    const cx = t.counterexample;
    if (cx) h.update(JSON.stringify([cx.actions, cx.world, cx.seed, cx.trace, cx.violations.map((v) => v.message), cx.origin]));
  }
  return h.digest('hex').slice(0, 16);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, long: { type: 'string' }, 'no-shrinks': { type: 'boolean' } } });
  const runs = Number(values.runs ?? 1000);
  const long = Number(values.long ?? 100);
  const subjects: Array<[string, Behaviour]> = [
    ['reference', CORRECT],
    ...NT4_RELEASES.map((r): [string, Behaviour] => [r.name, r.behaviour]),
    ...MUTANTS.map((m): [string, Behaviour] => [m.name, m.behaviour]),
  ];
  const out: Record<string, string> = {};
  const all = createHash('sha256');
  for (const [name, behaviour] of subjects) {
    out[name] = await behaviourHash(name, behaviour, runs, long);
    all.update(out[name]);
    process.stderr.write(`${name} ${out[name]}\n`);
  }
  if (!values['no-shrinks']) {
    const byName = new Map(subjects);
    for (const [name, n, seed] of [
      ['nt4-sp5', 200, 3],
      ['stale-seq-applied', 400, 1],
      ['set-per-process', 200, 2],
      ['never-del-from-set', 200, 5],
    ] as const) {
      const key = `shrink ${name}`;
      out[key] = await shrinkHash(name, byName.get(name)!, n, seed);
      all.update(out[key]);
      process.stderr.write(`${key} ${out[key]}\n`);
    }
  }
  out.total = all.digest('hex').slice(0, 16);
  console.log(JSON.stringify(out, null, 2));
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
