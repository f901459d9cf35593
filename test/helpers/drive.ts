/** Driving an adapter in a test: a run's actions in order, and its events picked by kind. */
import { defaultWorld, type Action, type Adapter, type AdapterEvent, type PingEvent } from '../../spec';

/** Runs actions (numbers are advances) after a reset and returns every event reported. */
export async function drive(adapter: Adapter, steps: Array<Action | number>): Promise<AdapterEvent[]> {
  const events = await adapter.reset(7, defaultWorld());
  for (const s of steps) events.push(...(typeof s === 'number' ? await adapter.advance(s) : await adapter.apply(s)));
  return events;
}

export const pings = (es: AdapterEvent[]) => es.filter((e) => e.kind === 'ping') as Omit<PingEvent, 'step'>[];
export const of = <K extends AdapterEvent['kind']>(es: AdapterEvent[], kind: K) => es.filter((e) => e.kind === kind) as Extract<AdapterEvent, { kind: K }>[];
