/**
 * fast-check arbitraries over eBPF values and programs, for property tests of interpreters,
 * verifiers and tools built on bpfsim.
 *
 * - {@link u64Arb} / {@link i32Arb}: operands biased toward {@link EDGE_U64} / {@link EDGE_I32}.
 * - {@link stepArb}: one generator {@link Step}; {@link syscallProgramArb}: a whole verifier-accepted
 *   BPF_PROG_TYPE_SYSCALL program built from steps, so fast-check shrinks a failing program by
 *   dropping and simplifying steps.
 * - {@link seededSyscallProgramArb}: programs of {@link generateSyscallProgram} by seed (the same
 *   programs a seed list reproduces outside fast-check; shrinking only lowers the seed).
 */
import fc from 'fast-check';
import { Op } from '../isa/ops.js';
import { EDGE_I32, EDGE_U64 } from './edge-values.js';
import {
  ACQ_REL_OPS, ALU_STEP_OPS, ATOMIC_OPS, CTX_LOAD_OPS, CTX_STORE_OPS, JMP_STEP_OPS, STACK_STORE_OPS,
  SYSCALL_CTX, compileSyscallProgram, generateSyscallProgram,
  type GeneratedProgram, type GeneratorOptions, type RegInit, type Step,
} from './syscall-programs.js';

const M64 = (1n << 64n) - 1n;

/** Unsigned 64-bit values: edge values half of the time, otherwise uniform or small. */
export function u64Arb(): fc.Arbitrary<bigint> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...EDGE_U64), weight: 5 },
    { arbitrary: fc.bigInt({ min: 0n, max: M64 }), weight: 4 },
    { arbitrary: fc.bigInt({ min: -256n, max: 256n }).map((v) => BigInt.asUintN(64, v)), weight: 1 },
  );
}

/** Signed 32-bit values (immediates): edge values half of the time, otherwise uniform. */
export function i32Arb(): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...EDGE_I32), weight: 1 },
    { arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }), weight: 1 },
  );
}

const regArb = fc.integer({ min: 0, max: 9 });

/** One program step of any kind (fields may be out of range: compileSyscallProgram repairs them). */
export function stepArb(): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constant('alu' as const), op: fc.constantFrom(...ALU_STEP_OPS), dst: regArb, src: regArb, imm: i32Arb() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('lddw' as const), dst: regArb, value: u64Arb() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('jmp' as const), op: fc.constantFrom(...JMP_STEP_OPS), dst: regArb, src: regArb, imm: i32Arb(), skip: fc.integer({ min: 0, max: 6 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('ctx_load' as const), op: fc.constantFrom(...CTX_LOAD_OPS), dst: regArb, base: regArb, off: fc.nat(255) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('ctx_store' as const), op: fc.constantFrom(...CTX_STORE_OPS), src: regArb, base: regArb, off: fc.nat(255) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('stack_store' as const), op: fc.constantFrom(...STACK_STORE_OPS), load: fc.constantFrom(...CTX_LOAD_OPS), dst: regArb, off: fc.nat(63), imm: i32Arb() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('atomic' as const), op: fc.constantFrom(...ATOMIC_OPS), src: regArb, off: fc.nat(63) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('acq_rel' as const), op: fc.constantFrom(...ACQ_REL_OPS), reg: regArb, off: fc.nat(63) }) },
  );
}

function regInitArb(): fc.Arbitrary<RegInit> {
  return fc.oneof(
    fc.record({ kind: fc.constant('ctx' as const), off: fc.nat(31).map((k) => k * 8) }),
    fc.record({ kind: fc.constant('imm' as const), value: u64Arb() }),
  );
}

/** The initial context: 8-byte cells drawn from {@link u64Arb}. */
export function syscallContextArb(): fc.Arbitrary<Uint8Array> {
  return fc.array(u64Arb(), { minLength: SYSCALL_CTX.size / 8, maxLength: SYSCALL_CTX.size / 8 }).map((cells) => {
    const ctx = new Uint8Array(SYSCALL_CTX.size);
    const dv = new DataView(ctx.buffer);
    cells.forEach((v, i) => dv.setBigUint64(i * 8, v, true));
    return ctx;
  });
}

export interface SyscallProgramArbOptions {
  readonly minSteps?: number;
  /** Default 60. */
  readonly maxSteps?: number;
}

/**
 * Verifier-accepted sleepable BPF_PROG_TYPE_SYSCALL programs with their initial context. Every
 * value is valid by construction (see compileSyscallProgram), so shrinking stays valid too.
 */
export function syscallProgramArb(opts: SyscallProgramArbOptions = {}): fc.Arbitrary<GeneratedProgram> {
  const maxJumps = 8;
  return fc.record({
    steps: fc.array(stepArb(), { minLength: opts.minSteps ?? 0, maxLength: opts.maxSteps ?? 60 })
      // Bound the conditional jumps: the verifier explores up to 2^n paths.
      .map((steps) => {
        let jumps = 0;
        return steps.filter((s) => s.kind !== 'jmp' || ++jumps <= maxJumps);
      }),
    ctx: syscallContextArb(),
    inits: fc.array(regInitArb(), { minLength: 10, maxLength: 10 }),
  }).map(({ steps, ctx, inits }) => compileSyscallProgram(steps, ctx, inits));
}

/** Programs of {@link generateSyscallProgram} for seeds drawn by fast-check. */
export function seededSyscallProgramArb(opts: GeneratorOptions = {}): fc.Arbitrary<GeneratedProgram> {
  return fc.integer({ min: 0, max: 0x7fffffff }).map((seed) => generateSyscallProgram(seed, opts));
}

/** Every operation a generated program can contain, by step kind (for coverage checks). */
export const GENERATED_OPS: Readonly<Record<Step['kind'], readonly Op[]>> = {
  alu: ALU_STEP_OPS, lddw: [Op.LDDW], jmp: JMP_STEP_OPS, ctx_load: CTX_LOAD_OPS, ctx_store: CTX_STORE_OPS,
  stack_store: STACK_STORE_OPS, atomic: ATOMIC_OPS, acq_rel: ACQ_REL_OPS,
};
