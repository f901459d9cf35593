/**
 * Every adapter process the kit has started and not yet seen gone. Each runs as the leader
 * of its own process group (spawned detached), so killing the group also kills whatever the
 * adapter started itself. A process that leaves the group (setsid, a daemon) still carries
 * the adapter's token in its environment, and is found by it. The registry kills all of them
 * when the kit exits, for whatever reason (normal end, uncaught error, process.exit), and on
 * SIGINT/SIGTERM/SIGHUP: a detached group does not receive the terminal's Ctrl-C, so without
 * this it would outlive the kit.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable that marks an adapter's processes with its token. */
export const TOKEN_VARIABLE = 'DCOMKIT_ADAPTER_TOKEN';

const live = new Map<number, { child: ChildProcess; token?: string }>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooked = false;

export function adapterToken(): string {
  return `${process.pid}-${randomBytes(8).toString('hex')}`;
}

/**
 * Sends `signal` to the process group led by `pid`, to `pid` itself and, given a token, to
 * every process whose environment carries it; silent for what is gone.
 */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL', token?: string): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // no such group: the leader and all its descendants are gone already
  }
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
  if (token !== undefined) killMarked(`${TOKEN_VARIABLE}=${token}`, signal);
}

/**
 * Kills every process whose environment holds `entry` ("NAME=value") exactly, as a build
 * server finds what a job left behind. Reads /proc; elsewhere it finds nothing.
 */
export function killMarked(entry: string, signal: NodeJS.Signals = 'SIGKILL'): number {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return 0;
  }
  let killed = 0;
  for (const name of names) {
    if (name.charCodeAt(0) > 57 || Number(name) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (!environ.split('\0').includes(entry)) continue;
    try {
      process.kill(Number(name), signal);
      killed += 1;
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

export function killAll(): void {
  for (const [pid, { token }] of live) killGroup(pid, 'SIGKILL', token);
  live.clear();
  unhook();
}

function onExit(): void {
  killAll();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  // Listening to a signal disables node's default "die"; when nobody else listens, restore
  // it and re-raise so the kit still ends the way the user asked it to.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

export function register(child: ChildProcess, token?: string): void {
  if (child.pid === undefined) return;
  live.set(child.pid, { child, token });
  hook();
}

/** Forgets a child whose group has been killed; drops the exit hooks when none are left. */
export function unregister(pid: number | undefined): void {
  if (pid === undefined) return;
  live.delete(pid);
  if (live.size === 0) unhook();
}

/** Pids of the adapter processes currently alive (for tests and diagnostics). */
export function livePids(): number[] {
  return [...live.keys()];
}
