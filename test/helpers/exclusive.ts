/**
 * Runs work while holding a lock shared by all jest workers, so the campaigns against real
 * targets (node-dcom, Wine) never compete for a 2-core machine's CPU: each assumes the
 * machine to itself when it measures its time. A lock whose owner died is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from '../../adapters/emulated/alive';

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

/**
 * Holds the lock until the returned function is called: for a whole test file, taken in its
 * beforeAll and given back in its afterAll.
 */
export async function hold(name: string): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  await new Promise<void>((taken) => {
    void exclusively(name, () => {
      taken();
      return released;
    });
  });
  return release;
}

/**
 * The lock both real-target campaigns take, and the tests that keep both cores busy for a
 * minute or more (test/package: npm installs, builds, a Wine prefix): a real target's campaign
 * shrinks against real time and must not share the machine with them.
 */
export const REAL_TARGET_CAMPAIGN = 'real-target-campaign';
