import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errnoName } from '../../../src/errno.js';
import { expectKind } from '../../../src/kernel/maps/index.js';
import { T, errnoOf, errnoOrZero, make, peek, readU32, testEnv, u32 } from './support.js';

const E = (f: () => unknown) => errnoName(errnoOf(f));

function lru(max: number, opts: { nrCpus?: number; flags?: number; percpu?: boolean; valueSize?: number } = {}) {
  const env = testEnv({ nrCpus: opts.nrCpus ?? 2 });
  const m = expectKind(make(env, {
    mapType: opts.percpu ? T.BPF_MAP_TYPE_LRU_PERCPU_HASH : T.BPF_MAP_TYPE_LRU_HASH,
    maxEntries: max, mapFlags: opts.flags ?? 0, valueSize: opts.valueSize ?? 4,
  }), opts.percpu ? 'lru_percpu_hash' : 'lru_hash');
  const keys = () => m.keys().map((k) => readU32(k)).sort((a, b) => a - b);
  const put = (k: number, flags = 0n) => m.update(u32(k), new Uint8Array(m.syscallValueSize).fill(k & 0xff), flags);
  return { env, m, keys, put };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

// The expected key sets below were observed on the 6.18 VM (oracle/bpf-map-oracle.c, pinned to CPU 0).
describe('LRU eviction', () => {
  it('inserting into a full 4-entry map (2 CPUs, target_free 1) evicts the least recently used key', () => {
    const { keys, put } = lru(4);
    for (const k of [1, 2, 3, 4, 5]) put(k);
    expect(keys()).toEqual([2, 3, 4, 5]);
    put(6);
    expect(keys()).toEqual([3, 4, 5, 6]);
  });

  it('a 16-entry map (target_free 4) evicts the 4 oldest keys at once', () => {
    const { m, keys, put } = lru(16);
    expect(m.targetFree).toBe(4);
    for (const k of range(1, 17)) put(k);
    expect(keys()).toEqual(range(5, 17));
  });

  it('a program lookup sets the reference bit and saves the key from the next eviction; a syscall lookup does not', () => {
    const a = lru(4);
    for (const k of [1, 2, 3, 4]) a.put(k);
    expect(a.m.lookupElem(u32(1))).not.toBe(0n);
    a.put(5);
    expect(a.keys()).toEqual([1, 3, 4, 5]);

    const b = lru(4);
    for (const k of [1, 2, 3, 4]) b.put(k);
    expect(readU32(b.m.lookup(u32(1), 0n))).toBe(0x01010101);
    b.put(5);
    expect(b.keys()).toEqual([2, 3, 4, 5]);
  });

  it('BPF_NOEXIST on an existing key in a full map fails with EEXIST but still evicts (a node is taken first)', () => {
    const { keys, put } = lru(4);
    for (const k of [1, 2, 3, 4]) put(k);
    expect(E(() => put(4, 1n))).toBe('EEXIST');
    expect(keys()).toEqual([2, 3, 4]);
    expect(E(() => put(9, 2n))).toBe('ENOENT');
    expect(keys()).toEqual([2, 3, 4]);
  });

  it('BPF_F_NO_COMMON_LRU: each CPU frees 4 nodes at once from its own list', () => {
    const { m, keys, put } = lru(8, { flags: 2 });
    for (const k of [1, 2, 3, 4, 5]) put(k);
    expect(keys()).toEqual([5]);
    expect(m.maxEntries).toBe(8);
    expect(m.targetFree).toBe(4);
  });

  it('BPF_F_NO_COMMON_LRU: a CPU only evicts from its own list', () => {
    const { env, keys, put } = lru(8, { flags: 2 });
    env.cpu = 1;
    for (const k of [11, 12, 13, 14]) put(k);
    env.cpu = 0;
    for (const k of [1, 2, 3, 4, 5]) put(k);
    expect(keys()).toEqual([5, 11, 12, 13, 14]);
  });

  it('delete frees the node; update flags and lookups behave like a hash map', () => {
    const { m, keys, put } = lru(4);
    put(1);
    put(2);
    m.delete(u32(1));
    expect(E(() => m.delete(u32(1)))).toBe('ENOENT');
    expect(E(() => m.lookup(u32(1), 0n))).toBe('ENOENT');
    expect(E(() => put(2, 1n))).toBe('EEXIST');
    expect(E(() => put(2, 3n))).toBe('EINVAL');
    expect(E(() => put(2, 4n))).toBe('EINVAL');
    expect(m.updateElem(u32(2), u32(9), 4n)).toBe(-22);
    expect(keys()).toEqual([2]);
    expect(m.lookupElem(u32(7))).toBe(0n);
    expect(m.deleteElem(u32(7))).toBe(-2);
  });

  it('a replaced element moves to a new node; the old pointer keeps the old value', () => {
    const { env, m, put } = lru(4);
    put(1);
    const a = m.lookupElem(u32(1));
    m.update(u32(1), u32(0xdead), 0n);
    const b = m.lookupElem(u32(1));
    expect(b).not.toBe(a);
    expect(readU32(peek(env, b, 4))).toBe(0xdead);
    expect(readU32(peek(env, a, 4))).toBe(0x01010101);
  });

  it('LRU_PERCPU_HASH: in-place updates and per-CPU copies', () => {
    const { env, m, put } = lru(4, { percpu: true });
    expect(m.syscallValueSize).toBe(16);
    put(1);
    const a = m.lookupElem(u32(1));
    put(1);
    expect(m.lookupElem(u32(1))).toBe(a);
    env.cpu = 1;
    expect(m.updateElem(u32(1), u32(0x77), 0n)).toBe(0);
    expect(readU32(m.lookup(u32(1), 0n), 8)).toBe(0x77);
    expect(readU32(m.lookup(u32(1), 0n), 0)).toBe(0x01010101);
    expect(m.lookupPercpuElem(u32(1), 0)).toBe(a);
  });

  it('LRU_PERCPU_HASH: on a full map BPF_ANY on an existing key may evict another key, BPF_EXIST takes no node', () => {
    const { keys, put } = lru(4, { percpu: true });
    for (const k of [1, 2, 3, 4]) put(k);
    put(2, 2n);
    expect(keys()).toEqual([1, 2, 3, 4]);
    put(2, 0n);
    expect(keys()).toEqual([2, 3, 4]);
  });
});

describe('LRU properties', () => {
  it('single CPU: no eviction before the map is full; never more than max_entries; present keys hold their last value', () => {
    fc.assert(fc.property(
      fc.constantFrom(1, 2, 3, 5, 16, 40),
      fc.constantFrom(0, 2),
      fc.array(fc.tuple(fc.constantFrom('put', 'put', 'put', 'del', 'get'), fc.nat(100)), { maxLength: 300 }),
      (max, flags, ops) => {
        const { m } = lru(max, { flags });
        // Presence through the syscall side, which leaves the reference bits alone.
        const has = (k: number) => errnoOrZero(() => m.lookup(u32(k), 0n)) === 0;
        const model = new Map<number, number>();
        for (const [op, k] of ops) {
          if (op === 'put') {
            const before = m.count;
            const existed = has(k);
            m.update(u32(k), u32(k * 7), 0n);
            model.set(k, k * 7);
            const evicted = before + (existed ? 0 : 1) - m.count;
            // The common LRU evicts only when every node is in use (one CPU: no node sits in another
            // CPU's local list); a per-CPU LRU list holds max_entries / nr_cpus nodes.
            if (flags === 0 && before < m.maxEntries) expect(evicted).toBe(0);
            expect(has(k)).toBe(true);
          } else if (op === 'del') {
            const had = has(k);
            expect(m.deleteElem(u32(k))).toBe(had ? 0 : -2);
            model.delete(k);
          } else {
            m.lookupElem(u32(k));
          }
          expect(m.count).toBeLessThanOrEqual(m.maxEntries);
          for (const key of m.keys().map((b) => readU32(b))) {
            expect(model.has(key)).toBe(true);
            expect(readU32(m.lookup(u32(key), 0n))).toBe(model.get(key));
          }
          // Evicted keys leave the model: the map decides what is present, the model what it holds.
          for (const key of [...model.keys()]) if (!has(key)) model.delete(key);
        }
      }), { numRuns: 200 });
  });
});
