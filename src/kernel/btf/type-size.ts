/**
 * btf_type_id_size(): the size of a type id, following modifiers and VARs through the ids the
 * resolver recorded (btf->resolved_ids / resolved_sizes).
 */
import { BTF_KIND as BTF_KIND_IMPORT } from './constants.js';
import { RawBtf, hasSize, isModifier, isNosizeOrNull } from './raw.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

export interface Resolved {
  readonly resolvedIds: Uint32Array;
  readonly resolvedSizes: Uint32Array;
}

export interface SizedType {
  /** Record offset of the sized type. */
  t: number;
  /** Its id (the input id unless a modifier/VAR was followed). */
  id: number;
  size: number;
}

/** sizeof(void *) on x86-64. */
export const PTR_SIZE = 8;

export function typeIdSize(r: RawBtf, res: Resolved, typeId: number): SizedType | null {
  let id = typeId;
  let t = r.byId(id);
  if (isNosizeOrNull(r, t)) return null;
  let tt = t as number;
  const sizeOf = (x: number, xid: number): number | null => {
    if (hasSize(r, x)) return r.sizeOrType(x);
    if (r.kind(x) === BTF_KIND.ARRAY) return res.resolvedSizes[xid] ?? 0;
    if (r.kind(x) === BTF_KIND.PTR) return PTR_SIZE;
    return null;
  };
  let size = sizeOf(tt, id);
  if (size === null) {
    // The kernel WARNs (and gives up) for anything but a modifier or a VAR here.
    if (!isModifier(r, tt) && r.kind(tt) !== BTF_KIND.VAR) return null;
    id = res.resolvedIds[id] ?? 0;
    t = r.byId(id);
    if (isNosizeOrNull(r, t)) return null;
    tt = t as number;
    size = sizeOf(tt, id);
    if (size === null) return null;
  }
  return { t: tt, id, size };
}
