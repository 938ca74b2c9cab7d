/**
 * disassemble → assemble is the identity on bytes, in the kernel and the conformance syntax, for
 * every valid instruction: random instructions drawn from OP_TABLE's field rules, whole programs
 * with and without labels, and an exhaustive pass over every operation with edge operands.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { assembleConformance } from '../../src/isa/asm-conformance.js';
import { assembleKernel } from '../../src/isa/asm-kernel.js';
import { disassemble, disassembleInstruction, type DisasmSyntax } from '../../src/isa/disasm.js';
import { Op, OP_TABLE } from '../../src/isa/ops.js';
import { encode, fromInstructions, type Instruction } from '../../src/isa/program.js';
import { validate } from '../../src/isa/validate.js';
import { VALID_OPS, instructionOf, validInstruction, validProgram } from './support/arbitrary.js';
import { hex } from './support/bytes.js';

const SYNTAXES = ['kernel', 'conformance'] as const;

function reassemble(text: string, syntax: 'kernel' | 'conformance'): Uint8Array {
  return encode(fromInstructions(syntax === 'kernel' ? assembleKernel(text) : assembleConformance(text)));
}

const bytesOf = (list: readonly Instruction[]) => encode(fromInstructions(list));

/** The encodings a syntax has no spelling for, which print as `.insn` (see disasm-kernel.ts). */
function needsRaw(ins: Instruction, syntax: DisasmSyntax): boolean {
  const k = OP_TABLE[ins.op].kind;
  if (k === 'callx') return ins.imm !== 0;
  if (k === 'call_kfunc') return ins.off !== 0;
  if (k !== 'lddw') return false;
  if (syntax === 'conformance') return ins.src !== 0;
  const hi = Number(BigInt.asUintN(64, ins.imm64 ?? 0n) >> 32n);
  return ![0, 1, 2, 4, 5, 6].includes(ins.src) || ([1, 4, 5].includes(ins.src) && hi !== 0);
}

describe('the instruction generator', () => {
  test.prop([validInstruction], { numRuns: 2000 })('only makes instructions whose fields validate', (ins) => {
    const err = validate(fromInstructions([ins]));
    // A lone branch may point outside its one-instruction program; nothing else may fail.
    if (err) expect(['jump_out_of_range', 'call_out_of_range', 'jump_into_ldimm64']).toContain(err.rule);
  });
  test.prop([validProgram], { numRuns: 300 })('makes programs that pass validate()', (list) => {
    expect(validate(fromInstructions(list))?.message ?? null).toBeNull();
  });
});

describe.each(SYNTAXES)('%s syntax round trip', (syntax) => {
  test.prop([validInstruction], { numRuns: 3000 })('one instruction: disassemble then assemble gives the same bytes', (ins) => {
    const text = disassembleInstruction(ins, { syntax });
    expect(hex(reassemble(text, syntax)), text).toBe(hex(bytesOf([ins])));
  });

  test.prop([validInstruction], { numRuns: 2000 })('prints `.insn` only for encodings the syntax cannot spell', (ins) => {
    expect(disassembleInstruction(ins, { syntax }).startsWith('.insn')).toBe(needsRaw(ins, syntax));
  });

  test.prop([validProgram, fc.boolean()], { numRuns: 400 })('whole programs, with and without labels', (list, labels) => {
    const p = fromInstructions(list);
    const text = disassemble(p, { syntax, labels }).join('\n');
    expect(hex(reassemble(text, syntax)), text).toBe(hex(encode(p)));
  });

  it('every operation with edge operands', () => {
    let checked = 0;
    for (const info of VALID_OPS) {
      // A fixed sample per operation, so each one is covered whatever the random draws did.
      for (const ins of fc.sample(instructionOf(info), { numRuns: 25, seed: info.op })) {
        const text = disassembleInstruction(ins, { syntax });
        expect(hex(reassemble(text, syntax)), `${info.mnemonic}: ${text}`).toBe(hex(bytesOf([ins])));
        checked++;
      }
    }
    expect(checked).toBe(VALID_OPS.length * 25);
  });
});

describe('llvm syntax', () => {
  // llvm-objdump's text drops fields (`call N` for every call flavour, so a negative helper id
  // reads as LLVM's local-call placeholder `call -1`; ld_pseudo's high half; a legacy callx's
  // register), so only the instructions it spells fully round-trip.
  const lossless = (ins: Instruction) => {
    const k = OP_TABLE[ins.op].kind;
    if (k === 'call') return ins.imm >= 0;
    return !['call_local', 'call_kfunc', 'callx'].includes(k) && !(k === 'lddw' && ins.src !== 0);
  };
  test.prop([validInstruction, fc.boolean()], { numRuns: 2000 })('assembles back wherever LLVM keeps every field', (ins, hexImm) => {
    fc.pre(lossless(ins));
    const text = disassembleInstruction(ins, { syntax: 'llvm', hex: hexImm });
    expect(hex(encode(fromInstructions(assembleKernel(text, { dialect: 'llvm' })))), text).toBe(hex(bytesOf([ins])));
  });
});

it('covers every operation of OP_TABLE', () => {
  expect(VALID_OPS.length).toBe(Op.COUNT - 2);
});
