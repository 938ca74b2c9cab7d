/**
 * fast-check arbitraries for valid instructions and programs, generated from OP_TABLE's field rules
 * (so every Op and every operand form is reachable) with edge values for immediates and offsets.
 */
import fc from 'fast-check';
import { BPF_PSEUDO_FUNC } from '../../../src/isa/constants.js';
import { Op, OP_TABLE, type FieldRule, type OpInfo } from '../../../src/isa/ops.js';
import type { Instruction } from '../../../src/isa/program.js';

export const VALID_OPS: readonly OpInfo[] = OP_TABLE.filter((i) => i.op !== Op.INVALID && i.kind !== 'lddw_hi');

export const int16 = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 0x7fff, -0x8000, 0x7ffe, -0x7fff),
  fc.integer({ min: -0x8000, max: 0x7fff }),
);
export const int32 = fc.oneof(
  fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 0x7fff, -0x8000, 0xffff, 0x10000, 255, -256),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);
export const imm64 = fc.oneof(
  fc.constantFrom(0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn,
    0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffdn),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

function field(rule: FieldRule, any: fc.Arbitrary<number>, regMax: number): fc.Arbitrary<number> {
  if (rule === 'zero') return fc.constant(0);
  if (rule === 'reg') return fc.integer({ min: 0, max: regMax });
  return any;
}

/** A valid instruction of one operation (jump targets are arbitrary, not necessarily in range). */
export function instructionOf(info: OpInfo): fc.Arbitrary<Instruction> {
  if (info.kind === 'callx') {
    // The register in dst (LLVM ≥ 17), in imm (older encodings), or in both.
    const r = fc.integer({ min: 0, max: 9 });
    return fc.oneof(
      r.map((n) => ({ op: info.op, dst: n, src: 0, off: 0, imm: 0 })),
      r.map((n) => ({ op: info.op, dst: 0, src: 0, off: 0, imm: n })),
      r.map((n) => ({ op: info.op, dst: n, src: 0, off: 0, imm: n })),
    );
  }
  if (info.kind === 'lddw') {
    return fc.record({
      dst: fc.integer({ min: 0, max: 9 }),
      src: fc.integer({ min: 0, max: 6 }), // pseudo sources 0..6 (resolve_pseudo_ldimm64)
      imm64,
    }).map(({ dst, src, imm64 }) => {
      // MAP_FD and MAP_IDX carry no offset in the second half.
      const v = src === 1 || src === 5 ? BigInt.asUintN(32, imm64) : imm64;
      return { op: info.op, dst, src, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v };
    });
  }
  const v = info.variant;
  const pick = (f: 'src' | 'off' | 'imm', arb: fc.Arbitrary<number>) => (v?.field === f ? fc.constant(v.value) : arb);
  return fc.record({
    dst: field(info.dst, fc.constant(0), info.writesDst ? 9 : 10),
    src: pick('src', field(info.src, fc.integer({ min: 0, max: 15 }), 10)),
    off: pick('off', field(info.off, int16, 0)),
    imm: pick('imm', field(info.imm, int32, 0)),
  }).map((f) => ({ op: info.op, ...f }));
}

export const validInstruction: fc.Arbitrary<Instruction> = fc.constantFrom(...VALID_OPS).chain(instructionOf);

const width = (ins: Instruction): number => (ins.op === Op.LDDW ? 2 : 1);

/** Where an instruction keeps its branch target, if it has one. */
export function targetField(ins: Instruction): 'off' | 'imm' | null {
  const k = OP_TABLE[ins.op].kind;
  if (k === 'ja' || k === 'jmp' || k === 'may_goto') return 'off';
  if (k === 'ja32' || k === 'call_local') return 'imm';
  if (k === 'lddw' && ins.src === BPF_PSEUDO_FUNC) return 'imm';
  return null;
}

/** A program that passes validate(): every branch and local call lands on an instruction start. */
export const validProgram: fc.Arbitrary<Instruction[]> = fc
  .array(fc.tuple(validInstruction, fc.nat()), { minLength: 1, maxLength: 40 })
  .map((pairs) => {
    const list = pairs.map(([ins]) => ins);
    const starts: number[] = [];
    let slot = 0;
    for (const ins of list) { starts.push(slot); slot += width(ins); }
    return list.map((ins, i) => {
      const f = targetField(ins);
      if (f === null) return ins;
      const to = starts[pairs[i][1] % starts.length];
      const rel = to - (starts[i] + 1);
      if (OP_TABLE[ins.op].kind === 'lddw') {
        const hi = (ins.imm64 ?? 0n) >> 32n;
        return { ...ins, imm: rel, imm64: (hi << 32n) | BigInt(rel >>> 0) };
      }
      return { ...ins, [f]: rel };
    });
  });
