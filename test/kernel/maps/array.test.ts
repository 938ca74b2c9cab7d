import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { errnoName } from '../../../src/errno.js';
import { PERM_R, PERM_W } from '../../../src/interpreter/memory.js';
import { expectKind } from '../../../src/kernel/maps/index.js';
import { T, bytes, errnoOf, make, peek, poke, readU32, testEnv, u32 } from './support.js';

const E = (f: () => unknown) => errnoName(errnoOf(f));

describe('BPF_MAP_TYPE_ARRAY', () => {
  const setup = (valueSize = 12, maxEntries = 2, mapFlags = 0) => {
    const env = testEnv();
    const m = expectKind(make(env, { mapType: T.BPF_MAP_TYPE_ARRAY, valueSize, maxEntries, mapFlags }), 'array');
    return { env, m };
  };

  it('starts zeroed; lookup returns value_size bytes; update writes them', () => {
    const { m } = setup();
    expect(m.lookup(u32(1), 0n)).toEqual(new Uint8Array(12));
    const v = bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    m.update(u32(0), v, 0n);
    expect(m.lookup(u32(0), 0n)).toEqual(v);
    m.update(u32(0), v.map((x) => x + 1), 2n); // BPF_EXIST: every element exists
    expect(m.lookup(u32(0), 0n)[0]).toBe(2);
  });

  it('update errnos in Linux order: flags, index (E2BIG), BPF_NOEXIST (EEXIST), BPF_F_LOCK', () => {
    const { m } = setup();
    const v = new Uint8Array(12);
    expect(E(() => m.update(u32(0), v, 1n))).toBe('EEXIST');
    expect(E(() => m.update(u32(0), v, 3n))).toBe('EINVAL');
    expect(E(() => m.update(u32(0), v, 4n))).toBe('EINVAL');
    expect(E(() => m.update(u32(0), v, 8n))).toBe('EINVAL');
    expect(E(() => m.update(u32(2), v, 0n))).toBe('E2BIG');
    expect(E(() => m.update(u32(2), v, 1n))).toBe('E2BIG');
    expect(E(() => m.update(u32(2), v, 5n))).toBe('EINVAL');
    // The same from a program.
    expect(m.updateElem(u32(0), v, 1n)).toBe(-17);
    expect(m.updateElem(u32(2), v, 0n)).toBe(-7);
    expect(m.updateElem(u32(0), v, 4n)).toBe(-22);
    expect(m.updateElem(u32(9), v, 4n)).toBe(-7);
  });

  it('lookup flags: only BPF_F_LOCK exists, and no value here has a spin lock', () => {
    const { m } = setup();
    expect(E(() => m.lookup(u32(0), 1n))).toBe('EINVAL');
    expect(E(() => m.lookup(u32(0), 4n))).toBe('EINVAL');
    expect(E(() => m.lookup(u32(2), 0n))).toBe('ENOENT');
  });

  it('elements cannot be deleted (EINVAL, any index)', () => {
    const { m } = setup();
    expect(E(() => m.delete(u32(0)))).toBe('EINVAL');
    expect(E(() => m.delete(u32(5)))).toBe('EINVAL');
    expect(m.deleteElem(u32(0))).toBe(-22);
  });

  it('get_next_key walks indexes: NULL or out of range -> 0, last -> ENOENT', () => {
    const { m } = setup(4, 3);
    expect(readU32(m.getNextKey(null))).toBe(0);
    expect(readU32(m.getNextKey(u32(0)))).toBe(1);
    expect(readU32(m.getNextKey(u32(1)))).toBe(2);
    expect(E(() => m.getNextKey(u32(2)))).toBe('ENOENT');
    expect(readU32(m.getNextKey(u32(77)))).toBe(0);
  });

  it('values sit at fixed addresses round_up(value_size, 8) apart, shared by both sides', () => {
    const { env, m } = setup(12, 3);
    const a0 = m.lookupElem(u32(0));
    const a2 = m.lookupElem(u32(2));
    expect(a2 - a0).toBe(32n);
    expect(a0 >> 63n).toBe(1n); // a kernel address: negative as s64 (signing.md §5.6)
    expect(m.lookupElem(u32(3))).toBe(0n);
    expect(m.lookupElem(bytes(1, 2))).toBe(0n);
    // A program writes through the pointer; the syscall side sees it, and vice versa.
    poke(env, a2 + 4n, bytes(0xaa, 0xbb));
    expect(m.lookup(u32(2), 0n).subarray(4, 6)).toEqual(bytes(0xaa, 0xbb));
    m.update(u32(2), new Uint8Array(12).fill(7), 0n);
    expect(m.lookupElem(u32(2))).toBe(a2);
    expect(peek(env, a2, 12)).toEqual(new Uint8Array(12).fill(7));
    expect(m.elemAddress(1)).toBe(a0 + 16n);
  });

  it('a program update copies value_size bytes and leaves the padding alone', () => {
    const { env, m } = setup(4, 1);
    const a = m.lookupElem(u32(0));
    poke(env, a + 4n, bytes(9, 9, 9, 9));
    expect(m.updateElem(u32(0), bytes(1, 2, 3, 4, 5, 6, 7, 8), 0n)).toBe(0);
    expect(peek(env, a, 8)).toEqual(bytes(1, 2, 3, 4, 9, 9, 9, 9));
  });

  it('direct value access: max_entries 1 only (else ENOTSUPP), offset below value_size (else EINVAL)', () => {
    const one = setup(16, 1).m;
    expect(one.directValueAddr(15)).toBe(one.valueArea.base);
    expect(E(() => one.directValueAddr(16))).toBe('EINVAL');
    expect(E(() => setup(16, 2).m.directValueAddr(0))).toBe('ENOTSUPP');
  });

  it('BPF_F_RDONLY_PROG makes the value area read-only for programs, BPF_F_WRONLY_PROG write-only', () => {
    const ro = setup(8, 1, 128);
    const a = ro.m.lookupElem(u32(0));
    expect(ro.env.space.resolve(a, 8, PERM_R)).not.toBeNull();
    expect(ro.env.space.resolve(a, 8, PERM_W)).toBeNull();
    // The syscall side still writes (the kernel, not the program).
    ro.m.update(u32(0), new Uint8Array(8).fill(5), 0n);
    expect(peek(ro.env, a, 1)[0]).toBe(5);
    const wo = setup(8, 1, 256);
    const b = wo.m.lookupElem(u32(0));
    expect(wo.env.space.resolve(b, 8, PERM_R)).toBeNull();
    expect(wo.env.space.resolve(b, 8, PERM_W)).not.toBeNull();
  });

  it('BPF_F_MMAPABLE: the value area is page-aligned in length', () => {
    const { m } = setup(12, 3, 1024);
    expect(m.mmapable).toBe(true);
    expect(m.valueArea.bytes.length).toBe(4096);
    expect(setup(12, 3).m.valueArea.bytes.length).toBe(48);
  });

  it('map hash: SHA-256 over round_up(value_size, 8) x max_entries bytes, padding included, cached in sha[0..32]', () => {
    const { env, m } = setup(12, 2);
    m.update(u32(0), bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 0n);
    m.update(u32(1), new Uint8Array(12).fill(0xff), 0n);
    const expected = new Uint8Array(32);
    expected.set(bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 0);
    expected.fill(0xff, 16, 28);
    const digest = sha256(expected);
    expect(peek(env, m.object.base, 32)).toEqual(new Uint8Array(32)); // zero until requested
    expect(m.computeHash()).toEqual(digest);
    expect(peek(env, m.object.base, 32)).toEqual(digest);
    // Not recomputed when the content changes (signing.md §4.5).
    m.update(u32(0), new Uint8Array(12), 0n);
    expect(peek(env, m.object.base, 32)).toEqual(digest);
  });

  it('the struct bpf_map object: read-only for programs, excl flag at offset 32', () => {
    const { env, m } = setup();
    expect(env.space.resolve(m.object.base, 32, PERM_R)).not.toBeNull();
    expect(env.space.resolve(m.object.base, 8, PERM_W)).toBeNull();
    expect(m.exclusive).toBe(false);
    m.setExclusive();
    expect(m.exclusive).toBe(true);
    expect(readU32(peek(env, m.object.base + 32n, 4))).toBe(1);
  });

  it('free unmaps everything: old addresses stop translating', () => {
    const { env, m } = setup();
    const a = m.lookupElem(u32(0));
    const o = m.object.base;
    m.free();
    expect(env.space.resolve(a, 1)).toBeNull();
    expect(env.space.resolve(o, 1)).toBeNull();
    expect(env.used).toBe(0);
  });
});

describe('BPF_MAP_TYPE_PERCPU_ARRAY', () => {
  const setup = (valueSize = 4, maxEntries = 2) => {
    const env = testEnv({ nrCpus: 3 });
    const m = make(env, { mapType: T.BPF_MAP_TYPE_PERCPU_ARRAY, valueSize, maxEntries });
    return { env, m };
  };

  it('syscall side moves every CPU\'s copy, padded to 8 bytes, padding included', () => {
    const { m } = setup();
    expect(m.syscallValueSize).toBe(24);
    const v = bytes(1, 1, 1, 1, 0xa, 0xa, 0xa, 0xa, 2, 2, 2, 2, 0xb, 0xb, 0xb, 0xb, 3, 3, 3, 3, 0xc, 0xc, 0xc, 0xc);
    m.update(u32(1), v, 0n);
    expect(m.lookup(u32(1), 0n)).toEqual(v);
    expect(m.lookup(u32(0), 0n)).toEqual(new Uint8Array(24));
    expect(E(() => m.update(u32(1), v, 1n))).toBe('EEXIST');
    expect(E(() => m.update(u32(2), v, 0n))).toBe('E2BIG');
    expect(E(() => m.update(u32(0), v, 3n))).toBe('EINVAL');
    expect(E(() => m.lookup(u32(2), 0n))).toBe('ENOENT');
    expect(E(() => m.delete(u32(1)))).toBe('EINVAL');
  });

  it('programs see the current CPU\'s copy; bpf_map_lookup_percpu_elem any CPU\'s', () => {
    const { env, m } = setup();
    const copies = [0, 1, 2].map((c) => {
      env.cpu = c;
      return m.lookupElem(u32(1));
    });
    expect(new Set(copies).size).toBe(3);
    env.cpu = 1;
    expect(m.updateElem(u32(1), u32(0x11223344), 0n)).toBe(0);
    expect(peek(env, copies[1], 4)).toEqual(u32(0x11223344));
    expect(peek(env, copies[0], 4)).toEqual(u32(0));
    expect(m.lookupPercpuElem(u32(1), 2)).toBe(copies[2]);
    expect(m.lookupPercpuElem(u32(1), 3)).toBe(0n);
    expect(readU32(m.lookup(u32(1), 0n), 8)).toBe(0x11223344);
    expect(E(() => m.computeHash())).toBe('EINVAL');
  });
});
