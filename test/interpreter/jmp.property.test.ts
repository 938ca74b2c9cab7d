/**
 * Every JMP and JMP32 conditional jump (11 conditions, K and X forms) against the reference model:
 * exhaustively over pairs of edge values, then over fast-check-drawn operands; plus JA/JA32 and
 * that a taken jump lands exactly `off` slots after the next instruction.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Op, OP_TABLE, type OpInfo } from '../../src/isa/ops.js';
import type { Program } from '../../src/isa/program.js';
import { i32Arb, u64Arb } from '../../src/testing/arbitraries.js';
import { I, hex64, program, run, words } from './support/harness.js';
import { immOperand, jumpTaken, type JmpRefName } from './support/reference.js';

const OPERANDS: readonly bigint[] = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x100000001n,
  0x17fffffffn, 0x180000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0x80000000ffffffffn,
  0xffffffff00000000n, 0xffffffff7fffffffn, 0xffffffff80000000n, 0xfffffffffffffffen, 0xffffffffffffffffn,
  0x0123456789abcdefn,
];
const IMMS: readonly number[] = [0, 1, -1, 2, -2, 0x7f, 0x80, 0x7fffffff, -0x80000000, -0x7fffffff, 0xffff];

const JMP_OPS: readonly OpInfo[] = OP_TABLE.filter((i) => i.kind === 'jmp');

/** r0 = 1 when the jump is taken, 0 when it falls through. */
function branchy(jump: ReturnType<typeof I>): Program {
  return program([
    I(Op.LDX_DW, 2, 1, 0), I(Op.LDX_DW, 3, 1, 8),
    jump,
    I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0),
    I(Op.MOV64_K, 0, 0, 0, 1), I(Op.EXIT, 0),
  ]);
}

const xPrograms = new Map<Op, { distinct: Program; same: Program }>();
function xProgram(op: Op): { distinct: Program; same: Program } {
  let p = xPrograms.get(op);
  if (p === undefined) {
    p = { distinct: branchy(I(op, 2, 3, 2)), same: branchy(I(op, 2, 2, 2)) };
    xPrograms.set(op, p);
  }
  return p;
}

function taken(info: OpInfo, a: bigint, b: bigint): boolean {
  return jumpTaken(info.jmp as JmpRefName, info.wide, a, b);
}

function runX(info: OpInfo, a: bigint, b: bigint): boolean {
  return run(xProgram(info.op).distinct, words(a, b)).r0 === 1n;
}

function runK(info: OpInfo, a: bigint, imm: number): boolean {
  return run(branchy(I(info.op, 2, 0, 2, imm)), words(a, 0n)).r0 === 1n;
}

describe('JMP and JMP32 against the reference model', () => {
  it('covers 11 conditions x 2 widths x 2 source forms', () => {
    expect(JMP_OPS).toHaveLength(44);
  });
  for (const info of JMP_OPS) {
    describe(`${info.mnemonic} (${info.source})`, () => {
      if (info.source === 'X') {
        it('matches on every pair of edge operands, and with dst = src', () => {
          for (const a of OPERANDS) {
            for (const b of OPERANDS) {
              if (runX(info, a, b) !== taken(info, a, b)) expect.fail(`${info.mnemonic} ${hex64(a)}, ${hex64(b)}`);
            }
            expect(run(xProgram(info.op).same, words(a, 0n)).r0 === 1n).toBe(taken(info, a, a));
          }
        });
        it('matches on random operands', () => {
          fc.assert(fc.property(u64Arb(), u64Arb(), (a, b) => {
            expect(runX(info, a, b)).toBe(taken(info, a, b));
          }), { numRuns: 200 });
        });
      } else {
        it('matches on edge operands and immediates (sign-extended for JMP)', () => {
          for (const a of OPERANDS) {
            for (const imm of IMMS) {
              if (runK(info, a, imm) !== taken(info, a, immOperand(imm))) expect.fail(`${info.mnemonic} ${hex64(a)}, ${imm}`);
            }
          }
        });
        it('matches on random operands and immediates', () => {
          fc.assert(fc.property(u64Arb(), i32Arb(), (a, imm) => {
            expect(runK(info, a, imm)).toBe(taken(info, a, immOperand(imm)));
          }), { numRuns: 150 });
        });
      }
    });
  }
});

describe('jump targets', () => {
  it('a taken jump lands exactly off slots after the next instruction, forwards and backwards', () => {
    // r0 counts the instructions it passes; the jump skips exactly `k` increments.
    for (let k = 0; k <= 5; k++) {
      const incs = Array.from({ length: 5 }, () => I(Op.ADD64_K, 0, 0, 0, 1));
      const p = program([I(Op.MOV64_K, 0, 0, 0, 0), I(Op.JEQ_K, 0, 0, k, 0), ...incs, I(Op.EXIT, 0)]);
      expect(run(p).r0).toBe(BigInt(5 - k));
    }
    // Backwards: r2 counts down from 3; the loop body runs 3 times.
    const loop = program([
      I(Op.MOV64_K, 2, 0, 0, 3), I(Op.MOV64_K, 0, 0, 0, 0),
      I(Op.ADD64_K, 0, 0, 0, 10), I(Op.SUB64_K, 2, 0, 0, 1), I(Op.JNE_K, 2, 0, -3, 0),
      I(Op.EXIT, 0),
    ]);
    expect(run(loop).r0).toBe(30n);
  });
  it('JA uses off and JA32 (gotol) uses imm', () => {
    const skip = (ja: ReturnType<typeof I>): bigint => run(program([
      I(Op.MOV64_K, 0, 0, 0, 1), ja, I(Op.MOV64_K, 0, 0, 0, 2), I(Op.MOV64_K, 0, 0, 0, 3), I(Op.EXIT, 0),
    ])).r0;
    expect(skip(I(Op.JA, 0, 0, 1, 0))).toBe(3n);
    expect(skip(I(Op.JA, 0, 0, 2, 0))).toBe(1n);
    expect(skip(I(Op.JA32, 0, 0, 0, 1))).toBe(3n);
    expect(skip(I(Op.JA32, 0, 0, 0, 2))).toBe(1n);
  });
});
