/** The rule catalogue: what correct DCOM does, each rule with its source. */
import type { ActionKind } from './actions';
import type { Capabilities, Observation } from './adapter';
import {
  CALL_TIMEOUT_MS,
  EXIT_PROMPT_MS,
  MISSED_PINGS,
  PING_PERIOD_MS,
  PING_SET_TIMEOUT_MS,
  RELEASE_PROMPT_MS,
  RUNDOWN_SLACK_MS,
  UDP_UNREACHABLE_FAILURE_MS,
} from './constants';
import type { TraceEvent } from './events';

/** A bound as the statements write it: "120 s". The statements carry the numbers the oracles judge by. */
function s(ms: number): string {
  return `${ms / 1000} s`;
}

/**
 * strict: MS-DCOM plus the fixes the KB articles ship. nt4: additionally admits what the KB
 * articles document as by design on NT4 (Q255890's hang and E_OUTOFMEMORY).
 */
export const PROFILES = ['strict', 'nt4'] as const;
export type Profile = (typeof PROFILES)[number];

/**
 * OK: exercised by enough runs and never violated. FAILED: some run violated it. NON-STRICT:
 * only behaviour the nt4 profile admits. INCONCLUSIVE: the adapter could exercise it, but too
 * few runs did. UNIMPLEMENTED: the adapter cannot carry out or observe what it needs.
 * INFORMATIONAL: reports what happened, never fails.
 */
export const VERDICTS = ['OK', 'FAILED', 'NON-STRICT', 'INCONCLUSIVE', 'UNIMPLEMENTED', 'INFORMATIONAL'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const RULE_IDS = [
  'PING-TERMINATION',
  'NO-EARLY-RUNDOWN',
  'EVENTUAL-RUNDOWN',
  'RELEASE-RECLAIM',
  'CALLBACK-MARSHALLING',
  'CALL-AFTER-RECLAIM',
  'PING-SEQUENCE',
  'PROCESS-EXIT',
  'UNREACHABLE-CALL',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export interface Rule {
  id: RuleId;
  title: string;
  statement: string;
  sources: string[];
  /** Profiles under which the rule is judged. */
  profiles: Profile[];
  /** informational rules report what happened and never fail. */
  informational?: boolean;
  /** Action kinds that must all be supported for a run to be able to exercise the rule. */
  needs: ActionKind[];
  /** Observations the rule is judged from; without them it stays UNIMPLEMENTED. */
  observes: Observation[];
}

export const RULES: readonly Rule[] = [
  {
    id: 'PING-TERMINATION',
    title: 'Pinging stops when references are gone',
    statement:
      `Once no process on a machine references an object (released, exited, crashed), the machine stops pinging it within one ping period (${s(PING_PERIOD_MS)}), even while another machine still holds and pings it; once it references nothing on a server, it stops pinging that server (only DelFromSet may still go out).`,
    sources: ['Q224837', 'MS-DCOM 3.2.6.1'],
    profiles: ['strict', 'nt4'],
    needs: ['start', 'activate'],
    observes: ['pings'],
  },
  {
    id: 'NO-EARLY-RUNDOWN',
    title: 'No rundown under a live, reachable client',
    statement:
      `The server never reclaims an object while any live holder (of a shared instance, a handed-over proxy, whoever else let go) holds a reference and could reach the server for the whole ping-set window (${s(PING_SET_TIMEOUT_MS)}) before, whatever its authentication, COAUTHINFO, blanket or domain trust.`,
    sources: ['Q224837', 'Q184278', 'MS-DCOM 3.1.2.2'],
    profiles: ['strict', 'nt4'],
    needs: ['start', 'activate', 'advance'],
    observes: ['reclaims'],
  },
  {
    id: 'EVENTUAL-RUNDOWN',
    title: 'Objects of vanished clients are run down in time',
    statement:
      `When nobody who can ping holds an object and not every reference was given back (crash, partition, lost release), it is reclaimed not before ${MISSED_PINGS} ping periods (${s(PING_SET_TIMEOUT_MS)}) after the last sign of life for each cut-off holder that lives (its own machine's pings and deletes, or the exporter handing the object out), and not later than that plus half a period (${s(RUNDOWN_SLACK_MS)}) after the last sign of life, also when every holder was cut off that long and a partition healed later.`,
    sources: ['MS-DCOM 3.1.2.2', 'MS-DCOM 3.1.2.6'],
    profiles: ['strict', 'nt4'],
    needs: ['start', 'activate', 'advance'],
    observes: ['reclaims'],
  },
  {
    id: 'RELEASE-RECLAIM',
    title: 'The last release reclaims the object',
    statement:
      `When a reachable holder gives back the last reference of all holders anywhere (Release to zero, CoUninitialize, the server releasing a callback), the exporter reclaims the object within ${s(RELEASE_PROMPT_MS)}.`,
    sources: ['MS-DCOM 3.2.4.4.2', 'MS-DCOM 3.1.1.5.8'],
    profiles: ['strict', 'nt4'],
    needs: ['start', 'activate', 'release'],
    observes: ['reclaims'],
  },
  {
    id: 'CALLBACK-MARSHALLING',
    title: 'Callbacks marshal when SYSTEM is admitted, fail cleanly when not',
    statement:
      `With SYSTEM admitted on the client machine (permission absent, empty, or allowing SYSTEM) a callback passes and the server's later calls reach the client. With SYSTEM denied the call fails with an access error (E_ACCESSDENIED or RPC_E_ACCESS_DENIED) within the call timeout (${s(CALL_TIMEOUT_MS)}). Under nt4 the documented UDP hang and TCP E_OUTOFMEMORY are NON-STRICT; under strict they FAIL; a callback accepted although SYSTEM is denied always FAILS.`,
    sources: ['Q255890', 'MS-DCOM 3.1.1.5.4'],
    profiles: ['strict', 'nt4'],
    needs: ['start', 'activate', 'passCallback'],
    observes: ['callbacks'],
  },
  {
    id: 'CALL-AFTER-RECLAIM',
    title: 'Calls to a reclaimed object fail promptly',
    statement:
      `A call through a proxy whose object is gone fails within the call timeout (${s(CALL_TIMEOUT_MS)}) with an object-gone code (RPC_E_DISCONNECTED, CO_E_OBJNOTCONNECTED, RPC_E_INVALID_IPID, RPC_E_INVALID_OBJECT; or a server-death code once the process that exported it has died), never hangs, never succeeds.`,
    sources: ['MS-DCOM 3.1.1.5.8', 'CoDisconnectObject'],
    profiles: ['strict', 'nt4'],
    needs: ['start', 'activate', 'call'],
    observes: ['reclaims'],
  },
  {
    id: 'PING-SEQUENCE',
    title: 'ComplexPing bookkeeping',
    statement:
      `A set is created by ComplexPing with set id 0; later ComplexPings carry strictly increasing sequence numbers, add only objects not in the set and delete only objects in it; the exporter ignores, with success, a ComplexPing older than the last it accepted on a set; SimplePing goes only to an existing set, and no ping to a set the exporter answered OR_INVALID_SET for; a set holding objects is pinged at least once per ping period (${s(PING_PERIOD_MS)}); a machine keeps one set per server.`,
    sources: ['MS-DCOM 3.2.6.1', 'MS-DCOM 3.1.2.5.1.3'],
    profiles: ['strict', 'nt4'],
    needs: ['start', 'activate'],
    observes: ['pings'],
  },
  {
    id: 'PROCESS-EXIT',
    title: 'A finished client process exits',
    statement:
      `A client whose program ended (with or without CoUninitialize, or by a crash) is gone within ${s(EXIT_PROMPT_MS)}; nothing DCOM left behind keeps it alive.`,
    sources: ['Q224837'],
    profiles: ['strict', 'nt4'],
    needs: ['start', 'exit'],
    observes: ['exits'],
  },
  {
    id: 'UNREACHABLE-CALL',
    title: 'How calls to an unreachable server end',
    statement:
      `Informational: how calls to an unreachable peer end on each transport (datagram DCOM gives up after about ${s(UDP_UNREACHABLE_FAILURE_MS)}, TCP fails at once); never fails a run.`,
    sources: ['Q255198'],
    profiles: ['strict', 'nt4'],
    informational: true,
    needs: ['start', 'activate', 'call', 'partition'],
    observes: [],
  },
];

export const RULES_BY_ID: ReadonlyMap<RuleId, Rule> = new Map(RULES.map((r) => [r.id, r]));

/** Why the adapter cannot exercise the rule (an action it cannot carry out, an observation it lacks), if so. */
export function missingFor(rule: Rule, caps: Pick<Capabilities, 'actions' | 'observes'>): string | undefined {
  const actions = rule.needs.filter((k) => !caps.actions.includes(k));
  if (actions.length) return `adapter cannot carry out ${actions.join(', ')}`;
  const observes = rule.observes.filter((o) => !caps.observes.includes(o));
  if (observes.length) return `adapter cannot observe ${observes.join(', ')}`;
  return undefined;
}

/** A real clock sped up more than this could not keep a ping period apart from scheduling noise. */
export const MAX_CLOCK_SCALE = 100_000;

/**
 * Why an adapter's declared capabilities cannot give a campaign anything to judge, if so: no
 * rule that can fail is within its actions and observations, or its clock cannot be used.
 */
export function unusableCapabilities(caps: Pick<Capabilities, 'actions' | 'observes' | 'clock'>): string | undefined {
  const clock = caps.clock;
  if (clock.kind === 'real' && !(Number.isFinite(clock.scale) && clock.scale >= 1 && clock.scale <= MAX_CLOCK_SCALE)) {
    return `it declares a real clock sped up ${clock.scale} times; the scale must be from 1 to ${MAX_CLOCK_SCALE}`;
  }
  if (!RULES.some((r) => !r.informational && !missingFor(r, caps))) {
    return `it declares actions [${caps.actions.join(', ')}] and observations [${caps.observes.join(', ')}], with which no rule can be exercised`;
  }
  return undefined;
}

/** How one rule judged one run. `idle`: nothing in the run exercised the rule. */
export type RunStatus = 'pass' | 'fail' | 'non-strict' | 'info' | 'idle';

export interface Violation {
  /** One sentence a person can read. */
  message: string;
  /** 'non-strict': behaviour the nt4 profile admits as documented by design. */
  severity: 'fail' | 'non-strict';
  /** The events that show it (the offending ones, with the ones that set the scene). */
  events: TraceEvent[];
}

export interface RuleOutcome {
  rule: RuleId;
  status: RunStatus;
  violations: Violation[];
  /** Named situations the run exercised, counted for coverage ("callback, SYSTEM denied, udp"). */
  situations: string[];
}
