/**
 * Integer literals of both assembly syntaxes. One rule everywhere (bpf_conformance's, README §5,
 * which also fits what disasm.c and LLVM print): a hex literal without a minus sign is a bit pattern
 * of the field's width (`0xfffffffd` in a 32-bit field is -3), anything else is a signed value that
 * must fit the field.
 */
import { AsmError } from './asm-error.js';

export interface Literal {
  readonly value: bigint;
  /** Written in hex without a minus sign: a bit pattern. */
  readonly pattern: boolean;
  readonly text: string;
}

const LITERAL = /^([+-]?)(0x[0-9a-f]+|[0-9]+)$/i;

/** Parse `12`, `-12`, `+0x1f`, `-0x8`; undefined when `tok` is not an integer literal. */
export function parseLiteral(tok: string): Literal | undefined {
  const m = LITERAL.exec(tok);
  if (!m) return undefined;
  const mag = BigInt(m[2]);
  return { value: m[1] === '-' ? -mag : mag, pattern: m[1] !== '-' && /^0x/i.test(m[2]), text: tok };
}

export function isLiteral(tok: string): boolean {
  return LITERAL.test(tok);
}

/**
 * Fit a literal into a signed field of `bits` (16 or 32): hex bit patterns up to 2^bits-1 wrap,
 * other values must lie in [-2^(bits-1), 2^(bits-1)-1].
 */
export function fitSigned(lit: Literal, bits: 16 | 32, line: number, what: string): number {
  const b = BigInt(bits);
  const min = -(1n << (b - 1n));
  const max = lit.pattern ? (1n << b) - 1n : (1n << (b - 1n)) - 1n;
  if (lit.value < min || lit.value > max) throw new AsmError(line, `${what} '${lit.text}' out of range for ${bits} bits`);
  return Number(BigInt.asIntN(bits, lit.value));
}

/** A 64-bit immediate: anything in [-2^63, 2^64-1], returned as its unsigned bit pattern. */
export function fitImm64(lit: Literal, line: number): bigint {
  if (lit.value < -(1n << 63n) || lit.value > (1n << 64n) - 1n) {
    throw new AsmError(line, `immediate '${lit.text}' out of range for 64 bits`);
  }
  return BigInt.asUintN(64, lit.value);
}

/** Parse and fit in one step; `what` names the field in the error. */
export function parseSigned(tok: string, bits: 16 | 32, line: number, what: string): number {
  const lit = parseLiteral(tok);
  if (!lit) throw new AsmError(line, `expected ${what === 'offset' ? 'an offset' : `an ${what}`}, got '${tok}'`);
  return fitSigned(lit, bits, line, what);
}

export function parseImm64(tok: string, line: number): bigint {
  const lit = parseLiteral(tok);
  if (!lit) throw new AsmError(line, `expected a 64-bit immediate, got '${tok}'`);
  return fitImm64(lit, line);
}
