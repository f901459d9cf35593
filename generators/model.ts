/**
 * What the generator knows about a run in progress: enough to tell whether an action makes
 * sense now (no release of a proxy never created, no second start of a process). fast-check
 * consults it before each command, which keeps shrunk sequences valid: a command whose
 * preconditions were removed by shrinking is skipped, not run.
 */
import { isSuccess, type Action, type ActionKind, type AdapterEvent, type ClientMachine, type MachineId } from '../spec';

export interface GenProcess {
  machine: ClientMachine;
  alive: boolean;
}

export interface GenHandle {
  process: string;
  refs: number;
  /** A proxy to an object a local server on the client's own machine exports. */
  local: boolean;
}

export class GenModel {
  readonly processes = new Map<string, GenProcess>();
  readonly handles = new Map<string, GenHandle>();
  /** Callbacks the server holds now. */
  readonly callbacks = new Set<string>();
  /** Every name ever given out in this run: names are never reused. */
  readonly used = new Set<string>();
  readonly partitioned = new Set<MachineId>();
  /** Actions applied so far in this run. */
  applied = 0;
  /** Action kinds this run leaves out. */
  readonly omitted: ReadonlySet<ActionKind>;

  constructor(
    omitted: readonly ActionKind[] = [],
    /** Most actions the run may apply; later commands are skipped. */
    readonly limit = Infinity,
  ) {
    this.omitted = new Set(omitted);
  }

  /**
   * The lists below are asked for by every command's check and run, most of them between two
   * actions; they are kept until the next update. Callers must not modify them.
   */
  private processList: string[] | undefined;
  private handleList: string[] | undefined;
  private callbackList: string[] | undefined;
  /** Per prefix, a number below which every name is used (names are taken in order). */
  private readonly nextFree = new Map<string, number>();

  /** Live processes, in start order. */
  liveProcesses(): string[] {
    if (this.processList) return this.processList;
    const out: string[] = [];
    for (const [id, p] of this.processes) if (p.alive) out.push(id);
    return (this.processList = out);
  }

  /** Live proxies, in creation order. */
  liveHandles(): string[] {
    if (this.handleList) return this.handleList;
    const out: string[] = [];
    for (const [name, h] of this.handles) if (this.processes.get(h.process)?.alive) out.push(name);
    return (this.handleList = out);
  }

  heldCallbacks(): string[] {
    return (this.callbackList ??= [...this.callbacks]);
  }

  /** The next unused name with this prefix: p1, p2, ... */
  fresh(prefix: string): string {
    let n = this.nextFree.get(prefix) ?? 1;
    while (this.used.has(`${prefix}${n}`)) n += 1;
    this.nextFree.set(prefix, n);
    return `${prefix}${n}`;
  }

  private liveHandle(name: string): GenHandle | undefined {
    const h = this.handles.get(name);
    return h && this.processes.get(h.process)?.alive ? h : undefined;
  }

  private alive(process: string): boolean {
    return this.processes.get(process)?.alive ?? false;
  }

  canApply(a: Action): boolean {
    switch (a.kind) {
      case 'setAccess':
      case 'setProtocols':
      case 'setTrust':
      case 'advance':
      case 'serverCrash':
      case 'faultNextRelease':
        return true;
      case 'partition':
        return !this.partitioned.has(a.machine);
      case 'heal':
        return this.partitioned.has(a.machine);
      case 'start':
        return !this.used.has(a.process);
      case 'initSecurity':
      case 'exit':
      case 'abandon':
      case 'crash':
        return this.alive(a.process);
      case 'activate':
      case 'activateShared':
        return this.alive(a.process) && !this.used.has(a.handle);
      case 'handOver':
        return !!this.liveHandle(a.handle) && this.alive(a.process) && !this.used.has(a.newHandle);
      case 'queryInterface':
        return !!this.liveHandle(a.handle) && !this.used.has(a.newHandle);
      case 'passCallback':
        return !!this.liveHandle(a.handle) && !this.used.has(a.callback);
      case 'setBlanket':
      case 'addRef':
      case 'release':
      case 'call':
      case 'disconnect':
        return !!this.liveHandle(a.handle);
      case 'invokeCallback':
      case 'releaseCallback':
        return this.callbacks.has(a.callback);
    }
  }

  /** Takes in an action and what the adapter reported for it. */
  update(a: Action, events: readonly AdapterEvent[]): void {
    this.applied += 1;
    this.processList = this.handleList = this.callbackList = undefined;
    const succeeded = events.some((e) => e.kind === 'completed' && isSuccess(e.hr));
    switch (a.kind) {
      case 'partition':
        this.partitioned.add(a.machine);
        break;
      case 'heal':
        this.partitioned.delete(a.machine);
        break;
      case 'start':
        this.used.add(a.process);
        this.processes.set(a.process, { machine: a.machine, alive: true });
        break;
      case 'exit':
      case 'abandon':
      case 'crash':
        this.processes.get(a.process)!.alive = false;
        for (const [name, h] of this.handles) if (h.process === a.process) this.handles.delete(name);
        break;
      case 'activate':
        this.used.add(a.handle);
        if (succeeded) this.handles.set(a.handle, { process: a.process, refs: 1, local: !a.serverInfo && a.clsctx === 'local' });
        break;
      case 'activateShared':
        this.used.add(a.handle);
        if (succeeded) this.handles.set(a.handle, { process: a.process, refs: 1, local: false });
        break;
      case 'handOver':
        this.used.add(a.newHandle);
        if (succeeded) this.handles.set(a.newHandle, { process: a.process, refs: 1, local: this.handles.get(a.handle)!.local });
        break;
      case 'queryInterface':
        this.used.add(a.newHandle);
        if (succeeded) {
          const from = this.handles.get(a.handle)!;
          this.handles.set(a.newHandle, { process: from.process, refs: 1, local: from.local });
        }
        break;
      case 'passCallback':
        this.used.add(a.callback);
        if (succeeded) this.callbacks.add(a.callback);
        break;
      case 'addRef':
        this.handles.get(a.handle)!.refs += 1;
        break;
      case 'release': {
        const h = this.handles.get(a.handle)!;
        h.refs -= 1;
        if (h.refs <= 0) this.handles.delete(a.handle);
        break;
      }
      case 'releaseCallback':
        this.callbacks.delete(a.callback);
        break;
      case 'serverCrash':
        this.callbacks.clear();
        break;
      default:
        break;
    }
  }
}
