/**
 * BPF_MAP_TYPE_LRU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH (kernel/bpf/hashtab.c over the LRU lists
 * of lru.ts). Always preallocated: max_entries elements (rounded up to a multiple of the CPU count
 * with BPF_F_NO_COMMON_LRU).
 *
 * Linux's order inside an update matters and is kept: htab_lru_map_update_elem takes a free node
 * *before* it looks at the key, so an update that then fails (BPF_NOEXIST on an existing key) may
 * still have evicted elements; a replaced LRU_HASH element moves to a new node that starts
 * referenced, and the old node is freed. LRU_PERCPU_HASH updates existing elements in place (and
 * BPF_EXIST skips taking a node). Lookups from programs set the reference bit; syscall lookups do
 * not (htab_lru_map_lookup_elem_sys).
 *
 * Addresses: an element's value lives in its node's slot from insertion until the element is
 * deleted, replaced or evicted. The node then goes back to the LRU's free lists and may serve the
 * very next insertion (Linux's list order decides; unlike the other hash pools there is no FIFO
 * quarantine), so a pointer kept past that point may alias a new element, as in Linux.
 */
import { PERM_RW } from '../../interpreter/memory.js';
import { BPF_EXIST, BPF_F_NO_COMMON_LRU, BPF_NOEXIST } from '../uapi.js';
import { badLen, errno, progPerm } from './common.js';
import { HtabBase, htabGeometry, type HtabGeometry } from './htab.js';
import { PERCPU_FREE_TARGET } from './constants.js';
import { BpfLru } from './lru.js';
import { ValueSlab } from './pool.js';
import type { MapResources } from './resources.js';
import type { LruHashMap, MapCreateAttrs } from './types.js';

class LruHashMapImpl extends HtabBase implements LruHashMap {
  readonly kind: 'lru_hash' | 'lru_percpu_hash';
  protected readonly slab: ValueSlab;
  readonly lru: BpfLru;

  constructor(res: MapResources, attrs: MapCreateAttrs, geo: HtabGeometry) {
    super(res, attrs, geo.maxEntries);
    this.kind = this.percpu ? 'lru_percpu_hash' : 'lru_hash';
    this.slab = new ValueSlab(res, {
      slotBytes: this.percpu ? this.valueStride * this.nrCpus : this.valueStride,
      capacity: geo.maxEntries,
      prealloc: true,
      chargePerSlot: geo.perElemCost,
      perm: progPerm(attrs.mapFlags, PERM_RW),
      name: `map ${attrs.name || this.kind} elements`,
      owner: this,
    });
    // htab_lru_map_delete_node: eviction unlinks the element from the table.
    this.lru = new BpfLru(geo.maxEntries, this.nrCpus, (attrs.mapFlags & BPF_F_NO_COMMON_LRU) !== 0,
      (node) => this.index.remove(node));
  }

  get targetFree(): number {
    return this.lru.percpu ? PERCPU_FREE_TARGET : this.lru.targetFree;
  }

  private cpu(): number {
    return this.env.currentCpu();
  }

  protected upsert(key: Uint8Array, value: Uint8Array, flags: bigint, onAllCpus: boolean): number {
    // Neither LRU update accepts BPF_F_LOCK: anything above BPF_EXIST is unknown.
    if (flags > BigInt(BPF_EXIST)) return errno('EINVAL');
    return this.percpu ? this.upsertPercpu(key, value, flags, onAllCpus) : this.upsertPlain(key, value, flags);
  }

  /** htab_lru_map_update_elem. */
  private upsertPlain(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    const node = this.lru.popFree(this.cpu());
    if (node < 0) return errno('ENOMEM');
    this.writeValue(node, value, false, true);
    const old = this.index.find(key);
    const err = checkFlags(old, flags);
    if (err) {
      this.lru.pushFree(node);
      return err;
    }
    if (old >= 0) {
      this.lru.setRef(node);
      this.index.replace(old, node);
      this.lru.pushFree(old);
    } else {
      this.index.insert(key, node);
    }
    return 0;
  }

  /** __htab_lru_percpu_map_update_elem. */
  private upsertPercpu(key: Uint8Array, value: Uint8Array, flags: bigint, onAllCpus: boolean): number {
    let node = -1;
    if (flags !== BigInt(BPF_EXIST)) {
      node = this.lru.popFree(this.cpu());
      if (node < 0) return errno('ENOMEM');
    }
    const old = this.index.find(key);
    const err = checkFlags(old, flags);
    if (!err) {
      if (old >= 0) {
        this.lru.setRef(old);
        this.writeValue(old, value, onAllCpus, false);
      } else {
        this.writeValue(node, value, onAllCpus, true);
        this.index.insert(key, node);
        node = -1;
      }
    }
    if (node >= 0) this.lru.pushFree(node);
    return err;
  }

  lookupElem(key: Uint8Array): bigint {
    if (badLen(key, this.keySize)) return 0n;
    const s = this.index.find(key);
    if (s < 0) return 0n;
    this.lru.setRef(s);
    return this.valueAddress(s, this.cpu());
  }

  override lookupPercpuElem(key: Uint8Array, cpu: number): bigint {
    const a = super.lookupPercpuElem(key, cpu);
    if (a !== 0n) this.lru.setRef(this.index.find(key));
    return a;
  }

  protected freeSlot(s: number): void {
    this.lru.pushFree(s);
  }
}

/** check_flags (BPF_F_LOCK is already excluded for LRU maps). */
function checkFlags(old: number, flags: bigint): number {
  if (old >= 0 && flags === BigInt(BPF_NOEXIST)) return errno('EEXIST');
  if (old < 0 && flags === BigInt(BPF_EXIST)) return errno('ENOENT');
  return 0;
}

export function createLruHashMap(res: MapResources, attrs: MapCreateAttrs): LruHashMap {
  const geo = htabGeometry(attrs, res.env.nrCpus);
  // The table, every element, and the LRU nodes' per-CPU local lists.
  res.charge(geo.tableCost + geo.maxEntries * geo.perElemCost + 64 * res.env.nrCpus);
  return new LruHashMapImpl(res, attrs, geo);
}
