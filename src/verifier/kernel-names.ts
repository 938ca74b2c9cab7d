/**
 * Linux's names for kernel enumerations the verifier prints or accepts by name: helper functions
 * (func_id_str, "bpf_" + the __BPF_FUNC_MAPPER name), program types and map types (the
 * BPF_PROG_TYPE_* / BPF_MAP_TYPE_* suffixes in lower case, as the CLI and JSONL cases spell them).
 */

/** Helper names by id (0 = unspec); Linux 6.18 defines ids up to 211 (__BPF_FUNC_MAX_ID = 212). */
const HELPERS: readonly string[] = [
  'unspec', 'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'probe_read', 'ktime_get_ns',
  'trace_printk', 'get_prandom_u32', 'get_smp_processor_id', 'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace',
  'tail_call', 'clone_redirect', 'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_comm', 'get_cgroup_classid',
  'skb_vlan_push', 'skb_vlan_pop', 'skb_get_tunnel_key', 'skb_set_tunnel_key', 'perf_event_read', 'redirect',
  'get_route_realm', 'perf_event_output', 'skb_load_bytes', 'get_stackid', 'csum_diff', 'skb_get_tunnel_opt',
  'skb_set_tunnel_opt', 'skb_change_proto', 'skb_change_type', 'skb_under_cgroup', 'get_hash_recalc', 'get_current_task',
  'probe_write_user', 'current_task_under_cgroup', 'skb_change_tail', 'skb_pull_data', 'csum_update', 'set_hash_invalid',
  'get_numa_node_id', 'skb_change_head', 'xdp_adjust_head', 'probe_read_str', 'get_socket_cookie', 'get_socket_uid',
  'set_hash', 'setsockopt', 'skb_adjust_room', 'redirect_map', 'sk_redirect_map', 'sock_map_update',
  'xdp_adjust_meta', 'perf_event_read_value', 'perf_prog_read_value', 'getsockopt', 'override_return', 'sock_ops_cb_flags_set',
  'msg_redirect_map', 'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'bind', 'xdp_adjust_tail',
  'skb_get_xfrm_state', 'get_stack', 'skb_load_bytes_relative', 'fib_lookup', 'sock_hash_update', 'msg_redirect_hash',
  'sk_redirect_hash', 'lwt_push_encap', 'lwt_seg6_store_bytes', 'lwt_seg6_adjust_srh', 'lwt_seg6_action', 'rc_repeat',
  'rc_keydown', 'skb_cgroup_id', 'get_current_cgroup_id', 'get_local_storage', 'sk_select_reuseport', 'skb_ancestor_cgroup_id',
  'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'map_push_elem', 'map_pop_elem', 'map_peek_elem',
  'msg_push_data', 'msg_pop_data', 'rc_pointer_rel', 'spin_lock', 'spin_unlock', 'sk_fullsock',
  'tcp_sock', 'skb_ecn_set_ce', 'get_listener_sock', 'skc_lookup_tcp', 'tcp_check_syncookie', 'sysctl_get_name',
  'sysctl_get_current_value', 'sysctl_get_new_value', 'sysctl_set_new_value', 'strtol', 'strtoul', 'sk_storage_get',
  'sk_storage_delete', 'send_signal', 'tcp_gen_syncookie', 'skb_output', 'probe_read_user', 'probe_read_kernel',
  'probe_read_user_str', 'probe_read_kernel_str', 'tcp_send_ack', 'send_signal_thread', 'jiffies64', 'read_branch_records',
  'get_ns_current_pid_tgid', 'xdp_output', 'get_netns_cookie', 'get_current_ancestor_cgroup_id', 'sk_assign', 'ktime_get_boot_ns',
  'seq_printf', 'seq_write', 'sk_cgroup_id', 'sk_ancestor_cgroup_id', 'ringbuf_output', 'ringbuf_reserve',
  'ringbuf_submit', 'ringbuf_discard', 'ringbuf_query', 'csum_level', 'skc_to_tcp6_sock', 'skc_to_tcp_sock',
  'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'get_task_stack', 'load_hdr_opt', 'store_hdr_opt',
  'reserve_hdr_opt', 'inode_storage_get', 'inode_storage_delete', 'd_path', 'copy_from_user', 'snprintf_btf',
  'seq_printf_btf', 'skb_cgroup_classid', 'redirect_neigh', 'per_cpu_ptr', 'this_cpu_ptr', 'redirect_peer',
  'task_storage_get', 'task_storage_delete', 'get_current_task_btf', 'bprm_opts_set', 'ktime_get_coarse_ns', 'ima_inode_hash',
  'sock_from_file', 'check_mtu', 'for_each_map_elem', 'snprintf', 'sys_bpf', 'btf_find_by_name_kind',
  'sys_close', 'timer_init', 'timer_set_callback', 'timer_start', 'timer_cancel', 'get_func_ip',
  'get_attach_cookie', 'task_pt_regs', 'get_branch_snapshot', 'trace_vprintk', 'skc_to_unix_sock', 'kallsyms_lookup_name',
  'find_vma', 'loop', 'strncmp', 'get_func_arg', 'get_func_ret', 'get_func_arg_cnt',
  'get_retval', 'set_retval', 'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes', 'copy_from_user_task',
  'skb_set_tstamp', 'ima_file_hash', 'kptr_xchg', 'map_lookup_percpu_elem', 'skc_to_mptcp_sock', 'dynptr_from_mem',
  'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr', 'dynptr_read', 'dynptr_write', 'dynptr_data',
  'tcp_raw_gen_syncookie_ipv4', 'tcp_raw_gen_syncookie_ipv6', 'tcp_raw_check_syncookie_ipv4', 'tcp_raw_check_syncookie_ipv6', 'ktime_get_tai_ns', 'user_ringbuf_drain',
  'cgrp_storage_get', 'cgrp_storage_delete',];

export const BPF_FUNC_MAX_ID = HELPERS.length;

/** "bpf_map_lookup_elem" for 1; null for ids Linux does not define. */
export function helperName(id: number): string | null {
  return id >= 0 && id < HELPERS.length && id !== 0 ? `bpf_${HELPERS[id]}` : null;
}

/** func_id_name: the name the verifier prints in messages ("unknown" for undefined ids). */
export function funcIdName(id: number): string {
  return helperName(id) ?? 'unknown';
}

const PROG_TYPES: readonly string[] = [
  'unspec', 'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event',
  'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device',
  'sk_msg', 'raw_tracepoint', 'cgroup_sock_addr', 'lwt_seg6local', 'lirc_mode2', 'sk_reuseport',
  'flow_dissector', 'cgroup_sysctl', 'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing', 'struct_ops',
  'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
];

export const BPF_PROG_TYPE = {
  SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6, PERF_EVENT: 7,
  CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13, SK_SKB: 14,
  CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19,
  LIRC_MODE2: 20, SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29, SK_LOOKUP: 30, SYSCALL: 31,
  NETFILTER: 32,
} as const;

export const MAX_BPF_PROG_TYPE = PROG_TYPES.length;

const MAP_TYPES: readonly string[] = [
  'unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array',
  'stack_trace', 'cgroup_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps',
  'hash_of_maps', 'devmap', 'sockmap', 'cpumap', 'xskmap', 'sockhash', 'cgroup_storage',
  'reuseport_sockarray', 'percpu_cgroup_storage', 'queue', 'stack', 'sk_storage', 'devmap_hash',
  'struct_ops', 'ringbuf', 'inode_storage', 'task_storage', 'bloom_filter', 'user_ringbuf',
  'cgrp_storage', 'arena',
];

export const BPF_MAP_TYPE = {
  HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11, ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17, SOCKHASH: 18, CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, SK_STORAGE: 24,
  DEVMAP_HASH: 25, STRUCT_OPS: 26, RINGBUF: 27, INODE_STORAGE: 28, TASK_STORAGE: 29, BLOOM_FILTER: 30,
  USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const;

export function progTypeName(t: number): string | null {
  return t > 0 && t < PROG_TYPES.length ? PROG_TYPES[t] : null;
}

/** Program type by name ("syscall", "BPF_PROG_TYPE_SYSCALL", or a number as text). */
export function progTypeByName(name: string): number | null {
  const s = name.trim().toLowerCase().replace(/^bpf_prog_type_/, '');
  if (/^\d+$/.test(s)) return Number(s);
  const i = PROG_TYPES.indexOf(s);
  return i > 0 ? i : null;
}

export function mapTypeName(t: number): string | null {
  return t > 0 && t < MAP_TYPES.length ? MAP_TYPES[t] : null;
}

export function mapTypeByName(name: string): number | null {
  const s = name.trim().toLowerCase().replace(/^bpf_map_type_/, '');
  if (/^\d+$/.test(s)) return Number(s);
  const i = MAP_TYPES.indexOf(s);
  return i > 0 ? i : null;
}

/** Attach types the verifier looks at (Linux enum bpf_attach_type). */
export const BPF_ATTACH = {
  CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, CGROUP_INET_SOCK_CREATE: 2, CGROUP_INET4_BIND: 8,
  CGROUP_INET6_BIND: 9, CGROUP_INET4_CONNECT: 10, CGROUP_UDP4_RECVMSG: 19, CGROUP_UDP6_RECVMSG: 20,
  CGROUP_GETSOCKOPT: 21, CGROUP_SETSOCKOPT: 22, TRACE_RAW_TP: 23, TRACE_FENTRY: 24, TRACE_FEXIT: 25,
  MODIFY_RETURN: 26, LSM_MAC: 27, TRACE_ITER: 28, XDP_DEVMAP: 33, XDP_CPUMAP: 35, SK_LOOKUP: 36,
  XDP: 37, PERF_EVENT: 41, TRACE_KPROBE_MULTI: 42, LSM_CGROUP: 43, NETFILTER: 45,
} as const;
