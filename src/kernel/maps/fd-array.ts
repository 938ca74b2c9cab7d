/**
 * What PROG_ARRAY and ARRAY_OF_MAPS share (kernel/bpf/arraymap.c, the "fd array" maps): a u32
 * value that is an fd on the syscall side, stored as an object reference; syscall lookups return
 * the object's id; index checks as in bpf_fd_array_map_update_elem / fd_array_map_delete_elem.
 */
import { KernelError } from '../../errno.js';
import { BPF_ANY, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG } from '../uapi.js';
import { arrayGeometry, arrayGetNextKey, arrayIndex, arrayMapAllocCheck } from './array.js';
import { MapBase, checkLen, checkLookupFlags, errno, u32Bytes } from './common.js';
import type { MapResources } from './resources.js';
import { ROOT_MAP_CAPS, type MapCreateAttrs, type ObjectRef, type ObjectRefSource } from './types.js';

/** fd_array_map_alloc_check. */
export function fdArrayMapAllocCheck(a: MapCreateAttrs): void {
  // Only file descriptors can be stored in this type of map.
  if (a.valueSize !== 4) throw new KernelError('EINVAL', 'fd maps have value_size 4');
  // Program read-only/write-only is not supported for special maps.
  if (a.mapFlags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) throw new KernelError('EINVAL', 'BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG not supported');
  arrayMapAllocCheck(a);
}

/** array_map_alloc's cost for an array of pointers. */
export function chargeFdArray(res: MapResources, attrs: MapCreateAttrs): void {
  const geo = arrayGeometry({ ...attrs, valueSize: 8 }, res.env.caps ?? ROOT_MAP_CAPS, res.env.nrCpus, false);
  res.charge(geo.cost);
}

export function resolveRef(src: ObjectRefSource): ObjectRef {
  return typeof src === 'function' ? src() : src;
}

export abstract class FdArrayBase<R extends ObjectRef> extends MapBase {
  readonly valueArea = null;
  readonly syscallValueSize = 4;
  /** Occupied slots only (max_entries may be large). */
  protected readonly slots = new Map<number, R>();

  constructor(res: MapResources, attrs: MapCreateAttrs) {
    super(res, attrs);
  }

  override get isFdMap(): boolean {
    return true;
  }

  get count(): number {
    return this.slots.size;
  }

  /** map_fd_get_ptr: accept the object for this map (type and compatibility checks) or throw. */
  protected abstract accept(ref: ObjectRef): R;

  /** bpf_fd_array_map_update_elem: flags, then the index, then the fd. */
  updateFd(key: Uint8Array, src: ObjectRefSource, flags: bigint): void {
    checkLen('key', key, 4);
    if (flags !== BigInt(BPF_ANY)) throw new KernelError('EINVAL', 'fd array updates take BPF_ANY only');
    const i = arrayIndex(key, this.maxEntries);
    if (i < 0) throw new KernelError('E2BIG');
    const ref = this.accept(resolveRef(src));
    ref.retain();
    const old = this.slots.get(i);
    this.slots.set(i, ref);
    old?.release();
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: bigint): void {
    throw new KernelError('EINVAL', 'fd maps are updated with updateFd (the kernel resolves the fd)');
  }

  lookupFdId(key: Uint8Array): number {
    checkLen('key', key, 4);
    const i = arrayIndex(key, this.maxEntries);
    const ref = i < 0 ? undefined : this.slots.get(i);
    if (!ref) throw new KernelError('ENOENT');
    return ref.id;
  }

  /** bpf_fd_array_map_lookup_elem: the id, as a u32. */
  lookup(key: Uint8Array, flags: bigint): Uint8Array {
    checkLookupFlags(flags);
    return u32Bytes(this.lookupFdId(key));
  }

  delete(key: Uint8Array): void {
    checkLen('key', key, 4);
    const i = arrayIndex(key, this.maxEntries);
    if (i < 0) throw new KernelError('E2BIG');
    const old = this.slots.get(i);
    if (!old) throw new KernelError('ENOENT');
    this.slots.delete(i);
    old.release();
  }

  getNextKey(key: Uint8Array | null): Uint8Array {
    return arrayGetNextKey(key, this.maxEntries);
  }

  /** Programs may only look fd maps up (map-in-map) or tail-call through them; other calls fail. */
  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: bigint): number {
    return errno('EOPNOTSUPP');
  }

  deleteElem(_key: Uint8Array): number {
    return errno('EOPNOTSUPP');
  }

  protected refAt(key: Uint8Array): R | null {
    const i = arrayIndex(key, this.maxEntries);
    return i < 0 ? null : this.slots.get(i) ?? null;
  }

  /** Empty every slot, dropping the references (bpf_fd_array_map_clear). */
  protected clearAll(): void {
    const refs = [...this.slots.values()];
    this.slots.clear();
    for (const r of refs) r.release();
  }

  protected override releaseRefs(): void {
    this.clearAll();
  }
}
