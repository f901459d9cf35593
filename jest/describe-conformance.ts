/**
 * describeConformance: a dcomkit campaign as one jest test per rule. The campaign runs once,
 * in a beforeAll, and every test reads its rule's verdict from it. Tests are declared before
 * anything runs, as jest requires, and jest cannot skip a test once it runs: a rule is skipped
 * (test.skip, the reason in its title) when the adapter's capabilities, known beforehand, say
 * it can never be exercised; any other rule without a passing verdict fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RULES, type Adapter, type Rule } from '../spec';
import { runCampaign, type CampaignResult, type Counterexample } from '../runner';
import { loadCorpus, saveToCorpus, type CorpusCase } from '../runner/corpus';
import type { AdapterSpec } from '../cli/adapter';
import { resolveChoice, type ConformanceAdapter } from './choice';
import { campaignLine, cannotExercise, checkErrors, checkRule, type Check } from './outcome';
import { resolveSettings, type ConformanceOptions, type Settings } from './settings';

interface JestApi {
  describe(name: string, fn: () => void): void;
  test: ((name: string, fn: () => void | Promise<void>, timeout?: number) => void) & { skip(name: string, fn: () => void): void };
  beforeAll(fn: () => Promise<void>, timeout?: number): void;
}

function jestApi(): JestApi {
  const g = globalThis as unknown as Partial<JestApi>;
  if (typeof g.describe === 'function' && typeof g.test === 'function' && typeof g.beforeAll === 'function') return g as JestApi;
  try {
    // Test files run with injectGlobals: false still reach jest's functions here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@jest/globals') as JestApi;
  } catch {
    throw new Error('describeConformance declares jest tests: call it at the top level of a jest test file');
  }
}

/** A failure as jest shows it: the message alone, no stack into the kit. */
class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

function enforce(check: Check): void {
  if (!check.pass) throw new ConformanceFailure(check.message);
}

function withSpec(cx: Counterexample, spec: AdapterSpec | undefined): Counterexample {
  return spec ? { ...cx, adapter: { ...cx.adapter, spec } } : cx;
}

/** Writes each counterexample as `dcomkit run` does; returns each rule's replay command. */
function saveCounterexamples(result: CampaignResult, dir: string, spec: AdapterSpec | undefined): Map<string, string> {
  const replays = new Map<string, string>();
  for (const t of result.rules) {
    if (!t.counterexample) continue;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${t.rule.id}-${result.adapter.name}-${result.seed}.json`);
    writeFileSync(file, JSON.stringify(withSpec(t.counterexample, spec), null, 2) + '\n');
    const shown = relative(process.cwd(), file) || file;
    // As dcomkit run: replay starts a module or command named in a file only when told to trust it.
    const how = !spec ? ' --adapter <the module that exports your adapter factory>' : spec.kind === 'name' ? '' : ' --trust-recorded-adapter';
    replays.set(t.rule.id, `npx dcomkit replay ${shown}${how}`);
  }
  return replays;
}

interface Outcome {
  result?: CampaignResult;
  error?: unknown;
  replays: Map<string, string>;
  /** What the adapter reported, to compare with what was declared. */
  live?: Adapter['capabilities'];
}

/** The campaign stops this long before jest's timeout, so its adapter is closed and its result kept. */
function stopMargin(timeout: number): number {
  return Math.min(Math.max(5_000, timeout / 10), timeout / 2);
}

async function campaign(open: (o?: Record<string, unknown>) => Promise<Adapter>, settings: Settings, spec: AdapterSpec | undefined): Promise<Outcome> {
  let corpus: CorpusCase[] | undefined;
  if (settings.corpus !== undefined) corpus = loadCorpus(settings.corpus);
  const adapter = await open(settings.adapterOptions);
  let result: CampaignResult;
  try {
    result = await runCampaign(adapter, {
      profile: settings.profile,
      runs: settings.runs,
      seed: settings.seed,
      generator: { maxActions: settings.maxActions },
      shrink: settings.shrink,
      minEvidence: settings.minEvidence,
      timeLimitMs: Math.max(1, Math.floor(settings.timeout - stopMargin(settings.timeout))),
      ...(settings.shrinkTimeMs ? { shrinkTimeMs: settings.shrinkTimeMs } : {}),
      ...(corpus ? { corpus } : {}),
    });
  } finally {
    await adapter.close();
  }
  const replays = saveCounterexamples(result, settings.out, spec);
  if (settings.corpus !== undefined && corpus) {
    const fresh = result.rules.filter((t) => t.counterexample && !t.corpusCase).map((t) => withSpec(t.counterexample!, spec));
    saveToCorpus(settings.corpus, fresh, corpus);
  }
  return { result, replays, live: adapter.capabilities };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Declares a describe block with one test per rule of the profile, plus one for the adapter
 * itself, all judged from a single campaign against `adapter`.
 *
 * - OK, NON-STRICT and INFORMATIONAL pass; FAILED fails with the shrunk counterexample and
 *   its replay command; a rule exercised too little (INCONCLUSIVE, or not at all) fails.
 * - A rule the adapter can never exercise (its factory's `capabilities`, or an out-of-process
 *   adapter's hello, or the option `unimplemented`) is skipped: jest has no skip with a
 *   reason, so the reason is in the title.
 * - The adapter test fails with the adapter's own words when runs ended in adapter errors,
 *   or the campaign could not run at all.
 * - Every failure names the seed; DCOMKIT_SEED and DCOMKIT_RUNS override the options.
 */
export function describeConformance(adapter: ConformanceAdapter, options: ConformanceOptions = {}): void {
  const api = jestApi();
  const settings = resolveSettings(options);
  const choice = resolveChoice(adapter);
  const rules = RULES.filter((r) => r.profiles.includes(settings.profile));
  const declared = choice.capabilities;
  const skipped = new Map<Rule['id'], string>();
  for (const rule of rules) {
    const why = (declared && cannotExercise(rule, declared)) || settings.unimplemented.get(rule.id);
    if (why) skipped.set(rule.id, why);
  }

  api.describe(options.title ?? `dcomkit conformance: ${choice.label}`, () => {
    let outcome: Outcome = { replays: new Map() };
    api.beforeAll(async () => {
      try {
        outcome = await campaign(choice.open, settings, choice.spec);
      } catch (error) {
        outcome = { error, replays: new Map() };
      }
    }, settings.timeout);

    const ran = (): CampaignResult => {
      if (outcome.result) return outcome.result;
      const why = outcome.error instanceof Error ? outcome.error.message : String(outcome.error ?? 'the campaign did not finish (timed out?)');
      throw new ConformanceFailure(`no verdict: the campaign against ${choice.label} could not run: ${why}\n(seed ${settings.seed}, ${settings.runs} runs)`);
    };

    api.test(`adapter ${choice.label}: the campaign ran without adapter errors`, () => {
      const result = ran();
      enforce(checkErrors(result));
      if (result.stopped) throw new ConformanceFailure(`the campaign stopped early (${result.stopped.reason}): ${result.stopped.detail}\n${campaignLine(result)}`);
      // What was declared must be what the adapter does: a skipped rule must really be unjudgeable.
      const live = outcome.live!;
      if (declared && !(sameSet(declared.actions, live.actions) && sameSet(declared.observes, live.observes))) {
        throw new ConformanceFailure(
          `the adapter's capabilities differ from those its factory declares (which decided the skipped rules):\n  declared: actions ${declared.actions.join(', ')}; observes ${declared.observes.join(', ')}\n  adapter:  actions ${live.actions.join(', ')}; observes ${live.observes.join(', ')}\n${campaignLine(result)}`,
        );
      }
      const judged = result.rules.filter((t) => skipped.has(t.rule.id) && t.runs > 0);
      if (judged.length) throw new ConformanceFailure(`rules skipped as unimplemented (by declared capabilities or the option unimplemented) were exercised after all: ${judged.map((t) => `${t.rule.id} ${t.verdict} in ${t.runs} runs`).join(', ')}\n${campaignLine(result)}`);
    });

    for (const rule of rules) {
      const why = skipped.get(rule.id);
      if (why) {
        api.test.skip(`${rule.id}: UNIMPLEMENTED (${why})`, () => {});
        continue;
      }
      api.test(`${rule.id}: ${rule.title}`, () => {
        const result = ran();
        const tally = result.rules.find((t) => t.rule.id === rule.id)!;
        enforce(checkRule(tally, result, outcome.replays.get(rule.id)));
      });
    }
  });
}
