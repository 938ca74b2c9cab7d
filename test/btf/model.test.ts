/**
 * The typed BTF model: decoding (checked against bpftool's dump of the same BTF), lookup with
 * btf_find_by_name_kind semantics, sizes, members, prototypes, and encode/decode round trips.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/errno.js';
import { BTF_KIND, Btf, BtfError, btfLoad, encodeBtf, type BtfType, type BtfTypeSpec } from '../../src/kernel/btf/index.js';
import { btfSpecs } from './arbitraries.js';
import { FIXTURE_NAMES, objectBtfSection, submittedBtf } from './fixtures.js';

const loadOk = (data: Uint8Array): Btf => {
  const r = btfLoad({ data, btfSize: data.length, logLevel: 0, logSize: 0, logBuf: 'absent' });
  if (!r.ok) throw new Error(`BTF rejected (${r.errno})`);
  return r.btf;
};

/** bpftool's plain `btf dump` format, rendered from the model (tools/bpf/bpftool/btf.c). */
function bpftoolLines(btf: Btf, t: BtfType): string[] {
  const q = (s: string) => `'${s || '(anon)'}'`;
  const head = `[${t.id}] ${t.kind} ${q(t.name)}`;
  const enc = (e: number) => (e === 1 ? 'SIGNED' : e === 2 ? 'CHAR' : e === 4 ? 'BOOL' : '(none)');
  const linkage = (l: number) => ['static', 'global', 'extern'][l] ?? `(unknown)`;
  switch (t.kind) {
    case 'INT': return [`${head} size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.nrBits} encoding=${enc(t.encoding)}`];
    case 'PTR': case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG': return [`${head} type_id=${t.type}`];
    case 'ARRAY': return [`${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`];
    case 'STRUCT': case 'UNION':
      return [`${head} size=${t.size} vlen=${t.members.length}`, ...t.members.map((m) =>
        `\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitsOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`)];
    case 'FWD': return [`${head} fwd_kind=${t.union ? 'union' : 'struct'}`];
    case 'FUNC': return [`${head} type_id=${t.type} linkage=${linkage(t.linkage)}`];
    case 'FUNC_PROTO': return [`${head} ret_type_id=${t.returnType} vlen=${t.params.length}`, ...t.params.map((p) => `\t${q(p.name)} type_id=${p.type}`)];
    case 'VAR': return [`${head} type_id=${t.type}, linkage=${linkage(t.linkage)}`];
    case 'DATASEC':
      return [`${head} size=${t.size} vlen=${t.vars.length}`, ...t.vars.map((v) => `\ttype_id=${v.type} offset=${v.offset} size=${v.size} (VAR ${q(btf.nameOf(v.type))})`)];
    default: return [`${head} (kind not in the fixtures)`];
  }
}

describe('decoding the fixture BTF', () => {
  for (const f of FIXTURE_NAMES) {
    it(`${f}: the model renders exactly as bpftool dumps it`, () => {
      const btf = loadOk(submittedBtf(f).btf);
      const expected = readFileSync(join(import.meta.dirname, 'data', `${f}.bpftool.txt`), 'utf8').trimEnd().split('\n');
      expect([...btf.types()].flatMap((t) => bpftoolLines(btf, t))).toEqual(expected);
    });
    it(`${f}: structural parse and kernel verification agree on the types`, () => {
      const data = submittedBtf(f).btf;
      expect([...Btf.parse(data).types()]).toEqual([...loadOk(data).types()]);
    });
  }
});

describe('lookup (btf_find_by_name_kind)', () => {
  const minimal = loadOk(submittedBtf('minimal').btf);
  it('finds a named struct and its members', () => {
    const id = minimal.findByNameKind('__sk_buff', 'STRUCT');
    expect(minimal.nameOf(id)).toBe('__sk_buff');
    expect(minimal.member(id, 'len')).toMatchObject({ bitsOffset: 0 });
    expect(minimal.member(id, 'data_end')).toMatchObject({ bitsOffset: 80 * 8 });
    expect(minimal.member(id, 'nope')).toBeUndefined();
    expect(minimal.resolveSize(id)).toBe(192);
  });
  it('the kind must match; unknown names give -ENOENT', () => {
    expect(minimal.findByNameKind('__sk_buff', 'TYPEDEF')).toBe(-ERRNO.ENOENT);
    expect(minimal.findByNameKind('no_such_type', BTF_KIND.STRUCT)).toBe(-ERRNO.ENOENT);
  });
  it('returns the smallest id, including for anonymous types, and never VOID', () => {
    const btf = Btf.parse(encodeBtf([
      { kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 },
      { kind: 'PTR', name: '', type: 1 },
      { kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 },
      { kind: 'PTR', name: '', type: 3 },
    ]));
    expect(btf.findByNameKind('int', 'INT')).toBe(1);
    expect(btf.findByNameKind('', 'PTR')).toBe(2);
    expect(btf.findByNameKind('', 0)).toBe(-ERRNO.ENOENT);
  });
  it('compares bytes: a name is found by its UTF-8 bytes or a byte array', () => {
    const btf = Btf.parse(encodeBtf([{ kind: 'STRUCT', name: 'caf\u00e9', size: 0, members: [] }]));
    expect(btf.findByNameKind('caf\u00e9', 'STRUCT')).toBe(1);
    expect(btf.findByNameKind(new TextEncoder().encode('caf\u00e9'), 'STRUCT')).toBe(1);
    expect(btf.findByNameKind('cafe', 'STRUCT')).toBe(-ERRNO.ENOENT);
  });
  it('property: agrees with a linear scan like the kernel\'s', () => {
    fc.assert(fc.property(btfSpecs(10, { dangling: false }), fc.constantFrom('a', 'b', 'x1', '', 'int', 'e'), fc.integer({ min: 0, max: 19 }), (specs, name, kind) => {
      const btf = Btf.parse(encodeBtf(specs));
      const linear = specs.findIndex((s) => BTF_KIND[s.kind] === kind && s.name === name);
      expect(btf.findByNameKind(name, kind)).toBe(linear < 0 ? -ERRNO.ENOENT : linear + 1);
    }));
  });
});

describe('sizes and prototypes', () => {
  const mg = loadOk(submittedBtf('maps_globals').btf);
  it('typeIdSize follows modifiers and VARs (btf_type_id_size)', () => {
    const magic = mg.findByNameKind('magic', 'VAR'); // const volatile __u32
    expect(mg.typeIdSize(magic)).toMatchObject({ size: 4 });
    expect(mg.kindOf(mg.typeIdSize(magic)!.id)).toBe(BTF_KIND.INT);
    const data = mg.findByNameKind('.data', 'DATASEC');
    expect(mg.typeIdSize(data)).toEqual({ id: data, size: 4 });
  });
  it('resolveSize multiplies arrays and rejects sizeless types', () => {
    const btf = Btf.parse(encodeBtf([
      { kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 },
      { kind: 'ARRAY', name: '', type: 1, indexType: 1, nelems: 3 },
      { kind: 'ARRAY', name: '', type: 2, indexType: 1, nelems: 5 },
      { kind: 'TYPEDEF', name: 't', type: 3 },
      { kind: 'FUNC_PROTO', name: '', returnType: 1, params: [{ name: 'a', type: 4 }, { name: '', type: 0 }] },
      { kind: 'FUNC', name: 'f', type: 5, linkage: 1 },
      { kind: 'ARRAY', name: '', type: 1, indexType: 1, nelems: 0x40000001 },
    ]));
    expect(btf.resolveSize(4)).toBe(60);
    expect(btf.resolveSize(6)).toBeNull();
    expect(btf.resolveSize(7)).toBeNull(); // overflows u32
    expect(btf.funcProto(6)).toEqual({ id: 5, returnType: 1, params: [{ name: 'a', type: 4 }], variadic: true });
    expect(btf.funcProto(1)).toBeUndefined();
    expect(btf.skipModifiers(4)).toBe(3);
  });
  it('tprog: the FUNC prototypes of its programs', () => {
    const tp = loadOk(submittedBtf('tprog').btf);
    const p = tp.funcProto(tp.findByNameKind('on_nanosleep', 'FUNC'));
    expect(p?.params.map((x) => x.name)).toEqual(['ctx']);
    expect(tp.nameOf(p!.returnType)).toBe('int');
  });
});

describe('encode / decode', () => {
  it('property: decode(encode(specs)) gives the specs back, with ids', () => {
    fc.assert(fc.property(btfSpecs(12, { dangling: false }), (specs) => {
      const btf = Btf.parse(encodeBtf(specs));
      const decoded = [...btf.types()].map(({ id, ...rest }) => {
        expect(id).toBeGreaterThan(0);
        return rest;
      });
      // What the format keeps: a TYPE_TAG's kind_flag, an ENUM64 value as 64 bits of the enum's signedness.
      const norm = (s: BtfTypeSpec): BtfTypeSpec => {
        if (s.kind === 'TYPE_TAG') return { ...s, attr: s.attr ?? false };
        if (s.kind === 'ENUM64') {
          return { ...s, values: s.values.map((v) => ({ ...v, value: s.signed ? BigInt.asIntN(64, v.value) : BigInt.asUintN(64, v.value) })) };
        }
        return s;
      };
      expect(decoded).toEqual(specs.map(norm));
    }));
  });
  for (const f of FIXTURE_NAMES) {
    it(`${f}: re-encoding the decoded types gives the same types`, () => {
      const btf = Btf.parse(objectBtfSection(f));
      const specs = [...btf.types()].map(({ id: _id, ...rest }) => rest as BtfTypeSpec);
      expect([...Btf.parse(encodeBtf(specs)).types()]).toEqual([...btf.types()]);
    });
  }
  it('rejects values the format cannot hold', () => {
    expect(() => encodeBtf([{ kind: 'PTR', name: '', type: -1 }])).toThrow(/u32/);
    expect(() => encodeBtf([{ kind: 'INT', name: 'i', size: 4, encoding: 16, bitsOffset: 0, nrBits: 32 }])).toThrow(/int data/);
    expect(() => encodeBtf([{ kind: 'STRUCT', name: 'a\0b', size: 0, members: [] }])).toThrow(/NUL/);
  });
});

describe('structural parse errors', () => {
  const good = encodeBtf([{ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 }, { kind: 'PTR', name: '', type: 1 }]);
  const patched = (at: number, v: number) => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(at, v >>> 0, true);
    return b;
  };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['short', good.slice(0, 10), /too short/],
    ['magic', patched(0, 0x0001eb9e), /magic/],
    ['hdr_len', patched(4, 8), /hdr_len/],
    ['type section', patched(12, 1000), /out of bounds/],
    ['kind', patched(24 + 4, 20 << 24), /unknown BTF kind/],
    ['reference', patched(24 + 16 + 8, 7), /missing type 7/],
    ['name', patched(24, 999), /name offset/],
    ['truncated', (() => { const b = patched(12, 20); new DataView(b.buffer).setUint32(16, 20, true); new DataView(b.buffer).setUint32(20, good.length - 44, true); return b; })(), /truncated|string/],
  ];
  for (const [what, data, re] of cases) {
    it(`${what}: BtfError`, () => {
      expect(() => Btf.parse(data)).toThrow(BtfError);
      expect(() => Btf.parse(data)).toThrow(re);
    });
  }
});
