/**
 * The per-instruction memo of the scalar ALU and of branch refinement (src/verifier/scalar-memo.ts)
 * must be invisible: whatever sequence of operands an instruction sees, each answer equals, field
 * for field, what a fresh computation gives — also when the operands are equal copies (a replay) or
 * differ in a single field from the last ones (no stale answer). Also checks tnum_in's allocation-
 * free shortcuts against the general rule.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AluName } from '../../src/isa/ops.js';
import {
  adjustScalar, boundsSane, markRegUnbounded, markUnknownBounds, refineCondOp, regBoundsSync, revOp, type CondOp,
} from '../../src/verifier/ranges.js';
import { UNKNOWN_SCALAR, knownScalar, mutable, type MutReg, type Reg } from '../../src/verifier/regs.js';
import { ScalarMemo } from '../../src/verifier/scalar-memo.js';
import { TNUM_UNKNOWN, U64, tnum, tnumConst, tnumIn, type Tnum } from '../../src/verifier/tnum.js';

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** Few distinct values, so that equal operands (replays) are frequent. */
const small = fc.constantFrom(0n, 1n, 7n, 0xffn, 0x80000000n, 0xffffffffn, 1n << 63n, U64);

/** A scalar built the ways the verifier builds them, with varying link and precision fields. */
const scalar: fc.Arbitrary<Reg> = fc.tuple(fc.integer({ min: 0, max: 3 }), small, small, fc.boolean(), fc.constantFrom(0, 3), fc.constantFrom(0, 8))
  .map(([kind, a, b, precise, id, off]) => {
    let r: MutReg;
    switch (kind) {
      case 0: r = mutable(knownScalar(a)); break;
      case 1: r = mutable(UNKNOWN_SCALAR); break;
      case 2: r = mutable(UNKNOWN_SCALAR); r.umin = a < b ? a : b; r.umax = a < b ? b : a; break;
      default: r = mutable(UNKNOWN_SCALAR); r.varOff = tnum(a & ~b & U64, b); break;
    }
    regBoundsSync(r);
    if (!boundsSane(r)) r = mutable(UNKNOWN_SCALAR);
    r.precise = precise; r.id = id; r.off = off;
    return r;
  });

const ALU_OPS: readonly AluName[] = ['add', 'sub', 'mul', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh', 'div', 'mod'];
const CMP_OPS: readonly CondOp[] = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle', 'jset'];

function aluReference(dst: Reg, src: Reg, op: AluName, alu32: boolean): Reg {
  const d = mutable(dst);
  d.id = 0;
  d.off = 0;
  adjustScalar(d, src, op, alu32);
  // check_alu_op's reg_bounds_sanity_check.
  if (!boundsSane(d)) markUnknownBounds(d);
  return d;
}

function sanitize(r: MutReg): MutReg {
  if (!boundsSane(r)) markRegUnbounded(r);
  return r;
}

function condReference(dst: Reg, src: Reg, imm: boolean, op: CondOp, jmp32: boolean): Reg[] {
  const td = mutable(dst), ts = mutable(src), fd = mutable(dst), fs = mutable(src);
  refineCondOp(td, ts, op, jmp32);
  regBoundsSync(td);
  refineCondOp(fd, fs, revOp(op), jmp32);
  regBoundsSync(fd);
  if (imm) return [sanitize(td), sanitize(fd)];
  regBoundsSync(ts);
  regBoundsSync(fs);
  return [sanitize(td), sanitize(ts), sanitize(fd), sanitize(fs)];
}

/** Calls on three instruction slots; `copy` hands the memo an equal copy instead of the object. */
const aluCall = fc.record({
  insn: fc.integer({ min: 0, max: 2 }), dst: scalar, src: scalar, op: fc.constantFrom(...ALU_OPS), alu32: fc.boolean(),
  repeat: fc.boolean(), copy: fc.boolean(),
});
const condCall = fc.record({
  insn: fc.integer({ min: 0, max: 2 }), dst: scalar, src: scalar, op: fc.constantFrom(...CMP_OPS), jmp32: fc.boolean(),
  imm: fc.boolean(), repeat: fc.boolean(), copy: fc.boolean(),
});

/** A call's operands: a repeat replays the previous ones on this slot, possibly as equal copies. */
function operands(c: { dst: Reg; src: Reg; repeat: boolean; copy: boolean }, last: { dst: Reg; src: Reg } | null): { dst: Reg; src: Reg } {
  const base = c.repeat && last !== null ? last : c;
  return c.copy ? { dst: mutable(base.dst), src: mutable(base.src) } : { dst: base.dst, src: base.src };
}

describe('scalar memo', () => {
  it('every ALU answer equals a fresh adjust_scalar_min_max_vals (replays and changed operands)', () => {
    fc.assert(fc.property(fc.array(aluCall, { minLength: 1, maxLength: 30 }), (calls) => {
      const memo = new ScalarMemo(3);
      let last: { dst: Reg; src: Reg } | null = null;
      for (const c of calls) {
        const { dst, src } = operands(c, last);
        const got = memo.aluResult(c.insn, dst, src, c.op, c.alu32);
        expect(got).toEqual(aluReference(dst, src, c.op, c.alu32));
        last = { dst, src };
      }
    }), { numRuns: 2000 });
  });

  it('every branch refinement equals a fresh reg_set_min_max (replays and changed operands)', () => {
    fc.assert(fc.property(fc.array(condCall, { minLength: 1, maxLength: 30 }), (calls) => {
      const memo = new ScalarMemo(3);
      let last: { dst: Reg; src: Reg } | null = null;
      for (const c of calls) {
        const { dst, src } = operands(c, last);
        const e = memo.condResult(c.insn, dst, src, c.imm, c.op, revOp(c.op), c.jmp32);
        const want = condReference(dst, src, c.imm, c.op, c.jmp32);
        const got = c.imm ? [e.trueDst, e.falseDst] : [e.trueDst, e.trueSrc, e.falseDst, e.falseSrc];
        expect(got).toEqual(want);
        last = { dst, src };
      }
    }), { numRuns: 2000 });
  });
});

describe('tnum_in shortcuts', () => {
  /** The general rule (Linux tnum_in). */
  const tnumInReference = (a: Tnum, b: Tnum): boolean =>
    (b.mask & ~a.mask & U64) === 0n && a.value === (b.value & ~a.mask & U64);

  const anyTnum = fc.oneof(
    fc.tuple(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: U64 })).map(([v, m]) => tnum(v & ~m & U64, m)),
    small.map((v) => tnumConst(v)),
    fc.constant(TNUM_UNKNOWN),
    fc.tuple(small, small).map(([v, m]) => tnum(v & ~m & U64, m)),
  );

  it('agree with the general rule', () => {
    fc.assert(fc.property(anyTnum, anyTnum, fc.boolean(), (a, b, same) => {
      const c = same ? a : b;
      expect(tnumIn(a, c)).toBe(tnumInReference(a, c));
      expect(tnumIn(a, { value: u64(c.value), mask: c.mask })).toBe(tnumInReference(a, c));
    }), { numRuns: 5000 });
  });
});
