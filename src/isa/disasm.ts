/**
 * Disassembler: a Program (or one Instruction) to text in one of three syntaxes.
 *
 * - `kernel`: Linux's kernel/bpf/disasm.c spelling (verifier log, `bpftool prog dump xlated`),
 *   optionally with bpftool's `% 4d: ` index and disasm.c's `(code) ` prefix;
 * - `llvm`: `llvm-objdump -d`'s spelling (LLVM 14; LLVM ≥ 18 hex immediates with `hex`),
 *   optionally with objdump's index and byte columns and `<sym+0x..>` target annotations;
 * - `conformance`: the bpf_conformance assembler syntax.
 *
 * `kernel` and `conformance` output reassembles (assembleKernel / assembleConformance) to the same
 * bytes for every program that passes validate(); where a syntax cannot spell an encoding, the
 * instruction prints as a `.insn` directive (./raw-insn.ts). Invalid slots print as `.insn` too (as
 * `<unknown>` in the llvm syntax, like llvm-objdump), which no assembler accepts back.
 */
import type { FormatContext, PrinterTable } from './disasm-context.js';
import { CONFORMANCE_PRINTERS } from './disasm-conformance.js';
import { KERNEL_PRINTERS } from './disasm-kernel.js';
import { LLVM_PRINTERS } from './disasm-llvm.js';
import { helperName as linuxHelperName } from './helper-names.js';
import { Op, OP_TABLE, opOf } from './ops.js';
import { encode, type Instruction, type Program } from './program.js';
import { formatRawInsn } from './raw-insn.js';
import { spacedHex } from './syntax-tables.js';
import { BPF_PSEUDO_FUNC } from './constants.js';

export type DisasmSyntax = 'kernel' | 'llvm' | 'conformance';

export interface DisasmOptions {
  /** Default `kernel`. */
  readonly syntax?: DisasmSyntax;
  /** Name branch and call targets: a `L<slot>:` line before each target, `goto L12` at each use. */
  readonly labels?: boolean;
  /** Kernel syntax: helper name for `call <name>#<id>`; falls back to Linux's table, then `unknown`. */
  readonly helperNames?: (id: number) => string | undefined;
  /** Kernel syntax: kfunc name for `call <name>#<btf_id>`; default disasm.c's `kernel-function`. */
  readonly kfuncNames?: (btfId: number, off: number) => string | undefined;
  /** Kernel syntax: the ld_imm64 map immediates are map ids (a dump of a loaded program): `map[id:N]`. */
  readonly mapIds?: boolean;
  /** Prefix each line with the slot index: bpftool's `% 4d: ` (kernel) or objdump's `%8d:\t` (llvm). */
  readonly indices?: boolean;
  /** Kernel syntax: disasm.c's `(b7) ` opcode prefix. */
  readonly opcodes?: boolean;
  /** LLVM syntax: objdump's hex byte column (implies `indices`). */
  readonly bytes?: boolean;
  /** LLVM syntax: LLVM ≥ 18 hex immediates and offsets. */
  readonly hex?: boolean;
  /** LLVM syntax: function symbols (slot where each starts) for objdump's `<sym+0x..>` annotations. */
  readonly symbols?: ReadonlyArray<{ readonly name: string; readonly slot: number }>;
}

const PRINTERS: Readonly<Record<DisasmSyntax, PrinterTable>> = {
  kernel: KERNEL_PRINTERS, llvm: LLVM_PRINTERS, conformance: CONFORMANCE_PRINTERS,
};

function slotBytes(p: Program, i: number, n: number): string {
  const bytes = encode({
    length: n, op: p.op.subarray(i, i + n), code: p.code.subarray(i, i + n), dst: p.dst.subarray(i, i + n),
    src: p.src.subarray(i, i + n), off: p.off.subarray(i, i + n), imm: p.imm.subarray(i, i + n),
  });
  return spacedHex(bytes);
}

/** objdump's `<sym+0x..>`: the symbol at or below the target's byte address (64-bit wrapped). */
function annotation(symbols: DisasmOptions['symbols'], targetSlot: number): string {
  if (!symbols || symbols.length === 0) return '';
  const addr = BigInt.asUintN(64, BigInt(targetSlot) * 8n);
  let best: { name: string; at: bigint } | undefined;
  for (const s of symbols) {
    const at = BigInt(s.slot) * 8n;
    if (at <= addr && (best === undefined || at >= best.at)) best = { name: s.name, at };
  }
  if (!best) return '';
  const delta = addr - best.at;
  return delta === 0n ? ` <${best.name}>` : ` <${best.name}+0x${delta.toString(16)}>`;
}

function context(
  opts: DisasmOptions, slot: number, labelAt: (slot: number) => string | undefined,
): FormatContext {
  return {
    slot,
    label: (rel) => labelAt(slot + 1 + rel),
    helperName: (id) => opts.helperNames?.(id) ?? linuxHelperName(id),
    kfuncName: (id, off) => opts.kfuncNames?.(id, off),
    mapIds: opts.mapIds ?? false,
    hex: opts.hex ?? false,
    annotate: (t) => annotation(opts.symbols, t),
  };
}

/** Text of one instruction (no labels: targets are relative). */
export function disassembleInstruction(ins: Instruction, opts: DisasmOptions = {}): string {
  return formatOne(ins, opts.syntax ?? 'kernel', context(opts, 0, () => undefined));
}

/**
 * One instruction's text; `rawCode` is the slot's opcode byte, which an invalid instruction (no
 * OP_TABLE entry) needs for its `.insn` line.
 */
function formatOne(ins: Instruction, syntax: DisasmSyntax, ctx: FormatContext, rawCode = 0): string {
  const info = OP_TABLE[ins.op];
  const valid = ins.op !== Op.INVALID && info.kind !== 'lddw_hi';
  if (valid) {
    const text = PRINTERS[syntax][info.kind](ins, info, ctx);
    if (text !== undefined) return text;
  }
  if (syntax === 'llvm') return '<unknown>';
  const raw = variantFields(ins);
  return formatRawInsn(valid ? info.code : rawCode, ins.dst, raw.src, raw.off, ins.op === Op.LDDW ? ins.imm64 ?? BigInt(ins.imm) : raw.imm);
}

/** An Instruction does not carry its variant's selector value: put it back for `.insn`. */
function variantFields(ins: Instruction): { src: number; off: number; imm: number } {
  const v = OP_TABLE[ins.op].variant;
  let { src, off, imm } = ins;
  if (v?.field === 'src') src = v.value;
  else if (v?.field === 'off') off = v.value;
  else if (v?.field === 'imm') imm = v.value;
  return { src, off, imm };
}

interface Decoded {
  readonly slot: number;
  readonly width: 1 | 2;
  readonly ins: Instruction;
  /** The slot's raw opcode byte. */
  readonly code: number;
}

/**
 * Split a Program into instructions. An ld_imm64 whose second slot is not a clean high half (or
 * is missing) prints as two separate slots, so a listing of invalid code still shows every byte.
 */
function instructions(p: Program): Decoded[] {
  const out: Decoded[] = [];
  for (let i = 0; i < p.length; i++) {
    const base = { dst: p.dst[i], src: p.src[i], off: p.off[i], imm: p.imm[i] };
    const code = p.code[i];
    let op = p.op[i] as Op;
    if (op === Op.LDDW_HI) op = opOf(code, p.src[i], p.off[i], p.imm[i]);
    const j = i + 1;
    if (op === Op.LDDW && j < p.length && p.code[j] === 0 && p.dst[j] === 0 && p.src[j] === 0 && p.off[j] === 0) {
      const imm64 = (BigInt(p.imm[j] >>> 0) << 32n) | BigInt(p.imm[i] >>> 0);
      out.push({ slot: i, width: 2, code, ins: { ...base, op, imm64 } });
      i++;
      continue;
    }
    // A lone ld_imm64 half has no exact spelling: mark it invalid so it prints raw.
    out.push({ slot: i, width: 1, code, ins: { ...base, op: op === Op.LDDW ? Op.INVALID : op } });
  }
  return out;
}

/** Slot targeted by a decoded instruction's branch, local call or callback reference, if any. */
function targetOf(d: Decoded): number | undefined {
  const { ins } = d;
  switch (OP_TABLE[ins.op].kind) {
    case 'ja': case 'jmp': case 'may_goto': return d.slot + 1 + ins.off;
    case 'ja32': case 'call_local': return d.slot + 1 + ins.imm;
    case 'lddw': return ins.src === BPF_PSEUDO_FUNC ? d.slot + 1 + ins.imm : undefined;
    default: return undefined;
  }
}

/** Disassemble a whole program, one string per line (label lines included). */
export function disassemble(p: Program, opts: DisasmOptions = {}): string[] {
  const syntax = opts.syntax ?? 'kernel';
  const list = instructions(p);
  const starts = new Set(list.map((d) => d.slot));
  const labels = new Map<number, string>();
  if (opts.labels) {
    for (const d of list) {
      const t = targetOf(d);
      if (t !== undefined && starts.has(t)) labels.set(t, `L${t}`);
    }
  }
  const out: string[] = [];
  for (const d of list) {
    const name = labels.get(d.slot);
    if (name !== undefined) out.push(`${name}:`);
    const text = formatOne(d.ins, syntax, context(opts, d.slot, (s) => labels.get(s)), d.code);
    out.push(prefix(p, d, syntax, opts) + text);
  }
  return out;
}

function prefix(p: Program, d: Decoded, syntax: DisasmSyntax, opts: DisasmOptions): string {
  if (syntax === 'llvm') {
    if (opts.bytes) return `${String(d.slot).padStart(8)}:\t${slotBytes(p, d.slot, d.width)}\t`;
    return opts.indices ? `${String(d.slot).padStart(8)}:\t` : '';
  }
  let s = '';
  // bpftool's printf("% 4d: "): a space flag, then a width of 4.
  if (opts.indices) s += `${` ${d.slot}`.padStart(4)}: `;
  if (opts.opcodes && syntax === 'kernel') s += `(${d.code.toString(16).padStart(2, '0')}) `;
  return s;
}
