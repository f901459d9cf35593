/**
 * Numbers the kit relies on, each with the source it was taken from.
 * Sources are abbreviated as in ../shared/research/dcom-facts.md: "MS-DCOM 3.2.2" is a
 * section of [MS-DCOM]; "Qnnnnnn" is a Microsoft Knowledge Base article.
 */

/** Client resolver ping period: at most and ideally 2 minutes (MS-DCOM 3.2.2, 3.1.2.2). */
export const PING_PERIOD_MS = 120_000;

/** Pings a server may miss before it runs a ping set down (MS-DCOM 3.1.2.2; Q167133: 3 x 2 min). */
export const MISSED_PINGS = 3;

/** Ping-set timer on the server: 3 x the ping period, 6 minutes (MS-DCOM 3.1.2.2). */
export const PING_SET_TIMEOUT_MS = PING_PERIOD_MS * MISSED_PINGS;

/**
 * Latest a rundown may come after the ping-set timer is due. MS-DCOM allows implementation
 * scan latency without a number; half a ping period keeps "4 missed pings" distinguishable
 * from "3 missed pings plus latency".
 */
export const RUNDOWN_SLACK_MS = PING_PERIOD_MS / 2;

/**
 * Longest settle period the runner appends to a run so liveness rules become bounded: ten
 * ping periods of virtual time, well past the 6-minute rundown window. It ends sooner once
 * nothing the run left behind could still change a verdict (oracles/settle.ts).
 */
export const SETTLE_MS = PING_PERIOD_MS * 10;

/**
 * The longest single step of virtual time a run may ask for: the settle period, which already
 * outlasts every bound a rule uses (the 6-minute rundown window, Q184278's 9-minute
 * disconnect). A longer advance shows nothing more and could only cost time (or memory) to
 * simulate, so a file asking for one is refused.
 */
export const MAX_ADVANCE_MS = SETTLE_MS;

/**
 * A call that has not completed after this long is a hang. Datagram DCOM gives up after
 * 32 s (peer down before the call) or 64-96 s (peer dies mid-call) (Q255198), so two
 * minutes separates a slow failure from a hang.
 */
export const CALL_TIMEOUT_MS = 120_000;

/** Datagram RPC call to an unreachable peer fails after about 32 s (Q255198). */
export const UDP_UNREACHABLE_FAILURE_MS = 32_000;

/** Time within which a release of the last reference must reclaim the object ("promptly"). */
export const RELEASE_PROMPT_MS = 1_000;

/** Time within which a process must be gone after its program ended. */
export const EXIT_PROMPT_MS = 5_000;

/**
 * Q184278 (NT4 before SP4): a server in an untrusted domain disconnects a live client after
 * about 9 minutes.
 */
export const Q184278_DISCONNECT_MS = 9 * 60_000;

/** HRESULTs (MS-ERREF; dcom-facts.md 5.4). */
export const HR = {
  S_OK: 0x00000000,
  E_NOTIMPL: 0x80004001,
  E_NOINTERFACE: 0x80004002,
  E_FAIL: 0x80004005,
  E_ACCESSDENIED: 0x80070005,
  E_OUTOFMEMORY: 0x8007000e,
  E_INVALIDARG: 0x80070057,
  CO_E_OBJNOTREG: 0x800401fb,
  CO_E_OBJNOTCONNECTED: 0x800401fd,
  CO_E_NOTINITIALIZED: 0x800401f0,
  CO_E_SERVER_EXEC_FAILURE: 0x80080005,
  REGDB_E_CLASSNOTREG: 0x80040154,
  RPC_E_CONNECTION_TERMINATED: 0x80010006,
  RPC_E_SERVER_DIED: 0x80010007,
  RPC_E_SERVER_DIED_DNE: 0x80010012,
  RPC_E_DISCONNECTED: 0x80010108,
  RPC_E_INVALID_OBJECT: 0x80010114,
  RPC_E_TOO_LATE: 0x80010119,
  RPC_E_ACCESS_DENIED: 0x8001011b,
  RPC_E_TIMEOUT: 0x8001011f,
  RPC_S_SERVER_UNAVAILABLE: 0x800706ba,
  RPC_S_CALL_FAILED: 0x800706be,
  RPC_S_CALL_FAILED_DNE: 0x800706bf,
} as const;
export type HrName = keyof typeof HR;

/** IObjectExporter status codes, raw error_status_t values (MS-DCOM 3.1.2.5.1). */
export const OR = {
  OK: 0,
  ERROR_ACCESS_DENIED: 5,
  OR_INVALID_OXID: 1910,
  OR_INVALID_OID: 1911,
  OR_INVALID_SET: 1912,
} as const;

export function isSuccess(hr: number): boolean {
  return (hr >>> 0) < 0x80000000;
}

const hrNames = new Map<number, string>(Object.entries(HR).map(([name, value]) => [value >>> 0, name]));

/** "0x80070005 E_ACCESSDENIED", or just the hex when the value has no name here. */
export function formatHr(hr: number): string {
  const hex = '0x' + (hr >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const name = hrNames.get(hr >>> 0);
  return name ? `${hex} ${name}` : hex;
}

/** RPC_C_AUTHN_LEVEL_* (MS-RPCE 2.2.1.1.8). */
export const AUTHN_LEVEL = {
  DEFAULT: 0,
  NONE: 1,
  CONNECT: 2,
  CALL: 3,
  PKT: 4,
  PKT_INTEGRITY: 5,
  PKT_PRIVACY: 6,
} as const;
export type AuthnLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** RPC_C_IMP_LEVEL_* (Impersonation Level Constants; Q176799). */
export const IMP_LEVEL = {
  DEFAULT: 0,
  ANONYMOUS: 1,
  IDENTIFY: 2,
  IMPERSONATE: 3,
  DELEGATE: 4,
} as const;
export type ImpLevel = 0 | 1 | 2 | 3 | 4;

/** RPC_C_AUTHN_* services the generators use (MS-RPCE 2.2.1.1.7). */
export const AUTHN_SVC = {
  NONE: 0,
  WINNT: 10,
  GSS_NEGOTIATE: 9,
  GSS_KERBEROS: 16,
  DEFAULT: 0xffffffff,
} as const;
export type AuthnSvc = (typeof AUTHN_SVC)[keyof typeof AUTHN_SVC];

/** EOLE_AUTHENTICATION_CAPABILITIES bits the generators use. */
export const EOAC = {
  NONE: 0,
  MUTUAL_AUTH: 0x1,
  SECURE_REFS: 0x2,
  STATIC_CLOAKING: 0x20,
  DYNAMIC_CLOAKING: 0x40,
} as const;

/** CLSCTX values (wtypesbase.h; dcom-facts.md 3.2). */
export const CLSCTX = {
  INPROC_SERVER: 0x1,
  LOCAL_SERVER: 0x4,
  REMOTE_SERVER: 0x10,
} as const;
