/**
 * BPF_PROG_LOAD (bpf_prog_load in kernel/bpf/syscall.c, 6.18; signing.md §2.2 step 7), in Linux's
 * order: CHECK_ATTR, prog_flags, capabilities, insn_cnt, attach target, bpf_prog_load_check_attach,
 * copy insns and license, **signature verification** (before the LSM hook and the verifier),
 * program type, name, **security_bpf_prog_load**, the verifier (bpf_check), id, fd.
 *
 * The three signing schemes differ only in what the signature step covers and where the map
 * check happens (see ../signing-schemes.ts).
 */
import { KernelError, errnoName } from '../../errno.js';
import { decode } from '../../isa/program.js';
import { PROG_LOAD_ATTR, type AttrBytes, type AttrOf } from '../attr.js';
import type { Kernel } from '../kernel.js';
import type { BtfObject, ProgObject, SignatureStatus } from '../objects.js';
import {
  BPF_F_SLEEPABLE, BPF_F_TOKEN_FD, BPF_F_XDP_DEV_BOUND_ONLY, BPF_F_XDP_HAS_FRAGS, BPF_PROG_LOAD_FLAGS_MASK, BPF_PROG_TYPE,
  progTypeName,
} from '../uapi.js';
import { btfGetByFd, checkAttr, copyIn, objNameCpy, stringIn, tokenGetFromFd } from './common.js';
import type { SysCtx } from './index.js';
import { verifySignatureStep } from '../signing-schemes.js';
import { runVerifier } from '../verifier-adapter.js';
import { buildRunnable } from '../fixups.js';
import { writeVerifierLog, checkLogAttrs, logWindowOf } from '../log-buffer.js';
import { isKnownProgType } from '../progtypes.js';

/** BPF_COMPLEXITY_LIMIT_INSNS (privileged) and BPF_MAXINSNS (unprivileged). */
const LIMIT_PRIV = 1_000_000;
const LIMIT_UNPRIV = 4096;

const NET_ADMIN_TYPES = new Set<number>([
  BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE.BPF_PROG_TYPE_XDP,
  BPF_PROG_TYPE.BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE.BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE.BPF_PROG_TYPE_LWT_XMIT,
  BPF_PROG_TYPE.BPF_PROG_TYPE_LWT_SEG6LOCAL, BPF_PROG_TYPE.BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE.BPF_PROG_TYPE_SK_MSG,
  BPF_PROG_TYPE.BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_DEVICE,
  BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
  BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SYSCTL,
  BPF_PROG_TYPE.BPF_PROG_TYPE_SOCK_OPS, BPF_PROG_TYPE.BPF_PROG_TYPE_EXT, BPF_PROG_TYPE.BPF_PROG_TYPE_NETFILTER,
]);
const PERFMON_TYPES = new Set<number>([
  BPF_PROG_TYPE.BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE.BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE.BPF_PROG_TYPE_PERF_EVENT,
  BPF_PROG_TYPE.BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
  BPF_PROG_TYPE.BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE.BPF_PROG_TYPE_LSM, BPF_PROG_TYPE.BPF_PROG_TYPE_STRUCT_OPS,
  BPF_PROG_TYPE.BPF_PROG_TYPE_EXT,
]);
const BTF_ID_TYPES = new Set<number>([
  BPF_PROG_TYPE.BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE.BPF_PROG_TYPE_LSM, BPF_PROG_TYPE.BPF_PROG_TYPE_STRUCT_OPS,
  BPF_PROG_TYPE.BPF_PROG_TYPE_EXT,
]);

/** license_is_gpl_compatible (include/linux/license.h). */
export function licenseIsGplCompatible(l: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(l);
}

/** bpf_prog_load_check_attach, for the program types bpfsim models. */
function checkAttach(progType: number, expectedAttachType: number, attachBtf: BtfObject | null, btfId: number): void {
  if (btfId) {
    if (btfId > 1_000_000) throw new KernelError('EINVAL'); // BTF_MAX_TYPE
    if (!attachBtf) throw new KernelError('EINVAL');
    if (!BTF_ID_TYPES.has(progType)) throw new KernelError('EINVAL');
  }
  if (attachBtf && !btfId) throw new KernelError('EINVAL');
  // The types whose expected_attach_type is restricted (the switch at the end of
  // bpf_prog_load_check_attach); every other type accepts any value.
  const allowed = EXPECTED_ATTACH_TYPES.get(progType);
  if (allowed && !allowed.includes(expectedAttachType)) throw new KernelError('EINVAL');
}

/**
 * bpf_prog_load_fixup_attach_type: CGROUP_SOCK and SK_REUSEPORT programs loaded with
 * expected_attach_type 0 get their type's default (old userspace did not set it).
 */
function fixupAttachType(progType: number, expectedAttachType: number): number {
  if (expectedAttachType) return expectedAttachType;
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK) return ATTACH.CGROUP_INET_SOCK_CREATE;
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SK_REUSEPORT) return ATTACH.SK_REUSEPORT_SELECT;
  return expectedAttachType;
}

/**
 * enum bpf_attach_type values named by bpf_prog_load_check_attach (include/uapi/linux/bpf.h, 6.18).
 * Kept here until uapi.ts lists every attach type.
 */
const ATTACH = {
  CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, CGROUP_INET_SOCK_CREATE: 2, CGROUP_INET4_BIND: 8,
  CGROUP_INET6_BIND: 9, CGROUP_INET4_CONNECT: 10, CGROUP_INET6_CONNECT: 11, CGROUP_INET4_POST_BIND: 12,
  CGROUP_INET6_POST_BIND: 13, CGROUP_UDP4_SENDMSG: 14, CGROUP_UDP6_SENDMSG: 15, CGROUP_UDP4_RECVMSG: 19,
  CGROUP_UDP6_RECVMSG: 20, CGROUP_GETSOCKOPT: 21, CGROUP_SETSOCKOPT: 22, CGROUP_INET4_GETPEERNAME: 29,
  CGROUP_INET6_GETPEERNAME: 30, CGROUP_INET4_GETSOCKNAME: 31, CGROUP_INET6_GETSOCKNAME: 32,
  CGROUP_INET_SOCK_RELEASE: 34, SK_LOOKUP: 36, SK_REUSEPORT_SELECT: 39, SK_REUSEPORT_SELECT_OR_MIGRATE: 40,
  NETFILTER: 45, CGROUP_UNIX_CONNECT: 49, CGROUP_UNIX_SENDMSG: 50, CGROUP_UNIX_RECVMSG: 51,
  CGROUP_UNIX_GETPEERNAME: 52, CGROUP_UNIX_GETSOCKNAME: 53,
} as const;

const T = BPF_PROG_TYPE;
const EXPECTED_ATTACH_TYPES: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [T.BPF_PROG_TYPE_CGROUP_SOCK, [ATTACH.CGROUP_INET_SOCK_CREATE, ATTACH.CGROUP_INET_SOCK_RELEASE, ATTACH.CGROUP_INET4_POST_BIND, ATTACH.CGROUP_INET6_POST_BIND]],
  [T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, [
    ATTACH.CGROUP_INET4_BIND, ATTACH.CGROUP_INET6_BIND, ATTACH.CGROUP_INET4_CONNECT, ATTACH.CGROUP_INET6_CONNECT,
    ATTACH.CGROUP_UNIX_CONNECT, ATTACH.CGROUP_INET4_GETPEERNAME, ATTACH.CGROUP_INET6_GETPEERNAME,
    ATTACH.CGROUP_UNIX_GETPEERNAME, ATTACH.CGROUP_INET4_GETSOCKNAME, ATTACH.CGROUP_INET6_GETSOCKNAME,
    ATTACH.CGROUP_UNIX_GETSOCKNAME, ATTACH.CGROUP_UDP4_SENDMSG, ATTACH.CGROUP_UDP6_SENDMSG, ATTACH.CGROUP_UNIX_SENDMSG,
    ATTACH.CGROUP_UDP4_RECVMSG, ATTACH.CGROUP_UDP6_RECVMSG, ATTACH.CGROUP_UNIX_RECVMSG,
  ]],
  [T.BPF_PROG_TYPE_CGROUP_SKB, [ATTACH.CGROUP_INET_INGRESS, ATTACH.CGROUP_INET_EGRESS]],
  [T.BPF_PROG_TYPE_CGROUP_SOCKOPT, [ATTACH.CGROUP_SETSOCKOPT, ATTACH.CGROUP_GETSOCKOPT]],
  [T.BPF_PROG_TYPE_SK_LOOKUP, [ATTACH.SK_LOOKUP]],
  [T.BPF_PROG_TYPE_SK_REUSEPORT, [ATTACH.SK_REUSEPORT_SELECT, ATTACH.SK_REUSEPORT_SELECT_OR_MIGRATE]],
  [T.BPF_PROG_TYPE_NETFILTER, [ATTACH.NETFILTER]],
  [T.BPF_PROG_TYPE_SYSCALL, [0]],
  [T.BPF_PROG_TYPE_EXT, [0]],
]);

/**
 * The errors of process_fd_array (bpf_check, right after bpf_vlog_init), checked here so that they
 * come before check_btf_info_early's, as in Linux; the verifier then binds the maps itself. With
 * fd_array_cnt > 0: a count that would overflow is EINVAL, an unreadable entry EFAULT, and each
 * entry must be a map or a BTF fd (add_fd_from_fd_array: else __bpf_map_get's EBADF / EINVAL).
 */
function processFdArrayErrors(k: Kernel, fdArray: bigint, cnt: number, isKernel: boolean): void {
  if (!cnt) return;
  if (cnt >= Math.floor(0xffffffff / 4)) throw new KernelError('EINVAL');
  for (let i = 0; i < cnt; i++) {
    const b = copyIn(k, fdArray + BigInt(4 * i), 4, isKernel);
    const e = k.fdEntry(new DataView(b.buffer, b.byteOffset).getInt32(0, true));
    if (!e) throw new KernelError('EBADF');
    if (e.type !== 'bpf' || (e.obj.kind !== 'map' && e.obj.kind !== 'btf')) throw new KernelError('EINVAL');
  }
}

/** MIN_BPF_FUNCINFO_SIZE, MAX_FUNCINFO_REC_SIZE (kernel/bpf/verifier.c). */
const MIN_BPF_FUNCINFO_SIZE = 8;
const MAX_FUNCINFO_REC_SIZE = 252;

/**
 * check_btf_info_early (bpf_check, after bpf_vlog_init): the program's BTF is taken only when
 * func_info or line_info is given — then prog_btf_fd must be a BTF fd (EBADF / EINVAL, so fd 0 is
 * stdin, not "none") and not kernel BTF (EACCES) — and check_btf_func_early's record size rule.
 * bpfsim does not model func_info/line_info records beyond that (see README).
 */
function checkBtfInfoEarly(k: Kernel, a: AttrOf<typeof PROG_LOAD_ATTR>): BtfObject | null {
  if (!a.func_info_cnt && !a.line_info_cnt) return null;
  const btf = btfGetByFd(k, a.prog_btf_fd);
  if (btf.kernelBtf) { k.objects.put(btf); throw new KernelError('EACCES'); }
  const rec = a.func_info_rec_size;
  if (a.func_info_cnt && (rec < MIN_BPF_FUNCINFO_SIZE || rec > MAX_FUNCINFO_REC_SIZE || rec % 4)) {
    k.objects.put(btf);
    throw new KernelError('EINVAL');
  }
  return btf;
}

/** The loopback device's ifindex: the one network device bpfsim has. */
const LO_IFINDEX = 1;

/**
 * bpf_prog_dev_bound_init: only SCHED_CLS and XDP programs may be bound to a device, with no flags
 * but BPF_F_XDP_DEV_BOUND_ONLY (and HAS_FRAGS with it; not for SCHED_CLS), and the device must be
 * able to take BPF programs (bpf_dev_offload_check). bpfsim's only device, lo, cannot (no ndo_bpf:
 * EOPNOTSUPP); any other ifindex names no device (EINVAL).
 */
function progDevBoundInit(progType: number, flags: number, ifindex: number): never {
  if (progType !== BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS && progType !== BPF_PROG_TYPE.BPF_PROG_TYPE_XDP) throw new KernelError('EINVAL');
  if (flags & ~(BPF_F_XDP_DEV_BOUND_ONLY | BPF_F_XDP_HAS_FRAGS)) throw new KernelError('EINVAL');
  if ((flags & BPF_F_XDP_HAS_FRAGS) && !(flags & BPF_F_XDP_DEV_BOUND_ONLY)) throw new KernelError('EINVAL');
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS && (flags & BPF_F_XDP_DEV_BOUND_ONLY)) throw new KernelError('EINVAL');
  throw new KernelError(ifindex === LO_IFINDEX ? 'EOPNOTSUPP' : 'EINVAL');
}

export function progLoad(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  const hashChain = k.config.scheme === 'hash-chain';
  checkAttr(attr, PROG_LOAD_ATTR, hashChain ? 'signature_maps_size' : 'keyring_id');
  const a = attr.read(PROG_LOAD_ATTR);
  const caps = k.config.caps;
  if (a.prog_flags & ~BPF_PROG_LOAD_FLAGS_MASK) throw new KernelError('EINVAL');
  if (a.prog_flags & BPF_F_TOKEN_FD) tokenGetFromFd(k, a.prog_token_fd);
  const progType = a.prog_type;
  if (progType !== BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER && progType !== BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB && !caps.bpf) {
    throw new KernelError('EPERM');
  }
  if (a.insn_cnt === 0 || a.insn_cnt > (caps.bpf ? LIMIT_PRIV : LIMIT_UNPRIV)) throw new KernelError('E2BIG');
  if (NET_ADMIN_TYPES.has(progType) && !caps.netAdmin) throw new KernelError('EPERM');
  if (PERFMON_TYPES.has(progType) && !caps.perfmon) throw new KernelError('EPERM');

  // Attach target: attach_prog_fd (not modelled beyond BTF objects) or vmlinux BTF by id.
  let attachBtf: BtfObject | null = null;
  const held: BtfObject[] = [];
  const dropHeld = () => { for (const b of held) k.objects.put(b); held.length = 0; };
  try {
    if (a.attach_prog_fd) {
      let b: BtfObject;
      try { b = btfGetByFd(k, a.attach_prog_fd); } catch { throw new KernelError('EINVAL'); }
      held.push(b);
      if (!b.kernelBtf) throw new KernelError('ENOTSUPP');
      attachBtf = b;
    } else if (a.attach_btf_id) {
      attachBtf = k.vmlinuxObject();
      k.objects.get(attachBtf);
      held.push(attachBtf);
    }
    const expectedAttachType = fixupAttachType(progType, a.expected_attach_type);
    checkAttach(progType, expectedAttachType, attachBtf, a.attach_btf_id);

    const insns = copyIn(k, a.insns, a.insn_cnt * 8, ctx.isKernel);
    const license = stringIn(k, a.license, 128, ctx.isKernel);

    // Signature (signing.md §2.2 7c, §6.1): only when attr.signature != 0; before the LSM hook.
    const sig = verifySignatureStep(k, a, insns, ctx);
    if (sig.errno) throw new KernelError(sig.errno);

    // prog_ifindex: a device-bound program (bpf_prog_dev_bound_init), before find_prog_type.
    if (a.prog_ifindex) progDevBoundInit(progType, a.prog_flags, a.prog_ifindex);
    if (!isKnownProgType(progType)) throw new KernelError('EINVAL');
    const name = objNameCpy(a.prog_name);
    const status: SignatureStatus = sig.status;
    const lsm = k.lsmCall({
      hook: 'security_bpf_prog_load', progType, name, isKernel: ctx.isKernel, signature: status,
      insnsVerified: status.kind === 'verified', metadataVerified: status.kind === 'verified' && status.coversMaps,
      signaturePresent: a.signature !== 0n,
    }, {
      prog_name: name, prog_type: progTypeName(progType), loader_verified: status.kind === 'verified',
      metadata_verified: status.kind === 'verified' && status.coversMaps,
    });
    if (lsm !== 0) throw new KernelError(-lsm);

    checkLogAttrs(k, a.log_level, a.log_size, a.log_buf);
    processFdArrayErrors(k, a.fd_array, a.fd_array_cnt, ctx.isKernel);
    const progBtf = checkBtfInfoEarly(k, a);
    if (progBtf) held.push(progBtf);
    const program = decode(insns);
    const v = runVerifier(k, {
      program, progType, expectedAttachType, progFlags: a.prog_flags,
      attachBtfId: a.attach_btf_id, logLevel: a.log_level, logWindow: logWindowOf(a.log_level, a.log_size, a.log_buf),
      fdArray: a.fd_array, fdArrayCnt: a.fd_array_cnt,
      isKernel: ctx.isKernel, name, progBtf, funcInfoCnt: a.func_info_cnt, lineInfoCnt: a.line_info_cnt,
      sigContext: sig.verifierCheck, gplCompatible: licenseIsGplCompatible(license),
    });
    k.emit({
      type: 'verifier', prog: name, progType, ok: v.ok, processedInsns: v.processedInsns,
      ...(v.ok ? {} : { errno: errnoName(v.errno), firstError: v.firstError }),
    });
    // The log goes to the user's buffer (a user pointer even for kernel-initiated loads).
    const logErr = writeVerifierLog(k, ctx, a.log_level, a.log_size, a.log_buf, v.log, 140, v.logTrueSize);
    if (!v.ok) {
      for (const m of v.usedMaps) k.objects.put(m);
      throw new KernelError(v.errno);
    }
    if (logErr) {
      for (const m of v.usedMaps) k.objects.put(m);
      throw new KernelError(logErr);
    }
    const runnable = buildRunnable(k, program, v, progType);
    const prog: ProgObject = k.objects.add({
      kind: 'prog', id: k.objects.allocId('prog'), refcnt: 1, freed: false, progType, name,
      expectedAttachType, attachBtfId: a.attach_btf_id, attachBtfObj: attachBtf,
      sleepable: (a.prog_flags & BPF_F_SLEEPABLE) !== 0, progFlags: a.prog_flags, license,
      gplCompatible: licenseIsGplCompatible(license), insns, runnable, digest: v.digest,
      usedMaps: v.usedMaps, btf: progBtf, funcInfoCnt: a.func_info_cnt, lineInfoCnt: a.line_info_cnt,
      funcInfoRecSize: a.func_info_rec_size, lineInfoRecSize: a.line_info_rec_size,
      maxCtxOffset: v.maxCtxOffset, verifiedInsns: v.processedInsns, xlatedInsnCnt: v.xlatedInsnCnt,
      loadTimeNs: k.nowNs, signature: v.signature ?? status, runCnt: 0, runTimeNs: 0,
    } satisfies ProgObject);
    held.length = 0; // the program owns them now
    k.emit({ type: 'object', action: 'create', kind: 'prog', id: prog.id, name });
    const s = k.lsmCall({ hook: 'security_bpf_prog', prog }, { prog_name: name });
    if (s !== 0) { k.objects.put(prog); return s; }
  try {
    return k.installFd(prog, 3);
  } catch (e) {
    k.objects.put(prog);
    throw e;
  }
  } finally {
    dropHeld();
  }
}
