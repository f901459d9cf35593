/**
 * MSRPC connection-oriented PDUs (C706 ch. 12, MS-RPCE 2.2.2): the header, the PDU types a
 * DCOM client exchanges with a server, and the security trailer. Little-endian only: the
 * emulator always sends drep 0x10 and rejects big-endian peers.
 */
import { bytesToGuid, guidToBytes } from './ndr';

export const PTYPE = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  auth3: 16,
  shutdown: 17,
} as const;

export const PFC = { FIRST_FRAG: 0x01, LAST_FRAG: 0x02, OBJECT_UUID: 0x80 } as const;

export const NDR20_SYNTAX = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', version: 2 };

export const HEADER_LEN = 16;

export interface Syntax {
  uuid: string;
  /** major in the low 16 bits, minor in the high 16 bits, as on the wire. */
  version: number;
}

export interface AuthTrailer {
  type: number;
  level: number;
  /** Stub padding before the trailer; computed to reach 4-alignment when absent. */
  padLength?: number;
  contextId: number;
  value: Buffer;
}

export interface ContextElem {
  contextId: number;
  abstract: Syntax;
  transfer: Syntax[];
}

export interface ContextResult {
  result: number;
  reason: number;
  transfer: Syntax;
}

interface Common {
  callId: number;
  flags: number;
  auth?: AuthTrailer;
}

export interface BindPdu extends Common {
  type: 'bind' | 'alter_context';
  maxXmit: number;
  maxRecv: number;
  assocGroup: number;
  contexts: ContextElem[];
}

export interface BindAckPdu extends Common {
  type: 'bind_ack' | 'alter_context_resp';
  maxXmit: number;
  maxRecv: number;
  assocGroup: number;
  /** The port the association is on, as a decimal string ("" for alter_context_resp). */
  secondaryAddr: string;
  results: ContextResult[];
}

export interface Auth3Pdu extends Common {
  type: 'auth3';
}

export interface RequestPdu extends Common {
  type: 'request';
  allocHint: number;
  contextId: number;
  opnum: number;
  object?: string;
  stub: Buffer;
}

export interface ResponsePdu extends Common {
  type: 'response';
  allocHint: number;
  contextId: number;
  cancelCount: number;
  stub: Buffer;
}

export interface FaultPdu extends Common {
  type: 'fault';
  allocHint: number;
  contextId: number;
  cancelCount: number;
  status: number;
}

export type Pdu = BindPdu | BindAckPdu | Auth3Pdu | RequestPdu | ResponsePdu | FaultPdu;

const TYPE_NUMBER: Record<Pdu['type'], number> = {
  bind: PTYPE.bind,
  alter_context: PTYPE.alter_context,
  bind_ack: PTYPE.bind_ack,
  alter_context_resp: PTYPE.alter_context_resp,
  auth3: PTYPE.auth3,
  request: PTYPE.request,
  response: PTYPE.response,
  fault: PTYPE.fault,
};

/** Length of the PDU at the head of `buf`, or null until its header has arrived. */
export function frameLength(buf: Buffer): number | null {
  if (buf.length < HEADER_LEN) return null;
  return buf.readUInt16LE(8);
}

/** Splits a byte stream into whole PDUs; keeps the incomplete tail for later. */
export class PduFramer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      const len = frameLength(this.pending);
      if (len === null || this.pending.length < len) break;
      if (len < HEADER_LEN) throw new Error(`bad frag_length ${len}`);
      out.push(this.pending.subarray(0, len));
      this.pending = this.pending.subarray(len);
    }
    return out;
  }
}

function writeSyntax(b: Buffer, off: number, s: Syntax): number {
  guidToBytes(s.uuid).copy(b, off);
  b.writeUInt32LE(s.version >>> 0, off + 16);
  return off + 20;
}

function readSyntax(b: Buffer, off: number): Syntax {
  return { uuid: bytesToGuid(b.subarray(off, off + 16)), version: b.readUInt32LE(off + 16) };
}

export function decodePdu(buf: Buffer): Pdu {
  if (buf.length < HEADER_LEN) throw new Error(`PDU shorter than its header: ${buf.length}`);
  const [vers, minor, ptype, flags] = [buf[0], buf[1], buf[2], buf[3]];
  if (vers !== 5 || minor !== 0) throw new Error(`unsupported RPC version ${vers}.${minor}`);
  if ((buf[4] & 0xf0) !== 0x10) throw new Error('big-endian data representation unsupported');
  const fragLength = buf.readUInt16LE(8);
  const authLength = buf.readUInt16LE(10);
  const callId = buf.readUInt32LE(12);
  if (fragLength !== buf.length) throw new Error(`frag_length ${fragLength} but ${buf.length} bytes`);

  let bodyEnd = fragLength;
  let auth: AuthTrailer | undefined;
  if (authLength) {
    const at = fragLength - authLength - 8;
    if (at < HEADER_LEN) throw new Error(`auth_length ${authLength} too large`);
    auth = {
      type: buf[at],
      level: buf[at + 1],
      padLength: buf[at + 2],
      contextId: buf.readUInt32LE(at + 4),
      value: Buffer.from(buf.subarray(at + 8, fragLength)),
    };
    bodyEnd = at - (auth.padLength ?? 0);
  }
  const common = { callId, flags, ...(auth ? { auth } : {}) };

  switch (ptype) {
    case PTYPE.bind:
    case PTYPE.alter_context: {
      const n = buf[24];
      const contexts: ContextElem[] = [];
      let off = 28;
      for (let i = 0; i < n; i++) {
        const contextId = buf.readUInt16LE(off);
        const nTransfer = buf[off + 2];
        const abstract = readSyntax(buf, off + 4);
        const transfer: Syntax[] = [];
        for (let t = 0; t < nTransfer; t++) transfer.push(readSyntax(buf, off + 24 + 20 * t));
        contexts.push({ contextId, abstract, transfer });
        off += 24 + 20 * nTransfer;
      }
      return {
        type: ptype === PTYPE.bind ? 'bind' : 'alter_context',
        ...common,
        maxXmit: buf.readUInt16LE(16),
        maxRecv: buf.readUInt16LE(18),
        assocGroup: buf.readUInt32LE(20),
        contexts,
      };
    }
    case PTYPE.bind_ack:
    case PTYPE.alter_context_resp: {
      const addrLen = buf.readUInt16LE(24);
      const secondaryAddr = addrLen ? buf.toString('latin1', 26, 26 + addrLen - 1) : '';
      let off = 26 + addrLen;
      off += (4 - (off % 4)) % 4;
      const n = buf[off];
      off += 4;
      const results: ContextResult[] = [];
      for (let i = 0; i < n; i++) {
        results.push({ result: buf.readUInt16LE(off), reason: buf.readUInt16LE(off + 2), transfer: readSyntax(buf, off + 4) });
        off += 24;
      }
      return {
        type: ptype === PTYPE.bind_ack ? 'bind_ack' : 'alter_context_resp',
        ...common,
        maxXmit: buf.readUInt16LE(16),
        maxRecv: buf.readUInt16LE(18),
        assocGroup: buf.readUInt32LE(20),
        secondaryAddr,
        results,
      };
    }
    case PTYPE.auth3:
      return { type: 'auth3', ...common };
    case PTYPE.request: {
      const hasObject = (flags & PFC.OBJECT_UUID) !== 0;
      const stubStart = hasObject ? 40 : 24;
      return {
        type: 'request',
        ...common,
        flags: flags & ~PFC.OBJECT_UUID, // implied by `object`

        allocHint: buf.readUInt32LE(16),
        contextId: buf.readUInt16LE(20),
        opnum: buf.readUInt16LE(22),
        ...(hasObject ? { object: bytesToGuid(buf.subarray(24, 40)) } : {}),
        stub: Buffer.from(buf.subarray(stubStart, bodyEnd)),
      };
    }
    case PTYPE.response:
      return {
        type: 'response',
        ...common,
        allocHint: buf.readUInt32LE(16),
        contextId: buf.readUInt16LE(20),
        cancelCount: buf[22],
        stub: Buffer.from(buf.subarray(24, bodyEnd)),
      };
    case PTYPE.fault:
      return {
        type: 'fault',
        ...common,
        allocHint: buf.readUInt32LE(16),
        contextId: buf.readUInt16LE(20),
        cancelCount: buf[22],
        status: buf.readUInt32LE(24),
      };
    default:
      throw new Error(`unsupported PDU type ${ptype}`);
  }
}

function body(p: Pdu): Buffer {
  switch (p.type) {
    case 'bind':
    case 'alter_context': {
      const size = 12 + p.contexts.reduce((n, c) => n + 24 + 20 * c.transfer.length, 0);
      const b = Buffer.alloc(size);
      b.writeUInt16LE(p.maxXmit, 0);
      b.writeUInt16LE(p.maxRecv, 2);
      b.writeUInt32LE(p.assocGroup >>> 0, 4);
      b[8] = p.contexts.length;
      let off = 12;
      for (const c of p.contexts) {
        b.writeUInt16LE(c.contextId, off);
        b[off + 2] = c.transfer.length;
        off = writeSyntax(b, off + 4, c.abstract);
        for (const t of c.transfer) off = writeSyntax(b, off, t);
      }
      return b;
    }
    case 'bind_ack':
    case 'alter_context_resp': {
      const addr = p.secondaryAddr ? Buffer.from(p.secondaryAddr + '\0', 'latin1') : Buffer.alloc(0);
      // Padding after the address aligns the result list to 4 from the PDU start (header is 16).
      let off = 10 + addr.length;
      off += (4 - ((off + HEADER_LEN) % 4)) % 4;
      const b = Buffer.alloc(off + 4 + 24 * p.results.length);
      b.writeUInt16LE(p.maxXmit, 0);
      b.writeUInt16LE(p.maxRecv, 2);
      b.writeUInt32LE(p.assocGroup >>> 0, 4);
      b.writeUInt16LE(addr.length, 8);
      addr.copy(b, 10);
      b[off] = p.results.length;
      off += 4;
      for (const r of p.results) {
        b.writeUInt16LE(r.result, off);
        b.writeUInt16LE(r.reason, off + 2);
        off = writeSyntax(b, off + 4, r.transfer);
      }
      return b;
    }
    case 'auth3':
      return Buffer.alloc(4);
    case 'request': {
      const head = Buffer.alloc(p.object ? 24 : 8);
      head.writeUInt32LE(p.allocHint >>> 0, 0);
      head.writeUInt16LE(p.contextId, 4);
      head.writeUInt16LE(p.opnum, 6);
      if (p.object) guidToBytes(p.object).copy(head, 8);
      return Buffer.concat([head, p.stub]);
    }
    case 'response': {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(p.allocHint >>> 0, 0);
      head.writeUInt16LE(p.contextId, 4);
      head[6] = p.cancelCount;
      return Buffer.concat([head, p.stub]);
    }
    case 'fault': {
      const b = Buffer.alloc(16);
      b.writeUInt32LE(p.allocHint >>> 0, 0);
      b.writeUInt16LE(p.contextId, 4);
      b[6] = p.cancelCount;
      b.writeUInt32LE(p.status >>> 0, 8);
      return b;
    }
  }
}

export function encodePdu(p: Pdu): Buffer {
  let b = body(p);
  let trailer = Buffer.alloc(0);
  if (p.auth) {
    // The security trailer starts 4-aligned; its pad length counts the stub padding.
    const pad = p.auth.padLength ?? (4 - ((HEADER_LEN + b.length) % 4)) % 4;
    b = Buffer.concat([b, Buffer.alloc(pad)]);
    trailer = Buffer.alloc(8);
    trailer[0] = p.auth.type;
    trailer[1] = p.auth.level;
    trailer[2] = pad;
    trailer.writeUInt32LE(p.auth.contextId >>> 0, 4);
    trailer = Buffer.concat([trailer, p.auth.value]);
  }
  const head = Buffer.alloc(HEADER_LEN);
  head[0] = 5;
  head[2] = TYPE_NUMBER[p.type];
  head[3] = p.flags | (p.type === 'request' && p.object ? PFC.OBJECT_UUID : 0);
  head[4] = 0x10;
  head.writeUInt16LE(HEADER_LEN + b.length + trailer.length, 8);
  head.writeUInt16LE(p.auth ? p.auth.value.length : 0, 10);
  head.writeUInt32LE(p.callId >>> 0, 12);
  return Buffer.concat([head, b, trailer]);
}
