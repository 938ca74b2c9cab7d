/**
 * The statements of the kernel/LLVM syntax, one parser per form: assignments (`rD op= ...`,
 * `rD = <load | move | byte swap | atomic call | map reference | immediate>`), stores, `lock`,
 * `store_release`, `if ... goto`, `goto`/`gotol`/`may_goto`, `call` in all its spellings, `callx`,
 * `ld_pseudo`, `exit`. The OP_TABLE entry comes from ./asm-kernel-ops.ts by operator and width.
 */
import {
  ALU_BY_OPERATOR, JMP_BY_OPERATOR, LOCK_BY_OPERATOR, aluOp, atomicOp, endOp, jmpOp, movsxOp, negOp, sizedOp,
  type SizedKind,
} from './asm-kernel-ops.js';
import {
  Cursor, address, branch, checkRel, deref, imm32, memOperand, mk, sameWidth, sizeCast, target, valueReg,
  type Parsed, type RegTok,
} from './asm-kernel-cursor.js';
import { fitImm64 } from './asm-numbers.js';
import {
  BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
} from './constants.js';
import { Op, OP_TABLE, type AtomicName } from './ops.js';
import type { Instruction } from './program.js';

export interface StatementOptions {
  /** bpftool's `map[id:N]` → fd; see KernelAsmOptions.mapFd. */
  readonly mapFd?: (id: number) => number | undefined;
}

function parseIf(c: Cursor): Parsed {
  const dst = c.reg();
  const opText = c.anyOp();
  const jmp = JMP_BY_OPERATOR.get(opText);
  if (jmp === undefined) c.fail(`'${opText}' is not a comparison`);
  let f: Partial<Instruction>;
  let source: 'K' | 'X';
  if (c.isReg()) {
    const src = c.reg();
    sameWidth(c, dst, src);
    f = { dst: dst.n, src: src.n };
    source = 'X';
  } else {
    f = { dst: dst.n, imm: imm32(c, c.literal()) };
    source = 'K';
  }
  c.id('goto');
  return branch(c, jmpOp(jmp, dst.wide, source), 'off', f);
}

function parseCall(c: Cursor): Parsed {
  if (c.isReg()) {
    const r = c.reg();
    c.end();
    return { ins: mk(OP_TABLE[Op.CALLX], c, { dst: r.n }) };
  }
  if (c.isId('pc') || c.isOp('<')) {
    const t = checkRel(c, target(c), 'imm');
    if (c.acceptOp('#')) c.skipRest(); // bpftool's `call pc+6#bpf_prog_<tag>_<name>`
    c.endTarget();
    return { ins: mk(OP_TABLE[Op.CALL_LOCAL], c, { src: BPF_PSEUDO_CALL }), target: t, field: 'imm' };
  }
  if (c.isLiteral()) {
    // A helper id is never negative or written with a sign: `call -1` (LLVM's placeholder) and
    // `call +3` are local calls.
    const signedForm = c.isOp('+') || c.isOp('-');
    const lit = c.literal();
    c.endTarget();
    if (signedForm) return { ins: mk(OP_TABLE[Op.CALL_LOCAL], c, { src: BPF_PSEUDO_CALL, imm: imm32(c, lit) }) };
    return { ins: mk(OP_TABLE[Op.CALL], c, { imm: imm32(c, lit) }) };
  }
  const name = c.id();
  if (c.acceptOp('#')) {
    const imm = imm32(c, c.literal());
    c.end();
    // The number is what the instruction holds; the name is a comment. (bpftool names the kernel
    // function a loaded program's fixed-up imm points at: `call bpf_ktime_get_ns#269488`.)
    if (name === 'kernel-function') return { ins: mk(OP_TABLE[Op.CALL_KFUNC], c, { src: BPF_PSEUDO_KFUNC_CALL, imm }) };
    return { ins: mk(OP_TABLE[Op.CALL], c, { imm }) };
  }
  c.endTarget();
  return { ins: mk(OP_TABLE[Op.CALL], c, {}), callName: name };
}

function parseLock(c: Cursor): Parsed {
  c.op('*');
  const { size } = deref(c);
  const m = memOperand(c);
  const opText = c.anyOp();
  const a = LOCK_BY_OPERATOR.get(opText);
  if (a === undefined) c.fail(`'${opText}' is not an atomic operation`);
  const v = c.reg();
  if (size === 8 && !v.wide) c.fail(`a 64-bit atomic takes a 64-bit register, got '${v.text}'`);
  c.end();
  return { ins: mk(atomicOp(a, size), c, { dst: m.base, off: m.off, src: v.n }) };
}

function parseStore(c: Cursor): Parsed {
  const { size, signed } = deref(c);
  if (signed) c.fail('stores have no signed form');
  const m = memOperand(c);
  c.op('=');
  if (c.isReg()) {
    const v = c.reg();
    valueReg(c, v, size);
    c.end();
    return { ins: mk(sizedOp('stx', size), c, { dst: m.base, off: m.off, src: v.n }) };
  }
  const imm = imm32(c, c.literal());
  c.end();
  return { ins: mk(sizedOp('st', size), c, { dst: m.base, off: m.off, imm }) };
}

function parseStoreRelease(c: Cursor): Parsed {
  c.op('(');
  c.op('(');
  const { size } = sizeCast(c);
  const m = memOperand(c);
  c.op(',');
  const v = c.reg();
  valueReg(c, v, size);
  c.op(')');
  c.end();
  return { ins: mk(sizedOp('store_rel', size), c, { dst: m.base, off: m.off, src: v.n }) };
}

function parsePseudo(c: Cursor): Parsed {
  const d = c.reg();
  c.op(',');
  const src = Number(c.literal().value);
  if (src < 0 || src > 15) c.fail(`pseudo source ${src} out of range`);
  c.op(',');
  const imm64 = fitImm64(c.literal(), c.line);
  c.end();
  return { ins: { ...mk(OP_TABLE[Op.LDDW], c, { dst: d.n, src, imm: Number(BigInt.asIntN(32, imm64)) }), imm64 } };
}

const ATOMIC_CALL = /^atomic(64)?_(fetch_(?:add|or|and|xor)|xchg|cmpxchg)$/;
const LLVM_XCHG = /^(cmpxchg|xchg)(?:_64|32_32)$/;

/** `rD = <rhs>` where rhs is a function-style atomic: disasm.c's and LLVM's spellings. */
function parseAtomicCall(c: Cursor, d: RegTok, name: string): Parsed {
  let m: RegExpExecArray | null;
  let atomic: AtomicName;
  let size: number;
  let addr: { base: number; off: number };
  c.op('(');
  if ((m = ATOMIC_CALL.exec(name))) {
    atomic = m[2] as AtomicName;
    c.op('(');
    size = sizeCast(c).size;
    if (m[1] === '64' && size !== 8) c.fail(`${name} needs a u64 access`);
    addr = memOperand(c);
  } else if ((m = LLVM_XCHG.exec(name))) {
    atomic = m[1] as AtomicName;
    size = name.endsWith('_64') ? 8 : 4;
    addr = address(c);
  } else {
    return c.fail(`unknown operation '${name}'`);
  }
  if (size !== 4 && size !== 8) c.fail('atomic operations take u32 or u64');
  c.op(',');
  if (atomic === 'cmpxchg') {
    const r0 = c.reg();
    if (r0.n !== 0 || d.n !== 0) c.fail('cmpxchg compares with r0 and loads into r0');
    c.op(',');
  }
  const v = c.reg();
  c.op(')');
  c.end();
  if (atomic !== 'cmpxchg' && v.n !== d.n) c.fail(`'${name}' returns the old value in its value register ${v.text}`);
  if (size === 8 && (!v.wide || !d.wide)) c.fail(`a 64-bit atomic takes 64-bit registers`);
  return { ins: mk(atomicOp(atomic, size), c, { dst: addr.base, off: addr.off, src: v.n }) };
}

function parseMapRef(c: Cursor, d: RegTok, opts: StatementOptions): Parsed {
  c.op('[');
  const kind = c.id();
  c.op(':');
  const n = Number(c.literal().value);
  c.op(']');
  let value: number | undefined;
  if (c.acceptOp('[')) {
    if (c.literal().value !== 0n) c.fail('map value references index element [0]');
    c.op(']');
    c.op('+');
    const lit = c.literal();
    if (lit.value < 0n || lit.value > 0xffffffffn) c.fail('map value offset out of range');
    value = Number(lit.value);
  }
  c.end();
  let fd: number;
  let src: number;
  if (kind === 'fd' || kind === 'id') {
    src = value === undefined ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE;
    if (kind === 'id' && opts.mapFd) {
      const mapped = opts.mapFd(n);
      if (mapped === undefined) c.fail(`no fd for map id ${n}`);
      fd = mapped;
    } else {
      fd = kind === 'id' ? 0 : n;
    }
  } else if (kind === 'idx') {
    src = value === undefined ? BPF_PSEUDO_MAP_IDX : BPF_PSEUDO_MAP_IDX_VALUE;
    fd = n;
  } else {
    return c.fail(`'map[${kind}:...]' is not a map reference (fd, id or idx)`);
  }
  if (fd < 0 || fd > 0xffffffff) c.fail('map reference out of range');
  const imm64 = (BigInt(value ?? 0) << 32n) | BigInt(fd);
  return { ins: { ...mk(OP_TABLE[Op.LDDW], c, { dst: d.n, src, imm: fd | 0 }), imm64 } };
}

function parseAssign(c: Cursor, d: RegTok, dialect: 'kernel' | 'llvm', opcode: number | undefined, opts: StatementOptions): Parsed {
  // rD = -rD
  if (c.isOp('-') && c.peek(1)?.t === 'reg') {
    c.op('-');
    const s = c.reg();
    if (s.n !== d.n || s.wide !== d.wide) c.fail('negation is in place: write rN = -rN');
    c.end();
    return { ins: mk(negOp(d.wide), c, { dst: d.n }) };
  }
  if (c.isLiteral()) return assignImm(c, d, dialect, opcode);
  if (c.isReg()) {
    const s = c.reg();
    sameWidth(c, d, s);
    c.end();
    return { ins: mk(aluOp('mov', d.wide, 'X'), c, { dst: d.n, src: s.n }) };
  }
  if (c.acceptOp('(')) {
    // rD = (s8)rS
    const cast = c.id();
    const bits = /^s(8|16|32)$/.exec(cast);
    if (!bits) c.fail(`'(${cast})' is not a sign-extending move`);
    c.op(')');
    const s = c.reg();
    sameWidth(c, d, s);
    c.end();
    return { ins: mk(movsxOp(d.wide, Number(bits[1])), c, { dst: d.n, src: s.n }) };
  }
  if (c.acceptOp('*')) return parseLoad(c, d);
  const name = c.id();
  if (/^(be|le|bswap)(16|32|64)$/.test(name)) {
    const s = c.reg();
    if (s.n !== d.n) c.fail('byte swaps are in place: write rN = be16 rN');
    c.end();
    return { ins: mk(endOp(name), c, { dst: d.n }) };
  }
  if ((name === 'map' || name === 'subprog') && !d.wide) c.fail(`'${name}[...]' loads a 64-bit register`);
  if (name === 'map') return parseMapRef(c, d, opts);
  if (name === 'subprog') {
    c.op('[');
    const t = checkRel(c, target(c), 'imm');
    c.op(']');
    c.end();
    return { ins: mk(OP_TABLE[Op.LDDW], c, { dst: d.n, src: BPF_PSEUDO_FUNC }), target: t, field: 'imm' };
  }
  if (name === 'load_acquire') {
    c.op('(');
    c.op('(');
    const { size } = sizeCast(c);
    const m = memOperand(c);
    c.op(')');
    c.end();
    valueReg(c, d, size);
    return { ins: mk(sizedOp('load_acq', size), c, { dst: d.n, src: m.base, off: m.off }) };
  }
  return parseAtomicCall(c, d, name);
}

/** `rD = *(u32 *)(rS +off)`, `rD = *(s8 *)(...)`, `r0 = *(u8 *)skb[k]`, `r0 = *(u8 *)skb[rS + k]`. */
function parseLoad(c: Cursor, d: RegTok): Parsed {
  const { size, signed } = deref(c);
  if (c.isId('skb')) {
    c.id('skb');
    c.op('[');
    let kind: SizedKind = 'ld_abs';
    let src = 0;
    let imm = 0;
    if (c.isReg()) {
      kind = 'ld_ind';
      src = c.reg().n;
      if (c.acceptOp('+')) imm = imm32(c, c.literal());
      else if (c.isOp('-')) imm = imm32(c, c.literal());
    } else {
      imm = imm32(c, c.literal());
    }
    c.op(']');
    c.end();
    if (d.n !== 0 || signed) c.fail('packet loads write r0');
    return { ins: mk(sizedOp(kind, size), c, { src, imm }) };
  }
  const m = memOperand(c);
  c.end();
  if (signed && !d.wide) c.fail('sign-extending loads write a 64-bit register');
  valueReg(c, d, size);
  return { ins: mk(sizedOp(signed ? 'ldxs' : 'ldx', size), c, { dst: d.n, src: m.base, off: m.off }) };
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/** `rD = k`: a move, or an ld_imm64 (`ll`, a value beyond 32 bits, or disasm.c's hex). */
function assignImm(c: Cursor, d: RegTok, dialect: 'kernel' | 'llvm', opcode: number | undefined): Parsed {
  const lit = c.literal();
  const ll = c.isId('ll');
  if (ll) c.id('ll');
  c.end();
  if (!d.wide) {
    if (ll) c.fail('ld_imm64 loads a 64-bit register');
    return { ins: mk(aluOp('mov', false, 'K'), c, { dst: d.n, imm: imm32(c, lit) }) };
  }
  const fits = lit.value >= INT32_MIN && lit.value <= INT32_MAX;
  const lddw = opcode !== undefined
    ? opcode === OP_TABLE[Op.LDDW].code
    : ll || !fits || (dialect === 'kernel' && lit.pattern);
  if (lddw) {
    const imm64 = fitImm64(lit, c.line);
    return { ins: { ...mk(OP_TABLE[Op.LDDW], c, { dst: d.n, imm: Number(BigInt.asIntN(32, imm64)) }), imm64 } };
  }
  return { ins: mk(aluOp('mov', true, 'K'), c, { dst: d.n, imm: imm32(c, lit) }) };
}

/** One instruction statement (the cursor holds its tokens). */
export function parseStatement(c: Cursor, dialect: 'kernel' | 'llvm', opcode: number | undefined, opts: StatementOptions): Parsed {
  const first = c.peek();
  if (first === undefined) return c.fail('empty instruction');
  if (first.t === 'reg') {
    const d = c.reg();
    const opText = c.anyOp();
    if (opText === '=') return parseAssign(c, d, dialect, opcode, opts);
    const alu = ALU_BY_OPERATOR.get(opText);
    if (alu === undefined || alu === 'mov') c.fail(`'${opText}' is not an assignment operator`);
    if (c.isReg()) {
      const s = c.reg();
      sameWidth(c, d, s);
      c.end();
      return { ins: mk(aluOp(alu, d.wide, 'X'), c, { dst: d.n, src: s.n }) };
    }
    const imm = imm32(c, c.literal());
    c.end();
    return { ins: mk(aluOp(alu, d.wide, 'K'), c, { dst: d.n, imm }) };
  }
  if (first.t === 'op' && first.text === '*') {
    c.op('*');
    return parseStore(c);
  }
  const word = c.id();
  switch (word) {
    case 'exit': c.end(); return { ins: mk(OP_TABLE[Op.EXIT], c, {}) };
    case 'goto': return branch(c, OP_TABLE[Op.JA], 'off');
    case 'gotol': return branch(c, OP_TABLE[Op.JA32], 'imm');
    case 'may_goto': return branch(c, OP_TABLE[Op.MAY_GOTO], 'off');
    case 'if': return parseIf(c);
    case 'call': return parseCall(c);
    case 'callx': {
      const r = c.reg();
      c.end();
      return { ins: mk(OP_TABLE[Op.CALLX], c, { dst: r.n }) };
    }
    case 'lock': return parseLock(c);
    case 'store_release': return parseStoreRelease(c);
    case 'ld_pseudo': return parsePseudo(c);
    default: return c.fail(`unknown instruction '${word}'`);
  }
}
