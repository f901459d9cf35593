export { describeWorld, formatCampaign, formatCounterexample, formatVerdicts } from './text';
