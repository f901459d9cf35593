/**
 * The impacket adapter: each client process is a Python process (Debian's /usr/bin/python3)
 * running impacket's DCOM client, unmodified, against the loopback wire emulator. The adapter
 * owns the one virtual clock: it moves the emulator and every client process together, one due
 * timer at a time; a client's ping timer (dcomrt.Timer, replaced in the driver) fires when the
 * clock reaches it, and the adapter waits until the ping's function has returned.
 */
import { performance } from 'node:perf_hooks';
import type { Action, Capabilities, HandleId } from '../../spec';
import { EmulatedAdapter, type ClientProc } from '../emulated/adapter';
import type { FaultRule } from '../wire/faults';
import { EMULATOR_NT_HASH, type ServerOptions, type WireServer } from '../wire/server';
import type { ImpacketProcess } from './child-process';
import type { ProgramStep } from './messages';
import { SparePool } from './pool';
import { IMPACKET_DRIVER, PYTHON } from './setup';

export interface ImpacketOptions {
  /** impacket's version as the set-up check found it (capabilities.version). */
  version: string;
  /** Server-side fault rules applied from reset on. */
  faults?: FaultRule[];
  /** Real ms without any network activity after which an unanswered step counts as blocked (default 2000). */
  idleMs?: number;
  /** Client processes kept forked ahead of need (default 3). */
  spares?: number;
  /** Sees every PDU the emulator reads or writes (fixtures, debugging). */
  tap?: ServerOptions['tap'];
}

export const IMPACKET_ACTIONS: Capabilities['actions'] = [
  'start',
  'activate',
  'queryInterface',
  'addRef',
  'release',
  'call',
  'exit',
  'abandon',
  'crash',
  'advance',
  'partition',
  'heal',
  'disconnect',
  'serverCrash',
  'faultNextRelease',
];

/** impacket exports no callbacks: none to observe. */
export const IMPACKET_OBSERVES: Capabilities['observes'] = ['pings', 'reclaims', 'exits'];

interface Proc extends ClientProc {
  client: ImpacketProcess;
}

type Done = NonNullable<Awaited<ReturnType<ImpacketProcess['run']>>>;

export class ImpacketAdapter extends EmulatedAdapter<Proc> {
  readonly capabilities: Capabilities;

  protected readonly pool: SparePool;
  private readonly idleMs: number;

  constructor(options: ImpacketOptions) {
    super({ faults: options.faults, tap: options.tap });
    this.capabilities = {
      name: 'impacket',
      version: options.version,
      actions: IMPACKET_ACTIONS,
      observes: IMPACKET_OBSERVES,
      clock: { kind: 'virtual' },
    };
    this.idleMs = options.idleMs ?? 2_000;
    this.pool = new SparePool({ python: PYTHON, driver: IMPACKET_DRIVER, ntHash: EMULATOR_NT_HASH.toString('hex') }, options.spares ?? 3);
  }

  /** Pids of every client process, spares included (for leak checks). */
  clientPids(): number[] {
    return [...[...this.procs.values()].map((p) => p.client.pid), ...this.pool.pids()].filter((x): x is number => x !== undefined);
  }

  protected async own(action: Action, server: WireServer): Promise<boolean> {
    switch (action.kind) {
      case 'start': {
        if (this.procs.has(action.process)) throw new Error(`process ${action.process} already started`);
        const client = await this.pool.take();
        if (!(await client.begin(this.now, server.port('scm', action.machine)))) throw new Error(`impacket client process for ${action.process} died before it began: ${client.errorOutput.trim().slice(-300)}`);
        this.procs.set(action.process, { id: action.process, machine: action.machine, client, exitReported: false });
        if (!action.authenticated) this.note(`${action.process}: impacket always authenticates (NTLMv2); started authenticated`);
        break;
      }
      case 'activate': {
        const proc = this.proc(action.process);
        if (this.local(action)) break;
        if (action.authInfo) this.note(`${action.process}: impacket takes no COAUTHINFO; activated with the process's credentials`);
        await this.call(proc, { op: 'activate', handle: action.handle }, action.handle);
        break;
      }
      case 'queryInterface':
        await this.call(this.procOf(action.handle), { op: 'queryInterface', handle: action.handle, newHandle: action.newHandle, iid: action.iid }, action.newHandle);
        break;
      case 'abandon': {
        const proc = this.proc(action.process);
        await proc.client.end();
        await this.checkExits();
        break;
      }
      case 'crash': {
        const proc = this.proc(action.process);
        await proc.client.kill();
        this.reportExit(proc);
        break;
      }
      default:
        return false;
    }
    return true;
  }

  /** Every process is killed when its run is over: a fork costs milliseconds. */
  protected retire(proc: Proc): Promise<void> {
    return proc.client.kill();
  }

  // --- program steps ---------------------------------------------------------------------

  /**
   * A call: its answer belongs to this step. impacket answers at once against the emulator
   * unless an answer never comes (an injected drop); then virtual time moves (pings and all)
   * until it returns or the call timeout passes, which makes it a hang.
   */
  protected async call(proc: Proc, step: ProgramStep, newHandle?: HandleId): Promise<void> {
    const got = await this.answer(proc.client.run(step));
    if (got === null || got.value === null) {
      if (got) await this.lost(proc, step);
      this.hung(got ? 'the client process is gone' : 'impacket never returned');
      return;
    }
    this.logged(proc, got.value.log);
    this.completed(proc, got.value.result, newHandle);
    await this.checkExits();
  }

  /** A step that is not a call (AddRef, Release, exit): it may finish later; only failures are noted. */
  protected async background(proc: Proc, step: ProgramStep): Promise<void> {
    let finished = false;
    let done: Done | null = null;
    void proc.client.run(step).then((d) => {
      finished = true;
      done = d;
      if (d === null) return;
      this.logged(proc, d.log);
      if (!d.result.ok) this.note(`${proc.id}: ${describe(step)} failed: ${d.result.detail}`);
    });
    await this.settle(() => finished);
    if (finished && done === null) await this.lost(proc, step);
    await this.checkExits();
  }

  /**
   * Waits, in real time, until `done` holds or the emulator has been quiet for idleMs with no
   * request of its own in hand: then the client waits for an answer that is not coming.
   */
  protected async settle(done: () => boolean): Promise<void> {
    const server = this.requireServer();
    let seen = server.activity;
    let since = performance.now();
    while (!done()) {
      await new Promise((r) => setTimeout(r, 1));
      if (server.activity !== seen || server.busy) {
        seen = server.activity;
        since = performance.now();
      } else if (performance.now() - since >= this.idleMs) return;
    }
  }

  // --- the clock -------------------------------------------------------------------------

  /** Moves virtual time to `target`, one due timer at a time, the emulator's first, then each process's in turn. */
  protected async advanceTo(target: number, stop?: () => boolean): Promise<void> {
    const server = this.requireServer();
    for (let steps = 0; ; steps++) {
      this.checkSteps(steps);
      const live = this.live();
      const dues = [server.nextDue()];
      for (const p of live) dues.push((await p.client.peek())?.due ?? null);
      const next = this.nextDue(dues);
      const to = next > target ? target : next;
      this.now = to;
      server.runDue();
      // One process at a time, in the order they started: pings at one instant reach the
      // emulator in the same order on every run, whatever the machine's load.
      for (const p of live) {
        const ticked = await p.client.tick(to);
        if (ticked) this.logged(p, ticked.log);
        if (ticked?.busy) this.note(`${p.id}: a ping timer's function has not returned after 5 s of real time`);
      }
      await this.checkExits();
      if (next > target || stop?.()) return;
    }
  }

  // --- processes -------------------------------------------------------------------------

  private live(): Proc[] {
    return [...this.procs.values()].filter((p) => !p.client.exited && !p.client.announcedExit);
  }

  /** A driver that said it is ending (its program over, no ping timer left) is gone at this instant. */
  private async checkExits(): Promise<void> {
    for (const proc of this.procs.values()) {
      if (proc.exitReported) continue;
      if (proc.client.announcedExit) {
        if (!(await this.goneSoon(proc.client))) throw new Error(`impacket adapter: ${proc.id} said it was ending but did not exit`);
        this.reportExit(proc);
      } else if (proc.client.exited && !proc.client.killed) {
        await this.lost(proc);
      }
    }
  }

  /** A client process that died on its own is the driver's failure, never a DCOM result. */
  private async lost(proc: Proc, step?: ProgramStep): Promise<never> {
    const tail = proc.client.errorOutput.trim().split('\n').slice(-6).join(' | ');
    throw new Error(`impacket adapter: the client process of ${proc.id} died unexpectedly${step ? ` during ${describe(step)}` : ''}: ${tail}`);
  }

  /** impacket logs what it does not raise (a failed ping); a person reading the trace should see it. */
  private logged(proc: Proc, lines: readonly string[]): void {
    for (const line of lines) this.note(`${proc.id}: impacket logged: ${line}`);
  }
}

function describe(step: ProgramStep): string {
  return step.op === 'exit' ? 'DCOMConnection.disconnect' : `${step.op}(${'handle' in step ? step.handle : ''})`;
}
