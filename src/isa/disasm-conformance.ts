/**
 * The bpf_conformance syntax (vendor/shared/conformance/README.md §5), printed so that
 * ./asm-conformance.ts reads it back to the same bytes: mnemonics from OP_TABLE, `[%rN+off]`
 * memory operands, relative targets always signed (`+0`), immediates in signed decimal except
 * ld_imm64's, which is an unsigned hex bit pattern as in the suite's files.
 */
import type { FormatContext, PrinterTable } from './disasm-context.js';
import type { Instruction } from './program.js';

const r = (n: number): string => `%r${n}`;
const mem = (base: number, off: number): string => (off === 0 ? `[%r${base}]` : `[%r${base}${off < 0 ? '' : '+'}${off}]`);
const rel = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const target = (ctx: FormatContext, n: number): string => ctx.label(n) ?? rel(n);
const memOp = (i: Instruction, mn: string, src: string): string => `${mn} ${mem(i.dst, i.off)}, ${src}`;

export const CONFORMANCE_PRINTERS: PrinterTable = {
  alu: (i, info) => `${info.mnemonic} ${r(i.dst)}, ${info.source === 'X' ? r(i.src) : i.imm}`,
  neg: (i, info) => `${info.mnemonic} ${r(i.dst)}`,
  movsx: (i, info) => `${info.mnemonic} ${r(i.dst)}, ${r(i.src)}`,
  end: (i, info) => `${info.mnemonic} ${r(i.dst)}`,
  // The syntax has no pseudo source: those ld_imm64 print as `.insn`.
  lddw: (i) => (i.src === 0 ? `lddw ${r(i.dst)}, 0x${BigInt.asUintN(64, i.imm64 ?? BigInt(i.imm)).toString(16)}` : undefined),
  ld_abs: (i, info) => `${info.mnemonic} ${i.imm}`,
  ld_ind: (i, info) => `${info.mnemonic} ${r(i.src)}, ${i.imm}`,
  ldx: (i, info) => `${info.mnemonic} ${r(i.dst)}, ${mem(i.src, i.off)}`,
  ldxs: (i, info) => `${info.mnemonic} ${r(i.dst)}, ${mem(i.src, i.off)}`,
  st: (i, info) => memOp(i, info.mnemonic, `${i.imm}`),
  stx: (i, info) => memOp(i, info.mnemonic, r(i.src)),
  atomic: (i, info) => memOp(i, info.mnemonic, r(i.src)),
  load_acq: (i, info) => `${info.mnemonic} ${r(i.dst)}, ${mem(i.src, i.off)}`,
  store_rel: (i, info) => memOp(i, info.mnemonic, r(i.src)),
  ja: (i, _info, ctx) => `ja ${target(ctx, i.off)}`,
  ja32: (i, _info, ctx) => `ja32 ${target(ctx, i.imm)}`,
  jmp: (i, info, ctx) => `${info.mnemonic} ${r(i.dst)}, ${info.source === 'X' ? r(i.src) : i.imm}, ${target(ctx, i.off)}`,
  call: (i) => `call ${i.imm}`,
  call_local: (i, _info, ctx) => `call local ${target(ctx, i.imm)}`,
  call_kfunc: (i) => (i.off === 0 ? `call runtime ${i.imm}` : undefined),
  callx: (i) => (i.imm === 0 ? `call ${r(i.dst)}` : undefined),
  exit: () => 'exit',
  may_goto: (i, _info, ctx) => `may_goto ${target(ctx, i.off)}`,
};
