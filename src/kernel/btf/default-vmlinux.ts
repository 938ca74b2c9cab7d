/**
 * The built-in default vmlinux BTF: a small kernel BTF, generated with the encoder, holding what the
 * fixture loaders and the verifier look up when no real /sys/kernel/btf/vmlinux is used:
 * - attach targets: the raw-tracepoint typedefs btf_trace_sys_enter / btf_trace_sys_exit
 *   (TYPEDEF → PTR → FUNC_PROTO(void *, struct pt_regs *, long), as in Linux);
 * - kfuncs: bpf_rcu_read_lock / bpf_rcu_read_unlock (FUNC, static linkage, void(void), each with a
 *   "bpf_kfunc" DECL_TAG, as Linux 6.18 emits them);
 * - program context types: struct __sk_buff, struct xdp_md, struct bpf_raw_tracepoint_args (the uapi
 *   layouts, member for member), struct pt_regs (x86-64);
 * - struct bpf_map / struct bpf_array with the fields the signed loader reads: sha[32] at offset 0 and
 *   excl at 32 (Linux 6.18.44 layout; everything after `ops` is folded into one opaque byte array
 *   so that sizeof(struct bpf_map) = 296 and bpf_array's elem_size lands at 296, as on that kernel).
 * Type ids are those of this small BTF, not of any real kernel build; names and kinds are what count
 * (btf_find_by_name_kind), and the uapi layouts match a real 6.18 kernel.
 */
import { Btf } from './btf.js';
import { BTF_FUNC_STATIC, BTF_INT_BOOL, BTF_INT_SIGNED } from './constants.js';
import { BtfBuilder } from './encode.js';
import type { BtfMember } from './types.js';

const mem = (name: string, type: number, byteOffset: number): BtfMember => ({ name, type, bitsOffset: byteOffset * 8, bitfieldSize: 0 });

/** The specs, so tests and tools can inspect them; {@link defaultVmlinuxBtf} encodes them once. */
export function buildDefaultVmlinux(): BtfBuilder {
  const b = new BtfBuilder();
  const int = (name: string, size: number, encoding = 0) => b.add({ kind: 'INT', name, size, encoding, bitsOffset: 0, nrBits: size * 8 });
  const td = (name: string, type: number) => b.add({ kind: 'TYPEDEF', name, type });
  const ptr = (type: number) => b.add({ kind: 'PTR', name: '', type });
  const arr = (type: number, nelems: number) => b.add({ kind: 'ARRAY', name: '', type, indexType: sint, nelems });

  const uchar = int('unsigned char', 1);
  const uint = int('unsigned int', 4);
  const sint = int('int', 4, BTF_INT_SIGNED);
  const slong = int('long int', 8, BTF_INT_SIGNED);
  const ulong = int('long unsigned int', 8);
  const ullong = int('long long unsigned int', 8);
  const char = int('char', 1, BTF_INT_SIGNED);
  int('_Bool', 1, BTF_INT_BOOL);
  const u8 = td('__u8', uchar);
  const u32 = td('__u32', uint);
  const u64 = td('__u64', ullong);
  const ku8 = td('u8', u8);
  const ku32 = td('u32', u32);
  td('__s32', sint);
  const voidPtr = ptr(0);

  // struct pt_regs (arch/x86/include/asm/ptrace.h, x86-64). cs and ss sit in anonymous unions with
  // their 64-bit views (csx/ssx); the FRED bitfield views (fred_cs/fred_ss) are left out.
  const ushort = int('short unsigned int', 2);
  const segUnion = (seg: string) => b.add({
    kind: 'UNION', name: '', size: 8, members: [mem(seg, ushort, 0), mem(`${seg}x`, ullong, 0)],
  });
  const regs = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di',
    'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];
  const ptRegs = b.add({
    kind: 'STRUCT', name: 'pt_regs', size: regs.length * 8,
    members: regs.map((r, i) => (r === 'cs' || r === 'ss' ? mem('', segUnion(r), i * 8) : mem(r, ulong, i * 8))),
  });
  const ptRegsPtr = ptr(ptRegs);

  // Raw tracepoint attach targets: typedef void (*btf_trace_<tp>)(void *__data, <TP_PROTO args>).
  const sysProto = b.add({
    kind: 'FUNC_PROTO', name: '', returnType: 0,
    params: [{ name: '', type: voidPtr }, { name: '', type: ptRegsPtr }, { name: '', type: slong }],
  });
  const sysProtoPtr = ptr(sysProto);
  td('btf_trace_sys_enter', sysProtoPtr);
  td('btf_trace_sys_exit', sysProtoPtr);

  // kfuncs: void bpf_rcu_read_lock(void), void bpf_rcu_read_unlock(void)
  const voidVoid = b.add({ kind: 'FUNC_PROTO', name: '', returnType: 0, params: [] });
  for (const name of ['bpf_rcu_read_lock', 'bpf_rcu_read_unlock']) {
    const fn = b.add({ kind: 'FUNC', name, type: voidVoid, linkage: BTF_FUNC_STATIC });
    b.add({ kind: 'DECL_TAG', name: 'bpf_kfunc', type: fn, componentIdx: -1, attr: false });
  }

  // struct __sk_buff (include/uapi/linux/bpf.h)
  const flowKeys = b.add({ kind: 'FWD', name: 'bpf_flow_keys', union: false });
  const bpfSock = b.add({ kind: 'FWD', name: 'bpf_sock', union: false });
  const flowKeysUnion = b.add({ kind: 'UNION', name: '', size: 8, members: [mem('flow_keys', ptr(flowKeys), 0)] });
  const skUnion = b.add({ kind: 'UNION', name: '', size: 8, members: [mem('sk', ptr(bpfSock), 0)] });
  const u32x5 = arr(u32, 5);
  const u32x4 = arr(u32, 4);
  const skbWords = ['len', 'pkt_type', 'mark', 'queue_mapping', 'protocol', 'vlan_present', 'vlan_tci', 'vlan_proto',
    'priority', 'ingress_ifindex', 'ifindex', 'tc_index'];
  b.add({
    kind: 'STRUCT', name: '__sk_buff', size: 192, members: [
      ...skbWords.map((n, i) => mem(n, u32, i * 4)),
      mem('cb', u32x5, 48), mem('hash', u32, 68), mem('tc_classid', u32, 72), mem('data', u32, 76),
      mem('data_end', u32, 80), mem('napi_id', u32, 84), mem('family', u32, 88), mem('remote_ip4', u32, 92),
      mem('local_ip4', u32, 96), mem('remote_ip6', u32x4, 100), mem('local_ip6', u32x4, 116),
      mem('remote_port', u32, 132), mem('local_port', u32, 136), mem('data_meta', u32, 140),
      mem('', flowKeysUnion, 144), mem('tstamp', u64, 152), mem('wire_len', u32, 160), mem('gso_segs', u32, 164),
      mem('', skUnion, 168), mem('gso_size', u32, 176), mem('tstamp_type', u8, 180), mem('hwtstamp', u64, 184),
    ],
  });

  // struct xdp_md (include/uapi/linux/bpf.h)
  const xdpWords = ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'];
  b.add({ kind: 'STRUCT', name: 'xdp_md', size: 24, members: xdpWords.map((n, i) => mem(n, u32, i * 4)) });

  // struct bpf_raw_tracepoint_args { __u64 args[0]; }
  b.add({ kind: 'STRUCT', name: 'bpf_raw_tracepoint_args', size: 0, members: [mem('args', arr(u64, 0), 0)] });

  // struct bpf_map / struct bpf_array (include/linux/bpf.h, abridged; see the header comment)
  const mapOps = b.add({ kind: 'FWD', name: 'bpf_map_ops', union: false });
  const constMapOps = b.add({ kind: 'CONST', name: '', type: mapOps });
  const bpfMap = b.add({
    kind: 'STRUCT', name: 'bpf_map', size: 296, members: [
      mem('sha', arr(ku8, 32), 0), mem('excl', ku32, 32), mem('ops', ptr(constMapOps), 40),
      mem('__opaque', arr(char, 296 - 48), 48),
    ],
  });
  const arrayAux = b.add({ kind: 'FWD', name: 'bpf_array_aux', union: false });
  b.add({
    kind: 'STRUCT', name: 'bpf_array', size: 312, members: [
      mem('map', bpfMap, 0), mem('elem_size', ku32, 296), mem('index_mask', ku32, 300), mem('aux', ptr(arrayAux), 304),
      mem('value', arr(char, 0), 312),
    ],
  });
  return b;
}

let cached: Btf | undefined;

/** The default vmlinux BTF (parsed once; treat as read-only). */
export function defaultVmlinuxBtf(): Btf {
  cached ??= Btf.parse(buildDefaultVmlinux().encode());
  return cached;
}
