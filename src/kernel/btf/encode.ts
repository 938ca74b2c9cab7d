/**
 * The BTF encoder: typed specs → BTF bytes (little-endian, version 1, 24-byte header, type section
 * then string section, strings deduplicated, "" at offset 0). Ids are implied by position: the
 * first spec is type 1. The encoder writes what it is given; whether the result is valid BTF is
 * for {@link btfLoad} to say, so tests can build malformed BTF too.
 */
import {
  BTF_HEADER_SIZE, BTF_KIND, BTF_MAGIC, BTF_MAX_VLEN, BTF_TYPE_SIZE, BTF_VERSION,
} from './constants.js';
import type { BtfMember, BtfTypeSpec } from './types.js';

export class BtfEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BtfEncodeError';
  }
}

class ByteWriter {
  private buf = new Uint8Array(1024);
  private dv = new DataView(this.buf.buffer);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.len, v >>> 0, true);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new BtfEncodeError(`${what} ${v} is not a u32`);
  return v;
}
function s32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new BtfEncodeError(`${what} ${v} is not an s32`);
  return v >>> 0;
}
function vlen(n: number, what: string): number {
  if (n > BTF_MAX_VLEN) throw new BtfEncodeError(`${what}: ${n} entries exceed the BTF vlen limit ${BTF_MAX_VLEN}`);
  return n;
}
function info(kind: number, v: number, kflag: boolean): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | v) >>> 0;
}

/** Encode `types` as one BTF blob. */
export function encodeBtf(types: readonly BtfTypeSpec[]): Uint8Array {
  const strs = new ByteWriter();
  const strOffs = new Map<string, number>();
  const enc = new TextEncoder();
  const str = (s: string): number => {
    let off = strOffs.get(s);
    if (off === undefined) {
      const b = enc.encode(s);
      if (b.includes(0)) throw new BtfEncodeError(`name ${JSON.stringify(s)} contains a NUL`);
      off = strs.len;
      strs.bytes(b);
      strs.bytes(new Uint8Array(1));
      strOffs.set(s, off);
    }
    return off;
  };
  str('');
  const w = new ByteWriter();
  const head = (name: string, kind: number, v: number, kflag: boolean, sizeOrType: number) => {
    w.u32(str(name));
    w.u32(info(kind, v, kflag));
    w.u32(u32(sizeOrType, 'size/type'));
  };
  const memberOffset = (m: BtfMember, kflag: boolean): number => {
    if (!kflag) return u32(m.bitsOffset, 'member offset');
    if (m.bitsOffset > 0xffffff || m.bitfieldSize > 0xff) throw new BtfEncodeError(`member ${m.name}: bitfield out of range`);
    return ((m.bitfieldSize << 24) | m.bitsOffset) >>> 0;
  };
  for (const t of types) {
    switch (t.kind) {
      case 'INT':
        if (t.encoding > 0x0f || t.bitsOffset > 0xff || t.nrBits > 0xff) throw new BtfEncodeError(`INT ${t.name}: int data out of range`);
        head(t.name, BTF_KIND.INT, 0, false, t.size);
        w.u32(((t.encoding << 24) | (t.bitsOffset << 16) | t.nrBits) >>> 0);
        break;
      case 'PTR':
        head(t.name, BTF_KIND.PTR, 0, false, t.type);
        break;
      case 'ARRAY':
        head(t.name, BTF_KIND.ARRAY, 0, false, 0);
        w.u32(u32(t.type, 'array type'));
        w.u32(u32(t.indexType, 'array index type'));
        w.u32(u32(t.nelems, 'array nelems'));
        break;
      case 'STRUCT':
      case 'UNION': {
        const kflag = t.members.some((m) => m.bitfieldSize > 0);
        head(t.name, t.kind === 'STRUCT' ? BTF_KIND.STRUCT : BTF_KIND.UNION, vlen(t.members.length, t.name), kflag, t.size);
        for (const m of t.members) {
          w.u32(str(m.name));
          w.u32(u32(m.type, 'member type'));
          w.u32(memberOffset(m, kflag));
        }
        break;
      }
      case 'ENUM':
        head(t.name, BTF_KIND.ENUM, vlen(t.values.length, t.name), t.signed, t.size);
        for (const v of t.values) {
          w.u32(str(v.name));
          w.u32(t.signed ? s32(v.value, 'enum value') : u32(v.value, 'enum value'));
        }
        break;
      case 'ENUM64':
        head(t.name, BTF_KIND.ENUM64, vlen(t.values.length, t.name), t.signed, t.size);
        for (const v of t.values) {
          const x = BigInt.asUintN(64, v.value);
          w.u32(str(v.name));
          w.u32(Number(x & 0xffffffffn));
          w.u32(Number(x >> 32n));
        }
        break;
      case 'FWD':
        head(t.name, BTF_KIND.FWD, 0, t.union, 0);
        break;
      case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
        head(t.name, BTF_KIND[t.kind], 0, t.kind === 'TYPE_TAG' && t.attr === true, t.type);
        break;
      case 'FUNC':
        head(t.name, BTF_KIND.FUNC, vlen(t.linkage, 'linkage'), false, t.type);
        break;
      case 'FUNC_PROTO':
        head(t.name, BTF_KIND.FUNC_PROTO, vlen(t.params.length, 'params'), false, t.returnType);
        for (const p of t.params) {
          w.u32(str(p.name));
          w.u32(u32(p.type, 'param type'));
        }
        break;
      case 'VAR':
        head(t.name, BTF_KIND.VAR, 0, false, t.type);
        w.u32(u32(t.linkage, 'var linkage'));
        break;
      case 'DATASEC':
        head(t.name, BTF_KIND.DATASEC, vlen(t.vars.length, t.name), false, t.size);
        for (const v of t.vars) {
          w.u32(u32(v.type, 'datasec var'));
          w.u32(u32(v.offset, 'datasec offset'));
          w.u32(u32(v.size, 'datasec size'));
        }
        break;
      case 'FLOAT':
        head(t.name, BTF_KIND.FLOAT, 0, false, t.size);
        break;
      case 'DECL_TAG':
        head(t.name, BTF_KIND.DECL_TAG, 0, t.attr, t.type);
        w.u32(s32(t.componentIdx, 'component_idx'));
        break;
    }
  }
  const typeBytes = w.result();
  const strBytes = strs.result();
  const out = new ByteWriter();
  out.u32(BTF_MAGIC | (BTF_VERSION << 16)); // magic, version, flags = 0
  out.u32(BTF_HEADER_SIZE);
  out.u32(0);
  out.u32(typeBytes.length);
  out.u32(typeBytes.length);
  out.u32(strBytes.length);
  out.bytes(typeBytes);
  out.bytes(strBytes);
  return out.result();
}

/** Size in bytes of the type record `spec` encodes to. */
export function encodedTypeSize(spec: BtfTypeSpec): number {
  switch (spec.kind) {
    case 'INT': case 'VAR': case 'DECL_TAG': return BTF_TYPE_SIZE + 4;
    case 'ARRAY': return BTF_TYPE_SIZE + 12;
    case 'STRUCT': case 'UNION': return BTF_TYPE_SIZE + 12 * spec.members.length;
    case 'DATASEC': return BTF_TYPE_SIZE + 12 * spec.vars.length;
    case 'ENUM64': return BTF_TYPE_SIZE + 12 * spec.values.length;
    case 'ENUM': return BTF_TYPE_SIZE + 8 * spec.values.length;
    case 'FUNC_PROTO': return BTF_TYPE_SIZE + 8 * spec.params.length;
    default: return BTF_TYPE_SIZE;
  }
}

/** Collects specs and hands out their ids (1, 2, ...) so types can refer to each other by variable. */
export class BtfBuilder {
  private readonly specs: BtfTypeSpec[] = [];

  /** Add a type; returns its id. */
  add(spec: BtfTypeSpec): number {
    this.specs.push(spec);
    return this.specs.length;
  }

  /** Reserve an id now and fill the spec in later (for self-referencing types). */
  reserve(): { id: number; set: (spec: BtfTypeSpec) => void } {
    const index = this.specs.length;
    this.specs.push({ kind: 'FWD', name: '__reserved', union: false });
    return { id: index + 1, set: (spec) => void (this.specs[index] = spec) };
  }

  get types(): readonly BtfTypeSpec[] {
    return this.specs;
  }

  encode(): Uint8Array {
    return encodeBtf(this.specs);
  }
}
