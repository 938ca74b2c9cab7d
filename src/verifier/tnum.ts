/**
 * Tristate numbers ("tnums"), Linux kernel/bpf/tnum.c: a 64-bit value where each bit is known 0,
 * known 1 or unknown. `value` holds the known-1 bits, `mask` the unknown bits; a bit is never set in
 * both. All quantities are unsigned 64-bit bigints (0 .. 2^64-1).
 *
 * The operations are the kernel's, bit for bit, so that bounds printed in the verifier log and the
 * decisions taken from them match Linux.
 */

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64 = 0xffff_ffff_ffff_ffffn;
export const U32 = 0xffff_ffffn;

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

export function tnum(value: bigint, mask: bigint): Tnum {
  return { value, mask };
}

/** Small constants, by value (an array index: no bigint hashing). */
const CONST_CACHE: Tnum[] = [];

/** A fully known value. */
export function tnumConst(v: bigint): Tnum {
  const x = u64(v);
  if (x < 1024n) {
    const k = Number(x);
    return CONST_CACHE[k] ??= { value: x, mask: 0n };
  }
  return { value: x, mask: 0n };
}

export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64 };
export const TNUM_ZERO: Tnum = tnumConst(0n);

/** Index (1-based) of the highest set bit, 0 for 0. */
function fls64(x: bigint): number {
  const hi = Number(x >> 32n);
  if (hi !== 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(Number(x & 0xffff_ffffn));
}

/** The smallest tnum containing every value of [min, max] (tnum_range). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = fls64(chi);
  // Special case: the whole 64-bit range (a shift by 64 would be undefined in C).
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta & U64, mask: delta };
}

export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: u64(a.value << s), mask: u64(a.mask << s) };
}

export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return { value: a.value >> s, mask: a.mask >> s };
}

/** Arithmetic right shift of the low `bitness` (32 or 64) bits; the result is zero-extended. */
export function tnumArshift(a: Tnum, shift: number, bitness: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (bitness === 32) {
    const v = BigInt.asIntN(32, a.value) >> s;
    const m = BigInt.asIntN(32, a.mask) >> s;
    return { value: BigInt.asUintN(32, v), mask: BigInt.asUintN(32, m) };
  }
  return { value: u64(BigInt.asIntN(64, a.value) >> s), mask: u64(BigInt.asIntN(64, a.mask) >> s) };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return tnumConst(a.value + b.value);
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return tnumConst(a.value - b.value);
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu };
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(TNUM_ZERO, a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64 };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/**
 * Multiplication (tnum_mul): the half-multiply-accumulate algorithm of Harishankar Vishwanathan et
 * al., as in Linux since 5.10.
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return tnumConst(a.value * b.value);
  // Loops multiply the same operands over and over (a hash step on an unknown value): remember
  // the last product, the 64-round loop below allocates a bigint per step.
  const last = mulCache;
  if (last !== null && last.av === a.value && last.am === a.mask && last.bv === b.value && last.bm === b.mask) return last.r;
  const r = tnumMulSlow(a, b);
  mulCache = { av: a.value, am: a.mask, bv: b.value, bm: b.mask, r };
  return r;
}

let mulCache: { av: bigint; am: bigint; bv: bigint; bm: bigint; r: Tnum } | null = null;

function tnumMulSlow(a: Tnum, b: Tnum): Tnum {
  const accV = u64(a.value * b.value);
  let accM: Tnum = TNUM_ZERO;
  let av = a.value, am = a.mask, bv = b.value, bm = b.mask;
  // At most 64 rounds: `a` loses one bit per round.
  while (av !== 0n || am !== 0n) {
    if ((av & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: bm });
    else if ((am & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: bv | bm });
    av >>= 1n; am >>= 1n;
    bv = u64(bv << 1n); bm = u64(bm << 1n);
  }
  return tnumAdd({ value: accV, mask: 0n }, accM);
}

/** The bits known in both (tnum_intersect). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** A tnum containing both (tnum_union). */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** Truncate to `size` bytes (tnum_cast). */
export function tnumCast(a: Tnum, size: number): Tnum {
  if (size >= 8) return a;
  const m = (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

export function tnumEqualsConst(a: Tnum, b: bigint): boolean {
  return a.mask === 0n && a.value === b;
}

export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64;
}

export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (size === 0) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** Is every value of `b` a value of `a` (tnum_in)? */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  // Pruning asks this for every live scalar: answer the common shapes without allocating bigints
  // (a tnum's value has no bit of its mask, so these are the general rule's answers).
  if (a === b || a.mask === U64) return true;
  if (a.mask === b.mask) return a.value === b.value;
  if (a.mask === 0n) return false;
  if ((b.mask & ~a.mask & U64) !== 0n) return false;
  return a.value === (b.value & ~a.mask & U64);
}

/** The low 32 bits (tnum_subreg). */
export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}

/** The high 32 bits only (tnum_clear_subreg). */
export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}

/** `a` with its low 32 bits replaced by those of `subreg` (tnum_with_subreg). */
export function tnumWithSubreg(a: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(a), tnumSubreg(subreg));
}

/** `a` with its low 32 bits set to the known value `v` (tnum_const_subreg). */
export function tnumConstSubreg(a: Tnum, v: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(v & U32));
}

export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & U32) === 0n;
}

function bswapN(x: bigint, bytes: number): bigint {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
}

/** Byte swap of the low `bytes` bytes; higher bits become known zero. */
export function tnumBswap(a: Tnum, bytes: 2 | 4 | 8): Tnum {
  return { value: bswapN(a.value, bytes), mask: bswapN(a.mask, bytes) };
}

/** The kernel's `%#llx` (its vsnprintf prints "0x0" for zero, unlike glibc). */
export function hex64(x: bigint): string {
  return '0x' + u64(x).toString(16);
}

/** tnum_strn: "(value; mask)". */
export function tnumStr(a: Tnum): string {
  return `(${hex64(a.value)}; ${hex64(a.mask)})`;
}
