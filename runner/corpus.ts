/**
 * The regression corpus: counterexamples kept in a directory and replayed before a campaign's
 * random runs, on every run, so a fault once found is checked again whatever the seed. A
 * case is a counterexample file (the format `dcomkit run` writes); only its seed, world and
 * actions matter for replaying, and every rule judges its trace, so a case found for one rule
 * can also exercise others.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RULE_IDS, type Action, type RuleId, type World } from '../spec';
import type { CorpusFile, Counterexample } from './counterexample';
import { checkCorpusFile, FileError } from './load';
import { writeAtomic } from './files';

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
  shrink?: Counterexample['shrink'];
}

/** A malformed corpus: the CLI reports it as a usage error. */
export class CorpusError extends Error {
  override name = 'CorpusError';
}

/** A short content hash of what replaying depends on: seed, world and actions. */
export function caseDigest(c: Pick<CorpusCase, 'seed' | 'world' | 'actions'>): string {
  return createHash('sha256').update(JSON.stringify([c.seed, c.world, c.actions])).digest('hex').slice(0, 12);
}

export function caseFromCounterexample(cx: CorpusFile, id?: string): CorpusCase {
  return {
    id: id ?? `${cx.rule}-${caseDigest(cx)}`,
    rule: cx.rule !== undefined && RULE_IDS.includes(cx.rule) ? cx.rule : undefined,
    seed: cx.seed,
    world: cx.world,
    actions: cx.actions,
    ...(cx.origin ? { origin: cx.origin } : {}),
    ...(cx.shrunk !== undefined ? { shrunk: cx.shrunk } : {}),
    ...(cx.shrink ? { shrink: cx.shrink } : {}),
  };
}

/**
 * Reads every *.json counterexample in `dir` (each checked as runner/load.ts checks a file),
 * sorted by file name so replay order is stable. A missing directory is an empty corpus.
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
    let cx: CorpusFile;
    try {
      cx = checkCorpusFile(data, `corpus file ${join(dir, name)}`).value;
    } catch (err) {
      if (err instanceof FileError) throw new CorpusError(err.message);
      throw err;
    }
    cases.push(caseFromCounterexample(cx, name.replace(/\.json$/, '')));
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
    writeAtomic(file, JSON.stringify(cx, null, 2) + '\n');
    written.push(file);
  }
  return written;
}
