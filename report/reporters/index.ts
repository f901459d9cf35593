/** The certificate reporters by name, vitest style: `--reporter html,junit`. */
import { htmlReporter } from './html';
import { jsonReporter } from './json';
import { junitReporter } from './junit';
import { textReporter } from './text';
import type { Reporter } from './types';

export type { Reporter } from './types';

const registry = new Map<string, Reporter>();

export function registerReporter(reporter: Reporter): void {
  registry.set(reporter.name, reporter);
}

export function getReporter(name: string): Reporter | undefined {
  return registry.get(name);
}

export function reporterNames(): string[] {
  return [...registry.keys()];
}

for (const r of [textReporter, jsonReporter, htmlReporter, junitReporter]) registerReporter(r);

/** What certify and merge write unless told otherwise. */
export const DEFAULT_REPORTERS = ['json', 'html', 'junit'] as const;

export { htmlReporter, jsonReporter, junitReporter, textReporter };
