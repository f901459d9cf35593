/** Arbitraries for the server's own actions. */
import fc from 'fast-check';
import type { ActionKind } from '../spec';
import type { ActionCommand } from './command';
import { fixed, pickFrom, template } from './template';

const pick = fc.nat({ max: 7 });

function onCallback(kind: 'invokeCallback' | 'releaseCallback'): fc.Arbitrary<ActionCommand> {
  return pick.map((n) =>
    template(kind, (m) => {
      const callback = pickFrom(m.heldCallbacks(), n);
      return callback === undefined ? undefined : { kind, callback };
    }),
  );
}

export function serverArbs(): Partial<Record<ActionKind, fc.Arbitrary<ActionCommand>>> {
  return {
    invokeCallback: onCallback('invokeCallback'),
    releaseCallback: onCallback('releaseCallback'),
    disconnect: pick.map((n) =>
      template('disconnect', (m) => {
        const handle = pickFrom(m.liveHandles(), n);
        return handle === undefined ? undefined : { kind: 'disconnect', handle };
      }),
    ),
    serverCrash: fc.constant(fixed({ kind: 'serverCrash' })),
    faultNextRelease: fc.constant(fixed({ kind: 'faultNextRelease' })),
  };
}
