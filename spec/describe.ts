/** Human-readable one-liners for actions and events, shared by the CLI and reports. */
import { match } from 'ts-pattern';
import type { Action, AuthInfo, BlanketSettings } from './actions';
import { formatHr } from './constants';
import type { TraceEvent } from './events';
import { describeAccess } from './world';

const AUTHN_LEVEL_NAMES = ['DEFAULT', 'NONE', 'CONNECT', 'CALL', 'PKT', 'PKT_INTEGRITY', 'PKT_PRIVACY'];
const IMP_LEVEL_NAMES = ['DEFAULT', 'ANONYMOUS', 'IDENTIFY', 'IMPERSONATE', 'DELEGATE'];

function authn(level: number): string {
  return AUTHN_LEVEL_NAMES[level] ?? String(level);
}
function imp(level: number): string {
  return IMP_LEVEL_NAMES[level] ?? String(level);
}
function svc(s: number): string {
  return s === 0 ? 'NONE' : s === 10 ? 'WINNT' : s === 9 ? 'NEGOTIATE' : s === 16 ? 'KERBEROS' : s === 0xffffffff ? 'DEFAULT' : String(s);
}
function authInfo(a: AuthInfo): string {
  return `COAUTHINFO{${svc(a.authnSvc)}, ${authn(a.authnLevel)}, ${imp(a.impLevel)}, ${a.identity}}`;
}
function blanket(b: BlanketSettings): string {
  return `${svc(b.authnSvc)}, ${authn(b.authnLevel)}, ${imp(b.impLevel)}, caps 0x${b.capabilities.toString(16)}`;
}

/** Seconds with up to three decimals: "360s", "119.999s". */
export function formatMs(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/**
 * Virtual ms the runner's settle period lasted in a trace (its chunks together), or undefined
 * for a trace without one.
 */
export function settleMs(events: readonly TraceEvent[]): number | undefined {
  let total: number | undefined;
  for (const e of events) if (e.kind === 'action' && e.settle && e.action.kind === 'advance') total = (total ?? 0) + e.action.ms;
  return total;
}

export function describeAction(a: Action): string {
  return match(a)
    .with({ kind: 'setAccess' }, (x) => `set ${x.machine} default access permission: ${describeAccess(x.access)}`)
    .with({ kind: 'setProtocols' }, (x) => `set ${x.machine} DCOM protocols: ${x.protocols}`)
    .with({ kind: 'setTrust' }, (x) => `set ${x.machine} domain trust to server: ${x.trust}`)
    .with({ kind: 'partition' }, (x) => `partition ${x.machine} from server`)
    .with({ kind: 'heal' }, (x) => `heal partition of ${x.machine}`)
    .with({ kind: 'advance' }, (x) => `advance ${formatMs(x.ms)}`)
    .with(
      { kind: 'start' },
      (x) => `start client ${x.process} on ${x.machine} as ${x.identity} (${x.authenticated ? 'authenticated' : 'unauthenticated'})`,
    )
    .with(
      { kind: 'initSecurity' },
      (x) => `${x.process}: CoInitializeSecurity(${authn(x.authnLevel)}, ${imp(x.impLevel)}, caps 0x${x.capabilities.toString(16)})`,
    )
    .with({ kind: 'activate' }, (x) => {
      const parts = [`CLSCTX_${x.clsctx === 'local' ? 'LOCAL' : 'REMOTE'}_SERVER`];
      if (x.serverInfo) parts.push('COSERVERINFO(server)');
      if (x.authInfo) parts.push(authInfo(x.authInfo));
      return `${x.process}: ${x.handle} = CoCreateInstanceEx(${parts.join(', ')})`;
    })
    .with({ kind: 'activateShared' }, (x) => `${x.process}: ${x.handle} = CoCreateInstanceEx(CLSCTX_REMOTE_SERVER, COSERVERINFO(server), shared instance ${x.instance})`)
    .with({ kind: 'setBlanket' }, (x) => `CoSetProxyBlanket(${x.handle}${x.target === 'iunknown' ? ' IUnknown' : ''}, ${blanket(x)})`)
    .with({ kind: 'queryInterface' }, (x) => `${x.newHandle} = ${x.handle}->QueryInterface(${x.iid})`)
    .with({ kind: 'addRef' }, (x) => `${x.handle}->AddRef()`)
    .with({ kind: 'release' }, (x) => `${x.handle}->Release()`)
    .with({ kind: 'handOver' }, (x) => `${x.process}: ${x.newHandle} = CoUnmarshalInterface(CoMarshalInterface(${x.handle}))`)
    .with({ kind: 'call' }, (x) => `${x.handle}->Method()`)
    .with({ kind: 'passCallback' }, (x) => `${x.handle}->Advise(new callback ${x.callback})`)
    .with({ kind: 'exit' }, (x) => `${x.process}: CoUninitialize and exit`)
    .with({ kind: 'abandon' }, (x) => `${x.process}: program ends without CoUninitialize`)
    .with({ kind: 'crash' }, (x) => `${x.process}: crash (no cleanup)`)
    .with({ kind: 'invokeCallback' }, (x) => `server invokes callback ${x.callback}`)
    .with({ kind: 'releaseCallback' }, (x) => `server releases callback ${x.callback}`)
    .with({ kind: 'disconnect' }, (x) => `server: CoDisconnectObject(object behind ${x.handle})`)
    .with({ kind: 'serverCrash' }, () => 'server process crashes')
    .with({ kind: 'faultNextRelease' }, () => 'server will fault its next RemRelease')
    .exhaustive();
}

export function describeEvent(e: TraceEvent): string {
  const t = `[${formatMs(e.at)}]`;
  return match(e)
    .with({ kind: 'action' }, (x) => `${t} #${x.step + 1} ${x.settle ? '(settle) ' : ''}${describeAction(x.action)}`)
    .with(
      { kind: 'completed' },
      (x) => `${t} #${x.step + 1} returned ${formatHr(x.hr)}${x.oid ? ` (${x.oid})` : ''}${x.transport ? ` over ${x.transport}` : ''}${x.detail ? `: ${x.detail}` : ''}`,
    )
    .with({ kind: 'hung' }, (x) => `${t} #${x.step + 1} did not return (hang)${x.transport ? ` over ${x.transport}` : ''}${x.detail ? `: ${x.detail}` : ''}`)
    .with({ kind: 'ping' }, (x) => {
      const body =
        x.type === 'simple'
          ? `SimplePing(set ${x.setId})`
          : `ComplexPing(set ${x.setId}, seq ${x.seq}, add [${x.adds.join(' ')}], del [${x.dels.join(' ')}])`;
      const status = x.status === 'ok' ? 'ok' : x.status === 'lost' ? 'lost' : `error ${x.status}`;
      return `${t} ping ${x.from} -> ${x.to}: ${body} ${status}${x.newSetId ? ` -> set ${x.newSetId}` : ''}`;
    })
    .with({ kind: 'reclaimed' }, (x) => `${t} ${x.machine} reclaimed ${x.oid} (${x.cause})`)
    .with({ kind: 'callbackDelivered' }, (x) => `${t} callback ${x.callback} reached ${x.process}`)
    .with({ kind: 'processExit' }, (x) => `${t} process ${x.process} exited on ${x.machine}`)
    .with({ kind: 'note' }, (x) => `${t} note: ${x.text}`)
    .exhaustive();
}
