/**
 * Reading a program from a file the way the CLI accepts it: a bpf_conformance `.data` file, raw
 * `.bin` slots, or assembly text in either syntax (conformance `add %r0, 1` or kernel/LLVM
 * `r0 += 1`, detected by the `%r` register spelling).
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDataFile } from '../conformance/data-file.js';
import { assembleConformanceProgram } from '../isa/asm-conformance.js';
import { assembleKernelProgram } from '../isa/asm-kernel.js';
import { decode, type Program } from '../isa/program.js';
import { fromHex } from '../util/hex.js';

export interface ProgramInput {
  readonly program: Program;
  /** Input memory carried by the file (`-- mem` of a .data file), if any. */
  readonly mem: Uint8Array | null;
  /** Expected r0 of a .data file, if any. */
  readonly expected: bigint | null;
  readonly format: 'data' | 'bin' | 'asm-conformance' | 'asm-kernel';
}

export function isConformanceSyntax(text: string): boolean {
  return /%r\d/.test(text);
}

export function assembleAny(text: string): { program: Program; format: 'asm-conformance' | 'asm-kernel' } {
  return isConformanceSyntax(text)
    ? { program: assembleConformanceProgram(text), format: 'asm-conformance' }
    : { program: assembleKernelProgram(text), format: 'asm-kernel' };
}

export function readProgram(path: string, bytes: Buffer): ProgramInput {
  const ext = extname(path).toLowerCase();
  if (ext === '.data') {
    const f = parseDataFile(bytes.toString('utf8'));
    const program = f.raw !== null ? decode(f.raw) : assembleConformanceProgram(f.asm);
    return { program, mem: f.mem, expected: f.result, format: 'data' };
  }
  if (ext === '.bin' || ext === '.o.bin' || looksBinary(bytes)) {
    return { program: decode(new Uint8Array(bytes)), mem: null, expected: null, format: 'bin' };
  }
  const { program, format } = assembleAny(bytes.toString('utf8'));
  return { program, mem: null, expected: null, format };
}

function looksBinary(b: Buffer): boolean {
  const n = Math.min(b.length, 256);
  for (let i = 0; i < n; i++) if (b[i] === 0) return true;
  return false;
}

/** `--mem`: a file's bytes when the file exists, otherwise hex text. */
export function readMemArg(arg: string): Uint8Array {
  if (existsSync(arg)) return new Uint8Array(readFileSync(arg));
  return fromHex(arg);
}
