/**
 * Where the child program's JavaScript is. A build has child.js beside this file; running
 * from sources (ts-jest) we transpile child.ts once into node_modules/.cache, from where
 * node-dcom and fake-timers resolve as usual.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function childScript(): string {
  const built = path.join(__dirname, 'child.js');
  if (fs.existsSync(built)) return built;
  const source = fs.readFileSync(path.join(__dirname, 'child.ts'), 'utf8');
  const hash = createHash('sha1').update(source).digest('hex').slice(0, 12);
  const modules = path.dirname(path.dirname(require.resolve('node-dcom/package.json')));
  const dir = path.join(modules, '.cache', 'dcomkit');
  const file = path.join(dir, `node-dcom-child-${hash}.js`);
  if (fs.existsSync(file)) return file;
  // typescript is a dev dependency: only source checkouts come here, and they have it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: 'child.ts',
  });
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, out.outputText);
  fs.renameSync(tmp, file); // atomic: parallel jest workers may race here
  return file;
}
