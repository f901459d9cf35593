export { describeShrink, describeWorld, firstFailure, formatCampaign, formatCounterexample, formatErrors, formatHeader, formatTrace, formatVerdicts } from './text';
export { describeRow, traceRows, type TraceRow } from './trace';
export { DEFAULT_REPORTERS, getReporter, registerReporter, reporterNames, type Reporter } from './reporters';
export { renderHtml } from './reporters/html';
export { renderJunit, xmlText } from './reporters/junit';
export { renderText } from './reporters/text';
export { sequenceDiagram } from './html/sequence';
export { campaignTiming, type CampaignTiming, type ReportTimings } from './timing';
