export { ActionCommand, type ActionSink } from './command';
export { ACTION_WEIGHTS, actionArb, newModel, runArb, type RunInput } from './commands';
export { accessArb, advanceMsArb, worldArb } from './environment';
export { GenModel } from './model';
export type { GeneratorOptions } from './options';
