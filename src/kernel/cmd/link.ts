/**
 * Attaching: BPF_RAW_TRACEPOINT_OPEN and BPF_LINK_CREATE (bpf_raw_tp_link_attach, link_create).
 * Attached programs run when the modelled process hits the tracepoint (Kernel.syscall fires
 * sys_enter / sys_exit).
 */
import { KernelError } from '../../errno.js';
import { LINK_CREATE_ATTR, RAW_TP_OPEN_ATTR, type AttrBytes } from '../attr.js';
import type { Kernel } from '../kernel.js';
import type { LinkObject, ProgObject } from '../objects.js';
import { BPF_ATTACH_TYPE, BPF_LINK_TYPE, BPF_PROG_TYPE } from '../uapi.js';
import { checkAttr, stringIn } from './common.js';
import type { SysCtx } from './index.js';

/** Raw tracepoints of the model. */
export const RAW_TRACEPOINTS: ReadonlySet<string> = new Set(['sys_enter', 'sys_exit', 'sched_process_exec', 'sched_process_exit', 'sched_switch']);

/** bpf_raw_tp_link_attach. `userName` is the user pointer of the tracepoint name (or 0). */
function rawTpLinkAttach(k: Kernel, prog: ProgObject, userName: bigint, linkType: number): number {
  let tp: string;
  switch (prog.progType) {
    case BPF_PROG_TYPE.BPF_PROG_TYPE_TRACING:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_EXT:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_LSM: {
      // The attach point of these programs was fixed at load time through attach_btf_id.
      if (userName !== 0n) throw new KernelError('EINVAL');
      if (prog.progType !== BPF_PROG_TYPE.BPF_PROG_TYPE_TRACING || prog.expectedAttachType !== BPF_ATTACH_TYPE.BPF_TRACE_RAW_TP) {
        throw new KernelError('ENOTSUPP'); // fentry/fexit/LSM trampolines are not modelled
      }
      const name = k.vmlinux.nameOf(prog.attachBtfId) ?? '';
      tp = name.replace(/^btf_trace_/, '');
      break;
    }
    case BPF_PROG_TYPE.BPF_PROG_TYPE_RAW_TRACEPOINT:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
      tp = stringIn(k, userName, 128, false);
      break;
    default:
      throw new KernelError('EINVAL');
  }
  if (!RAW_TRACEPOINTS.has(tp)) throw new KernelError('ENOENT');
  const link: LinkObject = k.objects.add({
    kind: 'link', id: k.objects.allocId('link'), refcnt: 1, freed: false, linkType, prog,
    attachType: prog.expectedAttachType, tpName: tp, detached: false,
  } satisfies LinkObject);
  k.objects.get(prog);
  k.attach(tp, link);
  k.emit({ type: 'object', action: 'create', kind: 'link', id: link.id, name: tp });
  try {
    return k.installFd(link, 3);
  } catch (e) {
    k.objects.put(link);
    throw e;
  }
}

export function rawTracepointOpen(k: Kernel, attr: AttrBytes, _ctx: SysCtx): number {
  checkAttr(attr, RAW_TP_OPEN_ATTR, 'cookie');
  const a = attr.read(RAW_TP_OPEN_ATTR);
  const prog = k.progFromFd(a.prog_fd);
  return rawTpLinkAttach(k, prog, a.name, BPF_LINK_TYPE.BPF_LINK_TYPE_RAW_TRACEPOINT);
}

export function linkCreate(k: Kernel, attr: AttrBytes, _ctx: SysCtx): number {
  // CHECK_ATTR(BPF_LINK_CREATE): the union ends with link_create.uprobe_multi.pid.
  checkAttr(attr, LINK_CREATE_ATTR, 'uprobe_multi_pid');
  const a = attr.read(LINK_CREATE_ATTR);
  const prog = k.progFromFd(a.prog_fd);
  switch (prog.progType) {
    case BPF_PROG_TYPE.BPF_PROG_TYPE_TRACING:
      if (a.attach_type !== prog.expectedAttachType) throw new KernelError('EINVAL');
      if (prog.expectedAttachType === BPF_ATTACH_TYPE.BPF_TRACE_RAW_TP) return rawTpLinkAttach(k, prog, 0n, BPF_LINK_TYPE.BPF_LINK_TYPE_RAW_TRACEPOINT);
      throw new KernelError('ENOTSUPP');
    case BPF_PROG_TYPE.BPF_PROG_TYPE_LSM:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_EXT:
      throw new KernelError('ENOTSUPP');
    default:
      throw new KernelError('EINVAL');
  }
}
