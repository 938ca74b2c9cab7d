/**
 * The fixtures' real bpftool signatures: bpfsim verifies every opts_sig (RSA and ECDSA, bpftool
 * 7.7 and 7.8), re-signs every RSA skeleton's loader byte for byte, and its ECDSA signatures have
 * bpftool's structure and verify.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  KEY_SPEC, addKey, bpfProgVerifySignature, createKeyrings, parsePkcs7, signLikeBpftool,
} from '../../src/signature/index.js';
import { toHex } from '../../src/util/hex.js';
import { VERIFY_ON, expectOk, expectedJson, key, keyBytes, signedSkeletons } from './support.js';

const skeletons = signedSkeletons();
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function sessionWith(certDer: Uint8Array) {
  const base = expectOk(createKeyrings({ seed: 3 })).state;
  return expectOk(addKey(base, { ecdsa: true }, { type: 'asymmetric', payload: certDer, keyring: KEY_SPEC.SESSION_KEYRING })).state;
}

describe('fixture signatures', () => {
  it('finds every signed skeleton (RSA and EC, bpftool 7.7 and 7.8)', () => {
    expect(skeletons.length).toBe(13); // 4 × (v78, v78dbg) RSA + 4 × v78 EC + tprog v77 RSA
    expect(skeletons.filter((s) => s.alg === 'ec').map((s) => s.fixture).sort())
      .toEqual(['maps_globals', 'minimal', 'ringbuf_trace', 'shared_subprog']);
    expect(skeletons.some((s) => s.variant === 'v77.signed_rsa')).toBe(true);
  });

  for (const s of skeletons) {
    describe(s.file, () => {
      const expected = expectedJson(s.fixture).variants[s.variant].loader;

      it('matches the recorded sizes and hashes', () => {
        expect(s.sig.length).toBe(expected.signature_size);
        expect(sha256(s.sig)).toBe(expected.signature_sha256);
        expect(toHex(s.exclHash)).toBe(expected.excl_prog_hash);
      });

      it('verifies with the signing certificate in the session keyring', () => {
        const r = bpfProgVerifySignature({
          signature: s.sig, signatureSize: s.sig.length, readable: true, keyringId: KEY_SPEC.SESSION_KEYRING,
          content: s.insns, kernelVersion: '6.18.y', config: VERIFY_ON, keyrings: sessionWith(keyBytes(`${s.keyName}.cert.der`)),
        });
        expect(r).toMatchObject({ checked: true, ok: true, signer: { identifiedBy: 'skid', digest: 'sha256', algorithm: s.alg === 'ec' ? 'ecdsa' : 'rsa' } });
      });

      it('is not accepted with only an unrelated certificate (ENOKEY)', () => {
        const r = bpfProgVerifySignature({
          signature: s.sig, signatureSize: s.sig.length, readable: true, keyringId: KEY_SPEC.SESSION_KEYRING,
          content: s.insns, kernelVersion: '6.18.y', config: VERIFY_ON, keyrings: sessionWith(keyBytes('other_rsa2048.cert.der')),
        });
        expect(r).toMatchObject({ checked: true, ok: false, errnoName: 'ENOKEY' });
      });

      if (s.alg === 'rsa') {
        it('is reproduced byte for byte by signLikeBpftool', () => {
          const r = signLikeBpftool(s.insns, { key: key(`${s.keyName}.key.pem`), cert: key(`${s.keyName}.cert.pem`) });
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(toHex(r.signature)).toBe(toHex(s.sig));
          expect(toHex(r.exclProgHash)).toBe(toHex(s.exclHash));
        });
      } else {
        it('gets a fresh ECDSA signature with bpftool\'s structure that verifies', () => {
          const a = expectOk(signLikeBpftool(s.insns, { key: key('ecp256.key.pem'), cert: keyBytes('ecp256.cert.der') }));
          const b = expectOk(signLikeBpftool(s.insns, { key: key('ecp256.key.pem'), cert: keyBytes('ecp256.cert.der') }));
          expect(toHex(a.signature)).not.toBe(toHex(b.signature)); // randomized
          for (const sig of [a.signature, b.signature]) {
            // Same layout as bpftool's: 177–179 bytes, every field but the signature value identical.
            expect(sig.length).toBeGreaterThanOrEqual(177);
            expect(sig.length).toBeLessThanOrEqual(179);
            const m = expectOk(parsePkcs7(sig, { ecdsa: true })).msg;
            const f = expectOk(parsePkcs7(s.sig, { ecdsa: true })).msg;
            expect(m.signerInfos.map((x) => ({ ...x, signature: null }))).toEqual(f.signerInfos.map((x) => ({ ...x, signature: null })));
            expect({ ...m, signerInfos: null }).toEqual({ ...f, signerInfos: null });
            const r = bpfProgVerifySignature({
              signature: sig, signatureSize: sig.length, readable: true, keyringId: KEY_SPEC.SESSION_KEYRING,
              content: s.insns, kernelVersion: '6.18.y', config: VERIFY_ON, keyrings: sessionWith(keyBytes('ecp256.cert.der')),
            });
            expect(r).toMatchObject({ checked: true, ok: true });
          }
        });
      }
    });
  }
});
