/**
 * Checks adapter -> kit messages against spec/protocol.schema.json with ajv. Errors name the
 * offending part in words ("event 2 (ping): must have required property 'seq'") because the
 * raw ajv output for a union of eight event shapes is unreadable.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../spec/protocol.schema.json';
import type { AdapterMessage } from '../../spec/protocol';

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addSchema(schema, 'protocol');

function compile(definition: string): ValidateFunction {
  return ajv.compile({ $ref: `protocol#/definitions/${definition}` });
}

const byType: Record<string, ValidateFunction> = {
  hello: compile('HelloMessage'),
  events: compile('EventsMessage'),
  error: compile('ErrorMessage'),
};

interface Shape { properties?: { kind?: { const?: string } } }
const members = (schema.definitions.WireEvent as { anyOf: Shape[] }).anyOf;
const byKind = new Map<string, ValidateFunction>(
  members.map((m, i) => [m.properties?.kind?.const ?? `#${i}`, compile(`WireEvent/anyOf/${i}`)]),
);
/** Event kinds an adapter may report. */
export const WIRE_EVENT_KINDS: readonly string[] = [...byKind.keys()];

function describe(errors: ErrorObject[] | null | undefined, where: string): string {
  const e = errors?.[0];
  if (!e) return `${where}: invalid`;
  const at = e.instancePath ? ` at ${e.instancePath}` : '';
  const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
  const allowed = e.keyword === 'enum' || e.keyword === 'const' ? ` ${JSON.stringify(e.params)}` : '';
  return `${where}${at}: ${e.message ?? e.keyword}${extra}${allowed}`;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The message if it is valid, else a sentence saying what is wrong with it. */
export function checkAdapterMessage(value: unknown): { ok: true; message: AdapterMessage } | { ok: false; why: string } {
  if (!isObject(value)) return { ok: false, why: 'a message must be a JSON object' };
  const type = value.type;
  const validate = typeof type === 'string' ? byType[type] : undefined;
  if (!validate) {
    return { ok: false, why: `unknown message type ${JSON.stringify(type)} (expected one of ${Object.keys(byType).join(', ')})` };
  }
  if (type === 'events' && Array.isArray(value.events)) {
    // Check events one by one first so the error names the event and its own fields.
    for (const [i, event] of value.events.entries()) {
      const kind = isObject(event) ? event.kind : undefined;
      if (kind === 'action') return { ok: false, why: `event ${i}: adapters do not report 'action' events (the kit records actions)` };
      const check = typeof kind === 'string' ? byKind.get(kind) : undefined;
      if (!check) {
        return { ok: false, why: `event ${i}: unknown event kind ${JSON.stringify(kind)} (known: ${WIRE_EVENT_KINDS.join(', ')})` };
      }
      if (!check(event)) return { ok: false, why: describe(check.errors, `event ${i} (${kind})`) };
      const at = (event as { at: number }).at;
      if (!(Number.isFinite(at) && at >= 0)) return { ok: false, why: `event ${i} (${kind}): 'at' must be a virtual time >= 0, got ${at}` };
    }
  }
  if (!validate(value)) return { ok: false, why: describe(validate.errors, `${type} message`) };
  return { ok: true, message: value as unknown as AdapterMessage };
}
