/**
 * BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_PERCPU_HASH (kernel/bpf/hashtab.c), preallocated or with
 * BPF_F_NO_PREALLOC.
 *
 * Element lifetime follows Linux. An update of an existing HASH key does not write in place: it
 * builds a new element and unlinks the old one (htab_map_update_elem), so the value's address
 * changes and a pointer taken before the update still reads the old value. That is why a
 * preallocated HASH has num_possible_cpus() spare elements beyond max_entries (alloc_extra_elems):
 * a full map can still replace. PERCPU_HASH updates existing elements in place. An element's
 * address is stable from its insertion until it is deleted or replaced; what happens to the memory
 * afterwards is described in pool.ts.
 */
import { KernelError } from '../../errno.js';
import { PERM_RW } from '../../interpreter/memory.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_NOEXIST } from '../uapi.js';
import { badLen, errno, progPerm } from './common.js';
import { HtabBase, htabGeometry, isPercpuHtab, type HtabGeometry } from './htab.js';
import { SlotAllocator, ValueSlab } from './pool.js';
import type { MapResources } from './resources.js';
import type { HashMap, MapCreateAttrs } from './types.js';

class HashMapImpl extends HtabBase implements HashMap {
  readonly kind: 'hash' | 'percpu_hash';
  protected readonly slab: ValueSlab;
  private readonly slots: SlotAllocator;
  readonly prealloc: boolean;

  constructor(res: MapResources, attrs: MapCreateAttrs, geo: HtabGeometry) {
    super(res, attrs, geo.maxEntries);
    this.kind = this.percpu ? 'percpu_hash' : 'hash';
    this.prealloc = (attrs.mapFlags & BPF_F_NO_PREALLOC) === 0;
    this.slab = new ValueSlab(res, {
      slotBytes: this.percpu ? this.valueStride * this.nrCpus : this.valueStride,
      capacity: hashCapacity(geo.maxEntries, this.percpu, this.nrCpus),
      prealloc: this.prealloc,
      chargePerSlot: geo.perElemCost,
      perm: progPerm(attrs.mapFlags, PERM_RW),
      name: `map ${attrs.name || this.kind} elements`,
      owner: this,
    });
    this.slots = new SlotAllocator(this.slab, this.prealloc);
  }

  /**
   * htab_map_update_elem / __htab_percpu_map_update_elem: 0 or -errno. `onAllCpus` is the syscall
   * side's per-CPU update (every CPU's copy in `value`).
   */
  protected upsert(key: Uint8Array, value: Uint8Array, flags: bigint, onAllCpus: boolean): number {
    const lock = BigInt(BPF_F_LOCK);
    if (this.percpu) {
      if (flags > BigInt(BPF_EXIST)) return errno('EINVAL');
    } else {
      if ((flags & ~lock) > BigInt(BPF_EXIST)) return errno('EINVAL');
      // BPF_F_LOCK needs a bpf_spin_lock in the value; no modelled value has one.
      if (flags & lock) return errno('EINVAL');
    }
    const op = flags & ~lock;
    const old = this.index.find(key);
    // check_flags
    if (old >= 0 && op === BigInt(BPF_NOEXIST)) return errno('EEXIST');
    if (old < 0 && op === BigInt(BPF_EXIST)) return errno('ENOENT');
    if (old >= 0 && this.percpu) {
      this.writeValue(old, value, onAllCpus, false);
      return 0;
    }
    // A new element: a full map refuses it (the freelist is empty / is_map_full), a replacement is fine.
    if (old < 0 && this.index.size >= this.maxEntries) return errno('E2BIG');
    let slot: number;
    try {
      slot = this.slots.alloc();
    } catch (e) {
      if (e instanceof KernelError) return -e.errno;
      throw e;
    }
    if (slot < 0) return errno('E2BIG');
    this.writeValue(slot, value, onAllCpus, true);
    if (old >= 0) {
      this.index.replace(old, slot);
      this.slots.free(old);
    } else {
      this.index.insert(key, slot);
    }
    return 0;
  }

  lookupElem(key: Uint8Array): bigint {
    if (badLen(key, this.keySize)) return 0n;
    const s = this.index.find(key);
    return s < 0 ? 0n : this.valueAddress(s, this.env.currentCpu());
  }

  protected freeSlot(s: number): void {
    this.slots.free(s);
  }
}

/** Elements a pool needs: max_entries, plus one spare per CPU for a (non-per-CPU) HASH's replacements. */
function hashCapacity(maxEntries: number, percpu: boolean, nrCpus: number): number {
  return maxEntries + (percpu ? 0 : nrCpus);
}

export function createHashMap(res: MapResources, attrs: MapCreateAttrs): HashMap {
  const geo = htabGeometry(attrs, res.env.nrCpus);
  res.charge(geo.tableCost);
  const percpu = isPercpuHtab(attrs.mapType);
  if ((attrs.mapFlags & BPF_F_NO_PREALLOC) === 0) {
    res.charge(hashCapacity(geo.maxEntries, percpu, res.env.nrCpus) * geo.perElemCost);
  }
  return new HashMapImpl(res, attrs, geo);
}
