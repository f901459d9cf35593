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
  /** Whether it is shorter than the failing run it came from (`shrink` says how far it got). */
  shrunk: boolean;
  /** How shrinking went; absent in files of kits before 0.2.0. */
  shrink?: ShrinkReport;
  /** Shrinking stopped at the campaign's shrink time limit, so a shorter one may exist. */
  shrinkTimedOut?: boolean;
  shrinkMs: number;
  violations: Violation[];
  trace: TraceEvent[];
}

/** How far shrinking got, said honestly. */
export interface ShrinkReport {
  /**
   * minimal: fast-check's shrinker finished; no single shrink step of these actions (or of the
   * world they start in) still fails the rule. partial: shorter than the failing run it came
   * from, but shrinking stopped before it finished. not-shrunk: the failing run as found.
   */
  status: 'minimal' | 'partial' | 'not-shrunk';
  /** Actions of the failing run it came from, and of the counterexample. */
  from: number;
  to: number;
  /** Runs carried out while shrinking, and how many of them ended in adapter errors. */
  attempts: number;
  errors: number;
  /**
   * Why shrinking did not finish: its time budget ran out, the campaign stopped, it was not
   * asked for, or the failing run did not fail again when replayed.
   */
  why?: 'time-limit' | 'stopped' | 'disabled' | 'not-reproduced';
}

/**
 * A regression corpus file: a counterexample file of which only what replaying needs is
 * required (a case can be written by hand, for a fault known before any campaign found it).
 */
export type CorpusFile = Pick<Counterexample, 'format' | 'seed' | 'world' | 'actions'> & Partial<Omit<Counterexample, 'format' | 'seed' | 'world' | 'actions'>>;
