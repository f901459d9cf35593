import * as fs from 'node:fs';
import * as path from 'node:path';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** The command line that runs a fixture with node. */
export function fixture(name: string, ...args: string[]): string {
  return [process.execPath, path.join(FIXTURES, name), ...args].map((a) => JSON.stringify(a)).join(' ');
}

/** Whether a process exists and is not a zombie (an unreaped corpse is dead for our purposes). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until the process is gone; false if it still lives after `ms`. */
export async function waitDead(pid: number, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isAlive(pid);
}

/** Pids named on stderr lines like "fake adapter pid 123" or "grandchild pid 456". */
export function pidsIn(lines: string[], tag: string): number[] {
  return lines.flatMap((l) => {
    const m = new RegExp(`${tag} pid (\\d+)`).exec(l);
    return m ? [Number(m[1])] : [];
  });
}

/** Pids whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
