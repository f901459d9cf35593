/**
 * The kit's long commands run in a child process that this one supervises. A signal reaches
 * the child through here; if the child has not ended 1.5 s later (an in-process adapter whose
 * synchronous step never returns holds its event loop, so it cannot even see the signal), the
 * supervisor kills it and everything carrying the kit's token: the adapters, their children,
 * and grandchildren that left for a session of their own. It does the same sweep when the
 * child ends, so nothing the kit started outlives it.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { killMarked } from '../adapters/process/registry';
import { exitCodeFor, type StopSignal } from './interrupt';

/** Marks every process a kit run starts (inherited through the environment). */
export const KIT_TOKEN_VARIABLE = 'DCOMKIT_KIT_TOKEN';
/** Set in the supervised child, which then does the work itself. */
export const WORKER_VARIABLE = 'DCOMKIT_WORKER';
/** How long the child gets to stop by itself after a signal. */
const GRACE_MS = 1_500;

export function isWorker(): boolean {
  return process.env[WORKER_VARIABLE] === '1';
}

export function supervise(script: string, argv: string[]): void {
  const token = `${process.pid}-${randomBytes(8).toString('hex')}`;
  const mark = `${KIT_TOKEN_VARIABLE}=${token}`;
  const child = fork(script, argv, {
    stdio: 'inherit',
    // Its own session: a terminal's Ctrl-C reaches only this process, which forwards it once.
    detached: true,
    env: { ...process.env, [WORKER_VARIABLE]: '1', [KIT_TOKEN_VARIABLE]: token },
  });
  let signalled: StopSignal | undefined;
  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    killMarked(mark);
  };
  const forceStop = (signal: StopSignal, why: string) => {
    sweep();
    console.error(`dcomkit: ${why}; killed it and every process it started`);
    process.exit(exitCodeFor(signal));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (signalled) forceStop(signalled, `${signal} again`);
      signalled = signal;
      child.kill(signal);
      timer = setTimeout(() => forceStop(signal, `the kit did not stop within ${GRACE_MS / 1000} s of ${signal} (an adapter step held it)`), GRACE_MS);
    });
  }
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    killMarked(mark);
    if (code !== null) process.exit(code);
    process.exit(signalled ? exitCodeFor(signalled) : 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1));
  });
}
