/** Builds traces by hand for oracle tests: actions, results, pings, reclaims at chosen times. */
import {
  defaultWorld,
  HR,
  type Action,
  type Capabilities,
  type MachineId,
  type ObjectId,
  type PingEvent,
  type ReclaimCause,
  type Trace,
  type TraceEvent,
  type World,
  ACTION_KINDS,
} from '../../spec';

export const FULL_CAPS: Capabilities = {
  name: 'hand-built',
  version: '0',
  actions: [...ACTION_KINDS],
  observes: ['pings', 'reclaims', 'callbacks', 'exits'],
  clock: { kind: 'virtual' },
};

export class TraceBuilder {
  readonly events: TraceEvent[] = [];
  private step = -1;
  private setCounter = 0;

  constructor(
    private readonly world: World = defaultWorld(),
    private readonly capabilities: Capabilities = FULL_CAPS,
  ) {}

  /** Records an action at a time; returns its step. */
  act(at: number, action: Action, settle = false): number {
    this.step += 1;
    this.events.push(settle ? { kind: 'action', at, step: this.step, action, settle } : { kind: 'action', at, step: this.step, action });
    return this.step;
  }

  done(at: number, hr: number = HR.S_OK, oid?: ObjectId): this {
    this.events.push({ kind: 'completed', at, step: this.step, hr, ...(oid ? { oid } : {}) });
    return this;
  }

  hung(at: number): this {
    this.events.push({ kind: 'hung', at, step: this.step });
    return this;
  }

  /** start p1 on client1 and activate h1 -> oid1 remotely at time `at`. */
  startAndActivate(at = 0, opts: { process?: string; handle?: string; oid?: string; machine?: 'client1' | 'client2'; authInfo?: boolean } = {}): this {
    const process = opts.process ?? 'p1';
    if (!this.events.some((e) => e.kind === 'action' && e.action.kind === 'start' && e.action.process === process)) {
      this.act(at, { kind: 'start', process, machine: opts.machine ?? 'client1', identity: 'alice', authenticated: true });
    }
    this.act(at, {
      kind: 'activate',
      process,
      handle: opts.handle ?? 'h1',
      clsctx: 'remote',
      serverInfo: true,
      authInfo: opts.authInfo ? { authnSvc: 10, authnLevel: 2, impLevel: 3, identity: 'bob' } : null,
    });
    return this.done(at, HR.S_OK, opts.oid ?? 'oid1');
  }

  ping(at: number, p: Partial<PingEvent> & Pick<PingEvent, 'type'>): this {
    this.events.push({
      kind: 'ping',
      at,
      step: this.step,
      from: 'client1',
      to: 'server',
      setId: 'set1',
      seq: 1,
      adds: [],
      dels: [],
      status: 'ok',
      ...p,
    });
    return this;
  }

  /** ComplexPing creating a set with these OIDs. */
  createSet(at: number, oids: ObjectId[], setId = `set${++this.setCounter}`, from: MachineId = 'client1'): this {
    return this.ping(at, { type: 'complex', setId: '0', seq: 1, adds: oids, newSetId: setId, from });
  }

  reclaim(at: number, oid: ObjectId, cause: ReclaimCause, machine: MachineId = 'server'): this {
    this.events.push({ kind: 'reclaimed', at, step: this.step, machine, oid, cause });
    return this;
  }

  exited(at: number, process = 'p1', machine: MachineId = 'client1'): this {
    this.events.push({ kind: 'processExit', at, step: this.step, process, machine });
    return this;
  }

  delivered(at: number, callback: string, process = 'p1'): this {
    this.events.push({ kind: 'callbackDelivered', at, step: this.step, callback, process });
    return this;
  }

  settle(at: number, ms = 1_200_000): this {
    this.act(at, { kind: 'advance', ms }, true);
    return this;
  }

  build(): Trace {
    return { capabilities: this.capabilities, seed: 0, world: this.world, events: this.events };
  }
}
