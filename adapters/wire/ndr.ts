/**
 * NDR 2.0 little-endian primitives (C706 ch. 14): a growing writer and a bounds-checked
 * reader. Alignment is relative to the start of the stub, as NDR requires.
 */

export class NdrWriter {
  private buf = Buffer.alloc(256);
  private pos = 0;
  private nextReferent = 0x00020000;

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  align(n: number): this {
    const pad = (n - (this.pos % n)) % n;
    this.room(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
    return this;
  }

  u8(v: number): this {
    this.room(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  u16(v: number): this {
    this.align(2).room(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.align(4).room(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  /** A hyper given as its 8 wire bytes (OXIDs, OIDs and SETIDs are opaque to us). */
  u64(bytes: Buffer): this {
    if (bytes.length !== 8) throw new Error(`hyper must be 8 bytes, got ${bytes.length}`);
    return this.align(8).bytes(bytes);
  }

  guid(g: string): this {
    return this.align(4).bytes(guidToBytes(g));
  }

  bytes(b: Buffer | Uint8Array): this {
    this.room(b.length);
    Buffer.from(b).copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A unique/full pointer's referent id; 0 for null. */
  pointer(present: boolean): this {
    if (!present) return this.u32(0);
    const id = this.nextReferent;
    this.nextReferent += 4;
    return this.u32(id);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export class NdrReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new RangeError(`NDR read of ${n} bytes at ${this.pos} past end ${this.buf.length}`);
    }
  }

  align(n: number): this {
    this.pos += (n - (this.pos % n)) % n;
    return this;
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }

  u16(): number {
    this.align(2).need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.align(4).need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    return this.u32() | 0;
  }

  u64(): Buffer {
    return this.align(8).bytes(8);
  }

  guid(): string {
    return bytesToGuid(this.align(4).bytes(16));
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GUIDs travel with their first three fields little-endian ("bytes_le"). */
export function guidToBytes(g: string): Buffer {
  if (!GUID_RE.test(g)) throw new Error(`not a GUID: ${g}`);
  const hex = g.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

export function bytesToGuid(bytes: Buffer): string {
  const b = Buffer.from(bytes);
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const GUID_NULL = '00000000-0000-0000-0000-000000000000';
