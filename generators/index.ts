export { ActionCommand, ACTION_WEIGHTS, actionArb, newModel, runArb, type ActionSink, type RunInput } from './commands';
export { accessArb, advanceMsArb, worldArb } from './environment';
export { GenModel } from './model';
export type { GeneratorOptions } from './options';
export type { ActionTemplate } from './template';
