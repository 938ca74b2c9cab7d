/**
 * BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID (kernel/bpf/syscall.c: bpf_obj_get_next_id,
 * bpf_map_get_fd_by_id, bpf_prog_get_fd_by_id, bpf_btf_get_fd_by_id, bpf_link_get_fd_by_id).
 * Both need CAP_SYS_ADMIN.
 */
import { KernelError } from '../../errno.js';
import { FD_BY_ID_ATTR, GET_ID_ATTR, type AttrBytes } from '../attr.js';
import type { Kernel } from '../kernel.js';
import type { ObjectKind } from '../objects.js';
import { checkAttr, copyOut, tokenGetFromFd, u32le } from './common.js';
import type { CommandHandler, SysCtx } from './index.js';
import { fileFmode } from './map-create.js';
import { BPF_F_RDONLY, BPF_F_TOKEN_FD, BPF_F_WRONLY } from '../uapi.js';

export function getNextId(kind: ObjectKind): CommandHandler {
  return (k: Kernel, attr: AttrBytes, ctx: SysCtx) => {
    // bpf_obj_get_next_id: start_id must be below INT_MAX (ids come from idr_alloc_cyclic(.., 1, INT_MAX)).
    checkAttr(attr, GET_ID_ATTR, 'next_id');
    const a = attr.read(GET_ID_ATTR);
    if (a.start_id >= 0x7fffffff) throw new KernelError('EINVAL');
    if (!k.config.caps.sysAdmin) throw new KernelError('EPERM');
    const next = k.objects.space(kind).nextAfter(a.start_id);
    if (next === null) throw new KernelError('ENOENT');
    copyOut(k, ctx.attrPtr + 4n, u32le(next), ctx.isKernel);
    return 0;
  };
}

export function getFdById(kind: ObjectKind): CommandHandler {
  return (k: Kernel, attr: AttrBytes, _ctx: SysCtx) => {
    // CHECK_ATTR: map takes open_flags, BTF open_flags and a token fd (6.18), prog and link only the id.
    checkAttr(attr, FD_BY_ID_ATTR, kind === 'map' ? 'open_flags' : kind === 'btf' ? 'fd_by_id_token_fd' : 'id');
    const a = attr.read(FD_BY_ID_ATTR);
    // bpf_map_get_fd_by_id: open_flags beyond BPF_OBJ_FLAG_MASK (RDONLY | WRONLY) are EINVAL.
    if (kind === 'map' && (a.open_flags & ~(BPF_F_RDONLY | BPF_F_WRONLY))) throw new KernelError('EINVAL');
    // bpf_btf_get_fd_by_id: only BPF_F_TOKEN_FD, and then the token is looked up.
    if (kind === 'btf') {
      if (a.open_flags & ~BPF_F_TOKEN_FD) throw new KernelError('EINVAL');
      if (a.open_flags & BPF_F_TOKEN_FD) tokenGetFromFd(k, a.fd_by_id_token_fd);
    }
    if (!k.config.caps.sysAdmin) throw new KernelError('EPERM');
    const fmode = kind === 'map' ? fileFmode(a.open_flags) : 3;
    const obj = k.objects.space(kind).live.get(a.id);
    if (!obj) throw new KernelError('ENOENT');
    if (obj.kind === 'map') {
      const s = k.lsmCall({ hook: 'security_bpf_map', map: obj, fmode }, { map_name: obj.name });
      if (s !== 0) return s;
    } else if (obj.kind === 'prog') {
      const s = k.lsmCall({ hook: 'security_bpf_prog', prog: obj }, { prog_name: obj.name });
      if (s !== 0) return s;
    }
    k.objects.get(obj);
    try {
      return k.installFd(obj, fmode);
    } catch (e) {
      k.objects.put(obj);
      throw e;
    }
  };
}
