/**
 * An action in waiting: it names its targets by position among what exists when it runs
 * ("the 2nd live proxy"), and new things get the next free name. Resolving against the
 * model at run time makes almost every generated command applicable, and a shrunk sequence
 * still refers to things that exist.
 */
import type { Action, ActionKind } from '../spec';
import { ActionCommand } from './command';
import type { GenModel } from './model';

/**
 * The command the template arbitraries build. They make it themselves rather than map a
 * template into one: every map is a layer fast-check wraps each of tens of thousands of
 * drawn commands in.
 */
export function template(kind: ActionKind, resolve: (model: GenModel) => Action | undefined): ActionCommand {
  return new ActionCommand(kind, resolve);
}

/** The `pick`-th of a non-empty list, wrapping around; undefined for an empty one. */
export function pickFrom<T>(items: readonly T[], pick: number): T | undefined {
  return items.length === 0 ? undefined : items[pick % items.length];
}

export function fixed(action: Action): ActionCommand {
  return template(action.kind, () => action);
}

/**
 * What any command can shrink to: it never applies, so fast-check skips it and drops it from
 * the next round. fast-check's commands shrinker keeps a sequence's tail (it expects the
 * failure inside the last command run); our rules judge after the settle period, so a
 * trailing command could otherwise never be removed.
 */
export const SKIP: ActionCommand = template('advance', () => undefined);
