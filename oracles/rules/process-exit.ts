import { EXIT_PROMPT_MS, formatMs, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { RunState } from '../state';

/** PROCESS-EXIT (Q224837): a client whose program ended is gone promptly. */
export class ProcessExit extends Checker {
  private due: Array<{ process: string; by: number; step: number }> = [];

  observe(e: TraceEvent, s: RunState): void {
    if (this.due.length) this.settle(s, e.at);
    if (e.kind !== 'action') return;
    const a = e.action;
    if (a.kind !== 'exit' && a.kind !== 'abandon' && a.kind !== 'crash') return;
    if (s.processes.get(a.process)?.endKind !== a.kind) return;
    this.exercise(a.kind === 'exit' ? 'after CoUninitialize' : a.kind === 'abandon' ? 'without CoUninitialize' : 'after a crash');
    this.due.push({ process: a.process, by: e.at + this.ctx.bound(EXIT_PROMPT_MS), step: e.step });
  }

  override finish(s: RunState): void {
    this.settle(s, Infinity);
  }

  /** A process that ended and has not exited may still do so until its due time. */
  override pendingUntil(s: RunState): number {
    let until = -Infinity;
    for (const d of this.due) if (s.processes.get(d.process)?.exitedAt === undefined && d.by > until) until = d.by;
    return until;
  }

  private settle(s: RunState, now: number): void {
    this.due = this.due.filter((d) => {
      const exited = s.processes.get(d.process)?.exitedAt;
      if (exited !== undefined && exited <= d.by) return false;
      if (exited === undefined && now <= d.by) return true;
      const how = exited === undefined ? 'never exited' : `exited only after ${formatMs(exited - s.actionEvents[d.step].at)}`;
      this.fail(`${d.process} ${how} after its program ended`, [s.actionEvents[d.step]]);
      return false;
    });
  }
}
