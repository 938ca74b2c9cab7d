/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS (kernel/bpf/arraymap.c): an fd array whose slots hold maps matching
 * the inner template. A program's lookup returns the inner map itself (its struct bpf_map address,
 * usable as the map argument of further helper calls), or NULL.
 */
import { KernelError } from '../../errno.js';
import { FdArrayBase, chargeFdArray } from './fd-array.js';
import { bpfMapMetaAlloc, checkInnerMap } from './map-in-map.js';
import type { MapResources } from './resources.js';
import type { BpfMap, MapCreateAttrs, MapInMap, MapMeta, MapRef, ObjectRef } from './types.js';

class ArrayOfMapsImpl extends FdArrayBase<MapRef> implements MapInMap {
  readonly kind = 'array_of_maps' as const;

  constructor(res: MapResources, attrs: MapCreateAttrs, private readonly meta: MapMeta) {
    super(res, attrs);
  }

  override get innerMapMeta(): MapMeta {
    return this.meta;
  }

  protected accept(ref: ObjectRef): MapRef {
    if (ref.kind !== 'map') throw new KernelError('EINVAL', 'not a map');
    checkInnerMap(this.innerMapMeta, ref.map);
    return ref;
  }

  innerMapAt(key: Uint8Array): BpfMap | null {
    return this.refAt(key)?.map ?? null;
  }

  lookupElem(key: Uint8Array): bigint {
    const m = this.innerMapAt(key);
    return m ? m.object.base : 0n;
  }
}

export function createArrayOfMaps(res: MapResources, attrs: MapCreateAttrs): MapInMap {
  // array_of_map_alloc: the template first, then the array.
  const meta = bpfMapMetaAlloc(attrs.innerMap);
  chargeFdArray(res, attrs);
  return new ArrayOfMapsImpl(res, attrs, meta);
}
