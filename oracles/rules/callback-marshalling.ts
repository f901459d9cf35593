import { CALL_TIMEOUT_MS, HR, formatHr, isSuccess, systemAdmitted, type TraceEvent } from '../../spec';
import { Checker } from '../checker';
import type { RunState } from '../state';

interface Pass {
  step: number;
  admitted: boolean;
  transport: string;
}

interface Invoke {
  step: number;
  callback: string;
  delivered: boolean;
}

const ACCESS_ERRORS = new Set<number>([HR.E_ACCESSDENIED, HR.RPC_E_ACCESS_DENIED]);

/**
 * CALLBACK-MARSHALLING (Q255890; MS-DCOM 3.1.1.5.4). Judged on every callback passed while
 * the object lives and the server is reachable, and on every invocation of a held callback
 * whose client lives and is reachable.
 */
export class CallbackMarshalling extends Checker {
  private passes = new Map<number, Pass>();
  private invoke: Invoke | null = null;

  observe(e: TraceEvent, s: RunState): void {
    if (e.kind === 'action') {
      this.closeInvoke(s);
      const a = e.action;
      if (a.kind === 'passCallback') {
        const h = s.handleOf(a.handle);
        const obj = h && s.objects.get(h.oid);
        if (!h || !obj || obj.reclaimedAt !== undefined || s.isPartitioned(h.machine, h.exporter) || !s.processAlive(h.holder)) return;
        const admitted = systemAdmitted(s.world.machines[h.machine].access);
        const transport = h.machine === h.exporter ? 'local' : s.transport(h.machine, h.exporter);
        this.passes.set(e.step, { step: e.step, admitted, transport });
      } else if (a.kind === 'invokeCallback') {
        const h = s.handleOf(`callback:${a.callback}`);
        const obj = h && s.objects.get(h.oid);
        if (!h || !obj || obj.reclaimedAt !== undefined || !obj.exporterProcess || !s.processAlive(obj.exporterProcess)) return;
        if (s.isPartitioned(h.machine, h.exporter)) return;
        this.invoke = { step: e.step, callback: a.callback, delivered: false };
      }
      return;
    }
    if (e.kind === 'callbackDelivered' && this.invoke && e.step === this.invoke.step && e.callback === this.invoke.callback) {
      this.invoke.delivered = true;
    }
    if ((e.kind === 'completed' || e.kind === 'hung') && this.passes.has(e.step)) {
      const pass = this.passes.get(e.step)!;
      this.passes.delete(e.step);
      this.judgePass(pass, e, s);
    }
  }

  override finish(s: RunState): void {
    this.closeInvoke(s);
  }

  private judgePass(pass: Pass, e: TraceEvent & { kind: 'completed' | 'hung' }, s: RunState): void {
    const action = s.actionEvents[pass.step];
    const hung = e.kind === 'hung' || e.at - action.at > CALL_TIMEOUT_MS;
    const who = `SYSTEM ${pass.admitted ? 'admitted' : 'denied'}`;
    this.exercise(`callback, ${who}, ${pass.transport}`);
    const result = hung ? 'hangs' : `returns ${formatHr((e as { hr: number }).hr)}`;
    if (pass.admitted) {
      if (hung || !isSuccess((e as { hr: number }).hr)) this.fail(`passing a callback with ${who} ${result}; it must succeed`, [action, e]);
      return;
    }
    if (!hung && isSuccess((e as { hr: number }).hr)) {
      this.fail(`a callback was accepted although SYSTEM is denied on the client machine`, [action, e]);
      return;
    }
    if (!hung && ACCESS_ERRORS.has((e as { hr: number }).hr >>> 0)) return;
    // Q255890 documents exactly these two symptoms on NT4.
    const documented = hung || (e as { hr: number }).hr >>> 0 === HR.E_OUTOFMEMORY;
    const severity = documented && this.ctx.profile === 'nt4' ? 'non-strict' : 'fail';
    this.fail(`passing a callback with ${who} over ${pass.transport} ${result} instead of failing with an access error`, [action, e], severity);
  }

  private closeInvoke(s: RunState): void {
    const inv = this.invoke;
    if (!inv) return;
    this.invoke = null;
    this.exercise('held callback invoked');
    const result = s.steps[inv.step]?.result;
    const ok = result?.kind === 'completed' && isSuccess(result.hr);
    if (inv.delivered && ok) return;
    const what = !result || result.kind === 'hung' ? 'hangs' : ok ? 'reports success but never reaches the client' : `fails with ${formatHr(result.hr)}`;
    this.fail(`the server's call into held callback ${inv.callback} ${what}`, [s.actionEvents[inv.step], result]);
  }
}
