/**
 * Where the kit writes: checked before any work, written whole or not at all. A campaign that
 * runs for an hour must not end in "cannot write", and a file a CI reads must never be half
 * there.
 */
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors';

/** Pseudo file systems whose folders cannot be made (and where recursive mkdir loops on some kernels). */
const PSEUDO = ['/proc', '/sys', '/dev'];

function inPseudo(path: string): boolean {
  return PSEUDO.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * Makes `dir` (and what is missing above it) one level at a time, and proves it writable with
 * a probe file; every problem is a usage error naming `flag`.
 */
export function ensureWritableDir(dir: string, flag: string): void {
  const full = resolve(dir);
  if (inPseudo(full)) throw new UsageError(`${flag} ${dir}: cannot write under ${PSEUDO.find((p) => full === p || full.startsWith(`${p}/`))}`);
  const missing: string[] = [];
  let at = full;
  for (;;) {
    let isDir: boolean | undefined;
    try {
      isDir = statSync(at).isDirectory();
    } catch {
      isDir = undefined;
    }
    if (isDir === false) throw new UsageError(`${flag} ${dir}: ${at} is a file, not a folder`);
    if (isDir) break;
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      throw new UsageError(`${flag} ${dir}: cannot create ${d} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const probe = join(full, `.dcomkit-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    throw new UsageError(`${flag} ${dir}: cannot write there (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * Checks that `file` can be written: its folder exists (as for a shell redirection; a file
 * flag never creates folders) and takes a new file, and `file` is not a folder itself.
 */
export function ensureWritableFile(file: string, flag: string): void {
  const full = resolve(file);
  const dir = dirname(full);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    // absent: fine
  }
  if (isDir) throw new UsageError(`${flag} ${file}: is a folder, not a file`);
  let dirOk = false;
  try {
    dirOk = statSync(dir).isDirectory();
  } catch {
    // checked below
  }
  if (!dirOk) throw new UsageError(`${flag} ${file}: folder ${dir} does not exist`);
  if (inPseudo(full)) throw new UsageError(`${flag} ${file}: cannot write under ${dir}`);
  const probe = join(dir, `.dcomkit-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot write in ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export { writeAtomic } from '../runner/files';

/**
 * Checks, creating nothing, that `dir` could be made and written: its nearest existing
 * ancestor is a writable folder outside the pseudo file systems.
 */
export function checkCanCreateDir(dir: string, flag: string): void {
  const full = resolve(dir);
  if (inPseudo(full)) throw new UsageError(`${flag} ${dir}: cannot write under ${PSEUDO.find((p) => full === p || full.startsWith(`${p}/`))}`);
  let at = full;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  if (!statSync(at).isDirectory()) throw new UsageError(`${flag} ${dir}: ${at} is a file, not a folder`);
  try {
    accessSync(at, constants.W_OK);
  } catch (err) {
    throw new UsageError(`${flag} ${dir}: cannot write in ${at} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
