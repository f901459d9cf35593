/**
 * A loopback DCOM server emulator: an SCM/OXID-resolver port and an object-exporter port
 * per client machine, serving IRemoteActivation, IObjectExporter, IRemUnknown and ITest over
 * MSRPC with NTLM (any credentials accepted). Time is the kit's virtual clock: the server
 * never reads the wall clock for protocol decisions, it is told the time and asked to run
 * whatever fell due (ping-set expiry, delayed answers).
 */
import * as net from 'node:net';
import type { AdapterEvent, ClientMachine, ReclaimCause } from '../../spec';
import { HR, OR, PING_SET_TIMEOUT_MS } from '../../spec';
import * as act from './activation';
import * as d from './dcom';
import { FaultPlan, DEFAULT_FAULT_STATUS, type FaultEffect, type FaultRule, type MethodName } from './faults';
import { challengeFlags, decodeNtlm, encodeChallenge, filetime, isNtlm, serverTargetInfo } from './ntlm';
import { NDR20_SYNTAX, PFC, PTYPE, PduFramer, decodePdu, encodePdu, type BindPdu, type Pdu, type RequestPdu } from './pdu';
import { AUTHN_LEVEL, SIGNATURE_LEN, establish, protect, trailerOf, unprotect, type SecurityContext } from './security';

const ZERO_SET = '0000000000000000';
const RPC_S_PROCNUM_OUT_OF_RANGE = 0x1c010002; // nca_s_op_rng_error
const RPC_S_UNKNOWN_IF = 0x1c010003; // nca_s_unk_if
const MAX_FRAG = 4280;
/** Refusal of a call whose security does not hold (ERROR_ACCESS_DENIED as an RPC fault status). */
const RPC_S_ACCESS_DENIED = 0x00000005;

/**
 * The NT hash of the one account the emulator knows (any user and domain name): an NTLMv2
 * client must prove it to get signing and sealing keys. A fixed test value, not MD4 of any
 * password, so neither side needs MD4 (OpenSSL 3 keeps it in its legacy provider).
 */
export const EMULATOR_NT_HASH = Buffer.from('d0c0f00d5e574a119000dc0e7c17c0de', 'hex');
/** The server's NetBIOS name, in its NTLM challenge. */
export const EMULATOR_NAME = 'DCOMKIT';
/** Virtual time 0 on the server's clock, as the NTLM timestamp counts it (2026-01-01T00:00:00Z). */
const EPOCH_MS = Date.UTC(2026, 0, 1);
/** The fixed server challenge ("dcomkit!"): a loopback test server needs no fresh one. */
export const SERVER_CHALLENGE = Buffer.from([0x64, 0x63, 0x6f, 0x6d, 0x6b, 0x69, 0x74, 0x21]);

export type Role = 'scm' | 'exporter';

export interface ServerOptions {
  /** The kit's virtual time in ms. */
  now: () => number;
  emit: (e: AdapterEvent) => void;
  machines?: readonly ClientMachine[];
  faults?: readonly FaultRule[];
  /** Sees every whole PDU as sent (sealed when sealed), for fixtures and debugging; `conn` is the client's port. */
  tap?: (dir: 'in' | 'out', role: Role, machine: ClientMachine, pdu: Buffer, conn: number) => void;
  /**
   * Answers wait in an outbox until `sendNext()` sends them, one at a time (default false:
   * each answer is written at once). A driver that releases an answer only when the client
   * has settled gets the same interleaving on every run, whatever the machine's load.
   */
  outbox?: boolean;
  /** NT hash NTLMv2 answers are checked against (default EMULATOR_NT_HASH). */
  ntHash?: Buffer;
}

interface Ipid {
  iid: string;
  refs: number;
}

interface ServerObject {
  name: string;
  oid: d.Id64;
  ipids: Map<string, Ipid>;
  /** Virtual time the object was exported; counts as its last ping until a set holds it. */
  exportedAt: number;
}

interface PingSet {
  name: string;
  id: d.Id64;
  seq: number;
  oids: Set<d.Id64>;
  lastPing: number;
  machine: ClientMachine;
}

interface Held {
  due: number;
  send: () => void;
}

interface Listener {
  role: Role;
  machine: ClientMachine;
  server: net.Server;
  port: number;
}

function id64(n: number): d.Id64 {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b.toString('hex');
}

function hexGuid(prefix: number, n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `${prefix.toString(16).padStart(8, '0')}-7e57-4000-8000-${h}`;
}

/**
 * Classes of the test class's shared instances: a singleton each, so every activation while it
 * lives gets the same object. The CLSID's last group is the kit's instance name in hex (names
 * of up to 6 characters, which the generators use) or a 48-bit FNV-1a hash of a longer one.
 */
const SHARED_CLASS_PREFIX = 'd0c0f00d-5e57-4a11-9001-';

export function sharedClassId(instance: string): string {
  const bytes = Buffer.from(instance, 'utf8');
  if (bytes.length <= 6) return SHARED_CLASS_PREFIX + bytes.toString('hex').padStart(12, '0');
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return SHARED_CLASS_PREFIX + (h & 0xffffffffffffn).toString(16).padStart(12, '0');
}

/** The emulated machine's test class: node-dcom activates it with IOPCServer, so it claims that too. */
const TEST_CLASS_IIDS = new Set<string>([d.IID.IUnknown, d.IID.ITest, d.IID.IOPCServer]);
const TEST_CALL_IIDS = new Set<string>([d.IID.ITest, d.IID.IOPCServer]);
const REM_UNKNOWN_IIDS = new Set<string>([d.IID.IRemUnknown, d.IID.IRemUnknown2]);

export class WireServer {
  private listeners: Listener[] = [];
  private sockets = new Set<net.Socket>();
  private socketMachine = new Map<net.Socket, ClientMachine>();
  private partitioned = new Set<ClientMachine>();
  private objects = new Map<d.Id64, ServerObject>();
  /** The live shared instance of each shared class. */
  private shared = new Map<string, d.Id64>();
  private ipidOwner = new Map<string, d.Id64>();
  private sets = new Map<d.Id64, PingSet>();
  private held: Held[] = [];
  private faults: FaultPlan;
  private count = { oid: 0, ipid: 0, set: 0 };
  private generation = 1;
  private oxid = id64(0x0a000001);
  private remUnknownIpid = hexGuid(0xa, 1);
  /** Counts bytes, connections and closes seen, for quiescence checks. */
  activity = 0;
  /** Requests read and not yet answered, held or dropped on purpose excluded. */
  private working = 0;
  /** Answers not yet written, oldest first (only with `outbox`). */
  private outgoing: Array<{ sock: net.Socket; bytes: Buffer }> = [];

  private constructor(private readonly opts: ServerOptions) {
    this.faults = new FaultPlan(opts.faults);
  }

  static async start(opts: ServerOptions): Promise<WireServer> {
    const s = new WireServer(opts);
    for (const machine of opts.machines ?? ['client1', 'client2']) {
      await s.listen('scm', machine);
      await s.listen('exporter', machine);
    }
    return s;
  }

  private listen(role: Role, machine: ClientMachine, port = 0): Promise<void> {
    const server = net.createServer((sock) => this.accept(sock, role, machine));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => {
        server.off('error', reject);
        const addr = server.address() as net.AddressInfo;
        this.listeners.push({ role, machine, server, port: addr.port });
        resolve();
      });
    });
  }

  port(role: Role, machine: ClientMachine): number {
    const l = this.listeners.find((x) => x.role === role && x.machine === machine);
    if (!l) throw new Error(`no ${role} listener for ${machine}`);
    return l.port;
  }

  /** The address node-dcom's ComServer takes: "127.0.0.1[port]". */
  scmAddress(machine: ClientMachine): string {
    return `127.0.0.1[${this.port('scm', machine)}]`;
  }

  get busy(): boolean {
    return this.working > 0;
  }

  /** Answers waiting in the outbox. */
  get queued(): number {
    return this.outgoing.length;
  }

  /** Writes the oldest waiting answer whose connection is still open; false if none is left. */
  sendNext(): boolean {
    for (let next = this.outgoing.shift(); next; next = this.outgoing.shift()) {
      if (next.sock.destroyed) continue;
      this.touch();
      next.sock.write(next.bytes);
      return true;
    }
    return false;
  }

  /** Each open connection by the client's port: [bytes read, bytes written]. */
  flows(): Map<number, [number, number]> {
    const out = new Map<number, [number, number]>();
    for (const sock of this.sockets) if (sock.remotePort !== undefined) out.set(sock.remotePort, [sock.bytesRead, sock.bytesWritten]);
    return out;
  }

  inject(rule: FaultRule): void {
    this.faults.add(rule);
  }

  private touch(): void {
    this.activity++;
  }

  private now(): number {
    return this.opts.now();
  }

  // --- connections -----------------------------------------------------------------------

  private accept(sock: net.Socket, role: Role, machine: ClientMachine): void {
    this.touch();
    if (this.partitioned.has(machine)) {
      sock.resetAndDestroy();
      return;
    }
    sock.setNoDelay(true); // answers must not wait for delayed ACKs (see the child's note)
    this.sockets.add(sock);
    this.socketMachine.set(sock, machine);
    const framer = new PduFramer();
    const contexts = new Map<number, string>();
    const security = new Map<number, SecurityContext>();
    sock.on('data', (chunk) => {
      this.touch();
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      for (const f of frames) {
        this.opts.tap?.('in', role, machine, f, sock.remotePort ?? 0);
        this.handle(sock, role, machine, { contexts, security }, f);
      }
    });
    sock.on('error', () => this.touch());
    sock.on('close', () => {
      this.touch();
      this.sockets.delete(sock);
      this.socketMachine.delete(sock);
    });
  }

  private send(sock: net.Socket, role: Role, machine: ClientMachine, pdu: Pdu, ctx?: SecurityContext): void {
    const bytes = ctx ? protect(encodePdu(pdu), ctx) : encodePdu(pdu);
    this.opts.tap?.('out', role, machine, bytes, sock.remotePort ?? 0);
    this.touch();
    if (sock.destroyed) return;
    if (this.opts.outbox) this.outgoing.push({ sock, bytes });
    else sock.write(bytes);
  }

  private handle(sock: net.Socket, role: Role, machine: ClientMachine, conn: Conn, frame: Buffer): void {
    let pdu: Pdu;
    let protection: Protection | undefined;
    try {
      const t = frame[2] === PTYPE.request ? trailerOf(frame) : null;
      if (t && t.level >= AUTHN_LEVEL.integrity) {
        const ctx = conn.security.get(t.contextId);
        const plain = unprotect(frame, ctx);
        if (typeof plain === 'string') {
          this.refuse(sock, role, machine, frame, plain);
          return;
        }
        frame = plain;
        protection = { ctx: ctx!, level: t.level, contextId: t.contextId };
      }
      pdu = decodePdu(frame);
    } catch {
      sock.destroy();
      return;
    }
    switch (pdu.type) {
      case 'bind':
      case 'alter_context':
        this.send(sock, role, machine, this.bindAck(pdu, conn, sock));
        return;
      case 'auth3': {
        const ctx = pdu.auth && conn.security.get(pdu.auth.contextId);
        const msg = pdu.auth && isNtlm(pdu.auth.value) ? decodeNtlm(pdu.auth.value) : null;
        // Type 3 carries the client's credentials: any name is accepted; an NTLMv2 proof is
        // checked because signing and sealing need the key only a right one yields.
        if (ctx && msg?.kind === 3) {
          establish(ctx, msg, this.opts.ntHash ?? EMULATOR_NT_HASH);
          if (ctx.state === 'refused') this.note(`server: NTLM authentication of ${ctx.user} from ${machine} refused: ${ctx.why}`);
        }
        return;
      }
      case 'request':
        this.request(sock, role, machine, conn.contexts, pdu, protection);
        return;
      default:
        sock.destroy();
    }
  }

  /** A protected request we cannot accept: a fault, as the RPC runtime answers a failed verifier. */
  private refuse(sock: net.Socket, role: Role, machine: ClientMachine, frame: Buffer, why: string): void {
    this.note(`server: refused a protected request from ${machine}: ${why}`);
    const callId = frame.readUInt32LE(12);
    const contextId = frame.readUInt16LE(20);
    this.send(sock, role, machine, { type: 'fault', callId, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 32, contextId, cancelCount: 0, status: RPC_S_ACCESS_DENIED });
  }

  private bindAck(pdu: BindPdu, conn: Conn, sock: net.Socket): Pdu {
    const results = pdu.contexts.map((c) => {
      const ndr = c.transfer.find((t) => t.uuid === NDR20_SYNTAX.uuid);
      if (!ndr) return { result: 2, reason: 2, transfer: { uuid: '00000000-0000-0000-0000-000000000000', version: 0 } };
      conn.contexts.set(c.contextId, c.abstract.uuid);
      return { result: 0, reason: 0, transfer: NDR20_SYNTAX };
    });
    const isBind = pdu.type === 'bind';
    // A NEGOTIATE opens a security context, on a bind or on an alter_context that brings a fresh
    // handshake for a new interface (MS-RPCE 3.3.1.5.3); node-dcom's alter_context carries an
    // empty AUTHENTICATE instead and gets no challenge.
    const negotiate = pdu.auth && isNtlm(pdu.auth.value) ? decodeNtlm(pdu.auth.value) : null;
    let challenge: Pdu['auth'];
    if (pdu.auth && negotiate?.kind === 1) {
      const flags = challengeFlags(negotiate.flags);
      conn.security.set(pdu.auth.contextId, { challenge: SERVER_CHALLENGE, flags, state: 'challenged' });
      challenge = {
        type: pdu.auth.type,
        level: pdu.auth.level,
        contextId: pdu.auth.contextId,
        value: encodeChallenge({
          flags,
          targetName: EMULATOR_NAME,
          challenge: SERVER_CHALLENGE,
          targetInfo: serverTargetInfo(EMULATOR_NAME, filetime(EPOCH_MS + this.now())),
        }),
      };
    }
    return {
      type: isBind ? 'bind_ack' : 'alter_context_resp',
      callId: pdu.callId,
      flags: PFC.FIRST_FRAG | PFC.LAST_FRAG,
      maxXmit: MAX_FRAG,
      maxRecv: MAX_FRAG,
      assocGroup: pdu.assocGroup || 0x1234,
      secondaryAddr: isBind ? String(sock.localPort) : '',
      results,
      ...(challenge ? { auth: challenge } : {}),
    };
  }

  private request(sock: net.Socket, role: Role, machine: ClientMachine, contexts: Map<number, string>, req: RequestPdu, protection?: Protection): void {
    const iface = contexts.get(req.contextId);
    const reply = (stub: Buffer | number) => {
      if (typeof stub === 'number') {
        this.send(sock, role, machine, { type: 'fault', callId: req.callId, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 32, contextId: req.contextId, cancelCount: 0, status: stub });
        return;
      }
      const pdu: Pdu = {
        type: 'response',
        callId: req.callId,
        flags: PFC.FIRST_FRAG | PFC.LAST_FRAG,
        allocHint: stub.length,
        contextId: req.contextId,
        cancelCount: 0,
        stub,
        // A protected request gets a response protected the same way, under the same context.
        ...(protection ? { auth: { type: d.AUTHN_WINNT, level: protection.level, contextId: protection.contextId, value: Buffer.alloc(SIGNATURE_LEN) } } : {}),
      };
      this.send(sock, role, machine, pdu, protection?.ctx);
    };
    const method = iface ? methodOf(iface, req.opnum) : null;
    if (!method) {
      reply(iface ? RPC_S_PROCNUM_OUT_OF_RANGE : RPC_S_UNKNOWN_IF);
      return;
    }
    const effect = this.faults.hit(method);
    if (effect?.kind === 'fault') {
      this.note(`server: injected fault ${hex(effect.status ?? DEFAULT_FAULT_STATUS)} answers ${method} from ${machine}`);
      reply(effect.status ?? DEFAULT_FAULT_STATUS);
      return;
    }
    this.working++;
    let answer: Buffer | number;
    try {
      answer = this.dispatch(method, machine, req);
    } catch {
      answer = RPC_S_PROCNUM_OUT_OF_RANGE; // unparsable stub: the real runtime faults too
    } finally {
      this.working--;
    }
    this.deliver(effect, method, machine, () => reply(answer));
  }

  private deliver(effect: FaultEffect | null, method: MethodName, machine: ClientMachine, send: () => void): void {
    if (effect?.kind === 'drop') {
      this.note(`server: injected drop of the answer to ${method} from ${machine}`);
      return;
    }
    if (effect?.kind === 'delay') {
      this.note(`server: injected ${effect.ms} ms delay of the answer to ${method} from ${machine}`);
      this.held.push({ due: this.now() + effect.ms, send });
      return;
    }
    send();
  }

  private note(text: string): void {
    this.opts.emit({ kind: 'note', at: this.now(), text });
  }

  // --- methods ---------------------------------------------------------------------------

  private dispatch(method: MethodName, machine: ClientMachine, req: RequestPdu): Buffer | number {
    switch (method) {
      case 'RemoteActivation':
        return this.activate(machine, d.decodeActivationRequest(req.stub));
      case 'RemoteCreateInstance':
        return this.createInstance(machine, act.decodeCreateInstanceRequest(req.stub));
      case 'SimplePing':
        return this.simplePing(machine, d.decodeSimplePing(req.stub));
      case 'ComplexPing':
        return this.complexPing(machine, d.decodeComplexPing(req.stub));
      case 'ServerAlive2':
        return d.encodeServerAlive2Response({
          version: d.COM_VERSION,
          bindings: { bindings: [{ tower: d.TOWER_TCP, address: '127.0.0.1' }], security: [] },
          status: 0,
        });
      case 'RemQueryInterface':
        return this.queryInterface(d.decodeRemQueryInterface(req.stub));
      case 'RemAddRef':
        return this.addRef(d.decodeRefsRequest(req.stub));
      case 'RemRelease':
        return this.release(d.decodeRefsRequest(req.stub));
      case 'Add': {
        const obj = req.object ? this.objectOfIpid(req.object) : undefined;
        // An IPID that is gone (released, run down, disconnected) is an object cut off from its clients.
        if (!obj) return HR.RPC_E_DISCONNECTED;
        const { x } = d.decodeAddRequest(req.stub);
        return d.encodeAddResponse({ y: (x + 1) | 0, hr: HR.S_OK });
      }
    }
  }

  private resolverBindings(): d.DualStringArray {
    return { bindings: [{ tower: d.TOWER_TCP, address: '127.0.0.1' }], security: [{ authnSvc: d.AUTHN_WINNT, authzSvc: 0xffff, principal: '' }] };
  }

  private newIpid(oid: d.Id64, iid: string, refs: number): string {
    const ipid = hexGuid(this.generation << 4, ++this.count.ipid);
    this.objects.get(oid)!.ipids.set(ipid, { iid, refs });
    this.ipidOwner.set(ipid, oid);
    return ipid;
  }

  private stdObjRef(obj: ServerObject, ipid: string, refs: number): d.StdObjRef {
    return { flags: 0, publicRefs: refs, oxid: this.oxid, oid: obj.oid, ipid };
  }

  /**
   * A new instance of the test class with one interface pointer per IID asked for; for a shared
   * class, its live instance if there is one, handed out again (MS-DCOM 3.1.1.5.1): a reference
   * handed out counts as a sign of life, so the new holder has a whole set timeout to ping it.
   */
  private instantiate(iids: readonly string[], clsid = ''): d.ActivationResult[] {
    const live = clsid.startsWith(SHARED_CLASS_PREFIX) ? this.objects.get(this.shared.get(clsid) ?? '') : undefined;
    const n = live ? 0 : ++this.count.oid;
    const obj: ServerObject = live ?? { name: `oid${n}`, oid: id64(0x0b000000 + n), ipids: new Map(), exportedAt: this.now() };
    obj.exportedAt = this.now();
    this.objects.set(obj.oid, obj);
    if (clsid.startsWith(SHARED_CLASS_PREFIX)) this.shared.set(clsid, obj.oid);
    const results = iids.map((iid) => {
      if (!TEST_CLASS_IIDS.has(iid)) return { hr: HR.E_NOINTERFACE, objRef: null };
      const ipid = this.newIpid(obj.oid, iid, 5);
      return { hr: HR.S_OK, objRef: { iid, std: this.stdObjRef(obj, ipid, 5), resolver: this.resolverBindings() } };
    });
    if (!results.some((r) => r.objRef) && obj.ipids.size === 0) this.reclaim(obj, 'release');
    return results;
  }

  private oxidBindings(machine: ClientMachine): d.DualStringArray {
    return {
      bindings: [{ tower: d.TOWER_TCP, address: `127.0.0.1[${this.port('exporter', machine)}]` }],
      security: [{ authnSvc: d.AUTHN_WINNT, authzSvc: 0xffff, principal: '' }],
    };
  }

  private activate(machine: ClientMachine, a: d.ActivationRequest): Buffer {
    return d.encodeActivationResponse({
      oxid: this.oxid,
      oxidBindings: this.oxidBindings(machine),
      remUnknownIpid: this.remUnknownIpid,
      authnHint: 2,
      version: d.COM_VERSION,
      hr: HR.S_OK,
      results: this.instantiate(a.iids, a.clsid),
      status: 0,
    });
  }

  /** IRemoteSCMActivator::RemoteCreateInstance: the same activation, its answer in activation properties. */
  private createInstance(machine: ClientMachine, q: act.CreateInstanceRequest): Buffer {
    if (q.properties.clsid !== act.ACTIVATION.CLSID_ActivationPropertiesIn) throw new Error(`not ActivationPropertiesIn: ${q.properties.clsid}`);
    const blob = act.decodeActivationBlob(q.properties.data);
    const info = blob.properties.find((p) => p.clsid === act.ACTIVATION.CLSID_InstantiationInfo);
    if (!info) throw new Error('activation properties without InstantiationInfoData');
    const { iids, classId } = act.decodeInstantiationInfo(info.serialized);
    const results = this.instantiate(iids, classId);
    const out = act.encodeActivationBlob({
      destCtx: blob.destCtx,
      properties: [
        {
          clsid: act.ACTIVATION.CLSID_PropsOutInfo,
          serialized: act.encodePropsOut(results.map((r, i) => ({ iid: iids[i], hr: r.hr, objRef: r.objRef ? d.encodeObjRef(r.objRef) : null }))),
        },
        {
          clsid: act.ACTIVATION.CLSID_ScmReplyInfo,
          serialized: act.encodeScmReply({
            oxid: this.oxid,
            oxidBindings: this.oxidBindings(machine),
            remUnknownIpid: this.remUnknownIpid,
            authnHint: 2,
            serverVersion: d.COM_VERSION,
          }),
        },
      ],
    });
    const properties = { iid: act.ACTIVATION.IActivationPropertiesOut, clsid: act.ACTIVATION.CLSID_ActivationPropertiesOut, data: out };
    return act.encodeCreateInstanceResponse({ properties, hr: results.some((r) => r.hr === HR.S_OK) ? HR.S_OK : HR.E_NOINTERFACE });
  }

  private objectOfIpid(ipid: string): ServerObject | undefined {
    const oid = this.ipidOwner.get(ipid);
    return oid ? this.objects.get(oid) : undefined;
  }

  private queryInterface(q: d.RemQueryInterfaceRequest): Buffer {
    const obj = this.objectOfIpid(q.ipid);
    if (!obj) return d.encodeRemQueryInterfaceResponse({ results: [], hr: HR.RPC_E_INVALID_OBJECT });
    const results = q.iids.map((iid) => {
      if (!TEST_CLASS_IIDS.has(iid)) return { hr: HR.E_NOINTERFACE, std: d.NULL_STD };
      const ipid = this.newIpid(obj.oid, iid, q.refs);
      return { hr: HR.S_OK, std: this.stdObjRef(obj, ipid, q.refs) };
    });
    return d.encodeRemQueryInterfaceResponse({ results, hr: results.every((r) => r.hr === HR.S_OK) ? HR.S_OK : HR.E_NOINTERFACE });
  }

  private addRef(q: d.RefsRequest): Buffer {
    const results = q.refs.map((r) => {
      const obj = this.objectOfIpid(r.ipid);
      const entry = obj?.ipids.get(r.ipid);
      if (!entry) return HR.CO_E_OBJNOTREG;
      entry.refs += r.publicRefs + r.privateRefs;
      return HR.S_OK;
    });
    return d.encodeRemAddRefResponse({ results, hr: results.every((x) => x === HR.S_OK) ? HR.S_OK : HR.E_INVALIDARG });
  }

  private release(q: d.RefsRequest): Buffer {
    for (const r of q.refs) {
      if (r.ipid === this.remUnknownIpid) continue;
      const obj = this.objectOfIpid(r.ipid);
      const entry = obj?.ipids.get(r.ipid);
      if (!obj || !entry) continue; // MS-DCOM defines no error for unknown IPIDs
      entry.refs = Math.max(0, entry.refs - r.publicRefs - r.privateRefs);
      if (entry.refs === 0) {
        obj.ipids.delete(r.ipid);
        this.ipidOwner.delete(r.ipid);
      }
      if (obj.ipids.size === 0) this.reclaim(obj, 'release');
    }
    return d.encodeHrResponse(HR.S_OK);
  }

  private simplePing(machine: ClientMachine, p: d.SimplePingRequest): Buffer {
    const set = this.sets.get(p.setId);
    const status = set ? OR.OK : OR.OR_INVALID_SET;
    if (set) set.lastPing = this.now();
    this.opts.emit({
      kind: 'ping',
      at: this.now(),
      from: machine,
      to: 'server',
      type: 'simple',
      setId: set?.name ?? `?${p.setId}`,
      seq: set?.seq ?? 0,
      adds: [],
      dels: [],
      status: status === OR.OK ? 'ok' : status,
    });
    return d.encodeStatus(status);
  }

  private oidName(oid: d.Id64): string {
    return this.objects.get(oid)?.name ?? this.gone.get(oid) ?? `?${oid}`;
  }
  /** Names of reclaimed objects, so later pings about them still read well. */
  private gone = new Map<d.Id64, string>();

  private complexPing(machine: ClientMachine, p: d.ComplexPingRequest): Buffer {
    // An OID the server never handed out (impacket deletes its OXID where a QueryInterface
    // result's OID belongs) is what the client put on the wire: the event carries it, as
    // "?<hex>", for PING-SEQUENCE to judge, and a note says what it is.
    const known = (o: d.Id64) => this.objects.has(o) || this.gone.has(o);
    const strangers = [...p.adds, ...p.dels].filter((o) => !known(o));
    if (strangers.length) this.note(`server: ComplexPing from ${machine} names ${strangers.join(' ')}, which no object of this server ever had`);
    const adds = p.adds.map((o) => this.oidName(o));
    const dels = p.dels.map((o) => this.oidName(o));
    const event = { kind: 'ping' as const, at: this.now(), from: machine, to: 'server' as const, type: 'complex' as const, seq: p.seq, adds, dels };
    if (p.setId === ZERO_SET) {
      // A new set takes the known OIDs and skips unknown ones (MS-DCOM 3.1.2.5.1.3).
      const n = ++this.count.set;
      const set: PingSet = { name: `set${n}`, id: id64(0x0c000000 + n), seq: p.seq, oids: new Set(), lastPing: this.now(), machine };
      for (const o of p.adds) if (this.objects.has(o)) set.oids.add(o);
      this.sets.set(set.id, set);
      this.opts.emit({ ...event, setId: '0', status: 'ok', newSetId: set.name });
      return d.encodeComplexPingResponse({ setId: set.id, backoff: 0, status: OR.OK });
    }
    const set = this.sets.get(p.setId);
    if (!set) {
      this.opts.emit({ ...event, setId: `?${p.setId}`, status: OR.OR_INVALID_SET });
      return d.encodeComplexPingResponse({ setId: p.setId, backoff: 0, status: OR.OR_INVALID_SET });
    }
    let status: number = OR.OK;
    if (set.seq <= p.seq) {
      const unknown = p.adds.find((o) => !set.oids.has(o) && !this.objects.has(o));
      if (unknown) status = OR.OR_INVALID_OID;
      else {
        for (const o of p.adds) set.oids.add(o);
        for (const o of p.dels) {
          if (!set.oids.delete(o)) continue;
          const obj = this.objects.get(o);
          // The last set letting go of an object that still has references runs it down now.
          if (obj && !this.inAnySet(o)) this.reclaim(obj, 'rundown');
        }
        set.seq = p.seq;
        set.lastPing = this.now();
      }
    } else {
      set.lastPing = this.now(); // a stale sequence number changes nothing, yet proves the client alive
    }
    this.opts.emit({ ...event, setId: set.name, status: status === OR.OK ? 'ok' : status });
    return d.encodeComplexPingResponse({ setId: set.id, backoff: 0, status });
  }

  private inAnySet(oid: d.Id64): boolean {
    for (const s of this.sets.values()) if (s.oids.has(oid)) return true;
    return false;
  }

  private reclaim(obj: ServerObject, cause: ReclaimCause): void {
    if (!this.objects.delete(obj.oid)) return;
    for (const ipid of obj.ipids.keys()) this.ipidOwner.delete(ipid);
    this.gone.set(obj.oid, obj.name);
    this.opts.emit({ kind: 'reclaimed', at: this.now(), machine: 'server', oid: obj.name, cause });
  }

  // --- the kit's handles on the server --------------------------------------------------------

  /** The trace name of the object behind an IPID the client holds ("oid3"). */
  oidOfIpid(ipid: string): string | undefined {
    const oid = this.ipidOwner.get(ipid);
    return oid ? this.oidName(oid) : undefined;
  }

  /** CoDisconnectObject: the object is gone for every client at once. */
  disconnect(oidName: string): boolean {
    const obj = [...this.objects.values()].find((o) => o.name === oidName);
    if (!obj) return false;
    this.reclaim(obj, 'disconnect');
    return true;
  }

  liveObjects(): string[] {
    return [...this.objects.values()].map((o) => o.name);
  }

  /** Earliest virtual time something is due: a set or unpinged object expiring, a held answer. */
  nextDue(): number | null {
    let due = Infinity;
    for (const s of this.sets.values()) due = Math.min(due, s.lastPing + PING_SET_TIMEOUT_MS);
    for (const o of this.objects.values()) if (!this.inAnySet(o.oid)) due = Math.min(due, o.exportedAt + PING_SET_TIMEOUT_MS);
    for (const h of this.held) due = Math.min(due, h.due);
    return due === Infinity ? null : due;
  }

  /** Runs everything due at the current virtual time. */
  runDue(): void {
    const now = this.now();
    for (const s of [...this.sets.values()]) {
      if (s.lastPing + PING_SET_TIMEOUT_MS > now) continue;
      this.sets.delete(s.id);
      for (const o of s.oids) {
        const obj = this.objects.get(o);
        // Handed out again within the window: its new holder has yet to ping it.
        if (obj && !this.inAnySet(o) && obj.exportedAt + PING_SET_TIMEOUT_MS <= now) this.reclaim(obj, 'rundown');
      }
    }
    for (const o of [...this.objects.values()]) {
      if (!this.inAnySet(o.oid) && o.exportedAt + PING_SET_TIMEOUT_MS <= now) this.reclaim(o, 'rundown');
    }
    const due = this.held.filter((h) => h.due <= now);
    this.held = this.held.filter((h) => h.due > now);
    for (const h of due) h.send();
  }

  /** Cuts a client machine off: its connections close and new ones are refused. */
  partition(machine: ClientMachine): void {
    this.partitioned.add(machine);
    for (const [sock, m] of this.socketMachine) if (m === machine) cut(sock);
  }

  heal(machine: ClientMachine): void {
    this.partitioned.delete(machine);
  }

  /**
   * The server process dies and starts again: its objects are gone, its connections drop and
   * it exports under a new OXID. The resolver (RPCSS on Windows) survives with its ping sets.
   */
  crash(): void {
    for (const obj of [...this.objects.values()]) this.reclaim(obj, 'server-crash');
    for (const sock of this.sockets) cut(sock);
    this.held = [];
    this.generation++;
    this.oxid = id64(0x0a000000 + this.generation);
    this.remUnknownIpid = hexGuid(0xa, this.generation);
  }

  async close(): Promise<void> {
    this.outgoing = [];
    for (const sock of this.sockets) sock.destroy();
    await Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.server.close(() => r()))));
    this.listeners = [];
  }
}

/**
 * Drops a connection with a reset, as a dying process's connections go. A connection whose
 * client has already closed its side (we read its FIN and Node is ending ours) cannot be
 * reset: libuv refuses (uv_tcp_close_reset gives EINVAL once a shutdown is under way), Node
 * then emits 'error' but never 'close' and lets go of the handle, so the socket would stay in
 * `sockets` and in `flows()` for good, and the adapter's settled() check would never hold
 * again. Such a connection is closed plainly instead; its client is gone anyway.
 */
function cut(sock: net.Socket): void {
  if (sock.writableEnded) sock.destroy();
  else sock.resetAndDestroy();
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

interface Conn {
  /** Presentation context id -> interface it binds. */
  contexts: Map<number, string>;
  /** auth_context_id -> NTLM security context. */
  security: Map<number, SecurityContext>;
}

/** How a request was protected, so its response is protected the same way. */
interface Protection {
  ctx: SecurityContext;
  level: number;
  contextId: number;
}

export function methodOf(iface: string, opnum: number): MethodName | null {
  if (iface === d.IID.IRemoteActivation && opnum === 0) return 'RemoteActivation';
  if (iface === act.ACTIVATION.ISystemActivator && opnum === act.REMOTE_CREATE_INSTANCE_OPNUM) return 'RemoteCreateInstance';
  if (iface === d.IID.IObjectExporter) {
    if (opnum === 1) return 'SimplePing';
    if (opnum === 2) return 'ComplexPing';
    if (opnum === 5) return 'ServerAlive2';
    return null;
  }
  if (REM_UNKNOWN_IIDS.has(iface)) {
    if (opnum === 3) return 'RemQueryInterface';
    if (opnum === 4) return 'RemAddRef';
    if (opnum === 5) return 'RemRelease';
    return null;
  }
  if (TEST_CALL_IIDS.has(iface) && opnum === d.ITEST_ADD_OPNUM) return 'Add';
  return null;
}
