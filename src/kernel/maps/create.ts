/**
 * Map creation: the per-type part of map_create (kernel/bpf/syscall.c) — `map_alloc_check`, then
 * `map_alloc` — dispatched on the map type.
 */
import { KernelError } from '../../errno.js';
import { BPF_MAP_TYPE, mapTypeName } from '../uapi.js';
import { arrayMapAllocCheck, createArrayMap } from './array.js';
import { createArrayOfMaps } from './array-of-maps.js';
import { fdArrayMapAllocCheck } from './fd-array.js';
import { createHashMap } from './hash.js';
import { createHashOfMaps, fdHtabMapAllocCheck } from './hash-of-maps.js';
import { htabMapAllocCheck } from './htab.js';
import { createLruHashMap } from './lru-hash.js';
import { createPercpuArrayMap } from './percpu-array.js';
import { createProgArrayMap } from './prog-array.js';
import { MapResources, transactional } from './resources.js';
import { createRingbufMap } from './ringbuf.js';
import { ROOT_MAP_CAPS, type BpfMap, type MapCreateAttrs, type MapEnv } from './types.js';

const T = BPF_MAP_TYPE;

/** The map types bpfsim models. */
export const MODELLED_MAP_TYPES: ReadonlySet<number> = new Set([
  T.BPF_MAP_TYPE_HASH, T.BPF_MAP_TYPE_ARRAY, T.BPF_MAP_TYPE_PROG_ARRAY, T.BPF_MAP_TYPE_PERCPU_HASH,
  T.BPF_MAP_TYPE_PERCPU_ARRAY, T.BPF_MAP_TYPE_LRU_HASH, T.BPF_MAP_TYPE_LRU_PERCPU_HASH,
  T.BPF_MAP_TYPE_ARRAY_OF_MAPS, T.BPF_MAP_TYPE_HASH_OF_MAPS, T.BPF_MAP_TYPE_RINGBUF,
]);

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/** The decoded attr fields are u32s; anything else is a caller bug, reported as EINVAL. */
function checkShape(a: MapCreateAttrs): void {
  if (!isU32(a.mapType) || !isU32(a.keySize) || !isU32(a.valueSize) || !isU32(a.maxEntries) || !isU32(a.mapFlags)) {
    throw new KernelError('EINVAL', 'map attributes must be u32 values');
  }
}

/**
 * The map type's map_alloc_check: Linux's errno for attributes this type refuses, without side
 * effects. Types bpfsim does not model are EINVAL (as an unknown type is in Linux) with a message
 * saying so. RINGBUF has no alloc_check in Linux; its checks run in {@link createMap}.
 */
export function mapAllocCheck(attrs: MapCreateAttrs, env: Pick<MapEnv, 'caps'>): void {
  checkShape(attrs);
  const caps = env.caps ?? ROOT_MAP_CAPS;
  switch (attrs.mapType) {
    case T.BPF_MAP_TYPE_ARRAY:
    case T.BPF_MAP_TYPE_PERCPU_ARRAY:
      return arrayMapAllocCheck(attrs);
    case T.BPF_MAP_TYPE_PROG_ARRAY:
    case T.BPF_MAP_TYPE_ARRAY_OF_MAPS:
      return fdArrayMapAllocCheck(attrs);
    case T.BPF_MAP_TYPE_HASH:
    case T.BPF_MAP_TYPE_PERCPU_HASH:
    case T.BPF_MAP_TYPE_LRU_HASH:
    case T.BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return htabMapAllocCheck(attrs, caps);
    case T.BPF_MAP_TYPE_HASH_OF_MAPS:
      return fdHtabMapAllocCheck(attrs, caps);
    case T.BPF_MAP_TYPE_RINGBUF:
      return;
    default:
      throw new KernelError('EINVAL', `${mapTypeName(attrs.mapType)} is not modelled by bpfsim`);
  }
}

/**
 * map_alloc_check + map_alloc: a new map, or a KernelError with Linux's errno. On failure nothing
 * is left behind: no region mapped, no byte charged.
 */
export function createMap(attrs: MapCreateAttrs, env: MapEnv): BpfMap {
  mapAllocCheck(attrs, env);
  const res = new MapResources(env);
  return transactional<BpfMap>(res, () => {
    switch (attrs.mapType) {
      case T.BPF_MAP_TYPE_ARRAY: return createArrayMap(res, attrs);
      case T.BPF_MAP_TYPE_PERCPU_ARRAY: return createPercpuArrayMap(res, attrs);
      case T.BPF_MAP_TYPE_PROG_ARRAY: return createProgArrayMap(res, attrs);
      case T.BPF_MAP_TYPE_ARRAY_OF_MAPS: return createArrayOfMaps(res, attrs);
      case T.BPF_MAP_TYPE_HASH:
      case T.BPF_MAP_TYPE_PERCPU_HASH: return createHashMap(res, attrs);
      case T.BPF_MAP_TYPE_LRU_HASH:
      case T.BPF_MAP_TYPE_LRU_PERCPU_HASH: return createLruHashMap(res, attrs);
      case T.BPF_MAP_TYPE_HASH_OF_MAPS: return createHashOfMaps(res, attrs);
      case T.BPF_MAP_TYPE_RINGBUF: return createRingbufMap(res, attrs);
      default: throw new KernelError('EINVAL', `${mapTypeName(attrs.mapType)} is not modelled by bpfsim`);
    }
  });
}

