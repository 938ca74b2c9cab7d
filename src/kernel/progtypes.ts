/**
 * Program types: which exist, what their context looks like in memory, and how BPF_PROG_TEST_RUN
 * runs them (net/bpf/test_run.c). Access rules for each context live in the verifier.
 *
 * Context layouts are the UAPI structs (`struct __sk_buff`, `struct xdp_md`, the u64 argument array
 * of raw tracepoints, the caller's bytes for SYSCALL). Where Linux rewrites context loads into
 * loads of kernel pointers (`skb->data`, `xdp->data_end`, …), bpfsim keeps the 64-bit pointers in a
 * shadow area right after the UAPI struct and the kernel's fixups redirect such loads there.
 */
import { KernelError } from '../errno.js';
import { PERM_RW } from '../interpreter/memory.js';
import type { Kernel } from './kernel.js';
import type { ProgObject } from './objects.js';
import { BPF_F_TEST_RUN_ON_CPU, BPF_F_TEST_SKB_CHECKSUM_COMPLETE, BPF_F_TEST_XDP_LIVE_FRAMES, BPF_PROG_TYPE } from './uapi.js';

export function isKnownProgType(t: number): boolean {
  return t > 0 && t <= BPF_PROG_TYPE.BPF_PROG_TYPE_NETFILTER;
}

/** struct __sk_buff (192 bytes) field offsets used by the model. */
export const SKB = {
  len: 0, pkt_type: 4, mark: 8, queue_mapping: 12, protocol: 16, vlan_present: 20, vlan_tci: 24,
  vlan_proto: 28, priority: 32, ingress_ifindex: 36, ifindex: 40, tc_index: 44, cb: 48, hash: 68,
  tc_classid: 72, data: 76, data_end: 80, napi_id: 84, family: 88, data_meta: 140, tstamp: 152,
  wire_len: 160, gso_segs: 164, gso_size: 176, hwtstamp: 184, SIZE: 192,
  /** Shadow 64-bit pointers (bpfsim): data, data_end, data_meta. */
  SHADOW_DATA: 192, SHADOW_DATA_END: 200, SHADOW_DATA_META: 208, TOTAL: 216,
} as const;

/** struct xdp_md (24 bytes) and its shadow pointers. */
export const XDP_MD = {
  data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20, SIZE: 24,
  SHADOW_DATA: 24, SHADOW_DATA_END: 32, SHADOW_DATA_META: 40, TOTAL: 48,
} as const;

export const ETH_HLEN = 14;
export const XDP_PACKET_HEADROOM = 256;
/** MAX_BPF_FUNC_ARGS: the largest raw-tracepoint argument array. */
export const MAX_BPF_FUNC_ARGS = 12;
const U16_MAX = 0xffff;
/** The loopback device's ifindex (test runs happen on it). */
const LO_IFINDEX = 1;

/**
 * What BPF_PROG_TEST_RUN hands a type's test_run: the attr's fields as they are (pointers not yet
 * dereferenced) and the two ways to read user memory. Each type copies its inputs itself, in its own
 * order, exactly as net/bpf/test_run.c does: a check that fails first must win over a bad pointer.
 */
export interface TestRunInput {
  readonly dataIn: bigint;
  readonly dataSizeIn: number;
  readonly dataOut: bigint;
  readonly dataSizeOut: number;
  readonly ctxIn: bigint;
  readonly ctxSizeIn: number;
  readonly ctxOut: bigint;
  readonly ctxSizeOut: number;
  readonly repeat: number;
  readonly flags: number;
  readonly cpu: number;
  readonly batchSize: number;
  readonly duration: number;
  /** copy_from_user: `len` bytes at `ptr`, or KernelError(EFAULT). */
  readonly copyFromUser: (ptr: bigint, len: number) => Uint8Array;
  /** bpf_check_uarg_tail_zero(ptr, expected, actual): E2BIG (too big / non-zero tail) or EFAULT. */
  readonly checkTailZero: (ptr: bigint, expected: number, actual: number) => void;
}

/**
 * How a type reports back (each test_run writes a different set of attr fields):
 * `test_finish`: bpf_test_finish (data_out, data_size_out, retval, duration) then bpf_ctx_finish;
 * `retval`: only test.retval (raw tracepoints); `syscall`: retval, then the ctx back into ctx_in.
 */
export type TestRunOutput =
  | { readonly finish: 'test_finish'; readonly retval: number; readonly duration: number; readonly data: Uint8Array; readonly ctx: Uint8Array | null }
  | { readonly finish: 'retval'; readonly retval: number }
  | { readonly finish: 'syscall'; readonly retval: number; readonly ctx: Uint8Array };

/**
 * bpf_test_run's repeat loop ends early only when the caller is signalled (EINTR). bpfsim has no
 * signals, so it bounds the loop instead: past this many runs (or the kernel's instruction budget
 * summed over the runs) the command fails with EINTR, as if the caller had been interrupted.
 */
export const TEST_RUN_MAX_REPEAT = 1 << 16;

function runOnce(k: Kernel, prog: ProgObject, ctxAddr: bigint, packet: Parameters<Kernel['runProgram']>[2] = null): { retval: number; insns: number } {
  const r = k.runProgram(prog, ctxAddr, packet);
  if (r.status === 'fault') {
    // A verified program never faults in Linux; in bpfsim a fault means an unverified path or a
    // model bug, reported as EFAULT with the details in the trace.
    throw new KernelError('EFAULT', `program fault: ${r.fault.message}`);
  }
  return { retval: Number(r.r0 & 0xffffffffn), insns: r.insns };
}

/** bpf_test_run: `repeat` runs (0 means 1), the last one's return value. */
function runRepeated(k: Kernel, prog: ProgObject, repeat: number, ctxAddr: bigint, packet: Parameters<Kernel['runProgram']>[2] = null): number {
  const n = Math.max(1, repeat >>> 0);
  let retval = 0;
  let insns = 0;
  for (let i = 0; i < n; i++) {
    if (i >= TEST_RUN_MAX_REPEAT || insns > k.config.runBudget) throw new KernelError('EINTR', `bpfsim stops BPF_PROG_TEST_RUN after ${i} of ${n} runs`);
    const r = runOnce(k, prog, ctxAddr, packet);
    retval = r.retval;
    insns += r.insns;
  }
  return retval;
}

/** bpf_prog_test_run_syscall. */
export function testRunSyscall(k: Kernel, prog: ProgObject, t: TestRunInput): TestRunOutput {
  if (t.dataIn || t.dataOut || t.ctxOut || t.duration || t.repeat || t.flags || t.batchSize) throw new KernelError('EINVAL');
  const size = t.ctxSizeIn;
  if (size < prog.maxCtxOffset || size > U16_MAX) throw new KernelError('EINVAL');
  const ctx = size ? t.copyFromUser(t.ctxIn, size) : new Uint8Array(0);
  const region = ctx.length ? k.mapKernel(ctx, 'ctx', 'ctx', PERM_RW) : null;
  try {
    const { retval } = runOnce(k, prog, region ? region.base : 0n);
    return { finish: 'syscall', retval, ctx };
  } finally {
    if (region) k.space.unmap(region);
  }
}

/** bpf_ctx_init: null without ctx_in and ctx_out; else `max` bytes, the user's (tail-checked) prefix. */
function ctxInit(t: TestRunInput, max: number): Uint8Array | null {
  if (!t.ctxIn && !t.ctxOut) return null;
  const ctx = new Uint8Array(max);
  if (t.ctxIn) {
    t.checkTailZero(t.ctxIn, max, t.ctxSizeIn);
    const n = Math.min(max, t.ctxSizeIn);
    if (n) ctx.set(t.copyFromUser(t.ctxIn, n));
  }
  return ctx;
}

/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64. */
const SKB_SHINFO_TAILROOM = 320;
/** NET_SKB_PAD + NET_IP_ALIGN on x86-64. */
const SKB_HEADROOM = 64;

/** bpf_test_init for skb programs: the packet from data_in (EINVAL outside [ETH_HLEN, PAGE_SIZE - headroom - tailroom]). */
function testInit(t: TestRunInput, userSize: number, headroom: number, tailroom: number): Uint8Array {
  if (userSize < ETH_HLEN || userSize > 4096 - headroom - tailroom) throw new KernelError('EINVAL');
  return t.copyFromUser(t.dataIn, userSize);
}

/** GSO_LEGACY_MAX_SIZE and GSO_MAX_SEGS (include/linux/netdevice.h). */
const GSO_LEGACY_MAX_SIZE = 65536;
const GSO_MAX_SEGS = 65535;

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/**
 * The user's __sk_buff in bpf_prog_test_run_skb (convert___skb_to_skb): only mark, priority, ingress_ifindex, ifindex, cb, tstamp,
 * wire_len, gso_segs, gso_size and hwtstamp may be set (EINVAL), with sane wire_len and gso_segs.
 */
function checkSkbCtx(user: Uint8Array, pktLen: number): void {
  const dv = new DataView(user.buffer, user.byteOffset, user.byteLength);
  const zero = (from: number, to: number) => user.subarray(from, to).every((b) => b === 0);
  const allowedGaps: ReadonlyArray<readonly [number, number]> = [
    [0, SKB.mark], [SKB.mark + 4, SKB.priority], [SKB.ifindex + 4, SKB.cb], [SKB.cb + 20, SKB.tstamp],
    [SKB.gso_segs + 4, SKB.gso_size], [SKB.gso_size + 4, SKB.hwtstamp], [SKB.hwtstamp + 8, SKB.SIZE],
  ];
  for (const [from, to] of allowedGaps) if (!zero(from, to)) throw new KernelError('EINVAL');
  const wireLen = dv.getUint32(SKB.wire_len, true);
  if (wireLen !== 0 && (wireLen < pktLen || wireLen > GSO_LEGACY_MAX_SIZE)) throw new KernelError('EINVAL');
  if (dv.getUint32(SKB.gso_segs, true) > GSO_MAX_SEGS) throw new KernelError('EINVAL');
}

/**
 * xdp_convert_md_to_buff: egress_ifindex must be 0, a queue needs a device, the device must exist
 * (bpfsim has only lo, with one rx queue).
 */
function checkXdpMd(user: Uint8Array): void {
  const dv = new DataView(user.buffer, user.byteOffset, user.byteLength);
  if (dv.getUint32(XDP_MD.egress_ifindex, true) !== 0) throw new KernelError('EINVAL');
  const ifindex = dv.getUint32(XDP_MD.ingress_ifindex, true), queue = dv.getUint32(XDP_MD.rx_queue_index, true);
  if (!ifindex && queue) throw new KernelError('EINVAL');
  if (ifindex) {
    if (ifindex !== LO_IFINDEX) throw new KernelError('ENODEV');
    if (queue >= 1) throw new KernelError('EINVAL');
  }
}

/** bpf_prog_test_run_skb for SOCKET_FILTER (and the other skb types, simplified). */
export function testRunSkb(k: Kernel, prog: ProgObject, t: TestRunInput): TestRunOutput {
  if ((t.flags & ~BPF_F_TEST_SKB_CHECKSUM_COMPLETE) || t.cpu || t.batchSize) throw new KernelError('EINVAL');
  if (t.dataSizeIn < ETH_HLEN) throw new KernelError('EINVAL');
  const data = testInit(t, t.dataSizeIn, SKB_HEADROOM, SKB_SHINFO_TAILROOM);
  const user = ctxInit(t, SKB.SIZE);
  const isL2 = prog.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS || prog.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT;
  // eth_type_trans pulls the Ethernet header; L2 programs see it pushed back.
  const pkt = isL2 ? data.slice() : data.slice(ETH_HLEN);
  if (user && new DataView(user.buffer).getUint32(SKB.ifindex, true) > LO_IFINDEX) throw new KernelError('ENODEV');
  // After eth_type_trans, an IPv4 / IPv6 packet must hold its network header (6.18.y rejects
  // shorter ones with EINVAL; checked against 6.18.44).
  const proto = (data[12] << 8) | data[13];
  const l3 = data.length - ETH_HLEN;
  if ((proto === ETH_P_IP && l3 < 20) || (proto === ETH_P_IPV6 && l3 < 40)) throw new KernelError('EINVAL');
  if (user) checkSkbCtx(user, pkt.length);
  const pktRegion = k.mapKernel(pkt, 'packet', 'skb data', PERM_RW);
  const ctx = new Uint8Array(SKB.TOTAL);
  if (user) ctx.set(user);
  const dv = new DataView(ctx.buffer);
  dv.setUint32(SKB.len, pkt.length, true);
  dv.setUint32(SKB.protocol, data[12] | (data[13] << 8), true); // __be16 as stored
  dv.setUint32(SKB.ifindex, LO_IFINDEX, true);
  dv.setUint32(SKB.ingress_ifindex, 0, true);
  dv.setUint32(SKB.wire_len, data.length, true);
  dv.setUint32(SKB.gso_segs, 1, true);
  dv.setBigUint64(SKB.SHADOW_DATA, pktRegion.base, true);
  dv.setBigUint64(SKB.SHADOW_DATA_END, pktRegion.base + BigInt(pkt.length), true);
  dv.setBigUint64(SKB.SHADOW_DATA_META, pktRegion.base, true);
  const ctxRegion = k.mapKernel(ctx, 'ctx', '__sk_buff', PERM_RW);
  try {
    const retval = runRepeated(k, prog, t.repeat, ctxRegion.base, pktRegion);
    // Non-L2 programs: Linux pushes the Ethernet header back as zeroes before copying data_out.
    const out = isL2 ? pkt : concat(new Uint8Array(ETH_HLEN), pkt);
    return { finish: 'test_finish', retval, duration: 0, data: out, ctx: user ? ctx.slice(0, SKB.SIZE) : null };
  } finally {
    k.space.unmap(ctxRegion);
    k.space.unmap(pktRegion);
  }
}

/** BPF_XDP_DEVMAP / BPF_XDP_CPUMAP: programs for those attach points cannot be test-run. */
const BPF_XDP_DEVMAP = 33;
const BPF_XDP_CPUMAP = 35;
/** TEST_XDP_MAX_BATCH. */
const TEST_XDP_MAX_BATCH = 256;

/** MAX_SKB_FRAGS: the most pages of packet data beyond the linear part. */
const MAX_SKB_FRAGS = 17;

/**
 * bpf_prog_test_run_xdp as 6.18.44 behaves (checked against it): the user's xdp_md may put
 * metadata (data, 4-byte aligned, < 256) before the packet and end the linear part early
 * (data_end <= data_size_in); data beyond the linear part goes into page-sized frags (at most
 * MAX_SKB_FRAGS, else ENOMEM). The program sees the linear part; data_out gets metadata, linear
 * part and frags. Live frames run like ordinary ones (nothing is transmitted).
 */
export function testRunXdp(k: Kernel, prog: ProgObject, t: TestRunInput): TestRunOutput {
  if (prog.expectedAttachType === BPF_XDP_DEVMAP || prog.expectedAttachType === BPF_XDP_CPUMAP) throw new KernelError('EINVAL');
  if (t.flags & ~BPF_F_TEST_XDP_LIVE_FRAMES) throw new KernelError('EINVAL');
  const live = (t.flags & BPF_F_TEST_XDP_LIVE_FRAMES) !== 0;
  let headroom = XDP_PACKET_HEADROOM;
  if (live) {
    if (t.batchSize > TEST_XDP_MAX_BATCH) throw new KernelError('E2BIG');
    headroom += 16; // sizeof(struct xdp_page_head)
  } else if (t.batchSize) {
    throw new KernelError('EINVAL');
  }
  const user = ctxInit(t, XDP_MD.SIZE);
  let metaSize = 0;
  let linear = t.dataSizeIn;
  if (user) {
    const u = new DataView(user.buffer);
    const data = u.getUint32(XDP_MD.data, true), dataEnd = u.getUint32(XDP_MD.data_end, true);
    // There can't be user data before the metadata (xdp_metalen_invalid: aligned, fits skb_shared_info.meta_len).
    if (u.getUint32(XDP_MD.data_meta, true) || dataEnd > t.dataSizeIn || data > dataEnd || (data & 3) || data > 255 || (live && (t.dataOut || t.ctxOut))) {
      throw new KernelError('EINVAL');
    }
    headroom -= data;
    metaSize = data;
    linear = dataEnd;
  }
  const maxLinear = 4096 - headroom - SKB_SHINFO_TAILROOM;
  linear = Math.min(linear, maxLinear);
  if (live && t.dataSizeIn > linear) throw new KernelError('EINVAL');
  if (((t.dataSizeIn - metaSize) >>> 0) < ETH_HLEN) throw new KernelError('EINVAL');
  // bpf_test_init(kattr, linear_sz, ...): the linear part, metadata included.
  const data = linear ? t.copyFromUser(t.dataIn, linear) : new Uint8Array(0);
  if (user) checkXdpMd(user);
  const frags: Uint8Array[] = [];
  for (let size = linear; size < t.dataSizeIn;) {
    if (frags.length === MAX_SKB_FRAGS) throw new KernelError('ENOMEM');
    const len = Math.min(t.dataSizeIn - size, 4096);
    frags.push(t.copyFromUser(t.dataIn + BigInt(size), len));
    size += len;
  }
  const buf = new Uint8Array(headroom - metaSize + data.length);
  const metaStart = headroom - metaSize;
  buf.set(data, metaStart);
  const pktRegion = k.mapKernel(buf, 'packet', 'xdp buff', PERM_RW);
  const ctx = new Uint8Array(XDP_MD.TOTAL);
  if (user) ctx.set(user);
  const dv = new DataView(ctx.buffer);
  const base = pktRegion.base;
  dv.setBigUint64(XDP_MD.SHADOW_DATA_META, base + BigInt(metaStart), true);
  dv.setBigUint64(XDP_MD.SHADOW_DATA, base + BigInt(headroom), true);
  dv.setBigUint64(XDP_MD.SHADOW_DATA_END, base + BigInt(buf.length), true);
  dv.setUint32(XDP_MD.ingress_ifindex, user ? dv.getUint32(XDP_MD.ingress_ifindex, true) : LO_IFINDEX, true);
  const ctxRegion = k.mapKernel(ctx, 'ctx', 'xdp_md', PERM_RW);
  try {
    const retval = runRepeated(k, prog, t.repeat, ctxRegion.base);
    const m = Number(dv.getBigUint64(XDP_MD.SHADOW_DATA_META, true) - base);
    const e = Number(dv.getBigUint64(XDP_MD.SHADOW_DATA_END, true) - base);
    return { finish: 'test_finish', retval, duration: 0, data: concat(buf.slice(m, e), ...frags), ctx: user ? ctx.slice(0, XDP_MD.SIZE) : null };
  } finally {
    k.space.unmap(ctxRegion);
    k.space.unmap(pktRegion);
  }
}

/** bpf_prog_test_run_raw_tp: ctx_in is the u64 argument array. */
export function testRunRawTp(k: Kernel, prog: ProgObject, t: TestRunInput): TestRunOutput {
  if (t.dataIn || t.dataOut || t.ctxOut || t.duration || t.repeat || t.batchSize) throw new KernelError('EINVAL');
  const size = t.ctxSizeIn;
  if (size < prog.maxCtxOffset || size > MAX_BPF_FUNC_ARGS * 8) throw new KernelError('EINVAL');
  if ((t.flags & BPF_F_TEST_RUN_ON_CPU) === 0 && t.cpu !== 0) throw new KernelError('EINVAL');
  const ctx = size ? t.copyFromUser(t.ctxIn, size) : new Uint8Array(0);
  // The run happens on the current CPU unless BPF_F_TEST_RUN_ON_CPU names another (online) one.
  if ((t.flags & BPF_F_TEST_RUN_ON_CPU) !== 0 && t.cpu !== 0 && t.cpu >= k.config.nrCpus) throw new KernelError('ENXIO');
  const region = ctx.length ? k.mapKernel(ctx, 'ctx', 'raw_tp args', PERM_RW) : null;
  try {
    const { retval } = runOnce(k, prog, region ? region.base : 0n);
    return { finish: 'retval', retval };
  } finally {
    if (region) k.space.unmap(region);
  }
}

export type TestRunner = (k: Kernel, prog: ProgObject, t: TestRunInput) => TestRunOutput;

/** prog->aux->ops->test_run per type; types without one answer ENOTSUPP. */
export function testRunnerFor(progType: number): TestRunner | null {
  switch (progType) {
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SYSCALL: return testRunSyscall;
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT:
    case BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB:
      return testRunSkb;
    case BPF_PROG_TYPE.BPF_PROG_TYPE_XDP: return testRunXdp;
    case BPF_PROG_TYPE.BPF_PROG_TYPE_RAW_TRACEPOINT: return testRunRawTp;
    default: return null;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const o = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { o.set(p, at); at += p.length; }
  return o;
}
