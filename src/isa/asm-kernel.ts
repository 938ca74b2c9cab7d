/**
 * Assembler for the kernel/LLVM syntax: `r0 = *(u32 *)(r1 +4)`, `if w1 s< w2 goto -5`,
 * `lock *(u64 *)(r10 - 8) += r1`, `r1 = 0x1122334455667788 ll`, `call bpf_map_lookup_elem#1`.
 *
 * It reads what `llvm-objdump -d` prints for BPF (LLVM 14's decimal spelling and the hex,
 * ISA v4 and atomics spellings of LLVM 17–20), what Linux's disasm.c prints (the verifier log,
 * `bpftool prog dump xlated`, with or without bpftool's index, opcode and byte lines), the
 * output of ./disasm.ts, and hand-written text with labels. Listing decorations are taken apart
 * by ./asm-kernel-lines.ts, statements parsed by ./asm-kernel-statement.ts; this module drives
 * them line by line, resolves labels and checks listings' bytes.
 *
 * One ambiguity needs the dialect: `r1 = 0x10` is an ld_imm64 in disasm.c's text (which prints
 * moves in decimal) but a 64-bit move in LLVM ≥ 18's (which marks ld_imm64 with `ll`). The
 * default `auto` takes the LLVM reading when the text shows LLVM features (byte columns, `ll`,
 * `(r1 + 0)` spacing, `goto +N`) and no disasm.c ones (`pc+N`, `(b7)` prefixes, `(r1 +0)`).
 * Either reading loads the same 64-bit value into the register; only the encoding differs.
 */
import { AsmError } from './asm-error.js';
import { Cursor, type Parsed } from './asm-kernel-cursor.js';
import { tokenize } from './asm-kernel-lexer.js';
import { splitListing, type SourceLine } from './asm-kernel-lines.js';
import { parseStatement } from './asm-kernel-statement.js';
import { BPF_PSEUDO_CALL } from './constants.js';
import { helperId } from './helper-names.js';
import { Op, OP_TABLE } from './ops.js';
import { decode, encode, fromInstructions, toInstructions, type Instruction, type Program } from './program.js';
import { parseRawInsn } from './raw-insn.js';
import { spacedHex } from './syntax-tables.js';

export interface KernelAsmOptions {
  /** How to read `r1 = 0x10` (see the module comment). Default `auto`. */
  readonly dialect?: 'auto' | 'kernel' | 'llvm';
  /**
   * Map ids → fds for bpftool's `map[id:N]`. Without it such a load gets fd 0 (the program text
   * of a loaded program does not say which fd the map has in this process).
   */
  readonly mapFd?: (id: number) => number | undefined;
  /**
   * What to do with a listing's bytes (objdump byte column, bpftool `opcodes` lines):
   * `ignore` them (default; they are still used for `<unknown>` lines), `verify` that the text
   * assembles to them, or `use` them instead of the text.
   */
  readonly byteColumns?: 'ignore' | 'verify' | 'use';
  /** Extra helper names for `call <name>` (Linux's names are always known). */
  readonly helperIds?: (name: string) => number | undefined;
}

interface Pending extends Parsed {
  readonly src: SourceLine;
  readonly slot: number;
}

/** The single instruction of a listing's byte column, or an error. */
function fromBytes(bytes: Uint8Array, line: number): Instruction {
  if (bytes.length !== 8 && bytes.length !== 16) throw new AsmError(line, `expected 8 or 16 bytes, got ${bytes.length}`);
  const list = toInstructions(decode(bytes));
  if (list.length !== 1 || list[0].op === Op.INVALID) throw new AsmError(line, 'the bytes hold no valid instruction');
  const { op, dst, src, off, imm, imm64 } = list[0];
  return imm64 === undefined ? { op, dst, src, off, imm } : { op, dst, src, off, imm, imm64 };
}

function parseLine(src: SourceLine, dialect: 'kernel' | 'llvm', opts: KernelAsmOptions): Parsed {
  const mode = opts.byteColumns ?? 'ignore';
  if (src.bytes && (mode === 'use' || src.text === '<unknown>')) return { ins: fromBytes(src.bytes, src.line) };
  if (src.text === '<unknown>') throw new AsmError(src.line, 'llvm-objdump could not decode this instruction and no bytes are given');
  if (src.text.startsWith('.insn')) {
    if (!/^\.insn(\s|$)/.test(src.text)) throw new AsmError(src.line, `unknown directive '${src.text.split(/\s/)[0]}'`);
    return { ins: parseRawInsn(src.text.slice(5), src.line) };
  }
  if (src.text.startsWith('.')) throw new AsmError(src.line, `unknown directive '${src.text.split(/\s/)[0]}'`);
  const c = new Cursor(tokenize(src.text, src.line), src.line, src.text);
  const p = parseStatement(c, dialect, src.opcode, opts);
  if (src.opcode !== undefined && src.opcode !== OP_TABLE[p.ins.op].code) {
    throw new AsmError(src.line, `opcode (${src.opcode.toString(16).padStart(2, '0')}) does not match '${src.text}'`);
  }
  return p;
}

const width = (ins: Instruction): number => (ins.op === Op.LDDW ? 2 : 1);

/** Assemble kernel/LLVM-syntax text into instructions (labels resolved). Throws AsmError. */
export function assembleKernel(text: string, opts: KernelAsmOptions = {}): Instruction[] {
  const { lines, features } = splitListing(text);
  const dialect = opts.dialect === 'kernel' || opts.dialect === 'llvm'
    ? opts.dialect
    : features.llvm && !features.kernel ? 'llvm' : 'kernel';
  const labels = new Map<string, number>();
  const pending: Pending[] = [];
  let slot = 0;
  for (const src of lines) {
    for (const { name, line } of src.labels) {
      if (labels.has(name)) throw new AsmError(line, `duplicate label '${name}'`);
      labels.set(name, slot);
    }
    if (src.text === '') continue;
    const p = parseLine(src, dialect, opts);
    pending.push({ ...p, src, slot });
    slot += width(p.ins);
  }
  const out: Instruction[] = [];
  for (const p of pending) {
    const ins = resolve(p, labels, opts);
    if (p.src.bytes && opts.byteColumns === 'verify') verifyBytes(ins, p.src);
    out.push(ins);
  }
  return out;
}

function resolve(p: Pending, labels: ReadonlyMap<string, number>, opts: KernelAsmOptions): Instruction {
  const line = p.src.line;
  if (p.callName !== undefined) {
    const at = labels.get(p.callName);
    if (at !== undefined) return { ...p.ins, op: Op.CALL_LOCAL, src: BPF_PSEUDO_CALL, imm: at - (p.slot + 1) };
    const id = opts.helperIds?.(p.callName) ?? helperId(p.callName);
    if (id === undefined) throw new AsmError(line, `'${p.callName}' is neither a label nor a known helper`);
    return { ...p.ins, imm: id };
  }
  if (p.target === undefined) return p.ins;
  let rel: number;
  if ('rel' in p.target) {
    rel = p.target.rel;
  } else {
    const at = labels.get(p.target.label);
    if (at === undefined) throw new AsmError(line, `undefined label '${p.target.label}'`);
    rel = at - (p.slot + 1);
    if (p.field === 'off' && (rel < -0x8000 || rel > 0x7fff)) {
      throw new AsmError(line, `jump to '${p.target.label}' is out of 16-bit range`);
    }
  }
  if (p.field === 'off') return { ...p.ins, off: rel };
  // An ld_imm64 callback reference: the offset is the low half, the high half stays zero.
  return p.ins.op === Op.LDDW ? { ...p.ins, imm: rel, imm64: BigInt(rel >>> 0) } : { ...p.ins, imm: rel };
}

function verifyBytes(ins: Instruction, src: SourceLine): void {
  const got = encode(fromInstructions([ins]));
  const want = src.bytes!;
  if (got.length !== want.length || got.some((b, i) => b !== want[i])) {
    throw new AsmError(src.line, `'${src.text}' assembles to ${spacedHex(got)}, the listing says ${spacedHex(want)}`);
  }
}

/** Assemble kernel/LLVM-syntax text straight to a decoded Program. */
export function assembleKernelProgram(text: string, opts: KernelAsmOptions = {}): Program {
  return fromInstructions(assembleKernel(text, opts));
}
