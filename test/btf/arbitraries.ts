/**
 * fast-check arbitraries for small BTF type graphs: mostly plausible, often slightly wrong (bad
 * ids, sizes, offsets, names, linkage, bitfields, loops), so that both the meta checks and the
 * resolver's paths are reached.
 */
import fc from 'fast-check';
import type { BtfMember, BtfTypeSpec } from '../../src/kernel/btf/types.js';

const NAMES = ['a', 'b', 'x1', '_t', 'int', 'foo_bar', '.sec', 'u64', '', '1bad', 'a b', 'caf\u00e9', '.data', 'arg:ctx'];
const SIZES = [0, 1, 2, 3, 4, 8, 12, 16, 24, 32, 64, 0x7fffffff, 0xffffffff];

/** `dangling`: also refer to ids past the last type (invalid for the kernel and the structural parse). */
export function btfSpecs(maxTypes = 10, { dangling = true } = {}): fc.Arbitrary<BtfTypeSpec[]> {
  return fc.integer({ min: 1, max: maxTypes }).chain((n) => {
    const id = dangling
      ? fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: n }) },
        { weight: 1, arbitrary: fc.constantFrom(n + 1, 0xfffff, 0x100000) },
      )
      : fc.integer({ min: 0, max: n });
    const name = fc.constantFrom(...NAMES);
    const ident = fc.oneof({ weight: 20, arbitrary: fc.constantFrom('a', 'b', 'x1', '_t', 'foo_bar') }, { weight: 1, arbitrary: name });
    const size = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 4, 8, 16) }, { weight: 2, arbitrary: fc.constantFrom(...SIZES) });
    const smallSize = fc.constantFrom(0, 1, 2, 4, 8, 16, 24, 32, 64, 3);
    const bitOff = fc.oneof(fc.constantFrom(0, 8, 16, 32, 64, 128), fc.integer({ min: 0, max: 300 }));
    const member: fc.Arbitrary<BtfMember> = fc.record({
      name: ident, type: id, bitsOffset: bitOff,
      bitfieldSize: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) }),
    });
    const spec: fc.Arbitrary<BtfTypeSpec> = fc.oneof(
      fc.record({
        kind: fc.constant('INT' as const), name: ident, size,
        encoding: fc.constantFrom(0, 0, 1, 2, 4, 3, 8), bitsOffset: fc.constantFrom(0, 0, 0, 1, 4, 120),
        nrBits: fc.constantFrom(8, 16, 32, 64, 128, 1, 7, 0, 129),
      }),
      fc.record({ kind: fc.constant('PTR' as const), name: fc.constantFrom('', '', '', '', '', '', '', '', '', 'p'), type: id }),
      fc.record({ kind: fc.constant('ARRAY' as const), name: fc.constantFrom('', '', '', '', '', '', '', 'arr'), type: id, indexType: id, nelems: fc.constantFrom(0, 1, 4, 16, 0x10000000, 0xffffffff) }),
      fc.record({ kind: fc.constantFrom('STRUCT' as const, 'UNION' as const), name: fc.constantFrom('', 'a', 's', 'a', 's', 'a', 's', 'bad name'), size: smallSize, members: fc.array(member, { maxLength: 4 }) }),
      fc.record({
        kind: fc.constant('ENUM' as const), name: fc.constantFrom('', 'e', 'e', 'e', '9'), size: fc.constantFrom(4, 4, 4, 4, 1, 2, 8, 3, 0, 16), signed: fc.boolean(),
        values: fc.array(fc.record({ name: ident, value: fc.integer({ min: 0, max: 5 }) }), { maxLength: 3 }),
      }),
      fc.record({
        kind: fc.constant('ENUM64' as const), name: fc.constantFrom('', 'e64'), size: fc.constantFrom(8, 8, 4, 5), signed: fc.boolean(),
        values: fc.array(fc.record({ name: ident, value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }) }), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('FWD' as const), name: ident, union: fc.boolean() }),
      fc.record({ kind: fc.constantFrom('TYPEDEF' as const, 'VOLATILE' as const, 'CONST' as const, 'RESTRICT' as const), name: fc.constantFrom('', '', '', '', '', 'td', '1x'), type: id }),
      fc.record({ kind: fc.constant('TYPE_TAG' as const), name: fc.constantFrom('user', 'kptr', 'rcu', ''), type: id, attr: fc.boolean() }),
      fc.record({ kind: fc.constant('FUNC' as const), name: ident, type: id, linkage: fc.constantFrom(0, 1, 1, 1, 0, 0, 2, 3) }),
      fc.record({
        kind: fc.constant('FUNC_PROTO' as const), name: fc.constantFrom('', '', '', '', '', '', 'fp'), returnType: id,
        params: fc.array(fc.record({ name: fc.constantFrom('', 'x', 'ctx', 'x', 'ctx', 'x', 'ctx', '2y'), type: id }), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('VAR' as const), name: ident, type: id, linkage: fc.constantFrom(0, 1, 1, 0, 1, 2) }),
      fc.record({
        kind: fc.constant('DATASEC' as const), name: fc.constantFrom('.data', '.bss', '.data', '.bss', '', 'a\tb', 'license'), size: fc.constantFrom(0, 4, 8, 16, 64, 64, 64),
        vars: fc.array(fc.record({ type: id, offset: fc.constantFrom(0, 4, 8, 12, 60), size: fc.constantFrom(0, 4, 8, 64) }), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('FLOAT' as const), name: ident, size: fc.constantFrom(4, 8, 16, 2, 12, 4, 8, 3) }),
      fc.record({ kind: fc.constant('DECL_TAG' as const), name: fc.constantFrom('tag', 'arg:ctx', 'tag', 'arg:ctx', ''), type: id, componentIdx: fc.constantFrom(-1, -1, -1, 0, 0, 1, 2, -2), attr: fc.boolean() }),
    );
    return fc.array(spec, { minLength: n, maxLength: n });
  });
}

/** One change to a BTF blob. `at` is scaled to the blob length when applied. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'byte'; at: number; value: number }
  | { op: 'word'; at: number; value: number }
  | { op: 'nudge'; at: number; delta: number }
  | { op: 'kind'; at: number; kind: number }
  | { op: 'truncate'; at: number };

const INTERESTING_U32 = [
  0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 31, 32, 33, 64, 127, 128, 255, 256, 0xffff, 0x10000, 0xfffff,
  0x100000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xffffffff, 0x01000000, 0x81000001,
  0x0d000001, 0x04000002,
];

/** A position in [0, 1), scrambled so fast-check's bias towards small integers does not pile edits on the header. */
const position = fc.integer({ min: 0, max: 0x7fffffff }).map((x) => (Math.imul(x, 2654435761) >>> 0) / 2 ** 32);

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('byte' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('word' as const), at: position, value: fc.constantFrom(...INTERESTING_U32) }),
  fc.record({ op: fc.constant('nudge' as const), at: position, delta: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ op: fc.constant('kind' as const), at: position, kind: fc.integer({ min: 0, max: 31 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
);

/** Apply mutations to a copy of `blob` (word-sized changes land on 4-byte boundaries). */
export function applyMutations(blob: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let b = blob.slice();
  for (const m of muts) {
    if (b.length === 0) break;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const at = Math.floor(m.at * b.length);
    const w = Math.min(at & ~3, Math.max(0, (b.length & ~3) - 4));
    const hasWord = b.length >= 4;
    switch (m.op) {
      case 'flip': b[at] ^= 1 << m.bit; break;
      case 'byte': b[at] = m.value; break;
      case 'word': if (hasWord) dv.setUint32(w, m.value >>> 0, true); break;
      case 'nudge': if (hasWord) dv.setUint32(w, (dv.getUint32(w, true) + m.delta) >>> 0, true); break;
      case 'kind': if (hasWord) dv.setUint32(w, ((dv.getUint32(w, true) & 0x80ffffff) | (m.kind << 24)) >>> 0, true); break;
      case 'truncate': b = b.slice(0, at); break;
    }
  }
  return b;
}
