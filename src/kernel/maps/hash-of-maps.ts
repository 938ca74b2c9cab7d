/**
 * BPF_MAP_TYPE_HASH_OF_MAPS (kernel/bpf/hashtab.c): a hash table whose values are maps matching
 * the inner template. Unlike the fd arrays, an update resolves and checks the fd first
 * (bpf_fd_htab_map_update_elem), then applies the hash table's flags: BPF_NOEXIST / BPF_EXIST
 * work, a full map is E2BIG, and an existing key's inner map is replaced in place.
 */
import { KernelError } from '../../errno.js';
import { BPF_EXIST, BPF_F_NO_PREALLOC, BPF_NOEXIST } from '../uapi.js';
import { MapBase, checkLen, checkLookupFlags, errno, u32Bytes } from './common.js';
import { resolveRef } from './fd-array.js';
import { HashIndex } from './htab-index.js';
import { htabGeometry, htabMapAllocCheck, type HtabGeometry } from './htab.js';
import { bpfMapMetaAlloc, checkInnerMap } from './map-in-map.js';
import type { MapResources } from './resources.js';
import {
  ROOT_MAP_CAPS, type BpfMap, type MapCreateAttrs, type MapInMap, type MapMeta, type MapRef, type ObjectRefSource,
} from './types.js';

/** fd_htab_map_alloc_check. */
export function fdHtabMapAllocCheck(a: MapCreateAttrs, caps = ROOT_MAP_CAPS): void {
  if (a.valueSize !== 4) throw new KernelError('EINVAL', 'fd maps have value_size 4');
  htabMapAllocCheck(a, caps);
}

class HashOfMapsImpl extends MapBase implements MapInMap {
  readonly kind = 'hash_of_maps' as const;
  readonly valueArea = null;
  readonly syscallValueSize = 4;
  private readonly index = new HashIndex();
  private readonly refs = new Map<number, MapRef>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly prealloc: boolean;

  constructor(res: MapResources, attrs: MapCreateAttrs, private readonly meta: MapMeta, private readonly geo: HtabGeometry) {
    super(res, attrs, geo.maxEntries);
    this.prealloc = (attrs.mapFlags & BPF_F_NO_PREALLOC) === 0;
  }

  override get innerMapMeta(): MapMeta {
    return this.meta;
  }

  override get isFdMap(): boolean {
    return true;
  }

  get count(): number {
    return this.index.size;
  }

  updateFd(key: Uint8Array, src: ObjectRefSource, flags: bigint): void {
    checkLen('key', key, this.keySize);
    // map_fd_get_ptr first: a bad fd or a mismatching map wins over the table's own errors.
    const ref = resolveRef(src);
    if (ref.kind !== 'map') throw new KernelError('EINVAL', 'not a map');
    checkInnerMap(this.innerMapMeta, ref.map);
    // htab_map_update_elem_in_place
    if (flags > BigInt(BPF_EXIST)) throw new KernelError('EINVAL', 'unknown update flags');
    const old = this.index.find(key);
    if (old >= 0 && flags === BigInt(BPF_NOEXIST)) throw new KernelError('EEXIST');
    if (old < 0 && flags === BigInt(BPF_EXIST)) throw new KernelError('ENOENT');
    if (old >= 0) {
      ref.retain();
      const prev = this.refs.get(old)!;
      this.refs.set(old, ref);
      prev.release();
      return;
    }
    if (this.index.size >= this.maxEntries) throw new KernelError('E2BIG');
    // Without preallocation each element is charged when it is allocated.
    if (!this.prealloc) this.res.charge(this.geo.perElemCost);
    const slot = this.freeSlots.pop() ?? this.nextSlot++;
    ref.retain();
    this.refs.set(slot, ref);
    this.index.insert(key, slot);
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: bigint): void {
    throw new KernelError('EINVAL', 'fd maps are updated with updateFd (the kernel resolves the fd)');
  }

  lookupFdId(key: Uint8Array): number {
    checkLen('key', key, this.keySize);
    const s = this.index.find(key);
    if (s < 0) throw new KernelError('ENOENT');
    return this.refs.get(s)!.id;
  }

  lookup(key: Uint8Array, flags: bigint): Uint8Array {
    checkLookupFlags(flags);
    return u32Bytes(this.lookupFdId(key));
  }

  delete(key: Uint8Array): void {
    checkLen('key', key, this.keySize);
    const s = this.index.find(key);
    if (s < 0) throw new KernelError('ENOENT');
    this.index.remove(s);
    const ref = this.refs.get(s)!;
    this.refs.delete(s);
    this.freeSlots.push(s);
    if (!this.prealloc) this.res.uncharge(this.geo.perElemCost);
    ref.release();
  }

  getNextKey(key: Uint8Array | null): Uint8Array {
    if (key !== null) checkLen('key', key, this.keySize);
    const next = this.index.keyAfter(key);
    if (next === null) throw new KernelError('ENOENT');
    return next;
  }

  innerMapAt(key: Uint8Array): BpfMap | null {
    if (key.length !== this.keySize) return null;
    const s = this.index.find(key);
    return s < 0 ? null : this.refs.get(s)!.map;
  }

  lookupElem(key: Uint8Array): bigint {
    const m = this.innerMapAt(key);
    return m ? m.object.base : 0n;
  }

  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: bigint): number {
    return errno('EOPNOTSUPP');
  }

  deleteElem(_key: Uint8Array): number {
    return errno('EOPNOTSUPP');
  }

  protected override releaseRefs(): void {
    const refs = [...this.refs.values()];
    this.refs.clear();
    for (const r of refs) r.release();
  }
}

export function createHashOfMaps(res: MapResources, attrs: MapCreateAttrs): MapInMap {
  // htab_of_map_alloc: the template first, then the table.
  const meta = bpfMapMetaAlloc(attrs.innerMap);
  const geo = htabGeometry(attrs, res.env.nrCpus);
  res.charge(geo.tableCost);
  if ((attrs.mapFlags & BPF_F_NO_PREALLOC) === 0) res.charge(geo.maxEntries * geo.perElemCost);
  return new HashOfMapsImpl(res, attrs, meta, geo);
}
