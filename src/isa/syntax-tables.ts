/**
 * Spellings shared by the kernel/LLVM-syntax assembler (./asm-kernel.ts) and disassembler
 * (./disasm.ts): operator strings, access-size names, number formats. Both sides read these
 * tables with the OP_TABLE fields (`alu`, `jmp`, `atomic`, `size`, `wide`) as keys, so that a
 * spelling lives in one place. The strings are those of Linux's kernel/bpf/disasm.c
 * (`bpf_alu_string`, `bpf_alu_sign_string`, `bpf_jmp_string`, `bpf_ldst_string`, `bpf_ldsx_string`),
 * which LLVM's BPF printer shares.
 */
import { toHex } from '../util/hex.js';
import type { AluName, AtomicName, JmpName } from './ops.js';

/** Compound-assignment operator of each ALU operation (`r1 += 2`, `r1 s/= r2`). */
export const ALU_OPERATOR: Readonly<Record<AluName, string>> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  mod: '%=', smod: 's%=', xor: '^=', mov: '=', arsh: 's>>=',
};

/** Comparison operator of each conditional jump (`if r1 s< r2 goto ...`). */
export const JMP_OPERATOR: Readonly<Record<JmpName, string>> = {
  jeq: '==', jgt: '>', jge: '>=', jset: '&', jne: '!=', jsgt: 's>', jsge: 's>=', jlt: '<', jle: '<=',
  jslt: 's<', jsle: 's<=',
};

/** Operator of the non-fetching atomics (`lock *(u64 *)(r1 +0) += r2`). */
export const LOCK_OPERATOR: Readonly<Partial<Record<AtomicName, string>>> = {
  add: '+=', or: '|=', and: '&=', xor: '^=',
};

/** `u8`..`u64` by access size in bytes. */
export const UNSIGNED_SIZE: Readonly<Record<number, string>> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
/** `s8`..`s32` by access size in bytes (sign-extending loads). */
export const SIGNED_SIZE: Readonly<Record<number, string>> = { 1: 's8', 2: 's16', 4: 's32' };

/** Access size in bytes of a `u8`..`u64` / `s8`..`s32` cast, or undefined. */
export function sizeOfCast(name: string): { size: number; signed: boolean } | undefined {
  const m = /^([us])(8|16|32|64)$/.exec(name);
  if (!m) return undefined;
  const size = Number(m[2]) / 8;
  if (m[1] === 's' && size === 8) return undefined;
  return { size, signed: m[1] === 's' };
}

/** C's `%+d`: the sign always printed (`+0`, `-8`). */
export function signed(n: number): string {
  return n < 0 ? `${n}` : `+${n}`;
}

/** LLVM ≥ 18 prints immediates and offsets as signed hex: `0x3`, `-0x3`, `+0x1` with `plus`. */
export function signedHex(n: number | bigint, plus = false): string {
  const neg = n < 0;
  const abs = neg ? -BigInt(n) : BigInt(n);
  return `${neg ? '-' : plus ? '+' : ''}0x${abs.toString(16)}`;
}

/** Bytes as objdump and bpftool list them: `b7 01 00 00`. */
export function spacedHex(bytes: Uint8Array): string {
  return toHex(bytes).replace(/(..)(?!$)/g, '$1 ');
}
