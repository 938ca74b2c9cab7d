/**
 * Line structure of kernel/LLVM-syntax listings: everything around the instruction text that
 * llvm-objdump, bpftool and the verifier log print, taken apart before the instruction parser
 * (./asm-kernel.ts) sees a line:
 *
 * - llvm-objdump: `file format` and `Disassembly of section` headers, symbol headers
 *   `0000000000000000 <maps_prog>:`, the `N:` slot index, the hex byte column, relocation lines
 *   `0000000000000038:  R_BPF_64_64  arr`;
 * - bpftool `prog dump xlated`: `% 4d: ` index, disasm.c's `(b7) ` opcode, `; source` line comments,
 *   function prototype lines `int prog(void * ctx):`, and the byte lines of its `opcodes` mode;
 * - LLVM assembly source: directives that emit no code (`.text`, `.globl`, `.size` ...);
 * - labels `LBB0_2:`, `<func>:`, `name:` and comments `;`, `//`, `#`.
 */
import { fromHex } from '../util/hex.js';
import { AsmError } from './asm-error.js';

export interface SourceLine {
  /** 1-based line number in the input. */
  readonly line: number;
  /** Labels defined at this point (before `text`), with the line each is on. */
  readonly labels: ReadonlyArray<{ readonly name: string; readonly line: number }>;
  /** Instruction text, or '' for a line that only defines labels. */
  readonly text: string;
  /** disasm.c's `(code)` prefix, when present. */
  readonly opcode?: number;
  /** The listing's bytes for this instruction (objdump byte column, bpftool opcodes line). */
  bytes?: Uint8Array;
}

export interface ListingFeatures {
  /** Features only llvm-objdump / LLVM assembly text has (byte columns, `ll`, headers, `(r1 + 0)`). */
  readonly llvm: boolean;
  /** Features only disasm.c text has (`pc+N`, `(b7)` prefixes, `(r1 +0)`). */
  readonly kernel: boolean;
}

const BYTES = '[0-9a-f]{2}(?: [0-9a-f]{2}){7}(?: [0-9a-f]{2}(?: [0-9a-f]{2}){7})?';
const INDEX = /^(\d+):(?:\s+(.*))?$/;
const BYTE_COLUMN = new RegExp(`^(${BYTES})(?:\\s+(.*))?$`, 'i');
const BYTES_ONLY = new RegExp(`^${BYTES}$`, 'i');
const OPCODE = /^\(([0-9a-f]{2})\)\s+(.*)$/i;
const RELOCATION = /^[0-9a-f]+:\s+R_BPF_\w+/i;
const SYMBOL_HEADER = /^[0-9a-f]+\s+<([^<>]+)>:$/i;
const ANGLE_LABEL = /^<([^<>]+)>:(.*)$/;
const PLAIN_LABEL = /^([A-Za-z_.$][\w.$]*):(?!=)(.*)$/;
/**
 * Assembler directives of LLVM's `.s` output that emit no code (symbol bookkeeping, alignment,
 * debug locations); the rest (`.section`, `.byte`, ...) are refused by the instruction parser.
 */
const IGNORED_DIRECTIVE = /^\.(text|globl|global|local|weak|type|size|p2align|align|file|loc|cfi_\w+|addrsig\w*)\b/;
const PROTOTYPE = /^(?:[^():]*\W)?([A-Za-z_]\w*)\s*\([^()]*\)\s*:$/;

function stripComment(s: string): string {
  let cut = s.length;
  const semi = s.indexOf(';');
  if (semi >= 0) cut = Math.min(cut, semi);
  const slashes = s.indexOf('//');
  if (slashes >= 0) cut = Math.min(cut, slashes);
  // `#` is a comment only at the start or after whitespace: `call bpf_map_lookup_elem#1` keeps it.
  const hash = /(^|\s)#/.exec(s);
  if (hash) cut = Math.min(cut, hash.index);
  return s.slice(0, cut);
}

function parseBytes(hex: string): Uint8Array {
  return fromHex(hex);
}

/** Split a listing into instruction lines and labels; report which tool's features it shows. */
export function splitListing(text: string): { lines: SourceLine[]; features: ListingFeatures } {
  const lines: SourceLine[] = [];
  let labels: Array<{ name: string; line: number }> = [];
  let llvm = false;
  let kernel = false;
  const raw = text.split('\n');
  for (let ln = 0; ln < raw.length; ln++) {
    const lineNo = ln + 1;
    const full = raw[ln].replace(/\r$/, '');
    let s = full.trim();
    if (/^Disassembly of section /.test(s) || /:\s+file format /.test(s)) { llvm = true; continue; }
    s = stripComment(s).trim();
    if (s === '') continue;
    if (RELOCATION.test(s)) { llvm = true; continue; }
    if (IGNORED_DIRECTIVE.test(s)) { llvm = true; continue; }
    let m: RegExpExecArray | null;
    if ((m = SYMBOL_HEADER.exec(s))) { labels.push({ name: m[1], line: lineNo }); llvm = true; continue; }
    if ((m = PROTOTYPE.exec(s)) && !/^\d+:/.test(s)) { labels.push({ name: m[1], line: lineNo }); continue; }
    if (BYTES_ONLY.test(s)) {
      const prev = lines[lines.length - 1];
      if (!prev || prev.bytes) throw new AsmError(lineNo, 'byte line without an instruction before it');
      prev.bytes = parseBytes(s);
      continue;
    }
    // Labels, possibly followed by an instruction on the same line.
    for (let guard = 0; guard < 64; guard++) {
      if ((m = ANGLE_LABEL.exec(s)) || (m = PLAIN_LABEL.exec(s))) {
        labels.push({ name: m[1], line: lineNo });
        s = m[2].trim();
      } else break;
    }
    if (s === '') continue;
    let bytes: Uint8Array | undefined;
    let opcode: number | undefined;
    if ((m = INDEX.exec(s))) {
      s = (m[2] ?? '').trim();
      const col = BYTE_COLUMN.exec(s);
      if (col) { bytes = parseBytes(col[1]); s = (col[2] ?? '').trim(); llvm = true; }
      if (s === '') throw new AsmError(lineNo, 'index without an instruction');
    }
    if ((m = OPCODE.exec(s))) { opcode = parseInt(m[1], 16); s = m[2].trim(); kernel = true; }
    if (/\bpc[+-]/.test(s) || /\(r\d+ [+-]\d/.test(s)) kernel = true;
    if (/\sll$/.test(s) || /^ld_pseudo\b/.test(s) || /\(r\d+ [+-] /.test(s) || /\bgoto [+-]\d/.test(s)) llvm = true;
    lines.push({ line: lineNo, labels, text: s, opcode, bytes });
    labels = [];
  }
  if (labels.length > 0) lines.push({ line: raw.length, labels, text: '' });
  return { lines, features: { llvm, kernel } };
}
