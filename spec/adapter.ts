/** The contract every DCOM implementation or model plugs in through. */
import type { ActionKind, Action } from './actions';
import type { AdapterEvent } from './events';
import type { World } from './world';

/** What an adapter can observe; a rule that needs an observation it lacks is not judged OK. */
export const OBSERVATIONS = ['pings', 'reclaims', 'callbacks', 'exits'] as const;
export type Observation = (typeof OBSERVATIONS)[number];

export type Clock =
  | { kind: 'virtual' }
  /** Real time, sped up `scale` times (for example under faketime). */
  | { kind: 'real'; scale: number };

export interface Capabilities {
  name: string;
  version: string;
  /** The action kinds this adapter can carry out; generators produce no others. */
  actions: ActionKind[];
  observes: Observation[];
  clock: Clock;
}

export interface Adapter {
  readonly capabilities: Capabilities;
  /** Starts a fresh world. The same seed, world and actions must give the same events. */
  reset(seed: number, world: World): Promise<AdapterEvent[]>;
  /** Carries out one action other than `advance` and reports what it observed meanwhile. */
  apply(action: Action): Promise<AdapterEvent[]>;
  /** Lets `ms` of virtual time pass and reports what happened. */
  advance(ms: number): Promise<AdapterEvent[]>;
  /** Frees everything the adapter holds; the adapter is not used again. */
  close(): Promise<void>;
  /**
   * The same operations answering at once, offered by an adapter that does its work in
   * process: the runner then spares a promise per command, a large share of a short run.
   */
  readonly sync?: SyncAdapter;
}

export interface SyncAdapter {
  reset(seed: number, world: World): AdapterEvent[];
  apply(action: Action): AdapterEvent[];
  advance(ms: number): AdapterEvent[];
}

/** How the CLI and runner find adapters by name. */
export interface AdapterFactory {
  name: string;
  summary: string;
  /**
   * What every adapter create() makes can carry out and observe, when that is known without
   * making one. Optional: describeConformance (dcomkit/jest) declares its tests before any
   * adapter exists, and skips the rules an adapter cannot exercise only when it knows them.
   */
  capabilities?: Pick<Capabilities, 'actions' | 'observes'>;
  create(options?: Record<string, unknown>): Promise<Adapter>;
  /**
   * How many instances of this adapter run well side by side on this machine, each created
   * by its own create() call: the default of `--workers`. Default 1, since instances of an
   * adapter not known to be independent (a fixed port, one shared prefix) must not meet.
   */
  workers?(): number;
}
