import { SimulatedAdapter } from '../../adapters/reference';
import { NT4_RELEASES } from '../../adapters/reference/releases';
import { runCampaign, type CampaignResult } from '../../runner';
import { buildCertificate, type Certificate } from '../../runner/certificate';
import type { CorpusCase } from '../../runner/corpus';
import type { Shard } from '../../runner/shard';
import { PROFILES } from '../../spec';

export function adapterFor(name: string): SimulatedAdapter {
  const release = NT4_RELEASES.find((r) => r.name === name);
  return release ? new SimulatedAdapter(name, release.behaviour) : new SimulatedAdapter(name);
}

const made = new Map<string, Promise<Certificate>>();

/** A certificate from small campaigns of a simulated adapter, both profiles (made once per arguments; tests clone before editing). */
export function certify(name: string, runs: number, seed: number, extra: { shard?: Shard; corpus?: CorpusCase[] } = {}): Promise<Certificate> {
  const key = JSON.stringify([name, runs, seed, extra]);
  if (!made.has(key)) made.set(key, certifyFresh(name, runs, seed, extra));
  return made.get(key)!.then((c) => JSON.parse(JSON.stringify(c)));
}

export async function certifyFresh(name: string, runs: number, seed: number, extra: { shard?: Shard; corpus?: CorpusCase[] } = {}): Promise<Certificate> {
  const results: CampaignResult[] = [];
  for (const profile of PROFILES) results.push(await runCampaign(adapterFor(name), { profile, runs, seed, ...extra }));
  return buildCertificate({ adapter: adapterFor(name).capabilities, spec: { kind: 'name', value: name }, campaign: { seed, runs, shard: extra.shard }, corpus: extra.corpus, results });
}
