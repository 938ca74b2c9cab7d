/**
 * Instruction builders in the cilium/ebpf `asm` style: operation values with `.imm` / `.reg`
 * (`Add64.imm(R1, 4)`, `JEq.reg(R1, R2, 'out')`), plain functions for the rest (`LoadMem(R0, R1, 4,
 * 'W')`, `Call('bpf_map_lookup_elem')`, `Exit()`), `Label('out')` items, and `assemble()` which
 * resolves labels and returns a Program that has passed validate().
 *
 * The builders only pick an OP_TABLE entry and check operand ranges; every opcode number comes from
 * OP_TABLE. Argument errors throw {@link BuildError}; a program that does not validate (a write to
 * r10, a jump into an ld_imm64) throws the validator's {@link IsaError} from assemble().
 */
import {
  BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE,
} from './constants.js';
import { helperId } from './helper-names.js';
import {
  aluOp, atomicOp, endOp, jmpOp, movsxOp, negOp, sizedOp, type SizedKind,
} from './asm-kernel-ops.js';
import { Op, OP_TABLE, type AluName, type AtomicName, type JmpName, type OpInfo } from './ops.js';
import { encode, fromInstructions, type Instruction, type Program } from './program.js';
import { validate } from './validate.js';

/** A register number r0..r10 (r10, the frame pointer, is read-only). */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;
/** The frame pointer's usual name. */
export const RFP = 10;

/** Access sizes, as cilium/ebpf and Linux (`BPF_B` .. `BPF_DW`) name them. */
export type Size = 'B' | 'H' | 'W' | 'DW';
const BYTES: Readonly<Record<Size, number>> = { B: 1, H: 2, W: 4, DW: 8 };

/** A branch or call target: a label, or a slot offset relative to the next instruction. */
export type Target = string | number;

export type AsmItem =
  | {
    readonly kind: 'insn';
    readonly ins: Instruction;
    /** A label to resolve into `off` or `imm` when the program is assembled. */
    readonly target?: { readonly label: string; readonly field: 'off' | 'imm' };
  }
  | { readonly kind: 'label'; readonly name: string };

/** A builder called with an argument it cannot encode. */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

function checkReg(r: number, what: string): void {
  if (!Number.isInteger(r) || r < 0 || r > 10) throw new BuildError(`${what} must be a register r0..r10, got ${r}`);
}

function int(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new BuildError(`${what} ${v} is out of range ${min}..${max}`);
  return v;
}

const s32 = (v: number, what = 'immediate'): number => int(v, -(2 ** 31), 2 ** 31 - 1, what);
/** 32-bit operations also take a u32 bit pattern (`And32.imm(R1, 0xffffffff)`). */
const u32ok = (v: number): number => int(v, -(2 ** 31), 2 ** 32 - 1, 'immediate') | 0;
const s16 = (v: number, what = 'offset'): number => int(v, -(2 ** 15), 2 ** 15 - 1, what);

/** Set a branch offset; an ld_imm64 callback reference keeps it in the low half of imm64. */
function withTarget(ins: Instruction, field: 'off' | 'imm', rel: number): Instruction {
  if (field === 'off') return { ...ins, off: rel };
  return ins.op === Op.LDDW ? { ...ins, imm: rel, imm64: BigInt(rel >>> 0) } : { ...ins, imm: rel };
}

function insn(info: OpInfo | undefined, f: Partial<Instruction>, target?: Target, field: 'off' | 'imm' = 'off'): AsmItem {
  if (info === undefined) throw new BuildError('no such operation');
  const ins: Instruction = { op: info.op, dst: 0, src: 0, off: 0, imm: 0, ...f };
  if (target === undefined) return { kind: 'insn', ins };
  if (typeof target === 'number') {
    const rel = field === 'off' ? s16(target, 'branch offset') : s32(target, 'branch offset');
    return { kind: 'insn', ins: withTarget(ins, field, rel) };
  }
  if (target === '') throw new BuildError('empty label');
  return { kind: 'insn', ins, target: { label: target, field } };
}

function sized(kind: SizedKind, size: Size): OpInfo {
  const info = sizedOp(kind, BYTES[size]);
  if (info === undefined) throw new BuildError(`${kind} has no ${size} form`);
  return info;
}

export interface AluBuilder {
  /** `dst op= k` */
  imm(dst: Reg, k: number): AsmItem;
  /** `dst op= src` */
  reg(dst: Reg, src: Reg): AsmItem;
}

function alu(name: AluName, wide: boolean): AluBuilder {
  return {
    imm: (dst, k) => {
      checkReg(dst, 'dst');
      return insn(aluOp(name, wide, 'K'), { dst, imm: wide ? s32(k) : u32ok(k) });
    },
    reg: (dst, src) => {
      checkReg(dst, 'dst');
      checkReg(src, 'src');
      return insn(aluOp(name, wide, 'X'), { dst, src });
    },
  };
}

export const Add64 = alu('add', true), Add32 = alu('add', false);
export const Sub64 = alu('sub', true), Sub32 = alu('sub', false);
export const Mul64 = alu('mul', true), Mul32 = alu('mul', false);
export const Div64 = alu('div', true), Div32 = alu('div', false);
export const SDiv64 = alu('sdiv', true), SDiv32 = alu('sdiv', false);
export const Mod64 = alu('mod', true), Mod32 = alu('mod', false);
export const SMod64 = alu('smod', true), SMod32 = alu('smod', false);
export const Or64 = alu('or', true), Or32 = alu('or', false);
export const And64 = alu('and', true), And32 = alu('and', false);
export const LSh64 = alu('lsh', true), LSh32 = alu('lsh', false);
export const RSh64 = alu('rsh', true), RSh32 = alu('rsh', false);
export const ArSh64 = alu('arsh', true), ArSh32 = alu('arsh', false);
export const Xor64 = alu('xor', true), Xor32 = alu('xor', false);
export const Mov64 = alu('mov', true), Mov32 = alu('mov', false);

export interface JumpBuilder {
  /** `if dst op k goto target` */
  imm(dst: Reg, k: number, target: Target): AsmItem;
  /** `if dst op src goto target` */
  reg(dst: Reg, src: Reg, target: Target): AsmItem;
}

function jump(name: JmpName, wide: boolean): JumpBuilder {
  return {
    imm: (dst, k, target) => {
      checkReg(dst, 'dst');
      return insn(jmpOp(name, wide, 'K'), { dst, imm: wide ? s32(k) : u32ok(k) }, target);
    },
    reg: (dst, src, target) => {
      checkReg(dst, 'dst');
      checkReg(src, 'src');
      return insn(jmpOp(name, wide, 'X'), { dst, src }, target);
    },
  };
}

export const JEq = jump('jeq', true), JEq32 = jump('jeq', false);
export const JNE = jump('jne', true), JNE32 = jump('jne', false);
export const JGT = jump('jgt', true), JGT32 = jump('jgt', false);
export const JGE = jump('jge', true), JGE32 = jump('jge', false);
export const JLT = jump('jlt', true), JLT32 = jump('jlt', false);
export const JLE = jump('jle', true), JLE32 = jump('jle', false);
export const JSGT = jump('jsgt', true), JSGT32 = jump('jsgt', false);
export const JSGE = jump('jsge', true), JSGE32 = jump('jsge', false);
export const JSLT = jump('jslt', true), JSLT32 = jump('jslt', false);
export const JSLE = jump('jsle', true), JSLE32 = jump('jsle', false);
export const JSet = jump('jset', true), JSet32 = jump('jset', false);

/** `goto target` (16-bit offset). */
export const Ja = (target: Target): AsmItem => insn(OP_TABLE[Op.JA], {}, target);
/** `gotol target` (32-bit offset in imm, ISA v4). */
export const Ja32 = (target: Target): AsmItem => insn(OP_TABLE[Op.JA32], {}, target, 'imm');
/** `may_goto target`. */
export const MayGoto = (target: Target): AsmItem => insn(OP_TABLE[Op.MAY_GOTO], {}, target);

export const Neg64 = (dst: Reg): AsmItem => (checkReg(dst, 'dst'), insn(negOp(true), { dst }));
export const Neg32 = (dst: Reg): AsmItem => (checkReg(dst, 'dst'), insn(negOp(false), { dst }));

/** `dst = (s8|s16|s32)src` (ISA v4). */
export function MovSX64(dst: Reg, src: Reg, bits: 8 | 16 | 32): AsmItem {
  checkReg(dst, 'dst');
  checkReg(src, 'src');
  return insn(movsxOp(true, bits), { dst, src });
}
/** `wdst = (s8|s16)wsrc` (ISA v4). */
export function MovSX32(dst: Reg, src: Reg, bits: 8 | 16): AsmItem {
  checkReg(dst, 'dst');
  checkReg(src, 'src');
  return insn(movsxOp(false, bits), { dst, src });
}

function byteOrder(name: 'le' | 'be' | 'bswap') {
  return (dst: Reg, bits: 16 | 32 | 64): AsmItem => {
    checkReg(dst, 'dst');
    return insn(endOp(`${name}${bits}`), { dst });
  };
}
/** `dst = le16|le32|le64 dst`. */
export const ToLE = byteOrder('le');
/** `dst = be16|be32|be64 dst`. */
export const ToBE = byteOrder('be');
/** `dst = bswap16|32|64 dst` (ISA v4, unconditional). */
export const BSwap = byteOrder('bswap');

/** `dst = value ll`: the two-slot 64-bit immediate load. */
export function LoadImm64(dst: Reg, value: bigint | number): AsmItem {
  checkReg(dst, 'dst');
  const v = BigInt(value);
  if (v < -(1n << 63n) || v > (1n << 64n) - 1n) throw new BuildError(`64-bit immediate ${v} out of range`);
  const imm64 = BigInt.asUintN(64, v);
  return { kind: 'insn', ins: { op: Op.LDDW, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, imm64)), imm64 } };
}

function pseudoLoad(dst: Reg, src: number, lo: number, hi: number): AsmItem {
  checkReg(dst, 'dst');
  const imm64 = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return { kind: 'insn', ins: { op: Op.LDDW, dst, src, off: 0, imm: lo | 0, imm64 } };
}

/** `dst = map[fd]`: ld_imm64 with BPF_PSEUDO_MAP_FD, resolved to the map by BPF_PROG_LOAD. */
export function LoadMapFd(dst: Reg, fd: number): AsmItem {
  return pseudoLoad(dst, BPF_PSEUDO_MAP_FD, int(fd, 0, 2 ** 31 - 1, 'map fd'), 0);
}
/** `dst = &map[fd][0] + off`: ld_imm64 with BPF_PSEUDO_MAP_VALUE (direct value access). */
export function LoadMapValue(dst: Reg, fd: number, off: number): AsmItem {
  return pseudoLoad(dst, BPF_PSEUDO_MAP_VALUE, int(fd, 0, 2 ** 31 - 1, 'map fd'), int(off, 0, 2 ** 32 - 1, 'value offset'));
}
/** `dst = &subprog`: ld_imm64 with BPF_PSEUDO_FUNC (a callback), target counted like a call's. */
export function LoadFunc(dst: Reg, target: Target): AsmItem {
  checkReg(dst, 'dst');
  return insn(OP_TABLE[Op.LDDW], { dst, src: BPF_PSEUDO_FUNC }, target, 'imm');
}

/** `dst = *(size *)(src + off)` */
export function LoadMem(dst: Reg, src: Reg, off: number, size: Size): AsmItem {
  checkReg(dst, 'dst');
  checkReg(src, 'src');
  return insn(sized('ldx', size), { dst, src, off: s16(off) });
}
/** `dst = *(s8|s16|s32 *)(src + off)`, sign-extending (ISA v4). */
export function LoadMemSX(dst: Reg, src: Reg, off: number, size: Exclude<Size, 'DW'>): AsmItem {
  checkReg(dst, 'dst');
  checkReg(src, 'src');
  return insn(sized('ldxs', size), { dst, src, off: s16(off) });
}
/** `*(size *)(dst + off) = src` */
export function StoreMem(dst: Reg, off: number, src: Reg, size: Size): AsmItem {
  checkReg(dst, 'dst');
  checkReg(src, 'src');
  return insn(sized('stx', size), { dst, src, off: s16(off) });
}
/** `*(size *)(dst + off) = value` (sign-extended to 64 bits for DW). */
export function StoreImm(dst: Reg, off: number, value: number, size: Size): AsmItem {
  checkReg(dst, 'dst');
  return insn(sized('st', size), { dst, off: s16(off), imm: size === 'DW' ? s32(value) : u32ok(value) });
}
/** Legacy `r0 = *(size *)skb[off]`. */
export function LoadAbs(off: number, size: Exclude<Size, 'DW'>): AsmItem {
  return insn(sized('ld_abs', size), { imm: s32(off) });
}
/** Legacy `r0 = *(size *)skb[src + off]`. */
export function LoadInd(src: Reg, off: number, size: Exclude<Size, 'DW'>): AsmItem {
  checkReg(src, 'src');
  return insn(sized('ld_ind', size), { src, imm: s32(off) });
}

/** Any BPF_ATOMIC read-modify-write: `lock *(size *)(dst + off) op= src`, fetch forms, xchg, cmpxchg. */
export function Atomic(op: AtomicName, dst: Reg, off: number, src: Reg, size: 'W' | 'DW'): AsmItem {
  checkReg(dst, 'dst');
  checkReg(src, 'src');
  return insn(atomicOp(op, BYTES[size]), { dst, src, off: s16(off) });
}
const atomic = (op: AtomicName) => (dst: Reg, off: number, src: Reg, size: 'W' | 'DW'): AsmItem => Atomic(op, dst, off, src, size);
export const AtomicAdd = atomic('add'), AtomicOr = atomic('or'), AtomicAnd = atomic('and'), AtomicXor = atomic('xor');
export const AtomicFetchAdd = atomic('fetch_add'), AtomicFetchOr = atomic('fetch_or');
export const AtomicFetchAnd = atomic('fetch_and'), AtomicFetchXor = atomic('fetch_xor');
/** `src = xchg(*(dst + off), src)` */
export const AtomicXchg = atomic('xchg');
/** `r0 = cmpxchg(*(dst + off), r0, src)` */
export const AtomicCmpXchg = atomic('cmpxchg');

/** `dst = load_acquire((size *)(src + off))` */
export function LoadAcquire(dst: Reg, src: Reg, off: number, size: Size): AsmItem {
  checkReg(dst, 'dst');
  checkReg(src, 'src');
  return insn(sized('load_acq', size), { dst, src, off: s16(off) });
}
/** `store_release((size *)(dst + off), src)` */
export function StoreRelease(dst: Reg, off: number, src: Reg, size: Size): AsmItem {
  checkReg(dst, 'dst');
  checkReg(src, 'src');
  return insn(sized('store_rel', size), { dst, src, off: s16(off) });
}

/** Call a helper by id or by Linux name (`'bpf_map_lookup_elem'` or `'map_lookup_elem'`). */
export function Call(helper: number | string): AsmItem {
  const id = typeof helper === 'number' ? helper : helperId(helper);
  if (id === undefined) throw new BuildError(`unknown helper '${helper}'`);
  return insn(OP_TABLE[Op.CALL], { imm: s32(id, 'helper id') });
}
/** bpf-to-bpf call (BPF_PSEUDO_CALL) to a label or relative slot offset. */
export const CallLocal = (target: Target): AsmItem => insn(OP_TABLE[Op.CALL_LOCAL], { src: BPF_PSEUDO_CALL }, target, 'imm');
/** kfunc call (BPF_PSEUDO_KFUNC_CALL): BTF id, and the fd_array index of its module BTF (0 = vmlinux). */
export function CallKfunc(btfId: number, btfFdIdx = 0): AsmItem {
  return insn(OP_TABLE[Op.CALL_KFUNC], { src: BPF_PSEUDO_KFUNC_CALL, imm: s32(btfId, 'BTF id'), off: s16(btfFdIdx, 'BTF fd index') });
}
/** `callx reg` (the register in dst, as LLVM ≥ 17 encodes it). */
export const CallX = (reg: Reg): AsmItem => (checkReg(reg, 'register'), insn(OP_TABLE[Op.CALLX], { dst: reg }));
export const Exit = (): AsmItem => insn(OP_TABLE[Op.EXIT], {});
/** A label for the next instruction. */
export const Label = (name: string): AsmItem => {
  if (name === '') throw new BuildError('empty label');
  return { kind: 'label', name };
};

export interface AssembleOptions {
  /** Run validate() on the result and throw its IsaError (default true). */
  readonly validate?: boolean;
}

/** Resolve labels into instructions (no validation). */
export function resolveLabels(items: readonly AsmItem[]): Instruction[] {
  const labels = new Map<string, number>();
  let slot = 0;
  for (const it of items) {
    if (it.kind === 'label') {
      if (labels.has(it.name)) throw new BuildError(`duplicate label '${it.name}'`);
      labels.set(it.name, slot);
    } else {
      slot += it.ins.op === Op.LDDW ? 2 : 1;
    }
  }
  const out: Instruction[] = [];
  slot = 0;
  for (const it of items) {
    if (it.kind === 'label') continue;
    let ins = it.ins;
    if (it.target) {
      const at = labels.get(it.target.label);
      if (at === undefined) throw new BuildError(`undefined label '${it.target.label}'`);
      const rel = at - (slot + 1);
      if (it.target.field === 'off' && (rel < -0x8000 || rel > 0x7fff)) {
        throw new BuildError(`jump to '${it.target.label}' is out of 16-bit range (${rel})`);
      }
      ins = withTarget(ins, it.target.field, rel);
    }
    out.push(ins);
    slot += ins.op === Op.LDDW ? 2 : 1;
  }
  return out;
}

/** Assemble builder items into a validated Program. */
export function assemble(items: readonly AsmItem[], opts: AssembleOptions = {}): Program {
  const p = fromInstructions(resolveLabels(items));
  if (opts.validate ?? true) {
    const err = validate(p);
    if (err) throw err;
  }
  return p;
}

/** Assemble builder items straight to the 8-byte-slot encoding. */
export function assembleBytes(items: readonly AsmItem[], opts: AssembleOptions = {}): Uint8Array {
  return encode(assemble(items, opts));
}
