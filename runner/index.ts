export { runCampaign, type CampaignOptions, type CampaignResult, type RuleTally, type RunError } from './campaign';
export { COUNTEREXAMPLE_FORMAT, type Counterexample } from './counterexample';
export { executeRun, replayActions, type RunRecord } from './execute';
export { TraceRecorder } from './recorder';
export { KIT_ROOT, KIT_VERSION } from './version';
export { AdapterStepTimeout, DEFAULT_STEP_LIMIT_MS, guardAdapter } from './guard';
