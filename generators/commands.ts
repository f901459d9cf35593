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
  start: 4,
  // Activations into a ping set that already exists are the ComplexPing adds whose sequence
  // numbers, and late duplicates, the exporter must get right: at weight 5 one run in nine
  // had one, at 8 one in five.
  activate: 8,
  activateShared: 4,
  handOver: 4,
  advance: 12,
  release: 3,
  call: 2,
  passCallback: 2,
  queryInterface: 2,
  setBlanket: 2,
  exit: 2,
  crash: 3,
  // A program that ends without CoUninitialize is as ordinary as one that calls it.
  abandon: 2,
  addRef: 1,
  initSecurity: 1,
  invokeCallback: 2,
  releaseCallback: 1,
  disconnect: 2,
  serverCrash: 1,
  faultNextRelease: 1,
  setAccess: 1,
  setProtocols: 1,
  setTrust: 1,
  partition: 1,
  heal: 1,
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

/** Kinds no run leaves out: without them nothing happens. */
export const SWARM_KEEPS: readonly ActionKind[] = ['start', 'activate', 'advance'];

/**
 * Swarm testing (Groce et al., ISSTA 2012): each run leaves out each other action kind with
 * probability 1/2. Runs then dwell on a few kinds, which reaches deep interleavings of those
 * (two processes of one machine, pings between their changes, a crash) far more often than
 * runs that spread the same length over every kind. Drawn as one bit mask, a bit per kind:
 * a boolean per kind cost more to draw than a run's world. Shrinks towards leaving nothing
 * out (the mask towards 0).
 */
function omittedArb(capabilities: Pick<Capabilities, 'actions'>): fc.Arbitrary<ActionKind[]> {
  const kinds = capabilities.actions.filter((k) => !SWARM_KEEPS.includes(k));
  // Bit masks stay below 2^31: with more kinds than that, the rest are never left out.
  const bits = Math.min(kinds.length, 30);
  return fc.integer({ min: 0, max: 2 ** bits - 1 }).map((mask) => kinds.filter((_, i) => i < bits && (mask >> i) & 1));
}

/** Commands drawn per action a run may apply. */
const COMMANDS_PER_ACTION = 3;

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
  // skipped, so three times as many are drawn as may run; the model caps the actions applied.
  const commands = fc.commands([actionArb(capabilities, options)], {
    maxCommands: COMMANDS_PER_ACTION * o.maxActions,
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
