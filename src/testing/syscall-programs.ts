/**
 * Random eBPF programs that the real Linux verifier accepts, for differential testing of
 * interpreters (bpfsim's against the kernel's) and for users' own property tests.
 *
 * A program is built from abstract {@link Step}s: straight-line ALU work, forward conditional
 * jumps over whole steps, context loads and stores, immediate stores, atomics and acquire/release
 * accesses on the stack. {@link compileSyscallProgram} turns ANY list of steps into a program that
 * Linux accepts as a sleepable BPF_PROG_TYPE_SYSCALL program, by construction:
 *
 * - every register is written in the prologue before any step reads it (the verifier refuses reads
 *   of uninitialised registers, "R%d !read_ok");
 * - only r0..r9 are ever operands, so no pointer takes part in arithmetic; the context pointer
 *   lives in a stack slot and is reloaded (and the borrowed register restored) around each
 *   context access;
 * - K-form shift amounts are reduced into range (Linux: "invalid shift %d"), K-form divisors are
 *   never 0 (Linux: "div by zero"); register divisors and shift counts are arbitrary, since
 *   Linux defines x/0 = 0, x%0 = x and masks register shift counts;
 * - context accesses are aligned and inside the context (syscall_prog_is_valid_access), and
 *   atomics run on the stack ("BPF_ATOMIC stores into R1 ctx is not allowed"); immediate stores
 *   (BPF_ST) also go to the stack, from where they are read back into a register;
 * - jumps only go forward, to step boundaries, at most to the epilogue: no loops, no unreachable
 *   instruction ("unreachable insn"), and every path initialises what the next step reads;
 * - the epilogue stores r0..r9 (full 64 bits) and the stack scratch area into the context and
 *   returns r0, so a test run's observable state is the retval plus the context bytes;
 * - two patterns where Linux 6.18 departs from the ISA are avoided with instructions that do not
 *   change the ISA's result (see the 'atomic' case of compileStep): an explicit `w0 = w0` after a
 *   32-bit cmpxchg, and a neutral `lock add 0` before every fetching atomic.
 *
 * Context layout ({@link SYSCALL_CTX}): [0, 80) r0..r9 after the run, [80, 144) the stack scratch
 * area after the run, [144, 256) free data that steps load from and store to. Loads may read the
 * whole context (its initial bytes are random); stores only target the data area.
 */
import { BPF_REG_FP } from '../isa/constants.js';
import { Op, OP_TABLE, type OpInfo } from '../isa/ops.js';
import { encode, fromInstructions, type Instruction, type Program } from '../isa/program.js';
import { EDGE_I32, EDGE_U64 } from './edge-values.js';
import { Rng } from './rng.js';

/** BPF_PROG_TYPE_SYSCALL and BPF_F_SLEEPABLE (Linux loads syscall programs only as sleepable). */
export const BPF_PROG_TYPE_SYSCALL = 31;
export const BPF_F_SLEEPABLE = 16;

/** Where things are in the context of a generated program. */
export const SYSCALL_CTX = {
  /** Bytes of context passed to the test run. */
  size: 256,
  /** r0..r9 after the run, 8 bytes each, little endian. */
  regsOffset: 0,
  /** The 64-byte stack scratch area after the run. */
  scratchOffset: 80,
  /** Start of the area that stores write to. */
  dataOffset: 144,
} as const;

/** Stack slots (offsets from r10). */
const FP_CTX = -8;
const FP_SPILL = -16;
const SCRATCH_BYTES = 64;
const FP_SCRATCH = -16 - SCRATCH_BYTES; // scratch is [r10-80, r10-16)

/** One unit of generated work; compiled to one or more instructions. Register numbers are 0..9. */
export type Step =
  /** An ALU/ALU64 operation (K or X form), NEG, MOVSX or a byte swap: one instruction. */
  | { readonly kind: 'alu'; readonly op: Op; readonly dst: number; readonly src: number; readonly imm: number }
  /** dst = a 64-bit immediate (ld_imm64). */
  | { readonly kind: 'lddw'; readonly dst: number; readonly value: bigint }
  /** A JMP/JMP32 conditional jump over the next `skip` steps (clamped to the end of the body). */
  | { readonly kind: 'jmp'; readonly op: Op; readonly dst: number; readonly src: number; readonly imm: number; readonly skip: number }
  /** dst = *(size *)(ctx + off), zero- or sign-extending (LDX / LDXS); `base` is borrowed for the ctx pointer. */
  | { readonly kind: 'ctx_load'; readonly op: Op; readonly dst: number; readonly base: number; readonly off: number }
  /** *(size *)(ctx + data + off) = src (STX); `base` is borrowed for the ctx pointer. */
  | { readonly kind: 'ctx_store'; readonly op: Op; readonly src: number; readonly base: number; readonly off: number }
  /** *(size *)(scratch + off) = imm (BPF_ST), then dst = *(size *)(scratch + off) through `load`. */
  | { readonly kind: 'stack_store'; readonly op: Op; readonly load: Op; readonly dst: number; readonly off: number; readonly imm: number }
  /** An atomic on the scratch area (src is the operand; fetch forms write it back, cmpxchg uses r0). */
  | { readonly kind: 'atomic'; readonly op: Op; readonly src: number; readonly off: number }
  /** A load-acquire into dst or a store-release from src, on the scratch area. */
  | { readonly kind: 'acq_rel'; readonly op: Op; readonly reg: number; readonly off: number };

export type StepKind = Step['kind'];

export interface GeneratedProgram {
  /** The seed it was generated from (undefined when compiled from explicit steps). */
  readonly seed?: number;
  readonly steps: readonly Step[];
  /** How the prologue initialises r0..r9. */
  readonly inits: readonly RegInit[];
  readonly instructions: readonly Instruction[];
  readonly program: Program;
  /** The raw instruction bytes (what BPF_PROG_LOAD takes). */
  readonly insns: Uint8Array;
  /** Initial context bytes (SYSCALL_CTX.size). */
  readonly ctx: Uint8Array;
  readonly progType: number;
  readonly progFlags: number;
}

export interface GeneratorOptions {
  /** Number of body steps (default: 20..80, chosen by the seed). */
  readonly steps?: number;
  /** Most conditional jumps in one program (default 8; the verifier explores up to 2^n paths). */
  readonly maxJumps?: number;
  /** Relative weights of the step kinds (missing kinds keep their defaults; 0 disables one). */
  readonly weights?: Partial<Record<StepKind, number>>;
}

// ---------------------------------------------------------------- operation families (from OP_TABLE)

function opsWhere(pred: (i: OpInfo) => boolean): readonly Op[] {
  return OP_TABLE.filter((i) => i.op !== Op.INVALID && pred(i)).map((i) => i.op);
}

/** Every ALU/ALU64 operation (K and X), NEG, MOVSX and byte swap. */
export const ALU_STEP_OPS: readonly Op[] = opsWhere((i) => i.kind === 'alu' || i.kind === 'neg' || i.kind === 'movsx' || i.kind === 'end');
/** Every JMP and JMP32 conditional jump (11 conditions, K and X). */
export const JMP_STEP_OPS: readonly Op[] = opsWhere((i) => i.kind === 'jmp');
export const CTX_LOAD_OPS: readonly Op[] = opsWhere((i) => i.kind === 'ldx' || i.kind === 'ldxs');
export const CTX_STORE_OPS: readonly Op[] = opsWhere((i) => i.kind === 'stx');
export const STACK_STORE_OPS: readonly Op[] = opsWhere((i) => i.kind === 'st');
export const ATOMIC_OPS: readonly Op[] = opsWhere((i) => i.kind === 'atomic');
export const ACQ_REL_OPS: readonly Op[] = opsWhere((i) => i.kind === 'load_acq' || i.kind === 'store_rel');

const DEFAULT_WEIGHTS: Record<StepKind, number> = {
  alu: 60, lddw: 3, jmp: 10, ctx_load: 7, ctx_store: 7, stack_store: 4, atomic: 7, acq_rel: 2,
};

// ---------------------------------------------------------------- compiling steps

function ins(op: Op, dst: number, src = 0, off = 0, imm = 0): Instruction {
  return { op, dst, src, off, imm };
}

function reg(n: number): number {
  const r = Math.trunc(Math.abs(n)) % 10;
  return Number.isFinite(r) ? r : 0;
}

function i32(n: number): number {
  return Number.isFinite(n) ? n | 0 : 0;
}

/** The byte offset `x`, wrapped into [0, span) and rounded down to a multiple of `size` (span is one). */
function aligned(x: number, span: number, size: number): number {
  const wrapped = Math.abs(i32(x)) % span;
  return wrapped - (wrapped % size);
}

/** Load op of the same size as a store op, zero-extending. */
function loadOfSize(size: number): Op {
  return size === 1 ? Op.LDX_B : size === 2 ? Op.LDX_H : size === 4 ? Op.LDX_W : Op.LDX_DW;
}

function inFamily(op: Op, family: readonly Op[], fallback: Op): Op {
  return family.includes(op) ? op : fallback;
}

/** Borrow `base` for the ctx pointer around `access`, restoring it unless the access wrote it. */
function withCtx(base: number, access: Instruction, restore: boolean): Instruction[] {
  const out = [
    ins(Op.STX_DW, BPF_REG_FP, base, FP_SPILL),
    ins(Op.LDX_DW, base, BPF_REG_FP, FP_CTX),
    access,
  ];
  if (restore) out.push(ins(Op.LDX_DW, base, BPF_REG_FP, FP_SPILL));
  return out;
}

/** The instructions of one step, made valid whatever its fields hold. */
function compileStep(s: Step): Instruction[] {
  switch (s.kind) {
    case 'alu': {
      const op = inFamily(s.op, ALU_STEP_OPS, Op.ADD64_X);
      const info = OP_TABLE[op];
      const dst = reg(s.dst);
      if (info.kind === 'neg' || info.kind === 'end') return [ins(op, dst)];
      if (info.kind === 'movsx' || info.source === 'X') return [ins(op, dst, reg(s.src))];
      let imm = i32(s.imm);
      if (info.alu === 'lsh' || info.alu === 'rsh' || info.alu === 'arsh') imm &= info.wide ? 63 : 31;
      if ((info.alu === 'div' || info.alu === 'sdiv' || info.alu === 'mod' || info.alu === 'smod') && imm === 0) imm = 1;
      return [ins(op, dst, 0, 0, imm)];
    }
    case 'lddw': {
      const v = BigInt.asUintN(64, s.value);
      return [{ op: Op.LDDW, dst: reg(s.dst), src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v }];
    }
    case 'jmp': {
      // The offset is filled in by compileSyscallProgram once the following steps are laid out.
      const op = inFamily(s.op, JMP_STEP_OPS, Op.JEQ_X);
      const info = OP_TABLE[op];
      return [info.source === 'X' ? ins(op, reg(s.dst), reg(s.src)) : ins(op, reg(s.dst), 0, 0, i32(s.imm))];
    }
    case 'ctx_load': {
      const op = inFamily(s.op, CTX_LOAD_OPS, Op.LDX_DW);
      const size = OP_TABLE[op].size, dst = reg(s.dst), base = reg(s.base);
      const off = aligned(s.off, SYSCALL_CTX.size, size);
      return withCtx(base, ins(op, dst, base, off), dst !== base);
    }
    case 'ctx_store': {
      const op = inFamily(s.op, CTX_STORE_OPS, Op.STX_DW);
      const size = OP_TABLE[op].size, src = reg(s.src);
      let base = reg(s.base);
      if (base === src) base = (base + 1) % 10;
      const off = SYSCALL_CTX.dataOffset + aligned(s.off, SYSCALL_CTX.size - SYSCALL_CTX.dataOffset, size);
      return withCtx(base, ins(op, base, src, off), true);
    }
    case 'stack_store': {
      const op = inFamily(s.op, STACK_STORE_OPS, Op.ST_DW);
      const size = OP_TABLE[op].size;
      // Read back with a load of the same width, zero- or sign-extending as the step asks.
      const signed = CTX_LOAD_OPS.includes(s.load) && OP_TABLE[s.load].kind === 'ldxs' && size < 8;
      const load = signed ? (size === 1 ? Op.LDXS_B : size === 2 ? Op.LDXS_H : Op.LDXS_W) : loadOfSize(size);
      const off = FP_SCRATCH + aligned(s.off, SCRATCH_BYTES, size);
      return [ins(op, BPF_REG_FP, 0, off, i32(s.imm)), ins(load, reg(s.dst), BPF_REG_FP, off)];
    }
    case 'atomic': {
      const op = inFamily(s.op, ATOMIC_OPS, Op.ATOMIC64_ADD);
      const info = OP_TABLE[op];
      const off = FP_SCRATCH + aligned(s.off, SCRATCH_BYTES, info.size);
      const src = reg(s.src);
      const out: Instruction[] = [];
      if (info.atomic !== null && /^(fetch_|xchg|cmpxchg)/.test(info.atomic)) {
        // Linux 6.18's precision backtracking does not follow a fetching atomic's load from a
        // stack slot, so when the slot holds a constant the verifier knows on one path, a
        // branch on the fetched value can be pruned wrongly and the code behind it removed as
        // dead (test/oracle/kernel-quirks.test.ts). Adding 0 to the slot first (a non-fetching
        // atomic) leaves its value alone and makes it unknown to the verifier on every path.
        out.push(
          ins(Op.STX_DW, BPF_REG_FP, src, FP_SPILL), ins(Op.MOV64_K, src, 0, 0, 0),
          ins(Op.ATOMIC64_ADD, BPF_REG_FP, src, off - (((off % 8) + 8) % 8)),
          ins(Op.LDX_DW, src, BPF_REG_FP, FP_SPILL),
        );
      }
      out.push(ins(op, BPF_REG_FP, src, off));
      // A 32-bit cmpxchg zero-extends r0 (RFC 9669). On x86-64, Linux gets that from a zext the
      // verifier inserts after the insn (opt_subreg_zext_lo32_rnd_hi32), but only when it saw a
      // 64-bit read of r0 on an explored path; a path pruned at a checkpoint never marks it, and
      // then `lock cmpxchg` leaves r0's upper half unchanged when the compare succeeds (seen on
      // 6.18, see test/oracle/kernel-quirks.test.ts). The explicit `w0 = w0` changes nothing in
      // the ISA's semantics and keeps the kernel on the documented behaviour.
      if (op === Op.ATOMIC32_CMPXCHG) out.push(ins(Op.MOV32_X, 0, 0));
      return out;
    }
    case 'acq_rel': {
      const op = inFamily(s.op, ACQ_REL_OPS, Op.LOAD_ACQ_DW);
      const info = OP_TABLE[op];
      const off = FP_SCRATCH + aligned(s.off, SCRATCH_BYTES, info.size);
      return [info.kind === 'load_acq' ? ins(op, reg(s.reg), BPF_REG_FP, off) : ins(op, BPF_REG_FP, reg(s.reg), off)];
    }
  }
}

/** How a register starts out in the prologue. */
export type RegInit =
  | { readonly kind: 'ctx'; readonly off: number }
  | { readonly kind: 'imm'; readonly value: bigint };

function slotsOf(list: readonly Instruction[]): number {
  let n = 0;
  for (const i of list) n += i.op === Op.LDDW ? 2 : 1;
  return n;
}

/**
 * The prologue: save the ctx pointer, fill the scratch area from the context, initialise r0..r9
 * (r1, the ctx pointer, last).
 */
function prologue(inits: readonly RegInit[]): Instruction[] {
  const out: Instruction[] = [ins(Op.STX_DW, BPF_REG_FP, 1, FP_CTX)];
  for (let k = 0; k < SCRATCH_BYTES / 8; k++) {
    out.push(ins(Op.LDX_DW, 0, 1, SYSCALL_CTX.dataOffset + 8 * k));
    out.push(ins(Op.STX_DW, BPF_REG_FP, 0, FP_SCRATCH + 8 * k));
  }
  for (const r of [0, 2, 3, 4, 5, 6, 7, 8, 9, 1]) {
    const init = inits[r] ?? { kind: 'ctx', off: r * 8 };
    if (init.kind === 'ctx') {
      out.push(ins(Op.LDX_DW, r, 1, aligned(init.off, SYSCALL_CTX.size, 8)));
    } else {
      const v = BigInt.asUintN(64, init.value);
      const s = BigInt.asIntN(64, v);
      if (s >= -0x80000000n && s <= 0x7fffffffn) out.push(ins(Op.MOV64_K, r, 0, 0, Number(s)));
      else if (v <= 0xffffffffn) out.push(ins(Op.MOV32_K, r, 0, 0, Number(BigInt.asIntN(32, v))));
      else out.push({ op: Op.LDDW, dst: r, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v });
    }
  }
  return out;
}

/** The epilogue: r0..r9 and the scratch area into the context, then return r0. */
function epilogue(): Instruction[] {
  const out: Instruction[] = [
    ins(Op.STX_DW, BPF_REG_FP, 1, FP_SPILL),
    ins(Op.LDX_DW, 1, BPF_REG_FP, FP_CTX),
  ];
  for (let r = 0; r <= 9; r++) if (r !== 1) out.push(ins(Op.STX_DW, 1, r, SYSCALL_CTX.regsOffset + 8 * r));
  out.push(ins(Op.LDX_DW, 2, BPF_REG_FP, FP_SPILL));
  out.push(ins(Op.STX_DW, 1, 2, SYSCALL_CTX.regsOffset + 8));
  for (let k = 0; k < SCRATCH_BYTES / 8; k++) {
    out.push(ins(Op.LDX_DW, 2, BPF_REG_FP, FP_SCRATCH + 8 * k));
    out.push(ins(Op.STX_DW, 1, 2, SYSCALL_CTX.scratchOffset + 8 * k));
  }
  out.push(ins(Op.EXIT, 0));
  return out;
}

/**
 * Compile steps into a verifier-accepted sleepable BPF_PROG_TYPE_SYSCALL program. Any field values
 * are accepted: out-of-family ops, registers and offsets are mapped into valid ones.
 */
export function compileSyscallProgram(
  steps: readonly Step[],
  ctx: Uint8Array,
  inits: readonly RegInit[] = [],
  seed?: number,
): GeneratedProgram {
  if (ctx.length !== SYSCALL_CTX.size) throw new RangeError(`the context must be ${SYSCALL_CTX.size} bytes, got ${ctx.length}`);
  const bodies = steps.map(compileStep);
  const slotCounts = bodies.map(slotsOf);
  const instructions: Instruction[] = prologue(inits);
  bodies.forEach((body, k) => {
    const s = steps[k];
    if (s.kind === 'jmp') {
      const skip = Math.min(Math.max(0, Math.trunc(Number.isFinite(s.skip) ? s.skip : 0)), steps.length - k - 1);
      let off = 0;
      for (let j = k + 1; j <= k + skip; j++) off += slotCounts[j];
      if (off > 0x7fff) off = 0; // a body this large would not load anyway; keep the encoding valid
      instructions.push({ ...body[0], off });
    } else {
      instructions.push(...body);
    }
  });
  instructions.push(...epilogue());
  const program = fromInstructions(instructions);
  return {
    seed, steps, inits, instructions, program, insns: encode(program), ctx: ctx.slice(),
    progType: BPF_PROG_TYPE_SYSCALL, progFlags: BPF_F_SLEEPABLE,
  };
}

// ---------------------------------------------------------------- random steps

function imm32(rng: Rng): number {
  return rng.chance(0.6) ? rng.pick(EDGE_I32) : rng.i32();
}

function value64(rng: Rng): bigint {
  return rng.chance(0.6) ? rng.pick(EDGE_U64) : rng.u64();
}

function randomStep(rng: Rng, kind: StepKind): Step {
  const r = (): number => rng.int(0, 9);
  switch (kind) {
    case 'alu': {
      const op = rng.pick(ALU_STEP_OPS);
      const info = OP_TABLE[op];
      let imm = imm32(rng);
      // Shift immediates are reduced modulo the width by compileStep; pick in-range ones too.
      if (info.alu === 'lsh' || info.alu === 'rsh' || info.alu === 'arsh') imm = rng.int(0, info.wide ? 63 : 31);
      return { kind, op, dst: r(), src: r(), imm };
    }
    case 'lddw': return { kind, dst: r(), value: value64(rng) };
    case 'jmp': return { kind, op: rng.pick(JMP_STEP_OPS), dst: r(), src: r(), imm: imm32(rng), skip: rng.int(0, 6) };
    case 'ctx_load': return { kind, op: rng.pick(CTX_LOAD_OPS), dst: r(), base: r(), off: rng.int(0, 255) };
    case 'ctx_store': return { kind, op: rng.pick(CTX_STORE_OPS), src: r(), base: r(), off: rng.int(0, 255) };
    case 'stack_store': {
      return { kind, op: rng.pick(STACK_STORE_OPS), load: rng.pick(CTX_LOAD_OPS), dst: r(), off: rng.int(0, 63), imm: imm32(rng) };
    }
    case 'atomic': return { kind, op: rng.pick(ATOMIC_OPS), src: r(), off: rng.int(0, 63) };
    case 'acq_rel': return { kind, op: rng.pick(ACQ_REL_OPS), reg: r(), off: rng.int(0, 63) };
  }
}

/** Initial context bytes: random, with edge values planted in a third of the 8-byte cells. */
export function randomContext(rng: Rng): Uint8Array {
  const ctx = rng.bytes(SYSCALL_CTX.size);
  const dv = new DataView(ctx.buffer);
  for (let off = 0; off < ctx.length; off += 8) {
    if (rng.chance(0.35)) dv.setBigUint64(off, rng.pick(EDGE_U64), true);
  }
  return ctx;
}

/** Random steps (the body of a generated program). */
export function randomSteps(rng: Rng, opts: GeneratorOptions = {}): Step[] {
  const n = opts.steps ?? rng.int(20, 80);
  const maxJumps = opts.maxJumps ?? 8;
  const weights = { ...DEFAULT_WEIGHTS, ...opts.weights };
  const kinds = (Object.keys(weights) as StepKind[]).filter((k) => weights[k] > 0);
  const total = kinds.reduce((a, k) => a + weights[k], 0);
  if (total <= 0) throw new RangeError('every step kind has weight 0');
  const steps: Step[] = [];
  let jumps = 0;
  while (steps.length < n) {
    let x = rng.int(0, total - 1), kind = kinds[0];
    for (const k of kinds) { if (x < weights[k]) { kind = k; break; } x -= weights[k]; }
    if (kind === 'jmp' && jumps >= maxJumps) continue;
    if (kind === 'jmp') jumps++;
    steps.push(randomStep(rng, kind));
  }
  return steps;
}

/** Deterministic for a seed: the same seed always gives the same program and context. */
export function generateSyscallProgram(seed: number, opts: GeneratorOptions = {}): GeneratedProgram {
  const rng = new Rng(seed);
  const ctx = randomContext(rng);
  const inits: RegInit[] = [];
  for (let r = 0; r <= 9; r++) {
    inits.push(rng.chance(0.5) ? { kind: 'ctx', off: rng.int(0, 31) * 8 } : { kind: 'imm', value: value64(rng) });
  }
  return compileSyscallProgram(randomSteps(rng, opts), ctx, inits, seed);
}

/** r0..r9 as unsigned 64-bit values, read from a context after a run. */
export function registerDump(ctx: Uint8Array): bigint[] {
  const dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
  return Array.from({ length: 10 }, (_, r) => dv.getBigUint64(SYSCALL_CTX.regsOffset + 8 * r, true));
}
