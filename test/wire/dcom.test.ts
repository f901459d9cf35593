import {
  COM_VERSION,
  decodeActivationRequest,
  decodeActivationResponse,
  decodeAddRequest,
  decodeAddResponse,
  decodeComplexPing,
  decodeComplexPingResponse,
  decodeDsa,
  decodeDsaWords,
  decodeHrResponse,
  decodeObjRef,
  decodeRefsRequest,
  decodeRemAddRefResponse,
  decodeRemQueryInterface,
  decodeRemQueryInterfaceResponse,
  decodeServerAlive2Response,
  decodeSimplePing,
  decodeStatus,
  dsaWords,
  encodeActivationRequest,
  encodeActivationResponse,
  encodeAddRequest,
  encodeAddResponse,
  encodeComplexPing,
  encodeComplexPingResponse,
  encodeDsa,
  encodeHrResponse,
  encodeObjRef,
  encodeRefsRequest,
  encodeRemAddRefResponse,
  encodeRemQueryInterface,
  encodeRemQueryInterfaceResponse,
  encodeServerAlive2Response,
  encodeSimplePing,
  encodeStatus,
  IID,
  ITEST_ADD_OPNUM,
  NULL_STD,
  readOrpcThat,
  readOrpcThis,
  writeOrpcThat,
  writeOrpcThis,
  type ActivationRequest,
  type ActivationResponse,
  type DualStringArray,
  type ObjRef,
  type OrpcThis,
} from '../../adapters/wire/dcom';
import { NdrReader, NdrWriter } from '../../adapters/wire/ndr';
import { decodePdu, type RequestPdu, type ResponsePdu } from '../../adapters/wire/pdu';
import { HR, OR } from '../../spec';
import { bytes, CAPTURED } from './fixtures';

type Name = keyof typeof CAPTURED;

function request(name: Name): RequestPdu {
  const p = decodePdu(bytes(CAPTURED[name]));
  if (p.type !== 'request') throw new Error(`${name} is a ${p.type}`);
  return p;
}
function response(name: Name): ResponsePdu {
  const p = decodePdu(bytes(CAPTURED[name]));
  if (p.type !== 'response') throw new Error(`${name} is a ${p.type}`);
  return p;
}

/**
 * node-dcom's stubs carry bytes after the last IDL field: its CallBuilder and ping object end
 * every call with 16 zero bytes, RemUnknown adds a 4-byte "index matching" long, and
 * RemActivation appends the local IP as u16s. Our encoders stop at the last field, so the
 * captured stub must be exactly our bytes followed by that known tail.
 */
function expectReencoded(ours: Buffer, captured: Buffer, tail: string): void {
  expect(captured.toString('hex')).toBe(ours.toString('hex') + tail);
}
const ZEROS16 = '00'.repeat(16);

/** node-dcom draws unique-pointer referent ids from a hash; ours count from 0x00020000. Only "not null" means anything. */
function withOurReferent(stub: Buffer, at: number): Buffer {
  expect(stub.readUInt32LE(at)).not.toBe(0);
  const b = Buffer.from(stub);
  b.writeUInt32LE(0x00020000, at);
  return b;
}

const orpcThis: OrpcThis = { version: COM_VERSION, flags: 1, cid: '12345678-9abc-4def-8123-456789abcdef', hasExtensions: false };

const dsa: DualStringArray = {
  bindings: [
    { tower: 7, address: '10.0.0.1[135]' },
    { tower: 0x1f, address: 'hôst' },
  ],
  security: [
    { authnSvc: 10, authzSvc: 0xffff, principal: '' },
    { authnSvc: 9, authzSvc: 0, principal: 'DOMAIN\\svc' },
  ],
};

const objRef: ObjRef = {
  iid: IID.ITest,
  std: { flags: 0x1000, publicRefs: 5, oxid: '0102030405060708', oid: 'f0e0d0c0b0a09080', ipid: 'd0c0f00d-5e57-4a11-9000-000000000042' },
  resolver: dsa,
};

// Identities the emulator hands out deterministically, so the fixtures (captured in separate
// runs) agree with each other: one object, its RemUnknown, its two IPIDs, one ping set.
const OXID = '0100000a00000000';
const OID = '0100000b00000000';
const SET = '0100000c00000000';
const REM_UNKNOWN = '0000000a-7e57-4000-8000-000000000001';
const IPID1 = '00000010-7e57-4000-8000-000000000001';
const IPID2 = '00000010-7e57-4000-8000-000000000002';

describe('ORPCTHIS and ORPCTHAT', () => {
  test('round trip, with a null extensions pointer', () => {
    const w = new NdrWriter();
    writeOrpcThis(w, orpcThis);
    writeOrpcThat(w);
    const buf = w.toBuffer();
    expect(buf.length).toBe(32 + 8);
    expect(buf.readUInt32LE(28)).toBe(0);
    const r = new NdrReader(buf);
    expect(readOrpcThis(r)).toEqual(orpcThis);
    readOrpcThat(r);
    expect(r.remaining).toBe(0);
  });

  test('node-dcom speaks COM 5.4 with no flags and a fresh causality id per call', () => {
    const cids = (['remQueryInterface', 'remAddRef', 'addCall'] as const).map((n) => {
      const stub = request(n).stub;
      const o = readOrpcThis(new NdrReader(stub));
      expect(o).toMatchObject({ version: { major: 5, minor: 4 }, flags: 0, hasExtensions: false });
      const w = new NdrWriter();
      writeOrpcThis(w, o);
      expect(w.toBuffer().toString('hex')).toBe(stub.subarray(0, 32).toString('hex'));
      return o.cid;
    });
    expect(new Set(cids).size).toBe(3);
  });

  test('a pointer to extensions that are not there is a read past the end, not a misread', () => {
    const w = new NdrWriter();
    writeOrpcThis(w, orpcThis);
    const buf = w.toBuffer();
    buf.writeUInt32LE(0x00020000, 28);
    expect(() => readOrpcThis(new NdrReader(buf))).toThrow(RangeError);
    const that = Buffer.from('0000000004000200', 'hex');
    expect(() => readOrpcThat(new NdrReader(that))).toThrow(/ORPCTHAT extensions/);
    expect(() => readOrpcThis(new NdrReader(buf.subarray(0, 20)))).toThrow(RangeError);
  });
});

describe('DUALSTRINGARRAY', () => {
  test('words: bindings, a terminator, then security bindings from securityOffset', () => {
    const small: DualStringArray = { bindings: [{ tower: 7, address: 'ab' }], security: [{ authnSvc: 10, authzSvc: 0xffff, principal: '' }] };
    expect(dsaWords(small)).toEqual({ entries: [7, 0x61, 0x62, 0, 0, 10, 0xffff, 0, 0], securityOffset: 5 });
    const { entries, securityOffset } = dsaWords(dsa);
    expect(decodeDsaWords(entries, securityOffset)).toEqual(dsa);
  });

  test('blob round trip; size counts the header and every word, not what follows', () => {
    const b = encodeDsa(dsa);
    const { entries, securityOffset } = dsaWords(dsa);
    expect([b.readUInt16LE(0), b.readUInt16LE(2), b.length]).toEqual([entries.length, securityOffset, 4 + 2 * entries.length]);
    expect(decodeDsa(Buffer.concat([b, Buffer.from('ffff', 'hex')]))).toEqual({ dsa, size: b.length });
    const empty = { bindings: [], security: [] };
    expect(decodeDsa(encodeDsa(empty)).dsa).toEqual(empty);
  });

  test("MS-DCOM's smallest array (4 zero words, security at 2) is empty, and is what empty encodes to", () => {
    expect(decodeDsa(Buffer.from('04000200' + '0000000000000000', 'hex'))).toEqual({ dsa: { bindings: [], security: [] }, size: 12 });
    expect(dsaWords({ bindings: [], security: [] })).toEqual({ entries: [0, 0, 0, 0], securityOffset: 2 });
    expect(dsaWords({ bindings: [{ tower: 7, address: 'a' }], security: [] })).toEqual({ entries: [7, 0x61, 0, 0, 0, 0], securityOffset: 4 });
  });

  test("captured: the resolver bindings in the emulator's OBJREF", () => {
    const stub = response('activationResponse').stub;
    const at = stub.indexOf(Buffer.from('MEOW', 'latin1'));
    const blob = stub.subarray(at + 64, at + stub.readUInt32LE(at - 4));
    const { dsa: got, size } = decodeDsa(blob);
    expect(got).toEqual({ bindings: [{ tower: 7, address: '127.0.0.1' }], security: [{ authnSvc: 10, authzSvc: 0xffff, principal: '' }] });
    expect(size).toBe(blob.length);
    expect(encodeDsa(got).toString('hex')).toBe(blob.toString('hex'));
  });

  test('a truncated array throws', () => {
    // Buffer's own RangeError comes from another realm than jest's: match the message.
    const b = encodeDsa(dsa);
    expect(() => decodeDsa(b.subarray(0, b.length - 2))).toThrow(/out of range/);
    expect(() => decodeDsa(b.subarray(0, 3))).toThrow(/out of range/);
  });
});

describe('OBJREF', () => {
  test('round trip', () => {
    expect(decodeObjRef(encodeObjRef(objRef))).toEqual(objRef);
  });

  test('layout: MEOW, OBJREF_STANDARD, IID, STDOBJREF, then the resolver bindings unaligned', () => {
    const b = encodeObjRef(objRef);
    expect(b.subarray(0, 8).toString('hex')).toBe('4d454f5701000000');
    expect(b.subarray(8, 24).toString('hex')).toBe('0df0c0d0575e114a900000000000c0de');
    expect(b.readUInt32LE(24)).toBe(0x1000);
    expect(b.readUInt32LE(28)).toBe(5);
    expect(b.subarray(32, 48).toString('hex')).toBe('0102030405060708f0e0d0c0b0a09080');
    expect(b.subarray(64).toString('hex')).toBe(encodeDsa(dsa).toString('hex'));
  });

  test('malformed: wrong signature, a non-standard kind, truncation', () => {
    const b = encodeObjRef(objRef);
    const bad = Buffer.from(b);
    bad.write('WOOF', 0, 'latin1');
    expect(() => decodeObjRef(bad)).toThrow(/MEOW/);
    const custom = Buffer.from(b);
    custom.writeUInt32LE(4, 4); // OBJREF_CUSTOM
    expect(() => decodeObjRef(custom)).toThrow(/flags 4 unsupported/);
    expect(() => decodeObjRef(b.subarray(0, 40))).toThrow(RangeError);
    expect(() => decodeObjRef(b.subarray(0, 66))).toThrow(/out of range/); // inside the bindings header
  });
});

describe('IRemoteActivation::RemoteActivation', () => {
  const req: ActivationRequest = {
    orpcThis,
    clsid: 'd0c0f00d-5e57-4a11-9000-00000000c1a5',
    objectName: 'naïve',
    impLevel: 2,
    mode: 0,
    iids: [IID.IUnknown, IID.ITest, IID.IMissing],
    protseqs: [7, 0x1f],
  };

  test('request round trip, with and without an object name', () => {
    const b = encodeActivationRequest(req);
    expect(decodeActivationRequest(b)).toEqual(req);
    // [string] wchar_t*: max count, offset 0, actual count, all counting the NUL, which is sent.
    expect([b.readUInt32LE(52), b.readUInt32LE(56), b.readUInt32LE(60)]).toEqual([6, 0, 6]);
    expect(b.subarray(64, 76).toString('utf16le')).toBe('naïve\0');
    const plain = { ...req, objectName: null, iids: [IID.IOPCServer], protseqs: [7] };
    expect(decodeActivationRequest(encodeActivationRequest(plain))).toEqual(plain);
  });

  test('captured request: opnum 0, the test CLSID, IOPCServer, TCP only', () => {
    const pdu = request('remoteActivation');
    expect(pdu).toMatchObject({ opnum: 0, contextId: 0 });
    expect(pdu.object).toBeUndefined();
    const a = decodeActivationRequest(pdu.stub);
    expect(a).toMatchObject({
      orpcThis: { version: { major: 5, minor: 4 }, flags: 0 },
      clsid: 'd0c0f00d-5e57-4a11-9000-00000000c1a5',
      objectName: null,
      impLevel: 3,
      mode: 0,
      iids: [IID.IOPCServer],
      protseqs: [7],
    });
    // The pIIDs referent sits after ORPCTHIS, CLSID and five longs; the tail is 127,0,0,1,0.
    expectReencoded(encodeActivationRequest(a), withOurReferent(pdu.stub, 68), '7f000000000001000000');
  });

  test('a pObjectStorage is refused', () => {
    const b = encodeActivationRequest({ ...req, objectName: null });
    b.writeUInt32LE(0x00020004, 52);
    expect(() => decodeActivationRequest(b)).toThrow(/pObjectStorage/);
  });

  const resp: ActivationResponse = {
    oxid: '0807060504030201',
    oxidBindings: dsa,
    remUnknownIpid: REM_UNKNOWN,
    authnHint: 2,
    version: COM_VERSION,
    hr: 0,
    results: [
      { hr: 0, objRef },
      { hr: HR.E_NOINTERFACE, objRef: null },
      { hr: 0, objRef: { ...objRef, iid: IID.IUnknown, resolver: { bindings: [], security: [] } } },
    ],
    status: 0,
  };

  test('response round trip: null pointers and failure HRESULTs survive', () => {
    expect(decodeActivationResponse(encodeActivationResponse(resp))).toEqual(resp);
    const none = { ...resp, oxidBindings: null, hr: HR.E_NOINTERFACE, results: [{ hr: HR.E_NOINTERFACE, objRef: null }], status: 5 };
    expect(decodeActivationResponse(encodeActivationResponse(none))).toEqual(none);
  });

  test("captured response (the emulator's): the object node-dcom goes on to ping and call", () => {
    const stub = response('activationResponse').stub;
    const a = decodeActivationResponse(stub);
    expect(a).toMatchObject({ oxid: OXID, remUnknownIpid: REM_UNKNOWN, authnHint: 2, version: { major: 5, minor: 7 }, hr: 0, status: 0 });
    expect(a.oxidBindings?.bindings).toEqual([{ tower: 7, address: expect.stringMatching(/^127\.0\.0\.1\[\d+\]$/) }]);
    expect(a.results).toHaveLength(1);
    expect(a.results[0].hr).toBe(0);
    expect(a.results[0].objRef).toMatchObject({ iid: IID.IOPCServer, std: { flags: 0, publicRefs: 5, oxid: OXID, oid: OID, ipid: IPID1 } });
    // What node-dcom then sends about this object names the same ids.
    expect(decodeComplexPing(request('complexPing').stub).adds).toEqual([OID]);
    expect(request('remAddRef').object).toBe(REM_UNKNOWN);
    expect(encodeActivationResponse(a).toString('hex')).toBe(stub.toString('hex'));
    expect(() => decodeActivationResponse(stub.subarray(0, stub.length - 4))).toThrow(RangeError);
  });
});

describe('IObjectExporter', () => {
  test('SimplePing: round trip and the captured set id', () => {
    expect(decodeSimplePing(encodeSimplePing({ setId: 'fedcba9876543210' }))).toEqual({ setId: 'fedcba9876543210' });
    const pdu = request('simplePing');
    expect(pdu).toMatchObject({ opnum: 1, contextId: 0 });
    const p = decodeSimplePing(pdu.stub);
    expect(p).toEqual({ setId: SET });
    expectReencoded(encodeSimplePing(p), pdu.stub, '');
    expect(() => decodeSimplePing(pdu.stub.subarray(0, 4))).toThrow(RangeError);
  });

  test('status: round trip and the captured answer to SimplePing', () => {
    for (const s of [OR.OK, OR.OR_INVALID_SET, 0xffffffff]) expect(decodeStatus(encodeStatus(s))).toBe(s);
    const stub = response('simplePingResponse').stub;
    expect(decodeStatus(stub)).toBe(OR.OK);
    expect(encodeStatus(OR.OK).toString('hex')).toBe(stub.toString('hex'));
    expect(() => decodeStatus(stub.subarray(0, 2))).toThrow(RangeError);
  });

  test('ComplexPing request round trip; empty lists travel as null pointers', () => {
    const p = { setId: SET, seq: 65535, adds: ['1111111111111111', '2222222222222222'], dels: ['3333333333333333'] };
    expect(decodeComplexPing(encodeComplexPing(p))).toEqual(p);
    const none = { setId: SET, seq: 3, adds: [], dels: [] };
    const b = encodeComplexPing(none);
    expect(b.subarray(16).toString('hex')).toBe('0000000000000000');
    expect(decodeComplexPing(b)).toEqual(none);
  });

  test('captured ComplexPing: a new set (id 0) at sequence 0 adding the one object', () => {
    const pdu = request('complexPing');
    expect(pdu).toMatchObject({ opnum: 2, contextId: 0 });
    const p = decodeComplexPing(pdu.stub);
    expect(p).toEqual({ setId: '0000000000000000', seq: 0, adds: [OID], dels: [] });
    expectReencoded(encodeComplexPing(p), withOurReferent(pdu.stub, 16), ZEROS16);
  });

  test('ComplexPing whose counts disagree with its arrays is refused', () => {
    const b = encodeComplexPing({ setId: SET, seq: 1, adds: [OID], dels: [] });
    b.writeUInt16LE(2, 10); // cAddToSet
    expect(() => decodeComplexPing(b)).toThrow(/disagree/);
    expect(() => decodeComplexPing(b.subarray(0, 20))).toThrow(RangeError);
  });

  test('ComplexPing response: round trip and the captured new set id', () => {
    const p = { setId: SET, backoff: 2, status: OR.OR_INVALID_SET };
    expect(decodeComplexPingResponse(encodeComplexPingResponse(p))).toEqual(p);
    const stub = response('complexPingResponse').stub;
    const got = decodeComplexPingResponse(stub);
    expect(got).toEqual({ setId: SET, backoff: 0, status: OR.OK });
    expect(encodeComplexPingResponse(got).toString('hex')).toBe(stub.toString('hex'));
  });

  test('ServerAlive2 response: round trip, captured, and a null bindings pointer reads as empty', () => {
    const s = { version: COM_VERSION, bindings: dsa, status: 0 };
    expect(decodeServerAlive2Response(encodeServerAlive2Response(s))).toEqual(s);
    const stub = response('serverAlive2Response').stub;
    const got = decodeServerAlive2Response(stub);
    expect(got).toEqual({ version: { major: 5, minor: 7 }, bindings: { bindings: [{ tower: 7, address: '127.0.0.1' }], security: [] }, status: 0 });
    expect(encodeServerAlive2Response(got).toString('hex')).toBe(stub.toString('hex'));
    // The conformance and wNumEntries agree, and pReserved is zero before the status.
    expect(stub.readUInt32LE(8)).toBe(stub.readUInt16LE(12));
    expect(stub.readUInt32LE(stub.length - 8)).toBe(0);
    const nullPtr = Buffer.from('05000700' + '00000000' + '00000000' + '00000000', 'hex');
    expect(decodeServerAlive2Response(nullPtr)).toEqual({ version: { major: 5, minor: 7 }, bindings: { bindings: [], security: [] }, status: 0 });
  });
});

describe('IRemUnknown', () => {
  test('RemQueryInterface request: round trip and captured', () => {
    const q = { orpcThis, ipid: IPID1, refs: 3, iids: [IID.ITest, IID.IUnknown, IID.IMissing] };
    expect(decodeRemQueryInterface(encodeRemQueryInterface(q))).toEqual(q);
    const pdu = request('remQueryInterface');
    expect(pdu).toMatchObject({ opnum: 3, object: REM_UNKNOWN });
    const got = decodeRemQueryInterface(pdu.stub);
    expect(got).toMatchObject({ ipid: IPID1, refs: 5, iids: [IID.ITest] });
    expectReencoded(encodeRemQueryInterface(got), pdu.stub, '00000000');
  });

  test('RemQueryInterface response: round trip, REMQIRESULTs 8-aligned', () => {
    const q = { results: [{ hr: 0, std: objRef.std }, { hr: HR.E_NOINTERFACE, std: NULL_STD }], hr: HR.E_NOINTERFACE };
    const b = encodeRemQueryInterfaceResponse(q);
    expect(decodeRemQueryInterfaceResponse(b)).toEqual(q);
    // ORPCTHAT 8, pointer 4, count 4: the first result starts at 16, its STDOBJREF at 24; each is 48.
    expect(b.readUInt32LE(16 + 48)).toBe(HR.E_NOINTERFACE);
    expect(b.subarray(24 + 8, 24 + 24).toString('hex')).toBe(objRef.std.oxid + objRef.std.oid);
    const gone = { results: [], hr: HR.RPC_E_INVALID_OBJECT };
    expect(decodeRemQueryInterfaceResponse(encodeRemQueryInterfaceResponse(gone))).toEqual(gone);
  });

  test("captured RemQueryInterface responses (the emulator's): ITest gets a new IPID, IMissing a null STDOBJREF", () => {
    const ok = response('remQueryInterfaceResponse').stub;
    const got = decodeRemQueryInterfaceResponse(ok);
    expect(got).toEqual({ results: [{ hr: 0, std: { flags: 0, publicRefs: 5, oxid: OXID, oid: OID, ipid: IPID2 } }], hr: 0 });
    expect(encodeRemQueryInterfaceResponse(got).toString('hex')).toBe(ok.toString('hex'));
    // node-dcom then calls ITest on the IPID it was given.
    expect(request('addCall').object).toBe(IPID2);

    const no = response('noInterfaceResponse').stub;
    const missing = decodeRemQueryInterfaceResponse(no);
    expect(missing).toEqual({ results: [{ hr: HR.E_NOINTERFACE, std: NULL_STD }], hr: HR.E_NOINTERFACE });
    expect(encodeRemQueryInterfaceResponse(missing).toString('hex')).toBe(no.toString('hex'));
  });

  test('RemAddRef/RemRelease request round trip', () => {
    const q = { orpcThis, refs: [{ ipid: IPID1, publicRefs: 5, privateRefs: 0 }, { ipid: IPID2, publicRefs: 1, privateRefs: 2 }] };
    expect(decodeRefsRequest(encodeRefsRequest(q))).toEqual(q);
    const none = { orpcThis, refs: [] };
    expect(decodeRefsRequest(encodeRefsRequest(none))).toEqual(none);
    // cPublicRefs and cPrivateRefs are unsigned longs: a huge count must not read as negative.
    const huge = { orpcThis, refs: [{ ipid: IPID1, publicRefs: 0xffffffff, privateRefs: 0x80000000 }] };
    expect(decodeRefsRequest(encodeRefsRequest(huge))).toEqual(huge);
  });

  test.each([
    ['remAddRef', 4, 0, [{ ipid: IPID1, publicRefs: 5, privateRefs: 0 }]],
    ['remRelease', 5, 0, [{ ipid: IPID2, publicRefs: 5, privateRefs: 0 }]],
    // destroySession gives back both IPIDs at once, on a context added by alter_context.
    ['destroyRemRelease', 5, 1, [{ ipid: IPID1, publicRefs: 10, privateRefs: 0 }, { ipid: IPID2, publicRefs: 5, privateRefs: 0 }]],
  ] as const)('captured %s: opnum %i on context %i', (name, opnum, contextId, refs) => {
    const pdu = request(name);
    expect(pdu).toMatchObject({ opnum, contextId, object: REM_UNKNOWN });
    const got = decodeRefsRequest(pdu.stub);
    expect(got.refs).toEqual(refs);
    expectReencoded(encodeRefsRequest(got), pdu.stub, ZEROS16);
    // Cut inside the last REMINTERFACEREF.
    expect(() => decodeRefsRequest(pdu.stub.subarray(0, 40 + 24 * refs.length - 4))).toThrow(RangeError);
  });

  test('RemAddRef response: round trip and captured', () => {
    const a = { results: [0, HR.CO_E_OBJNOTREG], hr: HR.E_INVALIDARG };
    expect(decodeRemAddRefResponse(encodeRemAddRefResponse(a))).toEqual(a);
    const stub = response('remAddRefResponse').stub;
    const got = decodeRemAddRefResponse(stub);
    expect(got).toEqual({ results: [0], hr: 0 });
    expect(encodeRemAddRefResponse(got).toString('hex')).toBe(stub.toString('hex'));
  });

  test('ORPCTHAT + HRESULT response (RemRelease): round trip and captured', () => {
    for (const hr of [0, HR.RPC_E_INVALID_OBJECT]) expect(decodeHrResponse(encodeHrResponse(hr))).toBe(hr);
    const stub = response('remReleaseResponse').stub;
    expect(decodeHrResponse(stub)).toBe(0);
    expect(encodeHrResponse(0).toString('hex')).toBe(stub.toString('hex'));
    expect(() => decodeHrResponse(stub.subarray(0, 8))).toThrow(RangeError);
  });
});

describe('ITest::Add', () => {
  test('request: round trip (x is signed) and the captured Add(41)', () => {
    for (const x of [0, -1, 0x7fffffff, -0x80000000]) {
      expect(decodeAddRequest(encodeAddRequest({ orpcThis, x }))).toEqual({ orpcThis, x });
    }
    const pdu = request('addCall');
    expect(pdu.opnum).toBe(ITEST_ADD_OPNUM);
    const got = decodeAddRequest(pdu.stub);
    expect(got.x).toBe(41);
    expectReencoded(encodeAddRequest(got), pdu.stub, ZEROS16);
  });

  test('response: round trip and the captured 42', () => {
    for (const a of [{ y: -7, hr: 0 }, { y: 1, hr: HR.RPC_E_INVALID_OBJECT }]) expect(decodeAddResponse(encodeAddResponse(a))).toEqual(a);
    const stub = response('addResponse').stub;
    const got = decodeAddResponse(stub);
    expect(got).toEqual({ y: 42, hr: 0 });
    expect(encodeAddResponse(got).toString('hex')).toBe(stub.toString('hex'));
  });
});
