/**
 * Runs work while holding a lock shared by all jest workers, so the campaigns against real
 * targets (node-dcom, Wine) never compete for a 2-core machine's CPU: each assumes the
 * machine to itself when it measures its time. A lock whose owner died is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function exclusively<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  const file = join(tmpdir(), `dcomkit-${name}.lock`);
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = 0;
      try {
        owner = Number(readFileSync(file, 'utf8'));
      } catch {
        continue;
      }
      if (!owner || !alive(owner)) {
        rmSync(file, { force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}

/** The lock both real-target campaigns take. */
export const REAL_TARGET_CAMPAIGN = 'real-target-campaign';
