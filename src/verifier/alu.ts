/**
 * Register operands and the ALU (Linux check_reg_arg, check_alu_op, adjust_reg_min_max_vals,
 * adjust_ptr_min_max_vals): which registers an instruction may read or write, the rules of pointer
 * arithmetic (what may be added to which pointer, forbidden operators, offset limits), and the
 * abstract result of every ALU operation.
 */
import { ERRNO } from '../errno.js';
import { BPF_ALU64, BPF_REG_FP, MAX_BPF_REG } from '../isa/constants.js';
import type { AluName } from '../isa/ops.js';
import { assignScalarIdBeforeMov, isPointerValue, unknownFor } from './access.js';
import { curRegs, setReg, type Env } from './context.js';
import { fail } from './errors.js';
import { BPF_MAX_VAR_OFF } from './ldimm64.js';
import {
  boundsSane, byteSwapScalar, coerceRegToSizeSx, coerceSubregToSizeSx, markReg32Unbounded,
  markUnknownBounds, negScalar, regBoundsSync, zext32To64,
} from './ranges.js';
import {
  BPF_ADD_CONST, NOT_INIT, PTR_MAYBE_NULL, S64_MAX, S64_MIN, knownScalar, knownScalarImm, mutable, regStr, regWidth,
  type MutReg, type Reg,
} from './regs.js';
import { U64, tnumAdd, tnumIsConst, tnumSub } from './tnum.js';

export type RegArg = 'src' | 'dst' | 'dst_no_mark';

/** check_reg_arg. */
export function checkRegArg(env: Env, regno: number, t: RegArg): void {
  if (regno >= MAX_BPF_REG) fail(env.log, ERRNO.EINVAL, `R${regno} is invalid\n`);
  env.scratch.reg(regno);
  const regs = curRegs(env);
  if (t === 'src') {
    if (regs[regno].type === 'not_init') fail(env.log, ERRNO.EACCES, `R${regno} !read_ok\n`);
    return;
  }
  if (regno === BPF_REG_FP) fail(env.log, ERRNO.EACCES, 'frame pointer is read only\n');
  if (t === 'dst') regs[regno] = unknownFor(env);
}

const ALU_STR: Record<AluName, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: '/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  mod: '%=', smod: '%=', xor: '^=', mov: '=', arsh: 's>>=',
};

const OPS: readonly (AluName | 'neg' | 'end' | null)[] = [
  'add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'xor', 'mov', 'arsh', 'end',
];

const MAX_VAR_OFF = BigInt(BPF_MAX_VAR_OFF);

/** check_reg_sane_offset. */
function checkRegSaneOffset(env: Env, reg: Reg, ptrStr: string): void {
  const known = tnumIsConst(reg.varOff);
  const lim = MAX_VAR_OFF;
  const val = known ? BigInt.asIntN(64, reg.varOff.value) : 0n;
  if (known && (val >= lim || val <= -lim)) {
    fail(env.log, ERRNO.EINVAL, `math between ${ptrStr} pointer and ${val} is not allowed\n`);
  }
  if (reg.off >= BPF_MAX_VAR_OFF || reg.off <= -BPF_MAX_VAR_OFF) {
    fail(env.log, ERRNO.EINVAL, `${ptrStr} pointer offset ${reg.off} is not allowed\n`);
  }
  if (reg.smin === S64_MIN) {
    fail(env.log, ERRNO.EINVAL, `math between ${ptrStr} pointer and register with unbounded min value is not allowed\n`);
  }
  if (reg.smin >= lim || reg.smin <= -lim) {
    fail(env.log, ERRNO.EINVAL, `value ${reg.smin} makes ${ptrStr} pointer be out of bounds\n`);
  }
}

/** Offsets below this add to a pointer's int offset exactly as numbers. */
const SMALL = 1n << 40n;

function addOvf(a: bigint, b: bigint, lo: bigint, hi: bigint): bigint | null {
  const r = a + b;
  return r < lo || r > hi ? null : r;
}

/** adjust_ptr_min_max_vals: dst = ptr <op> offset. */
function adjustPtr(env: Env, dstno: number, op: AluName, alu64: boolean, ptr: Reg, offReg: Reg, offIsDst: boolean): void {
  const known = tnumIsConst(offReg.varOff);
  if ((known && (offReg.smin !== offReg.smax || offReg.umin !== offReg.umax)) || offReg.smin > offReg.smax ||
      offReg.umin > offReg.umax) {
    setReg(env, dstno, unknownFor(env));
    return;
  }
  if (!alu64) {
    if (op === 'sub' && env.allowPtrLeaks) { setReg(env, dstno, unknownFor(env)); return; }
    fail(env.log, ERRNO.EACCES, `R${dstno} 32-bit pointer arithmetic prohibited\n`);
  }
  if ((ptr.flags & PTR_MAYBE_NULL) !== 0) {
    fail(env.log, ERRNO.EACCES, `R${dstno} pointer arithmetic on ${regStr(ptr)} prohibited, null-check it first\n`);
  }
  switch (ptr.type) {
    case 'ctx': case 'map_value': case 'map_key': case 'fp': case 'pkt_meta': case 'pkt': case 'mem': case 'func':
      break;
    case 'map_ptr':
      if (known && offReg.smin === 0n && op === 'add') break;
      fail(env.log, ERRNO.EACCES, `R${dstno} pointer arithmetic on ${regStr(ptr)} prohibited\n`);
      break;
    default:
      fail(env.log, ERRNO.EACCES, `R${dstno} pointer arithmetic on ${regStr(ptr)} prohibited\n`);
  }
  const ptrStr = regStr(ptr);
  checkRegSaneOffset(env, offReg, ptrStr);
  checkRegSaneOffset(env, ptr, ptrStr);
  const d: MutReg = mutable(ptr);
  d.precise = false;
  markReg32Unbounded(d);
  const sminVal = offReg.smin, smaxVal = offReg.smax, uminVal = offReg.umin, umaxVal = offReg.umax;
  switch (op) {
    case 'add': {
      // A known offset folds into the fixed one when the sum is an int. With |smin| > 2^40 it
      // cannot be (ptr.off is an int); otherwise the sum is exact as a number.
      const sum = sminVal >= -SMALL && sminVal <= SMALL ? ptr.off + Number(sminVal) : null;
      if (known && sum !== null && sum === (sum | 0)) {
        d.off = sum;
        break;
      }
      const smin = addOvf(ptr.smin, sminVal, S64_MIN, S64_MAX), smax = addOvf(ptr.smax, smaxVal, S64_MIN, S64_MAX);
      if (smin === null || smax === null) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = smin; d.smax = smax; }
      const umin = addOvf(ptr.umin, uminVal, 0n, U64), umax = addOvf(ptr.umax, umaxVal, 0n, U64);
      if (umin === null || umax === null) { d.umin = 0n; d.umax = U64; } else { d.umin = umin; d.umax = umax; }
      d.varOff = tnumAdd(ptr.varOff, offReg.varOff);
      if (ptr.type === 'pkt' || ptr.type === 'pkt_meta') { d.id = ++env.idGen; d.range = 0; }
      break;
    }
    case 'sub': {
      if (offIsDst) fail(env.log, ERRNO.EACCES, `R${dstno} tried to subtract pointer from scalar\n`);
      if (ptr.type === 'fp') fail(env.log, ERRNO.EACCES, `R${dstno} subtraction from stack pointer prohibited\n`);
      const diff = BigInt(ptr.off) - sminVal;
      if (known && diff === BigInt.asIntN(32, diff)) {
        d.off = Number(diff);
        break;
      }
      const smin = addOvf(ptr.smin, -smaxVal, S64_MIN, S64_MAX), smax = addOvf(ptr.smax, -sminVal, S64_MIN, S64_MAX);
      if (smin === null || smax === null) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = smin; d.smax = smax; }
      if (ptr.umin < umaxVal) { d.umin = 0n; d.umax = U64; } else { d.umin = ptr.umin - umaxVal; d.umax = ptr.umax - uminVal; }
      d.varOff = tnumSub(ptr.varOff, offReg.varOff);
      if (ptr.type === 'pkt' || ptr.type === 'pkt_meta') {
        d.id = ++env.idGen;
        if (sminVal < 0n) d.range = 0;
      }
      break;
    }
    case 'and': case 'or': case 'xor':
      fail(env.log, ERRNO.EACCES, `R${dstno} bitwise operator ${ALU_STR[op]} on pointer prohibited\n`);
      break;
    default:
      fail(env.log, ERRNO.EACCES, `R${dstno} pointer arithmetic with ${ALU_STR[op]} operator prohibited\n`);
  }
  checkRegSaneOffset(env, d, ptrStr);
  regBoundsSync(d);
  setReg(env, dstno, d);
}

/**
 * adjust_reg_min_max_vals. Returns true when the result is a scalar whose bounds were already
 * sanity-checked (reg_bounds_sanity_check), false when the caller must check them.
 */
function adjustRegMinMax(env: Env, i: number, op: AluName, alu64: boolean, srcX: boolean): boolean {
  const p = env.prog;
  const dstno = p.dst[i];
  const regs = curRegs(env);
  const dst = regs[dstno];
  const ptr = dst.type !== 'scalar' ? dst : null;
  let src: Reg;
  if (srcX) {
    src = regs[p.src[i]];
    if (src.type !== 'scalar') {
      if (dst.type !== 'scalar') {
        if (op === 'sub' && env.allowPtrLeaks) { setReg(env, dstno, unknownFor(env)); return false; }
        fail(env.log, ERRNO.EACCES, `R${dstno} pointer ${ALU_STR[op]} pointer prohibited\n`);
      }
      env.markPrecise(dstno);
      adjustPtr(env, dstno, op, alu64, src, curRegs(env)[dstno], true);
      return false;
    }
    if (ptr !== null) {
      env.markPrecise(p.src[i]);
      adjustPtr(env, dstno, op, alu64, ptr, curRegs(env)[p.src[i]], false);
      return false;
    }
    if (dst.precise) env.markPrecise(p.src[i]);
    src = curRegs(env)[p.src[i]];
  } else {
    src = knownScalarImm(p.imm[i]);
    if (ptr !== null) { adjustPtr(env, dstno, op, alu64, ptr, src, false); return false; }
  }
  const before = curRegs(env)[dstno];
  // The result, unlinked (id = off = 0), its bounds sanity-checked.
  const r = env.scalarMemo.aluResult(i, before, src, op, !alu64);
  // Remember `rX = rY + K` so a later bounds check on rY also bounds rX (linked registers).
  if (env.bpfCapable && op === 'add' && alu64 && before.id !== 0 && tnumIsConst(src.varOff) &&
      (before.id & BPF_ADD_CONST) === 0 && src.varOff.value <= 0x7fffffffn) {
    const d = mutable(r);
    d.id = (before.id | BPF_ADD_CONST) >>> 0;
    d.off = Number(src.varOff.value);
    setReg(env, dstno, d);
    return true;
  }
  setReg(env, dstno, r);
  return true;
}

/** check_alu_op. */
export function checkAluOp(env: Env, i: number): void {
  const p = env.prog;
  const code = p.code[i];
  const opIdx = code >> 4;
  const opName = OPS[opIdx] ?? null;
  const alu64 = (code & 7) === BPF_ALU64;
  const srcX = (code & 0x08) !== 0;
  const dstno = p.dst[i], srcno = p.src[i], off = p.off[i], imm = p.imm[i];
  if (opName === 'neg' || opName === 'end') {
    if (opName === 'neg') {
      if (srcX || srcno !== 0 || off !== 0 || imm !== 0) fail(env.log, ERRNO.EINVAL, 'BPF_NEG uses reserved fields\n');
    } else if (srcno !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64) || (alu64 && srcX)) {
      fail(env.log, ERRNO.EINVAL, 'BPF_END uses reserved fields\n');
    }
    checkRegArg(env, dstno, 'src');
    const regs = curRegs(env);
    if (isPointerValue(env, regs[dstno])) fail(env.log, ERRNO.EACCES, `R${dstno} pointer arithmetic prohibited\n`);
    if (regs[dstno].type === 'scalar') {
      checkRegArg(env, dstno, 'dst_no_mark');
      const d = mutable(regs[dstno]);
      d.id = 0; d.off = 0;
      if (opName === 'neg') negScalar(d, !alu64);
      // to_le is a truncation on x86-64; to_be and bswap reverse the bytes.
      else byteSwapScalar(d, imm as 16 | 32 | 64, alu64 || srcX);
      setReg(env, dstno, d);
    } else {
      checkRegArg(env, dstno, 'dst');
    }
  } else if (opName === 'mov') {
    checkMov(env, i, alu64, srcX);
  } else if (opName === null) {
    fail(env.log, ERRNO.EINVAL, `invalid BPF_ALU opcode ${(code & 0xf0).toString(16)}\n`);
  } else {
    const signedVariant = off === 1 && (opName === 'mod' || opName === 'div');
    if (srcX) {
      if (imm !== 0 || (off !== 0 && off !== 1) || (off === 1 && opName !== 'mod' && opName !== 'div')) {
        fail(env.log, ERRNO.EINVAL, 'BPF_ALU uses reserved fields\n');
      }
      checkRegArg(env, srcno, 'src');
    } else if (srcno !== 0 || (off !== 0 && off !== 1) || (off === 1 && opName !== 'mod' && opName !== 'div')) {
      fail(env.log, ERRNO.EINVAL, 'BPF_ALU uses reserved fields\n');
    }
    checkRegArg(env, dstno, 'src');
    if ((opName === 'mod' || opName === 'div') && !srcX && imm === 0) fail(env.log, ERRNO.EINVAL, 'div by zero\n');
    if ((opName === 'lsh' || opName === 'rsh' || opName === 'arsh') && !srcX) {
      const size = alu64 ? 64 : 32;
      if (imm < 0 || imm >= size) fail(env.log, ERRNO.EINVAL, `invalid shift ${imm}\n`);
    }
    checkRegArg(env, dstno, 'dst_no_mark');
    const op: AluName = signedVariant ? (opName === 'div' ? 'sdiv' : 'smod') : opName;
    if (adjustRegMinMax(env, i, op, alu64, srcX)) return;
  }
  const r = curRegs(env)[dstno];
  if (r.type === 'scalar' && !boundsSane(r)) {
    // reg_bounds_sanity_check: Linux reports a verifier bug and forgets the bounds.
    const m = mutable(r);
    markUnknownBounds(m);
    setReg(env, dstno, m);
  }
}

function checkMov(env: Env, i: number, alu64: boolean, srcX: boolean): void {
  const p = env.prog;
  const dstno = p.dst[i], srcno = p.src[i], off = p.off[i], imm = p.imm[i];
  if (srcX) {
    if (!alu64) {
      if ((off !== 0 && off !== 8 && off !== 16) || imm !== 0) fail(env.log, ERRNO.EINVAL, 'BPF_MOV uses reserved fields\n');
    } else if (off === 1) {
      if (imm !== 1 && imm !== 1 << 16) {
        fail(env.log, ERRNO.EINVAL, 'addr_space_cast insn can only convert between address space 1 and 0\n');
      }
      fail(env.log, ERRNO.EINVAL, 'addr_space_cast insn can only be used in a program that has an associated arena\n');
    } else if ((off !== 0 && off !== 8 && off !== 16 && off !== 32) || imm !== 0) {
      fail(env.log, ERRNO.EINVAL, 'BPF_MOV uses reserved fields\n');
    }
    checkRegArg(env, srcno, 'src');
  } else if (srcno !== 0 || off !== 0) {
    fail(env.log, ERRNO.EINVAL, 'BPF_MOV uses reserved fields\n');
  }
  checkRegArg(env, dstno, 'dst_no_mark');
  const regs = curRegs(env);
  if (!srcX) {
    setReg(env, dstno, alu64 || imm >= 0 ? knownScalarImm(imm) : knownScalar(BigInt(imm >>> 0)));
    return;
  }
  let src = regs[srcno];
  if (alu64) {
    if (off === 0) {
      src = assignScalarIdBeforeMov(env, src);
      regs[srcno] = src;
      regs[dstno] = src;
      return;
    }
    if (isPointerValue(env, src)) fail(env.log, ERRNO.EACCES, `R${srcno} sign-extension part of pointer\n`);
    if (src.type === 'scalar') {
      const noSext = src.umax < 1n << BigInt(off - 1);
      if (noSext) { src = assignScalarIdBeforeMov(env, src); regs[srcno] = src; }
      const d = mutable(src);
      if (!noSext) d.id = 0;
      coerceRegToSizeSx(d, off >> 3);
      regs[dstno] = d;
    } else {
      regs[dstno] = unknownFor(env);
    }
    return;
  }
  if (isPointerValue(env, src)) fail(env.log, ERRNO.EACCES, `R${srcno} partial copy of pointer\n`);
  let d: MutReg;
  if (src.type === 'scalar') {
    if (off === 0) {
      const u32 = regWidth(src) <= 32;
      if (u32) { src = assignScalarIdBeforeMov(env, src); regs[srcno] = src; }
      d = mutable(src);
      if (!u32) d.id = 0;
    } else {
      const noSext = src.umax < 1n << BigInt(off - 1);
      if (noSext) { src = assignScalarIdBeforeMov(env, src); regs[srcno] = src; }
      d = mutable(src);
      if (!noSext) d.id = 0;
      coerceSubregToSizeSx(d, off >> 3);
    }
  } else {
    d = mutable(unknownFor(env));
  }
  zext32To64(d);
  regBoundsSync(d);
  regs[dstno] = d;
}

export { NOT_INIT };
