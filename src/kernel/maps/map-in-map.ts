/**
 * The inner-map template of ARRAY_OF_MAPS / HASH_OF_MAPS (kernel/bpf/map_in_map.c).
 *
 * At creation the outer map copies the template's type, sizes and flags (bpf_map_meta_alloc);
 * the template fd may be closed afterwards. Every map inserted later must match that copy
 * (map_meta_equal), because the verifier checked programs against the template.
 */
import { KernelError } from '../../errno.js';
import { BPF_F_INNER_MAP, BPF_MAP_TYPE } from '../uapi.js';
import { metaOf } from './common.js';
import type { BpfMap, MapMeta } from './types.js';

/** bpf_map_meta_alloc's checks; returns the copied template. */
export function bpfMapMetaAlloc(inner: BpfMap | null): MapMeta {
  if (inner === null) throw new KernelError('EBADF', 'inner_map_fd is not a map');
  // Only one level of nesting.
  if (inner.innerMapMeta !== null) throw new KernelError('EINVAL', 'an inner map cannot be a map-in-map');
  // Types without map_meta_equal cannot be inner maps (checked on the 6.18 VM: PROG_ARRAY).
  if (inner.kind === 'prog_array') throw new KernelError('ENOTSUPP', 'this map type cannot be an inner map');
  // Exclusive maps belong to one program and cannot be shared through a map-in-map (signing.md §4.5).
  if (inner.exclusive) throw new KernelError('ENOTSUPP', 'exclusive maps cannot be inner maps');
  return metaOf(inner);
}

/**
 * The template's map_meta_equal: bpf_map_meta_equal (type, key and value size, flags; no BTF
 * records are modelled, so btf_record_equal holds), and for ARRAY also max_entries unless the
 * template has BPF_F_INNER_MAP (array_map_meta_equal).
 */
export function mapMetaEqual(meta: MapMeta, m: MapMeta): boolean {
  const base = meta.mapType === m.mapType && meta.keySize === m.keySize && meta.valueSize === m.valueSize &&
    meta.mapFlags === m.mapFlags;
  if (!base) return false;
  if (meta.mapType === BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY && !(meta.mapFlags & BPF_F_INNER_MAP)) {
    return meta.maxEntries === m.maxEntries;
  }
  return true;
}

/** bpf_map_fd_get_ptr's checks for a map about to be stored in a map-in-map. */
export function checkInnerMap(meta: MapMeta, m: BpfMap): void {
  if (m.exclusive) throw new KernelError('ENOTSUPP', 'exclusive maps cannot be inner maps');
  if (!mapMetaEqual(meta, m)) throw new KernelError('EINVAL', 'map does not match the inner map template');
}
