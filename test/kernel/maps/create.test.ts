import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelError, errnoName } from '../../../src/errno.js';
import { createMap, mapAllocCheck, type BpfMap } from '../../../src/kernel/maps/index.js';
import { CREATE_CASES } from './cases.js';
import { T, attrs, errnoOf, liveSlots, make, testEnv } from './support.js';

/** The modelled machine of cases.ts: 24 GiB for maps, 2 CPUs, root. */
const BIG = 24 * 1024 ** 3;

describe('BPF_MAP_CREATE per-type checks (errnos observed on Linux 6.18)', () => {
  for (const k of CREATE_CASES) {
    it(`${k.what} -> ${k.errno === 0 ? 'created' : errnoName(k.errno)}`, () => {
      const env = testEnv({ limit: BIG });
      const before = liveSlots(env.space);
      const a = attrs({ mapType: k.type, keySize: k.key, valueSize: k.value, maxEntries: k.max, mapFlags: k.flags });
      if (k.errno === 0) {
        const m = createMap(a, env);
        expect(m.mapType).toBe(k.type);
        m.free();
      } else {
        expect(errnoName(errnoOf(() => createMap(a, env)))).toBe(errnoName(k.errno));
      }
      // Created and freed, or refused: nothing left behind either way.
      expect(liveSlots(env.space)).toEqual(before);
      expect(env.used).toBe(0);
    });
  }

  it('absurd sizes are refused by arithmetic, before anything is allocated', () => {
    const env = testEnv({ limit: BIG });
    const heapBefore = process.memoryUsage().arrayBuffers;
    for (const a of [
      attrs({ mapType: T.BPF_MAP_TYPE_ARRAY, maxEntries: 0xffffffff }),
      attrs({ mapType: T.BPF_MAP_TYPE_ARRAY, valueSize: 2 ** 30, maxEntries: 100 }),
      attrs({ mapType: T.BPF_MAP_TYPE_PERCPU_ARRAY, valueSize: 32768, maxEntries: 0xffffffff }),
      attrs({ mapType: T.BPF_MAP_TYPE_HASH, maxEntries: 0xffffffff }),
      attrs({ mapType: T.BPF_MAP_TYPE_LRU_HASH, valueSize: 4096, maxEntries: 2 ** 27 }),
      attrs({ mapType: T.BPF_MAP_TYPE_PROG_ARRAY, maxEntries: 0xffffffff }),
    ]) {
      const e = errnoOf(() => createMap(a, env));
      expect(['ENOMEM', 'E2BIG']).toContain(errnoName(e));
    }
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(env.used).toBe(0);
  });

  it('a 2 GiB ring buffer is refused with ENOMEM under a 1 GiB limit, and charges nothing', () => {
    const env = testEnv({ limit: 2 ** 30 });
    expect(errnoName(errnoOf(() => make(env, { mapType: T.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 2 ** 31 })))).toBe('ENOMEM');
    expect(env.used).toBe(0);
    expect(env.space.live()).toHaveLength(0);
  });

  it('BPF_F_ZERO_SEED needs CAP_SYS_ADMIN (EPERM), checked before the flags', () => {
    const noAdmin = testEnv({ caps: { perfmon: true, sysAdmin: false } });
    expect(errnoName(errnoOf(() => make(noAdmin, { mapType: T.BPF_MAP_TYPE_HASH, mapFlags: 64 | 2 })))).toBe('EPERM');
    const root = testEnv();
    expect(make(root, { mapType: T.BPF_MAP_TYPE_HASH, mapFlags: 64 }).mapFlags).toBe(64);
  });

  it('without CAP_PERFMON an array is rounded up to a power of 2, and 2^31+1 entries overflow (E2BIG)', () => {
    const env = testEnv({ caps: { perfmon: false, sysAdmin: false } });
    const m = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY, valueSize: 8, maxEntries: 5 });
    expect(m.maxEntries).toBe(5);
    expect(m.valueArea!.bytes.length).toBe(8 * 8);
    expect(errnoName(errnoOf(() => make(env, { mapType: T.BPF_MAP_TYPE_ARRAY, maxEntries: 2 ** 31 + 1 })))).toBe('E2BIG');
  });

  it('per-CPU LRU maps round max_entries up to a multiple of the CPU count', () => {
    const env = testEnv({ nrCpus: 4 });
    expect(make(env, { mapType: T.BPF_MAP_TYPE_LRU_HASH, maxEntries: 5, mapFlags: 2 }).maxEntries).toBe(8);
    expect(make(env, { mapType: T.BPF_MAP_TYPE_LRU_HASH, maxEntries: 5 }).maxEntries).toBe(5);
    // The roundup wraps in u32: Linux rounds down instead (and then refuses the size).
    expect(errnoName(errnoOf(() => make(env, { mapType: T.BPF_MAP_TYPE_LRU_HASH, maxEntries: 0xfffffffe, mapFlags: 2 })))).toBe('E2BIG');
  });

  it('mapAllocCheck has no side effects and agrees with createMap on refusals', () => {
    const env = testEnv();
    const a = attrs({ mapType: T.BPF_MAP_TYPE_HASH, keySize: 0 });
    expect(errnoOf(() => mapAllocCheck(a, env))).toBe(22);
    expect(env.space.live()).toHaveLength(0);
    expect(() => mapAllocCheck(attrs({ mapType: T.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 3 }), env)).not.toThrow();
  });

  it('map types bpfsim does not model are EINVAL with a message that says so', () => {
    const env = testEnv();
    try {
      make(env, { mapType: T.BPF_MAP_TYPE_QUEUE, keySize: 0 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).errno).toBe(22);
      expect((e as KernelError).message).toMatch(/not modelled/);
    }
  });

  it('an ENOMEM from the memory limit leaves the space and the accounting untouched', () => {
    const env = testEnv({ limit: 10_000 });
    const before = liveSlots(env.space);
    expect(errnoName(errnoOf(() => make(env, { mapType: T.BPF_MAP_TYPE_HASH, valueSize: 64, maxEntries: 1000 })))).toBe('ENOMEM');
    expect(liveSlots(env.space)).toEqual(before);
    expect(env.used).toBe(0);
  });

  it('a full region table is ENOMEM, and the partially built map is rolled back', () => {
    const env = testEnv();
    // Fill the table so that exactly one slot remains: the map object fits, the value area does not.
    const fillers = [];
    for (let i = 0; i < 65534; i++) fillers.push(env.space.map(new Uint8Array(0), { kind: 'user' }));
    const before = liveSlots(env.space);
    expect(errnoName(errnoOf(() => make(env, { mapType: T.BPF_MAP_TYPE_ARRAY })))).toBe('ENOMEM');
    expect(liveSlots(env.space)).toEqual(before);
    expect(env.used).toBe(0);
    env.space.unmap(fillers[0]);
    env.space.unmap(fillers[1]);
    make(env, { mapType: T.BPF_MAP_TYPE_ARRAY }).free();
    expect(env.used).toBe(0);
  });
});

describe('createMap fuzzing', () => {
  const modelled = [1, 2, 3, 5, 6, 9, 10, 12, 13, 27];
  const size = fc.oneof(
    fc.constantFrom(0, 1, 2, 3, 4, 7, 8, 16, 4096, 32768, 32769, 2 ** 20, 2 ** 22, 2 ** 31 - 1, 2 ** 31, 0xffffffff),
    fc.integer({ min: 0, max: 0xffffffff }),
  );
  const maxEntries = fc.oneof(
    fc.constantFrom(0, 1, 2, 3, 4096, 8192, 12288, 2 ** 16, 2 ** 27, 2 ** 28, 2 ** 31, 0xffffffff),
    fc.integer({ min: 0, max: 0xffffffff }),
  );
  const flags = fc.oneof(
    fc.integer({ min: 0, max: 0x1ffff }).map((f) => f & ~(1 << 16)),
    fc.integer({ min: 0, max: 0xffffffff }),
  );
  const arb = fc.record({
    mapType: fc.oneof(fc.constantFrom(...modelled), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0xffffffff })),
    keySize: size, valueSize: size, maxEntries, mapFlags: flags,
    numaNode: fc.constantFrom(0, -1, 1),
    inner: fc.constantFrom('none', 'array', 'hash', 'excl', 'aom', 'progarray'),
  });

  it('never throws anything but KernelError; a failure leaves exactly the live regions and charges it found', () => {
    fc.assert(fc.property(arb, (a) => {
      // A small limit: giant requests fail at the charge, before any allocation.
      const env = testEnv({ limit: 32 * 1024 * 1024 });
      let inner: BpfMap | null = null;
      if (a.inner === 'array' || a.inner === 'excl') inner = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY });
      if (a.inner === 'excl') inner!.setExclusive();
      if (a.inner === 'hash') inner = make(env, { mapType: T.BPF_MAP_TYPE_HASH, maxEntries: 4 });
      if (a.inner === 'progarray') inner = make(env, { mapType: T.BPF_MAP_TYPE_PROG_ARRAY });
      if (a.inner === 'aom') {
        const t = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY });
        inner = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY_OF_MAPS, innerMap: t });
      }
      const before = liveSlots(env.space);
      const usedBefore = env.used;
      let m: BpfMap | null = null;
      try {
        m = createMap(attrs({ ...a, innerMap: inner }), env);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        expect(liveSlots(env.space)).toEqual(before);
        expect(env.used).toBe(usedBefore);
        return;
      }
      expect(modelled).toContain(m.mapType);
      expect(env.used).toBeGreaterThan(usedBefore);
      m.free();
      m.free();
      expect(liveSlots(env.space)).toEqual(before);
      expect(env.used).toBe(usedBefore);
    }), { numRuns: 1500 });
  });
});
