/**
 * Everything a run can do, as plain data. Names (processes, handles, callbacks) are chosen
 * by the generator and never reused within a run, so a shrunk or replayed sequence refers
 * to the same things it did when it was generated.
 */
import type { AuthnLevel, ImpLevel } from './constants';
import type { AccessPermission, ClientMachine, DomainTrust, MachineId, ProtocolOrder } from './world';

export type ProcessId = string;
export type HandleId = string;
export type CallbackId = string;

/** COAUTHINFO passed to CoCreateInstanceEx (COAUTHINFO doc). */
export interface AuthInfo {
  authnSvc: number;
  authnLevel: AuthnLevel;
  impLevel: ImpLevel;
  /** Account named in COAUTH_IDENTITY; the credentials themselves never matter to the model. */
  identity: string;
}

export interface BlanketSettings {
  authnSvc: number;
  authnLevel: AuthnLevel;
  impLevel: ImpLevel;
  capabilities: number;
}

// --- environment -------------------------------------------------------------------------

/** Sets a machine's DefaultAccessPermission. */
export interface SetAccess { kind: 'setAccess'; machine: MachineId; access: AccessPermission }
/** Sets a machine's "DCOM Protocols" order. */
export interface SetProtocols { kind: 'setProtocols'; machine: MachineId; protocols: ProtocolOrder }
/** Sets the trust between a client machine's domain and the server's. */
export interface SetTrust { kind: 'setTrust'; machine: ClientMachine; trust: DomainTrust }
/** Cuts the network between a client machine and the server machine. */
export interface Partition { kind: 'partition'; machine: ClientMachine }
export interface Heal { kind: 'heal'; machine: ClientMachine }
/** Lets virtual time pass. */
export interface Advance { kind: 'advance'; ms: number }

// --- client process ----------------------------------------------------------------------

export interface Start {
  kind: 'start';
  process: ProcessId;
  machine: ClientMachine;
  identity: string;
  /** false: the process runs without network credentials (Q224837's "unauthenticated client"). */
  authenticated: boolean;
}
export interface InitSecurity {
  kind: 'initSecurity';
  process: ProcessId;
  authnLevel: AuthnLevel;
  impLevel: ImpLevel;
  capabilities: number;
}
/** CoCreateInstanceEx of the test class; the new proxy is called `handle`. */
export interface Activate {
  kind: 'activate';
  process: ProcessId;
  handle: HandleId;
  clsctx: 'local' | 'remote';
  /** COSERVERINFO naming the server machine. */
  serverInfo: boolean;
  authInfo: AuthInfo | null;
}
/**
 * CoCreateInstanceEx (CLSCTX_REMOTE_SERVER, COSERVERINFO naming the server) of the test
 * class's shared instance `instance`: a singleton the server hands every client that asks
 * for it. While it lives, an activation of the same instance from any process on any machine
 * gets a proxy to the same object (the same OID); once it is gone, the next activation makes
 * it afresh. The new proxy is called `handle`.
 */
export interface ActivateShared { kind: 'activateShared'; process: ProcessId; handle: HandleId; instance: string }
/** CoSetProxyBlanket on the interface proxy, or on its IUnknown. */
export interface SetBlanket extends BlanketSettings {
  kind: 'setBlanket';
  handle: HandleId;
  target: 'interface' | 'iunknown';
}
export const INTERFACES = ['ITest', 'IUnknown', 'IMissing'] as const;
export type InterfaceName = (typeof INTERFACES)[number];
export interface QueryInterface { kind: 'queryInterface'; handle: HandleId; newHandle: HandleId; iid: InterfaceName }
export interface AddRef { kind: 'addRef'; handle: HandleId }
export interface Release { kind: 'release'; handle: HandleId }
/**
 * The process holding `handle` marshals it (CoMarshalInterface, a normal marshal: the OBJREF
 * carries public references, MS-DCOM 3.2.4.3) and `process`, another client process on the
 * same or the other client machine, unmarshals it (CoUnmarshalInterface, 3.2.4.1.2) as
 * `newHandle`. The receiving machine's resolver then pings the object itself (3.2.6.1).
 */
export interface HandOver { kind: 'handOver'; handle: HandleId; process: ProcessId; newHandle: HandleId }
/** A method call through the proxy. */
export interface Call { kind: 'call'; handle: HandleId }
/** A method call that passes a new callback object, which the server keeps as `callback`. */
export interface PassCallback { kind: 'passCallback'; handle: HandleId; callback: CallbackId }
/** CoUninitialize, then the program ends. */
export interface Exit { kind: 'exit'; process: ProcessId }
/** The program ends without CoUninitialize. */
export interface Abandon { kind: 'abandon'; process: ProcessId }
/** The process dies without any cleanup. */
export interface Crash { kind: 'crash'; process: ProcessId }

// --- server ------------------------------------------------------------------------------

export interface InvokeCallback { kind: 'invokeCallback'; callback: CallbackId }
export interface ReleaseCallback { kind: 'releaseCallback'; callback: CallbackId }
/** CoDisconnectObject on the object behind a client's handle. */
export interface Disconnect { kind: 'disconnect'; handle: HandleId }
export interface ServerCrash { kind: 'serverCrash' }
/**
 * The server answers its next RemRelease with a fault. One RemRelease may carry several
 * interface references, so every release of the next releasing action is hit.
 */
export interface FaultNextRelease { kind: 'faultNextRelease' }

export type EnvironmentAction = SetAccess | SetProtocols | SetTrust | Partition | Heal | Advance;
export type ClientAction =
  | Start
  | InitSecurity
  | Activate
  | ActivateShared
  | SetBlanket
  | QueryInterface
  | AddRef
  | Release
  | HandOver
  | Call
  | PassCallback
  | Exit
  | Abandon
  | Crash;
export type ServerAction = InvokeCallback | ReleaseCallback | Disconnect | ServerCrash | FaultNextRelease;
export type Action = EnvironmentAction | ClientAction | ServerAction;
export type ActionKind = Action['kind'];

export const ENVIRONMENT_ACTION_KINDS = ['setAccess', 'setProtocols', 'setTrust', 'partition', 'heal', 'advance'] as const;
export const CLIENT_ACTION_KINDS = [
  'start',
  'initSecurity',
  'activate',
  'activateShared',
  'setBlanket',
  'queryInterface',
  'addRef',
  'release',
  'handOver',
  'call',
  'passCallback',
  'exit',
  'abandon',
  'crash',
] as const;
export const SERVER_ACTION_KINDS = ['invokeCallback', 'releaseCallback', 'disconnect', 'serverCrash', 'faultNextRelease'] as const;
export const ACTION_KINDS: readonly ActionKind[] = [
  ...ENVIRONMENT_ACTION_KINDS,
  ...CLIENT_ACTION_KINDS,
  ...SERVER_ACTION_KINDS,
];

export type ActionOf<K extends ActionKind> = Extract<Action, { kind: K }>;

/** Actions that make a call and so end with a `completed` or `hung` event. */
export const CALLING_KINDS: ReadonlySet<ActionKind> = new Set<ActionKind>([
  'initSecurity',
  'activate',
  'activateShared',
  'setBlanket',
  'queryInterface',
  'handOver',
  'call',
  'passCallback',
  'invokeCallback',
]);
