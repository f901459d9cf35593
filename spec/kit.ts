import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The kit's root folder and version, found from this file whether run from source or dist/. */
function findRoot(): string {
  let dir = __dirname;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).name === 'dcomkit') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('dcomkit package.json not found');
    dir = up;
  }
}

export const KIT_ROOT = findRoot();
export const KIT_VERSION: string = JSON.parse(readFileSync(join(KIT_ROOT, 'package.json'), 'utf8')).version;
