/**
 * The eBPF virtual machine: one hot loop over a decoded {@link Program}'s typed arrays.
 *
 * Registers are 64-bit values held as (lo, hi) signed 32-bit words in an Int32Array: no BigInt
 * and no allocation per instruction. Semantics follow Linux's interpreter (kernel/bpf/core.c,
 * ___bpf_prog_run) and RFC 9669: division by zero yields 0, modulo by zero leaves dst (32-bit
 * forms zero-extend), shift counts are masked, 32-bit operations zero-extend, signed division
 * truncates, INT_MIN / -1 = INT_MIN.
 *
 * Misbehaviour never throws out of {@link Vm.run}: it ends the run with a {@link Fault} value.
 */
import {
  BPF_FUNC_tail_call, MAX_BPF_STACK, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT,
} from '../isa/constants.js';
import { Op } from '../isa/ops.js';
import type { Program } from '../isa/program.js';
import { callxRegister } from '../isa/validate.js';
import { bswap32, div64, mod64, mul64, sdiv64, smod64 } from './arith64.js';
import { AddressSpace, PERM_R, PERM_W, formatAddress, type Region } from './memory.js';
import { primeInterpreter } from './warmup.js';

export type FaultKind =
  | 'invalid_instruction'
  | 'memory_access'
  | 'budget_exhausted'
  | 'call_depth'
  | 'unknown_helper'
  | 'unknown_kfunc'
  | 'helper_fault';

/** Why and where a run stopped abnormally. */
export interface Fault {
  readonly kind: FaultKind;
  /** Slot index of the faulting instruction. */
  readonly pc: number;
  readonly message: string;
}

export type RunResult =
  | { readonly status: 'exit'; readonly r0: bigint; readonly insns: number }
  | { readonly status: 'fault'; readonly fault: Fault; readonly insns: number };

/**
 * A helper function. Arguments are in r1..r5 (read them with {@link Vm.arg} and friends); the
 * return value becomes r0 (a number must be an integer in the safe range; negative numbers are
 * sign-extended). To fault the program, throw a {@link HelperFault}.
 */
export type Helper = (vm: Vm) => number | bigint;

/** Thrown by a helper to stop the program with a fault of kind `helper_fault`. */
export class HelperFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelperFault';
  }
}

/**
 * Tail-call hook (bpf_tail_call, helper 12): given the VM (r2 = prog-array map pointer, r3 =
 * index), return the program to continue with, or null when the slot is empty (execution then
 * continues after the call, as in Linux).
 */
export type TailCallHook = (vm: Vm) => Program | null;

export interface VmOptions {
  /** Helper table indexed by helper id. */
  readonly helpers?: ReadonlyArray<Helper | undefined>;
  /** kfuncs by BTF id. */
  readonly kfuncs?: ReadonlyMap<number, Helper>;
  readonly tailCall?: TailCallHook;
  /** Instructions a run may execute before it faults with `budget_exhausted`. */
  readonly budget?: number;
}

/**
 * The largest instruction budget (2^30 - 1, about a billion): the instruction counter then always
 * stays a small integer for V8, which keeps the hot loop from deoptimizing on overflow.
 */
export const MAX_BUDGET = 0x3fffffff;
export const DEFAULT_BUDGET = MAX_BUDGET;
/** Linux BPF_MAX_LOOPS: how many times may_goto falls through before it jumps. */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;
const TWO32 = 4294967296;

export class Vm {
  /** r0..r10 as (lo, hi) pairs: r[2k] low word, r[2k+1] high word. */
  readonly regs = new Int32Array(22);
  readonly space: AddressSpace;
  helpers: ReadonlyArray<Helper | undefined>;
  kfuncs: ReadonlyMap<number, Helper>;
  tailCall: TailCallHook | null;
  budget: number;
  /**
   * One 512-byte region per call frame (frame k's r10 is the end of stacks[k]), so an access
   * outside the current frame's stack faults, as the verifier's per-frame bounds promise.
   */
  readonly stacks: readonly Region[];
  /** @internal The `hi` address word of each frame's stack region (the hot loop's r10). */
  readonly stackHi = new Int32Array(MAX_CALL_FRAMES);
  /** Legacy packet loads (ld_abs/ld_ind) read this region; -1 when there is no packet. */
  packetSlot = -1;
  packetLen = 0;
  /** Slot index of the instruction being executed (valid inside helpers). */
  pc = 0;
  /** Currently running program (changes on tail calls; valid inside helpers). */
  program: Program | null = null;

  private readonly frameRet = new Int32Array(MAX_CALL_FRAMES);
  private readonly frameSave = new Int32Array(MAX_CALL_FRAMES * 8);
  private readonly frameProg: Array<Program | null> = new Array<Program | null>(MAX_CALL_FRAMES).fill(null);
  /** @internal The caller's may_goto counter per frame (each function has its own, see MAY_GOTO). */
  readonly frameMayGoto = new Int32Array(MAX_CALL_FRAMES);

  constructor(space: AddressSpace = new AddressSpace(), opts: VmOptions = {}) {
    this.space = space;
    this.helpers = opts.helpers ?? [];
    this.kfuncs = opts.kfuncs ?? new Map();
    this.tailCall = opts.tailCall ?? null;
    this.budget = Math.min(opts.budget ?? DEFAULT_BUDGET, MAX_BUDGET);
    primeOnce();
    this.stacks = Array.from({ length: MAX_CALL_FRAMES }, (_, k) =>
      space.map(new Uint8Array(MAX_BPF_STACK), { kind: 'stack', name: `stack of frame ${k}` }));
    this.stacks.forEach((r, k) => { this.stackHi[k] = r.hi; });
  }

  /** Register value as an unsigned 64-bit bigint (cold paths). */
  reg(n: number): bigint {
    return (BigInt(this.regs[2 * n + 1] >>> 0) << 32n) | BigInt(this.regs[2 * n] >>> 0);
  }

  /** Helper argument i (1..5) as an unsigned bigint. */
  arg(i: number): bigint {
    return this.reg(i);
  }

  /** Low 32 bits of register n, unsigned. */
  argU32(n: number): number {
    return this.regs[2 * n] >>> 0;
  }

  /** Register n as a signed 64-bit value, exact when it fits in a double's 53 bits. */
  argNumber(n: number): number {
    return this.regs[2 * n + 1] * TWO32 + (this.regs[2 * n] >>> 0);
  }

  setReg(n: number, v: bigint | number): void {
    if (typeof v === 'number') {
      this.regs[2 * n] = v | 0;
      this.regs[2 * n + 1] = Math.floor(v / TWO32) | 0;
    } else {
      const u = BigInt.asUintN(64, v);
      this.regs[2 * n] = Number(u & 0xffffffffn) | 0;
      this.regs[2 * n + 1] = Number(u >> 32n) | 0;
    }
  }

  /** Address of the top of frame 0's stack (r10 at entry). */
  stackTop(): bigint {
    return this.stacks[0].base + BigInt(MAX_BPF_STACK);
  }

  /**
   * Run `prog` from slot 0 with the registers as they are now (set r1..r5 first; r10 is set
   * here). The stack is zeroed.
   */
  run(prog: Program, entry = 0): RunResult {
    for (const s of this.stacks) s.bytes.fill(0);
    this.regs[20] = MAX_BPF_STACK;
    this.regs[21] = this.stackHi[0];
    return execute(this, prog, entry);
  }

  /** @internal */ pushFrame(depth: number, ret: number, prog: Program, mayGoto: number): void {
    this.frameRet[depth] = ret;
    this.frameMayGoto[depth] = mayGoto;
    this.frameProg[depth] = prog;
    const s = depth * 8, r = this.regs, f = this.frameSave;
    for (let k = 0; k < 8; k++) f[s + k] = r[12 + k];
  }

  /** @internal */ popFrame(depth: number): Program {
    const s = depth * 8, r = this.regs, f = this.frameSave;
    for (let k = 0; k < 8; k++) r[12 + k] = f[s + k];
    this.pc = this.frameRet[depth];
    const p = this.frameProg[depth]!;
    this.frameProg[depth] = null;
    return p;
  }
}

/** The 64-bit value of a helper's return as (lo, hi) into r0. */
function setR0(r: Int32Array, v: number | bigint): void {
  if (typeof v === 'number') {
    r[0] = v | 0;
    r[1] = Math.floor(v / TWO32) | 0;
  } else {
    const u = BigInt.asUintN(64, v);
    r[0] = Number(u & 0xffffffffn) | 0;
    r[1] = Number(u >> 32n) | 0;
  }
}

function fault(kind: FaultKind, pc: number, message: string, insns: number): RunResult {
  return { status: 'fault', fault: { kind, pc, message }, insns };
}

function memFault(space: AddressSpace, pc: number, lo: number, hi: number, size: number, write: boolean, insns: number): RunResult {
  const addr = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const region = space.regions[hi & 0xffff];
  const where = region !== null && region.hi === hi
    ? `${region.name} region of ${region.bytes.length} bytes, offset ${lo >>> 0}`
    : 'unmapped address';
  return fault('memory_access', pc, `invalid ${write ? 'write' : 'read'} of ${size} bytes at ${formatAddress(addr)} (${where})`, insns);
}

/** Invoke a helper outside the hot loop's frame so that its exceptions become faults. */
function callHelper(vm: Vm, fn: Helper, pc: number, insns: number): RunResult | null {
  try {
    setR0(vm.regs, fn(vm));
    return null;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return fault('helper_fault', pc, msg, insns);
  }
}

// Effective address of an atomic or acquire/release access: set by ea(), read right after.
let eaLo = 0, eaHi = 0;

/** Compute base register + sign-extended 16-bit offset with carry into the high word. */
function ea(r: Int32Array, base: number, off: number): void {
  const lo = r[base];
  const u = (lo >>> 0) + off;
  eaLo = u | 0;
  eaHi = u >= TWO32 ? (r[base + 1] + 1) | 0 : u < 0 ? (r[base + 1] - 1) | 0 : r[base + 1];
}

/** High address word after adding an offset that carried out of (u >= 2^32) or borrowed from (u < 0) the low word. */
function carryHi(hi: number, u: number): number {
  return u < 0 ? (hi - 1) | 0 : (hi + 1) | 0;
}

function execute(vm: Vm, prog: Program, entry: number): RunResult {
  const r = vm.regs;
  const space = vm.space;
  const views = space.views;
  const hiOf = space.hiOf, lenOf = space.lenOf, permOf = space.permOf;
  const budget = vm.budget;
  let op = prog.op, dst = prog.dst, src = prog.src, off = prog.off, imm = prog.imm;
  let cur = prog;
  let pc = entry;
  let n = 0;
  let depth = 0;
  let tailCalls = 0;
  let mayGoto = BPF_MAX_LOOPS;
  vm.program = prog;

  for (;;) {
    if (n >= budget) return fault('budget_exhausted', pc, `instruction budget of ${budget} exhausted`, n);
    n++;
    const i = pc++;
    switch (op[i]) {
      // ---------------------------------------------------------------- ALU64
      case Op.ADD64_K: {
        const d = dst[i] << 1, b = imm[i], sum = (r[d] >>> 0) + (b >>> 0);
        r[d] = sum | 0;
        r[d + 1] = (r[d + 1] + (b >> 31) + (sum >= TWO32 ? 1 : 0)) | 0;
        break;
      }
      case Op.ADD64_X: {
        const d = dst[i] << 1, x = src[i] << 1, sum = (r[d] >>> 0) + (r[x] >>> 0);
        r[d] = sum | 0;
        r[d + 1] = (r[d + 1] + r[x + 1] + (sum >= TWO32 ? 1 : 0)) | 0;
        break;
      }
      case Op.SUB64_K: {
        const d = dst[i] << 1, b = imm[i], diff = (r[d] >>> 0) - (b >>> 0);
        r[d] = diff | 0;
        r[d + 1] = (r[d + 1] - (b >> 31) - (diff < 0 ? 1 : 0)) | 0;
        break;
      }
      case Op.SUB64_X: {
        const d = dst[i] << 1, x = src[i] << 1, diff = (r[d] >>> 0) - (r[x] >>> 0);
        r[d] = diff | 0;
        r[d + 1] = (r[d + 1] - r[x + 1] - (diff < 0 ? 1 : 0)) | 0;
        break;
      }
      case Op.MUL64_K: { const b = imm[i]; mul64(r, dst[i] << 1, b, b >> 31); break; }
      case Op.MUL64_X: { const s = src[i] << 1; mul64(r, dst[i] << 1, r[s], r[s + 1]); break; }
      case Op.DIV64_K: { const b = imm[i]; div64(r, dst[i] << 1, b, b >> 31); break; }
      case Op.DIV64_X: { const s = src[i] << 1; div64(r, dst[i] << 1, r[s], r[s + 1]); break; }
      case Op.SDIV64_K: { const b = imm[i]; sdiv64(r, dst[i] << 1, b, b >> 31); break; }
      case Op.SDIV64_X: { const s = src[i] << 1; sdiv64(r, dst[i] << 1, r[s], r[s + 1]); break; }
      case Op.MOD64_K: { const b = imm[i]; mod64(r, dst[i] << 1, b, b >> 31); break; }
      case Op.MOD64_X: { const s = src[i] << 1; mod64(r, dst[i] << 1, r[s], r[s + 1]); break; }
      case Op.SMOD64_K: { const b = imm[i]; smod64(r, dst[i] << 1, b, b >> 31); break; }
      case Op.SMOD64_X: { const s = src[i] << 1; smod64(r, dst[i] << 1, r[s], r[s + 1]); break; }
      case Op.OR64_K: { const d = dst[i] << 1, b = imm[i]; r[d] |= b; r[d + 1] |= b >> 31; break; }
      case Op.OR64_X: { const d = dst[i] << 1, s = src[i] << 1; r[d] |= r[s]; r[d + 1] |= r[s + 1]; break; }
      case Op.AND64_K: { const d = dst[i] << 1, b = imm[i]; r[d] &= b; r[d + 1] &= b >> 31; break; }
      case Op.AND64_X: { const d = dst[i] << 1, s = src[i] << 1; r[d] &= r[s]; r[d + 1] &= r[s + 1]; break; }
      case Op.XOR64_K: { const d = dst[i] << 1, b = imm[i]; r[d] ^= b; r[d + 1] ^= b >> 31; break; }
      case Op.XOR64_X: { const d = dst[i] << 1, s = src[i] << 1; r[d] ^= r[s]; r[d + 1] ^= r[s + 1]; break; }
      case Op.MOV64_K: { const d = dst[i] << 1, b = imm[i]; r[d] = b; r[d + 1] = b >> 31; break; }
      case Op.MOV64_X: { const d = dst[i] << 1, s = src[i] << 1; r[d] = r[s]; r[d + 1] = r[s + 1]; break; }
      case Op.LSH64_K: case Op.LSH64_X: {
        const d = dst[i] << 1;
        const sh = (op[i] === Op.LSH64_K ? imm[i] : r[src[i] << 1]) & 63;
        if (sh === 0) break;
        const lo = r[d];
        if (sh < 32) { r[d + 1] = (r[d + 1] << sh) | (lo >>> (32 - sh)); r[d] = lo << sh; } else { r[d + 1] = lo << (sh - 32); r[d] = 0; }
        break;
      }
      case Op.RSH64_K: case Op.RSH64_X: {
        const d = dst[i] << 1;
        const sh = (op[i] === Op.RSH64_K ? imm[i] : r[src[i] << 1]) & 63;
        if (sh === 0) break;
        const hi = r[d + 1];
        if (sh < 32) { r[d] = (r[d] >>> sh) | (hi << (32 - sh)); r[d + 1] = hi >>> sh; } else { r[d] = hi >>> (sh - 32); r[d + 1] = 0; }
        break;
      }
      case Op.ARSH64_K: case Op.ARSH64_X: {
        const d = dst[i] << 1;
        const sh = (op[i] === Op.ARSH64_K ? imm[i] : r[src[i] << 1]) & 63;
        if (sh === 0) break;
        const hi = r[d + 1];
        if (sh < 32) { r[d] = (r[d] >>> sh) | (hi << (32 - sh)); r[d + 1] = hi >> sh; } else { r[d] = hi >> (sh - 32); r[d + 1] = hi >> 31; }
        break;
      }
      case Op.NEG64: {
        const d = dst[i] << 1, lo = r[d];
        r[d] = -lo | 0;
        r[d + 1] = (~r[d + 1] + (lo === 0 ? 1 : 0)) | 0;
        break;
      }
      case Op.MOVSX8_64: { const d = dst[i] << 1, v = (r[src[i] << 1] << 24) >> 24; r[d] = v; r[d + 1] = v >> 31; break; }
      case Op.MOVSX16_64: { const d = dst[i] << 1, v = (r[src[i] << 1] << 16) >> 16; r[d] = v; r[d + 1] = v >> 31; break; }
      case Op.MOVSX32_64: { const d = dst[i] << 1, v = r[src[i] << 1]; r[d] = v; r[d + 1] = v >> 31; break; }

      // ---------------------------------------------------------------- ALU32 (zero-extending)
      case Op.ADD32_K: { const d = dst[i] << 1; r[d] = (r[d] + imm[i]) | 0; r[d + 1] = 0; break; }
      case Op.ADD32_X: { const d = dst[i] << 1; r[d] = (r[d] + r[src[i] << 1]) | 0; r[d + 1] = 0; break; }
      case Op.SUB32_K: { const d = dst[i] << 1; r[d] = (r[d] - imm[i]) | 0; r[d + 1] = 0; break; }
      case Op.SUB32_X: { const d = dst[i] << 1; r[d] = (r[d] - r[src[i] << 1]) | 0; r[d + 1] = 0; break; }
      case Op.MUL32_K: { const d = dst[i] << 1; r[d] = Math.imul(r[d], imm[i]); r[d + 1] = 0; break; }
      case Op.MUL32_X: { const d = dst[i] << 1; r[d] = Math.imul(r[d], r[src[i] << 1]); r[d + 1] = 0; break; }
      case Op.DIV32_K: case Op.DIV32_X: {
        const d = dst[i] << 1;
        const b = (op[i] === Op.DIV32_K ? imm[i] : r[src[i] << 1]) >>> 0;
        r[d] = b === 0 ? 0 : ((r[d] >>> 0) / b) | 0;
        r[d + 1] = 0;
        break;
      }
      case Op.MOD32_K: case Op.MOD32_X: {
        const d = dst[i] << 1;
        const b = (op[i] === Op.MOD32_K ? imm[i] : r[src[i] << 1]) >>> 0;
        if (b !== 0) r[d] = ((r[d] >>> 0) % b) | 0;
        r[d + 1] = 0;
        break;
      }
      case Op.SDIV32_K: case Op.SDIV32_X: {
        const d = dst[i] << 1;
        const b = op[i] === Op.SDIV32_K ? imm[i] : r[src[i] << 1];
        r[d] = b === 0 ? 0 : (r[d] / b) | 0;
        r[d + 1] = 0;
        break;
      }
      case Op.SMOD32_K: case Op.SMOD32_X: {
        const d = dst[i] << 1;
        const b = op[i] === Op.SMOD32_K ? imm[i] : r[src[i] << 1];
        if (b !== 0) r[d] = (r[d] % b) | 0;
        r[d + 1] = 0;
        break;
      }
      case Op.OR32_K: { const d = dst[i] << 1; r[d] |= imm[i]; r[d + 1] = 0; break; }
      case Op.OR32_X: { const d = dst[i] << 1; r[d] |= r[src[i] << 1]; r[d + 1] = 0; break; }
      case Op.AND32_K: { const d = dst[i] << 1; r[d] &= imm[i]; r[d + 1] = 0; break; }
      case Op.AND32_X: { const d = dst[i] << 1; r[d] &= r[src[i] << 1]; r[d + 1] = 0; break; }
      case Op.XOR32_K: { const d = dst[i] << 1; r[d] ^= imm[i]; r[d + 1] = 0; break; }
      case Op.XOR32_X: { const d = dst[i] << 1; r[d] ^= r[src[i] << 1]; r[d + 1] = 0; break; }
      case Op.LSH32_K: { const d = dst[i] << 1; r[d] <<= imm[i]; r[d + 1] = 0; break; }
      case Op.LSH32_X: { const d = dst[i] << 1; r[d] <<= r[src[i] << 1]; r[d + 1] = 0; break; }
      case Op.RSH32_K: { const d = dst[i] << 1; r[d] = r[d] >>> imm[i]; r[d + 1] = 0; break; }
      case Op.RSH32_X: { const d = dst[i] << 1; r[d] = r[d] >>> r[src[i] << 1]; r[d + 1] = 0; break; }
      case Op.ARSH32_K: { const d = dst[i] << 1; r[d] >>= imm[i]; r[d + 1] = 0; break; }
      case Op.ARSH32_X: { const d = dst[i] << 1; r[d] >>= r[src[i] << 1]; r[d + 1] = 0; break; }
      case Op.NEG32: { const d = dst[i] << 1; r[d] = -r[d] | 0; r[d + 1] = 0; break; }
      case Op.MOV32_K: { const d = dst[i] << 1; r[d] = imm[i]; r[d + 1] = 0; break; }
      case Op.MOV32_X: { const d = dst[i] << 1; r[d] = r[src[i] << 1]; r[d + 1] = 0; break; }
      case Op.MOVSX8_32: { const d = dst[i] << 1; r[d] = (r[src[i] << 1] << 24) >> 24; r[d + 1] = 0; break; }
      case Op.MOVSX16_32: { const d = dst[i] << 1; r[d] = (r[src[i] << 1] << 16) >> 16; r[d + 1] = 0; break; }

      // ---------------------------------------------------------------- byte order
      case Op.LE16: { const d = dst[i] << 1; r[d] &= 0xffff; r[d + 1] = 0; break; }
      case Op.LE32: { r[(dst[i] << 1) + 1] = 0; break; }
      case Op.LE64: break;
      case Op.BE16: case Op.BSWAP16: {
        const d = dst[i] << 1, v = r[d];
        r[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
        r[d + 1] = 0;
        break;
      }
      case Op.BE32: case Op.BSWAP32: { const d = dst[i] << 1; r[d] = bswap32(r[d]); r[d + 1] = 0; break; }
      case Op.BE64: case Op.BSWAP64: {
        const d = dst[i] << 1, lo = r[d];
        r[d] = bswap32(r[d + 1]);
        r[d + 1] = bswap32(lo);
        break;
      }

      // ---------------------------------------------------------------- ld_imm64, packet loads
      case Op.LDDW: {
        const d = dst[i] << 1;
        r[d] = imm[i];
        r[d + 1] = imm[i + 1];
        pc++;
        break;
      }
      case Op.LD_ABS_B: case Op.LD_ABS_H: case Op.LD_ABS_W:
      case Op.LD_IND_B: case Op.LD_IND_H: case Op.LD_IND_W: {
        // Linux: an out-of-bounds legacy packet load ends the program with r0 = 0.
        const o = op[i];
        const size = o === Op.LD_ABS_B || o === Op.LD_IND_B ? 1 : o === Op.LD_ABS_H || o === Op.LD_IND_H ? 2 : 4;
        const at = (o >= Op.LD_IND_B ? r[src[i] << 1] + imm[i] : imm[i]);
        if (vm.packetSlot < 0 || at < 0 || at + size > vm.packetLen) return { status: 'exit', r0: 0n, insns: n };
        const v = views[vm.packetSlot]!;
        r[0] = size === 1 ? v.getUint8(at) : size === 2 ? v.getUint16(at, false) : v.getInt32(at, false);
        r[1] = 0;
        break;
      }

      // ---------------------------------------------------------------- loads and stores
      case Op.LDX_B: {
        const b = src[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 1 > lenOf[s] || (permOf[s] & PERM_R) === 0) return memFault(space, i, u | 0, hi, 1, false, n);
        const v = views[s]!, d = dst[i] << 1;
        r[d] = v.getUint8(o); r[d + 1] = 0;
        break;
      }
      case Op.LDX_H: {
        const b = src[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 2 > lenOf[s] || (permOf[s] & PERM_R) === 0) return memFault(space, i, u | 0, hi, 2, false, n);
        const v = views[s]!, d = dst[i] << 1;
        r[d] = v.getUint16(o, true); r[d + 1] = 0;
        break;
      }
      case Op.LDX_W: {
        const b = src[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 4 > lenOf[s] || (permOf[s] & PERM_R) === 0) return memFault(space, i, u | 0, hi, 4, false, n);
        const v = views[s]!, d = dst[i] << 1;
        r[d] = v.getInt32(o, true); r[d + 1] = 0;
        break;
      }
      case Op.LDX_DW: {
        const b = src[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 8 > lenOf[s] || (permOf[s] & PERM_R) === 0) return memFault(space, i, u | 0, hi, 8, false, n);
        const v = views[s]!, d = dst[i] << 1;
        r[d] = v.getInt32(o, true); r[d + 1] = v.getInt32(o + 4, true);
        break;
      }
      case Op.LDXS_B: {
        const b = src[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 1 > lenOf[s] || (permOf[s] & PERM_R) === 0) return memFault(space, i, u | 0, hi, 1, false, n);
        const v = views[s]!, d = dst[i] << 1;
        const x = v.getInt8(o); r[d] = x; r[d + 1] = x >> 31;
        break;
      }
      case Op.LDXS_H: {
        const b = src[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 2 > lenOf[s] || (permOf[s] & PERM_R) === 0) return memFault(space, i, u | 0, hi, 2, false, n);
        const v = views[s]!, d = dst[i] << 1;
        const x = v.getInt16(o, true); r[d] = x; r[d + 1] = x >> 31;
        break;
      }
      case Op.LDXS_W: {
        const b = src[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 4 > lenOf[s] || (permOf[s] & PERM_R) === 0) return memFault(space, i, u | 0, hi, 4, false, n);
        const v = views[s]!, d = dst[i] << 1;
        const x = v.getInt32(o, true); r[d] = x; r[d + 1] = x >> 31;
        break;
      }
      case Op.ST_B: {
        const b = dst[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 1 > lenOf[s] || (permOf[s] & PERM_W) === 0) return memFault(space, i, u | 0, hi, 1, true, n);
        const v = views[s]!;
        v.setUint8(o, imm[i])
        break;
      }
      case Op.STX_B: {
        const b = dst[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 1 > lenOf[s] || (permOf[s] & PERM_W) === 0) return memFault(space, i, u | 0, hi, 1, true, n);
        const v = views[s]!;
        v.setUint8(o, r[src[i] << 1])
        break;
      }
      case Op.ST_H: {
        const b = dst[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 2 > lenOf[s] || (permOf[s] & PERM_W) === 0) return memFault(space, i, u | 0, hi, 2, true, n);
        const v = views[s]!;
        v.setUint16(o, imm[i], true)
        break;
      }
      case Op.STX_H: {
        const b = dst[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 2 > lenOf[s] || (permOf[s] & PERM_W) === 0) return memFault(space, i, u | 0, hi, 2, true, n);
        const v = views[s]!;
        v.setUint16(o, r[src[i] << 1], true)
        break;
      }
      case Op.ST_W: {
        const b = dst[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 4 > lenOf[s] || (permOf[s] & PERM_W) === 0) return memFault(space, i, u | 0, hi, 4, true, n);
        const v = views[s]!;
        v.setInt32(o, imm[i], true)
        break;
      }
      case Op.STX_W: {
        const b = dst[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 4 > lenOf[s] || (permOf[s] & PERM_W) === 0) return memFault(space, i, u | 0, hi, 4, true, n);
        const v = views[s]!;
        v.setInt32(o, r[src[i] << 1], true)
        break;
      }
      case Op.ST_DW: {
        const b = dst[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 8 > lenOf[s] || (permOf[s] & PERM_W) === 0) return memFault(space, i, u | 0, hi, 8, true, n);
        const v = views[s]!;
        { const x = imm[i]; v.setInt32(o, x, true); v.setInt32(o + 4, x >> 31, true); }
        break;
      }
      case Op.STX_DW: {
        const b = dst[i] << 1, u = (r[b] >>> 0) + off[i];
        const hi = u >= 0 && u < TWO32 ? r[b + 1] : carryHi(r[b + 1], u);
        const s = hi & 0xffff, o = u >>> 0;
        if (hiOf[s] !== hi || o + 8 > lenOf[s] || (permOf[s] & PERM_W) === 0) return memFault(space, i, u | 0, hi, 8, true, n);
        const v = views[s]!;
        { const x = src[i] << 1; v.setInt32(o, r[x], true); v.setInt32(o + 4, r[x + 1], true); }
        break;
      }

      // ---------------------------------------------------------------- atomics
      case Op.ATOMIC32_ADD: case Op.ATOMIC32_OR: case Op.ATOMIC32_AND: case Op.ATOMIC32_XOR:
      case Op.ATOMIC32_FETCH_ADD: case Op.ATOMIC32_FETCH_OR: case Op.ATOMIC32_FETCH_AND:
      case Op.ATOMIC32_FETCH_XOR: case Op.ATOMIC32_XCHG: case Op.ATOMIC32_CMPXCHG: {
        ea(r, dst[i] << 1, off[i]);
        const s = space.tr(eaLo, eaHi, 4, PERM_R | PERM_W);
        if (s < 0) return memFault(space, i, eaLo, eaHi, 4, true, n);
        const v = views[s]!, o = eaLo >>> 0, x = src[i] << 1;
        const old = v.getInt32(o, true), val = r[x];
        switch (op[i]) {
          case Op.ATOMIC32_ADD: v.setInt32(o, (old + val) | 0, true); break;
          case Op.ATOMIC32_OR: v.setInt32(o, old | val, true); break;
          case Op.ATOMIC32_AND: v.setInt32(o, old & val, true); break;
          case Op.ATOMIC32_XOR: v.setInt32(o, old ^ val, true); break;
          case Op.ATOMIC32_FETCH_ADD: v.setInt32(o, (old + val) | 0, true); r[x] = old; r[x + 1] = 0; break;
          case Op.ATOMIC32_FETCH_OR: v.setInt32(o, old | val, true); r[x] = old; r[x + 1] = 0; break;
          case Op.ATOMIC32_FETCH_AND: v.setInt32(o, old & val, true); r[x] = old; r[x + 1] = 0; break;
          case Op.ATOMIC32_FETCH_XOR: v.setInt32(o, old ^ val, true); r[x] = old; r[x + 1] = 0; break;
          case Op.ATOMIC32_XCHG: v.setInt32(o, val, true); r[x] = old; r[x + 1] = 0; break;
          default: // CMPXCHG: compare with the low 32 bits of r0; r0 always gets the old value.
            if (old === r[0]) v.setInt32(o, val, true);
            r[0] = old; r[1] = 0;
        }
        break;
      }
      case Op.ATOMIC64_ADD: case Op.ATOMIC64_OR: case Op.ATOMIC64_AND: case Op.ATOMIC64_XOR:
      case Op.ATOMIC64_FETCH_ADD: case Op.ATOMIC64_FETCH_OR: case Op.ATOMIC64_FETCH_AND:
      case Op.ATOMIC64_FETCH_XOR: case Op.ATOMIC64_XCHG: case Op.ATOMIC64_CMPXCHG: {
        ea(r, dst[i] << 1, off[i]);
        const s = space.tr(eaLo, eaHi, 8, PERM_R | PERM_W);
        if (s < 0) return memFault(space, i, eaLo, eaHi, 8, true, n);
        const v = views[s]!, o = eaLo >>> 0, x = src[i] << 1;
        const oldLo = v.getInt32(o, true), oldHi = v.getInt32(o + 4, true);
        const vLo = r[x], vHi = r[x + 1];
        let nLo = oldLo, nHi = oldHi;
        const code = op[i];
        switch (code) {
          case Op.ATOMIC64_ADD: case Op.ATOMIC64_FETCH_ADD: {
            const sum = (oldLo >>> 0) + (vLo >>> 0);
            nLo = sum | 0; nHi = (oldHi + vHi + (sum >= TWO32 ? 1 : 0)) | 0;
            break;
          }
          case Op.ATOMIC64_OR: case Op.ATOMIC64_FETCH_OR: nLo = oldLo | vLo; nHi = oldHi | vHi; break;
          case Op.ATOMIC64_AND: case Op.ATOMIC64_FETCH_AND: nLo = oldLo & vLo; nHi = oldHi & vHi; break;
          case Op.ATOMIC64_XOR: case Op.ATOMIC64_FETCH_XOR: nLo = oldLo ^ vLo; nHi = oldHi ^ vHi; break;
          case Op.ATOMIC64_XCHG: nLo = vLo; nHi = vHi; break;
          default: // CMPXCHG
            if (oldLo === r[0] && oldHi === r[1]) { nLo = vLo; nHi = vHi; }
        }
        v.setInt32(o, nLo, true); v.setInt32(o + 4, nHi, true);
        if (code === Op.ATOMIC64_CMPXCHG) { r[0] = oldLo; r[1] = oldHi; }
        else if (code >= Op.ATOMIC64_FETCH_ADD) { r[x] = oldLo; r[x + 1] = oldHi; }
        break;
      }
      case Op.LOAD_ACQ_B: case Op.LOAD_ACQ_H: case Op.LOAD_ACQ_W: case Op.LOAD_ACQ_DW: {
        // Single-threaded: acquire ordering is a plain load (dst = *(src + off)).
        const size = 1 << (op[i] - Op.LOAD_ACQ_B);
        ea(r, src[i] << 1, off[i]);
        const s = space.tr(eaLo, eaHi, size, PERM_R);
        if (s < 0) return memFault(space, i, eaLo, eaHi, size, false, n);
        const v = views[s]!, o = eaLo >>> 0, d = dst[i] << 1;
        r[d] = size === 1 ? v.getUint8(o) : size === 2 ? v.getUint16(o, true) : v.getInt32(o, true);
        r[d + 1] = size === 8 ? v.getInt32(o + 4, true) : 0;
        break;
      }
      case Op.STORE_REL_B: case Op.STORE_REL_H: case Op.STORE_REL_W: case Op.STORE_REL_DW: {
        const size = 1 << (op[i] - Op.STORE_REL_B);
        ea(r, dst[i] << 1, off[i]);
        const s = space.tr(eaLo, eaHi, size, PERM_W);
        if (s < 0) return memFault(space, i, eaLo, eaHi, size, true, n);
        const v = views[s]!, o = eaLo >>> 0, x = src[i] << 1;
        if (size === 1) v.setUint8(o, r[x]);
        else if (size === 2) v.setUint16(o, r[x], true);
        else { v.setInt32(o, r[x], true); if (size === 8) v.setInt32(o + 4, r[x + 1], true); }
        break;
      }

      // ---------------------------------------------------------------- jumps
      case Op.JA: pc += off[i]; break;
      case Op.JA32: pc += imm[i]; break;
      case Op.JEQ_K: { const d = dst[i] << 1, b = imm[i]; if (r[d] === b && r[d + 1] === b >> 31) pc += off[i]; break; }
      case Op.JEQ_X: { const d = dst[i] << 1, s = src[i] << 1; if (r[d] === r[s] && r[d + 1] === r[s + 1]) pc += off[i]; break; }
      case Op.JNE_K: { const d = dst[i] << 1, b = imm[i]; if (r[d] !== b || r[d + 1] !== b >> 31) pc += off[i]; break; }
      case Op.JNE_X: { const d = dst[i] << 1, s = src[i] << 1; if (r[d] !== r[s] || r[d + 1] !== r[s + 1]) pc += off[i]; break; }
      case Op.JSET_K: { const d = dst[i] << 1, b = imm[i]; if ((r[d] & b) !== 0 || (r[d + 1] & (b >> 31)) !== 0) pc += off[i]; break; }
      case Op.JSET_X: { const d = dst[i] << 1, s = src[i] << 1; if ((r[d] & r[s]) !== 0 || (r[d + 1] & r[s + 1]) !== 0) pc += off[i]; break; }
      case Op.JGT_K: {
        const d = dst[i] << 1, b = imm[i], ah = r[d + 1] >>> 0, bh = (b >> 31) >>> 0;
        if (ah > bh || (ah === bh && (r[d] >>> 0) > (b >>> 0))) pc += off[i];
        break;
      }
      case Op.JGT_X: {
        const d = dst[i] << 1, x = src[i] << 1, ah = r[d + 1] >>> 0, bh = r[x + 1] >>> 0;
        if (ah > bh || (ah === bh && (r[d] >>> 0) > (r[x] >>> 0))) pc += off[i];
        break;
      }
      case Op.JGE_K: {
        const d = dst[i] << 1, b = imm[i], ah = r[d + 1] >>> 0, bh = (b >> 31) >>> 0;
        if (ah > bh || (ah === bh && (r[d] >>> 0) >= (b >>> 0))) pc += off[i];
        break;
      }
      case Op.JGE_X: {
        const d = dst[i] << 1, x = src[i] << 1, ah = r[d + 1] >>> 0, bh = r[x + 1] >>> 0;
        if (ah > bh || (ah === bh && (r[d] >>> 0) >= (r[x] >>> 0))) pc += off[i];
        break;
      }
      case Op.JLT_K: {
        const d = dst[i] << 1, b = imm[i], ah = r[d + 1] >>> 0, bh = (b >> 31) >>> 0;
        if (ah < bh || (ah === bh && (r[d] >>> 0) < (b >>> 0))) pc += off[i];
        break;
      }
      case Op.JLT_X: {
        const d = dst[i] << 1, x = src[i] << 1, ah = r[d + 1] >>> 0, bh = r[x + 1] >>> 0;
        if (ah < bh || (ah === bh && (r[d] >>> 0) < (r[x] >>> 0))) pc += off[i];
        break;
      }
      case Op.JLE_K: {
        const d = dst[i] << 1, b = imm[i], ah = r[d + 1] >>> 0, bh = (b >> 31) >>> 0;
        if (ah < bh || (ah === bh && (r[d] >>> 0) <= (b >>> 0))) pc += off[i];
        break;
      }
      case Op.JLE_X: {
        const d = dst[i] << 1, x = src[i] << 1, ah = r[d + 1] >>> 0, bh = r[x + 1] >>> 0;
        if (ah < bh || (ah === bh && (r[d] >>> 0) <= (r[x] >>> 0))) pc += off[i];
        break;
      }
      case Op.JSGT_K: {
        const d = dst[i] << 1, b = imm[i], ah = r[d + 1], bh = b >> 31;
        if (ah > bh || (ah === bh && (r[d] >>> 0) > (b >>> 0))) pc += off[i];
        break;
      }
      case Op.JSGT_X: {
        const d = dst[i] << 1, x = src[i] << 1, ah = r[d + 1], bh = r[x + 1];
        if (ah > bh || (ah === bh && (r[d] >>> 0) > (r[x] >>> 0))) pc += off[i];
        break;
      }
      case Op.JSGE_K: {
        const d = dst[i] << 1, b = imm[i], ah = r[d + 1], bh = b >> 31;
        if (ah > bh || (ah === bh && (r[d] >>> 0) >= (b >>> 0))) pc += off[i];
        break;
      }
      case Op.JSGE_X: {
        const d = dst[i] << 1, x = src[i] << 1, ah = r[d + 1], bh = r[x + 1];
        if (ah > bh || (ah === bh && (r[d] >>> 0) >= (r[x] >>> 0))) pc += off[i];
        break;
      }
      case Op.JSLT_K: {
        const d = dst[i] << 1, b = imm[i], ah = r[d + 1], bh = b >> 31;
        if (ah < bh || (ah === bh && (r[d] >>> 0) < (b >>> 0))) pc += off[i];
        break;
      }
      case Op.JSLT_X: {
        const d = dst[i] << 1, x = src[i] << 1, ah = r[d + 1], bh = r[x + 1];
        if (ah < bh || (ah === bh && (r[d] >>> 0) < (r[x] >>> 0))) pc += off[i];
        break;
      }
      case Op.JSLE_K: {
        const d = dst[i] << 1, b = imm[i], ah = r[d + 1], bh = b >> 31;
        if (ah < bh || (ah === bh && (r[d] >>> 0) <= (b >>> 0))) pc += off[i];
        break;
      }
      case Op.JSLE_X: {
        const d = dst[i] << 1, x = src[i] << 1, ah = r[d + 1], bh = r[x + 1];
        if (ah < bh || (ah === bh && (r[d] >>> 0) <= (r[x] >>> 0))) pc += off[i];
        break;
      }
      case Op.JEQ32_K: if (r[dst[i] << 1] === imm[i]) pc += off[i]; break;
      case Op.JEQ32_X: if (r[dst[i] << 1] === r[src[i] << 1]) pc += off[i]; break;
      case Op.JNE32_K: if (r[dst[i] << 1] !== imm[i]) pc += off[i]; break;
      case Op.JNE32_X: if (r[dst[i] << 1] !== r[src[i] << 1]) pc += off[i]; break;
      case Op.JSET32_K: if ((r[dst[i] << 1] & imm[i]) !== 0) pc += off[i]; break;
      case Op.JSET32_X: if ((r[dst[i] << 1] & r[src[i] << 1]) !== 0) pc += off[i]; break;
      case Op.JGT32_K: if ((r[dst[i] << 1] >>> 0) > (imm[i] >>> 0)) pc += off[i]; break;
      case Op.JGT32_X: if ((r[dst[i] << 1] >>> 0) > (r[src[i] << 1] >>> 0)) pc += off[i]; break;
      case Op.JGE32_K: if ((r[dst[i] << 1] >>> 0) >= (imm[i] >>> 0)) pc += off[i]; break;
      case Op.JGE32_X: if ((r[dst[i] << 1] >>> 0) >= (r[src[i] << 1] >>> 0)) pc += off[i]; break;
      case Op.JLT32_K: if ((r[dst[i] << 1] >>> 0) < (imm[i] >>> 0)) pc += off[i]; break;
      case Op.JLT32_X: if ((r[dst[i] << 1] >>> 0) < (r[src[i] << 1] >>> 0)) pc += off[i]; break;
      case Op.JLE32_K: if ((r[dst[i] << 1] >>> 0) <= (imm[i] >>> 0)) pc += off[i]; break;
      case Op.JLE32_X: if ((r[dst[i] << 1] >>> 0) <= (r[src[i] << 1] >>> 0)) pc += off[i]; break;
      case Op.JSGT32_K: if (r[dst[i] << 1] > imm[i]) pc += off[i]; break;
      case Op.JSGT32_X: if (r[dst[i] << 1] > r[src[i] << 1]) pc += off[i]; break;
      case Op.JSGE32_K: if (r[dst[i] << 1] >= imm[i]) pc += off[i]; break;
      case Op.JSGE32_X: if (r[dst[i] << 1] >= r[src[i] << 1]) pc += off[i]; break;
      case Op.JSLT32_K: if (r[dst[i] << 1] < imm[i]) pc += off[i]; break;
      case Op.JSLT32_X: if (r[dst[i] << 1] < r[src[i] << 1]) pc += off[i]; break;
      case Op.JSLE32_K: if (r[dst[i] << 1] <= imm[i]) pc += off[i]; break;
      case Op.JSLE32_X: if (r[dst[i] << 1] <= r[src[i] << 1]) pc += off[i]; break;
      case Op.MAY_GOTO: {
        // Falls through BPF_MAX_LOOPS times, then always jumps. Linux keeps the counter in a stack
        // slot of each function, set to BPF_MAX_LOOPS by an instruction the verifier adds to the
        // function's prologue (do_misc_fixups): every call, and every tail-called program, starts
        // with a full counter, and a callee's loops do not use up its caller's. (x86-64 and arm64
        // JITs replace the count with a time limit, timed may_goto; this is the fixed-count form.)
        if (mayGoto === 0) pc += off[i]; else mayGoto--;
        break;
      }

      // ---------------------------------------------------------------- calls and exit
      case Op.CALL: case Op.CALLX: {
        const id = op[i] === Op.CALL ? imm[i] : r[callxRegister(dst[i], imm[i]) << 1];
        if (id === BPF_FUNC_tail_call && vm.tailCall !== null) {
          vm.pc = i;
          if (tailCalls >= MAX_TAIL_CALL_CNT) break;
          let next: Program | null;
          try { next = vm.tailCall(vm); } catch (e) {
            return fault('helper_fault', i, e instanceof Error ? e.message : String(e), n);
          }
          if (next === null) break;
          tailCalls++;
          mayGoto = BPF_MAX_LOOPS; // the new program's prologue initialises its own counter
          cur = next; op = next.op; dst = next.dst; src = next.src; off = next.off; imm = next.imm;
          vm.program = next;
          pc = 0;
          break;
        }
        const fn = id >= 0 ? vm.helpers[id] : undefined;
        if (fn === undefined) return fault('unknown_helper', i, `call to unknown helper ${id}`, n);
        vm.pc = i;
        const f = callHelper(vm, fn, i, n);
        if (f !== null) return f;
        break;
      }
      case Op.CALL_KFUNC: {
        const fn = vm.kfuncs.get(imm[i]);
        if (fn === undefined) return fault('unknown_kfunc', i, `call to unknown kfunc btf_id ${imm[i]}`, n);
        vm.pc = i;
        const f = callHelper(vm, fn, i, n);
        if (f !== null) return f;
        break;
      }
      case Op.CALL_LOCAL: {
        if (depth + 1 >= MAX_CALL_FRAMES) {
          return fault('call_depth', i, `the call stack of ${MAX_CALL_FRAMES} frames is too deep`, n);
        }
        vm.pushFrame(depth, pc, cur, mayGoto);
        depth++;
        mayGoto = BPF_MAX_LOOPS;
        r[20] = MAX_BPF_STACK;
        r[21] = vm.stackHi[depth];
        pc = i + 1 + imm[i];
        break;
      }
      case Op.EXIT: {
        if (depth === 0) {
          vm.pc = i;
          return { status: 'exit', r0: (BigInt(r[1] >>> 0) << 32n) | BigInt(r[0] >>> 0), insns: n };
        }
        depth--;
        const back = vm.popFrame(depth);
        mayGoto = vm.frameMayGoto[depth];
        pc = vm.pc;
        if (back !== cur) { cur = back; op = back.op; dst = back.dst; src = back.src; off = back.off; imm = back.imm; vm.program = back; }
        r[20] = MAX_BPF_STACK;
        r[21] = vm.stackHi[depth];
        break;
      }
      default:
        return fault('invalid_instruction', i, i >= 0 && i < cur.length
          ? `invalid instruction (opcode 0x${cur.code[i].toString(16).padStart(2, '0')}) at ${i}`
          : `jump out of the program to ${i}`, n);
    }
  }
}

let primer: Vm | null = null;

/** Prime the hot loop's type feedback once per process (see ./warmup.ts). */
function primeOnce(): void {
  primeInterpreter((p, a, b, c) => {
    primer ??= new Vm(new AddressSpace(), { helpers: [undefined, () => 0], budget: 100_000 });
    primer.regs.fill(0);
    primer.setReg(1, a);
    primer.setReg(2, b);
    primer.setReg(3, c);
    primer.run(p);
  });
}
