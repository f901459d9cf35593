/** A mistake in how the kit was called: reported in one line, exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * 0: no rule FAILED. 1: some rule FAILED. 2: a usage error, an adapter that cannot be used,
 * or a campaign that could not give a verdict (most runs ended in adapter errors, the adapter
 * kept failing, the time limit passed). 130 / 143: stopped by SIGINT / SIGTERM.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, terminated: 143 } as const;
