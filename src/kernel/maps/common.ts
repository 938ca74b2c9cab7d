/**
 * Pieces every map type shares: the struct bpf_map object region, attribute bookkeeping, flag
 * checks that are the same across types, and small byte helpers.
 */
import { ERRNO, KernelError } from '../../errno.js';
import { PERM_R, type Region } from '../../interpreter/memory.js';
import {
  BPF_EXIST, BPF_F_LOCK, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG,
} from '../uapi.js';
import { MAP_OBJECT_EXCL_OFFSET, MAP_OBJECT_SIZE, NUMA_NO_NODE } from './constants.js';
import type { MapResources } from './resources.js';
import type { MapCreateAttrs, MapMeta } from './types.js';

/** BPF_F_ACCESS_MASK. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

export const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;
export const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;
export const isPowerOf2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0 && n <= 0x80000000;

/** roundup_pow_of_two for 0 <= n <= 2^32 (exact: a bounded doubling loop, no floating-point log). */
export function roundupPowOf2(n: number): number {
  let p = 1;
  for (let i = 0; i < 34 && p < n; i++) p *= 2;
  return p;
}

/** bpf_map_attr_numa_node. */
export function attrNumaNode(a: Pick<MapCreateAttrs, 'mapFlags' | 'numaNode'>): number {
  return a.mapFlags & BPF_F_NUMA_NODE ? a.numaNode : NUMA_NO_NODE;
}

/** bpf_map_flags_access_ok: a map cannot be both read-only and write-only for programs. */
export function mapFlagsAccessOk(flags: number): boolean {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

/** Region permissions for programs implied by BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG. */
export function progPerm(flags: number, rw: number): number {
  if (flags & BPF_F_RDONLY_PROG) return PERM_R;
  if (flags & BPF_F_WRONLY_PROG) return rw & ~PERM_R;
  return rw;
}

export const errno = (name: keyof typeof ERRNO): number => -ERRNO[name];

/** A key as a string usable in a JS Map (latin1: one char per byte, so the mapping is one-to-one). */
export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export function readU32(b: Uint8Array, off = 0): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** The kernel copies exactly key_size / value_size bytes; a wrong length is a caller bug, reported as EINVAL. */
export function checkLen(what: string, b: Uint8Array, expected: number): void {
  if (b.length !== expected) throw new KernelError('EINVAL', `${what} must be ${expected} bytes, got ${b.length}`);
}

/** BPF-side variant of checkLen: true when the length is wrong. */
export function badLen(b: Uint8Array, expected: number): boolean {
  return b.length !== expected;
}

/**
 * Syscall lookup flags: only BPF_F_LOCK is defined (map_lookup_elem: EINVAL otherwise), and it
 * needs a bpf_spin_lock in the value, which no modelled map has (no BTF records): EINVAL too.
 */
export function checkLookupFlags(flags: bigint): void {
  if (flags & ~BigInt(BPF_F_LOCK)) throw new KernelError('EINVAL', 'unknown lookup flags');
  if (flags & BigInt(BPF_F_LOCK)) throw new KernelError('EINVAL', 'BPF_F_LOCK on a map without bpf_spin_lock');
}

/**
 * Update flags as the array and hash maps check them: (flags & ~BPF_F_LOCK) > BPF_EXIST is EINVAL;
 * BPF_F_LOCK without a spin lock in the value is EINVAL. Returns 0 or -EINVAL.
 */
export function updateFlagsErr(flags: bigint): number {
  if ((flags & ~BigInt(BPF_F_LOCK)) > BigInt(BPF_EXIST)) return errno('EINVAL');
  if (flags & BigInt(BPF_F_LOCK)) return errno('EINVAL');
  return 0;
}

/** Throw a BPF-style return code (negative errno) as a KernelError; 0 passes. */
export function throwIfErr(ret: number, message?: string): void {
  if (ret < 0) throw new KernelError(-ret, message);
}

export function metaOf(m: MapMeta): MapMeta {
  return { mapType: m.mapType, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, mapFlags: m.mapFlags };
}

/**
 * State every map has: its attributes, the struct bpf_map object region, the resources it holds.
 * Subclasses add their storage and element operations.
 */
export abstract class MapBase {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
  readonly name: string;
  readonly numaNode: number;
  readonly mapExtra: bigint;
  readonly btfFd: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVmlinuxValueTypeId: number;
  readonly object: Region;
  readonly nrCpus: number;
  protected readonly objectView: DataView;

  constructor(protected readonly res: MapResources, attrs: MapCreateAttrs, maxEntries = attrs.maxEntries) {
    this.mapType = attrs.mapType;
    this.keySize = attrs.keySize;
    this.valueSize = attrs.valueSize;
    this.maxEntries = maxEntries;
    this.mapFlags = attrs.mapFlags;
    this.name = attrs.name;
    this.numaNode = attrNumaNode(attrs);
    this.mapExtra = attrs.mapExtra;
    this.btfFd = attrs.btfFd;
    this.btfKeyTypeId = attrs.btfKeyTypeId;
    this.btfValueTypeId = attrs.btfValueTypeId;
    this.btfVmlinuxValueTypeId = attrs.btfVmlinuxValueTypeId;
    this.nrCpus = res.env.nrCpus;
    // struct bpf_map: programs may read sha[32] through CONST_PTR_TO_MAP, never write.
    this.object = res.mapZeroed(MAP_OBJECT_SIZE, { kind: 'map_object', name: `map ${attrs.name || attrs.mapType}`, perm: PERM_R }, this);
    this.objectView = new DataView(this.object.bytes.buffer, this.object.bytes.byteOffset, this.object.bytes.byteLength);
  }

  get memoryUsage(): number {
    return this.res.chargedBytes;
  }

  get exclusive(): boolean {
    return this.objectView.getUint32(MAP_OBJECT_EXCL_OFFSET, true) !== 0;
  }

  setExclusive(): void {
    this.objectView.setUint32(MAP_OBJECT_EXCL_OFFSET, 1, true);
  }

  get mmapable(): boolean {
    return false;
  }

  get isFdMap(): boolean {
    return false;
  }

  get innerMapMeta(): MapMeta | null {
    return null;
  }

  lookupPercpuElem(_key: Uint8Array, _cpu: number): bigint {
    return 0n;
  }

  computeHash(): Uint8Array {
    // Only array_map_ops has map_get_hash (signing.md §4.5: PERCPU_ARRAY, HASH, … give EINVAL).
    throw new KernelError('EINVAL', 'map hash is only supported for BPF_MAP_TYPE_ARRAY');
  }

  /** Release what the type holds besides regions and charges (object references). */
  protected releaseRefs(): void {}

  free(): void {
    if (this.res.isReleased) return;
    this.releaseRefs();
    this.res.release();
  }

  protected get env() {
    return this.res.env;
  }
}
