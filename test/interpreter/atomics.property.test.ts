/**
 * Every atomic read-modify-write (add/or/and/xor, their fetch forms, xchg, cmpxchg; 32 and 64 bit)
 * and load-acquire / store-release against the reference model, on a memory word with random
 * neighbours (which must stay untouched).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Op, OP_TABLE } from '../../src/isa/ops.js';
import { u64Arb } from '../../src/testing/arbitraries.js';
import { I, hex64, program, run, wordAt, words } from './support/harness.js';
import { atomicRef, type AtomicRefName } from './support/reference.js';

const ATOMICS = OP_TABLE.filter((i) => i.kind === 'atomic');
const M32 = 0xffffffffn;

describe('atomics against the reference model', () => {
  it('covers the 10 operations in both widths', () => {
    expect(ATOMICS).toHaveLength(20);
  });
  for (const info of ATOMICS) {
    // mem: [target word, src operand, r0 operand, out: src after, out: r0 after, neighbour]
    const p = program([
      I(Op.LDX_DW, 3, 1, 8), I(Op.LDX_DW, 0, 1, 16),
      I(info.op, 1, 3, 0),
      I(Op.STX_DW, 1, 3, 24), I(Op.STX_DW, 1, 0, 32),
      I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0),
    ]);
    it(`${info.mnemonic}`, () => {
      const size = info.size as 4 | 8;
      fc.assert(fc.property(u64Arb(), u64Arb(), u64Arb(), fc.boolean(), u64Arb(), (m, s, c, equal, neighbour) => {
        // Half of the cmpxchg cases compare equal, so both outcomes are exercised.
        const r0 = equal ? (size === 8 ? m : (c & ~M32) | (m & M32)) : c;
        const out = run(p, words(m, s, r0, 0n, 0n, neighbour)).mem;
        const want = atomicRef(info.atomic as AtomicRefName, size, m, s, r0);
        const wantWord = size === 8 ? want.mem : (m & ~M32) | want.mem;
        expect(hex64(wordAt(out, 0)), 'memory').toBe(hex64(wantWord));
        expect(hex64(wordAt(out, 3)), 'src register').toBe(hex64(want.src));
        expect(hex64(wordAt(out, 4)), 'r0').toBe(hex64(want.r0));
        expect(hex64(wordAt(out, 5)), 'neighbour').toBe(hex64(neighbour));
      }), { numRuns: 300 });
    });
  }
});

describe('load-acquire and store-release', () => {
  for (const info of OP_TABLE.filter((i) => i.kind === 'load_acq' || i.kind === 'store_rel')) {
    it(`${info.mnemonic} behaves as a plain ${info.size}-byte ${info.kind === 'load_acq' ? 'zero-extending load' : 'store'}`, () => {
      fc.assert(fc.property(u64Arb(), u64Arb(), (m, v) => {
        const mask = info.size === 8 ? (1n << 64n) - 1n : (1n << BigInt(info.size * 8)) - 1n;
        if (info.kind === 'load_acq') {
          const p = program([I(Op.MOV64_K, 0, 0, 0, -1), I(info.op, 0, 1, 0), I(Op.EXIT, 0)]);
          expect(hex64(run(p, words(m)).r0)).toBe(hex64(m & mask));
        } else {
          const p = program([I(Op.LDX_DW, 2, 1, 8), I(info.op, 1, 2, 0), I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0)]);
          const out = run(p, words(m, v)).mem;
          expect(hex64(wordAt(out, 0))).toBe(hex64((m & ~mask) | (v & mask)));
        }
      }), { numRuns: 150 });
    });
  }
});
