/**
 * Model-based properties: random operation sequences on HASH (both allocation modes), PERCPU_HASH
 * and ARRAY compared step by step with a plain reference model written from Linux's rules, plus the
 * address rules programs rely on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { T, errnoOrZero, make, peek, readU32, testEnv, u32 } from './support.js';

/** A helper's return (0 or -errno) as an errno (0 = success). */
const neg = (r: number): number => (r === 0 ? 0 : -r);

type Op =
  | { op: 'update'; key: number; val: number; flags: bigint; bpf: boolean }
  | { op: 'lookup'; key: number }
  | { op: 'delete'; key: number; bpf: boolean }
  | { op: 'iterate' }
  | { op: 'cpu'; cpu: number };

const ops = (keys: number): fc.Arbitrary<Op[]> => fc.array(fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('update' as const), key: fc.nat(keys), val: fc.nat(0xffff), flags: fc.constantFrom(0n, 0n, 1n, 2n, 3n, 4n, 5n), bpf: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('lookup' as const), key: fc.nat(keys) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.nat(keys), bpf: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('iterate' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cpu' as const), cpu: fc.nat(2) }) },
), { maxLength: 150 });

/** Linux's update rules for a hash map of `max` entries (check_flags, then the full check). */
function hashUpdateErrno(present: boolean, size: number, max: number, flags: bigint, percpu: boolean): number {
  if (percpu ? flags > 2n : (flags & ~4n) > 2n || (flags & 4n) !== 0n) return 22;
  const op = flags & ~4n;
  if (present && op === 1n) return 17;
  if (!present && op === 2n) return 2;
  if (!present && size >= max) return 7;
  return 0;
}

describe('HASH against a reference model', () => {
  for (const cfg of [
    { name: 'HASH', type: T.BPF_MAP_TYPE_HASH, flags: 0 },
    { name: 'HASH, BPF_F_NO_PREALLOC', type: T.BPF_MAP_TYPE_HASH, flags: 1 },
    { name: 'PERCPU_HASH', type: T.BPF_MAP_TYPE_PERCPU_HASH, flags: 0 },
  ]) {
    it(cfg.name, () => {
      fc.assert(fc.property(fc.constantFrom(1, 2, 5, 12), ops(20), (max, seq) => {
        const nrCpus = 3;
        const percpu = cfg.type === T.BPF_MAP_TYPE_PERCPU_HASH;
        const env = testEnv({ nrCpus });
        const m = make(env, { mapType: cfg.type, maxEntries: max, mapFlags: cfg.flags, valueSize: 4 });
        if (m.kind !== 'hash' && m.kind !== 'percpu_hash') throw new Error(`unexpected ${m.kind}`);
        // key -> per-CPU values (one entry when not per-CPU)
        const model = new Map<number, number[]>();
        // key -> the address programs got for it while the element lives
        const addrs = new Map<number, bigint>();
        const width = percpu ? nrCpus : 1;
        for (const o of seq) {
          if (o.op === 'cpu') {
            env.cpu = o.cpu;
          } else if (o.op === 'update') {
            const present = model.has(o.key);
            const want = hashUpdateErrno(present, model.size, max, o.flags, percpu);
            let got: number;
            if (o.bpf) {
              got = neg(m.updateElem(u32(o.key), u32(o.val), o.flags));
            } else {
              const v = new Uint8Array(m.syscallValueSize);
              for (let c = 0; c < width; c++) new DataView(v.buffer).setUint32(c * 8, o.val + c, true);
              got = errnoOrZero(() => m.update(u32(o.key), v, o.flags));
            }
            expect(got).toBe(want);
            if (got === 0) {
              let vals: number[];
              if (!o.bpf) vals = Array.from({ length: width }, (_, c) => o.val + c);
              else if (percpu) {
                // A program writes its CPU's copy; a new element's other copies start zeroed.
                vals = present ? model.get(o.key)!.slice() : new Array(width).fill(0);
                vals[env.cpu] = o.val;
              } else vals = [o.val];
              model.set(o.key, vals);
              // HASH replaces the element (new address); PERCPU_HASH updates in place.
              if (!percpu || !present) addrs.delete(o.key);
            }
          } else if (o.op === 'lookup') {
            const want = model.get(o.key);
            const a = m.lookupElem(u32(o.key));
            if (!want) {
              expect(a).toBe(0n);
              expect(errnoOrZero(() => m.lookup(u32(o.key), 0n))).toBe(2);
              continue;
            }
            const v = m.lookup(u32(o.key), 0n);
            for (let c = 0; c < width; c++) expect(readU32(v, c * 8)).toBe(want[c]);
            // The program's view is the current CPU's copy, at an address stable while the element lives.
            expect(readU32(peek(env, a, 4))).toBe(want[percpu ? env.cpu : 0]);
            const base = percpu ? m.lookupPercpuElem(u32(o.key), 0) : a;
            const prev = addrs.get(o.key);
            if (prev !== undefined) expect(base).toBe(prev);
            addrs.set(o.key, base);
          } else if (o.op === 'delete') {
            const want = model.has(o.key) ? 0 : 2;
            const got = o.bpf ? neg(m.deleteElem(u32(o.key))) : errnoOrZero(() => m.delete(u32(o.key)));
            expect(got).toBe(want);
            model.delete(o.key);
            addrs.delete(o.key);
          } else {
            expect(m.keys().map((k) => readU32(k)).sort((a, b) => a - b)).toEqual([...model.keys()].sort((a, b) => a - b));
          }
          expect(m.count).toBe(model.size);
          // Live elements never share memory.
          const live = [...addrs.values()];
          expect(new Set(live).size).toBe(live.length);
        }
      }), { numRuns: 300 });
    });
  }
});

describe('ARRAY against a reference model', () => {
  it('update / lookup / delete / get_next_key', () => {
    fc.assert(fc.property(fc.constantFrom(1, 3, 8), ops(10), (max, seq) => {
      const env = testEnv();
      const m = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY, maxEntries: max, valueSize: 4 });
      const model = new Array<number>(max).fill(0);
      const base = m.lookupElem(u32(0));
      for (const o of seq) {
        if (o.op === 'update') {
          const inRange = o.key < max;
          const f = o.flags & ~4n;
          const want = f > 2n ? 22 : !inRange ? 7 : f === 1n ? 17 : (o.flags & 4n) ? 22 : 0;
          const got = o.bpf ? neg(m.updateElem(u32(o.key), u32(o.val), o.flags))
            // The syscall side refuses BPF_F_LOCK before the array looks at anything.
            : errnoOrZero(() => m.update(u32(o.key), u32(o.val), o.flags));
          expect(got).toBe(!o.bpf && (o.flags & 4n) ? 22 : want);
          if (got === 0) model[o.key] = o.val;
        } else if (o.op === 'lookup') {
          if (o.key >= max) {
            expect(errnoOrZero(() => m.lookup(u32(o.key), 0n))).toBe(2);
            expect(m.lookupElem(u32(o.key))).toBe(0n);
          } else {
            expect(readU32(m.lookup(u32(o.key), 0n))).toBe(model[o.key]);
            expect(m.lookupElem(u32(o.key))).toBe(base + BigInt(8 * o.key));
          }
        } else if (o.op === 'delete') {
          expect(o.bpf ? neg(m.deleteElem(u32(o.key))) : errnoOrZero(() => m.delete(u32(o.key)))).toBe(22);
        } else if (o.op === 'iterate') {
          const seen: number[] = [];
          let k: Uint8Array | null = null;
          for (let i = 0; i <= max; i++) {
            const cur: Uint8Array | null = k;
            if (errnoOrZero(() => { k = m.getNextKey(cur); }) !== 0) break;
            seen.push(readU32(k!));
          }
          expect(seen).toEqual(Array.from({ length: max }, (_, i) => i));
        }
      }
    }), { numRuns: 300 });
  });
});

describe('the BPF side never throws', () => {
  it('whatever the key, value, flags or CPU, helpers get an address, 0 or -errno', () => {
    const bytesArb = fc.uint8Array({ maxLength: 12 });
    const call = fc.record({
      fn: fc.constantFrom('lookup', 'percpu', 'update', 'delete', 'reserve', 'output', 'submit'),
      key: bytesArb, value: bytesArb, flags: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), cpu: fc.integer({ min: -2, max: 5 }),
      size: fc.oneof(fc.nat(9000), fc.constantFrom(Number.NaN, -1, 1.5, 2 ** 60)),
    });
    fc.assert(fc.property(fc.constantFrom(1, 2, 3, 5, 6, 9, 10, 12, 13, 27), fc.array(call, { maxLength: 60 }), (type, calls) => {
      const env = testEnv({ nrCpus: 3 });
      const inner = type === 12 || type === 13 ? make(env, { mapType: T.BPF_MAP_TYPE_ARRAY }) : null;
      const m = make(env, type === 27
        ? { mapType: type, keySize: 0, valueSize: 0, maxEntries: 4096 }
        : { mapType: type, maxEntries: 4, innerMap: inner });
      for (const c of calls) {
        env.cpu = Math.max(0, Math.min(2, c.cpu));
        let r: number | bigint;
        switch (c.fn) {
          case 'lookup': r = m.lookupElem(c.key); break;
          case 'percpu': r = m.lookupPercpuElem(c.key, c.cpu); break;
          case 'update': r = m.updateElem(c.key, c.value, c.flags); break;
          case 'delete': r = m.deleteElem(c.key); break;
          default:
            if (m.kind !== 'ringbuf') continue;
            if (c.fn === 'reserve') r = m.reserve(c.size, c.flags & 1n);
            else if (c.fn === 'output') r = m.output(c.value, c.flags & 3n);
            else r = BigInt(m.submit(m.data.base + BigInt(Number.isSafeInteger(c.size) ? Math.abs(c.size) % 4096 : 8), c.flags) ? 1 : 0);
        }
        if (typeof r === 'number') expect(Number.isInteger(r) && r <= 0).toBe(true);
        else expect(r >= 0n).toBe(true);
      }
    }), { numRuns: 300 });
  });
});
