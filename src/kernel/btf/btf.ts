/**
 * A BTF object: the raw bytes plus a lazily decoded, name-indexed typed view. It is built either by
 * the kernel's BPF_BTF_LOAD checks ({@link btfLoad}, fully verified, with resolved sizes) or by a
 * structural parse ({@link Btf.parse}: bounds, kinds, string and type ids checked, as libbpf does)
 * for BTF that the kernel would not see as is (an object file's .BTF) or trusts (vmlinux).
 */
import { ERRNO } from '../../errno.js';
import {
  BTF_HEADER_SIZE, BTF_KIND as BTF_KIND_IMPORT, BTF_MAGIC, BTF_MAX_NAME_OFFSET, BTF_MAX_TYPE, BTF_TYPE_SIZE,
  BTF_VERSION, MAX_RESOLVE_DEPTH, type BtfKindName,
} from './constants.js';
import { decodeName, decodeType, kindDataSize } from './decode.js';
import { readHeader } from './header.js';
import { RawBtf, VOID, isModifier, type BtfHeader } from './raw.js';
import { PTR_SIZE, typeIdSize, type Resolved } from './type-size.js';
import type { BtfMember, BtfParam, BtfType } from './types.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

/** Malformed BTF found by the structural parse. */
export class BtfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BtfError';
  }
}

/** A name as the kernel compares it: its bytes, one char per byte. */
function binaryName(name: string | Uint8Array): string {
  return typeof name === 'string' ? Buffer.from(name, 'utf8').toString('latin1') : Buffer.from(name).toString('latin1');
}

export interface FuncProto {
  /** The FUNC_PROTO's id. */
  id: number;
  returnType: number;
  params: BtfParam[];
  /** The last parameter is the vararg marker. */
  variadic: boolean;
}

export class Btf {
  readonly raw: RawBtf;
  readonly header: BtfHeader;
  private readonly cache: Array<BtfType | undefined> = [];
  private nameIndex: Map<string, number> | null = null;
  private readonly resolved: Resolved | null;

  constructor(raw: RawBtf, header: BtfHeader, resolved: Resolved | null = null) {
    this.raw = raw;
    this.header = header;
    this.resolved = resolved;
  }

  /**
   * Structural parse: header (magic, version, hdr_len >= 24, sections inside the data and in
   * order), string section (NUL first and last), every type record complete with a known kind,
   * and every name offset and referenced type id in range. Throws {@link BtfError}.
   */
  static parse(bytes: Uint8Array): Btf {
    const data = bytes;
    if (data.length < BTF_HEADER_SIZE) throw new BtfError(`BTF too short for a header (${data.length} bytes)`);
    const hdrLen = (data[4] | (data[5] << 8) | (data[6] << 16) | (data[7] << 24)) >>> 0;
    const hdr = readHeader(data, Math.min(hdrLen, BTF_HEADER_SIZE));
    if (hdr.magic !== BTF_MAGIC) throw new BtfError(`bad BTF magic 0x${hdr.magic.toString(16)}`);
    if (hdr.version !== BTF_VERSION) throw new BtfError(`unsupported BTF version ${hdr.version}`);
    if (hdrLen < BTF_HEADER_SIZE || hdrLen > data.length) throw new BtfError(`bad BTF hdr_len ${hdrLen}`);
    const body = data.length - hdrLen;
    if (hdr.typeOff % 4 !== 0) throw new BtfError('BTF type section not 4-byte aligned');
    if (hdr.typeOff > body || hdr.typeLen > body - hdr.typeOff) throw new BtfError('BTF type section out of bounds');
    if (hdr.strOff > body || hdr.strLen > body - hdr.strOff) throw new BtfError('BTF string section out of bounds');
    if (hdr.typeOff + hdr.typeLen > hdr.strOff) throw new BtfError('BTF type section overlaps the string section');
    const strStart = hdrLen + hdr.strOff;
    if (hdr.strLen === 0 || hdr.strLen - 1 > BTF_MAX_NAME_OFFSET || data[strStart] !== 0 ||
      data[strStart + hdr.strLen - 1] !== 0) {
      throw new BtfError('bad BTF string section');
    }
    const full: BtfHeader = { ...hdr, hdrLen };
    const raw = new RawBtf(data, full);
    const end = raw.typesStart + hdr.typeLen;
    let cur = raw.typesStart;
    while (cur < end) {
      if (end - cur < BTF_TYPE_SIZE) throw new BtfError(`truncated BTF type record at ${cur}`);
      const extra = kindDataSize(raw.kind(cur), raw.vlen(cur));
      if (extra < 0) throw new BtfError(`unknown BTF kind ${raw.kind(cur)} at type ${raw.nrTypes}`);
      if (end - cur - BTF_TYPE_SIZE < extra) throw new BtfError(`truncated BTF type ${raw.nrTypes}`);
      if (raw.nrTypes >= BTF_MAX_TYPE) throw new BtfError('too many BTF types');
      raw.typeOffs.push(cur);
      cur += BTF_TYPE_SIZE + extra;
    }
    const btf = new Btf(raw, full);
    btf.checkReferences();
    return btf;
  }

  /** Every name offset inside the string section and every type reference to an existing id. */
  private checkReferences(): void {
    const r = this.raw;
    const n = r.nrTypes;
    const name = (id: number, off: number) => {
      if (off >= r.strLen) throw new BtfError(`type ${id}: name offset ${off} out of range`);
    };
    const ref = (id: number, to: number) => {
      if (to >= n) throw new BtfError(`type ${id}: reference to missing type ${to}`);
    };
    for (let id = 1; id < n; id++) {
      const t = r.typeOffs[id];
      const x = r.extra(t);
      const vlen = r.vlen(t);
      name(id, r.nameOff(t));
      switch (r.kind(t)) {
        case BTF_KIND.PTR: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST:
        case BTF_KIND.RESTRICT: case BTF_KIND.TYPE_TAG: case BTF_KIND.FUNC: case BTF_KIND.VAR:
        case BTF_KIND.DECL_TAG:
          ref(id, r.sizeOrType(t));
          break;
        case BTF_KIND.ARRAY:
          ref(id, r.u32(x));
          ref(id, r.u32(x + 4));
          break;
        case BTF_KIND.STRUCT: case BTF_KIND.UNION:
          for (let i = 0; i < vlen; i++) {
            name(id, r.u32(x + i * 12));
            ref(id, r.u32(x + i * 12 + 4));
          }
          break;
        case BTF_KIND.ENUM:
          for (let i = 0; i < vlen; i++) name(id, r.u32(x + i * 8));
          break;
        case BTF_KIND.ENUM64:
          for (let i = 0; i < vlen; i++) name(id, r.u32(x + i * 12));
          break;
        case BTF_KIND.FUNC_PROTO:
          ref(id, r.sizeOrType(t));
          for (let i = 0; i < vlen; i++) {
            name(id, r.u32(x + i * 8));
            ref(id, r.u32(x + i * 8 + 4));
          }
          break;
        case BTF_KIND.DATASEC:
          for (let i = 0; i < vlen; i++) ref(id, r.u32(x + i * 12));
          break;
        default:
          break;
      }
    }
  }

  /** Number of type ids, VOID (id 0) included. */
  get nrTypes(): number {
    return this.raw.nrTypes;
  }

  /** The BTF bytes. */
  get bytes(): Uint8Array {
    return this.raw.data;
  }

  /** The typed view of type `id` (undefined for VOID and ids past the last type). */
  type(id: number): BtfType | undefined {
    if (!Number.isInteger(id) || id <= 0 || id >= this.raw.nrTypes) return undefined;
    let t = this.cache[id];
    if (!t) {
      t = decodeType(this.raw, id, this.raw.typeOffs[id]);
      this.cache[id] = t;
    }
    return t;
  }

  /** BTF_KIND_* number of `id` (0 for VOID, -1 past the last type). */
  kindOf(id: number): number {
    const t = this.raw.byId(id);
    return t === null ? -1 : this.raw.kind(t);
  }

  /** The type's name ('' for VOID, anonymous types and unknown ids). */
  nameOf(id: number): string {
    const t = this.raw.byId(id);
    return t === null || t === VOID ? '' : decodeName(this.raw, this.raw.nameOff(t));
  }

  *types(): IterableIterator<BtfType> {
    for (let id = 1; id < this.raw.nrTypes; id++) yield this.type(id) as BtfType;
  }

  /**
   * btf_find_by_name_kind(): the smallest id whose kind is `kind` and whose name equals `name`
   * byte for byte, or -ENOENT. Like Linux, searching for '' finds the first anonymous type of that
   * kind, and VOID (id 0) is never found. The first call builds a (kind, name) index.
   */
  findByNameKind(name: string | Uint8Array, kind: BtfKindName | number): number {
    const k = typeof kind === 'number' ? kind : BTF_KIND[kind];
    if (!this.nameIndex) this.nameIndex = this.buildNameIndex();
    return this.nameIndex.get(String.fromCharCode(k & 0xffff) + binaryName(name)) ?? -ERRNO.ENOENT;
  }

  private buildNameIndex(): Map<string, number> {
    const r = this.raw;
    const idx = new Map<string, number>();
    const strs = Buffer.from(r.data.buffer, r.data.byteOffset + r.strStart, r.strLen);
    const byOff = new Map<number, string>();
    for (let id = 1; id < r.nrTypes; id++) {
      const t = r.typeOffs[id];
      const off = r.nameOff(t);
      let s = byOff.get(off);
      if (s === undefined) {
        const end = off < r.strLen ? strs.indexOf(0, off) : off;
        s = off < r.strLen ? strs.toString('latin1', off, end < 0 ? r.strLen : end) : '';
        byOff.set(off, s);
      }
      const key = String.fromCharCode(r.kind(t)) + s;
      if (!idx.has(key)) idx.set(key, id);
    }
    return idx;
  }

  /** btf_type_skip_modifiers(): follow TYPEDEF/VOLATILE/CONST/RESTRICT/TYPE_TAG (bounded). */
  skipModifiers(id: number): number {
    let cur = id;
    for (let i = 0; i <= MAX_RESOLVE_DEPTH; i++) {
      const t = this.raw.byId(cur);
      if (t === null || !isModifier(this.raw, t)) return cur;
      cur = this.raw.sizeOrType(t);
    }
    return cur;
  }

  /**
   * btf_resolve_size(): the size in bytes of an object of type `id`, following modifiers and
   * multiplying out arrays; null (the kernel's -EINVAL) for types without a size, overflow, or more
   * than 32 steps.
   */
  resolveSize(id: number): number | null {
    const r = this.raw;
    let nelems = 1;
    let cur = id;
    for (let i = 0; i < MAX_RESOLVE_DEPTH; i++) {
      const t = r.byId(cur);
      if (t === null) return null;
      switch (r.kind(t)) {
        case BTF_KIND.INT: case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM:
        case BTF_KIND.FLOAT: case BTF_KIND.ENUM64: {
          const size = r.sizeOrType(t);
          if (nelems && size > Math.floor(0xffffffff / nelems)) return null;
          return nelems * size;
        }
        case BTF_KIND.PTR:
          if (nelems && PTR_SIZE > Math.floor(0xffffffff / nelems)) return null;
          return nelems * PTR_SIZE;
        case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST: case BTF_KIND.RESTRICT:
        case BTF_KIND.TYPE_TAG:
          cur = r.sizeOrType(t);
          break;
        case BTF_KIND.ARRAY: {
          const n = r.u32(r.extra(t) + 8);
          if (nelems && n > Math.floor(0xffffffff / nelems)) return null;
          nelems *= n;
          cur = r.u32(r.extra(t));
          break;
        }
        default:
          return null;
      }
    }
    return null;
  }

  /**
   * btf_type_id_size() on a kernel-verified BTF (resolved ids and sizes recorded); on a
   * structurally parsed one, the same answer computed with {@link resolveSize}.
   */
  typeIdSize(id: number): { id: number; size: number } | null {
    if (this.resolved) {
      const s = typeIdSize(this.raw, this.resolved, id);
      return s && { id: s.id, size: s.size };
    }
    let cur = this.skipModifiers(id);
    const t = this.raw.byId(cur);
    if (t !== null && this.raw.kind(t) === BTF_KIND.VAR) cur = this.skipModifiers(this.raw.sizeOrType(t));
    const k = this.kindOf(cur);
    if (k <= 0 || k === BTF_KIND.FWD || k === BTF_KIND.FUNC || k === BTF_KIND.FUNC_PROTO || k === BTF_KIND.DECL_TAG) return null;
    const size = k === BTF_KIND.DATASEC ? this.raw.sizeOrType(this.raw.byId(cur) as number) : this.resolveSize(cur);
    return size === null ? null : { id: cur, size };
  }

  /** The named member of a STRUCT/UNION (after skipping modifiers), or undefined. */
  member(structId: number, name: string): BtfMember | undefined {
    const t = this.type(this.skipModifiers(structId));
    if (!t || (t.kind !== 'STRUCT' && t.kind !== 'UNION')) return undefined;
    return t.members.find((m) => m.name === name);
  }

  /** The prototype of a FUNC (or a FUNC_PROTO itself), or undefined. */
  funcProto(id: number): FuncProto | undefined {
    let t = this.type(id);
    if (t?.kind === 'FUNC') t = this.type(t.type);
    if (!t || t.kind !== 'FUNC_PROTO') return undefined;
    const last = t.params[t.params.length - 1];
    const variadic = last !== undefined && last.type === 0;
    return { id: t.id, returnType: t.returnType, params: variadic ? t.params.slice(0, -1) : t.params, variadic };
  }
}
