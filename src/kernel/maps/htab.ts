/**
 * What the hash map family shares (kernel/bpf/hashtab.c): htab_map_alloc_check, htab_map_alloc's
 * size arithmetic, and the key-side operations (lookup, delete bookkeeping, get_next_key).
 */
import { KernelError } from '../../errno.js';
import {
  BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, BPF_MAP_TYPE,
} from '../uapi.js';
import {
  BPF_HTAB_STRUCT_SIZE, HTAB_BUCKET_SIZE, HTAB_ELEM_SIZE, KMALLOC_MAX_SIZE, NUMA_NO_NODE, PCPU_MIN_UNIT_SIZE, U32_MAX,
} from './constants.js';
import {
  BPF_F_ACCESS_MASK, MapBase, attrNumaNode, badLen, checkLen, errno, checkLookupFlags, mapFlagsAccessOk, roundUp8, roundupPowOf2, throwIfErr,
} from './common.js';
import { HashIndex } from './htab-index.js';
import type { ValueSlab } from './pool.js';
import type { MapCaps, MapCreateAttrs } from './types.js';

const HTAB_CREATE_FLAG_MASK =
  BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;

export function isPercpuHtab(t: number): boolean {
  return t === BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_HASH || t === BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

export function isLruHtab(t: number): boolean {
  return t === BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_HASH || t === BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/** htab_map_alloc_check, in Linux's order (HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, HASH_OF_MAPS). */
export function htabMapAllocCheck(a: MapCreateAttrs, caps: MapCaps): void {
  const percpu = isPercpuHtab(a.mapType);
  const lru = isLruHtab(a.mapType);
  // Each CPU having its own LRU list is unrelated to per-CPU values.
  const percpuLru = (a.mapFlags & BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = (a.mapFlags & BPF_F_NO_PREALLOC) === 0;
  // A zero hash seed makes bucket collisions predictable: a local DoS guard.
  if ((a.mapFlags & BPF_F_ZERO_SEED) && !caps.sysAdmin) throw new KernelError('EPERM', 'BPF_F_ZERO_SEED needs CAP_SYS_ADMIN');
  if ((a.mapFlags & ~HTAB_CREATE_FLAG_MASK) !== 0 || !mapFlagsAccessOk(a.mapFlags)) {
    throw new KernelError('EINVAL', 'invalid hash map flags');
  }
  if (!lru && percpuLru) throw new KernelError('EINVAL', 'BPF_F_NO_COMMON_LRU is for LRU maps only');
  if (lru && !prealloc) throw new KernelError('ENOTSUPP', 'LRU maps are always preallocated');
  if (attrNumaNode(a) !== NUMA_NO_NODE && (percpu || percpuLru)) throw new KernelError('EINVAL', 'per-CPU maps cannot pin a NUMA node');
  // value_size == 0 "may be allowed in the future to use map as a set".
  if (a.maxEntries === 0 || a.keySize === 0 || a.valueSize === 0) throw new KernelError('EINVAL', 'invalid hash map attributes');
  // Elements must stay kmalloc-able for the syscall side.
  if (a.keySize + a.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) throw new KernelError('E2BIG', 'key_size + value_size too large');
  if (percpu && roundUp8(a.valueSize) > PCPU_MIN_UNIT_SIZE) throw new KernelError('E2BIG', 'per-CPU value_size above PCPU_MIN_UNIT_SIZE');
}

export interface HtabGeometry {
  /** max_entries after the per-CPU LRU rounding. */
  readonly maxEntries: number;
  readonly nBuckets: number;
  /** sizeof(struct htab_elem) + round_up(key) + value part, as Linux computes elem_size. */
  readonly elemSize: number;
  /** Kernel bytes of the table itself (struct bpf_htab and buckets). */
  readonly tableCost: number;
  /** Kernel bytes per element (elem_size plus per-CPU values). */
  readonly perElemCost: number;
}

/** htab_map_alloc's arithmetic and its E2BIG checks (before any allocation). */
export function htabGeometry(a: MapCreateAttrs, nrCpus: number): HtabGeometry {
  const percpu = isPercpuHtab(a.mapType);
  let maxEntries = a.maxEntries;
  if (a.mapFlags & BPF_F_NO_COMMON_LRU) {
    // Every CPU's LRU list gets the same, non-zero number of elements: roundup in u32, and
    // rounddown when that wraps.
    const up = (Math.floor(((maxEntries + nrCpus - 1) % 2 ** 32) / nrCpus) * nrCpus) % 2 ** 32;
    maxEntries = up < a.maxEntries ? a.maxEntries - (a.maxEntries % nrCpus) : up;
  }
  // roundup_pow_of_two would overflow on 32-bit arches beyond 2^31.
  if (maxEntries > 2 ** 31) throw new KernelError('E2BIG', 'max_entries too large for a hash map');
  const nBuckets = roundupPowOf2(maxEntries);
  if (nBuckets > Math.floor(U32_MAX / HTAB_BUCKET_SIZE)) throw new KernelError('E2BIG', 'too many hash buckets');
  const elemSize = HTAB_ELEM_SIZE + roundUp8(a.keySize) + (percpu ? 8 : roundUp8(a.valueSize));
  return {
    maxEntries, nBuckets, elemSize,
    tableCost: BPF_HTAB_STRUCT_SIZE + nBuckets * HTAB_BUCKET_SIZE,
    perElemCost: elemSize + (percpu ? roundUp8(a.valueSize) * nrCpus : 0),
  };
}

/**
 * A hash table of value slots: the key index and the operations that only look at keys. Value
 * semantics (replacement, per-CPU copies, LRU) are the subclasses'.
 */
export abstract class HtabBase extends MapBase {
  protected readonly index = new HashIndex();
  protected abstract readonly slab: ValueSlab;
  readonly valueArea = null;
  readonly percpu: boolean;
  /** round_up(value_size, 8): the stride of per-CPU copies. */
  protected readonly valueStride: number;
  readonly syscallValueSize: number;

  constructor(res: ConstructorParameters<typeof MapBase>[0], attrs: MapCreateAttrs, maxEntries: number) {
    super(res, attrs, maxEntries);
    this.percpu = isPercpuHtab(attrs.mapType);
    this.valueStride = roundUp8(attrs.valueSize);
    this.syscallValueSize = this.percpu ? this.valueStride * this.nrCpus : attrs.valueSize;
  }

  get count(): number {
    return this.index.size;
  }

  keys(): Uint8Array[] {
    return this.index.slots().map((s) => this.index.keyOf(s).slice());
  }

  /** The bytes a syscall lookup returns for the element in `slot`. */
  protected readValue(slot: number): Uint8Array {
    return this.slab.bytes(slot).slice(0, this.syscallValueSize);
  }

  /** Slot of the element for `key` as the syscall side looks it up (no LRU reference bit). */
  protected findForSyscall(key: Uint8Array): number {
    return this.index.find(key);
  }

  lookup(key: Uint8Array, flags: bigint): Uint8Array {
    checkLookupFlags(flags);
    checkLen('key', key, this.keySize);
    const s = this.findForSyscall(key);
    if (s < 0) throw new KernelError('ENOENT');
    return this.readValue(s);
  }

  lookupAndDelete(key: Uint8Array, flags: bigint): Uint8Array {
    const v = this.lookup(key, flags);
    this.delete(key);
    return v;
  }

  /** Insert or replace (htab_map_update_elem and its per-CPU / LRU variants); an errno or 0. */
  protected abstract upsert(key: Uint8Array, value: Uint8Array, flags: bigint, onAllCpus: boolean): number;
  /** Give a deleted element's slot back to its pool (hash pools, or the LRU's free lists). */
  protected abstract freeSlot(slot: number): void;

  updateElem(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    if (badLen(key, this.keySize) || value.length < this.valueSize) return errno('EINVAL');
    return this.upsert(key, value, flags, false);
  }

  deleteElem(key: Uint8Array): number {
    if (badLen(key, this.keySize)) return errno('EINVAL');
    const s = this.index.find(key);
    if (s < 0) return errno('ENOENT');
    this.index.remove(s);
    this.freeSlot(s);
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: bigint): void {
    if (flags & BigInt(BPF_F_LOCK)) throw new KernelError('EINVAL', 'BPF_F_LOCK on a map without bpf_spin_lock');
    checkLen('key', key, this.keySize);
    checkLen('value', value, this.syscallValueSize);
    throwIfErr(this.upsert(key, value, flags, true));
  }

  delete(key: Uint8Array): void {
    checkLen('key', key, this.keySize);
    throwIfErr(this.deleteElem(key));
  }

  getNextKey(key: Uint8Array | null): Uint8Array {
    if (key !== null) checkLen('key', key, this.keySize);
    const next = this.index.keyAfter(key);
    if (next === null) throw new KernelError('ENOENT');
    return next;
  }

  /** Address of `cpu`'s copy (or the value) of the element in `slot`. */
  protected valueAddress(slot: number, cpu: number): bigint {
    return this.slab.address(slot, this.percpu ? cpu * this.valueStride : 0);
  }

  override lookupPercpuElem(key: Uint8Array, cpu: number): bigint {
    if (!this.percpu || key.length !== this.keySize || !Number.isInteger(cpu) || cpu < 0 || cpu >= this.nrCpus) return 0n;
    const s = this.index.find(key);
    return s < 0 ? 0n : this.valueAddress(s, cpu);
  }

  /**
   * Write a value into a slot. Syscall updates of per-CPU maps carry every CPU's copy
   * (`onAllCpus`); a program writes value_size bytes into its own CPU's copy, and a new element's
   * other copies start zeroed (pcpu_init_value) so the program knows what they hold.
   */
  protected writeValue(slot: number, value: Uint8Array, onAllCpus: boolean, fresh: boolean): void {
    const b = this.slab.bytes(slot);
    if (!this.percpu) {
      b.set(value.subarray(0, this.valueSize));
      if (fresh) b.fill(0, this.valueSize);
      return;
    }
    if (onAllCpus) {
      b.set(value.subarray(0, this.syscallValueSize));
      return;
    }
    if (fresh) b.fill(0);
    b.set(value.subarray(0, this.valueSize), this.env.currentCpu() * this.valueStride);
  }
}
