/**
 * Scalar value tracking: the signed/unsigned 64- and 32-bit bounds of a register and their
 * agreement with its tnum (Linux reg_bounds_sync and friends), the abstract ALU
 * (adjust_scalar_min_max_vals), size coercions for loads and sign-extending moves, and the
 * refinement of bounds by conditional jumps (is_branch_taken, regs_refine_cond_op).
 *
 * Everything operates on a mutable copy of a register ({@link MutReg}); 64-bit quantities are
 * bigints (signed bounds in [-2^63, 2^63), unsigned in [0, 2^64)), 32-bit ones are numbers.
 */
import type { AluName, JmpName } from '../isa/ops.js';
import {
  S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, mutable, setKnown, type MutReg, type Reg,
} from './regs.js';
import {
  TNUM_UNKNOWN, U32, U64, tnumAdd, tnumAnd, tnumArshift, tnumBswap, tnumCast, tnumClearSubreg,
  tnumConst, tnumConstSubreg, tnumIntersect, tnumIsConst, tnumLshift, tnumMul, tnumNeg, tnumOr,
  tnumRange, tnumRshift, tnumSub, tnumSubreg, tnumSubregIsConst, tnumWithSubreg, tnumXor, type Tnum,
} from './tnum.js';

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
/** The low 32 bits (without a bigint `&` for values already below 2^32). */
const lo32 = (x: bigint): number => (x >= 0n && x <= U32 ? Number(x) : Number(x & U32));
const s32of = (x: bigint): number => Number(BigInt.asIntN(32, x));
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);

// ---------------------------------------------------------------- bounds maintenance

export function markReg64Unbounded(r: MutReg): void {
  r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = U64;
}

export function markReg32Unbounded(r: MutReg): void {
  r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0; r.u32max = U32_MAX;
}

export function markRegUnbounded(r: MutReg): void {
  markReg64Unbounded(r);
  markReg32Unbounded(r);
}

/** __mark_reg_unknown on the value part only (type and other fields untouched). */
export function markUnknownBounds(r: MutReg): void {
  r.varOff = TNUM_UNKNOWN;
  markRegUnbounded(r);
}

function updateReg32Bounds(r: MutReg): void {
  const v = Number(r.varOff.value & U32), m = Number(r.varOff.mask & U32);
  // min signed is max(sign bit) | min(other bits); max signed is min(sign bit) | max(other bits)
  r.s32min = Math.max(r.s32min, (v | (m & 0x80000000)) | 0);
  r.s32max = Math.min(r.s32max, (v | (m & 0x7fffffff)) | 0);
  r.u32min = Math.max(r.u32min, v);
  r.u32max = Math.min(r.u32max, (v | m) >>> 0);
}

function updateReg64Bounds(r: MutReg): void {
  const v = r.varOff.value, m = r.varOff.mask;
  r.smin = maxB(r.smin, s64(v | (m & (1n << 63n))));
  r.smax = minB(r.smax, s64(v | (m & S64_MAX)));
  r.umin = maxB(r.umin, v);
  r.umax = minB(r.umax, v | m);
}

export function updateRegBounds(r: MutReg): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

function reg32DeduceBounds(r: MutReg): void {
  // The 32-bit halves of the 64-bit bounds, computed once.
  const uminHi = r.umin >> 32n, umaxHi = r.umax >> 32n;
  const uminLo = Number(r.umin & U32), umaxLo = Number(r.umax & U32);
  const sminHi = r.smin >> 32n, smaxHi = r.smax >> 32n;
  const sminLo = Number(r.smin & U32), smaxLo = Number(r.smax & U32);
  if (uminHi === umaxHi) {
    r.u32min = Math.max(r.u32min, uminLo);
    r.u32max = Math.min(r.u32max, umaxLo);
    if ((uminLo | 0) <= (umaxLo | 0)) {
      r.s32min = Math.max(r.s32min, uminLo | 0);
      r.s32max = Math.min(r.s32max, umaxLo | 0);
    }
  }
  if (sminHi === smaxHi) {
    if (sminLo <= smaxLo) {
      r.u32min = Math.max(r.u32min, sminLo);
      r.u32max = Math.min(r.u32max, smaxLo);
    }
    if ((sminLo | 0) <= (smaxLo | 0)) {
      r.s32min = Math.max(r.s32min, sminLo | 0);
      r.s32max = Math.min(r.s32max, smaxLo | 0);
    }
  }
  // Upper halves two consecutive numbers and the low halves a proper s32 range across zero.
  if (((Number(uminHi & U32) + 1) >>> 0) === Number(umaxHi & U32) && (uminLo | 0) < 0 && (umaxLo | 0) >= 0) {
    r.s32min = Math.max(r.s32min, uminLo | 0);
    r.s32max = Math.min(r.s32max, umaxLo | 0);
  }
  if (((Number(sminHi & U32) + 1) >>> 0) === Number(smaxHi & U32) && (sminLo | 0) < 0 && (smaxLo | 0) >= 0) {
    r.s32min = Math.max(r.s32min, sminLo | 0);
    r.s32max = Math.min(r.s32max, smaxLo | 0);
  }
  // A u32 range that does not cross the sign bit is a valid s32 range.
  if ((r.u32min | 0) <= (r.u32max | 0)) {
    r.s32min = Math.max(r.s32min, r.u32min | 0);
    r.s32max = Math.min(r.s32max, r.u32max | 0);
  }
  // An s32 range that does not cross the sign boundary is a valid u32 range.
  if (r.s32min >>> 0 <= r.s32max >>> 0) {
    r.u32min = Math.max(r.s32min >>> 0, r.u32min);
    r.u32max = Math.min(r.s32max >>> 0, r.u32max);
  }
}

function reg64DeduceBounds(r: MutReg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = maxB(r.smin, s64(r.umin));
    r.smax = minB(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = maxB(u64(r.smin), r.umin);
    r.umax = minB(u64(r.smax), r.umax);
  } else {
    // The s64 range wraps through the sign boundary: learn from which end the u64 range touches.
    if (r.umax < u64(r.smin)) {
      r.smin = s64(r.umin);
      r.umax = minB(r.umax, u64(r.smax));
    } else if (u64(r.smax) < r.umin) {
      r.smax = s64(r.umax);
      r.umin = maxB(r.umin, u64(r.smin));
    }
  }
}

const HI32 = U64 ^ U32;
const S32_MIN_B = BigInt(S32_MIN), S32_MAX_B = BigInt(S32_MAX);

function regDeduceMixedBounds(r: MutReg): void {
  const u32min = BigInt(r.u32min), u32max = BigInt(r.u32max);
  const newUmin = (r.umin & HI32) | u32min;
  const newUmax = (r.umax & HI32) | u32max;
  if (newUmin > r.umin) r.umin = newUmin;
  if (newUmax < r.umax) r.umax = newUmax;
  // (smin & ~0xffffffff) on the signed value keeps its sign: the result stays a valid s64.
  const newSmin = (r.smin & ~U32) | u32min;
  const newSmax = (r.smax & ~U32) | u32max;
  if (newSmin > r.smin) r.smin = newSmin;
  if (newSmax < r.smax) r.smax = newSmax;
  // After a sign-extending load the upper bits are all zeros or all ones.
  if (r.s32min >= 0 && r.smin >= S32_MIN_B && r.smax <= S32_MAX_B) {
    r.smin = BigInt(r.s32min);
    r.smax = BigInt(r.s32max);
    r.umin = r.smin;
    r.umax = r.smax;
    r.varOff = tnumIntersect(r.varOff, tnumRange(r.smin, r.smax));
  }
}

function regDeduceBounds(r: MutReg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset: learn tnum bits from the unsigned bounds. */
function regBoundOffset(r: MutReg): void {
  const var64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(BigInt(r.u32min), BigInt(r.u32max)));
  r.varOff = tnumOr(tnumClearSubreg(var64), var32);
}

/** reg_bounds_sync: make the tnum and the eight bounds agree as far as Linux deduces. */
export function regBoundsSync(r: MutReg): void {
  if (r.varOff.mask === 0n) {
    // Fast path for constants: every bound is the value (what the full deduction yields).
    const v = r.varOff.value;
    if (r.umin <= v && v <= r.umax && r.smin <= s64(v) && s64(v) <= r.smax) {
      setKnown(r, v);
      return;
    }
  }
  // Fast path for a fully unknown value: already the fixed point of the deductions below.
  if (r.varOff.mask === U64 && r.umin === 0n && r.umax === U64 && r.smin === S64_MIN && r.smax === S64_MAX &&
      r.u32min === 0 && r.u32max === U32_MAX && r.s32min === S32_MIN && r.s32max === S32_MAX) {
    return;
  }
  updateRegBounds(r);
  regDeduceBounds(r);
  regDeduceBounds(r);
  regBoundOffset(r);
  updateRegBounds(r);
}

/** Bounds that contain no value: the register's state is impossible (dead branch). */
export function boundsEmpty(r: Reg): boolean {
  return r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max;
}

/** reg_bounds_sanity_check's conditions (bounds ordered, constants consistent). */
export function boundsSane(r: Reg): boolean {
  if (boundsEmpty(r)) return false;
  if (tnumIsConst(r.varOff)) {
    const u = r.varOff.value;
    if (r.umin !== u || r.umax !== u || r.smin !== s64(u) || r.smax !== s64(u)) return false;
    const w = lo32(u);
    if (r.u32min !== w || r.u32max !== w || r.s32min !== (w | 0) || r.s32max !== (w | 0)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- zero extension and coercion

function reg32BoundS64(a: number): boolean {
  return a >= 0 && a <= S32_MAX;
}

/** __reg_assign_32_into_64. */
function regAssign32Into64(r: MutReg): void {
  r.umin = BigInt(r.u32min);
  r.umax = BigInt(r.u32max);
  if (reg32BoundS64(r.s32min) && reg32BoundS64(r.s32max)) {
    r.smin = BigInt(r.s32min);
    r.smax = BigInt(r.s32max);
  } else {
    r.smin = 0n;
    r.smax = BigInt(U32_MAX);
  }
}

/** zext_32_to_64: an ALU32 result's upper half is zero. */
export function zext32To64(r: MutReg): void {
  r.varOff = tnumSubreg(r.varOff);
  regAssign32Into64(r);
}

/** coerce_reg_to_size: the value of a zero-extending load or truncation of `size` bytes. */
export function coerceRegToSize(r: MutReg, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  const notMask = U64 ^ mask;
  if ((r.umin & notMask) === (r.umax & notMask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) markReg32Unbounded(r);
  regBoundsSync(r);
}

function sext(v: bigint, size: number): bigint {
  return BigInt.asIntN(size * 8, v);
}

/** coerce_reg_to_size_sx: sign-extending load / movsx of `size` bytes into 64 bits. */
export function coerceRegToSizeSx(r: MutReg, size: number): void {
  const bits = BigInt(size * 8);
  if (tnumIsConst(r.varOff)) {
    const v = u64(sext(r.varOff.value, size));
    r.varOff = tnumConst(v);
    r.smin = r.smax = s64(v);
    r.umin = r.umax = v;
    r.s32min = r.s32max = lo32(v) | 0;
    r.u32min = r.u32max = lo32(v);
    return;
  }
  const topMax = (u64(r.smax) >> bits) << bits;
  const topMin = (u64(r.smin) >> bits) << bits;
  if (topMax === topMin) {
    const a = sext(r.smax, size), b = sext(r.smin, size);
    const sMax = maxB(a, b), sMin = minB(a, b);
    if ((sMax >= 0n) === (sMin >= 0n)) {
      r.smin = sMin; r.s32min = s32of(sMin);
      r.smax = sMax; r.s32max = s32of(sMax);
      r.umin = u64(sMin); r.u32min = lo32(u64(sMin));
      r.umax = u64(sMax); r.u32max = lo32(u64(sMax));
      r.varOff = tnumRange(u64(sMin), u64(sMax));
      return;
    }
  }
  // set_sext64_default_val
  const lim = size === 1 ? 0x80 : size === 2 ? 0x8000 : 0x80000000;
  r.smin = BigInt(-lim); r.s32min = -lim;
  r.smax = BigInt(lim - 1); r.s32max = lim - 1;
  r.umin = 0n; r.u32min = 0;
  r.umax = U64; r.u32max = U32_MAX;
  r.varOff = TNUM_UNKNOWN;
}

/** coerce_subreg_to_size_sx: 32-bit movsx of `size` (1 or 2) bytes. */
export function coerceSubregToSizeSx(r: MutReg, size: number): void {
  const bits = size * 8;
  if (tnumIsConst(r.varOff)) {
    const v = u64(sext(r.varOff.value, size));
    r.varOff = tnumConst(v);
    r.s32min = r.s32max = lo32(v) | 0;
    r.u32min = r.u32max = lo32(v);
    return;
  }
  const topMax = ((r.s32max >>> 0) >>> bits) << bits >>> 0;
  const topMin = ((r.s32min >>> 0) >>> bits) << bits >>> 0;
  if (topMax === topMin) {
    const sh = 32 - bits;
    const a = (r.s32max << sh) >> sh, b = (r.s32min << sh) >> sh;
    const sMax = Math.max(a, b), sMin = Math.min(a, b);
    if ((sMin >= 0) === (sMax >= 0)) {
      r.s32min = sMin; r.s32max = sMax;
      r.u32min = sMin >>> 0; r.u32max = sMax >>> 0;
      r.varOff = tnumSubreg(tnumRange(u64(BigInt(sMin)), u64(BigInt(sMax))));
      return;
    }
  }
  const lim = size === 1 ? 0x80 : 0x8000;
  r.s32min = -lim; r.s32max = lim - 1;
  r.u32min = 0; r.u32max = U32_MAX;
  r.varOff = tnumSubreg(TNUM_UNKNOWN);
}

// ---------------------------------------------------------------- the abstract ALU

function addOvfS64(a: bigint, b: bigint): [bigint, boolean] {
  const r = a + b;
  return [s64(r), r < S64_MIN || r > S64_MAX];
}
function subOvfS64(a: bigint, b: bigint): [bigint, boolean] {
  const r = a - b;
  return [s64(r), r < S64_MIN || r > S64_MAX];
}
function mulOvfS64(a: bigint, b: bigint): [bigint, boolean] {
  const r = a * b;
  return [s64(r), r < S64_MIN || r > S64_MAX];
}
function addOvfS32(a: number, b: number): [number, boolean] {
  const r = a + b;
  return [r | 0, r < S32_MIN || r > S32_MAX];
}
function subOvfS32(a: number, b: number): [number, boolean] {
  const r = a - b;
  return [r | 0, r < S32_MIN || r > S32_MAX];
}

function scalar32Add(d: MutReg, s: Reg): void {
  const [a, oa] = addOvfS32(d.s32min, s.s32min);
  const [b, ob] = oa ? [0, true] : addOvfS32(d.s32max, s.s32max);
  if (oa || ob) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = a; d.s32max = b; }
  const umin = d.u32min + s.u32min, umax = d.u32max + s.u32max;
  const minO = umin > U32_MAX, maxO = umax > U32_MAX;
  if (!minO && maxO) { d.u32min = 0; d.u32max = U32_MAX; } else { d.u32min = umin >>> 0; d.u32max = umax >>> 0; }
}

function scalarAdd(d: MutReg, s: Reg): void {
  const [a, oa] = addOvfS64(d.smin, s.smin);
  const [b, ob] = oa ? [0n, true] : addOvfS64(d.smax, s.smax);
  if (oa || ob) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = a; d.smax = b; }
  const umin = d.umin + s.umin, umax = d.umax + s.umax;
  const minO = umin > U64, maxO = umax > U64;
  if (!minO && maxO) { d.umin = 0n; d.umax = U64; } else { d.umin = u64(umin); d.umax = u64(umax); }
}

function scalar32Sub(d: MutReg, s: Reg): void {
  const [a, oa] = subOvfS32(d.s32min, s.s32max);
  const [b, ob] = oa ? [0, true] : subOvfS32(d.s32max, s.s32min);
  if (oa || ob) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = a; d.s32max = b; }
  const umin = d.u32min - s.u32max, umax = d.u32max - s.u32min;
  const minU = umin < 0, maxU = umax < 0;
  if (minU && !maxU) { d.u32min = 0; d.u32max = U32_MAX; } else { d.u32min = umin >>> 0; d.u32max = umax >>> 0; }
}

function scalarSub(d: MutReg, s: Reg): void {
  const [a, oa] = subOvfS64(d.smin, s.smax);
  const [b, ob] = oa ? [0n, true] : subOvfS64(d.smax, s.smin);
  if (oa || ob) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = a; d.smax = b; }
  const umin = d.umin - s.umax, umax = d.umax - s.umin;
  const minU = umin < 0n, maxU = umax < 0n;
  if (minU && !maxU) { d.umin = 0n; d.umax = U64; } else { d.umin = u64(umin); d.umax = u64(umax); }
}

function scalar32Mul(d: MutReg, s: Reg): void {
  const umax = d.u32max * s.u32max, umin = d.u32min * s.u32min;
  if (umax > U32_MAX || umin > U32_MAX) { d.u32min = 0; d.u32max = U32_MAX; } else { d.u32min = umin; d.u32max = umax; }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.some((x) => x < S32_MIN || x > S32_MAX)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else {
    d.s32min = Math.min(...p); d.s32max = Math.max(...p);
  }
}

function scalarMul(d: MutReg, s: Reg): void {
  const umax = d.umax * s.umax, umin = d.umin * s.umin;
  if (umax > U64 || umin > U64) { d.umin = 0n; d.umax = U64; } else { d.umin = umin; d.umax = umax; }
  const p: bigint[] = [];
  let ovf = false;
  for (const [a, b] of [[d.smin, s.smin], [d.smin, s.smax], [d.smax, s.smin], [d.smax, s.smax]] as const) {
    const [v, o] = mulOvfS64(a, b);
    if (o) { ovf = true; break; }
    p.push(v);
  }
  if (ovf) { d.smin = S64_MIN; d.smax = S64_MAX; } else {
    d.smin = p.reduce(minB); d.smax = p.reduce(maxB);
  }
}

function mark32Known(d: MutReg, v: number): void {
  d.varOff = tnumConstSubreg(d.varOff, BigInt(v >>> 0));
  d.s32min = d.s32max = v | 0;
  d.u32min = d.u32max = v >>> 0;
}

function s32FromU32Bounds(d: MutReg): void {
  if ((d.u32min | 0) <= (d.u32max | 0)) { d.s32min = d.u32min | 0; d.s32max = d.u32max | 0; } else {
    d.s32min = S32_MIN; d.s32max = S32_MAX;
  }
}

function s64FromU64Bounds(d: MutReg): void {
  if (s64(d.umin) <= s64(d.umax)) { d.smin = s64(d.umin); d.smax = s64(d.umax); } else {
    d.smin = S64_MIN; d.smax = S64_MAX;
  }
}

function scalar32And(d: MutReg, s: Reg): void {
  const v32 = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) { mark32Known(d, Number(v32.value)); return; }
  d.u32min = Number(v32.value);
  d.u32max = Math.min(d.u32max, s.u32max);
  s32FromU32Bounds(d);
}

function scalarAnd(d: MutReg, s: Reg): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) { setKnown(d, d.varOff.value); return; }
  d.umin = d.varOff.value;
  d.umax = minB(d.umax, s.umax);
  s64FromU64Bounds(d);
  updateRegBounds(d);
}

function scalar32Or(d: MutReg, s: Reg): void {
  const v32 = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) { mark32Known(d, Number(v32.value)); return; }
  d.u32min = Math.max(d.u32min, s.u32min);
  d.u32max = Number(v32.value | v32.mask);
  s32FromU32Bounds(d);
}

function scalarOr(d: MutReg, s: Reg): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) { setKnown(d, d.varOff.value); return; }
  d.umin = maxB(d.umin, s.umin);
  d.umax = d.varOff.value | d.varOff.mask;
  s64FromU64Bounds(d);
  updateRegBounds(d);
}

function scalar32Xor(d: MutReg, s: Reg): void {
  const v32 = tnumSubreg(d.varOff);
  if (tnumSubregIsConst(s.varOff) && tnumSubregIsConst(d.varOff)) { mark32Known(d, Number(v32.value)); return; }
  d.u32min = Number(v32.value);
  d.u32max = Number(v32.value | v32.mask);
  s32FromU32Bounds(d);
}

function scalarXor(d: MutReg, s: Reg): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) { setKnown(d, d.varOff.value); return; }
  d.umin = d.varOff.value;
  d.umax = d.varOff.value | d.varOff.mask;
  s64FromU64Bounds(d);
  updateRegBounds(d);
}

function scalar32LshBounds(d: MutReg, uminVal: number, umaxVal: number): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umaxVal > 31 || d.u32max > 2 ** (31 - umaxVal)) { d.u32min = 0; d.u32max = U32_MAX; } else {
    d.u32min = d.u32min * 2 ** uminVal;
    d.u32max = d.u32max * 2 ** umaxVal;
  }
}

function scalar64LshBounds(d: MutReg, uminVal: number, umaxVal: number): void {
  d.smax = uminVal === 32 && umaxVal === 32 && d.s32max >= 0 ? BigInt(d.s32max) << 32n : S64_MAX;
  d.smin = uminVal === 32 && umaxVal === 32 && d.s32min >= 0 ? BigInt(d.s32min) << 32n : S64_MIN;
  if (d.umax > 1n << BigInt(63 - umaxVal)) { d.umin = 0n; d.umax = U64; } else {
    d.umin = u64(d.umin << BigInt(uminVal));
    d.umax = u64(d.umax << BigInt(umaxVal));
  }
}

function scalar32Lsh(d: MutReg, s: Reg): void {
  const sub = tnumSubreg(d.varOff);
  scalar32LshBounds(d, s.u32min, s.u32max);
  d.varOff = tnumSubreg(tnumLshift(sub, s.u32min));
  markReg64Unbounded(d);
  updateReg32Bounds(d);
}

function scalarLsh(d: MutReg, s: Reg): void {
  const umin = Number(s.umin), umax = Number(s.umax);
  scalar64LshBounds(d, umin, umax);
  scalar32LshBounds(d, umin, umax);
  d.varOff = tnumLshift(d.varOff, umin);
  updateRegBounds(d);
}

function scalar32Rsh(d: MutReg, s: Reg): void {
  const sub = tnumSubreg(d.varOff);
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  d.varOff = tnumRshift(sub, s.u32min);
  d.u32min = d.u32min >>> s.u32max;
  d.u32max = d.u32max >>> s.u32min;
  markReg64Unbounded(d);
  updateReg32Bounds(d);
}

function scalarRsh(d: MutReg, s: Reg): void {
  const umin = s.umin, umax = s.umax;
  d.smin = S64_MIN;
  d.smax = S64_MAX;
  d.varOff = tnumRshift(d.varOff, Number(umin));
  d.umin = d.umin >> umax;
  d.umax = d.umax >> umin;
  markReg32Unbounded(d);
  updateRegBounds(d);
}

function scalar32Arsh(d: MutReg, s: Reg): void {
  const sh = s.u32min;
  d.s32min = d.s32min >> sh;
  d.s32max = d.s32max >> sh;
  d.varOff = tnumArshift(tnumSubreg(d.varOff), sh, 32);
  d.u32min = 0;
  d.u32max = U32_MAX;
  markReg64Unbounded(d);
  updateReg32Bounds(d);
}

function scalarArsh(d: MutReg, s: Reg): void {
  const sh = s.umin;
  d.smin = d.smin >> sh;
  d.smax = d.smax >> sh;
  d.varOff = tnumArshift(d.varOff, Number(sh), 64);
  d.umin = 0n;
  d.umax = U64;
  markReg32Unbounded(d);
  updateRegBounds(d);
}

/** is_safe_to_compute_dst_reg_range: shifts are tracked only by a known in-range amount. */
function safeToCompute(op: AluName, s: Reg, alu32: boolean): boolean {
  switch (op) {
    case 'add': case 'sub': case 'and': case 'xor': case 'or': case 'mul':
      return true;
    case 'lsh': case 'rsh': case 'arsh': {
      const bitness = alu32 ? 32 : 64;
      const srcConst = alu32
        ? tnumSubregIsConst(s.varOff) && s.s32min === s.s32max && s.u32min === s.u32max
        : tnumIsConst(s.varOff) && s.smin === s.smax && s.umin === s.umax;
      return srcConst && s.umax < BigInt(bitness);
    }
    default:
      return false;
  }
}

/**
 * adjust_scalar_min_max_vals: dst = dst <op> src for two scalars (src may be the fake register of
 * an immediate). Division and modulo are not tracked (the result is unknown), as in Linux 6.18.
 */
export function adjustScalar(d: MutReg, s: Reg, op: AluName, alu32: boolean): void {
  if (d.varOff.mask === 0n && s.varOff.mask === 0n && constFold(d, s.varOff.value, op, alu32)) return;
  if (!safeToCompute(op, s, alu32)) {
    markUnknownBounds(d);
    return;
  }
  switch (op) {
    case 'add':
      scalar32Add(d, s); scalarAdd(d, s);
      d.varOff = tnumAdd(d.varOff, s.varOff);
      break;
    case 'sub':
      scalar32Sub(d, s); scalarSub(d, s);
      d.varOff = tnumSub(d.varOff, s.varOff);
      break;
    case 'mul':
      d.varOff = tnumMul(d.varOff, s.varOff);
      scalar32Mul(d, s); scalarMul(d, s);
      break;
    case 'and':
      d.varOff = tnumAnd(d.varOff, s.varOff);
      scalar32And(d, s); scalarAnd(d, s);
      break;
    case 'or':
      d.varOff = tnumOr(d.varOff, s.varOff);
      scalar32Or(d, s); scalarOr(d, s);
      break;
    case 'xor':
      d.varOff = tnumXor(d.varOff, s.varOff);
      scalar32Xor(d, s); scalarXor(d, s);
      break;
    case 'lsh':
      if (alu32) scalar32Lsh(d, s); else scalarLsh(d, s);
      break;
    case 'rsh':
      if (alu32) scalar32Rsh(d, s); else scalarRsh(d, s);
      break;
    case 'arsh':
      if (alu32) scalar32Arsh(d, s); else scalarArsh(d, s);
      break;
    default:
      markUnknownBounds(d);
      return;
  }
  if (alu32) zext32To64(d);
  regBoundsSync(d);
}

/**
 * Operations on two constants: Linux's tnum arithmetic is exact on constants and reg_bounds_sync
 * then pins every bound to the value, so the result is simply the constant. Returns false for
 * operations whose result Linux does not track (division, modulo, out-of-range shifts).
 */
function constFold(d: MutReg, b: bigint, op: AluName, alu32: boolean): boolean {
  const a = d.varOff.value;
  let r: bigint;
  if (alu32) {
    const a32 = a & U32, b32 = b & U32;
    switch (op) {
      case 'add': r = a32 + b32; break;
      case 'sub': r = a32 - b32; break;
      case 'mul': r = a32 * b32; break;
      case 'and': r = a32 & b32; break;
      case 'or': r = a32 | b32; break;
      case 'xor': r = a32 ^ b32; break;
      case 'lsh': if (b >= 32n) return false; r = a32 << b; break;
      case 'rsh': if (b >= 32n) return false; r = a32 >> b; break;
      case 'arsh': if (b >= 32n) return false; r = BigInt.asIntN(32, a32) >> b; break;
      default: return false;
    }
    setKnown(d, r & U32);
    return true;
  }
  switch (op) {
    case 'add': r = a + b; break;
    case 'sub': r = a - b; break;
    case 'mul': r = a * b; break;
    case 'and': r = a & b; break;
    case 'or': r = a | b; break;
    case 'xor': r = a ^ b; break;
    case 'lsh': if (b >= 64n) return false; r = a << b; break;
    case 'rsh': if (b >= 64n) return false; r = a >> b; break;
    case 'arsh': if (b >= 64n) return false; r = s64(a) >> b; break;
    default: return false;
  }
  setKnown(d, u64(r));
  return true;
}

/** BPF_NEG on a scalar (Linux tracks it as 0 - dst). */
export function negScalar(d: MutReg, alu32: boolean): void {
  const old: Reg = mutable(d);
  setKnown(d, 0n);
  scalar32Sub(d, old);
  scalarSub(d, old);
  d.varOff = tnumNeg(old.varOff);
  if (alu32) zext32To64(d);
  regBoundsSync(d);
}

/**
 * BPF_END on a scalar: the byte swap (or, for to-le on a little-endian host, the truncation) is
 * exact on the tnum; bounds are re-derived from it.
 */
export function byteSwapScalar(d: MutReg, bits: 16 | 32 | 64, swap: boolean): void {
  const bytes = (bits / 8) as 2 | 4 | 8;
  d.varOff = swap ? tnumBswap(d.varOff, bytes) : tnumCast(d.varOff, bytes);
  markRegUnbounded(d);
  regBoundsSync(d);
}

// ---------------------------------------------------------------- conditional jumps

export type CondOp = JmpName | 'jset_not';

/** flip_opcode: the operation with its operands swapped. */
export function flipOp(op: CondOp): CondOp {
  switch (op) {
    case 'jgt': return 'jlt';
    case 'jlt': return 'jgt';
    case 'jge': return 'jle';
    case 'jle': return 'jge';
    case 'jsgt': return 'jslt';
    case 'jslt': return 'jsgt';
    case 'jsge': return 'jsle';
    case 'jsle': return 'jsge';
    default: return op;
  }
}

/** rev_opcode: the condition of the fall-through branch. */
export function revOp(op: CondOp): CondOp {
  switch (op) {
    case 'jeq': return 'jne';
    case 'jne': return 'jeq';
    case 'jset': return 'jset_not';
    case 'jset_not': return 'jset';
    case 'jgt': return 'jle';
    case 'jle': return 'jgt';
    case 'jge': return 'jlt';
    case 'jlt': return 'jge';
    case 'jsgt': return 'jsle';
    case 'jsle': return 'jsgt';
    case 'jsge': return 'jslt';
    case 'jslt': return 'jsge';
  }
}

export function isRegConst(r: Reg, jmp32: boolean): boolean {
  return jmp32 ? tnumSubregIsConst(r.varOff) : tnumIsConst(r.varOff);
}

export function regConstValue(r: Reg, jmp32: boolean): bigint {
  return jmp32 ? r.varOff.value & U32 : r.varOff.value;
}

/** is_scalar_branch_taken: 1 always, 0 never, -1 unknown. */
export function isScalarBranchTaken(r1: Reg, r2: Reg, op: CondOp, jmp32: boolean): number {
  const t1 = jmp32 ? tnumSubreg(r1.varOff) : r1.varOff;
  const t2 = jmp32 ? tnumSubreg(r2.varOff) : r2.varOff;
  const umin1 = jmp32 ? BigInt(r1.u32min) : r1.umin, umax1 = jmp32 ? BigInt(r1.u32max) : r1.umax;
  const smin1 = jmp32 ? BigInt(r1.s32min) : r1.smin, smax1 = jmp32 ? BigInt(r1.s32max) : r1.smax;
  const umin2 = jmp32 ? BigInt(r2.u32min) : r2.umin, umax2 = jmp32 ? BigInt(r2.u32max) : r2.umax;
  const smin2 = jmp32 ? BigInt(r2.s32min) : r2.smin, smax2 = jmp32 ? BigInt(r2.s32max) : r2.smax;
  switch (op) {
    case 'jeq':
    case 'jne': {
      const eq = op === 'jeq';
      if (t1.mask === 0n && t2.mask === 0n) return (t1.value === t2.value) === eq ? 1 : 0;
      // tnum_overlap: a bit known to differ makes the values unequal.
      const mu = t1.mask | t2.mask;
      if ((t1.value & ~mu) !== (t2.value & ~mu)) return eq ? 0 : 1;
      if (umin1 > umax2 || umax1 < umin2) return eq ? 0 : 1;
      if (smin1 > smax2 || smax1 < smin2) return eq ? 0 : 1;
      if (!jmp32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return eq ? 0 : 1;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return eq ? 0 : 1;
      }
      return -1;
    }
    case 'jset': {
      let a = t1, b = r2;
      if (!isRegConst(r2, jmp32)) { a = t2; b = r1; }
      if (!isRegConst(b, jmp32)) return -1;
      const bv = jmp32 ? tnumSubreg(b.varOff).value : b.varOff.value;
      if ((~a.mask & a.value & bv) !== 0n) return 1;
      if (((a.mask | a.value) & bv) === 0n) return 0;
      return -1;
    }
    case 'jgt': return umin1 > umax2 ? 1 : umax1 <= umin2 ? 0 : -1;
    case 'jsgt': return smin1 > smax2 ? 1 : smax1 <= smin2 ? 0 : -1;
    case 'jlt': return umax1 < umin2 ? 1 : umin1 >= umax2 ? 0 : -1;
    case 'jslt': return smax1 < smin2 ? 1 : smin1 >= smax2 ? 0 : -1;
    case 'jge': return umin1 >= umax2 ? 1 : umax1 < umin2 ? 0 : -1;
    case 'jsge': return smin1 >= smax2 ? 1 : smax1 < smin2 ? 0 : -1;
    case 'jle': return umax1 <= umin2 ? 1 : umin1 > umax2 ? 0 : -1;
    case 'jsle': return smax1 <= smin2 ? 1 : smin1 > smax2 ? 0 : -1;
    default: return -1;
  }
}

/**
 * regs_refine_cond_op: narrow two scalars given that `r1 <op> r2` holds. Both are mutated; a
 * constant operand (the fake register of an immediate) may be narrowed too, harmlessly.
 */
export function refineCondOp(r1: MutReg, r2: MutReg, op: CondOp, jmp32: boolean): void {
  if (op === 'jge' || op === 'jgt' || op === 'jsge' || op === 'jsgt') {
    [r1, r2] = [r2, r1];
    op = flipOp(op);
  }
  switch (op) {
    case 'jeq': {
      if (jmp32) {
        r1.u32min = Math.max(r1.u32min, r2.u32min);
        r1.u32max = Math.min(r1.u32max, r2.u32max);
        r1.s32min = Math.max(r1.s32min, r2.s32min);
        r1.s32max = Math.min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = maxB(r1.umin, r2.umin);
        r1.umax = minB(r1.umax, r2.umax);
        r1.smin = maxB(r1.smin, r2.smin);
        r1.smax = minB(r1.smax, r2.smax);
        r2.umin = r1.umin; r2.umax = r1.umax; r2.smin = r1.smin; r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    }
    case 'jne': {
      if (!isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, jmp32)) break;
      const val = regConstValue(r2, jmp32);
      if (jmp32) {
        const v = Number(val);
        if (r1.u32min === v) r1.u32min++;
        if (r1.u32max === v) r1.u32max--;
        if (r1.s32min === (v | 0)) r1.s32min++;
        if (r1.s32max === (v | 0)) r1.s32max--;
      } else {
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax--;
        if (r1.smin === s64(val)) r1.smin++;
        if (r1.smax === s64(val)) r1.smax--;
      }
      break;
    }
    case 'jset': {
      if (!isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, jmp32)) break;
      const val = regConstValue(r2, jmp32);
      // Only a single-bit mask tells which bit is set.
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      if (jmp32) r1.varOff = tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(val)));
      else r1.varOff = tnumOr(r1.varOff, tnumConst(val));
      break;
    }
    case 'jset_not': {
      if (!isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
      if (!isRegConst(r2, jmp32)) break;
      const val = regConstValue(r2, jmp32);
      markRegUnbounded(r1);
      if (jmp32) r1.varOff = tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(~val & U64)));
      else r1.varOff = tnumAnd(r1.varOff, tnumConst(~val & U64));
      break;
    }
    case 'jle':
      if (jmp32) {
        r1.u32max = Math.min(r1.u32max, r2.u32max);
        r2.u32min = Math.max(r1.u32min, r2.u32min);
      } else {
        r1.umax = minB(r1.umax, r2.umax);
        r2.umin = maxB(r1.umin, r2.umin);
      }
      break;
    case 'jlt':
      if (jmp32) {
        r1.u32max = Math.min(r1.u32max, (r2.u32max - 1) >>> 0);
        r2.u32min = Math.max((r1.u32min + 1) >>> 0, r2.u32min);
      } else {
        r1.umax = minB(r1.umax, u64(r2.umax - 1n));
        r2.umin = maxB(u64(r1.umin + 1n), r2.umin);
      }
      break;
    case 'jsle':
      if (jmp32) {
        r1.s32max = Math.min(r1.s32max, r2.s32max);
        r2.s32min = Math.max(r1.s32min, r2.s32min);
      } else {
        r1.smax = minB(r1.smax, r2.smax);
        r2.smin = maxB(r1.smin, r2.smin);
      }
      break;
    case 'jslt':
      if (jmp32) {
        r1.s32max = Math.min(r1.s32max, (r2.s32max - 1) | 0);
        r2.s32min = Math.max((r1.s32min + 1) | 0, r2.s32min);
      } else {
        r1.smax = minB(r1.smax, s64(r2.smax - 1n));
        r2.smin = maxB(s64(r1.smin + 1n), r2.smin);
      }
      break;
    default:
      break;
  }
}

export { tnumIsConst, type Tnum };
