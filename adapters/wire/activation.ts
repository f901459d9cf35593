/**
 * ISystemActivator (IRemoteSCMActivator) RemoteCreateInstance, opnum 4 (MS-DCOM 3.1.2.5.2.3.2),
 * and what it carries: activation property BLOBs (2.2.22) inside OBJREF_CUSTOM interface
 * pointers (2.2.18.6), each property and the CustomHeader serialised with the NDR Type
 * Serialization Version 1 engine (MS-RPCE 2.2.6). Only the properties a server reads or writes
 * are decoded; the others travel as opaque serialised bytes.
 */
import { GUID_NULL, NdrReader, NdrWriter } from './ndr';
import {
  OBJREF_SIGNATURE,
  dsaWords,
  decodeDsaWords,
  readOrpcThat,
  readOrpcThis,
  writeOrpcThat,
  writeOrpcThis,
  type ComVersion,
  type DualStringArray,
  type Id64,
  type OrpcThis,
} from './dcom';

export const OBJREF_CUSTOM = 0x4;

export const ACTIVATION = {
  ISystemActivator: '000001a0-0000-0000-c000-000000000046',
  IActivationPropertiesIn: '000001a2-0000-0000-c000-000000000046',
  IActivationPropertiesOut: '000001a3-0000-0000-c000-000000000046',
  CLSID_ActivationPropertiesIn: '00000338-0000-0000-c000-000000000046',
  CLSID_ActivationPropertiesOut: '00000339-0000-0000-c000-000000000046',
  CLSID_InstantiationInfo: '000001ab-0000-0000-c000-000000000046',
  CLSID_ActivationContextInfo: '000001a5-0000-0000-c000-000000000046',
  CLSID_ServerLocationInfo: '000001a4-0000-0000-c000-000000000046',
  CLSID_ScmRequestInfo: '000001aa-0000-0000-c000-000000000046',
  CLSID_ScmReplyInfo: '000001b6-0000-0000-c000-000000000046',
  CLSID_PropsOutInfo: '00000339-0000-0000-c000-000000000046',
  CLSID_SecurityInfo: '000001a6-0000-0000-c000-000000000046',
  CLSID_InstanceInfo: '000001ad-0000-0000-c000-000000000046',
  CLSID_SpecialSystemProperties: '000001b9-0000-0000-c000-000000000046',
} as const;

export const REMOTE_CREATE_INSTANCE_OPNUM = 4;

// --- Type Serialization Version 1 (MS-RPCE 2.2.6) ----------------------------------------------

/** Common type header (version 1, little-endian, length 8) and private header, then the body padded to 8. */
export function typeSerialize(body: Buffer): Buffer {
  const padded = (body.length + 7) & ~7;
  const head = Buffer.alloc(16);
  head[0] = 1;
  head[1] = 0x10;
  head.writeUInt16LE(8, 2);
  head.writeUInt32LE(0xcccccccc, 4);
  head.writeUInt32LE(padded, 8);
  return Buffer.concat([head, body, Buffer.alloc(padded - body.length)]);
}

/** The body of one type-serialised top-level type (its private header's length of bytes). */
export function typeDeserialize(b: Buffer): Buffer {
  if (b.length < 16) throw new Error(`type serialisation shorter than its headers: ${b.length}`);
  if (b[0] !== 1) throw new Error(`type serialisation version ${b[0]} is not 1`);
  if ((b[1] & 0xf0) !== 0x10) throw new Error('big-endian type serialisation unsupported');
  if (b.readUInt16LE(2) !== 8) throw new Error(`common type header length ${b.readUInt16LE(2)} is not 8`);
  const len = b.readUInt32LE(8);
  if (16 + len > b.length) throw new Error(`serialised object of ${len} bytes overruns its ${b.length - 16}`);
  return Buffer.from(b.subarray(16, 16 + len));
}

// --- the activation properties BLOB (2.2.22) ----------------------------------------------------

export interface ActivationProperty {
  clsid: string;
  /** The property as serialised, headers and padding included (its pSizes entry is this length). */
  serialized: Buffer;
}

export interface ActivationBlob {
  destCtx: number;
  properties: ActivationProperty[];
}

/** CustomHeader (2.2.22.1): sizes, the property CLSIDs and sizes, serialised with its deferred arrays. */
function encodeCustomHeader(totalSize: number, headerSize: number, destCtx: number, props: readonly ActivationProperty[]): Buffer {
  const w = new NdrWriter();
  w.u32(totalSize).u32(headerSize).u32(0).u32(destCtx).u32(props.length).guid(GUID_NULL);
  w.pointer(true).pointer(true).pointer(false);
  w.u32(props.length);
  for (const p of props) w.guid(p.clsid);
  w.u32(props.length);
  for (const p of props) w.u32(p.serialized.length);
  return typeSerialize(w.toBuffer());
}

export function encodeActivationBlob(b: ActivationBlob): Buffer {
  const headerSize = encodeCustomHeader(0, 0, b.destCtx, b.properties).length;
  const totalSize = headerSize + b.properties.reduce((n, p) => n + p.serialized.length, 0);
  const header = encodeCustomHeader(totalSize, headerSize, b.destCtx, b.properties);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(totalSize, 0);
  return Buffer.concat([head, header, ...b.properties.map((p) => p.serialized)]);
}

export function decodeActivationBlob(blob: Buffer): ActivationBlob {
  const dwSize = blob.readUInt32LE(0);
  if (8 + dwSize > blob.length) throw new Error(`activation BLOB of ${dwSize} bytes overruns its ${blob.length - 8}`);
  const header = blob.subarray(8);
  const r = new NdrReader(typeDeserialize(header));
  r.u32(); // totalSize (dwSize says the same)
  const headerSize = r.u32();
  r.u32();
  const destCtx = r.u32();
  const cIfs = r.u32();
  r.guid(); // classInfoClsid
  const hasClsids = r.u32() !== 0;
  const hasSizes = r.u32() !== 0;
  r.u32(); // pdwReserved: its referent, if any, follows the arrays and is never needed
  if (!hasClsids || !hasSizes) throw new Error('CustomHeader without pclsid or pSizes');
  const clsids: string[] = [];
  if (r.u32() !== cIfs) throw new Error('CustomHeader pclsid length is not cIfs');
  for (let i = 0; i < cIfs; i++) clsids.push(r.guid());
  if (r.u32() !== cIfs) throw new Error('CustomHeader pSizes length is not cIfs');
  const sizes: number[] = [];
  for (let i = 0; i < cIfs; i++) sizes.push(r.u32());
  let off = 8 + headerSize;
  const properties = clsids.map((clsid, i) => {
    const serialized = Buffer.from(blob.subarray(off, off + sizes[i]));
    if (serialized.length !== sizes[i]) throw new Error(`activation property ${i} overruns the BLOB`);
    off += sizes[i];
    return { clsid, serialized };
  });
  return { destCtx, properties };
}

// --- the properties a server reads or writes ---------------------------------------------------

/** InstantiationInfoData (2.2.22.2.1): what to create and which interfaces to return. */
export interface InstantiationInfo {
  classId: string;
  classCtx: number;
  actvflags: number;
  instFlag: number;
  iids: string[];
  thisSize: number;
  clientVersion: ComVersion;
}

export function encodeInstantiationInfo(i: InstantiationInfo): Buffer {
  const w = new NdrWriter();
  w.guid(i.classId).u32(i.classCtx).u32(i.actvflags).u32(0).u32(i.iids.length).u32(i.instFlag).pointer(true);
  w.u32(i.thisSize).u16(i.clientVersion.major).u16(i.clientVersion.minor);
  w.u32(i.iids.length);
  for (const iid of i.iids) w.guid(iid);
  return typeSerialize(w.toBuffer());
}

export function decodeInstantiationInfo(serialized: Buffer): InstantiationInfo {
  const r = new NdrReader(typeDeserialize(serialized));
  const classId = r.guid();
  const classCtx = r.u32();
  const actvflags = r.u32();
  r.u32(); // fIsSurrogate
  const cIID = r.u32();
  const instFlag = r.u32();
  const hasIids = r.u32() !== 0;
  const thisSize = r.u32();
  const clientVersion = { major: r.u16(), minor: r.u16() };
  const iids: string[] = [];
  if (hasIids) {
    const n = r.u32();
    if (n !== cIID) throw new Error(`InstantiationInfoData pIID holds ${n}, cIID says ${cIID}`);
    for (let k = 0; k < n; k++) iids.push(r.guid());
  }
  return { classId, classCtx, actvflags, instFlag, iids, thisSize, clientVersion };
}

/** One requested interface's outcome: its HRESULT and, on success, the OBJREF bytes. */
export interface PropsOutEntry {
  iid: string;
  hr: number;
  objRef: Buffer | null;
}

/** PropsOutInfo (2.2.22.2.9): per requested interface its IID, HRESULT and marshalled pointer. */
export function encodePropsOut(entries: readonly PropsOutEntry[]): Buffer {
  const w = new NdrWriter();
  w.u32(entries.length).pointer(true).pointer(true).pointer(true);
  w.u32(entries.length);
  for (const e of entries) w.guid(e.iid);
  w.u32(entries.length);
  for (const e of entries) w.u32(e.hr >>> 0);
  w.u32(entries.length);
  for (const e of entries) w.pointer(e.objRef !== null);
  for (const e of entries) if (e.objRef) w.u32(e.objRef.length).u32(e.objRef.length).bytes(e.objRef);
  return typeSerialize(w.toBuffer());
}

export function decodePropsOut(serialized: Buffer): PropsOutEntry[] {
  const r = new NdrReader(typeDeserialize(serialized));
  const n = r.u32();
  const [hasIids, hasHrs, hasPtrs] = [r.u32() !== 0, r.u32() !== 0, r.u32() !== 0];
  const iids: string[] = [];
  const hrs: number[] = [];
  const present: boolean[] = [];
  if (hasIids) for (let k = 0, m = r.u32(); k < m; k++) iids.push(r.guid());
  if (hasHrs) for (let k = 0, m = r.u32(); k < m; k++) hrs.push(r.u32());
  if (hasPtrs) for (let k = 0, m = r.u32(); k < m; k++) present.push(r.u32() !== 0);
  const objRefs = present.map((p) => {
    if (!p) return null;
    r.u32();
    return r.bytes(r.u32());
  });
  return Array.from({ length: n }, (_, k) => ({ iid: iids[k] ?? GUID_NULL, hr: hrs[k] ?? 0, objRef: objRefs[k] ?? null }));
}

/** customREMOTE_REPLY_SCM_INFO (2.2.22.2.8.1), the object exporter's identity and bindings. */
export interface ScmReply {
  oxid: Id64;
  oxidBindings: DualStringArray;
  remUnknownIpid: string;
  authnHint: number;
  serverVersion: ComVersion;
}

/** ScmReplyInfoData (2.2.22.2.8): a null pdwReserved, then the reply. */
export function encodeScmReply(s: ScmReply): Buffer {
  const w = new NdrWriter();
  w.pointer(false).pointer(true);
  w.u64(Buffer.from(s.oxid, 'hex')).pointer(true).guid(s.remUnknownIpid).u32(s.authnHint);
  w.u16(s.serverVersion.major).u16(s.serverVersion.minor);
  const { entries, securityOffset } = dsaWords(s.oxidBindings);
  w.u32(entries.length).u16(entries.length).u16(securityOffset);
  for (const e of entries) w.u16(e);
  return typeSerialize(w.toBuffer());
}

export function decodeScmReply(serialized: Buffer): ScmReply {
  const r = new NdrReader(typeDeserialize(serialized));
  if (r.u32() !== 0) throw new Error('ScmReplyInfoData pdwReserved is not null');
  if (r.u32() === 0) throw new Error('ScmReplyInfoData without remoteReply');
  const oxid = r.u64().toString('hex');
  const hasBindings = r.u32() !== 0;
  const remUnknownIpid = r.guid();
  const authnHint = r.u32();
  const serverVersion = { major: r.u16(), minor: r.u16() };
  if (!hasBindings) throw new Error('customREMOTE_REPLY_SCM_INFO without pdsaOxidBindings');
  r.u32();
  const n = r.u16();
  const securityOffset = r.u16();
  const entries: number[] = [];
  for (let k = 0; k < n; k++) entries.push(r.u16());
  return { oxid, oxidBindings: decodeDsaWords(entries, securityOffset), remUnknownIpid, authnHint, serverVersion };
}

// --- OBJREF_CUSTOM (2.2.18.6) -------------------------------------------------------------------

export interface CustomObjRef {
  iid: string;
  clsid: string;
  /** The marshalled data the class's unmarshaller reads: here an activation properties BLOB. */
  data: Buffer;
}

export function encodeCustomObjRef(o: CustomObjRef): Buffer {
  const w = new NdrWriter();
  w.u32(OBJREF_SIGNATURE).u32(OBJREF_CUSTOM).guid(o.iid).guid(o.clsid).u32(0).u32(o.data.length);
  return Buffer.concat([w.toBuffer(), o.data]);
}

export function decodeCustomObjRef(b: Buffer): CustomObjRef {
  const r = new NdrReader(b);
  if (r.u32() !== OBJREF_SIGNATURE) throw new Error('OBJREF signature is not MEOW');
  const flags = r.u32();
  if (flags !== OBJREF_CUSTOM) throw new Error(`OBJREF flags ${flags} are not OBJREF_CUSTOM`);
  const iid = r.guid();
  const clsid = r.guid();
  const cbExtension = r.u32();
  r.u32(); // size: a hint, not relied on (clients disagree on whether it counts itself)
  r.bytes(cbExtension);
  return { iid, clsid, data: r.rest() };
}

// --- RemoteCreateInstance (3.1.2.5.2.3.2) -------------------------------------------------------

export interface CreateInstanceRequest {
  orpcThis: OrpcThis;
  /** pUnkOuter: aggregation is not supported by DCOM activation; present only to be refused. */
  hasUnkOuter: boolean;
  /** The ActivationPropertiesIn OBJREF_CUSTOM. */
  properties: CustomObjRef;
}

export function encodeCreateInstanceRequest(q: CreateInstanceRequest): Buffer {
  const w = new NdrWriter();
  writeOrpcThis(w, q.orpcThis);
  w.pointer(false).pointer(true);
  const bytes = encodeCustomObjRef(q.properties);
  w.u32(bytes.length).u32(bytes.length).bytes(bytes);
  return w.toBuffer();
}

export function decodeCreateInstanceRequest(stub: Buffer): CreateInstanceRequest {
  const r = new NdrReader(stub);
  const orpcThis = readOrpcThis(r);
  const hasUnkOuter = r.u32() !== 0;
  if (hasUnkOuter) throw new Error('RemoteCreateInstance with pUnkOuter is not supported');
  if (r.u32() === 0) throw new Error('RemoteCreateInstance without pActProperties');
  r.u32();
  const n = r.u32();
  return { orpcThis, hasUnkOuter, properties: decodeCustomObjRef(r.bytes(n)) };
}

export interface CreateInstanceResponse {
  /** The ActivationPropertiesOut OBJREF_CUSTOM; null when activation failed outright. */
  properties: CustomObjRef | null;
  hr: number;
}

export function encodeCreateInstanceResponse(a: CreateInstanceResponse): Buffer {
  const w = new NdrWriter();
  writeOrpcThat(w);
  w.pointer(a.properties !== null);
  if (a.properties) {
    const bytes = encodeCustomObjRef(a.properties);
    w.u32(bytes.length).u32(bytes.length).bytes(bytes);
  }
  return w.u32(a.hr >>> 0).toBuffer();
}

export function decodeCreateInstanceResponse(stub: Buffer): CreateInstanceResponse {
  const r = new NdrReader(stub);
  readOrpcThat(r);
  let properties: CustomObjRef | null = null;
  if (r.u32() !== 0) {
    r.u32();
    properties = decodeCustomObjRef(r.bytes(r.u32()));
  }
  return { properties, hr: r.u32() };
}
