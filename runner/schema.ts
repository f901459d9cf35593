/**
 * Generates the JSON Schema of the files the kit writes and reads back (counterexamples and
 * certificates) from their TypeScript types. Only tests and maintainers call this: the kit
 * reads the committed runner/files.schema.json, and test/runner/files.test.ts fails when the
 * two differ (and rewrites the file when run with DCOMKIT_UPDATE_SCHEMA=1).
 */
import * as path from 'node:path';
import { createGenerator } from 'ts-json-schema-generator';

const ROOT = path.resolve(__dirname, '..');
export const FILES_SCHEMA_PATH = path.join(ROOT, 'runner', 'files.schema.json');

export function generateFilesSchema(): object {
  const definitions: Record<string, unknown> = {};
  for (const [file, type] of [
    ['runner/counterexample.ts', 'Counterexample'],
    ['runner/counterexample.ts', 'CorpusFile'],
    ['runner/certificate.ts', 'Certificate'],
  ] as const) {
    const generator = createGenerator({
      path: path.join(ROOT, file),
      tsconfig: path.join(ROOT, 'tsconfig.json'),
      type,
      expose: 'export',
      topRef: true,
      jsDoc: 'extended',
      skipTypeCheck: true,
      sortProps: true,
    });
    const schema = generator.createSchema(type) as { definitions: Record<string, unknown> };
    Object.assign(definitions, schema.definitions);
  }
  return { $schema: 'http://json-schema.org/draft-07/schema#', definitions: Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => (a < b ? -1 : 1))) };
}

export function formatFilesSchema(schema: object): string {
  return JSON.stringify(schema, null, 2) + '\n';
}
