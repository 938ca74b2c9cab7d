/**
 * Per-instruction memo of the abstract ALU on scalars and of branch refinement.
 *
 * adjust_scalar_min_max_vals (adjustScalar) and reg_set_min_max (regs_refine_cond_op, then
 * reg_bounds_sync and the sanity check) are pure functions of their operands and the operation. In
 * a loop the verifier meets the same instruction over and over with equal operands (an unknown hash
 * updated with an unknown byte, a byte compared with a constant): the memo remembers, per
 * instruction, the last operands and the registers the operation made of them, and hands out those
 * same registers again instead of recomputing them. A recomputation allocates a register copy and
 * dozens of bigints; a replay compares a few fields and allocates nothing.
 *
 * Sharing the result registers is sound because registers are immutable once published (regs.ts):
 * states already share them freely. Operands are kept by reference for the same reason.
 */
import type { AluName } from '../isa/ops.js';
import {
  adjustScalar, boundsSane, markRegUnbounded, markUnknownBounds, refineCondOp, regBoundsSync, type CondOp,
} from './ranges.js';
import { NOT_INIT, mutable, sameValue, type MutReg, type Reg } from './regs.js';

/** Same in every field but the scalar link (id, off): what an ALU result inherits from its operand. */
function sameButLink(a: Reg, b: Reg): boolean {
  return a === b || (a.type === b.type && a.flags === b.flags && a.precise === b.precise && a.refObjId === b.refObjId &&
    a.map === b.map && a.range === b.range && a.memSize === b.memSize && a.frameno === b.frameno &&
    a.subprogno === b.subprogno && sameValue(a, b));
}

/** Same in every field. */
function sameReg(a: Reg, b: Reg): boolean {
  return a === b || (a.id === b.id && a.off === b.off && sameButLink(a, b));
}

class AluEntry {
  op: AluName = 'add';
  alu32 = false;
  dst: Reg = NOT_INIT;
  src: Reg = NOT_INIT;
  out: Reg = NOT_INIT;
}

/** reg_set_min_max's four results: both operands in the taken (true) and fall-through (false) states. */
export class CondEntry {
  op: CondOp = 'jeq';
  jmp32 = false;
  /** The source operand is an immediate's fake register (its results are not used). */
  imm = false;
  dst: Reg = NOT_INIT;
  src: Reg = NOT_INIT;
  trueDst: Reg = NOT_INIT;
  trueSrc: Reg = NOT_INIT;
  falseDst: Reg = NOT_INIT;
  falseSrc: Reg = NOT_INIT;
}

/** Fix up a register whose bounds the refinement made contradictory (reg_bounds_sanity_check). */
export function sanitize(r: MutReg): MutReg {
  if (!boundsSane(r)) markRegUnbounded(r);
  return r;
}

export class ScalarMemo {
  private readonly alu: Array<AluEntry | undefined>;
  private readonly cond: Array<CondEntry | undefined>;

  constructor(insnCount: number) {
    this.alu = new Array<AluEntry | undefined>(insnCount);
    this.cond = new Array<CondEntry | undefined>(insnCount);
  }

  /**
   * Instruction `i`'s `dst <op>= src` on two scalars (src may be an immediate's fake register): a
   * copy of `dst` with the value adjustScalar computes and the link (id, off) cleared, its bounds
   * then sanity-checked (reg_bounds_sanity_check: bounds that contradict each other are forgotten).
   */
  aluResult(i: number, dst: Reg, src: Reg, op: AluName, alu32: boolean): Reg {
    let e = this.alu[i];
    if (e !== undefined && e.op === op && e.alu32 === alu32 && sameButLink(dst, e.dst) && sameValue(src, e.src)) {
      return e.out;
    }
    const d = mutable(dst);
    d.id = 0;
    d.off = 0;
    adjustScalar(d, src, op, alu32);
    if (!boundsSane(d)) markUnknownBounds(d);
    if (e === undefined) this.alu[i] = e = new AluEntry();
    e.op = op; e.alu32 = alu32; e.dst = dst; e.src = src; e.out = d;
    return d;
  }

  /**
   * Instruction `i`'s refinement of two scalar operands by `op` (taken) and `revOp` (fall-through),
   * each register then brought in sync and sanity-checked; `imm` when `src` is an immediate's fake
   * register, whose refined copies are discarded. The entry returned holds the four results until
   * the next call.
   */
  condResult(i: number, dst: Reg, src: Reg, imm: boolean, op: CondOp, revOp: CondOp, jmp32: boolean): CondEntry {
    let e = this.cond[i];
    if (e !== undefined && e.op === op && e.jmp32 === jmp32 && e.imm === imm && sameReg(dst, e.dst) &&
        (imm ? sameValue(src, e.src) : sameReg(src, e.src))) {
      return e;
    }
    const td = mutable(dst), ts = mutable(src), fd = mutable(dst), fs = mutable(src);
    refineCondOp(td, ts, op, jmp32);
    regBoundsSync(td);
    refineCondOp(fd, fs, revOp, jmp32);
    regBoundsSync(fd);
    // The immediate's fake register is discarded: no need to bring its bounds back in sync.
    if (!imm) { regBoundsSync(ts); regBoundsSync(fs); }
    if (e === undefined) this.cond[i] = e = new CondEntry();
    e.op = op; e.jmp32 = jmp32; e.imm = imm; e.dst = dst; e.src = src;
    e.trueDst = sanitize(td); e.falseDst = sanitize(fd);
    e.trueSrc = imm ? ts : sanitize(ts); e.falseSrc = imm ? fs : sanitize(fs);
    return e;
  }
}
