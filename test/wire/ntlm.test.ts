import { CHALLENGE_FLAGS, decodeNtlm, encodeChallenge, NTLM_FLAG } from '../../adapters/wire/ntlm';
import { decodePdu } from '../../adapters/wire/pdu';
import { bytes, CAPTURED } from './fixtures';

function authValue(hex: string): Buffer {
  const p = decodePdu(bytes(hex));
  if (!p.auth) throw new Error('no auth trailer');
  return p.auth.value;
}

describe('NTLM messages', () => {
  test('our challenge round-trips and carries extended session security', () => {
    const challenge = Buffer.from('0102030405060708', 'hex');
    const msg = decodeNtlm(encodeChallenge({ flags: CHALLENGE_FLAGS, targetName: 'DCOMKIT', challenge }));
    // Without AV pairs of its own a challenge names the target's domain only, as it always did.
    expect(msg).toEqual({ kind: 2, flags: CHALLENGE_FLAGS, targetName: 'DCOMKIT', challenge, targetInfo: [{ id: 2, value: Buffer.from('DCOMKIT', 'utf16le') }] });
    expect(CHALLENGE_FLAGS & NTLM_FLAG.EXTENDED_SESSIONSECURITY).toBeTruthy();
    expect(CHALLENGE_FLAGS & NTLM_FLAG.UNICODE).toBeTruthy();
  });

  test('the captured bind_ack carries a non-zero challenge', () => {
    const msg = decodeNtlm(authValue(CAPTURED.bindAckScm));
    expect(msg.kind).toBe(2);
    if (msg.kind === 2) expect(msg.challenge.equals(Buffer.alloc(8))).toBe(false);
  });

  test('captured node-dcom messages: negotiate, then NTLMv1 with ESS and the configured account', () => {
    expect(decodeNtlm(authValue(CAPTURED.bindScm))).toMatchObject({ kind: 1 });
    const auth = decodeNtlm(authValue(CAPTURED.auth3));
    expect(auth).toMatchObject({ kind: 3, domain: 'WORKGROUP', user: 'dcomkit' });
    if (auth.kind !== 3) return;
    expect(auth.ntResponse.length).toBe(24); // NTLMv1 (NTLMv2 responses are longer)
    expect(auth.lmResponse.length).toBe(24); // with ESS: client challenge + zeros
    expect(auth.lmResponse.subarray(8).equals(Buffer.alloc(16))).toBe(true);
  });

  test('non-NTLM data is refused', () => {
    expect(() => decodeNtlm(Buffer.from('NOTNTLM\0\x01\0\0\0', 'latin1'))).toThrow(/not an NTLMSSP/);
  });
});
