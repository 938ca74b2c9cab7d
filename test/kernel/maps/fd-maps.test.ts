import { describe, expect, it } from 'vitest';
import { errnoName } from '../../../src/errno.js';
import { expectKind, mapOfObjectAddress } from '../../../src/kernel/maps/index.js';
import { FD_SCENARIOS } from './scenarios.js';
import { ModelRunner } from './script.js';
import { T, errnoOf, make, mapRef, progRef, readU32, testEnv, u32 } from './support.js';

const E = (f: () => unknown) => errnoName(errnoOf(f));

describe('fd map scenarios (results observed on Linux 6.18)', () => {
  for (const s of FD_SCENARIOS) {
    it(s.name, () => {
      const got = new ModelRunner(testEnv()).run(s.ops).map((r) => (r.ok ? 0 : r.errno));
      const diffs = s.ops.map((_, i) => i).filter((i) => got[i] !== s.expect[i])
        .map((i) => `step ${i} (${JSON.stringify(s.ops[i], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v))}): expected ${errnoName(s.expect[i])}, got ${errnoName(got[i])}`);
      expect(diffs).toEqual([]);
    });
  }
});

describe('BPF_MAP_TYPE_PROG_ARRAY', () => {
  it('holds one reference per occupied slot; replacing, deleting and releaseUref drop them', () => {
    const env = testEnv();
    const pa = expectKind(make(env, { mapType: T.BPF_MAP_TYPE_PROG_ARRAY, maxEntries: 4 }), 'prog_array');
    const p1 = progRef(11), p2 = progRef(12);
    pa.updateFd(u32(0), p1, 0n);
    pa.updateFd(u32(1), p1, 0n);
    expect(p1.refs).toBe(2);
    pa.updateFd(u32(1), p2, 0n);
    expect([p1.refs, p2.refs]).toEqual([1, 1]);
    expect(pa.progAt(1)?.id).toBe(12);
    expect(pa.progAt(2)).toBeNull();
    expect(pa.progAt(4)).toBeNull();
    expect(pa.progAt(-1)).toBeNull();
    expect(pa.lookupFdId(u32(1))).toBe(12);
    expect(readU32(pa.lookup(u32(0), 0n))).toBe(11);
    expect(pa.count).toBe(2);
    pa.releaseUref();
    expect([p1.refs, p2.refs]).toEqual([0, 0]);
    expect(pa.progAt(0)).toBeNull();
    pa.updateFd(u32(3), p2, 0n);
    pa.free();
    expect(p2.refs).toBe(0);
    expect(env.used).toBe(0);
  });

  it('a failed update takes no reference and changes nothing', () => {
    const env = testEnv();
    const pa = expectKind(make(env, { mapType: T.BPF_MAP_TYPE_PROG_ARRAY, maxEntries: 2 }), 'prog_array');
    const xdp = progRef(1, 6), sk = progRef(2, 1), ext = progRef(3, 28);
    pa.updateFd(u32(0), xdp, 0n);
    expect(E(() => pa.updateFd(u32(1), sk, 0n))).toBe('EINVAL');
    expect(E(() => pa.updateFd(u32(1), ext, 0n))).toBe('EINVAL');
    expect(E(() => pa.updateFd(u32(2), xdp, 0n))).toBe('E2BIG');
    expect([xdp.refs, sk.refs, ext.refs]).toEqual([1, 0, 0]);
    expect(pa.progAt(1)).toBeNull();
  });

  it('the owner is also fixed by a program load that uses the map (progCompatible)', () => {
    const pa = expectKind(make(testEnv(), { mapType: T.BPF_MAP_TYPE_PROG_ARRAY, maxEntries: 2 }), 'prog_array');
    expect(pa.progCompatible({ progType: 2, expectedAttachType: 0 })).toBe(true);
    expect(pa.progCompatible({ progType: 2, expectedAttachType: 0 })).toBe(true);
    expect(pa.progCompatible({ progType: 1, expectedAttachType: 0 })).toBe(false);
    expect(E(() => pa.updateFd(u32(0), progRef(5, 1), 0n))).toBe('EINVAL');
  });

  it('programs cannot read or write it as data', () => {
    const pa = make(testEnv(), { mapType: T.BPF_MAP_TYPE_PROG_ARRAY, maxEntries: 2 });
    expect(pa.isFdMap).toBe(true);
    expect(pa.syscallValueSize).toBe(4);
    expect(pa.lookupElem(u32(0))).toBe(0n);
    expect(pa.updateElem(u32(0), u32(3), 0n)).toBe(-95);
    expect(E(() => pa.update(u32(0), u32(3), 0n))).toBe('EINVAL');
    expect(E(() => pa.computeHash())).toBe('EINVAL');
  });
});

describe('map-in-map', () => {
  it('a program lookup returns the inner map object, usable as a map pointer', () => {
    const env = testEnv();
    const tmpl = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY, valueSize: 8, maxEntries: 4 });
    const inner = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY, valueSize: 8, maxEntries: 4 });
    for (const type of [T.BPF_MAP_TYPE_ARRAY_OF_MAPS, T.BPF_MAP_TYPE_HASH_OF_MAPS]) {
      const outer = make(env, { mapType: type, maxEntries: 4, innerMap: tmpl });
      expect(outer.innerMapMeta).toEqual({ mapType: T.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: 0 });
      const r = mapRef(40, inner);
      outer.updateFd!(u32(2), r, 0n);
      expect(r.refs).toBe(1);
      const p = outer.lookupElem(u32(2));
      expect(p).toBe(inner.object.base);
      expect(mapOfObjectAddress(env.space, p)).toBe(inner);
      expect(outer.lookupElem(u32(1))).toBe(0n);
      const mim = expectKind(outer, type === T.BPF_MAP_TYPE_ARRAY_OF_MAPS ? 'array_of_maps' : 'hash_of_maps');
      expect(mim.innerMapAt(u32(2))).toBe(inner);
      expect(readU32(outer.lookup(u32(2), 0n))).toBe(40);
      outer.free();
      expect(r.refs).toBe(0);
    }
  });

  it('the template is copied at creation: freeing it later changes nothing', () => {
    const env = testEnv();
    const tmpl = make(env, { mapType: T.BPF_MAP_TYPE_HASH, maxEntries: 4 });
    const outer = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY_OF_MAPS, maxEntries: 1, innerMap: tmpl });
    tmpl.free();
    const other = make(env, { mapType: T.BPF_MAP_TYPE_HASH, maxEntries: 100 });
    outer.updateFd!(u32(0), mapRef(1, other), 0n);
    expect(outer.count).toBe(1);
  });

  it('a null template for a map-in-map type is EBADF', () => {
    expect(E(() => make(testEnv(), { mapType: T.BPF_MAP_TYPE_HASH_OF_MAPS, innerMap: null }))).toBe('EBADF');
  });

  it('replacing an inner map releases the old one; deleting releases too', () => {
    const env = testEnv();
    const tmpl = make(env, { mapType: T.BPF_MAP_TYPE_ARRAY });
    const hom = make(env, { mapType: T.BPF_MAP_TYPE_HASH_OF_MAPS, maxEntries: 2, innerMap: tmpl });
    const a = mapRef(1, make(env, { mapType: T.BPF_MAP_TYPE_ARRAY }));
    const b = mapRef(2, make(env, { mapType: T.BPF_MAP_TYPE_ARRAY }));
    hom.updateFd!(u32(1), a, 0n);
    hom.updateFd!(u32(1), b, 0n);
    expect([a.refs, b.refs]).toEqual([0, 1]);
    // An update that fails takes nothing.
    expect(E(() => hom.updateFd!(u32(1), a, 1n))).toBe('EEXIST');
    expect(a.refs).toBe(0);
    hom.delete(u32(1));
    expect(b.refs).toBe(0);
  });
});
