/**
 * The NTLMSSP messages a DCOM bind carries (MS-NLMP 2.2.1). The emulator is a loopback test
 * server: it issues a challenge and accepts whatever the client answers; it never verifies.
 */

export const NTLMSSP = Buffer.from('NTLMSSP\0', 'latin1');

export const NTLM_FLAG = {
  UNICODE: 0x00000001,
  REQUEST_TARGET: 0x00000004,
  NTLM: 0x00000200,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  KEY_128: 0x20000000,
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

/** MsvAvNbDomainName then MsvAvEOL (MS-NLMP 2.2.2.1). */
function targetInfo(domain: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(2, 0);
  head.writeUInt16LE(domain.length, 2);
  return Buffer.concat([head, domain, Buffer.alloc(4)]);
}

export function encodeChallenge(c: Omit<Challenge, 'kind'>): Buffer {
  if (c.challenge.length !== 8) throw new Error('server challenge must be 8 bytes');
  const name = Buffer.from(c.targetName, 'utf16le');
  const info = targetInfo(name);
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
