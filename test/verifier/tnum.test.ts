/**
 * Tristate numbers: every operation must over-approximate the concrete one (a concrete value drawn
 * from each operand tnum gives a result inside the result tnum), and be exact on constants.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  U64, tnum, tnumAdd, tnumAnd, tnumArshift, tnumBswap, tnumCast, tnumConst, tnumIn, tnumIntersect, tnumLshift,
  tnumMul, tnumNeg, tnumOr, tnumRange, tnumRshift, tnumStr, tnumSub, tnumSubreg, tnumUnion, tnumXor, type Tnum,
} from '../../src/verifier/tnum.js';

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const big = fc.bigInt({ min: 0n, max: U64 });
/** Masks with few, many, or low unknown bits (uniform 64-bit masks are almost all-unknown). */
const mask = fc.oneof(
  big,
  fc.bigInt({ min: 0n, max: 0xffn }),
  fc.bigInt({ min: 0n, max: 0xffffn }).map((m) => m << 8n),
  fc.constant(0n),
  fc.integer({ min: 0, max: 64 }).map((n) => (1n << BigInt(n)) - 1n),
);

/** A tnum and a concrete member of it. */
const member: fc.Arbitrary<{ t: Tnum; x: bigint }> = fc.tuple(big, mask, big).map(([v, m, pick]) => {
  const t = tnum(v & ~m & U64, m);
  return { t, x: t.value | (pick & m) };
});

const contains = (t: Tnum, x: bigint): boolean => (u64(x) & ~t.mask & U64) === t.value;

describe('tnum', () => {
  it('binary operations contain every concrete result', () => {
    const ops: Array<[string, (a: Tnum, b: Tnum) => Tnum, (a: bigint, b: bigint) => bigint]> = [
      ['add', tnumAdd, (a, b) => a + b],
      ['sub', tnumSub, (a, b) => a - b],
      ['and', tnumAnd, (a, b) => a & b],
      ['or', tnumOr, (a, b) => a | b],
      ['xor', tnumXor, (a, b) => a ^ b],
      ['mul', tnumMul, (a, b) => a * b],
      ['intersect (same value)', (a) => tnumIntersect(a, a), (a) => a],
      ['union', tnumUnion, (a) => a],
    ];
    fc.assert(fc.property(member, member, ({ t: ta, x }, { t: tb, x: y }) => {
      for (const [name, abs, conc] of ops) {
        const r = abs(ta, tb);
        if (!contains(r, conc(x, y))) throw new Error(`${name}(${tnumStr(ta)}, ${tnumStr(tb)}) = ${tnumStr(r)} misses ${u64(conc(x, y))}`);
        // A tnum never has a bit both known-1 and unknown.
        expect(r.value & r.mask).toBe(0n);
      }
    }), { numRuns: 2000 });
  });

  it('shifts, negation, casts and byte swaps contain every concrete result', () => {
    fc.assert(fc.property(member, fc.integer({ min: 0, max: 63 }), ({ t, x }, s) => {
      const sh = BigInt(s);
      expect(contains(tnumLshift(t, s), x << sh)).toBe(true);
      expect(contains(tnumRshift(t, s), x >> sh)).toBe(true);
      expect(contains(tnumArshift(t, s, 64), BigInt.asIntN(64, x) >> sh)).toBe(true);
      const x32 = x & 0xffffffffn;
      expect(contains(tnumArshift(tnumSubreg(t), s % 32, 32), u64(BigInt.asIntN(32, x32) >> BigInt(s % 32)) & 0xffffffffn)).toBe(true);
      expect(contains(tnumNeg(t), -x)).toBe(true);
      for (const n of [1, 2, 4, 8]) expect(contains(tnumCast(t, n), x & ((1n << BigInt(8 * n)) - 1n))).toBe(true);
      expect(contains(tnumSubreg(t), x32)).toBe(true);
      const bswap = (v: bigint, bytes: number): bigint => {
        let r = 0n;
        for (let k = 0; k < bytes; k++) r = (r << 8n) | ((v >> BigInt(8 * k)) & 0xffn);
        return r;
      };
      for (const n of [2, 4, 8] as const) expect(contains(tnumBswap(t, n), bswap(x, n))).toBe(true);
    }), { numRuns: 2000 });
  });

  it('tnum_range contains its interval, and tnum_in agrees with membership', () => {
    fc.assert(fc.property(big, big, big, (a, b, p) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const t = tnumRange(lo, hi);
      const x = hi === lo ? lo : lo + (p % (hi - lo + 1n));
      expect(contains(t, lo)).toBe(true);
      expect(contains(t, hi)).toBe(true);
      expect(contains(t, x)).toBe(true);
      expect(tnumIn(t, tnumConst(x))).toBe(true);
    }), { numRuns: 2000 });
  });

  it('is exact on constants (Linux prints and compares these)', () => {
    expect(tnumAdd(tnumConst(5n), tnumConst(7n))).toEqual({ value: 12n, mask: 0n });
    expect(tnumMul(tnumConst(6n), tnumConst(7n))).toEqual({ value: 42n, mask: 0n });
    expect(tnumSub(tnumConst(0n), tnumConst(1n))).toEqual({ value: U64, mask: 0n });
    // tnum_range(0, 255) is (0; 0xff); tnum_range(16, 31) is (0x10; 0xf).
    expect(tnumRange(0n, 255n)).toEqual({ value: 0n, mask: 0xffn });
    expect(tnumRange(16n, 31n)).toEqual({ value: 0x10n, mask: 0xfn });
    // x & 0xf0 of an unknown byte: (0x0; 0xf0).
    expect(tnumAnd(tnumRange(0n, 255n), tnumConst(0xf0n))).toEqual({ value: 0n, mask: 0xf0n });
    expect(tnumStr(tnum(0x10n, 0xfn))).toBe('(0x10; 0xf)');
  });
});
