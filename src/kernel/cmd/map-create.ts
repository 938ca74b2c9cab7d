/**
 * BPF_MAP_CREATE (map_create in kernel/bpf/syscall.c, 6.18), in Linux's order of checks:
 * CHECK_ATTR, BTF id pairing, map_extra, file flags, numa node, map type, map_alloc_check,
 * privileges, map_alloc, bpf_obj_name_cpy, BTF, excl_prog_hash, security_bpf_map_create, id, fd.
 */
import { KernelError } from '../../errno.js';
import { MAP_CREATE_ATTR, type AttrBytes } from '../attr.js';
import { FMODE_CAN_READ, FMODE_CAN_WRITE } from '../fdtable.js';
import type { Kernel } from '../kernel.js';
import { createMap, mapAllocCheck, type BpfMap } from '../maps/index.js';
import type { BtfObject, MapObject } from '../objects.js';
import {
  BPF_F_RDONLY, BPF_F_TOKEN_FD, BPF_F_WRONLY, BPF_MAP_TYPE, SHA256_DIGEST_SIZE,
} from '../uapi.js';
import { btfGetByFd, checkAttr, copyIn, objNameCpy, tokenGetFromFd } from './common.js';
import type { SysCtx } from './index.js';
import { mapCheckBtf } from '../btf-checks.js';

/** Map types that need CAP_BPF (the rest of the modelled ones are allowed unprivileged, as in Linux). */
const NEEDS_CAP_BPF = new Set<number>([
  BPF_MAP_TYPE.BPF_MAP_TYPE_SK_STORAGE, BPF_MAP_TYPE.BPF_MAP_TYPE_INODE_STORAGE,
  BPF_MAP_TYPE.BPF_MAP_TYPE_TASK_STORAGE, BPF_MAP_TYPE.BPF_MAP_TYPE_CGRP_STORAGE,
  BPF_MAP_TYPE.BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE.BPF_MAP_TYPE_LPM_TRIE,
  BPF_MAP_TYPE.BPF_MAP_TYPE_STACK_TRACE, BPF_MAP_TYPE.BPF_MAP_TYPE_CGROUP_STORAGE,
  BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, BPF_MAP_TYPE.BPF_MAP_TYPE_USER_RINGBUF,
  BPF_MAP_TYPE.BPF_MAP_TYPE_STRUCT_OPS, BPF_MAP_TYPE.BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE.BPF_MAP_TYPE_ARENA,
]);

/** bpf_get_file_flag: RDONLY and WRONLY together are EINVAL; else the fd's access mode. */
export function fileFmode(flags: number): number {
  if ((flags & BPF_F_RDONLY) && (flags & BPF_F_WRONLY)) throw new KernelError('EINVAL');
  if (flags & BPF_F_RDONLY) return FMODE_CAN_READ;
  if (flags & BPF_F_WRONLY) return FMODE_CAN_WRITE;
  return FMODE_CAN_READ | FMODE_CAN_WRITE;
}

/**
 * A map_ifindex asks for a device-offloaded map (bpf_map_offload_map_alloc): CAP_SYS_ADMIN, ARRAY or
 * HASH only, and a device that can offload. bpfsim's only device is lo (ifindex 1), which cannot
 * (bpf_dev_offload_check: no ndo_bpf → EOPNOTSUPP); any other ifindex names no device (EINVAL).
 */
function bpfMapOffloadMapAlloc(k: Kernel, mapType: number, ifindex: number): never {
  if (!k.config.caps.sysAdmin) throw new KernelError('EPERM');
  if (mapType !== BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY && mapType !== BPF_MAP_TYPE.BPF_MAP_TYPE_HASH) throw new KernelError('EINVAL');
  throw new KernelError(ifindex === LO_IFINDEX ? 'EOPNOTSUPP' : 'EINVAL');
}

/** The loopback device's ifindex: the one network device bpfsim has. */
const LO_IFINDEX = 1;

export function mapCreate(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  checkAttr(attr, MAP_CREATE_ATTR, 'excl_prog_hash_size');
  const a = attr.read(MAP_CREATE_ATTR);
  const mapFlags = a.map_flags & ~BPF_F_TOKEN_FD;
  if (a.btf_vmlinux_value_type_id) {
    if (a.map_type !== BPF_MAP_TYPE.BPF_MAP_TYPE_STRUCT_OPS || a.btf_key_type_id || a.btf_value_type_id) throw new KernelError('EINVAL');
  } else if (a.btf_key_type_id && !a.btf_value_type_id) {
    throw new KernelError('EINVAL');
  }
  if (a.map_type !== BPF_MAP_TYPE.BPF_MAP_TYPE_BLOOM_FILTER && a.map_type !== BPF_MAP_TYPE.BPF_MAP_TYPE_ARENA && a.map_extra !== 0n) {
    throw new KernelError('EINVAL');
  }
  const fmode = fileFmode(mapFlags);
  // NUMA_NO_NODE is -1; the model has one online node (0) and honours BPF_F_NUMA_NODE like Linux.
  const numaNode = mapFlags & 4 /* BPF_F_NUMA_NODE */ ? a.numa_node : -1;
  if (numaNode !== -1 && numaNode !== 0) throw new KernelError('EINVAL');

  const isMapInMap = a.map_type === BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY_OF_MAPS || a.map_type === BPF_MAP_TYPE.BPF_MAP_TYPE_HASH_OF_MAPS;
  const base = {
    mapType: a.map_type, keySize: a.key_size, valueSize: a.value_size, maxEntries: a.max_entries,
    mapFlags, numaNode, name: '', mapExtra: a.map_extra, btfFd: a.btf_fd,
    btfKeyTypeId: a.btf_key_type_id, btfValueTypeId: a.btf_value_type_id,
    btfVmlinuxValueTypeId: a.btf_vmlinux_value_type_id, innerMap: null as BpfMap | null,
  };
  mapAllocCheck(base, k.mapEnv);
  // map_create clears BPF_F_TOKEN_FD before the type's checks, then looks the token up.
  if (a.map_flags & BPF_F_TOKEN_FD) tokenGetFromFd(k, a.map_token_fd);
  if (NEEDS_CAP_BPF.has(a.map_type) && !k.config.caps.bpf) throw new KernelError('EPERM');
  if (a.map_ifindex) bpfMapOffloadMapAlloc(k, a.map_type, a.map_ifindex);

  // map_alloc: map-in-map types take their inner template from inner_map_fd here.
  // (Exclusive maps cannot be inner-map templates: createMap refuses them, signing.md §4.5.)
  const innerObj: MapObject | null = isMapInMap ? k.mapFromFd(a.inner_map_fd).obj : null;
  const map = createMap({ ...base, innerMap: innerObj ? innerObj.map : null }, k.mapEnv);
  let btf: BtfObject | null = null;
  let obj: MapObject | null = null;
  try {
    const name = objNameCpy(a.map_name);
    if (a.btf_key_type_id || a.btf_value_type_id || a.btf_vmlinux_value_type_id) {
      btf = btfGetByFd(k, a.btf_fd);
      if (btf.kernelBtf) throw new KernelError('EACCES');
      if (a.btf_value_type_id) mapCheckBtf(btf.btf, map, a.btf_key_type_id, a.btf_value_type_id);
    }
    let excl: Uint8Array | null = null;
    if (a.excl_prog_hash !== 0n) {
      if (a.excl_prog_hash_size !== SHA256_DIGEST_SIZE) throw new KernelError('EINVAL');
      excl = copyIn(k, a.excl_prog_hash, SHA256_DIGEST_SIZE, ctx.isKernel);
    } else if (a.excl_prog_hash_size) {
      throw new KernelError('EINVAL');
    }
    const sec = k.lsmCall({ hook: 'security_bpf_map_create', name, mapType: a.map_type, isKernel: ctx.isKernel }, { map_name: name });
    if (sec !== 0) throw new KernelError(-sec);
    // struct bpf_map's `excl` (read by the 2026 libbpf loader at offset 32, signing.md Appendix B).
    if (excl) map.setExclusive();
    obj = k.objects.add({
      kind: 'map', id: k.objects.allocId('map'), refcnt: 1, freed: false, map, name, frozen: false,
      writecnt: 0, usercnt: 0, exclProgSha: excl, btf, btfKeyTypeId: btf ? a.btf_key_type_id : 0,
      btfValueTypeId: btf ? a.btf_value_type_id : 0, btfVmlinuxValueTypeId: btf ? a.btf_vmlinux_value_type_id : 0,
      mapExtra: a.map_extra, ifindex: a.map_ifindex,
    } satisfies MapObject);
    k.emit({ type: 'object', action: 'create', kind: 'map', id: obj.id, name });
    // bpf_map_new_fd: security_bpf_map, then the fd. After publication, failure is a put.
    const s = k.lsmCall({ hook: 'security_bpf_map', map: obj, fmode }, { map_name: name });
    if (s !== 0) throw new KernelError(-s);
    return k.installFd(obj, fmode);
  } catch (e) {
    if (obj) k.objects.put(obj); // releases the map and its BTF reference
    else {
      if (btf) k.objects.put(btf);
      map.free();
    }
    throw e;
  }
}
