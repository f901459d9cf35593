/**
 * The impacket adapter: each client process is a Python process (Debian's /usr/bin/python3)
 * running impacket's DCOM client, unmodified, against the loopback wire emulator. The adapter
 * owns the one virtual clock: it moves the emulator and every client process together, one due
 * timer at a time; a client's ping timer (dcomrt.Timer, replaced in the driver) fires when the
 * clock reaches it, and the adapter waits until the ping's function has returned.
 */
import { performance } from 'node:perf_hooks';
import type { Action, Adapter, AdapterEvent, Capabilities, ClientMachine, HandleId, ProcessId, World } from '../../spec';
import { CALL_TIMEOUT_MS, HR } from '../../spec';
import type { FaultRule } from '../wire/faults';
import { EMULATOR_NT_HASH, WireServer, type ServerOptions } from '../wire/server';
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

/** Steps after which the clock may not move on: guards against a timer loop at one instant. */
const MAX_STEPS_PER_ADVANCE = 100_000;
/** Real ms a process that said it is ending, or was SIGKILLed, may take to be gone. */
const EXIT_WAIT_MS = 5_000;

interface Proc {
  id: ProcessId;
  machine: ClientMachine;
  client: ImpacketProcess;
  exitReported: boolean;
}

type Done = NonNullable<Awaited<ReturnType<ImpacketProcess['run']>>>;

export class ImpacketAdapter implements Adapter {
  readonly capabilities: Capabilities;

  private now = 0;
  private server: WireServer | null = null;
  private procs = new Map<ProcessId, Proc>();
  private handles = new Map<HandleId, { process: ProcessId; ipid: string }>();
  private events: AdapterEvent[] = [];
  private pool: SparePool;
  private readonly idleMs: number;

  constructor(private readonly options: ImpacketOptions) {
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

  /** The emulator, for tests and debugging. */
  get wire(): WireServer | null {
    return this.server;
  }

  /** Pids of every client process, spares included (for leak checks). */
  clientPids(): number[] {
    return [...[...this.procs.values()].map((p) => p.client.pid), ...this.pool.pids()].filter((x): x is number => x !== undefined);
  }

  async reset(_seed: number, _world: World): Promise<AdapterEvent[]> {
    await this.teardown();
    this.now = 0;
    this.events = [];
    this.server = await WireServer.start({
      now: () => this.now,
      emit: (e) => this.events.push(e),
      faults: this.options.faults,
      tap: this.options.tap,
    });
    return this.drain();
  }

  async apply(action: Action): Promise<AdapterEvent[]> {
    const server = this.requireServer();
    switch (action.kind) {
      case 'advance':
        return this.advance(action.ms);
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
        if (action.clsctx === 'local' && !action.serverInfo) {
          // impacket only activates on a remote machine's SCM, and the class is registered on
          // the server alone: a local activation finds no class, as on a real client machine.
          this.events.push({ kind: 'completed', at: this.now, hr: HR.REGDB_E_CLASSNOTREG, detail: 'impacket has no local activation' });
          break;
        }
        if (action.authInfo) this.note(`${action.process}: impacket takes no COAUTHINFO; activated with the process's credentials`);
        await this.call(proc, { op: 'activate', handle: action.handle }, action.handle);
        break;
      }
      case 'queryInterface':
        await this.call(this.procOf(action.handle), { op: 'queryInterface', handle: action.handle, newHandle: action.newHandle, iid: action.iid }, action.newHandle);
        break;
      case 'call':
        await this.call(this.procOf(action.handle), { op: 'call', handle: action.handle });
        break;
      case 'addRef':
      case 'release':
        await this.background(this.procOf(action.handle), { op: action.kind, handle: action.handle });
        break;
      case 'exit':
        await this.background(this.proc(action.process), { op: 'exit' });
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
      case 'partition':
        server.partition(action.machine);
        break;
      case 'heal':
        server.heal(action.machine);
        break;
      case 'disconnect': {
        const h = this.handles.get(action.handle);
        const oid = h && server.oidOfIpid(h.ipid);
        if (!oid || !server.disconnect(oid)) this.note(`server: nothing to disconnect behind ${action.handle}`);
        break;
      }
      case 'serverCrash':
        server.crash();
        break;
      case 'faultNextRelease':
        server.inject({ method: 'RemRelease', effect: { kind: 'fault' }, once: true });
        break;
      default:
        throw new Error(`impacket adapter cannot carry out ${action.kind}`);
    }
    return this.drain();
  }

  async advance(ms: number): Promise<AdapterEvent[]> {
    await this.advanceTo(this.now + ms);
    return this.drain();
  }

  async close(): Promise<void> {
    await this.teardown();
    await this.pool.close();
  }

  // --- program steps ---------------------------------------------------------------------

  /**
   * A call: its answer belongs to this step. impacket answers at once against the emulator
   * unless an answer never comes (an injected drop); then virtual time moves (pings and all)
   * until it returns or the call timeout passes, which makes it a hang.
   */
  private async call(proc: Proc, step: ProgramStep, newHandle?: HandleId): Promise<void> {
    const startedAt = this.now;
    let done: Done | null = null;
    let finished = false;
    void proc.client.run(step).then((d) => {
      done = d;
      finished = true;
    });
    await this.settle(() => finished);
    if (!finished) await this.advanceTo(startedAt + CALL_TIMEOUT_MS, () => finished);
    const d = done as Done | null;
    if (!finished || d === null) {
      if (finished) await this.lost(proc, step);
      this.events.push({ kind: 'hung', at: this.now, transport: 'tcp', detail: finished ? 'the client process is gone' : 'impacket never returned' });
      return;
    }
    this.logged(proc, d.log);
    const r = d.result;
    let oid: string | undefined;
    if (r.ok && r.ipid && newHandle) {
      this.handles.set(newHandle, { process: proc.id, ipid: r.ipid });
      oid = this.server?.oidOfIpid(r.ipid);
    }
    this.events.push({ kind: 'completed', at: this.now, hr: r.hr, transport: 'tcp', ...(oid ? { oid } : {}), ...(r.detail ? { detail: r.detail } : {}) });
    await this.checkExits();
  }

  /** A step that is not a call (AddRef, Release, exit): it may finish later; only failures are noted. */
  private async background(proc: Proc, step: ProgramStep): Promise<void> {
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
  private async settle(done: () => boolean): Promise<void> {
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
  private async advanceTo(target: number, stop?: () => boolean): Promise<void> {
    const server = this.requireServer();
    for (let steps = 0; ; steps++) {
      if (steps > MAX_STEPS_PER_ADVANCE) throw new Error(`impacket adapter: timers keep firing at ${this.now} ms`);
      const live = this.live();
      const dues = [server.nextDue()];
      for (const p of live) dues.push((await p.client.peek())?.due ?? null);
      const due = dues.filter((x): x is number => x !== null);
      const next = due.length ? Math.max(this.now, Math.min(...due)) : Infinity;
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
        const gone = await Promise.race([proc.client.gone.then(() => true), sleep(EXIT_WAIT_MS).then(() => false)]);
        if (!gone) throw new Error(`impacket adapter: ${proc.id} said it was ending but did not exit`);
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

  private reportExit(proc: Proc): void {
    if (proc.exitReported) return;
    proc.exitReported = true;
    this.events.push({ kind: 'processExit', at: this.now, process: proc.id, machine: proc.machine });
  }

  /** impacket logs what it does not raise (a failed ping); a person reading the trace should see it. */
  private logged(proc: Proc, lines: readonly string[]): void {
    for (const line of lines) this.note(`${proc.id}: impacket logged: ${line}`);
  }

  private proc(id: ProcessId): Proc {
    const p = this.procs.get(id);
    if (!p) throw new Error(`process ${id} was never started`);
    return p;
  }

  private procOf(handle: HandleId): Proc {
    const h = this.handles.get(handle);
    if (!h) throw new Error(`no proxy named ${handle}`);
    return this.proc(h.process);
  }

  private requireServer(): WireServer {
    if (!this.server) throw new Error('impacket adapter used before reset');
    return this.server;
  }

  private note(text: string): void {
    this.events.push({ kind: 'note', at: this.now, text });
  }

  private drain(): AdapterEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private async teardown(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.client.kill()));
    this.procs.clear();
    this.handles.clear();
    await this.server?.close();
    this.server = null;
  }
}

function describe(step: ProgramStep): string {
  return step.op === 'exit' ? 'DCOMConnection.disconnect' : `${step.op}(${'handle' in step ? step.handle : ''})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
