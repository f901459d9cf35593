/** How generated runs are shaped. */
export interface GeneratorOptions {
  /** Most actions in one run, before the runner's settle period. Default 20. */
  maxActions?: number;
  /** Most client processes started in one run. Default 3. */
  maxProcesses?: number;
}

export interface ResolvedGeneratorOptions {
  maxActions: number;
  maxProcesses: number;
}

export function resolveGeneratorOptions(o: GeneratorOptions = {}): ResolvedGeneratorOptions {
  return { maxActions: o.maxActions ?? 20, maxProcesses: o.maxProcesses ?? 3 };
}
