/** Arbitraries for the server's own actions. */
import fc from 'fast-check';
import type { ActionKind } from '../spec';
import { fixed, pickFrom, type ActionTemplate } from './template';

const pick = fc.nat({ max: 7 });

function onCallback(kind: 'invokeCallback' | 'releaseCallback'): fc.Arbitrary<ActionTemplate> {
  return pick.map((n) => ({
    kind,
    resolve: (m) => {
      const callback = pickFrom(m.heldCallbacks(), n);
      return callback === undefined ? undefined : { kind, callback };
    },
  }));
}

export function serverArbs(): Partial<Record<ActionKind, fc.Arbitrary<ActionTemplate>>> {
  return {
    invokeCallback: onCallback('invokeCallback'),
    releaseCallback: onCallback('releaseCallback'),
    disconnect: pick.map((n) => ({
      kind: 'disconnect',
      resolve: (m) => {
        const handle = pickFrom(m.liveHandles(), n);
        return handle === undefined ? undefined : { kind: 'disconnect', handle };
      },
    })),
    serverCrash: fc.constant(fixed({ kind: 'serverCrash' })),
    faultNextRelease: fc.constant(fixed({ kind: 'faultNextRelease' })),
  };
}
