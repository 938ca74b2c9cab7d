/**
 * 64-bit multiply and divide on registers held as (lo, hi) signed 32-bit pairs, without BigInt.
 * Addition, subtraction, shifts and compares are short enough to be written inline in the
 * interpreter loop; these are the operations that need more than a few lines.
 *
 * Every function reads and writes the register file `r` (Int32Array, r[2k] = low word of rk,
 * r[2k+1] = high word) at register offset `d` (= 2 * register number).
 */

const TWO32 = 4294967296;

// Scratch results of the internal routines (single-threaded interpreter: no re-entrancy issue,
// nothing here calls out).
let qLo = 0, qHi = 0, remLo = 0, remHi = 0;
let mLo = 0, mHi = 0;

/** High 32 bits of the unsigned product of two 32-bit words (mLo gets the low word). */
function mulu32(a: number, b: number): void {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const mid = a1 * b0 + a0 * b1 + ((a0 * b0) >>> 16);
  mHi = (a1 * b1 + Math.floor(mid / 65536)) | 0;
  mLo = Math.imul(a, b);
}

/** r[d] *= (blo, bhi), modulo 2^64. */
export function mul64(r: Int32Array, d: number, blo: number, bhi: number): void {
  const alo = r[d], ahi = r[d + 1];
  mulu32(alo, blo);
  r[d] = mLo;
  r[d + 1] = (mHi + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
}

/** One step of long division by a divisor b < 2^32: floor(cur / b) for cur < 2^48, exact. */
function digit(cur: number, b: number): number {
  let q = Math.floor(cur / b);
  const rr = cur - q * b;
  if (rr < 0) q--;
  else if (rr >= b) q++;
  return q;
}

/** Unsigned (al, ah) / (bl, bh) with b != 0; quotient in qLo/qHi, remainder in remLo/remHi. */
function udivmod(alo: number, ahi: number, blo: number, bhi: number): void {
  const al = alo >>> 0, ah = ahi >>> 0, bl = blo >>> 0, bh = bhi >>> 0;
  if (bh === 0) {
    if (ah < 0x100000) {
      // a < 2^52: plain double arithmetic is exact after a one-step correction.
      const a = ah * TWO32 + al;
      let q = Math.floor(a / bl);
      let rr = a - q * bl;
      if (rr < 0) { q--; rr += bl; } else if (rr >= bl) { q++; rr -= bl; }
      const qh = Math.floor(q / TWO32);
      qHi = qh | 0; qLo = (q - qh * TWO32) | 0; remLo = rr | 0; remHi = 0;
      return;
    }
    // Long division in one 32-bit and two 16-bit digits; every partial dividend is < 2^48.
    const q2 = digit(ah, bl);
    const r2 = ah - q2 * bl;
    let cur = r2 * 65536 + (al >>> 16);
    const q1 = digit(cur, bl);
    const r1 = cur - q1 * bl;
    cur = r1 * 65536 + (al & 0xffff);
    const q0 = digit(cur, bl);
    qHi = q2 | 0; qLo = (q1 * 65536 + q0) | 0; remLo = (cur - q0 * bl) | 0; remHi = 0;
    return;
  }
  if (bh >= 0x80000000) {
    // b >= 2^63: the quotient is 0 or 1.
    const ge = ah > bh || (ah === bh && al >= bl);
    qHi = 0; qLo = ge ? 1 : 0;
    if (ge) sub(al, ah, bl, bh); else { remLo = alo; remHi = ahi; }
    return;
  }
  // 2^32 <= b < 2^63: the quotient is below 2^32 and the double estimate is off by at most one;
  // correct it against the exact 96-bit product q*b.
  let q = Math.floor((ah * TWO32 + al) / (bh * TWO32 + bl));
  if (q > 0xffffffff) q = 0xffffffff;
  for (;;) {
    mulu32(q, bl);
    const p0 = mLo >>> 0, h0 = mHi >>> 0;
    mulu32(q, bh);
    const s = h0 + (mLo >>> 0);
    const p1 = s >>> 0, p2 = (mHi >>> 0) + (s >= TWO32 ? 1 : 0);
    if (p2 > 0 || p1 > ah || (p1 === ah && p0 > al)) { q--; continue; }
    sub(al, ah, p0, p1);
    const rh = remHi >>> 0, rl = remLo >>> 0;
    if (rh > bh || (rh === bh && rl >= bl)) { q++; continue; }
    qLo = q | 0; qHi = 0;
    return;
  }
}

/** remLo/remHi = a - b (unsigned words in, wrapping). */
function sub(al: number, ah: number, bl: number, bh: number): void {
  const s = al - bl;
  remLo = s | 0;
  remHi = (ah - bh - (s < 0 ? 1 : 0)) | 0;
}

/** BPF_DIV (ALU64): unsigned, division by zero gives 0. */
export function div64(r: Int32Array, d: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { r[d] = 0; r[d + 1] = 0; return; }
  udivmod(r[d], r[d + 1], blo, bhi);
  r[d] = qLo; r[d + 1] = qHi;
}

/** BPF_MOD (ALU64): unsigned, modulo by zero leaves dst unchanged. */
export function mod64(r: Int32Array, d: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) return;
  udivmod(r[d], r[d + 1], blo, bhi);
  r[d] = remLo; r[d + 1] = remHi;
}

/** BPF_SDIV (ALU64, off 1): truncating; /0 gives 0; INT64_MIN / -1 = INT64_MIN. */
export function sdiv64(r: Int32Array, d: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) { r[d] = 0; r[d + 1] = 0; return; }
  let alo = r[d], ahi = r[d + 1];
  const an = ahi < 0, bn = bhi < 0;
  if (an) { const l = alo; alo = -l | 0; ahi = (~ahi + (l === 0 ? 1 : 0)) | 0; }
  if (bn) { const l = blo; blo = -l | 0; bhi = (~bhi + (l === 0 ? 1 : 0)) | 0; }
  udivmod(alo, ahi, blo, bhi);
  if (an !== bn) { r[d] = -qLo | 0; r[d + 1] = (~qHi + (qLo === 0 ? 1 : 0)) | 0; } else { r[d] = qLo; r[d + 1] = qHi; }
}

/** BPF_SMOD (ALU64, off 1): the result takes the dividend's sign; mod 0 leaves dst unchanged. */
export function smod64(r: Int32Array, d: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) return;
  let alo = r[d], ahi = r[d + 1];
  const an = ahi < 0;
  if (an) { const l = alo; alo = -l | 0; ahi = (~ahi + (l === 0 ? 1 : 0)) | 0; }
  if (bhi < 0) { const l = blo; blo = -l | 0; bhi = (~bhi + (l === 0 ? 1 : 0)) | 0; }
  udivmod(alo, ahi, blo, bhi);
  if (an) { r[d] = -remLo | 0; r[d + 1] = (~remHi + (remLo === 0 ? 1 : 0)) | 0; } else { r[d] = remLo; r[d + 1] = remHi; }
}

/** Reverse the bytes of a 32-bit word. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
