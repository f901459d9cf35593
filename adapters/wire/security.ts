/**
 * Per-connection NTLM security contexts and PDU protection at packet integrity and packet
 * privacy (MS-RPCE 3.3.1.5.2; MS-NLMP 3.4). A context is keyed by the auth_context_id of the
 * sec_trailer: a client may open several on one connection (a bind, then an alter_context with
 * a fresh handshake per interface), each with its own keys and sequence numbers. The verifier
 * covers the whole PDU (header, body with the stub in plain text, sec_trailer); privacy
 * encrypts the stub and its padding.
 */
import { NtlmDirection, exportedSessionKey, isNtlmv2Response, verifyNtlmv2, type Authenticate } from './ntlm';
import { HEADER_LEN, PFC } from './pdu';

export const AUTHN_LEVEL = { connect: 2, call: 3, pkt: 4, integrity: 5, privacy: 6 } as const;
/** The verifier NTLM puts in a protected PDU: NTLMSSP_MESSAGE_SIGNATURE, 16 bytes. */
export const SIGNATURE_LEN = 16;

export interface SecurityContext {
  challenge: Buffer;
  /** The flags of our CHALLENGE, which the client's AUTHENTICATE is held to. */
  flags: number;
  state: 'challenged' | 'established' | 'refused';
  /** Why a context cannot protect PDUs (NTLMv1, a wrong answer). */
  why?: string;
  user?: string;
  inbound?: NtlmDirection;
  outbound?: NtlmDirection;
}

/** Completes a context with the client's AUTHENTICATE; keys only for a verified NTLMv2 answer. */
export function establish(ctx: SecurityContext, a: Authenticate, ntHash: Buffer): void {
  ctx.user = `${a.domain}\\${a.user}`;
  if (!isNtlmv2Response(a.ntResponse)) {
    // node-dcom's NTLMv1 at the connect level: accepted as ever, but nothing can be signed with it.
    ctx.state = 'established';
    ctx.why = 'an NTLMv1 context has no keys for packet integrity or privacy';
    return;
  }
  const v = verifyNtlmv2(a, ctx.challenge, ntHash);
  if (!v.ok) {
    ctx.state = 'refused';
    ctx.why = v.why;
    return;
  }
  const flags = a.flags ?? ctx.flags;
  const exported = exportedSessionKey(flags, v.sessionBaseKey, a.sessionKey);
  ctx.inbound = new NtlmDirection(flags, exported, 'client');
  ctx.outbound = new NtlmDirection(flags, exported, 'server');
  ctx.state = 'established';
}

/** The sec_trailer of a raw PDU, if it has one. */
export function trailerOf(frame: Buffer): { at: number; level: number; contextId: number; authLength: number } | null {
  const authLength = frame.readUInt16LE(10);
  if (!authLength) return null;
  const at = frame.length - authLength - 8;
  if (at < HEADER_LEN) return null;
  return { at, level: frame[at + 1], contextId: frame.readUInt32LE(at + 4), authLength };
}

/** Where a request's or response's stub starts in the raw PDU. */
function stubStart(frame: Buffer): number {
  const ptype = frame[2];
  if (ptype === 0) return frame[3] & PFC.OBJECT_UUID ? 40 : 24;
  return 24;
}

/**
 * Checks (and at privacy decrypts) a protected request. Returns the PDU with its stub in plain
 * text, or the reason it is refused.
 */
export function unprotect(frame: Buffer, ctx: SecurityContext | undefined): Buffer | string {
  const t = trailerOf(frame);
  if (!t) return 'no sec_trailer';
  if (!ctx || !ctx.inbound || ctx.state !== 'established') return ctx?.why ?? `no security context ${t.contextId}`;
  if (t.authLength !== SIGNATURE_LEN) return `verifier of ${t.authLength} bytes`;
  const start = stubStart(frame);
  const signature = frame.subarray(t.at + 8);
  const signed = (body: Buffer) => Buffer.concat([frame.subarray(0, start), body, frame.subarray(t.at, t.at + 8)]);
  if (t.level === AUTHN_LEVEL.privacy) {
    const { plain, ok } = ctx.inbound.unseal(frame.subarray(start, t.at), signed, signature);
    if (!ok) return 'signature does not verify';
    return Buffer.concat([frame.subarray(0, start), plain, frame.subarray(t.at)]);
  }
  const ok = ctx.inbound.mac(frame.subarray(0, t.at + 8)).equals(signature);
  return ok ? frame : 'signature does not verify';
}

/** Signs (and at privacy encrypts) an encoded response whose verifier is a placeholder. */
export function protect(frame: Buffer, ctx: SecurityContext): Buffer {
  const t = trailerOf(frame);
  if (!t || !ctx.outbound) throw new Error('protect() needs a sec_trailer and an established context');
  const start = stubStart(frame);
  const out = Buffer.from(frame);
  if (t.level === AUTHN_LEVEL.privacy) {
    const plain = frame.subarray(start, t.at);
    const trailer = frame.subarray(t.at, t.at + 8);
    const { sealed, signature } = ctx.outbound.seal(plain, () => Buffer.concat([frame.subarray(0, start), plain, trailer]));
    sealed.copy(out, start);
    signature.copy(out, t.at + 8);
    return out;
  }
  ctx.outbound.mac(frame.subarray(0, t.at + 8)).copy(out, t.at + 8);
  return out;
}
