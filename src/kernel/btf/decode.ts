/** Decoding one raw type record into the typed model ({@link BtfType}). */
import { BTF_KIND as BTF_KIND_IMPORT } from './constants.js';
import { RawBtf, intBits, intEncoding, intOffset } from './raw.js';
import type { BtfModifierKind, BtfType } from './types.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

const utf8 = new TextDecoder('utf-8');

/** A name from the string section, decoded as UTF-8 ('' for offset 0 or a bad offset). */
export function decodeName(r: RawBtf, off: number): string {
  if (off >= r.strLen) return '';
  const start = r.strStart + off;
  const limit = r.strStart + r.strLen;
  let end = start;
  while (end < limit && r.data[end] !== 0) end++;
  return utf8.decode(r.data.subarray(start, end));
}

const MODIFIERS: Readonly<Record<number, BtfModifierKind>> = {
  [BTF_KIND.TYPEDEF]: 'TYPEDEF',
  [BTF_KIND.VOLATILE]: 'VOLATILE',
  [BTF_KIND.CONST]: 'CONST',
  [BTF_KIND.RESTRICT]: 'RESTRICT',
  [BTF_KIND.TYPE_TAG]: 'TYPE_TAG',
};

/** Decode the record at `t` (a structurally valid record: its kind data lies inside the data). */
export function decodeType(r: RawBtf, id: number, t: number): BtfType {
  const name = decodeName(r, r.nameOff(t));
  const kind = r.kind(t);
  const vlen = r.vlen(t);
  const kflag = r.kflag(t);
  const st = r.sizeOrType(t);
  const x = r.extra(t);
  switch (kind) {
    case BTF_KIND.INT: {
      const d = r.u32(x);
      return { kind: 'INT', id, name, size: st, encoding: intEncoding(d), bitsOffset: intOffset(d), nrBits: intBits(d) };
    }
    case BTF_KIND.PTR:
      return { kind: 'PTR', id, name, type: st };
    case BTF_KIND.ARRAY:
      return { kind: 'ARRAY', id, name, type: r.u32(x), indexType: r.u32(x + 4), nelems: r.u32(x + 8) };
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION: {
      const members = [];
      for (let i = 0; i < vlen; i++) {
        const at = x + i * 12;
        const off = r.u32(at + 8);
        members.push({
          name: decodeName(r, r.u32(at)),
          type: r.u32(at + 4),
          bitsOffset: kflag ? off & 0xffffff : off,
          bitfieldSize: kflag ? off >>> 24 : 0,
        });
      }
      return { kind: kind === BTF_KIND.STRUCT ? 'STRUCT' : 'UNION', id, name, size: st, members };
    }
    case BTF_KIND.ENUM: {
      const values = [];
      for (let i = 0; i < vlen; i++) {
        const at = x + i * 8;
        values.push({ name: decodeName(r, r.u32(at)), value: kflag ? r.s32(at + 4) : r.u32(at + 4) });
      }
      return { kind: 'ENUM', id, name, size: st, signed: kflag, values };
    }
    case BTF_KIND.ENUM64: {
      const values = [];
      for (let i = 0; i < vlen; i++) {
        const at = x + i * 12;
        const v = (BigInt(r.u32(at + 8)) << 32n) | BigInt(r.u32(at + 4));
        values.push({ name: decodeName(r, r.u32(at)), value: kflag ? BigInt.asIntN(64, v) : v });
      }
      return { kind: 'ENUM64', id, name, size: st, signed: kflag, values };
    }
    case BTF_KIND.FWD:
      return { kind: 'FWD', id, name, union: kflag };
    case BTF_KIND.FUNC:
      return { kind: 'FUNC', id, name, type: st, linkage: vlen };
    case BTF_KIND.FUNC_PROTO: {
      const params = [];
      for (let i = 0; i < vlen; i++) {
        const at = x + i * 8;
        params.push({ name: decodeName(r, r.u32(at)), type: r.u32(at + 4) });
      }
      return { kind: 'FUNC_PROTO', id, name, returnType: st, params };
    }
    case BTF_KIND.VAR:
      return { kind: 'VAR', id, name, type: st, linkage: r.u32(x) };
    case BTF_KIND.DATASEC: {
      const vars = [];
      for (let i = 0; i < vlen; i++) {
        const at = x + i * 12;
        vars.push({ type: r.u32(at), offset: r.u32(at + 4), size: r.u32(at + 8) });
      }
      return { kind: 'DATASEC', id, name, size: st, vars };
    }
    case BTF_KIND.FLOAT:
      return { kind: 'FLOAT', id, name, size: st };
    case BTF_KIND.DECL_TAG:
      return { kind: 'DECL_TAG', id, name, type: st, componentIdx: r.s32(x), attr: kflag };
    default: {
      const mod = MODIFIERS[kind];
      if (mod === 'TYPE_TAG') return { kind: mod, id, name, type: st, attr: kflag };
      if (mod) return { kind: mod, id, name, type: st };
      // Not reachable for checked data; structural parsing rejects unknown kinds.
      throw new RangeError(`BTF kind ${kind} has no model`);
    }
  }
}

/** Bytes of kind-specific data after the 12-byte record, or -1 for an unknown kind. */
export function kindDataSize(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND.INT: case BTF_KIND.VAR: case BTF_KIND.DECL_TAG: return 4;
    case BTF_KIND.ARRAY: return 12;
    case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.DATASEC: case BTF_KIND.ENUM64: return vlen * 12;
    case BTF_KIND.ENUM: case BTF_KIND.FUNC_PROTO: return vlen * 8;
    case BTF_KIND.PTR: case BTF_KIND.FWD: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE:
    case BTF_KIND.CONST: case BTF_KIND.RESTRICT: case BTF_KIND.FUNC: case BTF_KIND.FLOAT:
    case BTF_KIND.TYPE_TAG:
      return 0;
    default:
      return -1;
  }
}
