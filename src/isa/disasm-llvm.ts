/**
 * The LLVM syntax: what `llvm-objdump -d` prints for BPF (LLVM's BPFInstPrinter). By default the
 * LLVM 14 spelling (decimal immediates: `r1 += -4`, `goto +3`, `r1 = 4294967295 ll`); with `hex`
 * the LLVM ≥ 18 one (`r1 += -0x4`, `goto +0x3`). Instructions LLVM 14 cannot decode (it prints
 * `<unknown>` for ISA v4 operations, `mod`, `jset`, stores of immediates, 32-bit fetch atomics)
 * use the later LLVM spelling instead, so the output always says what the instruction is.
 *
 * Like llvm-objdump, this syntax drops some fields (the pseudo source's high word in
 * `ld_pseudo`, which call flavour `call N` is); the kernel and conformance syntaxes do not.
 */
import type { FormatContext, PrinterTable } from './disasm-context.js';
import type { OpInfo } from './ops.js';
import type { Instruction } from './program.js';
import { callxRegister } from './validate.js';
import { ALU_OPERATOR, JMP_OPERATOR, LOCK_OPERATOR, SIGNED_SIZE, UNSIGNED_SIZE, signedHex } from './syntax-tables.js';

const reg = (info: OpInfo, n: number): string => `${info.wide ? 'r' : 'w'}${n}`;
const size = (info: OpInfo): string => UNSIGNED_SIZE[info.size];

function num(ctx: FormatContext, n: number | bigint): string {
  return ctx.hex ? signedHex(n) : `${n}`;
}

/** `(r1 - 8)`, `(r1 + 0)`: LLVM's spaced memory operand. */
function mem(ctx: FormatContext, base: number, off: number): string {
  return `(r${base} ${off < 0 ? '-' : '+'} ${num(ctx, Math.abs(off))})`;
}

/** A branch target: `+3` / `-0x8`, then the `<sym+0x..>` annotation llvm-objdump adds. */
function target(ctx: FormatContext, rel: number): string {
  const label = ctx.label(rel);
  if (label !== undefined) return label;
  const n = ctx.hex ? signedHex(rel, true) : rel < 0 ? `${rel}` : `+${rel}`;
  return n + ctx.annotate(ctx.slot + 1 + rel);
}

function atomic(ins: Instruction, info: OpInfo, ctx: FormatContext): string {
  const a = info.atomic!;
  const m = mem(ctx, ins.dst, ins.off);
  const lock = LOCK_OPERATOR[a];
  // LLVM's 32-bit atomics take w registers (alu32), except the original XADDW (`lock ... += r2`).
  const v = info.wide || a === 'add' ? `r${ins.src}` : `w${ins.src}`;
  if (lock !== undefined) return `lock *(${size(info)} *)${m} ${lock} ${v}`;
  if (a === 'xchg') return info.wide ? `${v} = xchg_64(${m.slice(1, -1)}, ${v})` : `${v} = xchg32_32(${m.slice(1, -1)}, ${v})`;
  if (a === 'cmpxchg') {
    const r0 = info.wide ? 'r0' : 'w0';
    return `${r0} = ${info.wide ? 'cmpxchg_64' : 'cmpxchg32_32'}(${m.slice(1, -1)}, ${r0}, ${v})`;
  }
  return `${v} = atomic_${a}((${size(info)} *)${m}, ${v})`;
}

/** load-acquire / store-release: w registers below 64 bits, as LLVM ≥ 20 prints them. */
const accReg = (info: OpInfo, n: number): string => `${info.size === 8 ? 'r' : 'w'}${n}`;

export const LLVM_PRINTERS: PrinterTable = {
  alu: (i, info, ctx) => `${reg(info, i.dst)} ${ALU_OPERATOR[info.alu!]} ${info.source === 'X' ? reg(info, i.src) : num(ctx, i.imm)}`,
  neg: (i, info) => `${reg(info, i.dst)} = -${reg(info, i.dst)}`,
  movsx: (i, info) => `${reg(info, i.dst)} = (s${info.size})${reg(info, i.src)}`,
  end: (i, info) => `r${i.dst} = ${info.mnemonic.replace(/\d+$/, '')}${info.size} r${i.dst}`,
  lddw: (i, _info, ctx) => {
    if (i.src !== 0) return `ld_pseudo r${i.dst}, ${num(ctx, i.src)}, ${num(ctx, i.imm)}`;
    return `r${i.dst} = ${num(ctx, BigInt.asIntN(64, i.imm64 ?? BigInt(i.imm)))} ll`;
  },
  ld_abs: (i, info, ctx) => `r0 = *(${size(info)} *)skb[${num(ctx, i.imm)}]`,
  // llvm-objdump prints `skb[r2]` whatever imm holds; we keep a nonzero imm visible.
  ld_ind: (i, info, ctx) => `r0 = *(${size(info)} *)skb[r${i.src}${i.imm === 0 ? '' : ` + ${num(ctx, i.imm)}`}]`,
  ldx: (i, info, ctx) => `r${i.dst} = *(${size(info)} *)${mem(ctx, i.src, i.off)}`,
  ldxs: (i, info, ctx) => `r${i.dst} = *(${SIGNED_SIZE[info.size]} *)${mem(ctx, i.src, i.off)}`,
  st: (i, info, ctx) => `*(${size(info)} *)${mem(ctx, i.dst, i.off)} = ${num(ctx, i.imm)}`,
  stx: (i, info, ctx) => `*(${size(info)} *)${mem(ctx, i.dst, i.off)} = r${i.src}`,
  atomic: (i, info, ctx) => atomic(i, info, ctx),
  load_acq: (i, info, ctx) => `${accReg(info, i.dst)} = load_acquire((${size(info)} *)${mem(ctx, i.src, i.off)})`,
  store_rel: (i, info, ctx) => `store_release((${size(info)} *)${mem(ctx, i.dst, i.off)}, ${accReg(info, i.src)})`,
  ja: (i, _info, ctx) => `goto ${target(ctx, i.off)}`,
  ja32: (i, _info, ctx) => `gotol ${target(ctx, i.imm)}`,
  jmp: (i, info, ctx) => {
    const rhs = info.source === 'X' ? reg(info, i.src) : num(ctx, i.imm);
    return `if ${reg(info, i.dst)} ${JMP_OPERATOR[info.jmp!]} ${rhs} goto ${target(ctx, i.off)}`;
  },
  call: (i, _info, ctx) => `call ${num(ctx, i.imm)}`,
  call_local: (i, _info, ctx) => `call ${ctx.label(i.imm) ?? num(ctx, i.imm)}`,
  call_kfunc: (i, _info, ctx) => `call ${num(ctx, i.imm)}`,
  callx: (i) => `callx r${callxRegister(i.dst, i.imm)}`,
  exit: () => 'exit',
  may_goto: (i, _info, ctx) => `may_goto ${target(ctx, i.off)}`,
};
