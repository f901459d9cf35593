/**
 * DCOM structures and the request/response stubs of the methods the emulator serves
 * (MS-DCOM 2.2 and 3.1.2.5). 64-bit identifiers (OXID, OID, SETID) are opaque: they are
 * carried as 16-character hex strings of their wire bytes.
 */
import { NdrReader, NdrWriter } from './ndr';

export type Id64 = string;

export const IID = {
  IUnknown: '00000000-0000-0000-c000-000000000046',
  IRemUnknown: '00000131-0000-0000-c000-000000000046',
  IRemUnknown2: '00000143-0000-0000-c000-000000000046',
  IRemoteActivation: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57',
  IObjectExporter: '99fcfec4-5260-101b-bbcb-00aa0021347a',
  /** node-dcom hard-codes this IID (OPC DA's IOPCServer) into every activation. */
  IOPCServer: '39c13a4d-011e-11d0-9675-0020afd8adb3',
  /** The emulator's test interface: opnum 3 is `Add(long x, [out] long *y)`, y = x + 1. */
  ITest: 'd0c0f00d-5e57-4a11-9000-00000000c0de',
  /** Never implemented: QueryInterface for it answers E_NOINTERFACE. */
  IMissing: 'd0c0f00d-5e57-4a11-9000-00000000dead',
} as const;

export const OBJREF_SIGNATURE = 0x574f454d; // "MEOW"
export const OBJREF_STANDARD = 0x1;
export const SORF_NOPING = 0x1000;
export const TOWER_TCP = 0x07;
export const AUTHN_WINNT = 10;

export interface ComVersion {
  major: number;
  minor: number;
}
export const COM_VERSION: ComVersion = { major: 5, minor: 7 };

export interface OrpcThis {
  version: ComVersion;
  flags: number;
  cid: string;
  hasExtensions: boolean;
  /** ORPC_EXTENT entries of the extensions array (MS-DCOM 2.2.21.x); empty when it has none. */
  extensions?: OrpcExtent[];
}

/** ORPC_EXTENT (MS-DCOM 2.2.21.1): an extension's id and its data, sized as sent. */
export interface OrpcExtent {
  id: string;
  data: Buffer;
}

function readId(r: NdrReader): Id64 {
  return r.u64().toString('hex');
}
function writeId(w: NdrWriter, id: Id64): NdrWriter {
  return w.u64(Buffer.from(id, 'hex'));
}

export function readOrpcThis(r: NdrReader): OrpcThis {
  const version = { major: r.u16(), minor: r.u16() };
  const flags = r.u32();
  r.u32(); // reserved1
  const cid = r.guid();
  const hasExtensions = r.u32() !== 0;
  if (!hasExtensions) return { version, flags, cid, hasExtensions };
  return { version, flags, cid, hasExtensions, extensions: readExtentArray(r) };
}

export function writeOrpcThis(w: NdrWriter, o: OrpcThis): void {
  w.u16(o.version.major).u16(o.version.minor).u32(o.flags).u32(0).guid(o.cid).pointer(o.hasExtensions);
  if (o.hasExtensions) writeExtentArray(w, o.extensions ?? []);
}

/**
 * ORPC_EXTENT_ARRAY (MS-DCOM 2.2.21.2), the referent of ORPCTHIS.extensions: `size` extents
 * in an array of unique pointers whose length is rounded up to even; each ORPC_EXTENT is a
 * conformant structure whose data is rounded up to 8 bytes.
 */
function readExtentArray(r: NdrReader): OrpcExtent[] {
  const size = r.u32();
  r.u32(); // reserved
  if (r.u32() === 0) return [];
  const max = r.u32();
  if (max < size) throw new Error(`ORPC_EXTENT_ARRAY holds ${max} pointers for ${size} extents`);
  const present: boolean[] = [];
  for (let i = 0; i < max; i++) present.push(r.u32() !== 0);
  const out: OrpcExtent[] = [];
  for (const p of present) {
    if (!p) continue;
    r.u32(); // conformance of data
    const id = r.guid();
    const n = r.u32();
    const data = r.bytes((n + 7) & ~7).subarray(0, n);
    out.push({ id, data });
  }
  return out.slice(0, size);
}

function writeExtentArray(w: NdrWriter, extents: readonly OrpcExtent[]): void {
  const slots = (extents.length + 1) & ~1;
  w.u32(extents.length).u32(0).pointer(true).u32(slots);
  for (let i = 0; i < slots; i++) w.pointer(i < extents.length);
  for (const e of extents) {
    const padded = (e.data.length + 7) & ~7;
    w.u32(padded).guid(e.id).u32(e.data.length).bytes(Buffer.concat([e.data, Buffer.alloc(padded - e.data.length)]));
  }
}

/** ORPCTHAT with no extensions. */
export function writeOrpcThat(w: NdrWriter): void {
  w.u32(0).pointer(false);
}
export function readOrpcThat(r: NdrReader): void {
  r.u32();
  if (r.u32() !== 0) throw new Error('ORPCTHAT extensions are not supported');
}

// --- DUALSTRINGARRAY and OBJREF (byte blobs, not NDR-aligned) ----------------------------

export interface StringBinding {
  tower: number;
  address: string;
}
export interface SecurityBinding {
  authnSvc: number;
  authzSvc: number;
  principal: string;
}
export interface DualStringArray {
  bindings: StringBinding[];
  security: SecurityBinding[];
}

function words(s: string): number[] {
  return [...Buffer.from(s, 'utf16le')].reduce<number[]>((out, _b, i, all) => {
    if (i % 2 === 0) out.push(all[i] | (all[i + 1] << 8));
    return out;
  }, []);
}

/** The u16 array of a DUALSTRINGARRAY, and the offset of its security part. */
export function dsaWords(d: DualStringArray): { entries: number[]; securityOffset: number } {
  // Each part ends with an extra zero, and an empty part is two zeros (MS-DCOM 2.2.19.1).
  const entries: number[] = [];
  for (const b of d.bindings) entries.push(b.tower, ...words(b.address), 0);
  if (!d.bindings.length) entries.push(0);
  entries.push(0);
  const securityOffset = entries.length;
  for (const s of d.security) entries.push(s.authnSvc, s.authzSvc, ...words(s.principal), 0);
  if (!d.security.length) entries.push(0);
  entries.push(0);
  return { entries, securityOffset };
}

export function encodeDsa(d: DualStringArray): Buffer {
  const { entries, securityOffset } = dsaWords(d);
  const b = Buffer.alloc(4 + 2 * entries.length);
  b.writeUInt16LE(entries.length, 0);
  b.writeUInt16LE(securityOffset, 2);
  entries.forEach((e, i) => b.writeUInt16LE(e, 4 + 2 * i));
  return b;
}

function text(ws: number[]): string {
  return String.fromCharCode(...ws);
}

export function decodeDsaWords(entries: number[], securityOffset: number): DualStringArray {
  const bindings: StringBinding[] = [];
  let i = 0;
  while (i < securityOffset && entries[i] !== 0) {
    const tower = entries[i++];
    const start = i;
    while (i < entries.length && entries[i] !== 0) i++;
    bindings.push({ tower, address: text(entries.slice(start, i)) });
    i++;
  }
  const security: SecurityBinding[] = [];
  i = securityOffset;
  while (i < entries.length && entries[i] !== 0) {
    const authnSvc = entries[i++];
    const authzSvc = entries[i++];
    const start = i;
    while (i < entries.length && entries[i] !== 0) i++;
    security.push({ authnSvc, authzSvc, principal: text(entries.slice(start, i)) });
    i++;
  }
  return { bindings, security };
}

/** Decodes a DUALSTRINGARRAY blob; returns it and the bytes it took. */
export function decodeDsa(b: Buffer): { dsa: DualStringArray; size: number } {
  const n = b.readUInt16LE(0);
  const securityOffset = b.readUInt16LE(2);
  const entries: number[] = [];
  for (let i = 0; i < n; i++) entries.push(b.readUInt16LE(4 + 2 * i));
  return { dsa: decodeDsaWords(entries, securityOffset), size: 4 + 2 * n };
}

export interface StdObjRef {
  flags: number;
  publicRefs: number;
  oxid: Id64;
  oid: Id64;
  ipid: string;
}

export interface ObjRef {
  iid: string;
  std: StdObjRef;
  resolver: DualStringArray;
}

function writeStdObjRef(w: NdrWriter, s: StdObjRef): void {
  w.u32(s.flags).u32(s.publicRefs);
  writeId(w, s.oxid);
  writeId(w, s.oid);
  w.guid(s.ipid);
}
function readStdObjRef(r: NdrReader): StdObjRef {
  return { flags: r.u32(), publicRefs: r.u32(), oxid: readId(r), oid: readId(r), ipid: r.guid() };
}

/** OBJREF_STANDARD (MS-DCOM 2.2.18): signature, flags, iid, STDOBJREF, resolver bindings. */
export function encodeObjRef(o: ObjRef): Buffer {
  const w = new NdrWriter();
  w.u32(OBJREF_SIGNATURE).u32(OBJREF_STANDARD).guid(o.iid);
  writeStdObjRef(w, o.std);
  return Buffer.concat([w.toBuffer(), encodeDsa(o.resolver)]);
}

export function decodeObjRef(b: Buffer): ObjRef {
  const r = new NdrReader(b);
  if (r.u32() !== OBJREF_SIGNATURE) throw new Error('OBJREF signature is not MEOW');
  const flags = r.u32();
  if (flags !== OBJREF_STANDARD) throw new Error(`OBJREF flags ${flags} unsupported`);
  const iid = r.guid();
  const std = readStdObjRef(r);
  return { iid, std, resolver: decodeDsa(r.rest()).dsa };
}

/** A unique pointer to a DUALSTRINGARRAY as NDR carries it (conformant struct). */
function writeDsaPointer(w: NdrWriter, d: DualStringArray | null): void {
  w.pointer(d !== null);
  if (!d) return;
  const { entries, securityOffset } = dsaWords(d);
  w.u32(entries.length).u16(entries.length).u16(securityOffset);
  for (const e of entries) w.u16(e);
}
function readDsaPointer(r: NdrReader): DualStringArray | null {
  if (r.u32() === 0) return null;
  r.u32(); // conformance
  const n = r.u16();
  const securityOffset = r.u16();
  const entries: number[] = [];
  for (let i = 0; i < n; i++) entries.push(r.u16());
  return decodeDsaWords(entries, securityOffset);
}

/** MInterfacePointer: ulCntData then the OBJREF bytes as a conformant byte array. */
function writeInterfacePointer(w: NdrWriter, o: ObjRef): void {
  const data = encodeObjRef(o);
  w.u32(data.length).u32(data.length).bytes(data);
}
function readInterfacePointer(r: NdrReader): ObjRef {
  r.u32();
  const n = r.u32();
  return decodeObjRef(r.bytes(n));
}

// --- IRemoteActivation::RemoteActivation (opnum 0) ---------------------------------------

export interface ActivationRequest {
  orpcThis: OrpcThis;
  clsid: string;
  objectName: string | null;
  impLevel: number;
  mode: number;
  iids: string[];
  protseqs: number[];
}

export function encodeActivationRequest(a: ActivationRequest): Buffer {
  const w = new NdrWriter();
  writeOrpcThis(w, a.orpcThis);
  w.guid(a.clsid);
  w.pointer(a.objectName !== null);
  if (a.objectName !== null) {
    const ws = [...words(a.objectName), 0];
    w.u32(ws.length).u32(0).u32(ws.length);
    for (const c of ws) w.u16(c);
  }
  w.pointer(false); // pObjectStorage
  w.u32(a.impLevel).u32(a.mode).u32(a.iids.length).pointer(true).u32(a.iids.length);
  for (const iid of a.iids) w.guid(iid);
  w.u16(a.protseqs.length).u32(a.protseqs.length);
  for (const p of a.protseqs) w.u16(p);
  return w.toBuffer();
}

export function decodeActivationRequest(stub: Buffer): ActivationRequest {
  const r = new NdrReader(stub);
  const orpcThis = readOrpcThis(r);
  const clsid = r.guid();
  let objectName: string | null = null;
  if (r.u32() !== 0) {
    r.u32();
    r.u32();
    const n = r.u32();
    const ws: number[] = [];
    for (let i = 0; i < n; i++) ws.push(r.u16());
    objectName = text(ws.filter((c, i) => !(c === 0 && i === ws.length - 1)));
  }
  if (r.u32() !== 0) throw new Error('pObjectStorage is not supported');
  const impLevel = r.u32();
  const mode = r.u32();
  const count = r.u32();
  const iids: string[] = [];
  if (r.u32() !== 0) {
    r.u32();
    for (let i = 0; i < count; i++) iids.push(r.guid());
  }
  const protseqs: number[] = [];
  if (r.remaining >= 2) {
    const n = r.u16();
    r.u32();
    for (let i = 0; i < n; i++) protseqs.push(r.u16());
  }
  return { orpcThis, clsid, objectName, impLevel, mode, iids, protseqs };
}

export interface ActivationResult {
  hr: number;
  objRef: ObjRef | null;
}

export interface ActivationResponse {
  oxid: Id64;
  /** The exporter's string bindings, with endpoints ("127.0.0.1[port]"). */
  oxidBindings: DualStringArray | null;
  remUnknownIpid: string;
  authnHint: number;
  version: ComVersion;
  hr: number;
  results: ActivationResult[];
  status: number;
}

export function encodeActivationResponse(a: ActivationResponse): Buffer {
  const w = new NdrWriter();
  writeOrpcThat(w);
  writeId(w, a.oxid);
  writeDsaPointer(w, a.oxidBindings);
  w.guid(a.remUnknownIpid).u32(a.authnHint).u16(a.version.major).u16(a.version.minor).u32(a.hr >>> 0);
  w.u32(a.results.length);
  for (const x of a.results) w.pointer(x.objRef !== null);
  for (const x of a.results) if (x.objRef) writeInterfacePointer(w, x.objRef);
  w.u32(a.results.length);
  for (const x of a.results) w.u32(x.hr >>> 0);
  w.u32(a.status);
  return w.toBuffer();
}

export function decodeActivationResponse(stub: Buffer): ActivationResponse {
  const r = new NdrReader(stub);
  readOrpcThat(r);
  const oxid = readId(r);
  const oxidBindings = readDsaPointer(r);
  const remUnknownIpid = r.guid();
  const authnHint = r.u32();
  const version = { major: r.u16(), minor: r.u16() };
  const hr = r.u32();
  const n = r.u32();
  const present: boolean[] = [];
  for (let i = 0; i < n; i++) present.push(r.u32() !== 0);
  const objRefs = present.map((p) => (p ? readInterfacePointer(r) : null));
  r.u32();
  const results = objRefs.map((objRef) => ({ objRef, hr: r.u32() }));
  return { oxid, oxidBindings, remUnknownIpid, authnHint, version, hr, results, status: r.u32() };
}

// --- IObjectExporter (plain RPC, no ORPCTHIS) --------------------------------------------

export interface SimplePingRequest {
  setId: Id64;
}
export function encodeSimplePing(p: SimplePingRequest): Buffer {
  return writeId(new NdrWriter(), p.setId).toBuffer();
}
export function decodeSimplePing(stub: Buffer): SimplePingRequest {
  return { setId: readId(new NdrReader(stub)) };
}

export function encodeStatus(status: number): Buffer {
  return new NdrWriter().u32(status).toBuffer();
}
export function decodeStatus(stub: Buffer): number {
  return new NdrReader(stub).u32();
}

export interface ComplexPingRequest {
  setId: Id64;
  seq: number;
  adds: Id64[];
  dels: Id64[];
}

function writeOidArray(w: NdrWriter, ids: Id64[]): void {
  w.pointer(ids.length > 0);
  if (!ids.length) return;
  w.u32(ids.length);
  for (const id of ids) writeId(w, id);
}
function readOidArray(r: NdrReader): Id64[] {
  if (r.u32() === 0) return [];
  const n = r.u32();
  const ids: Id64[] = [];
  for (let i = 0; i < n; i++) ids.push(readId(r));
  return ids;
}

export function encodeComplexPing(p: ComplexPingRequest): Buffer {
  const w = new NdrWriter();
  writeId(w, p.setId).u16(p.seq).u16(p.adds.length).u16(p.dels.length);
  writeOidArray(w, p.adds);
  writeOidArray(w, p.dels);
  return w.toBuffer();
}

export function decodeComplexPing(stub: Buffer): ComplexPingRequest {
  const r = new NdrReader(stub);
  const setId = readId(r);
  const seq = r.u16();
  const nAdd = r.u16();
  const nDel = r.u16();
  const adds = readOidArray(r);
  const dels = readOidArray(r);
  if (adds.length !== nAdd || dels.length !== nDel) {
    throw new Error(`ComplexPing counts ${nAdd}/${nDel} disagree with arrays ${adds.length}/${dels.length}`);
  }
  return { setId, seq, adds, dels };
}

export interface ComplexPingResponse {
  setId: Id64;
  backoff: number;
  status: number;
}
export function encodeComplexPingResponse(p: ComplexPingResponse): Buffer {
  const w = new NdrWriter();
  writeId(w, p.setId).u16(p.backoff).u32(p.status);
  return w.toBuffer();
}
export function decodeComplexPingResponse(stub: Buffer): ComplexPingResponse {
  const r = new NdrReader(stub);
  return { setId: readId(r), backoff: r.u16(), status: r.u32() };
}

export interface ServerAlive2Response {
  version: ComVersion;
  bindings: DualStringArray;
  status: number;
}
export function encodeServerAlive2Response(s: ServerAlive2Response): Buffer {
  const w = new NdrWriter();
  w.u16(s.version.major).u16(s.version.minor);
  writeDsaPointer(w, s.bindings);
  w.u32(0).u32(s.status); // pReserved, then the status
  return w.toBuffer();
}
export function decodeServerAlive2Response(stub: Buffer): ServerAlive2Response {
  const r = new NdrReader(stub);
  const version = { major: r.u16(), minor: r.u16() };
  const bindings = readDsaPointer(r) ?? { bindings: [], security: [] };
  r.u32();
  return { version, bindings, status: r.u32() };
}

// --- IRemUnknown (ORPC) ------------------------------------------------------------------

export interface RemQueryInterfaceRequest {
  orpcThis: OrpcThis;
  ipid: string;
  refs: number;
  iids: string[];
}
export function encodeRemQueryInterface(q: RemQueryInterfaceRequest): Buffer {
  const w = new NdrWriter();
  writeOrpcThis(w, q.orpcThis);
  w.guid(q.ipid).u32(q.refs).u16(q.iids.length).u32(q.iids.length);
  for (const iid of q.iids) w.guid(iid);
  return w.toBuffer();
}
export function decodeRemQueryInterface(stub: Buffer): RemQueryInterfaceRequest {
  const r = new NdrReader(stub);
  const orpcThis = readOrpcThis(r);
  const ipid = r.guid();
  const refs = r.u32();
  const n = r.u16();
  r.u32();
  const iids: string[] = [];
  for (let i = 0; i < n; i++) iids.push(r.guid());
  return { orpcThis, ipid, refs, iids };
}

export interface QiResult {
  hr: number;
  /** Zeroed when hr is a failure. */
  std: StdObjRef;
}
export interface RemQueryInterfaceResponse {
  results: QiResult[];
  hr: number;
}
export function encodeRemQueryInterfaceResponse(q: RemQueryInterfaceResponse): Buffer {
  const w = new NdrWriter();
  writeOrpcThat(w);
  w.pointer(true).u32(q.results.length);
  for (const x of q.results) {
    w.align(8).u32(x.hr >>> 0);
    writeStdObjRef(w.align(8), x.std);
  }
  w.u32(q.hr >>> 0);
  return w.toBuffer();
}
export function decodeRemQueryInterfaceResponse(stub: Buffer): RemQueryInterfaceResponse {
  const r = new NdrReader(stub);
  readOrpcThat(r);
  const results: QiResult[] = [];
  if (r.u32() !== 0) {
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      const hr = r.align(8).u32();
      results.push({ hr, std: readStdObjRef(r.align(8)) });
    }
  }
  return { results, hr: r.u32() };
}

export const NULL_STD: StdObjRef = {
  flags: 0,
  publicRefs: 0,
  oxid: '0000000000000000',
  oid: '0000000000000000',
  ipid: '00000000-0000-0000-0000-000000000000',
};

export interface InterfaceRef {
  ipid: string;
  publicRefs: number;
  privateRefs: number;
}
/** RemAddRef (opnum 4) and RemRelease (opnum 5) share their request layout. */
export interface RefsRequest {
  orpcThis: OrpcThis;
  refs: InterfaceRef[];
}
export function encodeRefsRequest(q: RefsRequest): Buffer {
  const w = new NdrWriter();
  writeOrpcThis(w, q.orpcThis);
  w.u16(q.refs.length).u32(q.refs.length);
  for (const x of q.refs) w.guid(x.ipid).u32(x.publicRefs).u32(x.privateRefs);
  return w.toBuffer();
}
export function decodeRefsRequest(stub: Buffer): RefsRequest {
  const r = new NdrReader(stub);
  const orpcThis = readOrpcThis(r);
  const n = r.u16();
  r.u32();
  const refs: InterfaceRef[] = [];
  for (let i = 0; i < n; i++) refs.push({ ipid: r.guid(), publicRefs: r.u32(), privateRefs: r.u32() }); // unsigned long cPublicRefs (MS-DCOM 2.2.23)
  return { orpcThis, refs };
}

export interface RemAddRefResponse {
  results: number[];
  hr: number;
}
export function encodeRemAddRefResponse(a: RemAddRefResponse): Buffer {
  const w = new NdrWriter();
  writeOrpcThat(w);
  w.u32(a.results.length);
  for (const x of a.results) w.u32(x >>> 0);
  w.u32(a.hr >>> 0);
  return w.toBuffer();
}
export function decodeRemAddRefResponse(stub: Buffer): RemAddRefResponse {
  const r = new NdrReader(stub);
  readOrpcThat(r);
  const n = r.u32();
  const results: number[] = [];
  for (let i = 0; i < n; i++) results.push(r.u32());
  return { results, hr: r.u32() };
}

/** A response made of ORPCTHAT and an HRESULT (RemRelease, and failed ORPC calls). */
export function encodeHrResponse(hr: number): Buffer {
  const w = new NdrWriter();
  writeOrpcThat(w);
  return w.u32(hr >>> 0).toBuffer();
}
export function decodeHrResponse(stub: Buffer): number {
  const r = new NdrReader(stub);
  readOrpcThat(r);
  return r.u32();
}

// --- ITest::Add (opnum 3) ----------------------------------------------------------------

export const ITEST_ADD_OPNUM = 3;

export interface AddRequest {
  orpcThis: OrpcThis;
  x: number;
}
export function encodeAddRequest(a: AddRequest): Buffer {
  const w = new NdrWriter();
  writeOrpcThis(w, a.orpcThis);
  return w.u32(a.x).toBuffer();
}
export function decodeAddRequest(stub: Buffer): AddRequest {
  const r = new NdrReader(stub);
  return { orpcThis: readOrpcThis(r), x: r.i32() };
}
export interface AddResponse {
  y: number;
  hr: number;
}
export function encodeAddResponse(a: AddResponse): Buffer {
  const w = new NdrWriter();
  writeOrpcThat(w);
  return w.u32(a.y).u32(a.hr >>> 0).toBuffer();
}
export function decodeAddResponse(stub: Buffer): AddResponse {
  const r = new NdrReader(stub);
  readOrpcThat(r);
  return { y: r.i32(), hr: r.u32() };
}
