/**
 * The node-dcom adapter: each client process is a child Node process running node-dcom 1.0.9
 * on a fake clock, talking real MSRPC over loopback to the wire emulator. The adapter owns the
 * one virtual clock: it moves the emulator and every child together, one due timer at a time,
 * and waits for the network to settle between timers so each ping lands at its virtual time.
 */
import { performance } from 'node:perf_hooks';
import type { Action, Capabilities, HandleId } from '../../spec';
import { EmulatedAdapter, type ClientProc } from '../emulated/adapter';
import { IID } from '../wire/dcom';
import type { FaultRule } from '../wire/faults';
import { sharedClassId, type ServerOptions, type WireServer } from '../wire/server';
import type { ClientProcess } from './child-process';
import { ProcessPool } from './pool';
import type { ChildState, ProgramStep } from './messages';

export interface NodeDcomOptions {
  /** node-dcom's session socket timeout (virtual ms); it must not be 0. */
  socketTimeoutMs?: number;
  /** Server-side fault rules applied from reset on. */
  faults?: FaultRule[];
  /** When a process exits, the server faults the RemRelease its destroySession sends. */
  faultFinalRelease?: boolean;
  /**
   * Real ms without any activity after which a waiting program counts as blocked even though
   * its byte counts and the server's do not match (default 1000; normally they match first).
   */
  idleMs?: number;
  /**
   * Client processes kept ready ahead of need (default 1: with recycling, the processes of
   * the run before are ready for the next, and each spare costs a quarter of a CPU second).
   */
  spares?: number;
  /**
   * Recycle a client process whose program has ended (exited, or still running when its run
   * is over) for a later program instead of ending it (default true): starting one costs
   * far more than a run.
   */
  reuse?: boolean;
  /** Sees every PDU the emulator reads or writes (fixtures, debugging). */
  tap?: ServerOptions['tap'];
}

export const NODE_DCOM_VERSION = '1.0.9';

export const NODE_DCOM_ACTIONS: Capabilities['actions'] = [
  'start',
  'activate',
  'activateShared',
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

const IIDS = { ITest: IID.ITest, IUnknown: IID.IUnknown, IMissing: IID.IMissing } as const;

interface Proc extends ClientProc {
  client: ClientProcess;
  ended: boolean;
  /** The process went back to the pool once its program exited. */
  released: boolean;
}

/** node-dcom has no callbacks to observe. */
export const NODE_DCOM_OBSERVES: Capabilities['observes'] = ['pings', 'reclaims', 'exits'];

export class NodeDcomAdapter extends EmulatedAdapter<Proc> {
  readonly capabilities: Capabilities = {
    name: 'node-dcom',
    version: NODE_DCOM_VERSION,
    actions: NODE_DCOM_ACTIONS,
    observes: NODE_DCOM_OBSERVES,
    clock: { kind: 'virtual' },
  };

  protected readonly pool: ProcessPool;
  private readonly socketTimeoutMs: number;
  private readonly idleMs: number;
  private readonly reuse: boolean;

  constructor(private readonly options: NodeDcomOptions = {}) {
    // The server's answers wait in an outbox until the children have settled: see quiesce().
    super({ outbox: true, faults: options.faults, tap: options.tap });
    this.socketTimeoutMs = options.socketTimeoutMs ?? 3_000;
    this.idleMs = options.idleMs ?? 1_000;
    this.reuse = options.reuse ?? true;
    this.pool = new ProcessPool({ socketTimeoutMs: this.socketTimeoutMs }, options.spares ?? 1, this.reuse);
  }

  /** Client processes started so far (each costs a Node start and node-dcom's load). */
  get processesStarted(): number {
    return this.pool.spawned;
  }

  /** Pids of every client process, spares and recycled ones included (for leak checks). */
  clientPids(): number[] {
    const running = [...this.procs.values()].filter((p) => !p.client.exited).map((p) => p.client.pid);
    return [...new Set([...running, ...this.pool.pids()])].filter((x): x is number => x !== undefined);
  }

  /** Spares missing (the first run's, a killed one's) start while the server does, not when the first program begins. */
  protected override refill(): void {
    this.pool.fill();
  }

  protected async own(action: Action, server: WireServer): Promise<boolean> {
    switch (action.kind) {
      case 'start': {
        if (this.procs.has(action.process)) throw new Error(`process ${action.process} already started`);
        const client = await this.pool.take();
        if (!(await client.begin(this.now))) throw new Error(`client process for ${action.process} died before it began`);
        this.procs.set(action.process, { id: action.process, machine: action.machine, client, exitReported: false, ended: false, released: false });
        if (!action.authenticated) this.note(`${action.process}: node-dcom always authenticates with NTLM; started authenticated`);
        break;
      }
      case 'activate': {
        const proc = this.proc(action.process);
        if (this.local(action)) break;
        const address = server.scmAddress(proc.machine);
        await this.call(proc, { op: 'activate', handle: action.handle, address, identity: 'dcomkit' }, action.handle);
        break;
      }
      case 'activateShared': {
        // The shared instance's singleton class: a session of its own, as every activation.
        const proc = this.proc(action.process);
        const address = server.scmAddress(proc.machine);
        await this.call(proc, { op: 'activate', handle: action.handle, address, identity: 'dcomkit', clsid: sharedClassId(action.instance) }, action.handle);
        break;
      }
      case 'queryInterface': {
        const proc = this.procOf(action.handle);
        await this.call(proc, { op: 'queryInterface', handle: action.handle, newHandle: action.newHandle, iid: IIDS[action.iid] }, action.newHandle);
        break;
      }
      case 'exit': {
        const proc = this.proc(action.process);
        if (this.options.faultFinalRelease) server.inject({ method: 'RemRelease', effect: { kind: 'fault' }, once: true });
        await this.background(proc, { op: 'exit' });
        break;
      }
      case 'abandon': {
        const proc = this.proc(action.process);
        proc.ended = true;
        proc.client.end();
        await this.checkExits();
        break;
      }
      case 'crash': {
        const proc = this.proc(action.process);
        if (this.reuse && (await proc.client.crash())) {
          this.reportExit(proc);
          proc.released = true;
          await this.pool.give(proc.client);
        } else {
          await proc.client.kill();
          this.reportExit(proc);
        }
        break;
      }
      // What the children do about a cut link or a dead server happens before the next step.
      case 'partition':
        server.partition(action.machine);
        await this.quiesce();
        break;
      case 'serverCrash':
        server.crash();
        await this.quiesce();
        break;
      default:
        return false;
    }
    return true;
  }

  /** The run is over: what its programs left running is recycled (or ended, if it cannot be). */
  protected retire(proc: Proc): Promise<void> | undefined {
    return proc.released ? undefined : this.pool.give(proc.client);
  }

  // --- program steps ---------------------------------------------------------------------

  /**
   * A call: its answer belongs to this step, so virtual time moves (pings and all) until
   * node-dcom returns or the call timeout passes, which makes it a hang.
   */
  protected async call(proc: Proc, step: ProgramStep, newHandle?: HandleId): Promise<void> {
    const got = await this.answer(proc.client.run(step));
    if (got === null) {
      this.hung(proc.client.exited ? 'the client process is gone' : 'node-dcom never returned');
      return;
    }
    this.completed(proc, got.value, newHandle);
  }

  /** A step that is not a call (release, exit): it may finish later; only failures are noted. */
  protected async background(proc: Proc, step: ProgramStep): Promise<void> {
    let settled = false;
    void proc.client.run(step).then((r) => {
      settled = true;
      if (step.op === 'exit') proc.ended = true;
      if (!r.ok) this.note(`${proc.id}: ${describeStep(step)} failed: ${r.detail}`);
    });
    await this.quiesce(() => settled);
    await this.checkExits();
  }

  // --- the clock -------------------------------------------------------------------------

  protected async advanceTo(target: number, stop?: () => boolean): Promise<void> {
    const server = this.requireServer();
    // The children as the last step left them, when nothing was in flight: their next timers.
    let known: Map<Proc, ChildState | null> | null = null;
    for (let steps = 0; ; steps++) {
      this.checkSteps(steps);
      const live = this.live();
      const states = known && live.every((p) => known!.has(p)) ? live.map((p) => known!.get(p)!) : await Promise.all(live.map((p) => p.client.state()));
      const next = this.nextDue([server.nextDue(), ...states.map((s) => s?.due ?? null)]);
      if (next > target) {
        this.now = target;
        await Promise.all(live.map((p) => p.client.tick(target)));
        await this.checkExits();
        return;
      }
      this.now = next;
      // The server first (a set may expire or a held answer go out), then the clients' timers.
      server.runDue();
      const ticked = await Promise.all(live.map((p) => p.client.tick(next)));
      known = await this.quiesce(stop, new Map(live.map((p, i) => [p, ticked[i]])));
      await this.checkExits();
      if (stop?.()) return;
    }
  }

  protected settle(done: () => boolean): Promise<unknown> {
    return this.quiesce(done);
  }

  /**
   * Waits until nothing is in flight: every child has no running step or timer callback and
   * the server has no answer to give; or someone is waiting, but on virtual time or for ever.
   * That is read from the children and the server together: no child has work queued, every
   * byte either side wrote has been read by the other, and nothing moved over two polls.
   * Quiet alone is not enough: on a loaded machine a child can be busy for longer than any
   * fixed pause, and taking it for a waiting one lets virtual time jump past its timeouts.
   *
   * The server's answers wait in its outbox and go out one at a time, each when the children
   * have settled after the one before: concurrent calls of one process (two sessions pinging
   * at once, a ping beside a call) get their answers in the order they asked, not in an order
   * the machine's load picks, so the same actions give the same trace.
   *
   * `first` are the children's states just reported (a tick's answers), which stand for the
   * first poll. A child last seen idle (nothing pending or queued, every byte of its
   * connections read at both ends) is not asked again while the server's side of its
   * connections stays as it was: nothing else can wake it (its timers are fake, the clock
   * stands still here, and the kit sends it nothing), so its answer could not differ, and
   * asking every child on every poll was most of a run's cost. Returns the last poll's states
   * when it ended with nothing in flight (what the clock reads the next timers from),
   * otherwise null.
   */
  private async quiesce(done?: () => boolean, first?: Map<Proc, ChildState | null>): Promise<Map<Proc, ChildState | null> | null> {
    const server = this.requireServer();
    let seen = '';
    let since = performance.now();
    const began = since;
    let calm = 0;
    const last = new Map(first);
    for (let poll = 0; ; poll++) {
      const asked = performance.now();
      // Busy that never settles (a child spinning on something) must not stall the kit.
      if (asked - began > QUIESCE_LIMIT_MS) return this.flush(server);
      const live = this.live();
      // Read before the answers: bytes the server writes meanwhile show in settled() below.
      const flows = server.flows();
      const states = await Promise.all(
        live.map((p) => {
          const before = last.get(p);
          return before !== undefined && (poll === 0 || idle(before, flows)) ? before : p.client.state();
        }),
      );
      live.forEach((p, i) => last.set(p, states[i]));
      const polled = () => new Map(live.map((p, i) => [p, states[i]]));
      // An answer still in the outbox belongs to this moment: it goes out before time moves.
      if (server.queued === 0) {
        if (done?.()) return null;
        const busy = states.some((s) => s !== null && s.pending > 0) || server.busy;
        if (!busy) return polled();
      }
      const now = performance.now();
      const mark = [server.activity, ...states.map((s) => s?.activity ?? -1)].join(',');
      if (mark !== seen || now - asked > this.idleMs / 4) {
        seen = mark;
        since = now;
        calm = 0;
      } else if (settled(states, server.flows())) {
        if (server.sendNext()) calm = 0;
        else if (++calm >= 2) return polled();
      } else if (now - since >= this.idleMs) {
        // A safety net, not the rule: counts that never match (a socket the server never
        // saw) must not hold the clock for good.
        return this.flush(server);
      }
      await pause(poll);
    }
  }

  /** Sends every waiting answer at once: a quiesce that gives up must not lose any. */
  private flush(server: WireServer): null {
    while (server.sendNext());
    return null;
  }

  // --- processes -------------------------------------------------------------------------

  private live(): Proc[] {
    return [...this.procs.values()].filter((p) => !p.released && !p.client.exited);
  }

  /** A program that has ended exits once node-dcom leaves no timer or socket behind. */
  private async checkExits(): Promise<void> {
    for (const proc of this.procs.values()) {
      if (proc.exitReported) continue;
      if (proc.client.exited) {
        this.reportExit(proc);
        continue;
      }
      if (!proc.ended) continue;
      const answer = await proc.client.tryExit();
      if (answer?.exiting) {
        // Nothing of the program keeps the process alive: the program has exited, and the
        // process goes back to the pool for a later one.
        this.reportExit(proc);
        proc.released = true;
        await this.pool.give(proc.client);
      } else if (answer === null) {
        if (await this.goneSoon(proc.client)) this.reportExit(proc);
        else this.note(`${proc.id}: nothing keeps the process alive, yet it did not exit`);
      }
    }
  }

}

function describeStep(step: ProgramStep): string {
  return step.op === 'exit' ? 'destroySession' : `${step.op}(${'handle' in step ? step.handle : ''})`;
}

/**
 * Nothing is on its way: no child has real asynchronous work queued (a setImmediate, with
 * which node-dcom's lock hands over; a connect), and every connection a child holds is one the server holds, with each side's
 * bytes written equal to the other's bytes read.
 */
function settled(states: Array<ChildState | null>, server: Map<number, [number, number]>): boolean {
  const matched = new Set<number>();
  for (const s of states) {
    if (s === null) continue;
    if (s.work.length > 0) return false;
    for (const [port, written, read] of s.flows) {
      const other = server.get(port);
      if (!other || other[0] !== written || other[1] !== read) return false;
      matched.add(port);
    }
  }
  // A connection only the server still holds: the client's close is on its way.
  return [...server.keys()].every((port) => matched.has(port));
}

/** A child that waits on nothing but time or the server, with nothing of its own in flight. */
function idle(s: ChildState | null, server: Map<number, [number, number]>): boolean {
  if (s === null) return true;
  if (s.pending > 0 || s.queued > 0 || s.work.length > 0) return false;
  for (const [port, written, read] of s.flows) {
    const other = server.get(port);
    if (!other || other[0] !== written || other[1] !== read) return false;
  }
  return true;
}

/** Real ms quiesce() waits for activity to settle before giving up on it. */
const QUIESCE_LIMIT_MS = 30_000;

/**
 * Between two polls of quiesce(): loopback traffic and a child's answer take tens of
 * microseconds, so the first polls come as soon as the event loop has run; a wait that goes
 * on backs off to a millisecond, then two, so it does not keep both processes spinning.
 */
function pause(poll: number): Promise<void> {
  if (poll < 8) return new Promise((r) => setImmediate(r));
  return new Promise((r) => setTimeout(r, poll < 24 ? 1 : 2));
}
