/**
 * Properties: no corruption of a valid signature or of the signed bytes is ever accepted, bad
 * input never throws, and the order of BPF_PROG_LOAD's signature checks holds for arbitrary
 * attribute values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KEY_SPEC, bpfProgVerifySignature, type BpfProgVerifySignatureResult, type KeyringState,
  type SignatureKernelVersion,
} from '../../src/signature/index.js';
import { VERIFY_ON, fixtureWorld, keyBytes, signedSkeletons } from './support.js';

const skel = signedSkeletons();
const RSA_SKEL = skel.find((s) => s.file === 'shared_subprog.v78.signed_rsa.lskel.h')!;
const EC_SKEL = skel.find((s) => s.file === 'shared_subprog.v78.signed_ec.lskel.h')!;
const rsaWorld = fixtureWorld(keyBytes('rsa2048.cert.der')).state;
const ecWorld = fixtureWorld(keyBytes('ecp256.cert.der')).state;

/** Everything the signature step may answer for a bad message or bad signed bytes. */
const REJECTIONS = new Set(['EBADMSG', 'EINVAL', 'ENOPKG', 'EKEYREJECTED', 'ENOKEY', 'EMSGSIZE', 'ENOENT']);

function verify(sig: Uint8Array, content: Uint8Array, keyrings: KeyringState): BpfProgVerifySignatureResult {
  return bpfProgVerifySignature({
    signature: sig, signatureSize: sig.length, readable: true, keyringId: KEY_SPEC.SESSION_KEYRING,
    content, kernelVersion: '6.18.y', config: VERIFY_ON, keyrings,
  });
}

function rejected(r: BpfProgVerifySignatureResult): boolean {
  return r.checked && !r.ok && REJECTIONS.has(r.errnoName);
}

describe.each([
  ['RSA', RSA_SKEL, rsaWorld],
  ['ECDSA', EC_SKEL, ecWorld],
] as const)('%s signature', (_name, s, world) => {
  it('verifies unmodified (the baseline the properties perturb)', () => {
    expect(verify(s.sig, s.insns, world)).toMatchObject({ checked: true, ok: true });
  });

  it('every byte position, flipped with 0x01, 0x80 or 0xff, is rejected', () => {
    const accepted: string[] = [];
    for (let i = 0; i < s.sig.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const sig = s.sig.slice();
        sig[i] ^= mask;
        if (!rejected(verify(sig, s.insns, world))) accepted.push(`${i}^${mask}`);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('any single flipped byte of the signature is rejected (never accepted, never throws)', () => {
    fc.assert(fc.property(fc.nat({ max: s.sig.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
      const sig = s.sig.slice();
      sig[pos] ^= mask;
      return rejected(verify(sig, s.insns, world));
    }), { numRuns: 300 });
  });

  it('any single flipped byte of the instructions is EKEYREJECTED', () => {
    fc.assert(fc.property(fc.nat({ max: s.insns.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
      const content = s.insns.slice();
      content[pos] ^= mask;
      const r = verify(s.sig, content, world);
      return r.checked && !r.ok && r.errnoName === 'EKEYREJECTED';
    }), { numRuns: 200 });
  });

  it('truncated, extended or spliced signatures are rejected', () => {
    fc.assert(fc.property(
      fc.nat({ max: s.sig.length }), fc.nat({ max: 40 }), fc.uint8Array({ maxLength: 40 }),
      (at, drop, insert) => {
        if (drop === 0 && insert.length === 0) return true;
        const sig = new Uint8Array([...s.sig.subarray(0, at), ...insert, ...s.sig.subarray(Math.min(s.sig.length, at + drop))]);
        if (sig.length === s.sig.length && sig.every((b, i) => b === s.sig[i])) return true;
        return rejected(verify(sig, s.insns, world));
      },
    ), { numRuns: 300 });
  });
});

describe('arbitrary input', () => {
  it('random bytes are never accepted and never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => rejected(verify(bytes, RSA_SKEL.insns, rsaWorld))), { numRuns: 500 });
  });

  it('random DER-looking prefixes (SEQUENCE, OID signedData, ...) are never accepted', () => {
    const prefix = RSA_SKEL.sig.subarray(0, 30);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => {
      return rejected(verify(new Uint8Array([...prefix, ...tail]), RSA_SKEL.insns, rsaWorld));
    }), { numRuns: 300 });
  });

  it('BPF_PROG_LOAD check order: NULL → size cap → keyring → copy → EOPNOTSUPP (no verification built in)', () => {
    const state = fixtureWorld(keyBytes('rsa2048.cert.der'), { ecdsa: false }).state;
    const resolvable = new Set([0, 1, 2, -3, -4, -5, ...Object.keys(state.keys).map(Number)]);
    const keyringIds = fc.oneof(
      fc.constantFrom(0, 1, 2, -1, -2, -3, -4, -5, -6, -7, -8, 3, 2147483632),
      fc.constantFrom(...Object.keys(state.keys).map(Number)),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    );
    const sizes = fc.oneof(fc.constantFrom(0, 1, 375, 8192, 8193, 9000, 65536), fc.nat({ max: 100_000 }));
    fc.assert(fc.property(
      fc.boolean(), sizes, fc.boolean(), keyringIds, fc.constantFrom<SignatureKernelVersion>('6.18.0', '6.18.y', '2026'),
      (isNull, size, readable, keyringId, version) => {
        const sig = isNull ? null : new Uint8Array(Math.min(size, 9000));
        const r = bpfProgVerifySignature({
          signature: sig, signatureSize: size, readable, keyringId, content: RSA_SKEL.insns, kernelVersion: version,
          config: { systemDataVerification: false, ecdsa: false }, keyrings: state,
        });
        let want: string;
        if (sig === null) want = 'unchecked';
        else if (version !== '6.18.0' && size > 8192) want = 'EINVAL';
        else if (!resolvable.has(keyringId)) want = 'EINVAL';
        else if (size > 0 && (!readable || size > sig.length)) want = version === '2026' ? 'EFAULT' : 'ENOMEM';
        else want = 'EOPNOTSUPP';
        const got = !r.checked ? 'unchecked' : r.ok ? 'ok' : r.errnoName;
        return got === want;
      },
    ), { numRuns: 1000 });
  });
});
