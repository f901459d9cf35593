/**
 * Every adapter process the kit has started and not yet seen gone. Each runs as the leader
 * of its own process group (spawned detached), so killing the group also kills whatever the
 * adapter started itself. The registry kills all groups when the kit exits, for whatever
 * reason (normal end, uncaught error, process.exit), and on SIGINT/SIGTERM/SIGHUP: a detached
 * group does not receive the terminal's Ctrl-C, so without this it would outlive the kit.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Map<number, ChildProcess>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooked = false;

/** Sends `signal` to the process group led by `pid` and to `pid` itself; silent when gone. */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
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
}

export function killAll(): void {
  for (const pid of live.keys()) killGroup(pid);
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

export function register(child: ChildProcess): void {
  if (child.pid === undefined) return;
  live.set(child.pid, child);
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
