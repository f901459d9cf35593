/**
 * What Debian's impacket 0.10.0 sent to the emulator and what the emulator answered, as
 * captured by scripts/capture-impacket-fixtures.js (test/wire/impacket-capture.json): its
 * NTLMv2 handshakes are verified, its sealed and signed PDUs opened with keys rebuilt from the
 * captured handshake, and every structure decoded and encoded again.
 */
import * as act from '../../adapters/wire/activation';
import {
  COM_VERSION,
  IID,
  decodeActivationRequest,
  decodeComplexPing,
  decodeObjRef,
  decodeRefsRequest,
  decodeRemQueryInterface,
  decodeSimplePing,
  readOrpcThis,
  writeOrpcThis,
  type OrpcThis,
} from '../../adapters/wire/dcom';
import { NdrReader, NdrWriter } from '../../adapters/wire/ndr';
import {
  AV,
  NTLM_FLAG,
  NtlmDirection,
  challengeFlags,
  decodeAvPairs,
  decodeNtlm,
  encodeAvPairs,
  exportedSessionKey,
  filetime,
  sealKey,
  signKey,
  verifyNtlmv2,
  type Authenticate,
} from '../../adapters/wire/ntlm';
import { decodePdu, type RequestPdu } from '../../adapters/wire/pdu';
import { Rc4 } from '../../adapters/wire/rc4';
import { AUTHN_LEVEL, establish, trailerOf, unprotect, type SecurityContext } from '../../adapters/wire/security';
import { EMULATOR_NT_HASH, SERVER_CHALLENGE } from '../../adapters/wire/server';
import capture from './impacket-capture.json';

interface Frame {
  machine: string;
  role: string;
  conn: number;
  dir: 'in' | 'out';
  hex: string;
}
const frames = capture.frames as Frame[];
const bytes = (f: Frame) => Buffer.from(f.hex, 'hex');
const ptype = (f: Frame) => bytes(f)[2];

/** One captured connection, its security contexts rebuilt as the server built them. */
function session(conn: number) {
  const list = frames.filter((f) => f.conn === conn);
  const server = new Map<number, SecurityContext>();
  /** The client's side of each context: it reads what the server sealed. */
  const client = new Map<number, NtlmDirection>();
  const requests: RequestPdu[] = [];
  const responses: Buffer[] = [];
  for (const f of list) {
    const b = bytes(f);
    const t = trailerOf(b);
    if (f.dir === 'in' && (ptype(f) === 11 || ptype(f) === 14)) {
      const neg = decodeNtlm(decodePdu(b).auth!.value);
      if (neg.kind !== 1) throw new Error('expected a NEGOTIATE');
      server.set(t!.contextId, { challenge: SERVER_CHALLENGE, flags: challengeFlags(neg.flags), state: 'challenged' });
    } else if (f.dir === 'in' && ptype(f) === 16) {
      const auth = decodeNtlm(decodePdu(b).auth!.value) as Authenticate;
      const ctx = server.get(t!.contextId)!;
      establish(ctx, auth, EMULATOR_NT_HASH);
      const v = verifyNtlmv2(auth, SERVER_CHALLENGE, EMULATOR_NT_HASH);
      if (!v.ok) throw new Error(v.why);
      client.set(t!.contextId, new NtlmDirection(auth.flags!, exportedSessionKey(auth.flags!, v.sessionBaseKey, auth.sessionKey), 'server'));
    } else if (f.dir === 'in' && ptype(f) === 0) {
      const plain = unprotect(b, server.get(t!.contextId));
      if (typeof plain === 'string') throw new Error(plain);
      requests.push(decodePdu(plain) as RequestPdu);
    } else if (f.dir === 'out' && ptype(f) === 2 && t) {
      const dir = client.get(t.contextId)!;
      const body = b.subarray(24, t.at);
      const signed = (x: Buffer) => Buffer.concat([b.subarray(0, 24), x, b.subarray(t.at, t.at + 8)]);
      if (t.level === AUTHN_LEVEL.privacy) {
        const { plain, ok } = dir.unseal(body, signed, b.subarray(t.at + 8));
        expect(ok).toBe(true);
        responses.push(plain.subarray(0, plain.length - b[t.at + 2]));
      } else {
        expect(dir.mac(b.subarray(0, t.at + 8)).equals(b.subarray(t.at + 8))).toBe(true);
        responses.push(body.subarray(0, body.length - b[t.at + 2]));
      }
    }
  }
  return { list, requests, responses };
}

const conns = (machine: string, role: string) => [...new Set(frames.filter((f) => f.machine === machine && f.role === role).map((f) => f.conn))];

describe('impacket 0.10.0 against the emulator: NTLM', () => {
  const [activation] = conns('client1', 'scm');
  const list = frames.filter((f) => f.conn === activation);

  test('its NEGOTIATE asks for signing, sealing and key exchange, and our CHALLENGE grants them with the names NTLMv2 needs', () => {
    const neg = decodeNtlm(decodePdu(bytes(list[0])).auth!.value);
    expect(neg.kind).toBe(1);
    for (const flag of [NTLM_FLAG.SIGN, NTLM_FLAG.SEAL, NTLM_FLAG.KEY_EXCH, NTLM_FLAG.EXTENDED_SESSIONSECURITY]) expect(neg.flags! & flag).toBeTruthy();
    const ch = decodeNtlm(decodePdu(bytes(list[1])).auth!.value);
    if (ch.kind !== 2) throw new Error('expected a CHALLENGE');
    expect(ch.flags & (NTLM_FLAG.SIGN | NTLM_FLAG.SEAL | NTLM_FLAG.KEY_EXCH)).toBe(NTLM_FLAG.SIGN | NTLM_FLAG.SEAL | NTLM_FLAG.KEY_EXCH);
    expect(ch.challenge.equals(SERVER_CHALLENGE)).toBe(true);
    const ids = ch.targetInfo!.map((p) => p.id);
    for (const id of [AV.NbComputerName, AV.NbDomainName, AV.DnsComputerName, AV.DnsDomainName, AV.Timestamp]) expect(ids).toContain(id);
    // Virtual time 0 is 2026-01-01 on the server's clock.
    expect(ch.targetInfo!.find((p) => p.id === AV.Timestamp)!.value.equals(filetime(Date.UTC(2026, 0, 1)))).toBe(true);
  });

  test('its AUTHENTICATE is NTLMv2 with key exchange; it verifies with the emulator\'s NT hash and with no other', () => {
    const auth = decodeNtlm(decodePdu(bytes(list[2])).auth!.value) as Authenticate;
    expect(auth).toMatchObject({ kind: 3, user: 'dcomkit', domain: 'WORKGROUP' });
    expect(auth.ntResponse.length).toBeGreaterThan(24);
    expect(auth.sessionKey.length).toBe(16);
    expect(verifyNtlmv2(auth, SERVER_CHALLENGE, EMULATOR_NT_HASH).ok).toBe(true);
    const other = Buffer.from(EMULATOR_NT_HASH);
    other[0] ^= 1;
    expect(verifyNtlmv2(auth, SERVER_CHALLENGE, other)).toMatchObject({ ok: false });
    expect(verifyNtlmv2(auth, Buffer.from('0123456789abcdef', 'hex'), EMULATOR_NT_HASH)).toMatchObject({ ok: false });
    // The blob echoes our AV pairs: impacket built its answer over our names.
    const blob = auth.ntResponse.subarray(16);
    const pairs = decodeAvPairs(blob.subarray(28));
    expect(pairs.find((p) => p.id === AV.NbComputerName)!.value.toString('utf16le')).toBe('DCOMKIT');
  });

  test('a request with a verifier that does not verify is refused, and so is one under an unknown context', () => {
    const { list } = session(activation);
    const req = Buffer.from(list.find((f) => f.dir === 'in' && ptype(f) === 0)!.hex, 'hex');
    const t = trailerOf(req)!;
    const fresh = (): SecurityContext => {
      const ctx: SecurityContext = { challenge: SERVER_CHALLENGE, flags: challengeFlags(decodeNtlm(decodePdu(bytes(list[0])).auth!.value).flags!), state: 'challenged' };
      establish(ctx, decodeNtlm(decodePdu(bytes(list[2])).auth!.value) as Authenticate, EMULATOR_NT_HASH);
      return ctx;
    };
    expect(typeof unprotect(req, fresh())).toBe('object');
    const tampered = Buffer.from(req);
    tampered[30] ^= 0x40; // a byte of the sealed stub
    expect(unprotect(tampered, fresh())).toBe('signature does not verify');
    expect(unprotect(req, undefined)).toBe(`no security context ${t.contextId}`);
  });
});

describe('impacket 0.10.0 against the emulator: ISystemActivator::RemoteCreateInstance at packet privacy', () => {
  const [activation] = conns('client1', 'scm');
  const { requests, responses } = session(activation);

  test('the sealed request opens to opnum 4 with ActivationPropertiesIn: the test class, ITest, four properties', () => {
    expect(requests).toHaveLength(1);
    expect(requests[0].opnum).toBe(act.REMOTE_CREATE_INSTANCE_OPNUM);
    const q = act.decodeCreateInstanceRequest(requests[0].stub);
    expect(q.orpcThis.version).toEqual({ major: 5, minor: 7 });
    expect(q.orpcThis).toMatchObject({ hasExtensions: false });
    expect(q.properties).toMatchObject({ iid: act.ACTIVATION.IActivationPropertiesIn, clsid: act.ACTIVATION.CLSID_ActivationPropertiesIn });
    const blob = act.decodeActivationBlob(q.properties.data);
    expect(blob.properties.map((p) => p.clsid)).toEqual([
      act.ACTIVATION.CLSID_InstantiationInfo,
      act.ACTIVATION.CLSID_ActivationContextInfo,
      act.ACTIVATION.CLSID_ServerLocationInfo,
      act.ACTIVATION.CLSID_ScmRequestInfo,
    ]);
    const info = act.decodeInstantiationInfo(blob.properties[0].serialized);
    expect(info).toMatchObject({ classId: 'd0c0f00d-5e57-4a11-9000-00000000c1a5', iids: [IID.ITest] });
    // impacket fills thisSize in only after marshalling the property: it goes out as 0
    // (MS-DCOM 2.2.22.2.1 wants the property's size). The server ignores it.
    expect(info.thisSize).toBe(0);
  });

  test('its structures encode again to what they decode from', () => {
    const q = act.decodeCreateInstanceRequest(requests[0].stub);
    const blob = act.decodeActivationBlob(q.properties.data);
    const again = act.decodeActivationBlob(act.encodeActivationBlob(blob));
    expect(again).toEqual(blob);
    const info = act.decodeInstantiationInfo(blob.properties[0].serialized);
    expect(act.decodeInstantiationInfo(act.encodeInstantiationInfo(info))).toEqual(info);
    expect(act.decodeCreateInstanceRequest(act.encodeCreateInstanceRequest(q))).toEqual(q);
    // Padding aside (impacket pads with 0xfa, we with zeros), the bytes are impacket's.
    const ours = act.encodeInstantiationInfo(info);
    const theirs = blob.properties[0].serialized;
    expect(ours.length).toBe(theirs.length);
    // Referent ids are the marshaller's choice: pIID's (at 16 + 36) is masked; the body is 68 bytes.
    const mask = (b: Buffer) => Buffer.concat([b.subarray(16, 52), b.subarray(56, 16 + 68)]);
    expect(mask(ours).toString('hex')).toBe(mask(theirs).toString('hex'));
  });

  test('the sealed response opens to ActivationPropertiesOut: PropsOutInfo with the OBJREF, then ScmReplyInfoData', () => {
    expect(responses).toHaveLength(1);
    const a = act.decodeCreateInstanceResponse(responses[0]);
    expect(a.hr).toBe(0);
    expect(a.properties).toMatchObject({ iid: act.ACTIVATION.IActivationPropertiesOut, clsid: act.ACTIVATION.CLSID_ActivationPropertiesOut });
    const blob = act.decodeActivationBlob(a.properties!.data);
    expect(blob.properties.map((p) => p.clsid)).toEqual([act.ACTIVATION.CLSID_PropsOutInfo, act.ACTIVATION.CLSID_ScmReplyInfo]);
    const [out] = act.decodePropsOut(blob.properties[0].serialized);
    expect(out).toMatchObject({ iid: IID.ITest, hr: 0 });
    const objRef = decodeObjRef(out.objRef!);
    expect(objRef.std.publicRefs).toBe(5);
    const reply = act.decodeScmReply(blob.properties[1].serialized);
    expect(reply).toMatchObject({ authnHint: 2, serverVersion: COM_VERSION, oxid: objRef.std.oxid });
    expect(reply.oxidBindings.bindings[0].address).toMatch(/^127\.0\.0\.1\[\d+\]$/);
    expect(act.decodePropsOut(act.encodePropsOut([out]))).toEqual([out]);
    expect(act.decodeScmReply(act.encodeScmReply(reply))).toEqual(reply);
    expect(act.decodeCreateInstanceResponse(act.encodeCreateInstanceResponse(a))).toEqual(a);
  });
});

describe('impacket 0.10.0 against the emulator: objects at packet integrity, alter_context, pings', () => {
  const [objects] = conns('client1', 'exporter');
  const { list, requests } = session(objects);

  test('a new interface on the object connection comes with a fresh NTLM handshake inside alter_context, which we challenge', () => {
    const alter = list.findIndex((f) => f.dir === 'in' && ptype(f) === 14);
    expect(alter).toBeGreaterThan(0);
    expect(decodeNtlm(decodePdu(bytes(list[alter])).auth!.value).kind).toBe(1);
    const resp = decodePdu(bytes(list[alter + 1]));
    expect(resp.type).toBe('alter_context_resp');
    expect(decodeNtlm(resp.auth!.value).kind).toBe(2);
    expect(ptype(list[alter + 2])).toBe(16);
    // Another auth context than the bind's: each has its own keys and sequence numbers.
    expect(trailerOf(bytes(list[alter]))!.contextId).not.toBe(trailerOf(bytes(list[0]))!.contextId);
  });

  test('signed calls: ITest::Add, RemQueryInterface for IUnknown, RemRelease of one public reference', () => {
    expect(requests.map((r) => r.opnum)).toEqual([3, 3, 5]);
    expect(trailerOf(bytes(list.find((f) => f.dir === 'in' && ptype(f) === 0)!))!.level).toBe(AUTHN_LEVEL.integrity);
    expect(new NdrReader(requests[0].stub.subarray(-4)).i32()).toBe(41);
    const qi = decodeRemQueryInterface(requests[1].stub);
    expect(qi).toMatchObject({ refs: 1, iids: [IID.IUnknown] });
    const rel = decodeRefsRequest(requests[2].stub);
    expect(rel.refs).toEqual([{ ipid: expect.any(String), publicRefs: 1, privateRefs: 0 }]);
  });

  test('pings, each on a fresh sealed connection: a ComplexPing creating the set, then a SimplePing on it', () => {
    const pings = conns('client1', 'scm')
      .slice(1)
      .map((c) => session(c).requests[0]);
    expect(pings.map((p) => p.opnum)).toEqual([2, 1]);
    const complex = decodeComplexPing(pings[0].stub);
    expect(complex).toMatchObject({ setId: '0000000000000000', seq: 0 });
    expect(complex.adds).toHaveLength(1);
    // The released QueryInterface result is deleted from the set under its OXID: impacket
    // files a QueryInterface result's OID as the OXID (dcomrt.IRemUnknown.RemQueryInterface).
    const [activated] = session(conns('client1', 'scm')[0]).responses;
    const blob = act.decodeActivationBlob(act.decodeCreateInstanceResponse(activated).properties!.data);
    const objRef = decodeObjRef(act.decodePropsOut(blob.properties[0].serialized)[0].objRef!);
    expect(complex.adds).toEqual([objRef.std.oid]);
    expect(complex.dels).toEqual([objRef.std.oxid]);
    expect(decodeSimplePing(pings[1].stub).setId).not.toBe('0000000000000000');
  });
});

describe('impacket 0.10.0 against the emulator: IRemoteActivation at packet integrity', () => {
  const [c] = conns('client2', 'scm');
  const { requests } = session(c);

  test('RemoteActivation carries ORPCTHIS with a zero causality id and a non-null, empty extensions array', () => {
    const a = decodeActivationRequest(requests[0].stub);
    expect(a.orpcThis).toMatchObject({ version: { major: 5, minor: 7 }, cid: '00000000-0000-0000-0000-000000000000', hasExtensions: true, extensions: [] });
    expect(a).toMatchObject({ clsid: 'd0c0f00d-5e57-4a11-9000-00000000c1a5', iids: [IID.ITest], protseqs: [7] });
  });
});

describe('structures, round trip', () => {
  test('ORPCTHIS with extensions: each extent keeps its id and data; data is padded to 8 and the pointer array to even', () => {
    const o: OrpcThis = {
      version: COM_VERSION,
      flags: 1,
      cid: '12345678-9abc-4def-8123-456789abcdef',
      hasExtensions: true,
      extensions: [
        { id: 'f1f19680-4d2a-11ce-a66a-0020af6e72f4', data: Buffer.from('0102030405', 'hex') },
        { id: '0000031c-0000-0000-c000-000000000046', data: Buffer.alloc(0) },
        { id: '00000334-0000-0000-c000-000000000046', data: Buffer.from('a1a2a3a4a5a6a7a8a9', 'hex') },
      ],
    };
    const w = new NdrWriter();
    writeOrpcThis(w, o);
    w.u32(0xfeedface);
    const r = new NdrReader(w.toBuffer());
    expect(readOrpcThis(r)).toEqual(o);
    expect(r.u32()).toBe(0xfeedface);
  });

  test('AV pairs', () => {
    const pairs = [
      { id: AV.NbComputerName, value: Buffer.from('S', 'utf16le') },
      { id: AV.Timestamp, value: filetime(0) },
    ];
    expect(decodeAvPairs(encodeAvPairs(pairs))).toEqual(pairs);
    // 1970-01-01 is 11644473600 s after 1601-01-01, in 100 ns units.
    expect(filetime(0).readBigUInt64LE()).toBe(116_444_736_000_000_000n);
  });

  test('type serialisation: headers, 8-byte padding; a short or big-endian stream is refused', () => {
    const s = act.typeSerialize(Buffer.from('0102030405', 'hex'));
    expect(s.toString('hex')).toBe('01100800cccccccc' + '0800000000000000' + '0102030405000000');
    expect(act.typeDeserialize(s).toString('hex')).toBe('0102030405000000');
    expect(() => act.typeDeserialize(s.subarray(0, 10))).toThrow(/shorter/);
    const big = Buffer.from(s);
    big[1] = 0x00;
    expect(() => act.typeDeserialize(big)).toThrow(/big-endian/);
  });

  test('OBJREF_CUSTOM and a failed activation response', () => {
    const o = { iid: act.ACTIVATION.IActivationPropertiesOut, clsid: act.ACTIVATION.CLSID_ActivationPropertiesOut, data: Buffer.from('cafe', 'hex') };
    expect(act.decodeCustomObjRef(act.encodeCustomObjRef(o))).toEqual(o);
    const failed = { properties: null, hr: 0x80040154 };
    expect(act.decodeCreateInstanceResponse(act.encodeCreateInstanceResponse(failed))).toEqual(failed);
  });
});

describe('RC4 and NTLM session security', () => {
  test('RC4: the classic "Key"/"Plaintext" vector, and one handle is one stream', () => {
    expect(new Rc4(Buffer.from('Key')).update(Buffer.from('Plaintext')).toString('hex')).toBe('bbf316e8d940af0ad3');
    const h = new Rc4(Buffer.from('Key'));
    expect(Buffer.concat([h.update(Buffer.from('Plain')), h.update(Buffer.from('text'))]).toString('hex')).toBe('bbf316e8d940af0ad3');
  });

  test('MS-NLMP 4.2.4.4: sealing and signing keys, sealed data and signature of its example', () => {
    const random = Buffer.alloc(16, 0x55);
    const flags = NTLM_FLAG.KEY_EXCH | NTLM_FLAG.KEY_128 | NTLM_FLAG.KEY_56 | NTLM_FLAG.EXTENDED_SESSIONSECURITY | NTLM_FLAG.SEAL | NTLM_FLAG.SIGN;
    expect(sealKey(flags, random, 'client').toString('hex')).toBe('59f600973cc4960a25480a7c196e4c58');
    expect(signKey(random, 'client').toString('hex')).toBe('4788dc861b4782f35d43fd98fe1a2d39');
    const dir = new NtlmDirection(flags, random, 'client');
    const plain = Buffer.from('Plaintext', 'utf16le');
    const { sealed, signature } = dir.seal(plain, () => plain);
    expect(sealed.toString('hex')).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(signature.toString('hex')).toBe('010000007fb38ec5c55d497600000000');
  });
});
