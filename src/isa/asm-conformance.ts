/**
 * Assembler for the bpf_conformance syntax (`add %r0, 1`, `ldxw %r0, [%r1+4]`, `jne %r0, %r1, exit`,
 * `lock fetch add32 [%r10-8], %r1`), following the rules of ../shared/conformance/README.md §5:
 * whitespace-separated operands each with one trailing comma removed, `#` comments, labels on their
 * own line, an implicit `exit` label at the first exit, relative targets counted in slots.
 */
import { AsmError } from './asm-error.js';
import { parseImm64 as parseImm64Literal, parseSigned } from './asm-numbers.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, MAX_BPF_REG } from './constants.js';
import { Op, OP_TABLE, type OpInfo } from './ops.js';
import { fromInstructions, type Instruction, type Program } from './program.js';
import { parseRawInsn } from './raw-insn.js';

export { AsmError } from './asm-error.js';

interface Pending {
  readonly ins: Instruction;
  readonly line: number;
  /** Label or relative target to resolve into `off` (jumps) or `imm` (ja32, call local). */
  readonly target?: string;
  readonly targetField?: 'off' | 'imm';
}

const MNEMONICS: ReadonlyMap<string, readonly OpInfo[]> = (() => {
  const m = new Map<string, OpInfo[]>();
  for (const info of OP_TABLE) {
    if (info.op === Op.INVALID || info.kind === 'lddw_hi') continue;
    const list = m.get(info.mnemonic) ?? [];
    list.push(info);
    m.set(info.mnemonic, list);
  }
  return m;
})();

function parseReg(tok: string, line: number, max = MAX_BPF_REG + 4): number {
  const m = /^%r(\d+)$/.exec(tok);
  if (!m) throw new AsmError(line, `expected a register, got '${tok}'`);
  const n = Number(m[1]);
  if (n > max) throw new AsmError(line, `no such register '${tok}'`);
  return n;
}

function isReg(tok: string): boolean {
  return /^%r\d+$/.test(tok);
}

/** A 32-bit immediate: hex is an unsigned bit pattern, decimal is signed (README §5). */
function parseImm32(tok: string, line: number): number {
  return parseSigned(tok, 32, line, 'immediate');
}

function parseOff16(tok: string, line: number): number {
  return parseSigned(tok, 16, line, 'offset');
}

function parseImm64(tok: string, line: number): bigint {
  return parseImm64Literal(tok, line);
}

/** `[%rN+off]`, `[%rN-off]` or `[%rN]`. */
function parseMem(tok: string, line: number): { reg: number; off: number } {
  const m = /^\[(%r\d+)(?:([+-])(0x[0-9a-f]+|\d+))?\]$/i.exec(tok);
  if (!m) throw new AsmError(line, `expected a memory operand like [%r1+8], got '${tok}'`);
  const reg = parseReg(m[1], line);
  const off = m[2] === undefined ? 0 : parseOff16(m[2] === '-' ? `-${m[3]}` : m[3], line);
  return { reg, off };
}

function mk(info: OpInfo, f: Partial<Instruction> = {}): Instruction {
  return { op: info.op, dst: 0, src: 0, off: 0, imm: 0, ...f };
}

function pick(name: string, source: 'K' | 'X' | null, line: number): OpInfo {
  const list = MNEMONICS.get(name);
  if (!list) throw new AsmError(line, `unknown mnemonic '${name}'`);
  const info = list.find((i) => source === null || i.source === null || i.source === source);
  if (!info) throw new AsmError(line, `'${name}' has no ${source === 'X' ? 'register' : 'immediate'} form`);
  return info;
}

function arity(ops: string[], n: number, name: string, line: number): void {
  if (ops.length !== n) throw new AsmError(line, `'${name}' takes ${n} operand${n === 1 ? '' : 's'}, got ${ops.length}`);
}

function parseLine(mn: string, ops: string[], line: number): Pending {
  // Our extension: any instruction spelled field by field (see ./raw-insn.ts).
  if (mn === '.insn') return { ins: parseRawInsn(ops.join(' '), line), line };
  // Multi-word mnemonics: lock ..., call local/helper/runtime.
  if (mn === 'lock') {
    let words = ops.slice();
    let name = 'lock';
    if (words[0] === 'fetch') { name += ' fetch'; words = words.slice(1); }
    name += ` ${words[0] ?? ''}`;
    words = words.slice(1);
    arity(words, 2, name, line);
    const info = pick(name, null, line);
    const m = parseMem(words[0], line);
    return { ins: mk(info, { dst: m.reg, off: m.off, src: parseReg(words[1], line) }), line };
  }
  if (mn === 'call') {
    const kind = ops[0];
    if (kind === 'local') {
      arity(ops, 2, 'call local', line);
      return { ins: mk(OP_TABLE[Op.CALL_LOCAL], { src: BPF_PSEUDO_CALL }), line, target: ops[1], targetField: 'imm' };
    }
    if (kind === 'runtime') {
      arity(ops, 2, 'call runtime', line);
      return { ins: mk(OP_TABLE[Op.CALL_KFUNC], { src: BPF_PSEUDO_KFUNC_CALL, imm: parseImm32(ops[1], line) }), line };
    }
    const rest = kind === 'helper' ? ops.slice(1) : ops;
    arity(rest, 1, 'call', line);
    if (isReg(rest[0])) return { ins: mk(OP_TABLE[Op.CALLX], { dst: parseReg(rest[0], line) }), line };
    return { ins: mk(OP_TABLE[Op.CALL], { imm: parseImm32(rest[0], line) }), line };
  }
  if (mn === 'exit') { arity(ops, 0, mn, line); return { ins: mk(OP_TABLE[Op.EXIT]), line }; }
  if (mn === 'ja') { arity(ops, 1, mn, line); return { ins: mk(OP_TABLE[Op.JA]), line, target: ops[0], targetField: 'off' }; }
  if (mn === 'ja32') { arity(ops, 1, mn, line); return { ins: mk(OP_TABLE[Op.JA32]), line, target: ops[0], targetField: 'imm' }; }
  if (mn === 'may_goto') { arity(ops, 1, mn, line); return { ins: mk(OP_TABLE[Op.MAY_GOTO]), line, target: ops[0], targetField: 'off' }; }
  if (mn === 'lddw') {
    arity(ops, 2, mn, line);
    const v = parseImm64(ops[1], line);
    return { ins: { ...mk(OP_TABLE[Op.LDDW], { dst: parseReg(ops[0], line) }), imm64: v }, line };
  }
  if (/^(swap|bswap)(16|32|64)$/.test(mn)) {
    arity(ops, 1, mn, line);
    return { ins: mk(pick(mn.replace(/^swap/, 'bswap'), null, line), { dst: parseReg(ops[0], line) }), line };
  }
  const list = MNEMONICS.get(mn);
  if (!list) throw new AsmError(line, `unknown mnemonic '${mn}'`);
  const kind = list[0].kind;
  switch (kind) {
    case 'neg': case 'end':
      arity(ops, 1, mn, line);
      return { ins: mk(list[0], { dst: parseReg(ops[0], line) }), line };
    case 'alu': case 'movsx': {
      arity(ops, 2, mn, line);
      const x = isReg(ops[1]);
      const info = pick(mn, x ? 'X' : 'K', line);
      return {
        ins: mk(info, x ? { dst: parseReg(ops[0], line), src: parseReg(ops[1], line) } : { dst: parseReg(ops[0], line), imm: parseImm32(ops[1], line) }),
        line,
      };
    }
    case 'ldx': case 'ldxs': case 'load_acq': {
      arity(ops, 2, mn, line);
      const m = parseMem(ops[1], line);
      return { ins: mk(list[0], { dst: parseReg(ops[0], line), src: m.reg, off: m.off }), line };
    }
    case 'st': {
      arity(ops, 2, mn, line);
      const m = parseMem(ops[0], line);
      return { ins: mk(list[0], { dst: m.reg, off: m.off, imm: parseImm32(ops[1], line) }), line };
    }
    case 'stx': case 'store_rel': {
      arity(ops, 2, mn, line);
      const m = parseMem(ops[0], line);
      return { ins: mk(list[0], { dst: m.reg, off: m.off, src: parseReg(ops[1], line) }), line };
    }
    case 'ld_abs': {
      arity(ops, 1, mn, line);
      return { ins: mk(list[0], { imm: parseImm32(ops[0], line) }), line };
    }
    case 'ld_ind': {
      arity(ops, 2, mn, line);
      return { ins: mk(list[0], { src: parseReg(ops[0], line), imm: parseImm32(ops[1], line) }), line };
    }
    case 'jmp': {
      arity(ops, 3, mn, line);
      const x = isReg(ops[1]);
      const info = pick(mn, x ? 'X' : 'K', line);
      const f = x ? { dst: parseReg(ops[0], line), src: parseReg(ops[1], line) } : { dst: parseReg(ops[0], line), imm: parseImm32(ops[1], line) };
      return { ins: mk(info, f), line, target: ops[2], targetField: 'off' };
    }
    default:
      throw new AsmError(line, `cannot assemble '${mn}'`);
  }
}

/**
 * Assemble conformance-syntax text into instructions. Labels are resolved; relative targets
 * `+N`/`-N` are taken as written.
 */
export function assembleConformance(text: string): Instruction[] {
  const pending: Pending[] = [];
  const labels = new Map<string, number>();
  let slot = 0;
  const lines = text.split('\n');
  for (let ln = 0; ln < lines.length; ln++) {
    const lineNo = ln + 1;
    const raw = lines[ln].replace(/\r$/, '');
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (body === '') continue;
    const toks = body.split(/\s+/);
    if (toks[0].endsWith(':')) {
      const name = toks[0].slice(0, -1);
      if (labels.has(name)) throw new AsmError(lineNo, `duplicate label '${name}'`);
      labels.set(name, slot);
      continue;
    }
    const mn = toks[0].toLowerCase();
    const ops = toks.slice(1).map((t) => (t.endsWith(',') ? t.slice(0, -1) : t));
    const p = parseLine(mn, ops, lineNo);
    if (p.ins.op === Op.EXIT && !labels.has('exit')) labels.set('exit', slot);
    pending.push(p);
    slot += p.ins.op === Op.LDDW ? 2 : 1;
  }
  const out: Instruction[] = [];
  slot = 0;
  for (const p of pending) {
    let ins = p.ins;
    if (p.target !== undefined) {
      let rel: number;
      if (/^[+-]\d+$/.test(p.target) || /^[+-]0x[0-9a-f]+$/i.test(p.target)) {
        rel = p.targetField === 'off' ? parseOff16(p.target, p.line) : parseImm32(p.target, p.line);
      } else {
        const at = labels.get(p.target);
        if (at === undefined) throw new AsmError(p.line, `undefined label '${p.target}'`);
        rel = at - (slot + 1);
        if (p.targetField === 'off' && (rel < -0x8000 || rel > 0x7fff)) throw new AsmError(p.line, `jump to '${p.target}' is out of 16-bit range`);
      }
      ins = p.targetField === 'off' ? { ...ins, off: rel } : { ...ins, imm: rel };
    }
    out.push(ins);
    slot += ins.op === Op.LDDW ? 2 : 1;
  }
  return out;
}

/** Assemble conformance-syntax text straight to a decoded Program. */
export function assembleConformanceProgram(text: string): Program {
  return fromInstructions(assembleConformance(text));
}
