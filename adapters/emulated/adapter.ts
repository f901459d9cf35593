/**
 * What the adapters that drive real client libraries in child processes (node-dcom, impacket)
 * against the in-process wire emulator do alike: the virtual clock's reading, the emulator,
 * the kit's processes and proxies, the events a step produced, and the actions whose meaning
 * does not depend on the client library (the server's side, calls and references through a
 * proxy). Each adapter keeps how it starts, steps and ends its client processes, and how it
 * knows that the network has settled.
 */
import type { Action, ActionOf, Adapter, AdapterEvent, Capabilities, ClientMachine, HandleId, ProcessId, World } from '../../spec';
import { CALL_TIMEOUT_MS, HR } from '../../spec';
import { WireServer, type ServerOptions } from '../wire/server';
import type { SharedStep, StepResult } from './messages';

/** A kit process and the client process that runs its program. */
export interface ClientProc {
  id: ProcessId;
  machine: ClientMachine;
  exitReported: boolean;
}

/** Steps after which the clock may not move on: guards against a timer loop at one instant. */
const MAX_STEPS_PER_ADVANCE = 100_000;
/** Real ms a client process that is ending, or was SIGKILLed, may take to be gone. */
const EXIT_WAIT_MS = 5_000;

export abstract class EmulatedAdapter<P extends ClientProc> implements Adapter {
  abstract readonly capabilities: Capabilities;

  protected now = 0;
  protected server: WireServer | null = null;
  protected procs = new Map<ProcessId, P>();
  protected handles = new Map<HandleId, { process: ProcessId; ipid: string }>();
  protected events: AdapterEvent[] = [];
  /** Objects the kit has been told of (a completed call named them). */
  private told = new Set<string>();
  protected abstract readonly pool: { close(): Promise<void> };

  constructor(
    /** How the emulator is started for each run (beside the clock and the event sink). */
    private readonly wireOptions: Omit<ServerOptions, 'now' | 'emit'>,
  ) {}

  /** The emulator, for tests and debugging. */
  get wire(): WireServer | null {
    return this.server;
  }

  async reset(_seed: number, _world: World): Promise<AdapterEvent[]> {
    await this.teardown();
    this.refill();
    this.now = 0;
    this.events = [];
    this.told.clear();
    this.server = await WireServer.start({ now: () => this.now, emit: (e) => this.fromServer(e), ...this.wireOptions });
    return this.drain();
  }

  async apply(action: Action): Promise<AdapterEvent[]> {
    const server = this.requireServer();
    if (action.kind === 'advance') return this.advance(action.ms);
    if (!(await this.own(action, server))) await this.shared(action, server);
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

  /** Carries out an action the way this client library needs; false leaves it to shared(). */
  protected abstract own(action: Action, server: WireServer): Promise<boolean>;
  /** A call: its answer belongs to this step. */
  protected abstract call(proc: P, step: SharedStep): Promise<void>;
  /** A step that is not a call: it may finish later. */
  protected abstract background(proc: P, step: SharedStep): Promise<void>;
  /** Waits in real time until `done` holds or nothing more will happen without the clock. */
  protected abstract settle(done: () => boolean): Promise<unknown>;
  /** Moves virtual time to `target`, timer by timer, or until `stop` holds. */
  protected abstract advanceTo(target: number, stop?: () => boolean): Promise<void>;
  /** What becomes of a process whose run is over. */
  protected abstract retire(proc: P): Promise<void> | undefined;
  /** Called between runs, before the emulator starts: spares can start meanwhile. */
  protected refill(): void {}

  private async shared(action: Action, server: WireServer): Promise<void> {
    switch (action.kind) {
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
        throw new Error(`${this.capabilities.name} adapter cannot carry out ${action.kind}`);
    }
  }

  /**
   * Neither client library activates but on a remote machine's SCM, and the test class is
   * registered on the server alone, so a local activation finds no class, as on a real client
   * machine; serving it remotely instead would make a partition cut a "local" object off.
   * True when the activation was a local one, answered so.
   */
  protected local(action: ActionOf<'activate'>): boolean {
    if (action.clsctx !== 'local' || action.serverInfo) return false;
    this.events.push({ kind: 'completed', at: this.now, hr: HR.REGDB_E_CLASSNOTREG, detail: `${this.capabilities.name} has no local activation` });
    return true;
  }

  /**
   * Waits for a call's answer: first until the network settles, then moving virtual time
   * (pings and all) until it comes or the call timeout passes. Null when it never came.
   */
  protected async answer<T>(running: Promise<T>): Promise<{ value: T } | null> {
    const startedAt = this.now;
    let got = null as { value: T } | null;
    void running.then((value) => (got = { value }));
    await this.settle(() => got !== null);
    if (got === null) await this.advanceTo(startedAt + CALL_TIMEOUT_MS, () => got !== null);
    return got;
  }

  /**
   * An activation can fail in the client after the emulator made the object (the client
   * library gave up waiting on a loaded machine, or could not read the answer): the emulator
   * then runs down an object no proxy ever reached. The kit knows nothing of it, so its
   * rundown is told as a note, not as a reclaim of an object the trace never handed out.
   */
  private fromServer(e: AdapterEvent): void {
    if (e.kind === 'reclaimed' && !this.told.has(e.oid)) {
      this.note(`server: ${e.oid} reclaimed (${e.cause}), an object the client library never received`);
      return;
    }
    this.events.push(e);
  }

  /** A call returned: a new proxy is named, and the object it reaches reported. */
  protected completed(proc: P, r: StepResult, newHandle?: HandleId): void {
    let oid: string | undefined;
    if (r.ok && r.ipid && newHandle) {
      this.handles.set(newHandle, { process: proc.id, ipid: r.ipid });
      oid = this.server?.oidOfIpid(r.ipid);
      if (oid) this.told.add(oid);
    }
    this.events.push({ kind: 'completed', at: this.now, hr: r.hr, transport: 'tcp', ...(oid ? { oid } : {}), ...(r.detail ? { detail: r.detail } : {}) });
  }

  protected hung(detail: string): void {
    this.events.push({ kind: 'hung', at: this.now, transport: 'tcp', detail });
  }

  /** When the clock moves next: the earliest due timer, never before now; Infinity with none. */
  protected nextDue(dues: Array<number | null>): number {
    const due = dues.filter((x): x is number => x !== null);
    return due.length ? Math.max(this.now, Math.min(...due)) : Infinity;
  }

  protected checkSteps(steps: number): void {
    if (steps > MAX_STEPS_PER_ADVANCE) throw new Error(`${this.capabilities.name} adapter: timers keep firing at ${this.now} ms`);
  }

  /** Whether a process that is ending is gone within EXIT_WAIT_MS. */
  protected goneSoon(client: { gone: Promise<void> }): Promise<boolean> {
    return Promise.race([client.gone.then(() => true), sleep(EXIT_WAIT_MS).then(() => false)]);
  }

  protected reportExit(proc: P): void {
    if (proc.exitReported) return;
    proc.exitReported = true;
    this.events.push({ kind: 'processExit', at: this.now, process: proc.id, machine: proc.machine });
  }

  protected proc(id: ProcessId): P {
    const p = this.procs.get(id);
    if (!p) throw new Error(`process ${id} was never started`);
    return p;
  }

  protected procOf(handle: HandleId): P {
    const h = this.handles.get(handle);
    if (!h) throw new Error(`no proxy named ${handle}`);
    return this.proc(h.process);
  }

  protected requireServer(): WireServer {
    if (!this.server) throw new Error(`${this.capabilities.name} adapter used before reset`);
    return this.server;
  }

  protected note(text: string): void {
    this.events.push({ kind: 'note', at: this.now, text });
  }

  protected drain(): AdapterEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private async teardown(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => this.retire(p)));
    this.procs.clear();
    this.handles.clear();
    await this.server?.close();
    this.server = null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
