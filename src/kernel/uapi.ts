/**
 * Linux BPF UAPI numbers (include/uapi/linux/bpf.h, 6.18): commands, map and program types, attach
 * types, flags, helper ids. The only place in the tree where these numbers are written.
 */

export const BPF_CMD = {
  BPF_MAP_CREATE: 0, BPF_MAP_LOOKUP_ELEM: 1, BPF_MAP_UPDATE_ELEM: 2, BPF_MAP_DELETE_ELEM: 3,
  BPF_MAP_GET_NEXT_KEY: 4, BPF_PROG_LOAD: 5, BPF_OBJ_PIN: 6, BPF_OBJ_GET: 7, BPF_PROG_ATTACH: 8,
  BPF_PROG_DETACH: 9, BPF_PROG_TEST_RUN: 10, BPF_PROG_GET_NEXT_ID: 11, BPF_MAP_GET_NEXT_ID: 12,
  BPF_PROG_GET_FD_BY_ID: 13, BPF_MAP_GET_FD_BY_ID: 14, BPF_OBJ_GET_INFO_BY_FD: 15, BPF_PROG_QUERY: 16,
  BPF_RAW_TRACEPOINT_OPEN: 17, BPF_BTF_LOAD: 18, BPF_BTF_GET_FD_BY_ID: 19, BPF_TASK_FD_QUERY: 20,
  BPF_MAP_LOOKUP_AND_DELETE_ELEM: 21, BPF_MAP_FREEZE: 22, BPF_BTF_GET_NEXT_ID: 23,
  BPF_MAP_LOOKUP_BATCH: 24, BPF_MAP_LOOKUP_AND_DELETE_BATCH: 25, BPF_MAP_UPDATE_BATCH: 26,
  BPF_MAP_DELETE_BATCH: 27, BPF_LINK_CREATE: 28, BPF_LINK_UPDATE: 29, BPF_LINK_GET_FD_BY_ID: 30,
  BPF_LINK_GET_NEXT_ID: 31, BPF_ENABLE_STATS: 32, BPF_ITER_CREATE: 33, BPF_LINK_DETACH: 34,
  BPF_PROG_BIND_MAP: 35, BPF_TOKEN_CREATE: 36, BPF_PROG_STREAM_READ_BY_FD: 37,
} as const;
export type BpfCmdName = keyof typeof BPF_CMD;

export const BPF_MAP_TYPE = {
  BPF_MAP_TYPE_UNSPEC: 0, BPF_MAP_TYPE_HASH: 1, BPF_MAP_TYPE_ARRAY: 2, BPF_MAP_TYPE_PROG_ARRAY: 3,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY: 4, BPF_MAP_TYPE_PERCPU_HASH: 5, BPF_MAP_TYPE_PERCPU_ARRAY: 6,
  BPF_MAP_TYPE_STACK_TRACE: 7, BPF_MAP_TYPE_CGROUP_ARRAY: 8, BPF_MAP_TYPE_LRU_HASH: 9,
  BPF_MAP_TYPE_LRU_PERCPU_HASH: 10, BPF_MAP_TYPE_LPM_TRIE: 11, BPF_MAP_TYPE_ARRAY_OF_MAPS: 12,
  BPF_MAP_TYPE_HASH_OF_MAPS: 13, BPF_MAP_TYPE_DEVMAP: 14, BPF_MAP_TYPE_SOCKMAP: 15,
  BPF_MAP_TYPE_CPUMAP: 16, BPF_MAP_TYPE_XSKMAP: 17, BPF_MAP_TYPE_SOCKHASH: 18,
  BPF_MAP_TYPE_CGROUP_STORAGE: 19, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: 20,
  BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: 21, BPF_MAP_TYPE_QUEUE: 22, BPF_MAP_TYPE_STACK: 23,
  BPF_MAP_TYPE_SK_STORAGE: 24, BPF_MAP_TYPE_DEVMAP_HASH: 25, BPF_MAP_TYPE_STRUCT_OPS: 26,
  BPF_MAP_TYPE_RINGBUF: 27, BPF_MAP_TYPE_INODE_STORAGE: 28, BPF_MAP_TYPE_TASK_STORAGE: 29,
  BPF_MAP_TYPE_BLOOM_FILTER: 30, BPF_MAP_TYPE_USER_RINGBUF: 31, BPF_MAP_TYPE_CGRP_STORAGE: 32,
  BPF_MAP_TYPE_ARENA: 33, BPF_MAP_TYPE_INSN_ARRAY: 34,
} as const;

export const BPF_PROG_TYPE = {
  BPF_PROG_TYPE_UNSPEC: 0, BPF_PROG_TYPE_SOCKET_FILTER: 1, BPF_PROG_TYPE_KPROBE: 2,
  BPF_PROG_TYPE_SCHED_CLS: 3, BPF_PROG_TYPE_SCHED_ACT: 4, BPF_PROG_TYPE_TRACEPOINT: 5,
  BPF_PROG_TYPE_XDP: 6, BPF_PROG_TYPE_PERF_EVENT: 7, BPF_PROG_TYPE_CGROUP_SKB: 8,
  BPF_PROG_TYPE_CGROUP_SOCK: 9, BPF_PROG_TYPE_LWT_IN: 10, BPF_PROG_TYPE_LWT_OUT: 11,
  BPF_PROG_TYPE_LWT_XMIT: 12, BPF_PROG_TYPE_SOCK_OPS: 13, BPF_PROG_TYPE_SK_SKB: 14,
  BPF_PROG_TYPE_CGROUP_DEVICE: 15, BPF_PROG_TYPE_SK_MSG: 16, BPF_PROG_TYPE_RAW_TRACEPOINT: 17,
  BPF_PROG_TYPE_CGROUP_SOCK_ADDR: 18, BPF_PROG_TYPE_LWT_SEG6LOCAL: 19, BPF_PROG_TYPE_LIRC_MODE2: 20,
  BPF_PROG_TYPE_SK_REUSEPORT: 21, BPF_PROG_TYPE_FLOW_DISSECTOR: 22, BPF_PROG_TYPE_CGROUP_SYSCTL: 23,
  BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: 24, BPF_PROG_TYPE_CGROUP_SOCKOPT: 25,
  BPF_PROG_TYPE_TRACING: 26, BPF_PROG_TYPE_STRUCT_OPS: 27, BPF_PROG_TYPE_EXT: 28,
  BPF_PROG_TYPE_LSM: 29, BPF_PROG_TYPE_SK_LOOKUP: 30, BPF_PROG_TYPE_SYSCALL: 31,
  BPF_PROG_TYPE_NETFILTER: 32,
} as const;

export const BPF_ATTACH_TYPE = {
  BPF_CGROUP_INET_INGRESS: 0, BPF_TRACE_RAW_TP: 23, BPF_TRACE_FENTRY: 24, BPF_TRACE_FEXIT: 25,
  BPF_MODIFY_RETURN: 26, BPF_LSM_MAC: 27, BPF_TRACE_ITER: 28, BPF_XDP: 37,
} as const;

export const BPF_LINK_TYPE = {
  BPF_LINK_TYPE_UNSPEC: 0, BPF_LINK_TYPE_RAW_TRACEPOINT: 1, BPF_LINK_TYPE_TRACING: 2,
  BPF_LINK_TYPE_CGROUP: 3, BPF_LINK_TYPE_ITER: 4, BPF_LINK_TYPE_NETNS: 5, BPF_LINK_TYPE_XDP: 6,
} as const;

// Map flags.
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_CLONE = 1 << 9;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;
export const BPF_F_LINK = 1 << 13;
export const BPF_F_PATH_FD = 1 << 14;
export const BPF_F_VTYPE_BTF_OBJ_FD = 1 << 15;
export const BPF_F_TOKEN_FD = 1 << 16;
export const BPF_F_SEGV_ON_FAULT = 1 << 17;
export const BPF_F_NO_USER_CONV = 1 << 18;

// Update flags (BPF_MAP_UPDATE_ELEM).
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

// Program flags (BPF_PROG_LOAD prog_flags).
export const BPF_F_STRICT_ALIGNMENT = 1 << 0;
export const BPF_F_ANY_ALIGNMENT = 1 << 1;
export const BPF_F_TEST_RND_HI32 = 1 << 2;
export const BPF_F_TEST_STATE_FREQ = 1 << 3;
export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;
export const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
export const BPF_F_TEST_REG_INVARIANTS = 1 << 7;
/** prog_flags bits bpf_prog_load accepts (others: EINVAL). */
export const BPF_PROG_LOAD_FLAGS_MASK =
  BPF_F_STRICT_ALIGNMENT | BPF_F_ANY_ALIGNMENT | BPF_F_TEST_STATE_FREQ | BPF_F_SLEEPABLE |
  BPF_F_TEST_RND_HI32 | BPF_F_XDP_HAS_FRAGS | BPF_F_XDP_DEV_BOUND_ONLY | BPF_F_TEST_REG_INVARIANTS |
  BPF_F_TOKEN_FD;

/** Test-run flags. */
export const BPF_F_TEST_RUN_ON_CPU = 1 << 0;
export const BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1;
export const BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2;

/** Light-skeleton ctx flag (struct bpf_loader_ctx.flags bit 0). */
export const BPF_SKEL_KERNEL = 1;

/** Size of the SHA-256 digests used by exclusive maps and map hashes. */
export const SHA256_DIGEST_SIZE = 32;
/** Linux BPF_OBJ_NAME_LEN. */
export const BPF_OBJ_NAME_LEN = 16;
/** PAGE_SIZE on x86-64: the largest attr a caller may pass. */
export const PAGE_SIZE = 4096;
/** KMALLOC_MAX_CACHE_SIZE on x86-64: the 6.18.y signature size cap. */
export const KMALLOC_MAX_CACHE_SIZE = 8192;

/** Helper ids (enum bpf_func_id) the model implements or names in messages. */
export const BPF_FUNC = {
  map_lookup_elem: 1, map_update_elem: 2, map_delete_elem: 3, probe_read: 4, ktime_get_ns: 5,
  trace_printk: 6, get_prandom_u32: 7, get_smp_processor_id: 8, tail_call: 12,
  get_current_pid_tgid: 14, get_current_uid_gid: 15, get_current_comm: 16, get_numa_node_id: 42,
  probe_read_str: 45, probe_read_user: 112, probe_read_kernel: 113, probe_read_user_str: 114,
  probe_read_kernel_str: 115, jiffies64: 118, ktime_get_boot_ns: 125, ringbuf_output: 130,
  ringbuf_reserve: 131, ringbuf_submit: 132, ringbuf_discard: 133, ringbuf_query: 134,
  copy_from_user: 148, ktime_get_coarse_ns: 160, snprintf: 165, sys_bpf: 166,
  btf_find_by_name_kind: 167, sys_close: 168, kallsyms_lookup_name: 179, loop: 181,
  ktime_get_tai_ns: 208,
} as const;
export type HelperName = keyof typeof BPF_FUNC;

function invert<T extends Record<string, number>>(o: T): ReadonlyMap<number, keyof T & string> {
  return new Map(Object.entries(o).map(([k, v]) => [v, k as keyof T & string]));
}
const CMD_NAMES = invert(BPF_CMD);
const MAP_TYPE_NAMES = invert(BPF_MAP_TYPE);
const PROG_TYPE_NAMES = invert(BPF_PROG_TYPE);

export function cmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `BPF_CMD_${cmd}`;
}
export function mapTypeName(t: number): string {
  return MAP_TYPE_NAMES.get(t) ?? `BPF_MAP_TYPE_${t}`;
}
export function progTypeName(t: number): string {
  return PROG_TYPE_NAMES.get(t) ?? `BPF_PROG_TYPE_${t}`;
}

/** `syscall` -> BPF_PROG_TYPE_SYSCALL (the CLI and JSONL spelling: Linux name, prefix dropped, lower case). */
export function progTypeByShortName(name: string): number | undefined {
  const v = (BPF_PROG_TYPE as Record<string, number>)[`BPF_PROG_TYPE_${name.toUpperCase()}`];
  return v;
}
export function mapTypeByShortName(name: string): number | undefined {
  return (BPF_MAP_TYPE as Record<string, number>)[`BPF_MAP_TYPE_${name.toUpperCase()}`];
}
export function shortProgTypeName(t: number): string {
  return progTypeName(t).replace(/^BPF_PROG_TYPE_/, '').toLowerCase();
}
