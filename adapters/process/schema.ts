/**
 * Generates the protocol's JSON Schema from spec/protocol.ts. Only tests and maintainers
 * call this (the kit reads the committed spec/protocol.schema.json); the jest test
 * test/process/schema.test.ts fails when the two differ and rewrites the file when run with
 * DCOMKIT_UPDATE_SCHEMA=1.
 */
import * as path from 'node:path';
import { createGenerator } from 'ts-json-schema-generator';

const ROOT = path.resolve(__dirname, '..', '..');
export const SCHEMA_PATH = path.join(ROOT, 'spec', 'protocol.schema.json');

export function generateProtocolSchema(): object {
  const generator = createGenerator({
    path: path.join(ROOT, 'spec', 'protocol.ts'),
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    type: '*',
    expose: 'export',
    topRef: true,
    jsDoc: 'extended',
    // tsc checks the types separately; skipping saves seconds per generation.
    skipTypeCheck: true,
    sortProps: true,
  });
  return generator.createSchema('*');
}

/** The file text as committed: two-space JSON with a trailing newline. */
export function formatSchema(schema: object): string {
  return JSON.stringify(schema, null, 2) + '\n';
}
