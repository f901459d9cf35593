/** Carries out one run against an adapter: reset, the actions, then the settle period. */
import fc from 'fast-check';
import { SETTLE_MS, type Action, type Adapter, type Trace, type World } from '../spec';
import { newModel, type GenModel, type RunInput } from '../generators';
import { RunInterrupted, TraceRecorder } from './recorder';
import { settleRun } from './settle';

export { RunInterrupted };

export interface RunRecord {
  trace: Trace;
  /** The actions that ran (commands skipped by fast-check are not here). */
  actions: Action[];
}

/** The settle period (at most settleMs), then the run as recorded: at once when the adapter answers at once. */
function settle(recorder: TraceRecorder, settleMs: number): RunRecord | Promise<RunRecord> {
  const recorded = (): RunRecord => ({ trace: recorder.trace(), actions: recorder.actions });
  const settled = settleRun(recorder, settleMs);
  return settled instanceof Promise ? settled.then(recorded) : recorded();
}

/** A generated run, through fast-check's model runner. */
export function executeRun(adapter: Adapter, input: RunInput, settleMs = SETTLE_MS, signal?: AbortSignal): Promise<RunRecord> {
  const recorder = new TraceRecorder(adapter, input.seed, input.world, signal);
  // fast-check's own model runner: it checks each command against the model, runs those that
  // apply and records which ran, which is what its shrinker works from. (A hand-written loop
  // was measured against it in one process: no difference in actions per second.)
  const setup = () => ({ model: newModel(input.omitted, input.maxActions), real: recorder });
  if (!adapter.sync) return executeAsync(recorder, setup, input, settleMs);
  // A synchronous adapter's run is carried out at once, with no promise but the one returned.
  try {
    recorder.resetSync();
    fc.modelRun(setup, input.commands);
    return Promise.resolve(settle(recorder, settleMs));
  } catch (err) {
    return Promise.reject(err);
  }
}

async function executeAsync(
  recorder: TraceRecorder,
  setup: () => { model: GenModel; real: TraceRecorder },
  input: RunInput,
  settleMs: number,
): Promise<RunRecord> {
  await recorder.reset();
  // Every command's run returns a promise, which asyncModelRun awaits.
  await fc.asyncModelRun(setup, input.commands as Iterable<fc.AsyncCommand<GenModel, TraceRecorder>>);
  return settle(recorder, settleMs);
}

/** A recorded run, action by action: how counterexamples replay. */
export async function replayActions(
  adapter: Adapter,
  seed: number,
  world: World,
  actions: readonly Action[],
  settleMs = SETTLE_MS,
  signal?: AbortSignal,
): Promise<RunRecord> {
  const recorder = new TraceRecorder(adapter, seed, world, signal);
  await recorder.reset();
  for (const a of actions) await recorder.apply(a);
  return settle(recorder, settleMs);
}
