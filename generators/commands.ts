/** Runs as fast-check model-based command sequences over the adapter's supported actions. */
import fc from 'fast-check';
import type { ActionKind, Capabilities, World } from '../spec';
import { clientArbs } from './client';
import type { ActionCommand, ActionSink } from './command';
import { environmentArbs, worldArb } from './environment';
import { GenModel } from './model';
import { resolveGeneratorOptions, type GeneratorOptions } from './options';
import { serverArbs } from './server';
import { SKIP } from './template';

/**
 * How often each kind is drawn. Starting processes and activating are common so most runs
 * reach interesting lifetimes; rare environment changes still appear in most campaigns.
 */
export const ACTION_WEIGHTS: Record<ActionKind, number> = {
  // Nothing happens before a process starts: at weight 4 three runs in ten drew no start in
  // their first twenty commands.
  start: 8,
  // Activations into a ping set that already exists are the ComplexPing adds whose sequence
  // numbers, and late duplicates, the exporter must get right.
  activate: 4,
  // Several holders of one object (a shared instance, a proxy handed to another process) are
  // where per-machine ping sets and the exporter's counting are tested.
  activateShared: 6,
  handOver: 8,
  advance: 14,
  // Every holder giving its references back is what RELEASE-RECLAIM judges for a shared object.
  release: 6,
  // A call through a proxy is what a program mostly does, and a call after its object is gone
  // (CoDisconnectObject, a server crash, a rundown) is what CALL-AFTER-RECLAIM judges: at
  // weight 2, and left out of half the runs, one run in a hundred reached it.
  call: 4,
  passCallback: 2,
  // A second interface on an object is a second reference its holder must give back: at
  // weight 2 impacket's early rundown (one interface's Release deleting the object's OID) was
  // met by one campaign seed in eight.
  queryInterface: 4,
  setBlanket: 2,
  exit: 6,
  crash: 2,
  // A program that ends without CoUninitialize is as ordinary as one that calls it.
  abandon: 2,
  addRef: 1,
  initSecurity: 1,
  invokeCallback: 2,
  releaseCallback: 1,
  disconnect: 3,
  serverCrash: 2,
  faultNextRelease: 1,
  setAccess: 1,
  setProtocols: 1,
  setTrust: 1,
  // A partition that outlasts the rundown window and then heals, followed by a use of a proxy
  // held across it, is where resolvers and exporter recover; a heal applies only while a
  // machine is cut off, so most of its draws are skipped.
  partition: 4,
  heal: 8,
};

/** One command of any kind the adapter supports, drawn by ACTION_WEIGHTS. */
export function actionArb(capabilities: Pick<Capabilities, 'actions'>, options?: GeneratorOptions): fc.Arbitrary<ActionCommand> {
  const o = resolveGeneratorOptions(options);
  const all = { ...environmentArbs, ...clientArbs(o), ...serverArbs() };
  const choices = capabilities.actions
    .filter((k) => all[k] !== undefined)
    .map((k) => ({ weight: ACTION_WEIGHTS[k], arbitrary: all[k]! }));
  if (choices.length === 0) throw new Error('the adapter supports no action the generators know');
  // The shrink target of every command (see SKIP). fast-check cross-shrinks only to a first
  // branch of non-zero weight, so about 2% of drawn commands are skips; they cost nothing.
  return fc.oneof({ withCrossShrink: true }, { weight: 1, arbitrary: fc.constant(SKIP) }, ...choices);
}

export interface RunInput {
  /** Seed for the adapter's own randomness. */
  seed: number;
  world: World;
  commands: Iterable<fc.Command<GenModel, ActionSink>>;
  /** Action kinds this run leaves out (swarm testing); their commands are skipped. */
  omitted?: readonly ActionKind[];
  /** Most actions the run applies; later commands are skipped. Default: no limit. */
  maxActions?: number;
}

/**
 * Kinds no run leaves out: without the first three nothing happens, and calls are what every
 * program does. CoDisconnectObject is left out of some runs like any other kind: kept in
 * every run, it ended shared objects before their last holder released them, and RELEASE-RECLAIM's
 * "last of several holders on one machine" took 281 runs at the median to reach (123 without).
 */
export const SWARM_KEEPS: readonly ActionKind[] = ['start', 'activate', 'advance', 'call'];

/**
 * Kinds a run keeps or leaves out with another: a heal needs a partition before it, and a
 * partition that outlasts the rundown window and then heals is where recovery is tested, so
 * a run that may partition may also heal.
 */
export const SWARM_FOLLOWS: Partial<Record<ActionKind, ActionKind>> = { heal: 'partition' };

/**
 * Swarm testing (Groce et al., ISSTA 2012): each run leaves out each other action kind with
 * probability 1/2. Runs then dwell on a few kinds, which reaches deep interleavings of those
 * (two processes of one machine, pings between their changes, a crash) far more often than
 * runs that spread the same length over every kind. Drawn as one bit mask, a bit per kind:
 * a boolean per kind cost more to draw than a run's world. Shrinks towards leaving nothing
 * out (the mask towards 0).
 */
function omittedArb(capabilities: Pick<Capabilities, 'actions'>): fc.Arbitrary<ActionKind[]> {
  const kinds = capabilities.actions.filter((k) => !SWARM_KEEPS.includes(k) && !SWARM_FOLLOWS[k]);
  const followers = capabilities.actions.filter((k) => SWARM_FOLLOWS[k]);
  // Bit masks stay below 2^31: with more kinds than that, the rest are never left out.
  const bits = Math.min(kinds.length, 30);
  return fc.integer({ min: 0, max: 2 ** bits - 1 }).map((mask) => {
    const out = kinds.filter((_, i) => i < bits && (mask >> i) & 1);
    for (const k of followers) if (!capabilities.actions.includes(SWARM_FOLLOWS[k]!) || out.includes(SWARM_FOLLOWS[k]!)) out.push(k);
    return out;
  });
}

/**
 * Commands drawn for a run of at most `maxActions` actions. fast-check draws a sequence length
 * uniformly up to the maximum; a run's first commands mostly find no process or proxy to act
 * on, and about half of the others are skipped too. At three per action, runs of at most 20
 * averaged 10 actions and one in six did nothing at all; with a hundred more they average 16.
 * Drawing many more for long runs only costs generation: they reach their limit anyway.
 */
function maxCommands(maxActions: number): number {
  return 3 * maxActions + 100;
}

type Commands = Iterable<fc.Command<GenModel, ActionSink>>;

/**
 * A generated run that carries fast-check's clone hook itself. fast-check clones the commands
 * of every run (they record which of them ran); mapped onto a plain object, that clone is
 * wrapped in property getters and closures that cost more than generating the run did.
 */
class GeneratedRun implements RunInput {
  constructor(
    readonly commands: Commands,
    readonly world: World,
    readonly seed: number,
    readonly omitted: ActionKind[],
    readonly maxActions: number,
  ) {}

  [fc.cloneMethod](): GeneratedRun {
    const commands = this.commands as Commands & { [fc.cloneMethod](): Commands };
    return new GeneratedRun(commands[fc.cloneMethod](), this.world, this.seed, this.omitted, this.maxActions);
  }
}

/** A whole run: adapter seed, starting world and a command sequence. */
export function runArb(capabilities: Pick<Capabilities, 'actions'>, options?: GeneratorOptions): fc.Arbitrary<RunInput> {
  const o = resolveGeneratorOptions(options);
  // About half the drawn commands find nothing to act on (no proxy to release yet) and are
  // skipped, so more are drawn than may run; the model caps the actions applied.
  const commands = fc.commands([actionArb(capabilities, options)], {
    maxCommands: maxCommands(o.maxActions),
    size: 'max',
  });
  // fast-check shrinks a tuple entry by entry in this order: the actions first, because each
  // shrink attempt is a whole run, and on a real target runs cost real time that a budget caps.
  return fc
    .tuple(commands, worldArb, fc.integer({ min: 0, max: 0x7fffffff }), omittedArb(capabilities))
    .map(([c, world, seed, omitted]) => new GeneratedRun(c, world, seed, omitted, o.maxActions));
}

export function newModel(omitted?: readonly ActionKind[], maxActions?: number): GenModel {
  return new GenModel(omitted, maxActions);
}
