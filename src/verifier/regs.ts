/**
 * Abstract register values: Linux's `struct bpf_reg_state`, flattened into one immutable record
 * whose `type` is the discriminant (Linux's `enum bpf_reg_type` base type, spelled as the verifier
 * log spells it: "scalar", "ctx", "map_value", "fp", ...) and whose `flags` carry the type modifiers
 * (PTR_MAYBE_NULL, MEM_RDONLY, MEM_RINGBUF).
 *
 * Every register, pointer or scalar, carries a variable part (`varOff` tnum plus signed/unsigned
 * 64- and 32-bit bounds) as in Linux: for a scalar it is the value, for a pointer the variable
 * offset added to the fixed offset `off`.
 *
 * Records are never mutated once published in a state: a transfer function copies
 * ({@link mutable}), edits the copy and stores it. States can therefore share registers, and cloning
 * a state copies arrays of references only.
 */
import type { MapDescriptor } from './env.js';
import { TNUM_UNKNOWN, TNUM_ZERO, U32, U64, tnumConst, type Tnum } from './tnum.js';

export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'map_ptr'
  | 'map_value'
  | 'map_key'
  | 'fp'
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'mem'
  | 'func';

/** Type modifiers (Linux enum bpf_type_flag), the subset bpfsim models. */
export const PTR_MAYBE_NULL = 1;
export const MEM_RDONLY = 2;
export const MEM_RINGBUF = 4;

export interface Reg {
  readonly type: RegType;
  readonly flags: number;
  /** Fixed offset of a pointer; for a scalar linked by `rX += K` (BPF_ADD_CONST), the delta K. */
  readonly off: number;
  readonly varOff: Tnum;
  readonly smin: bigint;
  readonly smax: bigint;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly s32min: number;
  readonly s32max: number;
  readonly u32min: number;
  readonly u32max: number;
  /** Linked scalars / maybe-null pointers share an id; BPF_ADD_CONST is or-ed in for `rX += K` links. */
  readonly id: number;
  readonly refObjId: number;
  readonly map: MapDescriptor | null;
  /** pkt/pkt_meta: bytes known accessible from the packet pointer's base; AT_PKT_END / BEYOND_PKT_END. */
  readonly range: number;
  /** mem: size of the memory region. */
  readonly memSize: number;
  /** fp: the frame the stack pointer points into. */
  readonly frameno: number;
  /** func: the subprogram a PTR_TO_FUNC designates. */
  readonly subprogno: number;
  readonly precise: boolean;
}

export type MutReg = { -readonly [K in keyof Reg]: Reg[K] };

/** Linux BPF_ADD_CONST: the id flag of a scalar linked with an added constant. */
export const BPF_ADD_CONST = 0x80000000;
export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -0x80000000;
export const S32_MAX = 0x7fffffff;
export const U32_MAX = 0xffffffff;

const BASE: Reg = {
  type: 'not_init', flags: 0, off: 0, varOff: TNUM_UNKNOWN,
  smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64,
  s32min: S32_MIN, s32max: S32_MAX, u32min: 0, u32max: U32_MAX,
  id: 0, refObjId: 0, map: null, range: 0, memSize: 0, frameno: 0, subprogno: 0, precise: false,
};

export const NOT_INIT: Reg = BASE;

/** A copy to edit (fields in one fixed order, so every register object shares one shape). */
export function mutable(r: Reg): MutReg {
  return {
    type: r.type, flags: r.flags, off: r.off, varOff: r.varOff, smin: r.smin, smax: r.smax, umin: r.umin,
    umax: r.umax, s32min: r.s32min, s32max: r.s32max, u32min: r.u32min, u32max: r.u32max, id: r.id,
    refObjId: r.refObjId, map: r.map, range: r.range, memSize: r.memSize, frameno: r.frameno,
    subprogno: r.subprogno, precise: r.precise,
  };
}

/** A copy of `r` with some fields replaced. */
export function withFields(r: Reg, fields: Partial<Reg>): Reg {
  return Object.assign(mutable(r), fields);
}

/** A copy of `r` with `precise` set as given (precision marking runs on every walk step). */
export function withPrecise(r: Reg, precise: boolean): Reg {
  const m = mutable(r);
  m.precise = precise;
  return m;
}

/** A copy of `r` with its scalar link (id, off) replaced (every register move may give one). */
export function withLink(r: Reg, id: number, off: number): Reg {
  const m = mutable(r);
  m.id = id;
  m.off = off;
  return m;
}

/** An unknown scalar (__mark_reg_unknown; precise for unprivileged loaders as in Linux). */
export const UNKNOWN_SCALAR: Reg = withFields(BASE, { type: 'scalar' });
export const UNKNOWN_SCALAR_PRECISE: Reg = withFields(UNKNOWN_SCALAR, { precise: true });

export function unknownScalar(precise = false): Reg {
  return precise ? UNKNOWN_SCALAR_PRECISE : UNKNOWN_SCALAR;
}

/** Set every bound of `r` to the known 64-bit value `v` (___mark_reg_known). */
export function setKnown(r: MutReg, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  r.varOff = tnumConst(u);
  r.smin = r.smax = BigInt.asIntN(64, u);
  r.umin = r.umax = u;
  const lo = u <= U32 ? Number(u) : Number(u & U32);
  r.u32min = r.u32max = lo;
  r.s32min = r.s32max = lo | 0;
}

/** Small known scalars, by value (an array index: no bigint hashing). */
const KNOWN_CACHE: Reg[] = [];

/** A scalar with a known value. */
export function knownScalar(v: bigint): Reg {
  const u = BigInt.asUintN(64, v);
  const small = u < 4096n;
  if (small) {
    const cached = KNOWN_CACHE[Number(u)];
    if (cached !== undefined) return cached;
  }
  const r = mutable(UNKNOWN_SCALAR);
  setKnown(r, u);
  if (small) KNOWN_CACHE[Number(u)] = r;
  return r;
}

const IMM_CACHE: Reg[] = [];

/**
 * knownScalar of a 32-bit immediate (sign-extended to 64 bits as the ALU64 and JMP operands are):
 * the small ones come from a cache indexed by number, without converting to bigint first.
 */
export function knownScalarImm(imm: number): Reg {
  if (imm >= 0 && imm < 4096) {
    let r = IMM_CACHE[imm];
    if (r === undefined) IMM_CACHE[imm] = r = knownScalar(BigInt(imm));
    return r;
  }
  return knownScalar(BigInt(imm));
}

/** A pointer of `type` with zero offsets (mark_reg_known_zero + type). */
export function pointer(type: RegType, fields: Partial<Reg> = {}): Reg {
  const r = mutable(UNKNOWN_SCALAR);
  setKnown(r, 0n);
  r.type = type;
  return Object.assign(r, fields);
}

/** Same tnum and bounds: the value part of a register, all the abstract domain reads. */
export function sameValue(a: Reg, b: Reg): boolean {
  if (a === b) return true;
  const s = a.varOff, t = b.varOff;
  return a.s32min === b.s32min && a.s32max === b.s32max && a.u32min === b.u32min && a.u32max === b.u32max &&
    (s === t || (s.value === t.value && s.mask === t.mask)) &&
    a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax;
}

export function isScalar(r: Reg): boolean {
  return r.type === 'scalar';
}

export function isPointer(r: Reg): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

/** A scalar known to be zero (register_is_null). */
export function isNull(r: Reg): boolean {
  return r.type === 'scalar' && r.varOff.mask === 0n && r.varOff.value === 0n;
}

export function isConst(r: Reg): boolean {
  return r.type === 'scalar' && r.varOff.mask === 0n;
}

export function isPktPointer(r: Reg): boolean {
  return r.type === 'pkt' || r.type === 'pkt_meta';
}

export function mayBeNull(r: Reg): boolean {
  return (r.flags & PTR_MAYBE_NULL) !== 0;
}

/** reg_type_str: the type as the log prints it, with modifier prefixes and the "_or_null" suffix. */
export function regTypeStr(type: RegType, flags: number): string {
  if (type === 'not_init') return '?';
  const prefix = ((flags & MEM_RDONLY) !== 0 ? 'rdonly_' : '') + ((flags & MEM_RINGBUF) !== 0 ? 'ringbuf_' : '');
  return prefix + type + ((flags & PTR_MAYBE_NULL) !== 0 ? '_or_null' : '');
}

export function regStr(r: Reg): string {
  return regTypeStr(r.type, r.flags);
}

/** get_reg_width: the number of significant bits of the unsigned maximum. */
export function regWidth(r: Reg): number {
  return r.umax === 0n ? 0 : r.umax.toString(2).length;
}

export { TNUM_ZERO };
