/**
 * Adapter faults: what an adapter did wrong as a program, as opposed to what the DCOM it
 * drives did wrong. A fault ends its run in an adapter error; no rule judges such a run.
 */

/**
 * - hang: a step did not answer within its real-time limit;
 * - crash: the adapter died, exited or threw;
 * - protocol: it broke the out-of-process protocol (garbage, wrong ids, unasked-for output);
 * - data: its events contradict the protocol's meaning (time going backwards, an object
 *   never handed out, an answer to a call nobody made);
 * - refused: it reported an `error` for a request.
 */
export const FAULT_KINDS = ['hang', 'crash', 'protocol', 'data', 'refused'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export class AdapterFault extends Error {
  override name = 'AdapterFault';
  /** A brand that survives a second copy of this module (a bundled or transpiled adapter). */
  readonly adapterFault = true;
  /** The notes the adapter sent during the run that ended in this fault, latest last. */
  notes: string[] = [];
  constructor(
    readonly kind: FaultKind,
    /** The adapter's label, as the user named it. */
    readonly adapter: string,
    /** The step that failed, e.g. "reset (seed 7)", "apply #3 (call)", "advance #5 (1200 ms)". */
    readonly step: string,
    /** What went wrong, in one sentence. */
    readonly problem: string,
    /** The last lines the adapter wrote to stderr, when it has a stderr. */
    readonly stderr: readonly string[] = [],
    /** The offending stdout line, when there is one. */
    readonly line?: string,
  ) {
    const parts = [`adapter ${JSON.stringify(adapter)}, ${step}: ${problem}`];
    if (line !== undefined) parts.push(`  offending line: ${line}`);
    if (stderr.length) parts.push('  last stderr lines:', ...stderr.map((l) => `    ${l}`));
    super(parts.join('\n'));
  }
}

export function isAdapterFault(err: unknown): err is AdapterFault {
  return err instanceof AdapterFault || (typeof err === 'object' && err !== null && (err as { adapterFault?: unknown }).adapterFault === true);
}
