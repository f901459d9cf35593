/**
 * The NTLMSSP messages a DCOM bind carries (MS-NLMP 2.2.1), NTLMv2 verification (3.3.2) and
 * the session keys signing and sealing derive from it (3.4.5). The emulator is a loopback test
 * server: it accepts any user and domain name; an NTLMv1 answer (node-dcom) is accepted as it
 * is, an NTLMv2 answer is checked against the one NT hash the server knows, because packet
 * integrity and privacy need the session key that only a matching answer yields.
 */
import { createHash, createHmac } from 'node:crypto';
import { Rc4 } from './rc4';

export const NTLMSSP = Buffer.from('NTLMSSP\0', 'latin1');

export const NTLM_FLAG = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  NTLM: 0x00000200,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000,
} as const;

/** Flags of our challenge. node-dcom needs extended session security (ESS) and Unicode. */
export const CHALLENGE_FLAGS = (
  NTLM_FLAG.UNICODE |
  NTLM_FLAG.REQUEST_TARGET |
  NTLM_FLAG.NTLM |
  NTLM_FLAG.ALWAYS_SIGN |
  NTLM_FLAG.TARGET_TYPE_DOMAIN |
  NTLM_FLAG.EXTENDED_SESSIONSECURITY |
  NTLM_FLAG.TARGET_INFO |
  NTLM_FLAG.KEY_128 |
  NTLM_FLAG.KEY_56) >>> 0;

/** What the server grants on top of CHALLENGE_FLAGS when the client's NEGOTIATE asks for it. */
const GRANTABLE = NTLM_FLAG.SIGN | NTLM_FLAG.SEAL | NTLM_FLAG.KEY_EXCH;

/** The flags of our answer to a NEGOTIATE: ours, plus signing, sealing and key exchange if asked. */
export function challengeFlags(negotiated: number): number {
  return (CHALLENGE_FLAGS | (negotiated & GRANTABLE)) >>> 0;
}

export interface Negotiate {
  kind: 1;
  flags: number;
}

export interface Challenge {
  kind: 2;
  flags: number;
  targetName: string;
  /** Server challenge; must not be all zeros (node-dcom rejects it). */
  challenge: Buffer;
  /** The AV pairs of TargetInfo (MS-NLMP 2.2.2.1), in order, MsvAvEOL left out. */
  targetInfo?: AvPair[];
}

/** AV pair ids (MS-NLMP 2.2.2.1). */
export const AV = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  Timestamp: 7,
} as const;

export interface AvPair {
  id: number;
  value: Buffer;
}

export interface Authenticate {
  kind: 3;
  flags: number | null;
  domain: string;
  user: string;
  workstation: string;
  lmResponse: Buffer;
  ntResponse: Buffer;
  sessionKey: Buffer;
}

export type NtlmMessage = Negotiate | Challenge | Authenticate;

export function isNtlm(b: Buffer): boolean {
  return b.length >= 12 && b.subarray(0, 8).equals(NTLMSSP);
}

function field(b: Buffer, off: number): Buffer {
  if (off + 8 > b.length) return Buffer.alloc(0);
  const len = b.readUInt16LE(off);
  const at = b.readUInt32LE(off + 4);
  return Buffer.from(b.subarray(at, at + len));
}

export function decodeNtlm(b: Buffer): NtlmMessage {
  if (!isNtlm(b)) throw new Error('not an NTLMSSP message');
  const kind = b.readUInt32LE(8);
  switch (kind) {
    case 1:
      return { kind: 1, flags: b.readUInt32LE(12) };
    case 2:
      return {
        kind: 2,
        targetName: field(b, 12).toString('utf16le'),
        flags: b.readUInt32LE(20),
        challenge: Buffer.from(b.subarray(24, 32)),
        targetInfo: decodeAvPairs(field(b, 40)),
      };
    case 3: {
      const unicode = b.length >= 64 ? (b.readUInt32LE(60) & NTLM_FLAG.UNICODE) !== 0 : true;
      const text = (x: Buffer) => x.toString(unicode ? 'utf16le' : 'latin1');
      return {
        kind: 3,
        lmResponse: field(b, 12),
        ntResponse: field(b, 20),
        domain: text(field(b, 28)),
        user: text(field(b, 36)),
        workstation: text(field(b, 44)),
        sessionKey: field(b, 52),
        flags: b.length >= 64 ? b.readUInt32LE(60) : null,
      };
    }
    default:
      throw new Error(`unknown NTLM message type ${kind}`);
  }
}

/** AV pairs then MsvAvEOL (MS-NLMP 2.2.2.1). */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of [...pairs, { id: AV.EOL, value: Buffer.alloc(0) }]) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(p.id, 0);
    head.writeUInt16LE(p.value.length, 2);
    parts.push(head, p.value);
  }
  return Buffer.concat(parts);
}

export function decodeAvPairs(b: Buffer): AvPair[] {
  const out: AvPair[] = [];
  for (let off = 0; off + 4 <= b.length; ) {
    const id = b.readUInt16LE(off);
    const len = b.readUInt16LE(off + 2);
    if (id === AV.EOL) break;
    out.push({ id, value: Buffer.from(b.subarray(off + 4, off + 4 + len)) });
    off += 4 + len;
  }
  return out;
}

/** Milliseconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const FILETIME_UNIX_MS = 11_644_473_600_000n;

/** A FILETIME (100 ns since 1601) for a Unix time in ms, as its 8 little-endian bytes. */
export function filetime(unixMs: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(Math.floor(unixMs)) + FILETIME_UNIX_MS) * 10_000n);
  return b;
}

/**
 * The server's names in TargetInfo: NetBIOS and DNS computer and domain names (NTLMv2 clients
 * such as impacket build their answer over them and refuse a challenge without a computer
 * name), and the server's time when one is given.
 */
export function serverTargetInfo(name: string, timestamp?: Buffer): AvPair[] {
  const u = (x: string) => Buffer.from(x, 'utf16le');
  const pairs: AvPair[] = [
    { id: AV.NbDomainName, value: u(name) },
    { id: AV.NbComputerName, value: u(name) },
    { id: AV.DnsDomainName, value: u(`${name.toLowerCase()}.test`) },
    { id: AV.DnsComputerName, value: u(`${name.toLowerCase()}.${name.toLowerCase()}.test`) },
  ];
  if (timestamp) pairs.push({ id: AV.Timestamp, value: timestamp });
  return pairs;
}

export function encodeChallenge(c: Omit<Challenge, 'kind'>): Buffer {
  if (c.challenge.length !== 8) throw new Error('server challenge must be 8 bytes');
  const name = Buffer.from(c.targetName, 'utf16le');
  const info = encodeAvPairs(c.targetInfo ?? [{ id: AV.NbDomainName, value: name }]);
  const head = Buffer.alloc(48);
  NTLMSSP.copy(head, 0);
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(name.length, 12);
  head.writeUInt16LE(name.length, 14);
  head.writeUInt32LE(48, 16);
  head.writeUInt32LE(c.flags >>> 0, 20);
  c.challenge.copy(head, 24);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(48 + name.length, 44);
  return Buffer.concat([head, name, info]);
}

// --- NTLMv2 (MS-NLMP 3.3.2) and session security (3.4) ---------------------------------------

function hmacMd5(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
}

/** NTOWFv2: HMAC_MD5 keyed by the NT hash over UNICODE(Uppercase(User) + UserDom). */
export function ntowfv2(ntHash: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(ntHash, Buffer.from(user.toUpperCase() + domain, 'utf16le'));
}

/** An NTLMv2 NtChallengeResponse is NTProofStr (16 bytes) and a blob; NTLMv1's is 24 bytes. */
export function isNtlmv2Response(ntResponse: Buffer): boolean {
  return ntResponse.length > 24;
}

export type Verification =
  | { ok: true; sessionBaseKey: Buffer }
  | { ok: false; why: string };

/**
 * Checks an AUTHENTICATE's NTLMv2 answer to our challenge: NTProofStr must be HMAC_MD5 of the
 * server challenge and the client's blob, keyed by NTOWFv2 of the NT hash we know. The session
 * base key follows from it.
 */
export function verifyNtlmv2(a: Authenticate, serverChallenge: Buffer, ntHash: Buffer): Verification {
  if (!isNtlmv2Response(a.ntResponse)) return { ok: false, why: 'not an NTLMv2 response' };
  const proof = a.ntResponse.subarray(0, 16);
  const blob = a.ntResponse.subarray(16);
  const key = ntowfv2(ntHash, a.user, a.domain);
  const expected = hmacMd5(key, serverChallenge, blob);
  if (!expected.equals(proof)) return { ok: false, why: `NTProofStr does not match for ${a.domain}\\${a.user}` };
  return { ok: true, sessionBaseKey: hmacMd5(key, proof) };
}

/**
 * The key signing and sealing derive from (MS-NLMP 3.2.5.1.2 / 3.1.5.1.2): with NTLMv2 the key
 * exchange key is the session base key; with key exchange negotiated the client sent a random
 * session key encrypted with it.
 */
export function exportedSessionKey(flags: number, keyExchangeKey: Buffer, encryptedRandomSessionKey: Buffer): Buffer {
  if (!(flags & NTLM_FLAG.KEY_EXCH)) return keyExchangeKey;
  if (encryptedRandomSessionKey.length !== 16) throw new Error('key exchange negotiated without a 16-byte session key');
  return new Rc4(keyExchangeKey).update(encryptedRandomSessionKey);
}

export type Mode = 'client' | 'server';

const MAGIC = {
  sign: { client: 'session key to client-to-server signing key magic constant', server: 'session key to server-to-client signing key magic constant' },
  seal: { client: 'session key to client-to-server sealing key magic constant', server: 'session key to server-to-client sealing key magic constant' },
};

function md5(...data: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const d of data) h.update(d);
  return h.digest();
}

/** SIGNKEY (3.4.5.2), extended session security only. */
export function signKey(exported: Buffer, mode: Mode): Buffer {
  return md5(exported, Buffer.from(MAGIC.sign[mode] + '\0', 'latin1'));
}

/** SEALKEY (3.4.5.3), extended session security only: 128, 56 or 40 bits of the exported key. */
export function sealKey(flags: number, exported: Buffer, mode: Mode): Buffer {
  const bytes = flags & NTLM_FLAG.KEY_128 ? 16 : flags & NTLM_FLAG.KEY_56 ? 7 : 5;
  return md5(exported.subarray(0, bytes), Buffer.from(MAGIC.seal[mode] + '\0', 'latin1'));
}

/**
 * One direction of an NTLM session with extended session security: its signing key, its RC4
 * sealing handle (one stream for the whole session) and its sequence number.
 */
export class NtlmDirection {
  private seq = 0;
  private readonly handle: Rc4;
  private readonly signingKey: Buffer;

  constructor(
    private readonly flags: number,
    exported: Buffer,
    mode: Mode,
  ) {
    this.signingKey = signKey(exported, mode);
    this.handle = new Rc4(sealKey(flags, exported, mode));
  }

  /** MAC (3.4.4.2): version 1, the checksum (RC4-encrypted under key exchange), the sequence number. */
  mac(message: Buffer): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(this.seq >>> 0);
    let checksum = hmacMd5(this.signingKey, seq, message).subarray(0, 8);
    if (this.flags & NTLM_FLAG.KEY_EXCH) checksum = this.handle.update(checksum);
    this.seq++;
    const sig = Buffer.alloc(16);
    sig.writeUInt32LE(1, 0);
    checksum.copy(sig, 4);
    seq.copy(sig, 12);
    return sig;
  }

  /** SEAL (3.4.3): the data through the handle first, then the MAC over the signed bytes. */
  seal(data: Buffer, signed: (sealed: Buffer) => Buffer): { sealed: Buffer; signature: Buffer } {
    const sealed = this.handle.update(data);
    return { sealed, signature: this.mac(signed(sealed)) };
  }

  /** The receiving side of SEAL: decrypts, then checks the MAC the sender made over the plain bytes. */
  unseal(sealed: Buffer, signed: (plain: Buffer) => Buffer, signature: Buffer): { plain: Buffer; ok: boolean } {
    const plain = this.handle.update(sealed);
    return { plain, ok: this.mac(signed(plain)).equals(signature) };
  }
}
