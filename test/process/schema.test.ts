import * as fs from 'node:fs';
import { formatSchema, generateProtocolSchema, SCHEMA_PATH } from '../../adapters/process/schema';

// Regenerates the schema from spec/protocol.ts and compares it with the committed file, so
// a type change without `DCOMKIT_UPDATE_SCHEMA=1 npx jest test/process/schema` fails here.
test('spec/protocol.schema.json matches spec/protocol.ts', () => {
  const fresh = formatSchema(generateProtocolSchema());
  if (process.env.DCOMKIT_UPDATE_SCHEMA === '1') fs.writeFileSync(SCHEMA_PATH, fresh);
  const committed = fs.existsSync(SCHEMA_PATH) ? fs.readFileSync(SCHEMA_PATH, 'utf8') : '';
  expect(committed).toBe(fresh);
});

test('the schema defines every protocol message', () => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8')) as { definitions: Record<string, unknown> };
  for (const name of ['HelloMessage', 'ResetMessage', 'ApplyMessage', 'AdvanceMessage', 'CloseMessage', 'EventsMessage', 'ErrorMessage', 'WireEvent']) {
    expect(schema.definitions).toHaveProperty(name);
  }
});
