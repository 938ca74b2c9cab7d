/**
 * Per-program-type rules: which context accesses are valid and what they yield
 * (Linux's <type>_is_valid_access), direct packet access, legacy skb loads, and the return value
 * range enforced at exit (check_return_code).
 *
 * Context layouts are x86-64's: struct __sk_buff (192 bytes), struct xdp_md (24), struct pt_regs
 * (168), struct bpf_perf_event_data (184), raw tracepoint / tracing u64 argument arrays, and the
 * SYSCALL program's free-form context (any aligned access below 65535).
 */
import { BPF_ATTACH, BPF_PROG_TYPE as T } from './kernel-names.js';
import type { RegType } from './regs.js';

export type CtxAccess = { ok: false } | { ok: true; regType: Extract<RegType, 'scalar' | 'pkt' | 'pkt_meta' | 'pkt_end'> };

const NO: CtxAccess = { ok: false };
const SCALAR: CtxAccess = { ok: true, regType: 'scalar' };

// struct __sk_buff offsets.
const SKB = {
  len: 0, mark: 8, queue_mapping: 12, priority: 32, tc_index: 44, cb0: 48, cb4end: 68, tc_classid: 72,
  data: 76, data_end: 80, family: 88, remote_ip4: 92, local_ip4: 96, remote_ip6: 100, local_ip6: 116,
  local_port_end: 140, data_meta: 140, flow_keys: 144, tstamp: 152, wire_len: 160, sk: 168,
  tstamp_type: 180, hwtstamp: 184, size: 192,
} as const;

const inRange = (off: number, start: number, size: number): boolean => off >= start && off < start + size;

/** bpf_ctx_narrow_access_ok. */
function narrowOk(size: number, sizeDefault: number): boolean {
  return size <= sizeDefault && (size & (size - 1)) === 0;
}

function skbIsValidAccess(off: number, size: number, write: boolean): boolean {
  if (off < 0 || off >= SKB.size) return false;
  if (off % size !== 0) return false;
  if (inRange(off, SKB.cb0, 20)) return off + size <= SKB.cb4end;
  if (inRange(off, SKB.remote_ip6, 16) || inRange(off, SKB.local_ip6, 16) || inRange(off, SKB.remote_ip4, 4) ||
      inRange(off, SKB.local_ip4, 4) || inRange(off, SKB.data, 4) || inRange(off, SKB.data_meta, 4) ||
      inRange(off, SKB.data_end, 4)) {
    return size === 4;
  }
  if (inRange(off, SKB.flow_keys, 8)) return false;
  if (inRange(off, SKB.hwtstamp, 8)) return !write && size === 8;
  if (inRange(off, SKB.tstamp, 8)) return size === 8;
  if (off === SKB.sk) return !write && size === 8 ? true : false;
  if (off === SKB.tstamp_type) return false;
  if (off > SKB.tstamp_type && off < SKB.hwtstamp) return false;
  if (write) return size === 4;
  return narrowOk(size, 4);
}

function skbCtx(off: number, size: number, write: boolean): CtxAccess {
  if (!skbIsValidAccess(off, size, write)) return NO;
  // The sk pointer (PTR_TO_SOCK_COMMON_OR_NULL) is not modelled: it reads as an unknown scalar,
  // which the program cannot dereference (sound, and rejects its uses).
  return SCALAR;
}

function socketFilterCtx(off: number, size: number, write: boolean): CtxAccess {
  if (inRange(off, SKB.tc_classid, 4) || inRange(off, SKB.data, 4) || inRange(off, SKB.data_meta, 4) ||
      inRange(off, SKB.data_end, 4) || (off >= SKB.family && off < SKB.local_port_end) ||
      inRange(off, SKB.tstamp, 8) || inRange(off, SKB.wire_len, 4) || inRange(off, SKB.hwtstamp, 8)) {
    return NO;
  }
  if (write && !inRange(off, SKB.cb0, 20)) return NO;
  return skbCtx(off, size, write);
}

function tcCtx(off: number, size: number, write: boolean): CtxAccess {
  if (write) {
    const ok = inRange(off, SKB.mark, 4) || inRange(off, SKB.tc_index, 4) || inRange(off, SKB.priority, 4) ||
      inRange(off, SKB.tc_classid, 4) || inRange(off, SKB.cb0, 20) || inRange(off, SKB.tstamp, 8) ||
      inRange(off, SKB.queue_mapping, 4);
    if (!ok) return NO;
  }
  if (off >= SKB.family && off < SKB.local_port_end) return NO;
  if (!skbIsValidAccess(off, size, write)) return NO;
  if (inRange(off, SKB.data, 4)) return { ok: true, regType: 'pkt' };
  if (inRange(off, SKB.data_meta, 4)) return { ok: true, regType: 'pkt_meta' };
  if (inRange(off, SKB.data_end, 4)) return { ok: true, regType: 'pkt_end' };
  return SCALAR;
}

function cgSkbCtx(off: number, size: number, write: boolean): CtxAccess {
  if (inRange(off, SKB.tc_classid, 4) || inRange(off, SKB.data_meta, 4) || inRange(off, SKB.wire_len, 4)) return NO;
  if (write) {
    const ok = inRange(off, SKB.mark, 4) || inRange(off, SKB.priority, 4) || inRange(off, SKB.cb0, 20) ||
      inRange(off, SKB.tstamp, 8);
    if (!ok) return NO;
  }
  if (!skbIsValidAccess(off, size, write)) return NO;
  if (inRange(off, SKB.data, 4)) return { ok: true, regType: 'pkt' };
  if (inRange(off, SKB.data_end, 4)) return { ok: true, regType: 'pkt_end' };
  return SCALAR;
}

function xdpCtx(off: number, size: number, write: boolean, attach: number): CtxAccess {
  if (attach !== BPF_ATTACH.XDP_DEVMAP && off === 20) return NO; // egress_ifindex
  if (write) return NO;
  if ((off === 0 || off === 4 || off === 8) && size !== 4) return NO;
  if (off < 0 || off >= 24 || off % size !== 0 || size !== 4) return NO;
  if (off === 0) return { ok: true, regType: 'pkt' };
  if (off === 8) return { ok: true, regType: 'pkt_meta' };
  if (off === 4) return { ok: true, regType: 'pkt_end' };
  return SCALAR;
}

const PT_REGS_SIZE = 168;

function kprobeCtx(off: number, size: number, write: boolean): CtxAccess {
  if (off < 0 || off >= PT_REGS_SIZE || write || off % size !== 0 || off + size > PT_REGS_SIZE) return NO;
  return SCALAR;
}

function tracepointCtx(off: number, size: number, write: boolean): CtxAccess {
  if (off < 8 || off >= 8192 || write || off % size !== 0) return NO;
  return SCALAR;
}

function perfEventCtx(off: number, size: number, write: boolean): CtxAccess {
  if (off < 0 || off >= 184 || write || off % size !== 0) return NO;
  if (inRange(off, 168, 8) || inRange(off, 176, 8)) return narrowOk(size, 8) ? SCALAR : NO;
  return size === 8 ? SCALAR : NO;
}

/** bpf_tracing_ctx_access: u64 arguments, read only (MAX_BPF_FUNC_ARGS = 12). */
function tracingCtx(off: number, size: number, write: boolean): CtxAccess {
  if (off < 0 || off >= 8 * 12 || write || off % size !== 0) return NO;
  return SCALAR;
}

function syscallCtx(off: number, size: number): CtxAccess {
  if (off < 0 || off >= 0xffff || off % size !== 0) return NO;
  return SCALAR;
}

export interface ProgTypeInfo {
  readonly type: number;
  /** null: bpfsim does not model this type's context (accesses are refused with a bpfsim note). */
  readonly ctxAccess: ((off: number, size: number, write: boolean, attach: number) => CtxAccess) | null;
  readonly pktRead: boolean;
  readonly pktWrite: boolean;
  /** may_access_skb: legacy BPF_LD_[ABS|IND]. */
  readonly ldAbs: boolean;
}

function info(type: number, ctx: ProgTypeInfo['ctxAccess'], pktRead = false, pktWrite = false, ldAbs = false): ProgTypeInfo {
  return { type, ctxAccess: ctx, pktRead, pktWrite, ldAbs };
}

const INFOS: ReadonlyMap<number, ProgTypeInfo> = new Map([
  [T.SOCKET_FILTER, info(T.SOCKET_FILTER, (o, s, w) => socketFilterCtx(o, s, w), false, false, true)],
  [T.KPROBE, info(T.KPROBE, (o, s, w) => kprobeCtx(o, s, w))],
  [T.SCHED_CLS, info(T.SCHED_CLS, (o, s, w) => tcCtx(o, s, w), true, true, true)],
  [T.SCHED_ACT, info(T.SCHED_ACT, (o, s, w) => tcCtx(o, s, w), true, true, true)],
  [T.TRACEPOINT, info(T.TRACEPOINT, (o, s, w) => tracepointCtx(o, s, w))],
  [T.XDP, info(T.XDP, (o, s, w, a) => xdpCtx(o, s, w, a), true, true)],
  [T.PERF_EVENT, info(T.PERF_EVENT, (o, s, w) => perfEventCtx(o, s, w))],
  [T.CGROUP_SKB, info(T.CGROUP_SKB, (o, s, w) => cgSkbCtx(o, s, w), true, false)],
  [T.RAW_TRACEPOINT, info(T.RAW_TRACEPOINT, (o, s, w) => tracingCtx(o, s, w))],
  [T.RAW_TRACEPOINT_WRITABLE, info(T.RAW_TRACEPOINT_WRITABLE, (o, s, w) => tracingCtx(o, s, w))],
  [T.TRACING, info(T.TRACING, (o, s, w) => tracingCtx(o, s, w))],
  [T.LSM, info(T.LSM, (o, s, w) => tracingCtx(o, s, w))],
  [T.SYSCALL, info(T.SYSCALL, (o, s) => syscallCtx(o, s))],
]);

export function progTypeInfo(type: number): ProgTypeInfo {
  return INFOS.get(type) ?? info(type, null);
}

/** The [min, max] return values check_return_code enforces, or null for no check. */
export function retvalRange(type: number, attach: number, attachBtfId: number): readonly [number, number] | null {
  switch (type) {
    case T.CGROUP_SKB:
      return attach === BPF_ATTACH.CGROUP_INET_EGRESS ? [0, 3] : [0, 1];
    case T.CGROUP_SOCK: case T.SOCK_OPS: case T.CGROUP_DEVICE: case T.CGROUP_SYSCTL: case T.CGROUP_SOCKOPT:
      return [0, 1];
    case T.CGROUP_SOCK_ADDR:
      if (attach === BPF_ATTACH.CGROUP_UDP4_RECVMSG || attach === BPF_ATTACH.CGROUP_UDP6_RECVMSG) return [1, 1];
      if (attach === BPF_ATTACH.CGROUP_INET4_BIND || attach === BPF_ATTACH.CGROUP_INET6_BIND) return [0, 3];
      return [0, 1];
    case T.RAW_TRACEPOINT:
      return attachBtfId !== 0 ? [0, 0] : null;
    case T.TRACING:
      return attach === BPF_ATTACH.TRACE_FENTRY || attach === BPF_ATTACH.TRACE_FEXIT ? [0, 0] : null;
    case T.SK_LOOKUP: case T.NETFILTER:
      return [0, 1];
    default:
      return null;
  }
}

/** Program types an unprivileged (no CAP_BPF) loader may use. */
export function unprivilegedAllowed(type: number): boolean {
  return type === T.SOCKET_FILTER || type === T.CGROUP_SKB;
}
