/**
 * Reading back the files the kit writes. A file is data, possibly edited by hand or written by
 * another kit version, so it is checked before anything runs it:
 * - its JSON against runner/files.schema.json (generated from the types; unknown fields,
 *   missing fields and wrong types are refused);
 * - its format tag: this kit reads exactly the formats it writes;
 * - its actions: each must make sense where it stands (what it names was made before, as the
 *   generator's model sees it), and no advance may exceed MAX_ADVANCE_MS;
 * - its kit version: a file from a newer kit is read with a warning (a newer kit's additions
 *   fail the schema check above, so what is read is what this kit understands); an older one
 *   silently.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ACTION_KINDS, HR, MAX_ADVANCE_MS, type Action } from '../spec';
import { newModel } from '../generators';
import schema from './files.schema.json';
import { CERTIFICATE_FORMAT, type Certificate } from './certificate';
import { COUNTEREXAMPLE_FORMAT, type CorpusFile, type Counterexample } from './counterexample';
import { KIT_VERSION } from './version';

/** A file that cannot be read as what it claims to be; the CLI reports it in one line. */
export class FileError extends Error {
  override name = 'FileError';
}

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addSchema(schema, 'files');
const validators = new Map<string, ValidateFunction>();

function validator(definition: string): ValidateFunction {
  let v = validators.get(definition);
  if (!v) validators.set(definition, (v = ajv.compile({ $ref: `files#/definitions/${definition}` })));
  return v;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'invalid';
  const at = e.instancePath || '(top level)';
  const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
  return `${at}: ${e.message ?? e.keyword}${extra}`;
}

/**
 * The first action that fails its own kind's schema, named precisely: against the union of
 * every action, the validator's first complaint is about whichever member it tried first.
 */
function actionError(data: unknown): string | undefined {
  const actions = (data as { actions?: unknown }).actions;
  if (!Array.isArray(actions)) return undefined;
  for (const [i, a] of actions.entries()) {
    const kind = (a as { kind?: unknown })?.kind;
    const name = typeof kind === 'string' ? kind.charAt(0).toUpperCase() + kind.slice(1) : '';
    if (!(schema.definitions as Record<string, unknown>)[name] || !(ACTION_KINDS as readonly unknown[]).includes(kind)) return `/actions/${i}: unknown action kind ${JSON.stringify(kind)}`;
    const v = validator(name);
    if (!v(a)) return `/actions/${i} (${kind})${describe(v.errors).replace(/^\(top level\)/, '')}`;
  }
  return undefined;
}

/** Compares dotted versions numerically: negative when a < b. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Why a sequence of actions cannot be replayed as written, if it cannot. */
export function actionsProblem(actions: readonly Action[]): string | undefined {
  // Every call is taken to succeed: a replay may find otherwise, which the adapter reports.
  const model = newModel();
  for (const [i, a] of actions.entries()) {
    if (a.kind === 'advance' && !(a.ms >= 1 && a.ms <= MAX_ADVANCE_MS)) return `action ${i + 1}: advance of ${a.ms} ms; an advance is from 1 to ${MAX_ADVANCE_MS} ms`;
    if (!model.canApply(a)) return `action ${i + 1} (${a.kind}) cannot apply there: it names something not made before it, or made twice`;
    model.update(a, [{ kind: 'completed', at: 0, hr: HR.S_OK }]);
  }
  return undefined;
}

export interface Loaded<T> {
  value: T;
  /** Things the user should know, e.g. that a newer kit wrote the file. */
  warnings: string[];
}

function check<T>(data: unknown, what: string, definition: string, format: string): Loaded<T> {
  const d = data as { format?: unknown; kitVersion?: unknown };
  if (!d || typeof d !== 'object' || d.format !== format) {
    const found = d && typeof d === 'object' && typeof d.format === 'string' ? ` (it says format ${JSON.stringify(d.format)})` : '';
    throw new FileError(`${what} is not a ${format} file${found}; this kit (${KIT_VERSION}) reads ${format}`);
  }
  const newer = typeof d.kitVersion === 'string' && compareVersions(d.kitVersion, KIT_VERSION) > 0;
  const v = validator(definition);
  if (!v(data)) {
    const hint = newer ? ` (it was written by dcomkit ${d.kitVersion as string}, newer than this ${KIT_VERSION})` : ' (edited by hand?)';
    throw new FileError(`${what} is a damaged ${format} file: ${actionError(data) ?? describe(v.errors)}${hint}`);
  }
  const warnings = newer ? [`${what} was written by dcomkit ${d.kitVersion as string}, newer than this ${KIT_VERSION}; reading it anyway`] : [];
  return { value: data as T, warnings };
}

export function checkCounterexample(data: unknown, what: string): Loaded<Counterexample> {
  const loaded = check<Counterexample>(data, what, 'Counterexample', COUNTEREXAMPLE_FORMAT);
  const problem = actionsProblem(loaded.value.actions);
  if (problem) throw new FileError(`${what}: ${problem}`);
  return loaded;
}

/** A corpus file: a counterexample of which only the seed, world and actions are required. */
export function checkCorpusFile(data: unknown, what: string): Loaded<CorpusFile> {
  const loaded = check<CorpusFile>(data, what, 'CorpusFile', COUNTEREXAMPLE_FORMAT);
  const problem = actionsProblem(loaded.value.actions);
  if (problem) throw new FileError(`${what}: ${problem}`);
  return loaded;
}

export function checkCertificate(data: unknown, what: string): Loaded<Certificate> {
  const loaded = check<Certificate>(data, what, 'Certificate', CERTIFICATE_FORMAT);
  const cert = loaded.value;
  if (!(cert.generator.settleMs >= 1 && cert.generator.settleMs <= MAX_ADVANCE_MS)) throw new FileError(`${what}: a settle period of ${cert.generator.settleMs} ms; it is from 1 to ${MAX_ADVANCE_MS} ms`);
  for (const r of cert.results) {
    for (const t of r.rules) {
      const problem = t.counterexample && actionsProblem(t.counterexample.actions);
      if (problem) throw new FileError(`${what}: the ${r.profile} counterexample of ${t.id}: ${problem}`);
    }
  }
  for (const c of cert.corpus) {
    const problem = actionsProblem(c.actions);
    if (problem) throw new FileError(`${what}: corpus case ${c.id}: ${problem}`);
  }
  return loaded;
}
