/** dcomkit/jest: a DCOM conformance campaign as jest tests, one per rule. */
export { describeConformance } from './describe-conformance';
export type { ConformanceOptions } from './settings';
export type { ConformanceAdapter } from './choice';
