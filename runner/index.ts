export { attempted, DEFAULT_REAL_CLOCK_RUNS, DEFAULT_RUNS, defaultRuns, mostlyErrors, REAL_CLOCK_SHRINK, runCampaign, shrinkBudget, type CampaignOptions, type CampaignProgress, type CampaignResult, type CampaignStop, type RuleTally, type RunError } from './campaign';
export { decideVerdict, DEFAULT_MIN_EVIDENCE } from './verdict';
export { COUNTEREXAMPLE_FORMAT, type Counterexample } from './counterexample';
export { executeRun, replayActions, RunInterrupted, type RunRecord } from './execute';
export { TraceRecorder } from './recorder';
export { KIT_ROOT, KIT_VERSION } from './version';
export { AdapterStepTimeout, DEFAULT_STEP_LIMIT_MS, guardAdapter } from './guard';
