/**
 * Every ALU and ALU64 operation, K and X forms, against the BigInt reference model
 * (./support/reference.ts, from RFC 9669): exhaustively over pairs of edge values, then over
 * fast-check-drawn operands; 64-bit division and modulo with dividends above 2^53 and divisors
 * below 2^32, in [2^32, 2^63) and at or above 2^63; shifts by every count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Op, OP_TABLE, type OpInfo } from '../../src/isa/ops.js';
import type { Program } from '../../src/isa/program.js';
import { i32Arb, u64Arb } from '../../src/testing/arbitraries.js';
import { I, hex64, program, run, words } from './support/harness.js';
import { alu32, alu64, immOperand, type AluRefName } from './support/reference.js';

/** Operands for the exhaustive pairs: the classic overflow, sign and precision boundaries. */
const OPERANDS: readonly bigint[] = [
  0n, 1n, 2n, 3n, 7n, 10n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x100000001n, 0xfffffffffn,
  (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, 0x0123456789abcdefn, 0x7fffffff00000000n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0x8000000000000001n, 0x80000000ffffffffn,
  0xfedcba9876543210n, 0xffffffff00000000n, 0xffffffff7fffffffn, 0xffffffff80000000n,
  0xffffffff80000001n, 0xffe0000000000000n, 0xfffffffffffffff6n, 0xfffffffffffffffen, 0xffffffffffffffffn,
];
const IMMS: readonly number[] = [0, 1, -1, 2, -2, 3, 7, -7, 10, 31, 32, 63, 64, 0x7fff, -0x8000, 0xffff, 0x7fffffff, -0x80000000, -0x7fffffff, 0x12345678];

const ALU_OPS: readonly OpInfo[] = OP_TABLE.filter((i) => i.kind === 'alu');

function reference(info: OpInfo, dst: bigint, src: bigint): bigint {
  const name = info.alu as AluRefName;
  return info.wide ? alu64(name, dst, src) : alu32(name, dst, src);
}

const xPrograms = new Map<Op, { distinct: Program; same: Program }>();

/** r2 = mem[0]; r3 = mem[1]; r2 op= r3 (and a variant with dst = src = r2); r0 = r2. */
function xProgram(op: Op): { distinct: Program; same: Program } {
  let p = xPrograms.get(op);
  if (p === undefined) {
    const head = [I(Op.LDX_DW, 2, 1, 0), I(Op.LDX_DW, 3, 1, 8)];
    const tail = [I(Op.MOV64_X, 0, 2), I(Op.EXIT, 0)];
    p = {
      distinct: program([...head, I(op, 2, 3), ...tail]),
      same: program([...head, I(op, 2, 2), ...tail]),
    };
    xPrograms.set(op, p);
  }
  return p;
}

function runX(info: OpInfo, a: bigint, b: bigint): bigint {
  return run(xProgram(info.op).distinct, words(a, b)).r0;
}

function runK(info: OpInfo, a: bigint, imm: number): bigint {
  return run(program([I(Op.LDX_DW, 2, 1, 0), I(info.op, 2, 0, 0, imm), I(Op.MOV64_X, 0, 2), I(Op.EXIT, 0)]), words(a)).r0;
}

function describeCase(info: OpInfo, a: bigint, b: bigint): string {
  return `${info.mnemonic} ${info.source}: dst=${hex64(a)} src=${hex64(b)}`;
}

describe('ALU and ALU64 against the reference model', () => {
  it('covers all 28 ALU operation names in both widths and both source forms', () => {
    expect(ALU_OPS).toHaveLength(56);
    expect(new Set(ALU_OPS.map((i) => `${i.alu}/${i.wide}/${i.source}`)).size).toBe(56);
  });

  for (const info of ALU_OPS) {
    describe(`${info.mnemonic} (${info.source})`, () => {
      if (info.source === 'X') {
        it('matches on every pair of edge operands', () => {
          for (const a of OPERANDS) {
            for (const b of OPERANDS) {
              const got = runX(info, a, b);
              const want = reference(info, a, b);
              if (got !== want) expect.fail(`${describeCase(info, a, b)}: got ${hex64(got)}, want ${hex64(want)}`);
            }
          }
        });
        it('matches when dst and src are the same register', () => {
          for (const a of OPERANDS) {
            expect(hex64(run(xProgram(info.op).same, words(a, 0n)).r0)).toBe(hex64(reference(info, a, a)));
          }
        });
        it('matches on random operands', () => {
          fc.assert(fc.property(u64Arb(), u64Arb(), (a, b) => {
            expect(hex64(runX(info, a, b))).toBe(hex64(reference(info, a, b)));
          }), { numRuns: 300 });
        });
      } else {
        it('matches on edge operands and edge immediates', () => {
          for (const a of OPERANDS) {
            for (const imm of IMMS) {
              const got = runK(info, a, imm);
              const want = reference(info, a, immOperand(imm));
              if (got !== want) expect.fail(`${describeCase(info, a, immOperand(imm))}: got ${hex64(got)}, want ${hex64(want)}`);
            }
          }
        });
        it('matches on random operands and immediates', () => {
          fc.assert(fc.property(u64Arb(), i32Arb(), (a, imm) => {
            expect(hex64(runK(info, a, imm))).toBe(hex64(reference(info, a, immOperand(imm))));
          }), { numRuns: 200 });
        });
      }
    });
  }
});

describe('64-bit division and modulo beyond double precision', () => {
  const ops = ALU_OPS.filter((i) => i.wide && i.source === 'X' && (i.alu === 'div' || i.alu === 'mod' || i.alu === 'sdiv' || i.alu === 'smod'));
  const big = fc.bigInt({ min: 1n << 53n, max: (1n << 64n) - 1n });
  const ranges: ReadonlyArray<readonly [string, fc.Arbitrary<bigint>]> = [
    ['divisor below 2^32', fc.bigInt({ min: 1n, max: (1n << 32n) - 1n })],
    ['divisor in [2^32, 2^53)', fc.bigInt({ min: 1n << 32n, max: (1n << 53n) - 1n })],
    ['divisor in [2^53, 2^63)', fc.bigInt({ min: 1n << 53n, max: (1n << 63n) - 1n })],
    ['divisor at or above 2^63', fc.bigInt({ min: 1n << 63n, max: (1n << 64n) - 1n })],
  ];
  it('covers div, mod, sdiv and smod', () => {
    expect(ops.map((i) => i.alu).sort()).toEqual(['div', 'mod', 'sdiv', 'smod']);
  });
  for (const info of ops) {
    for (const [label, divisor] of ranges) {
      it(`${info.mnemonic}: dividend above 2^53, ${label}`, () => {
        fc.assert(fc.property(big, divisor, (a, b) => {
          expect(hex64(runX(info, a, b))).toBe(hex64(reference(info, a, b)));
        }), { numRuns: 500 });
      });
    }
    it(`${info.mnemonic}: divisor within ±3 of a dividend above 2^53 (quotients 0, 1 and 2)`, () => {
      fc.assert(fc.property(big, fc.bigInt({ min: -3n, max: 3n }), fc.boolean(), (a, delta, half) => {
        const b = BigInt.asUintN(64, (half ? a / 2n : a) + delta);
        expect(hex64(runX(info, a, b))).toBe(hex64(reference(info, a, b)));
      }), { numRuns: 500 });
    });
  }
  it('divides by immediates whose sign extension is at or above 2^63', () => {
    const kOps = ALU_OPS.filter((i) => i.wide && i.source === 'K' && (i.alu === 'div' || i.alu === 'mod' || i.alu === 'sdiv' || i.alu === 'smod'));
    fc.assert(fc.property(fc.constantFrom(...kOps), big, fc.integer({ min: -0x80000000, max: -1 }), (info, a, imm) => {
      expect(hex64(runK(info, a, imm))).toBe(hex64(reference(info, a, immOperand(imm))));
    }), { numRuns: 1000 });
  });
});

describe('shifts by every count', () => {
  const shifts = ALU_OPS.filter((i) => i.alu === 'lsh' || i.alu === 'rsh' || i.alu === 'arsh');
  const values = [0x8000000000000001n, 0xfedcba9876543210n, 0x0123456789abcdefn, 0xffffffffffffffffn, 0x80000000n, 1n];
  it('covers lsh, rsh and arsh in both widths and forms', () => {
    expect(shifts).toHaveLength(12);
  });
  for (const info of shifts) {
    if (info.source === 'K') {
      it(`${info.mnemonic} K: every in-range count`, () => {
        for (let count = 0; count < (info.wide ? 64 : 32); count++) {
          for (const v of values) expect(hex64(runK(info, v, count))).toBe(hex64(reference(info, v, BigInt(count))));
        }
      });
    } else {
      it(`${info.mnemonic} X: counts 0..255 and counts with high bits set (masked)`, () => {
        for (let count = 0; count < 256; count++) {
          for (const v of values) {
            for (const high of [0n, 0x100000000n, 0xffffffff00000000n]) {
              const c = BigInt(count) | high;
              expect(hex64(runX(info, v, c))).toBe(hex64(reference(info, v, c)));
            }
          }
        }
      });
    }
  }
});
