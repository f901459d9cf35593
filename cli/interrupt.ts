/**
 * Ctrl-C and SIGTERM in the process that does the work. The first signal aborts the campaign
 * in progress (it stops between two steps, reports what it finished and exits 130 or 143);
 * a second one, or a signal when nothing is under way, ends the kit at once. The adapters'
 * processes die with it either way (adapters/process/registry.ts).
 */
import { killAll } from '../adapters/process';
import { EXIT } from './errors';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof SIGNALS)[number];

/** Exit status for a signal, as a shell reports a process it ended: 128 + its number. */
export function exitCodeFor(signal: StopSignal): number {
  return signal === 'SIGINT' ? EXIT.interrupted : signal === 'SIGTERM' ? EXIT.terminated : 129;
}

const controller = new AbortController();
let received: StopSignal | undefined;
let installed = false;
/** Whether a command has taken the signal, so the first Ctrl-C stops its campaign gently. */
let busy = false;

/** The signal campaigns listen to; aborted at the first SIGINT, SIGTERM or SIGHUP. */
export const interruption: AbortSignal = controller.signal;

/** The signal that interrupted the kit, if one did. */
export function interruptedBy(): StopSignal | undefined {
  return received;
}

function die(signal: StopSignal): never {
  killAll();
  process.exit(exitCodeFor(signal));
}

export function installInterrupts(): void {
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (received || !busy) {
        if (!received) console.error(`\ndcomkit: ${signal}`);
        die(received ?? signal);
      }
      received = signal;
      console.error(`\ndcomkit: ${signal}: stopping after the current step (again to stop at once)`);
      controller.abort(signal);
    });
  }
  // A supervising parent that vanished (killed with SIGKILL, say) cannot forward anything:
  // stop as if interrupted, and do not outlive it.
  process.on('disconnect', () => {
    received ??= 'SIGHUP';
    controller.abort('SIGHUP');
    setTimeout(() => die('SIGHUP'), 2_000).unref();
  });
}

/** Runs `work` with the first signal stopping it gently instead of ending the kit. */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  busy = true;
  try {
    return await work(interruption);
  } finally {
    busy = false;
  }
}
