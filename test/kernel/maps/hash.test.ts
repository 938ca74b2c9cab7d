import { describe, expect, it } from 'vitest';
import { errnoName } from '../../../src/errno.js';
import { PERM_R, PERM_W } from '../../../src/interpreter/memory.js';
import { expectKind, type BpfMap } from '../../../src/kernel/maps/index.js';
import { T, bytes, errnoOf, liveSlots, make, peek, poke, readU32, testEnv, u32 } from './support.js';

const E = (f: () => unknown) => errnoName(errnoOf(f));

function allKeys(m: BpfMap): number[] {
  const out: number[] = [];
  let k: Uint8Array | null = null;
  for (let i = 0; i < 10_000; i++) {
    try {
      k = m.getNextKey(k);
    } catch {
      return out;
    }
    out.push(readU32(k));
  }
  throw new Error('get_next_key did not end');
}

for (const prealloc of [true, false]) {
  describe(`BPF_MAP_TYPE_HASH (${prealloc ? 'preallocated' : 'BPF_F_NO_PREALLOC'})`, () => {
    const setup = (maxEntries = 2, valueSize = 4) => {
      const env = testEnv();
      const m = expectKind(make(env, { mapType: T.BPF_MAP_TYPE_HASH, maxEntries, valueSize, mapFlags: prealloc ? 0 : 1 }), 'hash');
      return { env, m };
    };

    it('update flags: BPF_NOEXIST on an existing key is EEXIST, BPF_EXIST on a missing one ENOENT', () => {
      const { m } = setup();
      expect(E(() => m.update(u32(1), u32(0xa), 2n))).toBe('ENOENT');
      m.update(u32(1), u32(0xa), 1n);
      expect(E(() => m.update(u32(1), u32(0xb), 1n))).toBe('EEXIST');
      m.update(u32(1), u32(0xb), 2n);
      expect(readU32(m.lookup(u32(1), 0n))).toBe(0xb);
      expect(E(() => m.update(u32(1), u32(0xb), 3n))).toBe('EINVAL');
      expect(E(() => m.update(u32(1), u32(0xb), 4n))).toBe('EINVAL');
      expect(m.updateElem(u32(1), u32(0xb), 4n)).toBe(-22);
      expect(m.updateElem(u32(1), u32(0xb), 1n)).toBe(-17);
      expect(m.updateElem(u32(5), u32(0xb), 2n)).toBe(-2);
    });

    it('a full map refuses new keys with E2BIG but still replaces existing ones', () => {
      const { m } = setup(2);
      m.update(u32(1), u32(1), 0n);
      m.update(u32(2), u32(2), 0n);
      expect(E(() => m.update(u32(3), u32(3), 0n))).toBe('E2BIG');
      expect(m.updateElem(u32(3), u32(3), 0n)).toBe(-7);
      for (let i = 0; i < 10; i++) m.update(u32(2), u32(100 + i), 0n);
      expect(readU32(m.lookup(u32(2), 0n))).toBe(109);
      m.delete(u32(1));
      m.update(u32(3), u32(3), 0n);
      expect(m.count).toBe(2);
    });

    it('lookup / delete of a missing key: ENOENT', () => {
      const { m } = setup();
      expect(E(() => m.lookup(u32(9), 0n))).toBe('ENOENT');
      expect(E(() => m.delete(u32(9)))).toBe('ENOENT');
      expect(m.deleteElem(u32(9))).toBe(-2);
      expect(m.lookupElem(u32(9))).toBe(0n);
    });

    it('get_next_key: NULL or a missing key gives the first key, each key once, then ENOENT', () => {
      const { m } = setup(8);
      expect(E(() => m.getNextKey(null))).toBe('ENOENT');
      for (const k of [5, 3, 9, 1]) m.update(u32(k), u32(k), 0n);
      expect(allKeys(m).sort()).toEqual([1, 3, 5, 9]);
      const first = readU32(m.getNextKey(null));
      expect(readU32(m.getNextKey(u32(1234)))).toBe(first);
      // Updating values while iterating neither skips nor repeats keys.
      const seen: number[] = [];
      let k: Uint8Array | null = null;
      for (let i = 0; i < 4; i++) {
        k = m.getNextKey(k);
        seen.push(readU32(k));
        m.update(k, u32(99), 0n);
      }
      expect(E(() => m.getNextKey(k))).toBe('ENOENT');
      expect(seen.sort()).toEqual([1, 3, 5, 9]);
    });

    it('a value keeps its address while the element lives; replacing or deleting ends the element', () => {
      const { env, m } = setup(4, 8);
      m.update(u32(1), bytes(1, 1, 1, 1, 1, 1, 1, 1), 0n);
      const a = m.lookupElem(u32(1));
      expect(a >> 63n).toBe(1n);
      m.update(u32(2), new Uint8Array(8), 0n);
      m.delete(u32(2));
      // Other elements coming and going do not move it; writes through it are the element's.
      expect(m.lookupElem(u32(1))).toBe(a);
      poke(env, a, bytes(7, 7, 7, 7, 7, 7, 7, 7));
      expect(m.lookup(u32(1), 0n)).toEqual(new Uint8Array(8).fill(7));
      // An update builds a new element (htab_map_update_elem): the old pointer reads the old value.
      m.update(u32(1), new Uint8Array(8).fill(2), 0n);
      const b = m.lookupElem(u32(1));
      expect(b).not.toBe(a);
      expect(peek(env, a, 8)).toEqual(new Uint8Array(8).fill(7));
      expect(peek(env, b, 8)).toEqual(new Uint8Array(8).fill(2));
    });

    it('a deleted element\'s memory is not reused while other free slots remain', () => {
      const max = 6;
      const { m } = setup(max, 8);
      const freed = new Set<bigint>();
      m.update(u32(0), new Uint8Array(8), 0n);
      freed.add(m.lookupElem(u32(0)));
      m.delete(u32(0));
      // Fill the map: no new element gets the freed address while never-used or older slots exist.
      const live: bigint[] = [];
      for (let k = 1; k <= max; k++) {
        m.update(u32(k), new Uint8Array(8), 0n);
        live.push(m.lookupElem(u32(k)));
      }
      expect(new Set(live).size).toBe(max);
      if (prealloc) for (const a of live) expect(freed.has(a)).toBe(false);
    });

    it('free releases the pool regions and every charged byte', () => {
      const { env, m } = setup(64, 16);
      for (let k = 0; k < 64; k++) m.update(u32(k), new Uint8Array(16), 0n);
      const a = m.lookupElem(u32(3));
      const regions = env.space.live().length;
      expect(regions).toBeLessThanOrEqual(prealloc ? 2 : 5);
      m.free();
      expect(env.space.live()).toHaveLength(0);
      expect(env.used).toBe(0);
      expect(env.space.resolve(a, 1)).toBeNull();
    });

    it('BPF_F_RDONLY_PROG applies to element memory', () => {
      const env = testEnv();
      const m = make(env, { mapType: T.BPF_MAP_TYPE_HASH, maxEntries: 2, mapFlags: 128 | (prealloc ? 0 : 1) });
      m.update(u32(1), u32(1), 0n);
      const a = m.lookupElem(u32(1));
      expect(env.space.resolve(a, 4, PERM_R)).not.toBeNull();
      expect(env.space.resolve(a, 4, PERM_W)).toBeNull();
    });

    it('a big map uses few regions', () => {
      const env = testEnv();
      const m = make(env, { mapType: T.BPF_MAP_TYPE_HASH, maxEntries: 100_000, valueSize: 8, mapFlags: prealloc ? 0 : 1 });
      for (let k = 0; k < 20_000; k++) m.update(u32(k), new Uint8Array(8), 0n);
      // Object + pool: one region preallocated; log2(20000 / 16) + 1 doubling chunks on demand.
      expect(env.space.live().length).toBeLessThanOrEqual(prealloc ? 2 : 14);
      expect(m.count).toBe(20_000);
    });

    it('lookup_and_delete returns the value and removes the key', () => {
      const { m } = setup();
      m.update(u32(4), u32(44), 0n);
      expect(readU32(m.lookupAndDelete(u32(4), 0n))).toBe(44);
      expect(E(() => m.lookupAndDelete(u32(4), 0n))).toBe('ENOENT');
    });
  });
}

describe('BPF_F_NO_PREALLOC memory', () => {
  it('is charged as elements are added, and an allocation beyond the limit is ENOMEM', () => {
    const env = testEnv({ limit: 300_000 });
    const m = make(env, { mapType: T.BPF_MAP_TYPE_HASH, maxEntries: 10_000, valueSize: 64, mapFlags: 1 });
    const afterCreate = env.used;
    m.update(u32(0), new Uint8Array(64), 0n);
    expect(env.used).toBeGreaterThan(afterCreate);
    let k = 1;
    let err = '';
    for (; k < 10_000; k++) {
      try {
        m.update(u32(k), new Uint8Array(64), 0n);
      } catch (e) {
        err = errnoName(errnoOf(() => { throw e; }));
        break;
      }
    }
    expect(err).toBe('ENOMEM');
    expect(m.count).toBe(k);
    // The failed update changed nothing: same regions, same charge.
    const used = env.used, live = liveSlots(env.space);
    expect(E(() => m.update(u32(k), new Uint8Array(64), 0n))).toBe('ENOMEM');
    expect([env.used, liveSlots(env.space)]).toEqual([used, live]);
    expect(m.updateElem(u32(k), new Uint8Array(64), 0n)).toBe(-12);
    // Existing elements are unaffected.
    expect(m.lookup(u32(0), 0n)).toEqual(new Uint8Array(64));
  });
});

describe('BPF_F_NO_PREALLOC growth when the region table is full', () => {
  it('is ENOMEM and charges nothing', () => {
    const env = testEnv();
    const m = make(env, { mapType: T.BPF_MAP_TYPE_HASH, maxEntries: 100, mapFlags: 1 });
    const fillers = [];
    for (let i = env.space.live().length; i < 65535; i++) fillers.push(env.space.map(new Uint8Array(0), { kind: 'user' }));
    const used = env.used;
    expect(E(() => m.update(u32(1), u32(1), 0n))).toBe('ENOMEM');
    expect(env.used).toBe(used);
    env.space.unmap(fillers[0]);
    m.update(u32(1), u32(1), 0n);
    expect(m.count).toBe(1);
  });
});

describe('BPF_MAP_TYPE_PERCPU_HASH', () => {
  const setup = () => {
    const env = testEnv({ nrCpus: 2 });
    const m = make(env, { mapType: T.BPF_MAP_TYPE_PERCPU_HASH, maxEntries: 2, valueSize: 4 });
    return { env, m };
  };

  it('syscall side: every CPU\'s padded copy; updates are in place', () => {
    const { env, m } = setup();
    expect(m.syscallValueSize).toBe(16);
    const v = bytes(1, 1, 1, 1, 0xa, 0xa, 0xa, 0xa, 2, 2, 2, 2, 0xb, 0xb, 0xb, 0xb);
    m.update(u32(1), v, 0n);
    expect(m.lookup(u32(1), 0n)).toEqual(v);
    env.cpu = 1;
    const a = m.lookupElem(u32(1));
    expect(peek(env, a, 4)).toEqual(bytes(2, 2, 2, 2));
    m.update(u32(1), new Uint8Array(16).fill(3), 0n);
    expect(m.lookupElem(u32(1))).toBe(a);
    expect(peek(env, a, 4)).toEqual(bytes(3, 3, 3, 3));
    expect(E(() => m.update(u32(1), v, 1n))).toBe('EEXIST');
    expect(E(() => m.update(u32(1), v, 4n))).toBe('EINVAL');
  });

  it('a program\'s new element: its CPU gets the value, the other copies start zeroed', () => {
    const { env, m } = setup();
    m.update(u32(1), new Uint8Array(16).fill(0xee), 0n);
    m.delete(u32(1));
    env.cpu = 1;
    expect(m.updateElem(u32(2), u32(0x01020304), 0n)).toBe(0);
    const all = m.lookup(u32(2), 0n);
    expect(readU32(all, 8)).toBe(0x01020304);
    expect(all.subarray(0, 8)).toEqual(new Uint8Array(8));
    // An existing element: only the program's CPU copy changes.
    env.cpu = 0;
    expect(m.updateElem(u32(2), u32(7), 0n)).toBe(0);
    expect(readU32(m.lookup(u32(2), 0n), 0)).toBe(7);
    expect(readU32(m.lookup(u32(2), 0n), 8)).toBe(0x01020304);
    expect(m.lookupPercpuElem(u32(2), 1)).not.toBe(m.lookupPercpuElem(u32(2), 0));
    expect(m.lookupPercpuElem(u32(3), 1)).toBe(0n);
  });

  it('is full at max_entries (no spare elements: updates are in place)', () => {
    const { m } = setup();
    m.update(u32(1), new Uint8Array(16), 0n);
    m.update(u32(2), new Uint8Array(16), 0n);
    expect(E(() => m.update(u32(3), new Uint8Array(16), 0n))).toBe('E2BIG');
    expect(E(() => m.computeHash())).toBe('EINVAL');
  });
});
