/**
 * `union bpf_attr`: the byte layouts of every command bpfsim models (x86-64, Linux 6.18; signing.md
 * §4.3), the one codec that reads and writes them, and Linux's generic size rules.
 *
 * A layout is data: field name → [offset, kind]. `readAttr` turns bytes into a typed record,
 * `CHECK_ATTR` is Linux's "bytes after the command's last field must be zero" rule.
 */

export type FieldKind = 'u32' | 's32' | 'u64' | 'ptr' | 'name';
export type Layout = Readonly<Record<string, readonly [offset: number, kind: FieldKind]>>;

const SIZE: Readonly<Record<FieldKind, number>> = { u32: 4, s32: 4, u64: 8, ptr: 8, name: 16 };

type FieldValue<K extends FieldKind> = K extends 'u64' | 'ptr' ? bigint : K extends 'name' ? Uint8Array : number;
export type AttrOf<L extends Layout> = { readonly [F in keyof L]: FieldValue<L[F][1]> };

function layout<L extends Layout>(l: L): L {
  return l;
}

export const MAP_CREATE_ATTR = layout({
  map_type: [0, 'u32'], key_size: [4, 'u32'], value_size: [8, 'u32'], max_entries: [12, 'u32'],
  map_flags: [16, 'u32'], inner_map_fd: [20, 'u32'], numa_node: [24, 'u32'], map_name: [28, 'name'],
  map_ifindex: [44, 'u32'], btf_fd: [48, 'u32'], btf_key_type_id: [52, 'u32'], btf_value_type_id: [56, 'u32'],
  btf_vmlinux_value_type_id: [60, 'u32'], map_extra: [64, 'u64'], value_type_btf_obj_fd: [72, 's32'],
  map_token_fd: [76, 's32'], excl_prog_hash: [80, 'ptr'], excl_prog_hash_size: [88, 'u32'],
} as const);

/** BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM and BPF_MAP_GET_NEXT_KEY (`value` is `next_key` for the latter). */
export const MAP_ELEM_ATTR = layout({
  map_fd: [0, 'u32'], key: [8, 'ptr'], value: [16, 'ptr'], flags: [24, 'u64'],
} as const);

export const MAP_FREEZE_ATTR = layout({ map_fd: [0, 'u32'] } as const);

export const GET_ID_ATTR = layout({ start_id: [0, 'u32'], next_id: [4, 'u32'], open_flags: [8, 'u32'] } as const);

export const OBJ_INFO_ATTR = layout({ bpf_fd: [0, 'u32'], info_len: [4, 'u32'], info: [8, 'ptr'] } as const);

export const PROG_LOAD_ATTR = layout({
  prog_type: [0, 'u32'], insn_cnt: [4, 'u32'], insns: [8, 'ptr'], license: [16, 'ptr'],
  log_level: [24, 'u32'], log_size: [28, 'u32'], log_buf: [32, 'ptr'], kern_version: [40, 'u32'],
  prog_flags: [44, 'u32'], prog_name: [48, 'name'], prog_ifindex: [64, 'u32'],
  expected_attach_type: [68, 'u32'], prog_btf_fd: [72, 'u32'], func_info_rec_size: [76, 'u32'],
  func_info: [80, 'ptr'], func_info_cnt: [88, 'u32'], line_info_rec_size: [92, 'u32'],
  line_info: [96, 'ptr'], line_info_cnt: [104, 'u32'], attach_btf_id: [108, 'u32'],
  attach_prog_fd: [112, 'u32'], core_relo_cnt: [116, 'u32'], fd_array: [120, 'ptr'],
  core_relos: [128, 'ptr'], core_relo_rec_size: [136, 'u32'], log_true_size: [140, 'u32'],
  prog_token_fd: [144, 's32'], fd_array_cnt: [148, 'u32'], signature: [152, 'ptr'],
  signature_size: [160, 'u32'], keyring_id: [164, 's32'],
  // The unmerged hash-chain proposal (signing.md §3.1); only present when the kernel models it.
  signature_maps: [168, 'ptr'], signature_maps_size: [176, 'u32'],
} as const);

export const TEST_RUN_ATTR = layout({
  prog_fd: [0, 'u32'], retval: [4, 'u32'], data_size_in: [8, 'u32'], data_size_out: [12, 'u32'],
  data_in: [16, 'ptr'], data_out: [24, 'ptr'], repeat: [32, 'u32'], duration: [36, 'u32'],
  ctx_size_in: [40, 'u32'], ctx_size_out: [44, 'u32'], ctx_in: [48, 'ptr'], ctx_out: [56, 'ptr'],
  flags: [64, 'u32'], cpu: [68, 'u32'], batch_size: [72, 'u32'],
} as const);

export const BTF_LOAD_ATTR = layout({
  btf: [0, 'ptr'], btf_log_buf: [8, 'ptr'], btf_size: [16, 'u32'], btf_log_size: [20, 'u32'],
  btf_log_level: [24, 'u32'], btf_log_true_size: [28, 'u32'], btf_flags: [32, 'u32'],
  btf_token_fd: [36, 's32'],
} as const);

export const LINK_CREATE_ATTR = layout({
  prog_fd: [0, 'u32'], target_fd: [4, 'u32'], attach_type: [8, 'u32'], flags: [12, 'u32'],
  target_btf_id: [16, 'u32'], iter_info: [16, 'ptr'], iter_info_len: [24, 'u32'],
  // link_create.uprobe_multi.pid: the union's last field in 6.18 (BPF_LINK_CREATE_LAST_FIELD).
  uprobe_multi_pid: [56, 'u32'],
} as const);

export const RAW_TP_OPEN_ATTR = layout({ name: [0, 'ptr'], prog_fd: [8, 'u32'], cookie: [16, 'u64'] } as const);

export const TOKEN_CREATE_ATTR = layout({ flags: [0, 'u32'], bpffs_fd: [4, 'u32'] } as const);

/** BPF_*_GET_FD_BY_ID; fd_by_id_token_fd is read only by BPF_BTF_GET_FD_BY_ID (6.18). */
export const FD_BY_ID_ATTR = layout({ id: [0, 'u32'], next_id: [4, 'u32'], open_flags: [8, 'u32'], fd_by_id_token_fd: [12, 's32'] } as const);

/**
 * Per command: the layout and `offsetofend` of the last field the kernel knows (CHECK_ATTR: every
 * byte from there to the end of the union must be zero, else EINVAL).
 */
export interface CommandAttr {
  readonly layout: Layout;
  readonly lastFieldEnd: number;
}

export function offsetofend(l: Layout, field: string): number {
  const f = l[field];
  return f[0] + SIZE[f[1]];
}

/** A copied-in attr: the union's bytes (zero-extended to the union size). */
export class AttrBytes {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u32(off: number): number { return this.dv.getUint32(off, true); }
  s32(off: number): number { return this.dv.getInt32(off, true); }
  u64(off: number): bigint { return this.dv.getBigUint64(off, true); }
  setU32(off: number, v: number): void { this.dv.setUint32(off, v >>> 0, true); }
  setU64(off: number, v: bigint): void { this.dv.setBigUint64(off, BigInt.asUintN(64, v), true); }

  /** CHECK_ATTR: true when every byte from `from` to the end is zero. */
  zeroFrom(from: number): boolean {
    for (let i = from; i < this.bytes.length; i++) if (this.bytes[i] !== 0) return false;
    return true;
  }

  read<L extends Layout>(l: L): AttrOf<L> {
    const out: Record<string, number | bigint | Uint8Array> = {};
    for (const [name, [off, kind]] of Object.entries(l)) {
      if (off + SIZE[kind] > this.bytes.length) { out[name] = kind === 'u64' || kind === 'ptr' ? 0n : kind === 'name' ? new Uint8Array(16) : 0; continue; }
      switch (kind) {
        case 'u32': out[name] = this.u32(off); break;
        case 's32': out[name] = this.s32(off); break;
        case 'u64': case 'ptr': out[name] = this.u64(off); break;
        case 'name': out[name] = this.bytes.slice(off, off + 16); break;
      }
    }
    return out as AttrOf<L>;
  }
}

/** Encode a record into attr bytes of `size` (for the typed convenience API and the skeleton replay). */
export function encodeAttr<L extends Layout>(l: L, values: Partial<{ [F in keyof L]: number | bigint | string | Uint8Array }>, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  for (const [name, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const f = l[name];
    if (!f) throw new Error(`unknown attr field ${name}`);
    const [off, kind] = f;
    if (off + SIZE[kind] > size) throw new RangeError(`field ${name} lies beyond attr size ${size}`);
    switch (kind) {
      case 'u32': dv.setUint32(off, Number(v) >>> 0, true); break;
      case 's32': dv.setInt32(off, Number(v) | 0, true); break;
      case 'u64': case 'ptr': dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v as number | bigint)), true); break;
      case 'name': {
        const b = typeof v === 'string' ? new TextEncoder().encode(v) : (v as Uint8Array);
        bytes.set(b.subarray(0, 16), off);
        break;
      }
    }
  }
  return bytes;
}

/** The C string in a 16-byte name field (up to the first NUL). */
export function nameOf(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}
