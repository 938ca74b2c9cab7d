/**
 * Differential tests against the running kernel (see support/kernel-loader.ts): Linux's own
 * disasm.c text for random programs must equal our kernel-syntax disassembly, our assembler must
 * read the kernel's text back to the same bytes, the committed verifier-log fixtures must still be
 * what this kernel prints, and validate() must give the kernel's message for each malformed program.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleKernel } from '../../src/isa/asm-kernel.js';
import { disassemble } from '../../src/isa/disasm.js';
import { Op, OP_TABLE, type OpInfo } from '../../src/isa/ops.js';
import { decode, encode, fromInstructions, type Instruction } from '../../src/isa/program.js';
import { ROOT } from '../support/paths.js';
import { imm64, int16, int32 } from './support/arbitrary.js';
import { bytesOf, hex } from './support/bytes.js';
import { kernelLoader, loggedInstructions, type KernelLoader } from './support/kernel-loader.js';
import { INVALID_CASES } from './support/validate-cases.js';

const oracle = kernelLoader();
const skip = 'skip' in oracle ? oracle.skip : undefined;
if (skip !== undefined) console.warn(`kernel oracle tests skipped: ${skip}`);
const loader = oracle as KernelLoader;
const FIXTURES = join(ROOT, 'test', 'isa', 'fixtures', 'kernel-log');

const reg = fc.integer({ min: 0, max: 9 });
const ops = (pred: (i: OpInfo) => boolean) => OP_TABLE.filter((i) => i.op !== Op.INVALID && pred(i));

/**
 * Instructions the verifier accepts on scalar registers r0..r9 and the stack: every ALU form
 * (shift immediates in range, no division by an immediate 0), byte swaps, ld_imm64, aligned stack
 * stores and loads, conditional and unconditional jumps to the next instruction.
 */
const safeInstruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.constantFrom(...ops((i) => i.kind === 'alu' || i.kind === 'neg' || i.kind === 'movsx' || i.kind === 'end'))
    .chain((info) => fc.record({ dst: reg, src: reg, imm: int32 }).map(({ dst, src, imm }) => {
      let k = imm;
      if (info.alu === 'lsh' || info.alu === 'rsh' || info.alu === 'arsh') k = Math.abs(imm) % (info.wide ? 64 : 32);
      if ((info.alu === 'div' || info.alu === 'sdiv' || info.alu === 'mod' || info.alu === 'smod') && k === 0) k = 7;
      return {
        op: info.op, dst, src: info.src === 'reg' ? src : 0, off: 0, imm: info.imm === 'any' ? k : 0,
      };
    })),
  fc.record({ dst: reg, v: imm64 }).map(({ dst, v }) => ({ op: Op.LDDW, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v })),
  fc.constantFrom(...ops((i) => i.kind === 'st' || i.kind === 'stx' || i.kind === 'ldx' || i.kind === 'ldxs'))
    .chain((info) => fc.record({ r: reg, slot: fc.integer({ min: 1, max: 64 }), imm: int32 }).map(({ r, slot, imm }) => {
      const off = -slot * 8;
      if (info.kind === 'st') return { op: info.op, dst: 10, src: 0, off, imm };
      if (info.kind === 'stx') return { op: info.op, dst: 10, src: r, off, imm: 0 };
      return { op: info.op, dst: r, src: 10, off, imm: 0 };
    })),
  fc.constantFrom(...ops((i) => i.kind === 'jmp'))
    .chain((info) => fc.record({ dst: reg, src: reg, imm: int32 }).map(({ dst, src, imm }) => ({
      op: info.op, dst, src: info.source === 'X' ? src : 0, off: 0, imm: info.source === 'K' ? imm : 0,
    }))),
  fc.constantFrom(Op.JA, Op.JA32).map((op) => ({ op, dst: 0, src: 0, off: 0, imm: 0 })),
);

/** Initialise r0..r9 and every stack slot the loads may read, then the random body, then exit. */
function program(body: readonly Instruction[], inits: readonly number[]): Uint8Array {
  const mov = OP_TABLE.find((i) => i.kind === 'alu' && i.alu === 'mov' && i.wide && i.source === 'K')!;
  const stdw = OP_TABLE.find((i) => i.kind === 'st' && i.size === 8)!;
  const pre: Instruction[] = inits.map((v, r) => ({ op: mov.op, dst: r, src: 0, off: 0, imm: v }));
  for (let slot = 1; slot <= 64; slot++) pre.push({ op: stdw.op, dst: 10, src: 0, off: -slot * 8, imm: slot });
  const exit: Instruction[] = [
    { op: mov.op, dst: 0, src: 0, off: 0, imm: 0 },
    { op: Op.EXIT, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  return encode(fromInstructions([...pre, ...body, ...exit]));
}

describe.skipIf(skip !== undefined)('the running kernel as an oracle', () => {
  afterAll(() => loader.dispose());
  test.prop([fc.array(safeInstruction, { minLength: 1, maxLength: 40 }), fc.array(int16, { minLength: 10, maxLength: 10 })], { numRuns: 200 })(
    'disasm.c prints what our kernel syntax prints, and we read its text back to the same bytes',
    (body, inits) => {
      const bytes = program(body, inits);
      const { log, loaded } = loader.load(bytes);
      expect(loaded, log.slice(-2000)).toBe(true);
      const kernel = loggedInstructions(log);
      const ours = disassemble(decode(bytes), { syntax: 'kernel', opcodes: true, indices: true });
      // Every instruction is on the straight-line path, so the kernel printed each one.
      expect(kernel.size).toBe(ours.length);
      for (const line of ours) {
        const m = /^\s*(\d+): (.*)$/.exec(line)!;
        expect(m[2]).toBe(kernel.get(Number(m[1])));
      }
      const listing = [...kernel].sort((a, b) => a[0] - b[0]).map(([i, t]) => `${i}: ${t}`).join('\n');
      expect(hex(encode(fromInstructions(assembleKernel(listing))))).toBe(hex(bytes));
    },
  );

  it.each(['alu', 'mem', 'jmp', 'calls'])('the committed %s.log is what this kernel prints', (name) => {
    const bytes = bytesOf(readFileSync(join(FIXTURES, `${name}.hex`), 'utf8'));
    const live = loader.load(bytes);
    expect(live.loaded).toBe(true);
    const committed = loggedInstructions(readFileSync(join(FIXTURES, `${name}.log`), 'utf8'));
    expect([...loggedInstructions(live.log)]).toEqual([...committed]);
  });

  it.each(INVALID_CASES)('the kernel rejects $name with our message', (c) => {
    const { log, loaded } = loader.load(bytesOf(c.bytes));
    expect(loaded).toBe(false);
    expect(log.split('\n')).toContain(c.kernel ?? c.message);
  });
});
