/**
 * Progress on stderr: on a terminal a live line, rewritten at most ten times a second; in a CI
 * log a plain line at most every 10 s, so a long campaign (or a long shrink) shows it is alive
 * without flooding the log.
 */
import type { CampaignProgress } from '../runner';

const TTY_EVERY_MS = 100;
/** Off a terminal; DCOMKIT_PROGRESS_EVERY_MS changes it (a CI that wants a denser log, a test). */
const LOG_EVERY_MS = Number(process.env.DCOMKIT_PROGRESS_EVERY_MS) || 10_000;

export class Progress {
  private last = 0;
  private shown = false;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly prefix = '',
  ) {}

  update(text: string): void {
    const now = Date.now();
    if (this.stream.isTTY) {
      if (now - this.last < TTY_EVERY_MS) return;
      this.last = now;
      this.shown = true;
      this.stream.write(`\r\x1b[K${this.prefix}${text}`);
      return;
    }
    // Off a terminal: the first line after 10 s, then one every 10 s.
    if (now - Math.max(this.last, this.started) < LOG_EVERY_MS) return;
    this.last = now;
    this.stream.write(`dcomkit: ${this.prefix}${text}\n`);
  }

  /** A campaign's progress, in words. */
  campaign(p: CampaignProgress): void {
    if (p.phase === 'runs') {
      const failing = p.failedRules ? `, ${p.failedRules} rule${p.failedRules === 1 ? '' : 's'} failing` : '';
      const errors = p.errors ? `, ${p.errors} adapter error${p.errors === 1 ? '' : 's'}` : '';
      this.update(`run ${p.done}/${p.total}${failing}${errors}`);
    } else {
      const left = p.rulesLeft ? ` (${p.rulesLeft} more rule${p.rulesLeft === 1 ? '' : 's'} to shrink)` : '';
      this.update(`shrinking ${p.rule}: ${p.attempts} attempt${p.attempts === 1 ? '' : 's'}, ${p.actions} action${p.actions === 1 ? '' : 's'} so far${left}`);
    }
  }

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
