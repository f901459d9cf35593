import { CALLING_KINDS, formatHr, formatMs, type TraceEvent } from '../../spec';
import { Checker, type CheckContext } from '../checker';
import type { RunState } from '../state';

/** UNREACHABLE-CALL (Q255198), informational: how calls to an unreachable peer end. */
export class UnreachableCall extends Checker {
  private pending = new Map<number, string>();

  constructor(rule: 'UNREACHABLE-CALL', ctx: CheckContext) {
    super(rule, ctx);
    this.informational = true;
  }

  observe(e: TraceEvent, s: RunState): void {
    if (e.kind === 'action' && CALLING_KINDS.has(e.action.kind)) {
      const a = e.action;
      const activation = a.kind === 'activate' || a.kind === 'activateShared';
      const handle = activation ? undefined : 'handle' in a ? s.handleOf(a.handle) : a.kind === 'invokeCallback' ? s.handleOf(`callback:${a.callback}`) : undefined;
      const machine = activation ? s.processes.get(a.process)?.machine : handle?.machine;
      const peer = a.kind === 'activate' ? (a.serverInfo || a.clsctx === 'remote' ? 'server' : machine) : a.kind === 'activateShared' ? 'server' : handle?.exporter;
      if (machine && peer && s.isPartitioned(machine, peer)) this.pending.set(e.step, s.transport(machine, peer));
      return;
    }
    if ((e.kind !== 'completed' && e.kind !== 'hung') || !this.pending.has(e.step)) return;
    const transport = this.pending.get(e.step)!;
    this.pending.delete(e.step);
    const took = formatMs(e.at - s.actionEvents[e.step].at);
    this.exercise(e.kind === 'hung' ? `${transport}: hang` : `${transport}: ${formatHr(e.hr)} after ${took}`);
  }
}
