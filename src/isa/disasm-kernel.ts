/**
 * The kernel syntax: what Linux's kernel/bpf/disasm.c `print_bpf_insn` prints (the verifier log,
 * `bpftool prog dump xlated`), character for character, including its `(r1 +4)` spacing (`%+d`),
 * hex jump immediates (`0x%x` of the u32) and decimal ALU immediates (`%d`).
 *
 * Where disasm.c's text loses fields, we print a form that keeps them, so that every valid
 * instruction reassembles to the same bytes:
 * - ld_imm64 with a map pseudo source prints bpftool's `map[...]` notation (disasm.c alone prints
 *   the raw immediate); as a loader-side program holds an fd there, the default is `map[fd:N]`,
 *   and `map[id:N]` (bpftool's, for dumps of loaded programs) on request;
 * - `callx` (which disasm.c prints as a helper call) uses LLVM's `callx rN`;
 * - encodings with fields no syntax shows fall back to `.insn` (./raw-insn.ts).
 */
import {
  BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
} from './constants.js';
import type { FormatContext, PrinterTable } from './disasm-context.js';
import type { OpInfo } from './ops.js';
import type { Instruction } from './program.js';
import { ALU_OPERATOR, JMP_OPERATOR, LOCK_OPERATOR, SIGNED_SIZE, UNSIGNED_SIZE, signed } from './syntax-tables.js';

const reg = (info: OpInfo, n: number): string => `${info.wide ? 'r' : 'w'}${n}`;
/** disasm.c's `(r%d %+d)` memory operand. */
const mem = (base: number, off: number): string => `(r${base} ${signed(off)})`;
const size = (info: OpInfo): string => UNSIGNED_SIZE[info.size];

function target(ctx: FormatContext, rel: number): string {
  return ctx.label(rel) ?? `pc${signed(rel)}`;
}

function ldImm64(ins: Instruction, ctx: FormatContext): string | undefined {
  const v = BigInt.asUintN(64, ins.imm64 ?? BigInt(ins.imm));
  const lo = ins.imm >>> 0;
  const hi = Number(v >> 32n);
  const map = (kind: string) => `map[${kind}:${lo}]`;
  const mapKind = ctx.mapIds ? 'id' : 'fd';
  let rhs: string | undefined;
  switch (ins.src) {
    case 0: rhs = `0x${v.toString(16)}`; break;
    case BPF_PSEUDO_MAP_FD: rhs = hi === 0 ? map(mapKind) : undefined; break;
    case BPF_PSEUDO_MAP_VALUE: rhs = `${map(mapKind)}[0]+${hi}`; break;
    case BPF_PSEUDO_MAP_IDX: rhs = hi === 0 ? map('idx') : undefined; break;
    case BPF_PSEUDO_MAP_IDX_VALUE: rhs = `${map('idx')}[0]+${hi}`; break;
    // bpftool's `subprog[%+d]`: a callback's relative slot offset, counted like a call's.
    case BPF_PSEUDO_FUNC: rhs = hi === 0 ? `subprog[${ctx.label(ins.imm) ?? signed(ins.imm)}]` : undefined; break;
    default: rhs = undefined;
  }
  return rhs === undefined ? undefined : `r${ins.dst} = ${rhs}`;
}

function atomic(ins: Instruction, info: OpInfo): string {
  const at = `(${size(info)} *)${mem(ins.dst, ins.off)}`;
  const w = info.wide ? '64' : '';
  const a = info.atomic!;
  const lock = LOCK_OPERATOR[a];
  if (lock !== undefined) return `lock *${at} ${lock} r${ins.src}`;
  if (a === 'cmpxchg') return `r0 = atomic${w}_cmpxchg(${at}, r0, r${ins.src})`;
  if (a === 'xchg') return `r${ins.src} = atomic${w}_xchg(${at}, r${ins.src})`;
  return `r${ins.src} = atomic${w}_${a}(${at}, r${ins.src})`;
}

export const KERNEL_PRINTERS: PrinterTable = {
  alu: (i, info) => `${reg(info, i.dst)} ${ALU_OPERATOR[info.alu!]} ${info.source === 'X' ? reg(info, i.src) : i.imm}`,
  neg: (i, info) => `${reg(info, i.dst)} = -${reg(info, i.dst)}`,
  movsx: (i, info) => `${reg(info, i.dst)} = (s${info.size})${reg(info, i.src)}`,
  end: (i, info) => `r${i.dst} = ${info.mnemonic.replace(/\d+$/, '')}${info.size} r${i.dst}`,
  lddw: (i, _info, ctx) => ldImm64(i, ctx),
  ld_abs: (i, info) => `r0 = *(${size(info)} *)skb[${i.imm}]`,
  ld_ind: (i, info) => `r0 = *(${size(info)} *)skb[r${i.src} + ${i.imm}]`,
  ldx: (i, info) => `r${i.dst} = *(${size(info)} *)${mem(i.src, i.off)}`,
  ldxs: (i, info) => `r${i.dst} = *(${SIGNED_SIZE[info.size]} *)${mem(i.src, i.off)}`,
  st: (i, info) => `*(${size(info)} *)${mem(i.dst, i.off)} = ${i.imm}`,
  stx: (i, info) => `*(${size(info)} *)${mem(i.dst, i.off)} = r${i.src}`,
  atomic: (i, info) => atomic(i, info),
  load_acq: (i, info) => `r${i.dst} = load_acquire((${size(info)} *)${mem(i.src, i.off)})`,
  store_rel: (i, info) => `store_release((${size(info)} *)${mem(i.dst, i.off)}, r${i.src})`,
  ja: (i, _info, ctx) => `goto ${target(ctx, i.off)}`,
  ja32: (i, _info, ctx) => `gotol ${target(ctx, i.imm)}`,
  jmp: (i, info, ctx) => {
    const rhs = info.source === 'X' ? reg(info, i.src) : `0x${(i.imm >>> 0).toString(16)}`;
    return `if ${reg(info, i.dst)} ${JMP_OPERATOR[info.jmp!]} ${rhs} goto ${target(ctx, i.off)}`;
  },
  call: (i, _info, ctx) => `call ${ctx.helperName(i.imm) ?? 'unknown'}#${i.imm}`,
  call_local: (i, _info, ctx) => `call ${target(ctx, i.imm)}`,
  // The BTF fd index in `off` has no spelling: such calls print as `.insn`.
  call_kfunc: (i, _info, ctx) => (i.off === 0 ? `call ${ctx.kfuncName(i.imm, i.off) ?? 'kernel-function'}#${i.imm}` : undefined),
  callx: (i) => (i.imm === 0 ? `callx r${i.dst}` : undefined),
  exit: () => 'exit',
  may_goto: (i, _info, ctx) => `may_goto ${target(ctx, i.off)}`,
};
