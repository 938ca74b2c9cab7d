/**
 * Raw access to BTF bytes: the header fields, the string section and the struct btf_type records,
 * read in place (little-endian, as on x86-64) the way kernel/bpf/btf.c reads them through
 * `struct btf_type *`. A type is named by the absolute byte offset of its record; the VOID type
 * (id 0, which has no record) is {@link VOID}.
 */
import { BTF_KIND as BTF_KIND_IMPORT, BTF_TYPE_SIZE } from './constants.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

/** The offset standing for `&btf_void`. */
export const VOID = -1;

/** struct btf_header (version 1). Fields beyond hdr_len read as 0, as in the kernel's zeroed copy. */
export interface BtfHeader {
  magic: number;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

export class RawBtf {
  readonly data: Uint8Array;
  readonly dv: DataView;
  /** Absolute offset of the first type record and of the string section. */
  readonly typesStart: number;
  readonly strStart: number;
  readonly strLen: number;
  /** typeOffs[id] = absolute record offset; typeOffs[0] = VOID. Grows while the types are checked. */
  readonly typeOffs: number[];

  constructor(data: Uint8Array, hdr: BtfHeader, typeOffs: number[] = [VOID]) {
    this.data = data;
    this.dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.typesStart = hdr.hdrLen + hdr.typeOff;
    this.strStart = hdr.hdrLen + hdr.strOff;
    this.strLen = hdr.strLen;
    this.typeOffs = typeOffs;
  }

  get nrTypes(): number {
    return this.typeOffs.length;
  }

  u32(off: number): number {
    return this.dv.getUint32(off, true);
  }
  s32(off: number): number {
    return this.dv.getInt32(off, true);
  }

  /** btf_type_by_id(): the record offset, VOID for id 0, null past the last type. */
  byId(id: number): number | null {
    return id >= 0 && id < this.typeOffs.length ? this.typeOffs[id] : null;
  }

  info(t: number): number {
    return t === VOID ? 0 : this.dv.getUint32(t + 4, true);
  }
  kind(t: number): number {
    return t === VOID ? BTF_KIND.UNKN : (this.dv.getUint32(t + 4, true) >>> 24) & 0x1f;
  }
  vlen(t: number): number {
    return t === VOID ? 0 : this.dv.getUint32(t + 4, true) & 0xffff;
  }
  kflag(t: number): boolean {
    return t !== VOID && this.dv.getUint32(t + 4, true) >>> 31 === 1;
  }
  nameOff(t: number): number {
    return t === VOID ? 0 : this.dv.getUint32(t, true);
  }
  /** The size/type union of struct btf_type. */
  sizeOrType(t: number): number {
    return t === VOID ? 0 : this.dv.getUint32(t + 8, true);
  }
  /** Start of the kind-specific data that follows the record (`t + 1` in C). */
  extra(t: number): number {
    return t + BTF_TYPE_SIZE;
  }

  /** btf_str_by_offset(): the NUL-terminated string at `off` as a binary string, or null. */
  str(off: number): string | null {
    if (off >= this.strLen) return null;
    const start = this.strStart + off;
    const limit = this.strStart + this.strLen;
    let end = start;
    while (end < limit && this.data[end] !== 0) end++;
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(this.data[i]);
    return s;
  }

  /** The byte at string offset `off + i` (0 past the section). */
  strByte(off: number, i: number): number {
    const p = off + i;
    return p < this.strLen ? this.data[this.strStart + p] : 0;
  }
}

/* Kind predicates on a record offset (include/linux/btf.h and kernel/bpf/btf.c). */

export function isModifier(r: RawBtf, t: number): boolean {
  const k = r.kind(t);
  return k === BTF_KIND.TYPEDEF || k === BTF_KIND.VOLATILE || k === BTF_KIND.CONST ||
    k === BTF_KIND.RESTRICT || k === BTF_KIND.TYPE_TAG;
}
export function isStruct(r: RawBtf, t: number): boolean {
  const k = r.kind(t);
  return k === BTF_KIND.STRUCT || k === BTF_KIND.UNION;
}
export function isKind(r: RawBtf, t: number, kind: number): boolean {
  return r.kind(t) === kind;
}
export function isAnyEnum(r: RawBtf, t: number): boolean {
  const k = r.kind(t);
  return k === BTF_KIND.ENUM || k === BTF_KIND.ENUM64;
}
/** btf_type_nosize(): void, FWD, FUNC, FUNC_PROTO and DECL_TAG have no size. */
export function isNosize(r: RawBtf, t: number): boolean {
  if (t === VOID) return true;
  const k = r.kind(t);
  return k === BTF_KIND.FWD || k === BTF_KIND.FUNC || k === BTF_KIND.FUNC_PROTO || k === BTF_KIND.DECL_TAG;
}
export function isNosizeOrNull(r: RawBtf, t: number | null): boolean {
  return t === null || isNosize(r, t);
}
/** btf_type_is_resolve_source_only(): VAR, DECL_TAG and DATASEC may only start a resolution. */
export function isResolveSourceOnly(r: RawBtf, t: number): boolean {
  const k = r.kind(t);
  return k === BTF_KIND.VAR || k === BTF_KIND.DECL_TAG || k === BTF_KIND.DATASEC;
}
/** btf_type_needs_resolve(). */
export function needsResolve(r: RawBtf, t: number): boolean {
  const k = r.kind(t);
  return isModifier(r, t) || k === BTF_KIND.PTR || k === BTF_KIND.STRUCT || k === BTF_KIND.UNION ||
    k === BTF_KIND.ARRAY || k === BTF_KIND.VAR || k === BTF_KIND.FUNC || k === BTF_KIND.DECL_TAG ||
    k === BTF_KIND.DATASEC;
}
/** btf_type_has_size(): t->size is meaningful. */
export function hasSize(r: RawBtf, t: number): boolean {
  switch (r.kind(t)) {
    case BTF_KIND.INT: case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM:
    case BTF_KIND.DATASEC: case BTF_KIND.FLOAT: case BTF_KIND.ENUM64:
      return true;
    default:
      return false;
  }
}
/** btf_type_is_decl_tag_target(). */
export function isDeclTagTarget(r: RawBtf, t: number): boolean {
  const k = r.kind(t);
  return k === BTF_KIND.FUNC || k === BTF_KIND.STRUCT || k === BTF_KIND.UNION || k === BTF_KIND.VAR ||
    k === BTF_KIND.TYPEDEF;
}

/* INT data: BTF_INT_ENCODING / BTF_INT_OFFSET / BTF_INT_BITS. */
export const intEncoding = (d: number): number => (d >>> 24) & 0x0f;
export const intOffset = (d: number): number => (d >>> 16) & 0xff;
export const intBits = (d: number): number => d & 0xff;

export function isPowerOf2(n: number): boolean {
  return n !== 0 && (n & (n - 1)) === 0;
}
export const bitsRoundupBytes = (bits: number): number => Math.floor(bits / 8) + (bits % 8 ? 1 : 0);

/** __btf_type_int_is_regular(t, 0): not a bitfield, a power-of-2 byte count up to 16. */
export function intIsRegular(r: RawBtf, t: number): boolean {
  const d = r.u32(r.extra(t));
  const nrBits = intBits(d);
  const nrBytes = bitsRoundupBytes(nrBits);
  return nrBits % 8 === 0 && intOffset(d) === 0 && nrBytes <= 16 && isPowerOf2(nrBytes);
}
