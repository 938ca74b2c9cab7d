/**
 * Values where integer arithmetic tends to go wrong: zero and ±1, the 8/16/32/64-bit signed and
 * unsigned limits, the boundaries of exact double arithmetic (2^53 ± 1), 2^32 ± 1, and powers of
 * two with their neighbours. Programs and property tests draw operands from these lists (mixed
 * with uniformly random values) so that carries, sign extensions and overflow paths are exercised.
 */

const M64 = (1n << 64n) - 1n;

function u64(v: bigint): bigint {
  return v & M64;
}

/** Unsigned 64-bit edge values (negative numbers are stored in two's complement). */
export const EDGE_U64: readonly bigint[] = (() => {
  const vals = new Set<bigint>();
  const add = (v: bigint): void => { vals.add(u64(v)); };
  for (const v of [0n, 1n, -1n, 2n, -2n, 3n, 5n, 7n, 10n, 255n, 256n]) add(v);
  for (const bits of [8n, 16n, 32n, 64n]) {
    const half = 1n << (bits - 1n);
    add(half - 1n); add(half); add(-half); add(-half - 1n); add((1n << bits) - 1n);
  }
  for (const v of [(1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 1n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n]) {
    add(v); add(-v);
  }
  for (let k = 0n; k < 64n; k++) {
    add(1n << k); add((1n << k) - 1n); add(-(1n << k));
  }
  add(0x0123456789abcdefn); add(0xfedcba9876543210n); add(0x8000000000000001n); add(0x00000000ffffffffn);
  add(0xffffffff00000000n); add(0x7fffffff00000000n); add(0x80000000ffffffffn);
  return [...vals].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
})();

/** Signed 32-bit edge values (instruction immediates). */
export const EDGE_I32: readonly number[] = (() => {
  const vals = new Set<number>();
  for (const v of [0, 1, -1, 2, -2, 3, 5, 7, 10, 31, 32, 33, 63, 64, 127, 128, 255, 256, -128, -129, -256]) vals.add(v);
  for (const v of [0x7fff, 0x8000, 0xffff, 0x10000, -0x8000, -0x8001, 0x7fffffff, -0x80000000, -0x7fffffff]) vals.add(v | 0);
  for (let k = 0; k < 32; k++) { vals.add((1 << k) | 0); vals.add(((1 << k) - 1) | 0); vals.add(-(1 << k) | 0); }
  return [...vals].sort((a, b) => a - b);
})();
