/**
 * Sharding: one campaign's runs split over several machines. Shard i of n (1-based, as in
 * `--shard 2/4`) executes the runs whose index is congruent to i-1 modulo n. Every shard
 * generates the same sequence of runs from the campaign seed, so the shards together execute
 * exactly the runs of the unsharded campaign, each once, and merged tallies equal its own.
 */

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses "i/n"; returns an error message for anything else. */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return `--shard takes i/n (for example 2/4), not '${text}'`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 10_000) return `--shard: the shard count must be from 1 to 10000, not ${count}`;
  if (index < 1 || index > count) return `--shard: the shard index must be from 1 to ${count}, not ${index}`;
  return { index, count };
}

/** Whether the campaign's run `run` (0-based) belongs to the shard; without a shard, every run does. */
export function inShard(run: number, shard: Shard | undefined): boolean {
  return !shard || run % shard.count === shard.index - 1;
}

/** How many of a campaign's `total` runs the shard executes. */
export function shardRuns(total: number, shard: Shard | undefined): number {
  if (!shard) return total;
  const i = shard.index - 1;
  return i >= total ? 0 : Math.floor((total - 1 - i) / shard.count) + 1;
}

export function formatShard(shard: Shard | undefined): string {
  return shard ? `${shard.index}/${shard.count}` : '1/1';
}
