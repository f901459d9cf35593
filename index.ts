/**
 * dcomkit's public API, for teams that run the kit from their own code or tests: the
 * vocabulary and the adapter contract, campaigns, judging, certificates and the built-in
 * adapters. `dcomkit/jest` adds describeConformance; the `dcomkit` command does the rest.
 */
export * from './spec';
export { runCampaign, replayActions, KIT_VERSION, COUNTEREXAMPLE_FORMAT, type CampaignOptions, type CampaignResult, type Counterexample, type RuleTally, type RunError, type RunRecord } from './runner';
export { judge } from './oracles';
export type { GeneratorOptions } from './generators';
export { buildCertificate, mergeCertificates, diffCertificates, type Certificate, type CertificateInput, type CertifiedRule, type CertificateDiff } from './runner/certificate';
export { verifyCertificate, type VerifyOptions, type VerifyReport, type VerifyCheck } from './runner/certificate-verify';
export { loadCorpus, type CorpusCase } from './runner/corpus';
export { BUILTIN_ADAPTERS, findAdapter } from './adapters';
export { referenceAdapter, simulatedFactory, NT4_RELEASES, CORRECT, type Behaviour } from './adapters/reference';
export { nodeDcomAdapter } from './adapters/node-dcom';
export { wineAdapter } from './adapters/wine';
export { spawnAdapter, type ProcessAdapterOptions } from './adapters/process';
export { formatCampaign, formatCounterexample } from './report';
