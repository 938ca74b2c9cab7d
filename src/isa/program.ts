/**
 * Programs as parallel typed arrays (decoded once, read by the interpreter and the verifier) and
 * as lists of {@link Instruction} values (built by the assembler and the builders, printed by the
 * disassembler). Both convert to and from the raw 8-byte little-endian slots.
 */
import { BPF_INSN_SIZE } from './constants.js';
import { Op, OP_TABLE, opOf } from './ops.js';

/** A program decoded into one typed array per field; index = slot number. */
export interface Program {
  /** Number of 8-byte slots (an ld_imm64 takes two). */
  readonly length: number;
  /** Widened operation per slot; the second slot of an ld_imm64 is Op.LDDW_HI. */
  readonly op: Uint8Array;
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
}

/** One instruction; an ld_imm64 is one Instruction carrying `imm64` and encodes to two slots. */
export interface Instruction {
  readonly op: Op;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
  /** Only for Op.LDDW: the full 64-bit immediate (low half also in `imm`). */
  readonly imm64?: bigint;
}

/** A program with the wrong byte length: not a whole number of slots. */
export class ProgramLengthError extends Error {
  constructor(readonly byteLength: number) {
    super(`program length ${byteLength} is not a multiple of ${BPF_INSN_SIZE} bytes`);
    this.name = 'ProgramLengthError';
  }
}

/**
 * Decode raw slots. Never throws for any content (unknown opcodes decode as Op.INVALID, which
 * validate() reports and the interpreter faults on); only a length that is not a multiple of 8 is
 * refused.
 */
export function decode(bytes: Uint8Array): Program {
  if (bytes.length % BPF_INSN_SIZE !== 0) throw new ProgramLengthError(bytes.length);
  const n = bytes.length / BPF_INSN_SIZE;
  const p = allocate(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const b = i * BPF_INSN_SIZE;
    p.code[i] = bytes[b];
    p.dst[i] = bytes[b + 1] & 0x0f;
    p.src[i] = bytes[b + 1] >> 4;
    p.off[i] = dv.getInt16(b + 2, true);
    p.imm[i] = dv.getInt32(b + 4, true);
  }
  assignOps(p);
  return p;
}

/** Fill `op` from the raw fields; marks the slot after each ld_imm64 as its high half. */
function assignOps(p: Program): void {
  for (let i = 0; i < p.length; i++) {
    const op = opOf(p.code[i], p.src[i], p.off[i], p.imm[i]);
    p.op[i] = op;
    if (op === Op.LDDW && i + 1 < p.length) p.op[++i] = Op.LDDW_HI;
  }
}

function allocate(n: number): Program {
  return {
    length: n, op: new Uint8Array(n), code: new Uint8Array(n), dst: new Uint8Array(n),
    src: new Uint8Array(n), off: new Int16Array(n), imm: new Int32Array(n),
  };
}

/** Encode back to raw slots (the inverse of decode for every byte string). */
export function encode(p: Program): Uint8Array {
  const out = new Uint8Array(p.length * BPF_INSN_SIZE);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < p.length; i++) {
    const b = i * BPF_INSN_SIZE;
    out[b] = p.code[i];
    out[b + 1] = (p.dst[i] & 0x0f) | ((p.src[i] & 0x0f) << 4);
    dv.setInt16(b + 2, p.off[i], true);
    dv.setInt32(b + 4, p.imm[i], true);
  }
  return out;
}

/** Raw fields of the slot(s) an Instruction encodes to. */
function slotsOf(ins: Instruction): Array<[code: number, dst: number, src: number, off: number, imm: number]> {
  const info = OP_TABLE[ins.op];
  let { dst, src, off, imm } = ins;
  const v = info.variant;
  if (v !== null) {
    if (v.field === 'off') off = v.value;
    else if (v.field === 'imm') imm = v.value;
    else src = v.value;
  }
  if (ins.op === Op.LDDW) {
    const v64 = BigInt.asUintN(64, ins.imm64 ?? BigInt(imm));
    return [
      [info.code, dst, src, off, Number(BigInt.asIntN(32, v64))],
      [0, 0, 0, 0, Number(BigInt.asIntN(32, v64 >> 32n))],
    ];
  }
  return [[info.code, dst, src, off, imm]];
}

/** Build a Program from instructions (e.g. the assembler's or the builders' output). */
export function fromInstructions(list: readonly Instruction[]): Program {
  const slots = list.flatMap(slotsOf);
  const p = allocate(slots.length);
  slots.forEach(([code, dst, src, off, imm], i) => {
    p.code[i] = code; p.dst[i] = dst; p.src[i] = src; p.off[i] = off; p.imm[i] = imm;
  });
  assignOps(p);
  return p;
}

/** Instructions of a decoded program, each with the slot index it starts at. */
export function toInstructions(p: Program): Array<Instruction & { readonly slot: number }> {
  const out: Array<Instruction & { slot: number }> = [];
  for (let i = 0; i < p.length; i++) {
    const op = p.op[i] as Op;
    const base = { op, dst: p.dst[i], src: p.src[i], off: p.off[i], imm: p.imm[i], slot: i };
    if (op === Op.LDDW && i + 1 < p.length) {
      const imm64 = (BigInt(p.imm[i + 1] >>> 0) << 32n) | BigInt(p.imm[i] >>> 0);
      out.push({ ...base, imm64 });
      i++;
    } else {
      out.push(base);
    }
  }
  return out;
}

/** Encode a list of instructions straight to bytes. */
export function assembleInstructions(list: readonly Instruction[]): Uint8Array {
  return encode(fromInstructions(list));
}

/** The 64-bit immediate of the ld_imm64 at slot i, as an unsigned bigint (cold paths only). */
export function lddwValue(p: Program, i: number): bigint {
  const hi = i + 1 < p.length ? p.imm[i + 1] >>> 0 : 0;
  return (BigInt(hi) << 32n) | BigInt(p.imm[i] >>> 0);
}

/** A copy whose arrays can be patched (the kernel rewrites pseudo ld_imm64 immediates). */
export function cloneProgram(p: Program): Program {
  return {
    length: p.length, op: p.op.slice(), code: p.code.slice(), dst: p.dst.slice(), src: p.src.slice(),
    off: p.off.slice(), imm: p.imm.slice(),
  };
}
