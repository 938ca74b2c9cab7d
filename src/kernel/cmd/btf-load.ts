/**
 * BPF_BTF_LOAD (bpf_btf_load → btf_new_fd → btf_parse). The validation and its log are
 * ../btf/load.ts; here: CHECK_ATTR, flags, CAP_BPF, user memory, the log buffer, id and fd.
 */
import { KernelError } from '../../errno.js';
import { BTF_LOAD_ATTR, type AttrBytes } from '../attr.js';
import { btfLoad as btfParse } from '../btf/index.js';
import type { Kernel } from '../kernel.js';
import type { BtfObject } from '../objects.js';
import { BPF_F_TOKEN_FD } from '../uapi.js';
import { logBufState } from '../log-buffer.js';
import { checkAttr, tokenGetFromFd, u32le } from './common.js';
import type { SysCtx } from './index.js';

export function btfLoad(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  checkAttr(attr, BTF_LOAD_ATTR, 'btf_token_fd');
  const a = attr.read(BTF_LOAD_ATTR);
  if (a.btf_flags & ~BPF_F_TOKEN_FD) throw new KernelError('EINVAL');
  if (a.btf_flags & BPF_F_TOKEN_FD) tokenGetFromFd(k, a.btf_token_fd);
  if (!k.config.caps.bpf) throw new KernelError('EPERM');
  const r = btfParse({
    data: (size: number) => k.copyFromBpfptr(a.btf, size, ctx.isKernel),
    btfSize: a.btf_size, logLevel: a.btf_log_level, logSize: a.btf_log_size,
    logBuf: logBufState(k, a.btf_log_buf, a.btf_log_size),
  });
  let logFault = false;
  if (r.logBytes) {
    const out = new Uint8Array(r.logBytes.length + 1);
    out.set(r.logBytes);
    logFault = !k.copyToBpfptr(a.btf_log_buf, out, false);
  }
  // btf_log_true_size exists only for callers whose attr reaches it (the loader passes 28 bytes).
  if (r.logTrueSize !== null && ctx.size >= 32) {
    if (!k.copyToBpfptr(ctx.attrPtr + 28n, u32le(r.logTrueSize), ctx.isKernel)) throw new KernelError('EFAULT');
  }
  if (!r.ok) throw new KernelError(r.errno);
  if (logFault) throw new KernelError('EFAULT'); // bpf_vlog_finalize: the buffer could not be written
  const bytes = r.btf.bytes;
  const obj: BtfObject = k.objects.add({
    kind: 'btf', id: k.objects.allocId('btf'), refcnt: 1, freed: false, bytes, btf: r.btf, name: '', kernelBtf: false,
  } satisfies BtfObject);
  k.emit({ type: 'object', action: 'create', kind: 'btf', id: obj.id, name: '' });
  try {
    return k.installFd(obj, 1);
  } catch (e) {
    k.objects.put(obj);
    throw e;
  }
}
