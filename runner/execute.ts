/** Carries out one run against an adapter: reset, the actions, then the settle period. */
import { SETTLE_MS, type Action, type Adapter, type Trace, type World } from '../spec';
import { newModel, type RunInput } from '../generators';
import { TraceRecorder } from './recorder';

export interface RunRecord {
  trace: Trace;
  /** The actions that ran (commands skipped by fast-check are not here). */
  actions: Action[];
}

async function settle(recorder: TraceRecorder, settleMs: number): Promise<RunRecord> {
  await recorder.apply({ kind: 'advance', ms: settleMs }, true);
  return { trace: recorder.trace(), actions: recorder.actions };
}

/** A generated run, through fast-check's model runner. */
export async function executeRun(adapter: Adapter, input: RunInput, settleMs = SETTLE_MS): Promise<RunRecord> {
  const recorder = new TraceRecorder(adapter, input.seed, input.world);
  await recorder.reset();
  // What fc.asyncModelRun does (check each command against the model, run those that
  // apply, in order), without its chain of a promise or two per command: most commands of a
  // run are skipped, and the chain cost more than the simulation itself. The commands are
  // fast-check's wrappers, which record that they ran, so shrinking sees the same runs.
  const model = newModel(input.omitted);
  for (const command of input.commands) {
    if (command.check(model)) await command.run(model, recorder);
  }
  return settle(recorder, settleMs);
}

/** A recorded run, action by action: how counterexamples replay. */
export async function replayActions(
  adapter: Adapter,
  seed: number,
  world: World,
  actions: readonly Action[],
  settleMs = SETTLE_MS,
): Promise<RunRecord> {
  const recorder = new TraceRecorder(adapter, seed, world);
  await recorder.reset();
  for (const a of actions) await recorder.apply(a);
  return settle(recorder, settleMs);
}
