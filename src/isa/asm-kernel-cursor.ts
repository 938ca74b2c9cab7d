/**
 * The token cursor of the kernel/LLVM-syntax parser and the operand grammar every statement shares:
 * registers, signed literals, `(u32 *)` casts, `(r1 +4)` / `(r1 - 0x8)` memory operands, branch
 * targets (`pc+3`, `+3`, `-0x8`, `label`, `<label>`, plus objdump's trailing `<sym+0x..>`).
 */
import { AsmError } from './asm-error.js';
import type { Token } from './asm-kernel-lexer.js';
import { fitSigned, parseLiteral, type Literal } from './asm-numbers.js';
import type { OpInfo } from './ops.js';
import type { Instruction } from './program.js';
import { sizeOfCast } from './syntax-tables.js';

export type RegTok = Extract<Token, { t: 'reg' }>;
export type Target = { readonly rel: number } | { readonly label: string };

export interface Parsed {
  readonly ins: Instruction;
  /** A branch/call target still to resolve into `off` or `imm`. */
  readonly target?: Target;
  readonly field?: 'off' | 'imm';
  /** `call name`: a local call if `name` is a label, else a helper call. */
  readonly callName?: string;
}

/** Register fields are 4 bits; numbers above 10 are kept for tests of validate(). */
const MAX_REG = 15;

export class Cursor {
  private i = 0;
  constructor(private readonly toks: Token[], readonly line: number, readonly text: string) {}

  fail(msg: string): never {
    throw new AsmError(this.line, `${msg} in '${this.text}'`);
  }
  peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }
  isOp(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t?.t === 'op' && t.text === text;
  }
  isId(text?: string, k = 0): boolean {
    const t = this.peek(k);
    return t?.t === 'id' && (text === undefined || t.text === text);
  }
  acceptOp(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.i++;
    return true;
  }
  op(text: string): void {
    if (!this.acceptOp(text)) this.fail(`expected '${text}'${this.where()}`);
  }
  id(text?: string): string {
    const t = this.peek();
    if (t?.t !== 'id' || (text !== undefined && t.text !== text)) this.fail(`expected ${text === undefined ? 'a name' : `'${text}'`}${this.where()}`);
    this.i++;
    return t.text;
  }
  anyOp(): string {
    const t = this.peek();
    if (t?.t !== 'op') this.fail(`expected an operator${this.where()}`);
    this.i++;
    return t.text;
  }
  reg(): RegTok {
    const t = this.peek();
    if (t?.t !== 'reg') this.fail(`expected a register${this.where()}`);
    if (t.n > MAX_REG) this.fail(`no such register '${t.text}'`);
    this.i++;
    return t;
  }
  isReg(): boolean {
    return this.peek()?.t === 'reg';
  }
  /** An integer with at most one sign token before it. */
  literal(): Literal {
    let sign = '';
    if (this.isOp('-') || this.isOp('+')) sign = (this.peek() as Token).text;
    const n = this.peek(sign ? 1 : 0);
    if (n?.t !== 'num') this.fail(`expected a number${this.where()}`);
    this.i += sign ? 2 : 1;
    return parseLiteral(sign + n.text)!;
  }
  isLiteral(): boolean {
    const k = this.isOp('-') || this.isOp('+') ? 1 : 0;
    return this.peek(k)?.t === 'num';
  }
  end(): void {
    if (this.i < this.toks.length) this.fail(`unexpected '${this.toks[this.i].text}'`);
  }
  skipRest(): void {
    this.i = this.toks.length;
  }
  /** End of a branch: llvm-objdump may add a `<sym+0x..>` annotation. */
  endTarget(): void {
    if (this.isOp('<')) {
      for (let guard = 0; this.i < this.toks.length && guard < 64; guard++) if (this.toks[this.i++].text === '>') break;
    }
    this.end();
  }
  private where(): string {
    const t = this.peek();
    return t === undefined ? ' at the end' : `, got '${t.text}'`;
  }
}

export function mk(info: OpInfo | undefined, c: Cursor, f: Partial<Instruction>): Instruction {
  if (info === undefined) c.fail('no such instruction');
  return { op: info.op, dst: 0, src: 0, off: 0, imm: 0, ...f };
}

export const imm32 = (c: Cursor, lit: Literal): number => fitSigned(lit, 32, c.line, 'immediate');
export const off16 = (c: Cursor, lit: Literal): number => fitSigned(lit, 16, c.line, 'offset');

export function sameWidth(c: Cursor, a: RegTok, b: RegTok): void {
  if (a.wide !== b.wide) c.fail(`'${a.text}' and '${b.text}' differ in width`);
}

/** `(u32 *)` after its opening parenthesis was consumed. */
export function sizeCast(c: Cursor): { size: number; signed: boolean } {
  const name = c.id();
  const s = sizeOfCast(name);
  if (!s) c.fail(`'${name}' is not an access size`);
  c.op('*');
  c.op(')');
  return s;
}

/** `(r1 +4)`, `(r1 - 0x8)`, `(r1)`. */
export function memOperand(c: Cursor): { base: number; off: number } {
  c.op('(');
  const a = address(c);
  c.op(')');
  return a;
}

/** `r1 +4` / `r1 - 8` / `r1`: a base register (64-bit) and a 16-bit offset. */
export function address(c: Cursor): { base: number; off: number } {
  const r = c.reg();
  if (!r.wide) c.fail(`a memory base must be a 64-bit register, got '${r.text}'`);
  let off = 0;
  if (c.isOp('+') || c.isOp('-')) {
    const neg = c.anyOp() === '-';
    const lit = c.literal();
    off = off16(c, { ...lit, value: neg ? -lit.value : lit.value, pattern: lit.pattern && !neg });
  }
  return { base: r.n, off };
}

/** `*(u32 *)` dereference prefix; the `*` already consumed. */
export function deref(c: Cursor): { size: number; signed: boolean } {
  c.op('(');
  return sizeCast(c);
}

export function target(c: Cursor): Target {
  if (c.isId('pc') && (c.isOp('+', 1) || c.isOp('-', 1))) {
    c.id('pc');
    return { rel: Number(c.literal().value) };
  }
  if (c.isLiteral()) return { rel: Number(c.literal().value) };
  if (c.acceptOp('<')) {
    const name = c.id();
    c.op('>');
    return { label: name };
  }
  return { label: c.id() };
}

export function checkRel(c: Cursor, t: Target, field: 'off' | 'imm'): Target {
  if ('rel' in t) {
    const bits = field === 'off' ? 16 : 32;
    const lim = 2 ** (bits - 1);
    if (t.rel < -lim || t.rel >= lim) c.fail(`branch offset ${t.rel} out of range for ${bits} bits`);
  }
  return t;
}

export function branch(c: Cursor, info: OpInfo | undefined, field: 'off' | 'imm', f: Partial<Instruction> = {}): Parsed {
  const t = checkRel(c, target(c), field);
  c.endTarget();
  return { ins: mk(info, c, f), target: t, field };
}

/** Width rule for the value register of a load or store: `w` only below 64 bits (LLVM's alu32). */
export function valueReg(c: Cursor, r: RegTok, size: number): void {
  if (!r.wide && size === 8) c.fail(`a 64-bit access takes a 64-bit register, got '${r.text}'`);
}
