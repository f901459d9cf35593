/**
 * The regression corpus: counterexamples kept in a directory and replayed before a campaign's
 * random runs, on every run, so a fault once found is checked again whatever the seed. A
 * case is a counterexample file (the format `dcomkit run` writes); only its seed, world and
 * actions matter for replaying, and every rule judges its trace, so a case found for one rule
 * can also exercise others.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_KINDS, RULE_IDS, type Action, type RuleId, type World } from '../spec';
import { COUNTEREXAMPLE_FORMAT, type Counterexample } from './counterexample';

export interface CorpusCase {
  /** Stable name: the file name without .json, or a content hash. */
  id: string;
  /** The rule it was a counterexample for, when known. */
  rule?: RuleId;
  seed: number;
  world: World;
  actions: Action[];
  /** Where the counterexample first came from, and whether it was shrunk. */
  origin?: Counterexample['origin'];
  shrunk?: boolean;
}

/** A malformed corpus: the CLI reports it as a usage error. */
export class CorpusError extends Error {
  override name = 'CorpusError';
}

/** A short content hash of what replaying depends on: seed, world and actions. */
export function caseDigest(c: Pick<CorpusCase, 'seed' | 'world' | 'actions'>): string {
  return createHash('sha256').update(JSON.stringify([c.seed, c.world, c.actions])).digest('hex').slice(0, 12);
}

function isCase(data: unknown): data is Counterexample {
  const d = data as Counterexample;
  return (
    !!d &&
    d.format === COUNTEREXAMPLE_FORMAT &&
    Number.isInteger(d.seed) &&
    typeof d.world === 'object' &&
    d.world !== null &&
    Array.isArray(d.actions) &&
    d.actions.every((a) => a && (ACTION_KINDS as readonly string[]).includes(a.kind))
  );
}

export function caseFromCounterexample(cx: Pick<Counterexample, 'seed' | 'world' | 'actions' | 'rule' | 'origin' | 'shrunk'>, id?: string): CorpusCase {
  return {
    id: id ?? `${cx.rule}-${caseDigest(cx)}`,
    rule: RULE_IDS.includes(cx.rule) ? cx.rule : undefined,
    seed: cx.seed,
    world: cx.world,
    actions: cx.actions,
    origin: cx.origin,
    shrunk: cx.shrunk,
  };
}

/**
 * Reads every *.json counterexample in `dir`, sorted by file name so replay order is stable.
 * A missing directory is an empty corpus (it is created when the first case is saved).
 */
export function loadCorpus(dir: string): CorpusCase[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) throw new CorpusError(`corpus ${dir} is not a directory`);
  const cases: CorpusCase[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    } catch {
      throw new CorpusError(`corpus file ${join(dir, name)} is not valid JSON`);
    }
    if (!isCase(data)) throw new CorpusError(`corpus file ${join(dir, name)} is not a dcomkit counterexample (expected format ${COUNTEREXAMPLE_FORMAT})`);
    cases.push(caseFromCounterexample(data, name.replace(/\.json$/, '')));
  }
  return cases;
}

/**
 * Adds counterexamples to the corpus unless a case with the same seed, world and actions is
 * already there. Returns the files written.
 */
export function saveToCorpus(dir: string, counterexamples: readonly Counterexample[], existing: readonly CorpusCase[] = loadCorpus(dir)): string[] {
  const known = new Set(existing.map(caseDigest));
  const written: string[] = [];
  for (const cx of counterexamples) {
    const digest = caseDigest(cx);
    if (known.has(digest)) continue;
    known.add(digest);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${cx.rule}-${cx.adapter.name}-${digest}.json`);
    writeFileSync(file, JSON.stringify(cx, null, 2) + '\n');
    written.push(file);
  }
  return written;
}
