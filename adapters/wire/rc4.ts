/**
 * RC4 (the stream cipher MS-NLMP 3.4 seals with), written out because OpenSSL 3 keeps it in
 * its legacy provider, which a plain `node` does not load. One instance is one stateful
 * handle: every call continues the key stream where the last one stopped.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0) throw new Error('RC4 key must not be empty');
    for (let k = 0; k < 256; k++) this.s[k] = k;
    for (let k = 0, j = 0; k < 256; k++) {
      j = (j + this.s[k] + key[k % key.length]) & 0xff;
      [this.s[k], this.s[j]] = [this.s[j], this.s[k]];
    }
  }

  /** XORs `data` with the next bytes of the key stream (encrypts and decrypts alike). */
  update(data: Uint8Array): Buffer {
    const out = Buffer.alloc(data.length);
    const s = this.s;
    for (let n = 0; n < data.length; n++) {
      this.i = (this.i + 1) & 0xff;
      this.j = (this.j + s[this.i]) & 0xff;
      const t = s[this.i];
      s[this.i] = s[this.j];
      s[this.j] = t;
      out[n] = data[n] ^ s[(s[this.i] + s[this.j]) & 0xff];
    }
    return out;
  }
}
