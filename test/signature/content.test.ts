/**
 * What the signing schemes hash: the array-map hash (checked against the fixtures' recorded map
 * hashes), the hash-chain proposal's digest and the 2026 scheme's signed content, each compared
 * with an independent node:crypto computation.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SignatureContentError, arrayMapHash, arrayMapValueArea, exclProgHash, hashChainFinal, signedContent2026,
} from '../../src/signature/index.js';
import { findCharArray } from '../../src/skeleton/c-literal.js';
import { toHex } from '../../src/util/hex.js';
import { expectedJson, signedSkeletons, LSKEL } from './support.js';

const H = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

describe('array map hash', () => {
  it('pads each element to 8 bytes: value_size 12, 2 entries hashes 32 bytes', () => {
    const packed = Uint8Array.from({ length: 24 }, (_, i) => i + 1);
    const strided = new Uint8Array(32);
    strided.set(packed.subarray(0, 12), 0);
    strided.set(packed.subarray(12, 24), 16);
    expect(toHex(arrayMapValueArea({ valueSize: 12, maxEntries: 2, values: packed }))).toBe(toHex(strided));
    expect(toHex(arrayMapHash({ valueSize: 12, maxEntries: 2, values: packed }))).toBe(H(strided).toString('hex'));
    expect(toHex(arrayMapHash({ valueSize: 12, maxEntries: 2, values: strided }))).toBe(H(strided).toString('hex'));
  });

  it('rejects sizes that cannot be an array map', () => {
    expect(() => arrayMapHash({ valueSize: 0, maxEntries: 1, values: new Uint8Array() })).toThrow(SignatureContentError);
    expect(() => arrayMapHash({ valueSize: 4, maxEntries: 0, values: new Uint8Array() })).toThrow(SignatureContentError);
    expect(() => arrayMapHash({ valueSize: 12, maxEntries: 2, values: new Uint8Array(25) })).toThrow(/expected 24 \(packed\) or 32/);
  });

  for (const s of signedSkeletons()) {
    it(`${s.file}: the loader map's hash is the one embedded in the loader`, () => {
      const data = findCharArray(readFileSync(join(LSKEL, s.file), 'utf8'), 'opts_data')!;
      const loader = expectedJson(s.fixture).variants[s.variant].loader;
      const h = toHex(arrayMapHash({ valueSize: data.length, maxEntries: 1, values: data }));
      expect(h).toBe(loader.data_sha256);
      expect(h).toBe(loader.embedded_data_hash);
      expect(toHex(exclProgHash(s.insns))).toBe(loader.excl_prog_hash);
      if (s.fixture === 'tprog') expect(h.startsWith('cb47928d28871cda')).toBe(true); // R_B observation
    });
  }
});

describe('hash chain (signing.md §3.2)', () => {
  const insns = signedSkeletons()[0].insns;
  const maps = [0, 1, 2].map((i) => H(new Uint8Array([i, i, i])));

  it('one map: SHA256(SHA256(insns) ‖ Hmap) — what bpftool -M signs', () => {
    expect(toHex(hashChainFinal(insns, [maps[0]]))).toBe(H(H(insns), maps[0]).toString('hex'));
  });

  it('n maps: h[last] = Hmap(m[last]), h[k] = SHA256(h[k+1] ‖ Hmap(m[k]))', () => {
    const h2 = maps[2];
    const h1 = H(h2, maps[1]);
    const h0 = H(h1, maps[0]);
    expect(toHex(hashChainFinal(insns, maps))).toBe(H(H(insns), h0).toString('hex'));
  });

  it('needs at least one 32-byte map hash', () => {
    expect(() => hashChainFinal(insns, [])).toThrow(SignatureContentError);
    expect(() => hashChainFinal(insns, [new Uint8Array(31)])).toThrow(SignatureContentError);
  });
});

describe('2026 signed content (Appendix B)', () => {
  it('is the instructions followed by each map\'s value area', () => {
    const insns = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const blob = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    const odd = Uint8Array.from([9, 9, 9, 9, 9]); // value_size 5, 1 entry → 8 bytes with padding
    const c = signedContent2026(insns, [{ valueSize: 16, maxEntries: 1, values: blob }, { valueSize: 5, maxEntries: 1, values: odd }]);
    expect(toHex(c)).toBe(toHex(insns) + toHex(blob) + '0909090909000000');
    expect(toHex(signedContent2026(insns, []))).toBe(toHex(insns));
  });
});
