import { bytesToGuid, guidToBytes, NdrReader, NdrWriter } from '../../adapters/wire/ndr';

describe('NDR primitives', () => {
  test('GUIDs travel with their first three fields little-endian', () => {
    const g = '00000131-0000-0000-c000-000000000046';
    expect(guidToBytes(g).toString('hex')).toBe('3101000000000000c000000000000046');
    expect(bytesToGuid(guidToBytes(g))).toBe(g);
    expect(() => guidToBytes('not-a-guid')).toThrow(/not a GUID/);
  });

  test('alignment is relative to the start of the stub and pads with zeros', () => {
    const w = new NdrWriter().u8(1).u16(2).u8(3).u32(4);
    expect(w.toBuffer().toString('hex')).toBe('010002000300000004000000');
    const hyper = new NdrWriter().u16(7).u64(Buffer.from('0102030405060708', 'hex')).toBuffer();
    expect(hyper.length).toBe(16);
    expect(hyper.subarray(2, 8).every((b) => b === 0)).toBe(true);
  });

  test('round trip of every primitive', () => {
    const g = 'd0c0f00d-5e57-4a11-9000-00000000c0de';
    const id = Buffer.from('0b00000000000001', 'hex');
    const buf = new NdrWriter().u8(0xfe).u16(0xbeef).u32(0xdeadbeef).u64(id).guid(g).u32(-5 >>> 0).pointer(true).pointer(false).toBuffer();
    const r = new NdrReader(buf);
    expect([r.u8(), r.u16(), r.u32()]).toEqual([0xfe, 0xbeef, 0xdeadbeef]);
    expect(r.u64().equals(id)).toBe(true);
    expect(r.guid()).toBe(g);
    expect(r.i32()).toBe(-5);
    expect(r.u32()).toBe(0x00020000);
    expect(r.u32()).toBe(0);
    expect(r.remaining).toBe(0);
    expect(() => r.u8()).toThrow(RangeError);
  });

  test('the writer grows past its first buffer', () => {
    const w = new NdrWriter();
    for (let i = 0; i < 1000; i++) w.u32(i);
    const r = new NdrReader(w.toBuffer());
    for (let i = 0; i < 1000; i++) expect(r.u32()).toBe(i);
  });
});
