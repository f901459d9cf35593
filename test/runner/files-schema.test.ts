import * as fs from 'node:fs';
import { FILES_SCHEMA_PATH, formatFilesSchema, generateFilesSchema } from '../../runner/schema';

// A type change without `DCOMKIT_UPDATE_SCHEMA=1 npx jest test/runner/files-schema` fails here.
test('runner/files.schema.json matches the counterexample and certificate types', () => {
  const fresh = formatFilesSchema(generateFilesSchema());
  if (process.env.DCOMKIT_UPDATE_SCHEMA === '1') fs.writeFileSync(FILES_SCHEMA_PATH, fresh);
  const committed = fs.existsSync(FILES_SCHEMA_PATH) ? fs.readFileSync(FILES_SCHEMA_PATH, 'utf8') : '';
  expect(committed).toBe(fresh);
});
