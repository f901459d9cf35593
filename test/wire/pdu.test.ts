import { decodePdu, encodePdu, NDR20_SYNTAX, PduFramer, PFC, type Pdu } from '../../adapters/wire/pdu';
import { decodeNtlm } from '../../adapters/wire/ntlm';
import { IID } from '../../adapters/wire/dcom';
import { bytes, CAPTURED } from './fixtures';

const flags = PFC.FIRST_FRAG | PFC.LAST_FRAG;
const auth = { type: 10, level: 2, contextId: 7, value: Buffer.from('verifier-bytes!!') };

const samples: Pdu[] = [
  { type: 'bind', callId: 1, flags, maxXmit: 5840, maxRecv: 5840, assocGroup: 0, contexts: [{ contextId: 0, abstract: { uuid: IID.IRemUnknown, version: 0 }, transfer: [NDR20_SYNTAX] }], auth },
  { type: 'alter_context', callId: 2, flags, maxXmit: 4280, maxRecv: 4280, assocGroup: 9, contexts: [{ contextId: 1, abstract: { uuid: IID.ITest, version: 0 }, transfer: [NDR20_SYNTAX, { uuid: IID.IUnknown, version: 1 }] }] },
  { type: 'bind_ack', callId: 1, flags, maxXmit: 4280, maxRecv: 4280, assocGroup: 0x1234, secondaryAddr: '40123', results: [{ result: 0, reason: 0, transfer: NDR20_SYNTAX }], auth },
  { type: 'alter_context_resp', callId: 2, flags, maxXmit: 4280, maxRecv: 4280, assocGroup: 0x1234, secondaryAddr: '', results: [{ result: 2, reason: 2, transfer: { uuid: '00000000-0000-0000-0000-000000000000', version: 0 } }] },
  { type: 'auth3', callId: 3, flags, auth },
  { type: 'request', callId: 4, flags, allocHint: 3, contextId: 1, opnum: 5, object: 'd0c0f00d-5e57-4a11-9000-000000000001', stub: Buffer.from([1, 2, 3]), auth },
  { type: 'request', callId: 5, flags, allocHint: 4, contextId: 0, opnum: 2, stub: Buffer.from([9, 9, 9, 9]) },
  { type: 'response', callId: 4, flags, allocHint: 5, contextId: 1, cancelCount: 0, stub: Buffer.from('hello') },
  { type: 'fault', callId: 6, flags, allocHint: 32, contextId: 0, cancelCount: 0, status: 0x80010108 },
];

describe('connection-oriented PDUs', () => {
  test.each(samples.map((p) => [p.type, p] as const))('%s survives encode then decode', (_t, p) => {
    const back = decodePdu(encodePdu(p));
    const { auth: a, ...rest } = back;
    const { auth: b, ...want } = p;
    expect(rest).toEqual(want);
    if (b) expect({ ...a, padLength: undefined }).toEqual({ ...b, padLength: undefined });
    else expect(a).toBeUndefined();
  });

  test('the security trailer starts 4-aligned and counts its padding', () => {
    const p = samples[5];
    const buf = encodePdu(p);
    const authLength = buf.readUInt16LE(10);
    const trailerAt = buf.length - authLength - 8;
    expect(trailerAt % 4).toBe(0);
    const back = decodePdu(buf) as Extract<Pdu, { type: 'request' }>;
    expect(back.auth?.padLength).toBe(1); // 16 + 24 + 3 stub bytes -> 1 byte of padding
    expect(back.stub).toEqual(p.type === 'request' ? p.stub : null);
  });

  test.each(Object.entries(CAPTURED))('captured %s decodes and re-encodes to the same bytes', (_name, hex) => {
    const buf = bytes(hex);
    const want = Buffer.from(buf);
    if (buf[2] === 11 || buf[2] === 14) {
      // node-dcom leaves the reserved bytes after n_context_elem uninitialised (0xcc);
      // we write zeros, as C706 asks.
      expect(buf.subarray(25, 28).toString('hex')).toBe('cccccc');
      want.fill(0, 25, 28);
    }
    expect(encodePdu(decodePdu(buf)).toString('hex')).toBe(want.toString('hex'));
  });

  test('captured bind names IRemoteActivation over NDR 2.0 with an NTLM negotiate', () => {
    const bind = decodePdu(bytes(CAPTURED.bindScm));
    expect(bind.type).toBe('bind');
    if (bind.type !== 'bind') return;
    expect(bind.contexts).toEqual([{ contextId: 0, abstract: { uuid: IID.IRemoteActivation, version: 0 }, transfer: [NDR20_SYNTAX] }]);
    expect(bind.auth).toMatchObject({ type: 10, level: 2 });
    expect(decodeNtlm(bind.auth!.value)).toMatchObject({ kind: 1 });
  });

  test('captured requests: node-dcom sends call_id 0 and an object UUID on ORPC calls', () => {
    const act = decodePdu(bytes(CAPTURED.remoteActivation));
    const rel = decodePdu(bytes(CAPTURED.remRelease));
    expect(act).toMatchObject({ type: 'request', callId: 0, opnum: 0 });
    expect(act.type === 'request' && act.object).toBeFalsy();
    expect(rel).toMatchObject({ type: 'request', callId: 0, opnum: 5 });
    expect(rel.type === 'request' && rel.object).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('the framer splits a byte stream at PDU boundaries whatever the chunking', () => {
    const stream = Buffer.concat([bytes(CAPTURED.bindScm), bytes(CAPTURED.auth3), bytes(CAPTURED.remoteActivation)]);
    for (const size of [1, 7, 64, stream.length]) {
      const framer = new PduFramer();
      const frames: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...framer.push(stream.subarray(i, i + size)));
      expect(frames.map((f) => decodePdu(f).type)).toEqual(['bind', 'auth3', 'request']);
    }
  });

  test('malformed input is rejected', () => {
    const buf = Buffer.from(bytes(CAPTURED.simplePing));
    expect(() => decodePdu(buf.subarray(0, 10))).toThrow(/shorter/);
    const bad = Buffer.from(buf);
    bad[0] = 4;
    expect(() => decodePdu(bad)).toThrow(/version/);
    const bigEndian = Buffer.from(buf);
    bigEndian[4] = 0x00;
    expect(() => decodePdu(bigEndian)).toThrow(/big-endian/);
    expect(() => decodePdu(buf.subarray(0, buf.length - 1))).toThrow(/frag_length/);
  });
});
