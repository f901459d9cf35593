/**
 * Switches that turn the correct reference world into a documented faulty one: the NT4
 * service-pack releases (each switch cites its KB article) and single-fault mutants.
 * Every switch defaults to the correct behaviour.
 */
export interface Behaviour {
  // --- documented NT4 defects -------------------------------------------------------------
  /**
   * Q224837 (fixed in NT4 SP6): an unauthenticated client that activates with COAUTHINFO or
   * calls CoSetProxyBlanket gets its object pinged under a context the server never credits
   * (run down about 6 minutes later although held), and its machine never drops the object
   * from the ping set (pings forever after the process is gone).
   */
  q224837: boolean;
  /**
   * Q184278 (fixed in NT4 SP4): pings from a client machine in an untrusted domain stop
   * counting after the first two, so the server disconnects a live client after about
   * 9 minutes.
   */
  q184278: boolean;
  /**
   * Q255890 (by design on NT4): with SYSTEM denied on the client machine, passing a callback
   * hangs over UDP and returns E_OUTOFMEMORY over TCP instead of failing with an access error.
   */
  q255890: boolean;

  // --- single-fault mutants -------------------------------------------------------------
  /** Client resolver never sends DelFromSet. */
  neverDelFromSet: boolean;
  /** A crashed process's OIDs stay in its machine's ping set. */
  crashKeepsOids: boolean;
  /** Server ping-set timer counts this many missed pings instead of 3. */
  missedPings: number;
  /** Client ping period in ms. */
  pingPeriodMs: number;
  /** Server applies ComplexPings older than the stored sequence number. */
  staleSeqApplied: boolean;
  /** RemRelease leaves one reference behind. */
  releaseLeaksRef: boolean;
  /** Callback access check admits exactly those it should deny. */
  callbackCheckInverted: boolean;
  /** Callback access check is skipped. */
  callbackCheckSkipped: boolean;
  /** A denied callback hangs whatever the transport. */
  deniedCallbackHangs: boolean;
  /** Calls through a proxy whose object is gone hang. */
  callAfterReclaimHangs: boolean;
  /** Calls after CoDisconnectObject succeed as if the object were still there. */
  disconnectedCallsSucceed: boolean;
  /** Ping sets are kept per client process instead of per machine. */
  setPerProcess: boolean;
  /** An emptied ping set is kept and SimplePinged. */
  emptySetsKept: boolean;
  /** CoUninitialize does not RemRelease the process's proxies. */
  uninitSkipsRelease: boolean;
  /** SimplePing does not reset the ping-set timer. */
  simplePingIgnored: boolean;
  /** Server never runs ping sets down. */
  noRundown: boolean;
  /** ComplexPing sequence numbers are not incremented. */
  seqFrozen: boolean;
  /** Every ComplexPing adds the whole set again. */
  readdEverything: boolean;
  /** A process that ended keeps running (a timer keeps it alive). */
  exitLingers: boolean;
  /** A server's call into a held callback reports success without reaching the client. */
  callbackNotDelivered: boolean;
  /** The first ping of a new object goes out only after three ping periods. */
  firstPingLate: boolean;

  // --- single-fault mutants of several holders --------------------------------------------
  /** A handed-over pointer is pinged in a ping set of the receiving process, beside its machine's set. */
  unmarshalSetPerProcess: boolean;
  /**
   * Releasing a proxy deletes its object from the machine's ping set although another proxy on
   * the machine, of the same or another process, still holds it (until a new reference is taken).
   */
  releaseDropsShared: boolean;
  /**
   * The exporter counts an object's ping sets as one: when any set lets it go (DelFromSet or
   * expiry) it is treated as in no set, although another machine's set still holds it.
   */
  exporterCountsPerSet: boolean;
  /**
   * The exporter tells stale ComplexPings by a sequence number kept per object instead of per
   * set: an object several sets hold is judged by whichever set named it last, so one set's
   * fresh add or delete of it is ignored, or a stale one applied.
   */
  staleSeqPerObject: boolean;
  /** An unmarshalled (handed-over) pointer is never added to the receiving machine's ping set. */
  receiverNeverPings: boolean;
  /** After OR_INVALID_SET (an expired set) the client resolver keeps using the old set id. */
  invalidSetKept: boolean;
}

export const CORRECT: Readonly<Behaviour> = Object.freeze({
  q224837: false,
  q184278: false,
  q255890: false,
  neverDelFromSet: false,
  crashKeepsOids: false,
  missedPings: 3,
  pingPeriodMs: 120_000,
  staleSeqApplied: false,
  releaseLeaksRef: false,
  callbackCheckInverted: false,
  callbackCheckSkipped: false,
  deniedCallbackHangs: false,
  callAfterReclaimHangs: false,
  disconnectedCallsSucceed: false,
  setPerProcess: false,
  emptySetsKept: false,
  uninitSkipsRelease: false,
  simplePingIgnored: false,
  noRundown: false,
  seqFrozen: false,
  readdEverything: false,
  exitLingers: false,
  callbackNotDelivered: false,
  firstPingLate: false,
  unmarshalSetPerProcess: false,
  releaseDropsShared: false,
  exporterCountsPerSet: false,
  staleSeqPerObject: false,
  receiverNeverPings: false,
  invalidSetKept: false,
});
