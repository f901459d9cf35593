/** A shrunk failing run, as saved to disk and replayed. */
import type { Action, Profile, RuleId, TraceEvent, Violation, World } from '../spec';

export const COUNTEREXAMPLE_FORMAT = 'dcomkit-counterexample/1';

export interface Counterexample {
  format: typeof COUNTEREXAMPLE_FORMAT;
  kitVersion: string;
  /** `spec` is how the CLI re-creates the adapter: a registered name, a module path or a command. */
  adapter: { name: string; version: string; spec?: { kind: 'name' | 'module' | 'command'; value: string } };
  profile: Profile;
  rule: RuleId;
  verdict: 'FAILED' | 'NON-STRICT';
  seed: number;
  world: World;
  actions: Action[];
  /**
   * Where it came from: it was shrunk from run `run` of the campaign seed (the rule's shortest
   * failing run, of `length` actions), and `path` is fast-check's path to the shrunk run (empty
   * when a shrink for another rule met it first). Only a bare run number regenerates by itself
   * (fc.commands shrinks by what ran), which is why a counterexample carries its actions.
   */
  origin: { campaignSeed: number; run: number; length?: number; path: string };
  /** Whether fast-check shrank it (false when the failure did not reproduce for shrinking). */
  shrunk: boolean;
  /** Shrinking stopped at the campaign's shrink time limit, so a shorter one may exist. */
  shrinkTimedOut?: boolean;
  shrinkMs: number;
  violations: Violation[];
  trace: TraceEvent[];
}
