/**
 * The program generators of src/testing: deterministic per seed, structurally valid, covering
 * every operation family they promise, obeying the constraints the Linux verifier imposes, and
 * robust to arbitrary step contents (compileSyscallProgram repairs any field). Whether Linux
 * really accepts them is checked against the kernel in ./differential.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_REG_FP } from '../../src/isa/constants.js';
import { Op, OP_TABLE } from '../../src/isa/ops.js';
import { toInstructions } from '../../src/isa/program.js';
import { validate } from '../../src/isa/validate.js';
import { GENERATED_OPS, stepArb, syscallProgramArb } from '../../src/testing/arbitraries.js';
import { Rng } from '../../src/testing/rng.js';
import { SyscallRunner } from '../../src/testing/run-syscall.js';
import {
  ALU_STEP_OPS, BPF_F_SLEEPABLE, BPF_PROG_TYPE_SYSCALL, JMP_STEP_OPS, SYSCALL_CTX, compileSyscallProgram,
  generateSyscallProgram, registerDump, type GeneratedProgram, type Step,
} from '../../src/testing/syscall-programs.js';

const runner = new SyscallRunner();

/** Structural promises every generated program keeps (see the syscall-programs module comment). */
function checkShape(g: GeneratedProgram): void {
  expect(validate(g.program)).toBeNull();
  expect(g.progType).toBe(BPF_PROG_TYPE_SYSCALL);
  expect(g.progFlags).toBe(BPF_F_SLEEPABLE);
  expect(g.ctx.length).toBe(SYSCALL_CTX.size);
  for (const ins of toInstructions(g.program)) {
    const info = OP_TABLE[ins.op];
    if (info.kind === 'jmp') expect(ins.off).toBeGreaterThanOrEqual(0); // forward only: no loops
    if (info.kind === 'ja' || info.kind === 'ja32' || info.kind === 'call' || info.kind === 'call_local') expect.fail(`unexpected ${info.mnemonic}`);
    if (info.kind === 'alu' && info.source === 'K') {
      if (info.alu === 'lsh' || info.alu === 'rsh' || info.alu === 'arsh') {
        expect(ins.imm).toBeGreaterThanOrEqual(0);
        expect(ins.imm).toBeLessThan(info.wide ? 64 : 32);
      }
      if (info.alu === 'div' || info.alu === 'mod' || info.alu === 'sdiv' || info.alu === 'smod') expect(ins.imm).not.toBe(0);
    }
    // Operands are r0..r9; r10 only as the base of stack accesses.
    if (info.kind === 'alu' || info.kind === 'jmp' || info.kind === 'movsx') {
      expect(ins.dst).toBeLessThan(BPF_REG_FP);
      if (info.source === 'X') expect(ins.src).toBeLessThan(BPF_REG_FP);
    }
    if (info.kind === 'st' || info.kind === 'atomic') expect(ins.dst).toBe(BPF_REG_FP); // never on the ctx
    if (info.kind === 'ldx' || info.kind === 'ldxs' || info.kind === 'stx') {
      const base = info.kind === 'stx' ? ins.dst : ins.src;
      if (base !== BPF_REG_FP) {
        expect(ins.off % info.size).toBe(0); // aligned context access
        expect(ins.off + info.size).toBeLessThanOrEqual(SYSCALL_CTX.size);
      }
    }
  }
  expect(toInstructions(g.program).at(-1)?.op).toBe(Op.EXIT);
}

describe('generateSyscallProgram', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = generateSyscallProgram(1234), b = generateSyscallProgram(1234), c = generateSyscallProgram(1235);
    expect(Array.from(a.insns)).toEqual(Array.from(b.insns));
    expect(Array.from(a.ctx)).toEqual(Array.from(b.ctx));
    expect(Array.from(a.insns)).not.toEqual(Array.from(c.insns));
  });

  it('keeps its structural promises and runs to exit in bpfsim', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const g = generateSyscallProgram(seed);
      checkShape(g);
      const out = runner.run(g.program, g.ctx);
      expect(out.result.status, `seed ${seed}`).toBe('exit');
    }
  });

  it('covers every ALU/ALU64 (K and X, neg, movsx, byte swap), JMP/JMP32, load, store and atomic operation', () => {
    expect(ALU_STEP_OPS).toHaveLength(56 + 2 + 5 + 9);
    expect(JMP_STEP_OPS).toHaveLength(44);
    const seen = new Set<Op>();
    for (let seed = 1; seed <= 1000; seed++) {
      for (const ins of toInstructions(generateSyscallProgram(seed).program)) seen.add(ins.op);
    }
    for (const ops of Object.values(GENERATED_OPS)) {
      for (const op of ops) expect(seen.has(op), OP_TABLE[op].mnemonic).toBe(true);
    }
  });

  it('honours the step count and the jump limit', () => {
    const g = generateSyscallProgram(7, { steps: 200, maxJumps: 3, weights: { jmp: 50 } });
    expect(g.steps).toHaveLength(200);
    expect(g.steps.filter((s) => s.kind === 'jmp')).toHaveLength(3);
    const onlyAlu = generateSyscallProgram(8, { steps: 50, weights: { jmp: 0, lddw: 0, ctx_load: 0, ctx_store: 0, stack_store: 0, atomic: 0, acq_rel: 0 } });
    expect(onlyAlu.steps.every((s) => s.kind === 'alu')).toBe(true);
    expect(() => generateSyscallProgram(9, { weights: { alu: 0, jmp: 0, lddw: 0, ctx_load: 0, ctx_store: 0, stack_store: 0, atomic: 0, acq_rel: 0 } })).toThrow(RangeError);
  });
});

describe('compileSyscallProgram', () => {
  it('with no steps, dumps the initial registers and returns r0 (the epilogue works)', () => {
    const rng = new Rng(5);
    const ctx = rng.bytes(SYSCALL_CTX.size);
    const values = [0x0123456789abcdefn, 5n, 0xffffffff80000000n, 0x80000000n, 1n << 63n, 7n, 0n, 42n, 0xffffffffffffffffn, 99n];
    const g = compileSyscallProgram([], ctx, values.map((value) => ({ kind: 'imm' as const, value })));
    const out = runner.run(g.program, g.ctx);
    expect(registerDump(out.ctx)).toEqual(values);
    expect(out.retval).toBe(0x89abcdef);
    // Registers initialised from the context read the context's words.
    const fromCtx = compileSyscallProgram([], ctx, Array.from({ length: 10 }, (_, r) => ({ kind: 'ctx' as const, off: 8 * (31 - r) })));
    const dump = registerDump(runner.run(fromCtx.program, fromCtx.ctx).ctx);
    const dv = new DataView(ctx.buffer);
    dump.forEach((v, r) => expect(v).toBe(dv.getBigUint64(8 * (31 - r), true)));
  });

  it('copies the stack scratch area into the context', () => {
    const ctx = new Uint8Array(SYSCALL_CTX.size);
    const steps: Step[] = [{ kind: 'stack_store', op: Op.ST_DW, load: Op.LDX_DW, dst: 3, off: 0, imm: -2 }];
    const g = compileSyscallProgram(steps, ctx);
    const out = runner.run(g.program, g.ctx);
    const dv = new DataView(out.ctx.buffer);
    expect(dv.getBigUint64(SYSCALL_CTX.scratchOffset, true)).toBe(0xfffffffffffffffen);
    expect(registerDump(out.ctx)[3]).toBe(0xfffffffffffffffen);
  });

  it('repairs arbitrary step fields into a valid program that runs to exit', () => {
    const anyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 40, -(2 ** 40)));
    const wildStep: fc.Arbitrary<Step> = fc.tuple(stepArb(), anyNumber, anyNumber, anyNumber, fc.nat(255)).map(([s, a, b, c, op]) => {
      const wild = { ...s, dst: a, src: b, base: c, off: b, imm: c, skip: a, reg: a, op } as unknown as Step;
      return wild;
    });
    fc.assert(fc.property(fc.array(wildStep, { maxLength: 30 }), (steps) => {
      const g = compileSyscallProgram(steps, new Uint8Array(SYSCALL_CTX.size));
      checkShape(g);
      expect(runner.run(g.program, g.ctx).result.status).toBe('exit');
    }), { numRuns: 200 });
  });

  it('refuses a context of the wrong size', () => {
    expect(() => compileSyscallProgram([], new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('syscallProgramArb', () => {
  it('produces valid programs that run to exit, and shrinks to smaller ones', () => {
    fc.assert(fc.property(syscallProgramArb(), (g) => {
      checkShape(g);
      expect(runner.run(g.program, g.ctx).result.status).toBe('exit');
    }), { numRuns: 150 });
    // A property that fails for any atomic step shrinks to a program with a single step.
    const failure = fc.check(fc.property(syscallProgramArb({ maxSteps: 40 }), (g) => !g.steps.some((s) => s.kind === 'atomic')), { seed: 1 });
    expect(failure.failed).toBe(true);
    expect(failure.counterexample?.[0].steps).toHaveLength(1);
  });
});
