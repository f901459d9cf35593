import { SimulatedAdapter } from '../../adapters/reference';
import { MUTANTS, type Mutant } from '../../adapters/reference/mutants';
import { KIT_VERSION } from '../../runner';
import { hunt, shrinkHunted } from '../../runner/hunt';
import type { RuleId } from '../../spec';
import { intFlag, LIMITS, parse, seedValue } from '../args';
import { EXIT, UsageError } from '../errors';
import { ensureWritableFile, writeAtomic } from '../output';
import { Progress } from '../progress';

export const MUTATE_HELP = `Usage: dcomkit mutate [options]

Runs the suite against every single-fault mutant of the reference world (the catalogue in
adapters/reference/mutants.ts) and prints, for each, the rule that kills it and after how
many runs. A mutant no rule fails within --runs runs SURVIVES: a gap in the generators or
the oracles.

Options:
  --runs N              most runs per mutant (default 5000)
  --seed S              campaign seed (default 1)
  --max-actions N       most actions in one run (default 20)
  --only NAME,...       only these mutants
  --shrink              also shrink each kill and compare it with the known minimal
  --json FILE           write the results as JSON
  -h, --help            this text

Exit codes: 0 every mutant killed, 1 some mutant survived, 2 usage error.`;

const OPTIONS = {
  runs: { type: 'string' },
  seed: { type: 'string' },
  'max-actions': { type: 'string' },
  only: { type: 'string' },
  shrink: { type: 'boolean' },
  json: { type: 'string' },
} as const;

export interface MutantResult {
  mutant: string;
  expected: RuleId;
  killed: boolean;
  /** Rules failing in the first failing run. */
  killedBy: RuleId[];
  runs: number;
  wallMs: number;
  counterexample?: { rule: RuleId; actions: number; minimal: number; shrinkMs: number };
}

function select(only: string | undefined): Mutant[] {
  if (!only) return [...MUTANTS];
  const names = only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !MUTANTS.some((m) => m.name === n));
  if (unknown.length) throw new UsageError(`unknown mutant '${unknown[0]}' (see adapters/reference/mutants.ts)`);
  return MUTANTS.filter((m) => names.includes(m.name));
}

function line(r: MutantResult): string {
  const name = r.mutant.padEnd(28);
  if (!r.killed) return `${name}SURVIVED      ${r.runs} runs, no rule failed (expected ${r.expected})`;
  const rule = r.killedBy.includes(r.expected) ? r.expected : r.killedBy[0];
  const others = r.killedBy.filter((x) => x !== rule);
  let text = `${name}killed by ${rule.padEnd(21)}after ${String(r.runs).padStart(4)} run${r.runs === 1 ? ' ' : 's'} (${(r.wallMs / 1000).toFixed(2)}s)`;
  if (!r.killedBy.includes(r.expected)) text += ` [catalogue expects ${r.expected}]`;
  if (others.length) text += ` also ${others.join(', ')}`;
  const cx = r.counterexample;
  if (cx) text += `; counterexample ${cx.actions} actions (minimal ${cx.minimal}), shrunk in ${(cx.shrinkMs / 1000).toFixed(2)}s`;
  return text;
}

export async function mutateCommand(args: string[]): Promise<number> {
  const { values } = parse(args, OPTIONS, 'mutate');
  if (values.help) {
    console.log(MUTATE_HELP);
    return EXIT.ok;
  }
  const maxRuns = intFlag(values.runs, '--runs', 5000, LIMITS.runs);
  const seed = seedValue(values.seed) ?? 1;
  const generator = { maxActions: intFlag(values['max-actions'], '--max-actions', 20, LIMITS.maxActions) };
  const mutants = select(values.only);
  if (values.json !== undefined) ensureWritableFile(values.json, '--json');
  console.log(`dcomkit ${KIT_VERSION}: ${mutants.length} mutants, at most ${maxRuns} runs each, seed ${seed}`);
  const results: MutantResult[] = [];
  const progress = new Progress(process.stderr);
  for (const m of mutants) {
    progress.update(`mutant ${results.length + 1}/${mutants.length}: ${m.name}`);
    const adapter = new SimulatedAdapter(m.name, m.behaviour);
    const h = await hunt(adapter, { seed, maxRuns, generator });
    const r: MutantResult = { mutant: m.name, expected: m.killedBy, killed: h.failed.length > 0, killedBy: h.failed, runs: h.runs, wallMs: h.wallMs };
    if (r.killed && values.shrink) {
      const rule = h.failed.includes(m.killedBy) ? m.killedBy : h.failed[0];
      const t = await shrinkHunted(adapter, { seed, runs: h.runs, rule, generator });
      if (t?.counterexample) r.counterexample = { rule, actions: t.counterexample.actions.length, minimal: m.minimal, shrinkMs: t.counterexample.shrinkMs };
    }
    progress.done();
    console.log(line(r));
    results.push(r);
  }
  const survivors = results.filter((r) => !r.killed);
  console.log(`\n${results.length - survivors.length}/${results.length} mutants killed${survivors.length ? `; SURVIVED: ${survivors.map((r) => r.mutant).join(', ')}` : ''}.`);
  if (values.json) writeAtomic(values.json, JSON.stringify({ kitVersion: KIT_VERSION, seed, maxRuns, results }, null, 2) + '\n');
  return survivors.length ? EXIT.failed : EXIT.ok;
}
