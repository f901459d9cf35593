/**
 * The mutant catalogue: single-fault variants of the reference world, each a plausible
 * implementation bug expressed as one Behaviour switch. A kit that is any good kills every
 * one of them (`dcomkit mutate`); the known-bad NT4 releases are in releases.ts.
 *
 * `killedBy` is the rule expected to catch the mutant first; `minimal` is the length of the
 * shortest action list known to expose it (before the runner's settle period), with that
 * list spelled out in `scenario` and in docs/power.md.
 */
import type { RuleId } from '../../spec';
import { CORRECT, type Behaviour } from './behaviour';

export interface Mutant {
  name: string;
  /** The implementation bug, in one line. */
  description: string;
  /** The switch (and value) that turns the reference world into this mutant. */
  patch: Partial<Behaviour>;
  behaviour: Behaviour;
  killedBy: RuleId;
  minimal: number;
  scenario: string;
}

type MutantSpec = Omit<Mutant, 'behaviour'>;

const SPECS: MutantSpec[] = [
  {
    name: 'never-del-from-set',
    description: 'The client resolver forgets to send DelFromSet, so released objects stay in its ping set',
    patch: { neverDelFromSet: true },
    killedBy: 'PING-TERMINATION',
    minimal: 4,
    scenario: 'start p1; activate h1; advance past a ping; release h1',
  },
  {
    name: 'crash-keeps-oids',
    description: "The resolver never drops a crashed process's OIDs from its ping set",
    patch: { crashKeepsOids: true },
    killedBy: 'PING-TERMINATION',
    minimal: 3,
    scenario: 'start p1; activate h1; crash p1',
  },
  {
    name: 'two-missed-pings',
    description: 'The ping-set timer runs a set down after 2 missed pings (off by one) instead of 3',
    patch: { missedPings: 2 },
    killedBy: 'EVENTUAL-RUNDOWN',
    minimal: 3,
    scenario: 'start p1; activate h1; partition client1 (run down after 4 minutes while p1 is cut off)',
  },
  {
    name: 'four-missed-pings',
    description: 'The ping-set timer waits for 4 missed pings (<= instead of <) before running a set down',
    patch: { missedPings: 4 },
    killedBy: 'EVENTUAL-RUNDOWN',
    minimal: 3,
    scenario: 'start p1; activate h1; crash p1',
  },
  {
    name: 'slow-ping-period',
    description: 'The client resolver pings every 4 minutes instead of 2 (one lost datagram from rundown)',
    patch: { pingPeriodMs: 240_000 },
    killedBy: 'PING-SEQUENCE',
    minimal: 2,
    scenario: 'start p1; activate h1',
  },
  {
    name: 'stale-seq-applied',
    description: 'The exporter applies ComplexPings older than the sequence number it last saw',
    patch: { staleSeqApplied: true },
    // The exporter answers the stale add of a reclaimed object with OR_INVALID_OID. When the
    // object lives on instead (its holder crashed), only EVENTUAL-RUNDOWN sees it, in seven
    // actions: start p1, p2; p1 activates; advance; p2 activates; advance; crash p2.
    killedBy: 'PING-SEQUENCE',
    minimal: 6,
    scenario:
      'UDP world; start p1; activate h1; advance past a ping; activate h2; advance past a ping (its ComplexPing comes again later); release h2',
  },
  {
    name: 'release-leaks-ref',
    description: 'RemRelease of the last reference is off by one and leaves the object alive',
    patch: { releaseLeaksRef: true },
    killedBy: 'RELEASE-RECLAIM',
    minimal: 3,
    scenario: 'start p1; activate h1; release h1',
  },
  {
    name: 'callback-check-inverted',
    description: 'The SYSTEM access check on callback export has its condition inverted',
    patch: { callbackCheckInverted: true },
    killedBy: 'CALLBACK-MARSHALLING',
    minimal: 3,
    scenario: 'start p1; activate h1; pass a callback (SYSTEM admitted: it is refused)',
  },
  {
    name: 'callback-check-skipped',
    description: 'Callback export skips the SYSTEM access check',
    patch: { callbackCheckSkipped: true },
    killedBy: 'CALLBACK-MARSHALLING',
    minimal: 3,
    scenario: 'SYSTEM denied on client1; start p1; activate h1; pass a callback (accepted)',
  },
  {
    name: 'denied-callback-hangs',
    description: 'A callback refused for lack of SYSTEM access never answers the client',
    patch: { deniedCallbackHangs: true },
    killedBy: 'CALLBACK-MARSHALLING',
    minimal: 3,
    scenario: 'SYSTEM denied on client1; start p1; activate h1; pass a callback (hangs)',
  },
  {
    name: 'call-after-reclaim-hangs',
    description: 'A call through a proxy whose object is gone waits forever instead of failing',
    patch: { callAfterReclaimHangs: true },
    killedBy: 'CALL-AFTER-RECLAIM',
    minimal: 4,
    scenario: 'start p1; activate h1; CoDisconnectObject(h1); call h1',
  },
  {
    name: 'disconnected-calls-succeed',
    description: 'CoDisconnectObject does not disconnect the stub: later calls still succeed',
    patch: { disconnectedCallsSucceed: true },
    killedBy: 'CALL-AFTER-RECLAIM',
    minimal: 4,
    scenario: 'start p1; activate h1; CoDisconnectObject(h1); call h1',
  },
  {
    name: 'set-per-process',
    description: 'The resolver keeps one ping set per client process instead of one per machine',
    patch: { setPerProcess: true },
    killedBy: 'PING-SEQUENCE',
    minimal: 4,
    scenario: 'start p1 and p2 on client1; each activates an object (two sets to the server)',
  },
  {
    name: 'empty-sets-kept',
    description: 'A ping set emptied by DelFromSet is kept and SimplePinged forever',
    patch: { emptySetsKept: true },
    killedBy: 'PING-TERMINATION',
    minimal: 4,
    scenario: 'start p1; activate h1; advance past a ping; release h1',
  },
  {
    name: 'uninit-skips-release',
    description: "CoUninitialize does not RemRelease the process's proxies",
    patch: { uninitSkipsRelease: true },
    killedBy: 'RELEASE-RECLAIM',
    minimal: 3,
    scenario: 'start p1; activate h1; CoUninitialize and exit p1',
  },
  {
    name: 'simple-ping-ignored',
    description: "SimplePing does not reset the ping set's timer",
    patch: { simplePingIgnored: true },
    killedBy: 'NO-EARLY-RUNDOWN',
    minimal: 2,
    scenario: 'start p1; activate h1 (run down 6 minutes after the set was created although pinged)',
  },
  {
    name: 'no-rundown',
    description: 'The exporter never runs ping sets down',
    patch: { noRundown: true },
    killedBy: 'EVENTUAL-RUNDOWN',
    minimal: 3,
    scenario: 'start p1; activate h1; crash p1',
  },
  {
    name: 'seq-frozen',
    description: 'The client resolver never increments the ComplexPing sequence number',
    patch: { seqFrozen: true },
    killedBy: 'PING-SEQUENCE',
    minimal: 4,
    scenario: 'start p1; activate h1; advance past a ping; activate h2',
  },
  {
    name: 'readd-everything',
    description: 'Every ComplexPing sends the whole set as additions again',
    patch: { readdEverything: true },
    killedBy: 'PING-SEQUENCE',
    minimal: 4,
    scenario: 'start p1; activate h1; advance past a ping; activate h2',
  },
  {
    name: 'exit-lingers',
    description: 'A process whose program ended is kept alive by a leftover timer',
    patch: { exitLingers: true },
    killedBy: 'PROCESS-EXIT',
    minimal: 2,
    scenario: 'start p1; exit p1',
  },
  {
    name: 'callback-not-delivered',
    description: "The server's call into a held callback reports success without reaching the client",
    patch: { callbackNotDelivered: true },
    killedBy: 'CALLBACK-MARSHALLING',
    minimal: 4,
    scenario: 'start p1; activate h1; pass callback cb1; server invokes cb1',
  },
  {
    name: 'first-ping-late',
    description: 'A newly unmarshalled OID joins the ping set only after three ping periods',
    patch: { firstPingLate: true },
    killedBy: 'NO-EARLY-RUNDOWN',
    minimal: 2,
    scenario: 'start p1; activate h1 (run down at 6 minutes, never pinged)',
  },
  // --- several holders of one object -------------------------------------------------------
  {
    name: 'unmarshal-set-per-process',
    description: 'The resolver pings a handed-over pointer in a ping set of the receiving process, beside its machine set',
    patch: { unmarshalSetPerProcess: true },
    killedBy: 'PING-SEQUENCE',
    minimal: 4,
    scenario: 'start p1 and p2 on client1; p1 activates h1; h1 handed to p2 (two sets from client1 to the server)',
  },
  {
    name: 'release-drops-shared',
    description: "Releasing a proxy deletes the OID from its machine's ping set while another proxy on the machine (of the same or another process) still holds it",
    patch: { releaseDropsShared: true },
    killedBy: 'NO-EARLY-RUNDOWN',
    minimal: 4,
    scenario: 'start p1; activate h1; QueryInterface h2 from h1; release h1 (run down at 360 s while h2 holds it; two processes sharing an instance show it in five)',
  },
  {
    name: 'exporter-counts-per-set',
    description: "The exporter counts an object's ping sets as one: a set letting it go leaves it in none, though another machine's set holds it",
    patch: { exporterCountsPerSet: true },
    killedBy: 'NO-EARLY-RUNDOWN',
    minimal: 6,
    scenario: 'start p1 on client1 and p2 on client2; both activate shared instance s1; advance past a ping; p1 releases it (client1 deletes it; run down 360 s later while p2 holds it)',
  },
  {
    name: 'stale-seq-per-object',
    description: 'The exporter tells stale ComplexPings by a sequence number kept per object, not per set: a shared object is judged by another set\'s numbers',
    patch: { staleSeqPerObject: true },
    killedBy: 'NO-EARLY-RUNDOWN',
    minimal: 7,
    scenario:
      "start p1; p1 activates shared instance s1; advance past a ping (client1's set, ComplexPing 1); p1 ends without CoUninitialize; advance past a ping (ComplexPing 2 deletes s1, which lives on, its reference lost); start p2 on client1; p2 activates s1 (client1's new set, ComplexPing 1, is judged stale for it: run down while p2 holds it)",
  },
  {
    name: 'receiver-never-pings',
    description: 'An unmarshalled (handed-over) pointer is never added to the receiving machine ping set',
    patch: { receiverNeverPings: true },
    killedBy: 'NO-EARLY-RUNDOWN',
    minimal: 5,
    scenario: 'start p1 on client1 and p2 on client2; p1 activates h1; h1 handed to p2; p1 releases h1 (run down 360 s after client1 deletes it, while p2 holds it)',
  },
  {
    name: 'invalid-set-kept',
    description: 'After OR_INVALID_SET (its set expired during a partition) the client resolver keeps using the old set id',
    patch: { invalidSetKept: true },
    killedBy: 'PING-SEQUENCE',
    minimal: 6,
    scenario: 'start p1; activate h1; advance past a ping; partition client1; advance past the rundown window; heal (client1 pings its expired set again after OR_INVALID_SET; an object activated now would never be in a set)',
  },
];

export const MUTANTS: readonly Mutant[] = SPECS.map((m) => ({ ...m, behaviour: { ...CORRECT, ...m.patch } }));

export function findMutant(name: string): Mutant | undefined {
  return MUTANTS.find((m) => m.name === name);
}
