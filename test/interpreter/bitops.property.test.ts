/**
 * NEG, MOVSX, byte swaps (le/be/bswap 16/32/64) and loads (zero- and sign-extending, every size)
 * against the reference model; ld_imm64 loads all 64 bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Op, OP_TABLE, type OpInfo } from '../../src/isa/ops.js';
import type { Program } from '../../src/isa/program.js';
import { EDGE_U64 } from '../../src/testing/edge-values.js';
import { u64Arb } from '../../src/testing/arbitraries.js';
import { I, hex64, lddw, program, run, words } from './support/harness.js';
import { byteSwap, movsx, neg32, neg64, signExtend } from './support/reference.js';

function unary(op: Op, withSrc: boolean): Program {
  return program([
    I(Op.LDX_DW, 2, 1, 0), I(Op.MOV64_K, 3, 0, 0, -1),
    withSrc ? I(op, 3, 2) : I(op, 2),
    I(Op.MOV64_X, 0, withSrc ? 3 : 2), I(Op.EXIT, 0),
  ]);
}

function check(p: Program, ref: (v: bigint) => bigint): void {
  for (const v of EDGE_U64) expect(hex64(run(p, words(v)).r0), hex64(v)).toBe(hex64(ref(v)));
  fc.assert(fc.property(u64Arb(), (v) => {
    expect(hex64(run(p, words(v)).r0)).toBe(hex64(ref(v)));
  }), { numRuns: 200 });
}

describe('NEG', () => {
  it('neg (64-bit) is two’s complement negation', () => check(unary(Op.NEG64, false), neg64));
  it('neg32 negates the low word and zero-extends', () => check(unary(Op.NEG32, false), neg32));
});

describe('MOVSX', () => {
  const ops = OP_TABLE.filter((i) => i.kind === 'movsx');
  it('has the five widths Linux defines (8/16/32 to 64, 8/16 to 32)', () => {
    expect(ops.map((i) => i.mnemonic).sort()).toEqual(['movsx1632', 'movsx1664', 'movsx3264', 'movsx832', 'movsx864']);
  });
  for (const info of ops) {
    it(`${info.mnemonic} sign-extends the low ${info.size} bits`, () => {
      // The destination starts as all ones, so a forgotten zero-extension shows.
      check(unary(info.op, true), (v) => movsx(info.size as 8 | 16 | 32, info.wide, v));
    });
  }
});

describe('byte swaps', () => {
  const ops = OP_TABLE.filter((i) => i.kind === 'end');
  it('has le, be and bswap at 16, 32 and 64 bits', () => {
    expect(ops).toHaveLength(9);
  });
  for (const info of ops) {
    const kind = info.mnemonic.replace(/\d+$/, '') as 'le' | 'be' | 'bswap';
    it(`${info.mnemonic}`, () => check(unary(info.op, false), (v) => byteSwap(kind, info.size as 16 | 32 | 64, v)));
  }
  it('known values (RFC 9669 examples)', () => {
    const v = 0x0123456789abcdefn;
    expect(hex64(run(unary(Op.BE16, false), words(v)).r0)).toBe(hex64(0xefcdn));
    expect(hex64(run(unary(Op.BE32, false), words(v)).r0)).toBe(hex64(0xefcdab89n));
    expect(hex64(run(unary(Op.BE64, false), words(v)).r0)).toBe(hex64(0xefcdab8967452301n));
    expect(hex64(run(unary(Op.LE16, false), words(v)).r0)).toBe(hex64(0xcdefn));
    expect(hex64(run(unary(Op.LE32, false), words(v)).r0)).toBe(hex64(0x89abcdefn));
    expect(hex64(run(unary(Op.LE64, false), words(v)).r0)).toBe(hex64(v));
  });
});

describe('loads', () => {
  const loads: OpInfo[] = OP_TABLE.filter((i) => i.kind === 'ldx' || i.kind === 'ldxs');
  it('has LDX B/H/W/DW and LDXS B/H/W', () => {
    expect(loads).toHaveLength(7);
  });
  for (const info of loads) {
    it(`${info.mnemonic} at every offset of a 16-byte buffer ${info.kind === 'ldxs' ? 'sign' : 'zero'}-extends`, () => {
      fc.assert(fc.property(u64Arb(), u64Arb(), fc.integer({ min: 0, max: 16 - info.size }), (a, b, off) => {
        const mem = words(a, b);
        const p = program([I(Op.MOV64_K, 0, 0, 0, -1), I(info.op, 0, 1, off), I(Op.EXIT, 0)]);
        let raw = 0n;
        for (let k = info.size - 1; k >= 0; k--) raw = (raw << 8n) | BigInt(mem[off + k]);
        const want = info.kind === 'ldxs' ? signExtend(info.size as 1 | 2 | 4, raw) : raw;
        expect(hex64(run(p, mem).r0)).toBe(hex64(want));
      }), { numRuns: 150 });
    });
  }
  it('stores write exactly their width, little endian', () => {
    for (const [op, size] of [[Op.STX_B, 1], [Op.STX_H, 2], [Op.STX_W, 4], [Op.STX_DW, 8]] as const) {
      const p = program([lddw(2, 0x1122334455667788n), I(op, 1, 2, 4), I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0)]);
      const out = run(p, new Uint8Array(16).fill(0xee)).mem;
      const expected = new Uint8Array(16).fill(0xee);
      [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11].slice(0, size).forEach((b, k) => { expected[4 + k] = b; });
      expect(Array.from(out)).toEqual(Array.from(expected));
    }
  });
  it('BPF_ST stores the immediate, sign-extended for DW', () => {
    const p = program([I(Op.ST_DW, 1, 0, 0, -2), I(Op.ST_W, 1, 0, 8, -2), I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0)]);
    const out = run(p, new Uint8Array(16)).mem;
    expect(Array.from(out)).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  });
  it('ld_imm64 loads all 64 bits', () => {
    fc.assert(fc.property(u64Arb(), (v) => {
      expect(hex64(run(program([lddw(0, v), I(Op.EXIT, 0)])).r0)).toBe(hex64(v));
    }), { numRuns: 200 });
  });
});
