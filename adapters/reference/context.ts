/**
 * What every part of the reference world shares: the virtual clock, the machines'
 * configuration, the behaviour switches, the seeded randomness, the event log and the
 * counter that names objects and ping sets.
 */
import { PING_PERIOD_MS, type AdapterEvent, type World } from '../../spec';
import type { Behaviour } from './behaviour';

export class Sim {
  /** Virtual time, ms since reset. */
  now = 0;
  rng: () => number = Math.random;
  world!: World;
  private out: AdapterEvent[] = [];
  /** One counter names objects (oidN) and server ping sets (setN), so names never repeat. */
  private counter = 0;
  /** Lets virtual time pass up to `target`, firing every timer due meanwhile (the world's). */
  runUntil: (target: number) => void = () => {};

  constructor(readonly behaviour: Behaviour) {}

  reset(rng: () => number, world: World): void {
    this.rng = rng;
    this.world = world;
    this.now = 0;
    this.out = [];
    this.counter = 0;
  }

  nextId(prefix: 'oid' | 'set'): string {
    return `${prefix}${++this.counter}`;
  }

  /** The ping-set timer: 3 ping periods (MS-DCOM 3.1.2.2), or the mutant's count. */
  setTimeout(): number {
    return PING_PERIOD_MS * this.behaviour.missedPings;
  }

  emit(e: AdapterEvent): void {
    this.out.push(e);
  }

  /** The events since the last flush; the caller owns them. */
  flush(): AdapterEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }
}
