/** What the adapters that drive client processes against the wire emulator say to them alike. */

/**
 * One step of a client program; handles are the kit's names for proxies. Activation and
 * QueryInterface carry what each client library needs, so each adapter names those.
 */
export type Steps<Activate extends { op: 'activate'; handle: string }, Iid extends string> =
  | Activate
  | { op: 'queryInterface'; handle: string; newHandle: string; iid: Iid }
  | SharedStep;

/** The steps every client program takes the same way. */
export type SharedStep = { op: 'addRef' | 'release' | 'call'; handle: string } | { op: 'exit' };

export type StepResult =
  | { ok: true; ipid?: string; hr: number; detail?: string }
  | { ok: false; hr: number; detail: string };
