/**
 * BPF maps of the modelled kernel. The kernel uses:
 * - {@link mapAllocCheck} then {@link createMap} in BPF_MAP_CREATE (map_alloc_check, map_alloc);
 * - the syscall-side methods of {@link BpfMap} in the element commands (`updateFd` / `lookupFdId`
 *   for fd maps: `map.isFdMap`), and `syscallValueSize` for the value buffer length;
 * - the BPF-side methods in the helpers, {@link ringbufOfAddress} for bpf_ringbuf_submit/discard,
 *   {@link mapOfAddress} to find the map of a CONST_PTR_TO_MAP argument;
 * - `computeHash` for OBJ_GET_INFO_BY_FD's hash request, `free` when the last reference is gone,
 *   `releaseUref` of a PROG_ARRAY when its last fd/pin is gone.
 * types.ts documents each method; the per-type modules cite the Linux code they model.
 */
import { KernelError } from '../../errno.js';
import type { AddressSpace } from '../../interpreter/memory.js';
import { ownerOfRegion } from './resources.js';
import type { BpfMap, BpfMapKind, MapOfKind, RingbufMap } from './types.js';

export * from './types.js';
export { createMap, mapAllocCheck, MODELLED_MAP_TYPES } from './create.js';
export { bpfMapMetaAlloc, mapMetaEqual } from './map-in-map.js';
export {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
  BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, MAP_OBJECT_EXCL_OFFSET, MAP_OBJECT_SHA_OFFSET,
  MAP_OBJECT_SIZE,
} from './constants.js';

/** The map that owns the memory at `addr` (object, value area, element pool or ring pages), or null. */
export function mapOfAddress(space: AddressSpace, addr: bigint): BpfMap | null {
  const at = space.resolve(addr, 1);
  if (!at) return null;
  return (ownerOfRegion(at.region) as BpfMap | undefined) ?? null;
}

/** The map whose struct bpf_map object starts at `addr` (a CONST_PTR_TO_MAP), or null. */
export function mapOfObjectAddress(space: AddressSpace, addr: bigint): BpfMap | null {
  const m = mapOfAddress(space, addr);
  return m !== null && m.object.base === BigInt.asUintN(64, addr) ? m : null;
}

/** The ring buffer a record pointer (from bpf_ringbuf_reserve) belongs to, or null. */
export function ringbufOfAddress(space: AddressSpace, addr: bigint): RingbufMap | null {
  const m = mapOfAddress(space, addr);
  return m !== null && m.kind === 'ringbuf' && m.data.slot === space.resolve(addr, 1)?.region.slot ? m : null;
}

/** Narrowing helper for the kernel: throws EINVAL unless the map is of the wanted kind. */
export function expectKind<K extends BpfMapKind>(map: BpfMap, kind: K): MapOfKind<K> {
  if (map.kind !== kind) throw new KernelError('EINVAL', `expected a ${kind} map, got ${map.kind}`);
  return map as MapOfKind<K>;
}
