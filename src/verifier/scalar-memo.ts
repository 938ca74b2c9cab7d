/**
 * Per-instruction memo of the abstract ALU and of branch refinement on scalars.
 *
 * adjust_scalar_min_max_vals (adjustScalar) and regs_refine_cond_op + reg_bounds_sync are pure
 * functions of the operands' value part — the tnum and the eight bounds — and of the operation. In
 * a loop the verifier meets the same instruction over and over with the same abstract operands (an
 * unknown hash updated with an unknown byte, a byte compared with a constant): the memo remembers,
 * per instruction, the last operands and what the operation made of them, and replays the result
 * instead of recomputing it. Each recomputation allocates dozens of bigints; a replay compares a
 * few and allocates none. Only the value part is memoised: ids, offsets, precision and every other
 * field stay with the caller, so the outcome is the same register, bit for bit.
 */
import type { AluName } from '../isa/ops.js';
import { adjustScalar, refineCondOp, regBoundsSync, type CondOp } from './ranges.js';
import type { MutReg, Reg } from './regs.js';
import type { Tnum } from './tnum.js';

/** The value part of a register: what the abstract domain reads and writes. */
class ScalarValue {
  varOff: Tnum = { value: 0n, mask: 0n };
  smin = 0n;
  smax = 0n;
  umin = 0n;
  umax = 0n;
  s32min = 0;
  s32max = 0;
  u32min = 0;
  u32max = 0;

  /** Does `r` hold exactly this value part? */
  matches(r: Reg): boolean {
    const t = r.varOff;
    return this.s32min === r.s32min && this.s32max === r.s32max && this.u32min === r.u32min && this.u32max === r.u32max &&
      (this.varOff === t || (this.varOff.value === t.value && this.varOff.mask === t.mask)) &&
      this.umin === r.umin && this.umax === r.umax && this.smin === r.smin && this.smax === r.smax;
  }

  save(r: Reg): void {
    this.varOff = r.varOff;
    this.smin = r.smin; this.smax = r.smax; this.umin = r.umin; this.umax = r.umax;
    this.s32min = r.s32min; this.s32max = r.s32max; this.u32min = r.u32min; this.u32max = r.u32max;
  }

  restore(r: MutReg): void {
    r.varOff = this.varOff;
    r.smin = this.smin; r.smax = this.smax; r.umin = this.umin; r.umax = this.umax;
    r.s32min = this.s32min; r.s32max = this.s32max; r.u32min = this.u32min; r.u32max = this.u32max;
  }
}

/** One instruction's last operation: its operands and results (value parts). */
class Entry {
  op: string = '';
  /** Operation variant flags (32-bit, immediate operand). */
  mode = -1;
  readonly in1 = new ScalarValue();
  readonly in2 = new ScalarValue();
  readonly out: ScalarValue[];

  constructor(outs: number) {
    this.out = Array.from({ length: outs }, () => new ScalarValue());
  }

  hit(op: string, mode: number, a: Reg, b: Reg): boolean {
    return this.op === op && this.mode === mode && this.in1.matches(a) && this.in2.matches(b);
  }

  key(op: string, mode: number, a: Reg, b: Reg): void {
    this.op = op;
    this.mode = mode;
    this.in1.save(a);
    this.in2.save(b);
  }
}

export class ScalarMemo {
  private readonly alu: Array<Entry | undefined>;
  private readonly cond: Array<Entry | undefined>;

  constructor(insnCount: number) {
    this.alu = new Array<Entry | undefined>(insnCount);
    this.cond = new Array<Entry | undefined>(insnCount);
  }

  /** adjustScalar(d, s, op, alu32) for instruction `i`. */
  adjustScalar(i: number, d: MutReg, s: Reg, op: AluName, alu32: boolean): void {
    let e = this.alu[i];
    const mode = alu32 ? 1 : 0;
    if (e !== undefined && e.hit(op, mode, d, s)) {
      e.out[0].restore(d);
      return;
    }
    if (e === undefined) this.alu[i] = e = new Entry(1);
    e.key(op, mode, d, s);
    adjustScalar(d, s, op, alu32);
    e.out[0].save(d);
  }

  /**
   * The scalar part of reg_set_min_max for instruction `i`: refine (td, ts) by `op` and (fd, fs)
   * by `revOp`, each pair starting from the same operands, then reg_bounds_sync the results (the
   * source operands only when `syncSrc`, i.e. when they are registers and not an immediate).
   * td and fd must start with the same value part, and so must ts and fs.
   */
  refineBoth(
    i: number, td: MutReg, ts: MutReg, fd: MutReg, fs: MutReg, op: CondOp, revOp: CondOp, jmp32: boolean, syncSrc: boolean,
  ): void {
    let e = this.cond[i];
    const mode = (jmp32 ? 1 : 0) | (syncSrc ? 2 : 0);
    if (e !== undefined && e.hit(op, mode, td, ts)) {
      e.out[0].restore(td); e.out[1].restore(ts); e.out[2].restore(fd); e.out[3].restore(fs);
      return;
    }
    if (e === undefined) this.cond[i] = e = new Entry(4);
    e.key(op, mode, td, ts);
    refineCondOp(td, ts, op, jmp32);
    regBoundsSync(td);
    refineCondOp(fd, fs, revOp, jmp32);
    regBoundsSync(fd);
    if (syncSrc) { regBoundsSync(ts); regBoundsSync(fs); }
    e.out[0].save(td); e.out[1].save(ts); e.out[2].save(fd); e.out[3].save(fs);
  }
}
