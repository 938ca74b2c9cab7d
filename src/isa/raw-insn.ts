/**
 * The `.insn` directive: one instruction written field by field,
 * `.insn code=0x18, dst=1, src=3, off=0, imm=0x1122334455667788`. Both text syntaxes accept it and
 * the disassembler prints it for the valid encodings that neither syntax can spell (an ld_imm64
 * with an unusual pseudo source, a kfunc call with a BTF fd index, a callx with its register in
 * both dst and imm), so that every valid instruction survives disassemble → assemble bit for bit.
 * For ld_imm64 (code 0x18) `imm` is the whole 64-bit value; otherwise it is the 32-bit field.
 */
import { AsmError } from './asm-error.js';
import { fitImm64, fitSigned, parseLiteral } from './asm-numbers.js';
import { Op, opOf } from './ops.js';
import type { Instruction } from './program.js';

const LDDW_CODE = 0x18;

/** Print an instruction's raw fields as a `.insn` directive. */
export function formatRawInsn(code: number, dst: number, src: number, off: number, imm: number | bigint): string {
  const immText = typeof imm === 'bigint' ? `0x${BigInt.asUintN(64, imm).toString(16)}` : `${imm}`;
  return `.insn code=0x${code.toString(16).padStart(2, '0')}, dst=${dst}, src=${src}, off=${off}, imm=${immText}`;
}

/** Parse the operand text of a `.insn` directive (everything after the word `.insn`). */
export function parseRawInsn(operands: string, line: number): Instruction {
  const fields = new Map<string, string>();
  for (const part of operands.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(code|dst|src|off|imm)=(\S+)$/.exec(part);
    if (!m) throw new AsmError(line, `.insn expects code=, dst=, src=, off=, imm= fields, got '${part}'`);
    if (fields.has(m[1])) throw new AsmError(line, `.insn field '${m[1]}' given twice`);
    fields.set(m[1], m[2]);
  }
  const num = (key: string, min: number, max: number): number => {
    const text = fields.get(key) ?? '0';
    const lit = parseLiteral(text);
    if (!lit || lit.value < BigInt(min) || lit.value > BigInt(max)) {
      throw new AsmError(line, `.insn ${key}=${text} is not an integer in ${min}..${max}`);
    }
    return Number(lit.value);
  };
  if (!fields.has('code')) throw new AsmError(line, '.insn needs a code= field');
  const code = num('code', 0, 0xff);
  const dst = num('dst', 0, 15);
  const src = num('src', 0, 15);
  const offLit = parseLiteral(fields.get('off') ?? '0');
  if (!offLit) throw new AsmError(line, `.insn off=${fields.get('off')} is not an integer`);
  const off = fitSigned(offLit, 16, line, 'offset');
  const immLit = parseLiteral(fields.get('imm') ?? '0');
  if (!immLit) throw new AsmError(line, `.insn imm=${fields.get('imm')} is not an integer`);
  if (code === LDDW_CODE) {
    const imm64 = fitImm64(immLit, line);
    const op = opOf(code, src, off, Number(BigInt.asIntN(32, imm64)));
    return { op, dst, src, off, imm: Number(BigInt.asIntN(32, imm64)), imm64 };
  }
  const imm = fitSigned(immLit, 32, line, 'immediate');
  const op = opOf(code, src, off, imm);
  if (op === Op.INVALID) {
    throw new AsmError(line, `.insn code=0x${code.toString(16).padStart(2, '0')} with these fields is no eBPF instruction`);
  }
  return { op, dst, src, off, imm };
}
