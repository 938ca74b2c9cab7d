/**
 * BPF_MAP_TYPE_ARRAY (kernel/bpf/arraymap.c): max_entries preallocated values of
 * round_up(value_size, 8) bytes in one value area, indexed by a u32 key. Values never move, so
 * programs may keep pointers to them, and the area is what direct value access (ld_imm64
 * MAP_VALUE), mmap (BPF_F_MMAPABLE) and the map hash (signing.md §4.5) see.
 *
 * `arrayMapAllocCheck` is array_map_alloc_check, shared with PERCPU_ARRAY and the fd arrays.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { KernelError } from '../../errno.js';
import { PERM_RW, type Region } from '../../interpreter/memory.js';
import {
  BPF_EXIST, BPF_F_INNER_MAP, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS,
  BPF_MAP_TYPE, BPF_NOEXIST,
} from '../uapi.js';
import {
  BPF_ARRAY_STRUCT_SIZE, INT_MAX, MAP_OBJECT_SHA_OFFSET, NUMA_NO_NODE, PAGE_SIZE, PCPU_MIN_UNIT_SIZE, U32_MAX,
} from './constants.js';
import {
  BPF_F_ACCESS_MASK, MapBase, attrNumaNode, checkLen, checkLookupFlags, errno, mapFlagsAccessOk, progPerm, readU32, roundUp,
  roundUp8, roundupPowOf2, throwIfErr, u32Bytes,
} from './common.js';
import type { MapResources } from './resources.js';
import { ROOT_MAP_CAPS, type ArrayMap, type MapCaps, type MapCreateAttrs } from './types.js';

const ARRAY_CREATE_FLAG_MASK =
  BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;

/** array_map_alloc_check (ARRAY, PERCPU_ARRAY, and through fd_array_map_alloc_check the fd arrays). */
export function arrayMapAllocCheck(a: MapCreateAttrs): void {
  const percpu = a.mapType === BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY;
  if (a.maxEntries === 0 || a.keySize !== 4 || a.valueSize === 0 ||
      (a.mapFlags & ~ARRAY_CREATE_FLAG_MASK) !== 0 || !mapFlagsAccessOk(a.mapFlags) ||
      (percpu && attrNumaNode(a) !== NUMA_NO_NODE)) {
    throw new KernelError('EINVAL', 'invalid array map attributes');
  }
  if (a.mapType !== BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY && (a.mapFlags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP))) {
    throw new KernelError('EINVAL', 'BPF_F_MMAPABLE / BPF_F_INNER_MAP are for BPF_MAP_TYPE_ARRAY only');
  }
  if (a.mapType !== BPF_MAP_TYPE.BPF_MAP_TYPE_PERF_EVENT_ARRAY && (a.mapFlags & BPF_F_PRESERVE_ELEMS)) {
    throw new KernelError('EINVAL', 'BPF_F_PRESERVE_ELEMS is for BPF_MAP_TYPE_PERF_EVENT_ARRAY only');
  }
  // Avoid overflow in round_up(value_size, 8).
  if (a.valueSize > INT_MAX) throw new KernelError('E2BIG', 'value_size too large');
  if (percpu && roundUp8(a.valueSize) > PCPU_MIN_UNIT_SIZE) throw new KernelError('E2BIG', 'per-CPU value_size above PCPU_MIN_UNIT_SIZE');
}

/** Sizes array_map_alloc works out, before it allocates anything. */
export interface ArrayGeometry {
  readonly elemSize: number;
  /** Elements backed by storage: max_entries, or the next power of 2 without CAP_PERFMON. */
  readonly allocEntries: number;
  /** Kernel bytes the allocation costs. */
  readonly cost: number;
}

/**
 * array_map_alloc's arithmetic. Without CAP_PERFMON (no bpf_bypass_spec_v1) storage is rounded up
 * to a power of 2 so that speculative index masking stays in bounds; when that overflows u32, E2BIG.
 */
export function arrayGeometry(a: MapCreateAttrs, caps: MapCaps, nrCpus: number, percpuValues: boolean): ArrayGeometry {
  const elemSize = roundUp8(a.valueSize);
  let allocEntries = a.maxEntries;
  if (!caps.perfmon) {
    // index_mask = roundup_pow_of_two(max_entries) - 1 computed in u64, then truncated to u32.
    const pow = roundupPowOf2(a.maxEntries);
    const rounded = pow > U32_MAX ? 0 : pow;
    if (rounded < a.maxEntries) throw new KernelError('E2BIG', 'array too large for an unprivileged caller');
    allocEntries = rounded;
  }
  let cost: number;
  if (percpuValues) {
    cost = BPF_ARRAY_STRUCT_SIZE + allocEntries * 8 + a.maxEntries * elemSize * nrCpus;
  } else if (a.mapFlags & BPF_F_MMAPABLE) {
    cost = roundUp(BPF_ARRAY_STRUCT_SIZE, PAGE_SIZE) + roundUp(allocEntries * elemSize, PAGE_SIZE);
  } else {
    cost = BPF_ARRAY_STRUCT_SIZE + allocEntries * elemSize;
  }
  return { elemSize, allocEntries, cost };
}

/** Index of a u32 array key; -1 when out of range. */
export function arrayIndex(key: Uint8Array, maxEntries: number): number {
  if (key.length !== 4) return -1;
  const i = readU32(key);
  return i < maxEntries ? i : -1;
}

/** array_map_get_next_key: NULL or out-of-range key -> 0; the last index -> ENOENT. */
/** map_delete_elem on an array: EINVAL (after the key length check), every element always exists. */
export function arrayDelete(key: Uint8Array): never {
  checkLen('key', key, 4);
  throw new KernelError('EINVAL', 'array elements cannot be deleted');
}

export function arrayGetNextKey(key: Uint8Array | null, maxEntries: number): Uint8Array {
  if (key !== null) checkLen('key', key, 4);
  const index = key === null ? U32_MAX : readU32(key);
  if (index >= maxEntries) return u32Bytes(0);
  if (index === maxEntries - 1) throw new KernelError('ENOENT');
  return u32Bytes(index + 1);
}

/**
 * array_map_update_elem's checks, in Linux's order: unknown flags, index beyond max_entries
 * (E2BIG: every element exists, none can be added), BPF_NOEXIST (EEXIST: every element exists),
 * BPF_F_LOCK without a bpf_spin_lock in the value.
 */
export function arrayUpdateErr(index: number, flags: bigint): number {
  if ((flags & ~BigInt(BPF_F_LOCK)) > BigInt(BPF_EXIST)) return errno('EINVAL');
  if (index < 0) return errno('E2BIG');
  if (flags & BigInt(BPF_NOEXIST)) return errno('EEXIST');
  if (flags & BigInt(BPF_F_LOCK)) return errno('EINVAL');
  return 0;
}

class ArrayMapImpl extends MapBase implements ArrayMap {
  readonly kind = 'array' as const;
  readonly valueArea: Region;
  readonly syscallValueSize: number;
  private readonly elemSize: number;
  private readonly base: bigint;

  constructor(res: MapResources, attrs: MapCreateAttrs, geo: ArrayGeometry) {
    super(res, attrs);
    this.elemSize = geo.elemSize;
    this.syscallValueSize = attrs.valueSize;
    let len = geo.allocEntries * geo.elemSize;
    // vmalloc'ed and page-aligned so that user space can mmap it.
    if (attrs.mapFlags & BPF_F_MMAPABLE) len = roundUp(len, PAGE_SIZE);
    this.valueArea = res.mapZeroed(len, {
      kind: 'map_value', name: `map ${attrs.name || 'array'} values`, perm: progPerm(attrs.mapFlags, PERM_RW),
    }, this);
    this.base = this.valueArea.base;
  }

  override get mmapable(): boolean {
    return (this.mapFlags & BPF_F_MMAPABLE) !== 0;
  }

  get count(): number {
    return this.maxEntries;
  }

  elemAddress(index: number): bigint {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) return 0n;
    return this.base + BigInt(index * this.elemSize);
  }

  directValueAddr(off: number): bigint {
    if (this.maxEntries !== 1) throw new KernelError('ENOTSUPP', 'direct value access needs max_entries == 1');
    if (off >= this.valueSize) throw new KernelError('EINVAL', `direct value offset ${off} >= value_size ${this.valueSize}`);
    return this.base;
  }

  lookup(key: Uint8Array, flags: bigint): Uint8Array {
    checkLookupFlags(flags);
    checkLen('key', key, 4);
    const i = arrayIndex(key, this.maxEntries);
    if (i < 0) throw new KernelError('ENOENT');
    const off = i * this.elemSize;
    return this.valueArea.bytes.slice(off, off + this.valueSize);
  }

  update(key: Uint8Array, value: Uint8Array, flags: bigint): void {
    if (flags & BigInt(BPF_F_LOCK)) throw new KernelError('EINVAL', 'BPF_F_LOCK on a map without bpf_spin_lock');
    checkLen('key', key, 4);
    checkLen('value', value, this.valueSize);
    throwIfErr(this.updateElem(key, value, flags));
  }

  delete(key: Uint8Array): void {
    arrayDelete(key);
  }

  getNextKey(key: Uint8Array | null): Uint8Array {
    return arrayGetNextKey(key, this.maxEntries);
  }

  lookupElem(key: Uint8Array): bigint {
    const i = arrayIndex(key, this.maxEntries);
    return i < 0 ? 0n : this.base + BigInt(i * this.elemSize);
  }

  updateElem(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    if (key.length !== 4 || value.length < this.valueSize) return errno('EINVAL');
    const i = arrayIndex(key, this.maxEntries);
    const err = arrayUpdateErr(i, flags);
    if (err) return err;
    // copy_map_value: value_size bytes; the padding up to elem_size keeps its content.
    this.valueArea.bytes.set(value.subarray(0, this.valueSize), i * this.elemSize);
    return 0;
  }

  deleteElem(_key: Uint8Array): number {
    return errno('EINVAL');
  }

  override computeHash(): Uint8Array {
    // array_map_get_hash: the padding bytes are part of the hashed area (signing.md §4.5).
    const digest = sha256(this.valueArea.bytes.subarray(0, this.elemSize * this.maxEntries));
    this.object.bytes.set(digest, MAP_OBJECT_SHA_OFFSET);
    return digest;
  }
}

export function createArrayMap(res: MapResources, attrs: MapCreateAttrs): ArrayMap {
  const geo = arrayGeometry(attrs, res.env.caps ?? ROOT_MAP_CAPS, res.env.nrCpus, false);
  res.charge(geo.cost);
  return new ArrayMapImpl(res, attrs, geo);
}
