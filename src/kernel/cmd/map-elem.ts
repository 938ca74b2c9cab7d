/**
 * Syscall-side map element commands and BPF_MAP_FREEZE (kernel/bpf/syscall.c: map_lookup_elem,
 * map_update_elem, map_delete_elem, map_get_next_key, map_freeze).
 *
 * Permissions follow map_get_sys_perms: the fd's mode, minus write once the map is frozen. That is
 * why a second BPF_MAP_FREEZE fails with EPERM, not EBUSY (signing.md §6.3).
 */
import { KernelError } from '../../errno.js';
import { MAP_ELEM_ATTR, MAP_FREEZE_ATTR, type AttrBytes } from '../attr.js';
import { FMODE_CAN_READ, FMODE_CAN_WRITE } from '../fdtable.js';
import type { Kernel } from '../kernel.js';
import type { ObjectRef } from '../maps/index.js';
import type { MapObject, ProgObject } from '../objects.js';
import { BPF_F_LOCK, BPF_MAP_TYPE } from '../uapi.js';
import { checkAttr, copyIn, copyOut } from './common.js';
import type { SysCtx } from './index.js';


/** map_get_sys_perms. */
export function sysPerms(obj: MapObject, fmode: number): number {
  return obj.frozen ? fmode & ~FMODE_CAN_WRITE : fmode;
}


/** __bpf_copy_key: key_size bytes, or EINVAL for a key pointer on a keyless map. */
function copyKey(k: Kernel, ptr: bigint, keySize: number, isKernel: boolean): Uint8Array {
  if (keySize > 0) return copyIn(k, ptr, keySize, isKernel);
  if (ptr !== 0n) throw new KernelError('EINVAL');
  return new Uint8Array(0);
}

/** The object reference a fd-array map stores for a value fd (a program or a map). */
export function objectRef(k: Kernel, o: ProgObject | MapObject): ObjectRef {
  const retain = () => k.objects.get(o);
  const release = () => k.objects.put(o);
  return o.kind === 'prog'
    ? { kind: 'prog', id: o.id, progType: o.progType, expectedAttachType: o.expectedAttachType, retain, release }
    : { kind: 'map', id: o.id, map: o.map, retain, release };
}

export function mapLookupElem(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  checkAttr(attr, MAP_ELEM_ATTR, 'flags');
  const a = attr.read(MAP_ELEM_ATTR);
  if (a.flags & ~BigInt(BPF_F_LOCK)) throw new KernelError('EINVAL');
  const { obj, fmode } = k.mapFromFd(a.map_fd);
  if (!(sysPerms(obj, fmode) & FMODE_CAN_READ)) throw new KernelError('EPERM');
  if (a.flags & BigInt(BPF_F_LOCK)) throw new KernelError('EINVAL'); // no bpf_spin_lock values modelled
  const key = copyKey(k, a.key, obj.map.keySize, ctx.isKernel);
  let value: Uint8Array;
  if (obj.map.isFdMap) {
    // Prog arrays and map-in-maps return the id of the object in the slot (map_fd_sys_lookup_elem).
    if (!obj.map.lookupFdId) throw new KernelError('ENOTSUPP');
    const id = obj.map.lookupFdId(key);
    value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, id, true);
  } else {
    value = obj.map.lookup(key, a.flags);
  }
  copyOut(k, a.value, value, ctx.isKernel);
  return 0;
}

export function mapUpdateElem(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  checkAttr(attr, MAP_ELEM_ATTR, 'flags');
  const a = attr.read(MAP_ELEM_ATTR);
  const { obj, fmode } = k.mapFromFd(a.map_fd);
  if (!(sysPerms(obj, fmode) & FMODE_CAN_WRITE)) throw new KernelError('EPERM');
  if (a.flags & BigInt(BPF_F_LOCK)) throw new KernelError('EINVAL');
  const key = copyKey(k, a.key, obj.map.keySize, ctx.isKernel);
  const value = copyIn(k, a.value, obj.map.syscallValueSize, ctx.isKernel);
  if (obj.map.isFdMap) {
    if (!obj.map.updateFd) throw new KernelError('ENOTSUPP');
    const fd = new DataView(value.buffer, value.byteOffset).getInt32(0, true);
    const wantProg = obj.map.mapType === BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY;
    // Resolved lazily: each map type decides whether flags/index or the fd are checked first.
    obj.map.updateFd(key, () => {
      const target = wantProg ? k.progFromFd(fd) : k.mapFromFd(fd).obj;
      // Exclusive maps cannot be inserted into a map-in-map (signing.md §4.5).
      if (target.kind === 'map' && target.exclProgSha) throw new KernelError('ENOTSUPP');
      return objectRef(k, target);
    }, a.flags);
    return 0;
  }
  obj.map.update(key, value, a.flags);
  return 0;
}

export function mapDeleteElem(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  checkAttr(attr, MAP_ELEM_ATTR, 'key');
  const a = attr.read(MAP_ELEM_ATTR);
  const { obj, fmode } = k.mapFromFd(a.map_fd);
  if (!(sysPerms(obj, fmode) & FMODE_CAN_WRITE)) throw new KernelError('EPERM');
  const key = copyKey(k, a.key, obj.map.keySize, ctx.isKernel);
  obj.map.delete(key);
  return 0;
}

export function mapGetNextKey(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  checkAttr(attr, MAP_ELEM_ATTR, 'value');
  const a = attr.read(MAP_ELEM_ATTR);
  const { obj, fmode } = k.mapFromFd(a.map_fd);
  if (!(sysPerms(obj, fmode) & FMODE_CAN_READ)) throw new KernelError('EPERM');
  const key = a.key !== 0n ? copyKey(k, a.key, obj.map.keySize, ctx.isKernel) : null;
  const next = obj.map.getNextKey(key);
  copyOut(k, a.value, next, ctx.isKernel);
  return 0;
}

export function mapFreeze(k: Kernel, attr: AttrBytes, _ctx: SysCtx): number {
  checkAttr(attr, MAP_FREEZE_ATTR, 'map_fd');
  const a = attr.read(MAP_FREEZE_ATTR);
  const { obj, fmode } = k.mapFromFd(a.map_fd);
  if (obj.map.mapType === BPF_MAP_TYPE.BPF_MAP_TYPE_STRUCT_OPS) throw new KernelError('ENOTSUPP');
  if (!(sysPerms(obj, fmode) & FMODE_CAN_WRITE)) throw new KernelError('EPERM');
  if (obj.writecnt > 0) throw new KernelError('EBUSY');
  if (obj.frozen) throw new KernelError('EBUSY');
  obj.frozen = true;
  return 0;
}
