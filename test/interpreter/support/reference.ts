/**
 * An independent reference model of eBPF arithmetic, comparisons, byte swaps and sign extensions,
 * written with BigInt straight from RFC 9669 (and Linux's kernel/bpf/core.c where the RFC defers
 * to it). It shares no code with the interpreter: the property tests compare the two.
 *
 * Values are unsigned 64-bit bigints (two's complement for negatives).
 */

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;

export const u64 = (v: bigint): bigint => v & M64;
export const u32 = (v: bigint): bigint => v & M32;
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);

/** A 32-bit immediate as the 64-bit K-form operand (sign-extended, RFC 9669 §4.1). */
export const immOperand = (imm: number): bigint => u64(BigInt(imm | 0));

export type AluRefName =
  | 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'smod' | 'xor'
  | 'mov' | 'arsh';

/** Truncating signed division (C semantics). BigInt division already truncates toward zero. */
function sdivTrunc(a: bigint, b: bigint): bigint {
  return a / b;
}

/** Signed remainder with the sign of the dividend (C semantics); BigInt % does the same. */
function smodTrunc(a: bigint, b: bigint): bigint {
  return a % b;
}

/**
 * ALU64: dst op src on full 64-bit values. Division by zero gives 0, modulo by zero leaves dst,
 * shift counts are masked to 6 bits, signed division of INT64_MIN by -1 wraps to INT64_MIN.
 */
export function alu64(name: AluRefName, dst: bigint, src: bigint): bigint {
  const a = u64(dst), b = u64(src);
  switch (name) {
    case 'add': return u64(a + b);
    case 'sub': return u64(a - b);
    case 'mul': return u64(a * b);
    case 'div': return b === 0n ? 0n : a / b;
    case 'sdiv': return b === 0n ? 0n : u64(sdivTrunc(s64(a), s64(b)));
    case 'mod': return b === 0n ? a : a % b;
    case 'smod': return b === 0n ? a : u64(smodTrunc(s64(a), s64(b)));
    case 'or': return a | b;
    case 'and': return a & b;
    case 'xor': return a ^ b;
    case 'mov': return b;
    case 'lsh': return u64(a << (b & 63n));
    case 'rsh': return a >> (b & 63n);
    case 'arsh': return u64(s64(a) >> (b & 63n));
  }
}

/**
 * ALU32: the same on the low 32 bits of both operands, result zero-extended to 64 bits. Modulo by
 * zero keeps the low 32 bits of dst (and clears the upper half); shift counts are masked to 5 bits.
 */
export function alu32(name: AluRefName, dst: bigint, src: bigint): bigint {
  const a = u32(dst), b = u32(src);
  switch (name) {
    case 'add': return u32(a + b);
    case 'sub': return u32(a - b);
    case 'mul': return u32(a * b);
    case 'div': return b === 0n ? 0n : a / b;
    case 'sdiv': return b === 0n ? 0n : u32(sdivTrunc(s32(a), s32(b)));
    case 'mod': return b === 0n ? a : a % b;
    case 'smod': return b === 0n ? a : u32(smodTrunc(s32(a), s32(b)));
    case 'or': return a | b;
    case 'and': return a & b;
    case 'xor': return a ^ b;
    case 'mov': return b;
    case 'lsh': return u32(a << (b & 31n));
    case 'rsh': return a >> (b & 31n);
    case 'arsh': return u32(s32(a) >> (b & 31n));
  }
}

export const neg64 = (v: bigint): bigint => u64(-v);
export const neg32 = (v: bigint): bigint => u32(-v);

/** MOVSX: sign-extend the low `bits` of src to 64 bits (ALU64) or to 32 bits then zero-extend (ALU). */
export function movsx(bits: 8 | 16 | 32, wide: boolean, src: bigint): bigint {
  const v = BigInt.asIntN(bits, src);
  return wide ? u64(v) : u32(v);
}

/** Sign-extending load of `size` bytes: the loaded value sign-extended to 64 bits. */
export function signExtend(size: 1 | 2 | 4, v: bigint): bigint {
  return u64(BigInt.asIntN(size * 8, v));
}

function swapBytes(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * BPF_END: `le` converts to little endian (a truncation on a little-endian machine), `be` byte-swaps
 * the low `bits` bits, `bswap` (ALU64 class) swaps unconditionally; all zero-extend the result.
 */
export function byteSwap(kind: 'le' | 'be' | 'bswap', bits: 16 | 32 | 64, v: bigint): bigint {
  const low = v & ((1n << BigInt(bits)) - 1n);
  return kind === 'le' ? low : swapBytes(low, bits);
}

export type JmpRefName =
  | 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';

/** Whether a conditional jump is taken; JMP32 compares the low 32 bits only. */
export function jumpTaken(name: JmpRefName, wide: boolean, dst: bigint, src: bigint): boolean {
  const a = wide ? u64(dst) : u32(dst), b = wide ? u64(src) : u32(src);
  const sa = wide ? s64(a) : s32(a), sb = wide ? s64(b) : s32(b);
  switch (name) {
    case 'jeq': return a === b;
    case 'jne': return a !== b;
    case 'jset': return (a & b) !== 0n;
    case 'jgt': return a > b;
    case 'jge': return a >= b;
    case 'jlt': return a < b;
    case 'jle': return a <= b;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    case 'jsle': return sa <= sb;
  }
}

export type AtomicRefName =
  | 'add' | 'or' | 'and' | 'xor' | 'fetch_add' | 'fetch_or' | 'fetch_and' | 'fetch_xor' | 'xchg' | 'cmpxchg';

/**
 * An atomic read-modify-write on a `size`-byte memory word `mem` with operand register `src` and
 * r0 `r0`: the new memory word, the new src register, the new r0. Fetch forms and xchg return
 * the old word in src (zero-extended for 32-bit); cmpxchg compares with r0 (low 32 bits for the
 * 32-bit form), stores src on a match and always loads the old word into r0 (zero-extended).
 */
export function atomicRef(
  name: AtomicRefName, size: 4 | 8, mem: bigint, src: bigint, r0: bigint,
): { mem: bigint; src: bigint; r0: bigint } {
  const mask = size === 8 ? M64 : M32;
  const old = mem & mask, val = src & mask;
  const base = name.startsWith('fetch_') ? name.slice(6) : name;
  let next = old;
  switch (base) {
    case 'add': next = (old + val) & mask; break;
    case 'or': next = old | val; break;
    case 'and': next = old & val; break;
    case 'xor': next = old ^ val; break;
    case 'xchg': next = val; break;
    case 'cmpxchg': next = old === (r0 & mask) ? val : old; break;
  }
  const fetches = name.startsWith('fetch_') || name === 'xchg';
  return {
    mem: next,
    src: fetches ? old : u64(src),
    r0: name === 'cmpxchg' ? old : u64(r0),
  };
}
