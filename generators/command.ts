/** One generated action as a fast-check model-based command. */
import fc from 'fast-check';
import { describeAction, type Action, type ActionKind, type AdapterEvent } from '../spec';
import type { GenModel } from './model';

/**
 * Where commands send their actions: the runner's recorder in front of an adapter. It answers
 * at once when its adapter can, and the runs then go through fc.modelRun without promises.
 */
export interface ActionSink {
  apply(action: Action): readonly AdapterEvent[] | Promise<readonly AdapterEvent[]>;
}

/**
 * Typed as fast-check's synchronous Command: with a synchronous sink `run` returns nothing;
 * otherwise it returns a promise, which asyncModelRun awaits.
 *
 * A command may be shared: by the shrink candidates of its run, and (for actions that take no
 * parameters) by every run. It keeps nothing between a check and the run that follows it but
 * the action it resolved, and fast-check runs a command right after checking it.
 */
export class ActionCommand implements fc.Command<GenModel, ActionSink> {
  /** The action as last resolved, for fast-check's reports. */
  private last: Action | undefined;
  /** What check resolved, for the run that follows. */
  private checked: Action | undefined;

  constructor(
    readonly kind: ActionKind,
    /** The action against the model as it is now; undefined when there is nothing to act on. */
    readonly resolve: (model: GenModel) => Action | undefined,
  ) {}

  check(model: Readonly<GenModel>): boolean {
    if (model.applied >= model.limit || model.omitted.has(this.kind)) return false;
    const action = (this.checked = this.resolve(model as GenModel));
    return action !== undefined && (model as GenModel).canApply(action);
  }

  run(model: GenModel, sink: ActionSink): void | Promise<void> {
    const action = this.checked!;
    this.checked = undefined;
    this.last = action;
    const reported = sink.apply(action);
    if (reported instanceof Promise) return reported.then((events) => model.update(action, events));
    model.update(action, reported);
  }

  toString(): string {
    return this.last ? describeAction(this.last) : this.kind;
  }
}
