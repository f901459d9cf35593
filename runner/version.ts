/** Kept for callers that import the kit's root and version from the runner. */
export { KIT_ROOT, KIT_VERSION } from '../spec/kit';
