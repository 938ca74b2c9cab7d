/**
 * Read-only decoding of the `union bpf_attr` templates a light-skeleton loader keeps in its data
 * blob (signing.md §4.3 layouts, x86-64). libbpf's gen_loader writes every static field at
 * generation time; fds, pointers and ctx-provided values are patched into the blob copy at run
 * time by the loader, so here they read as whatever the generator left (normally 0).
 *
 * Only the first `attrSize` bytes are read, as the kernel does (`copy_from_bpfptr` of `size`
 * bytes, the rest of its union zeroed). This is for inspecting skeletons; the kernel model has its
 * own attr codec.
 */
import { BPF_CMD, cmdName } from '../kernel/uapi.js';

export interface BtfLoadAttr {
  readonly cmd: 'BPF_BTF_LOAD';
  readonly btf: bigint;
  readonly btf_log_buf: bigint;
  readonly btf_size: number;
  readonly btf_log_size: number;
  readonly btf_log_level: number;
}

export interface MapCreateAttr {
  readonly cmd: 'BPF_MAP_CREATE';
  readonly map_type: number;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly map_flags: number;
  readonly inner_map_fd: number;
  readonly numa_node: number;
  /** `map_name[16]` up to its first NUL. */
  readonly map_name: string;
  readonly map_ifindex: number;
  readonly btf_fd: number;
  readonly btf_key_type_id: number;
  readonly btf_value_type_id: number;
  readonly btf_vmlinux_value_type_id: number;
  readonly map_extra: bigint;
}

export interface MapElemAttr {
  readonly cmd: 'BPF_MAP_UPDATE_ELEM' | 'BPF_MAP_DELETE_ELEM' | 'BPF_MAP_LOOKUP_ELEM';
  readonly map_fd: number;
  readonly key: bigint;
  readonly value: bigint;
  readonly flags: bigint;
}

export interface MapFreezeAttr {
  readonly cmd: 'BPF_MAP_FREEZE';
  readonly map_fd: number;
}

export interface MapGetFdByIdAttr {
  readonly cmd: 'BPF_MAP_GET_FD_BY_ID';
  readonly map_id: number;
  readonly next_id: number;
  readonly open_flags: number;
}

export interface ProgLoadAttr {
  readonly cmd: 'BPF_PROG_LOAD';
  readonly prog_type: number;
  readonly insn_cnt: number;
  readonly insns: bigint;
  readonly license: bigint;
  readonly log_level: number;
  readonly log_size: number;
  readonly log_buf: bigint;
  readonly kern_version: number;
  readonly prog_flags: number;
  readonly prog_name: string;
  readonly prog_ifindex: number;
  readonly expected_attach_type: number;
  readonly prog_btf_fd: number;
  readonly func_info_rec_size: number;
  readonly func_info: bigint;
  readonly func_info_cnt: number;
  readonly line_info_rec_size: number;
  readonly line_info: bigint;
  readonly line_info_cnt: number;
  readonly attach_btf_id: number;
  readonly attach_btf_obj_fd: number;
  readonly core_relo_cnt: number;
  readonly fd_array: bigint;
  readonly core_relos: bigint;
  readonly core_relo_rec_size: number;
}

export interface RawTracepointOpenAttr {
  readonly cmd: 'BPF_RAW_TRACEPOINT_OPEN';
  readonly name: bigint;
  readonly prog_fd: number;
}

export interface LinkCreateAttr {
  readonly cmd: 'BPF_LINK_CREATE';
  readonly prog_fd: number;
  readonly target_fd: number;
  readonly attach_type: number;
  readonly flags: number;
}

/** A command this module does not decode (the loader's allow-list has no others; signing.md §4.7). */
export interface OtherAttr {
  readonly cmd: 'other';
  readonly number: number;
  readonly name: string;
}

export type BlobAttr =
  | BtfLoadAttr | MapCreateAttr | MapElemAttr | MapFreezeAttr | MapGetFdByIdAttr | ProgLoadAttr
  | RawTracepointOpenAttr | LinkCreateAttr | OtherAttr;

/**
 * Decode the attr of `bpf_sys_bpf(cmd, BLOB+attrOff, attrSize)` from the blob, or null when the
 * attr does not lie inside the blob.
 */
export function decodeBlobAttr(cmd: number, blob: Uint8Array, attrOff: number, attrSize: number): BlobAttr | null {
  if (!Number.isInteger(attrOff) || !Number.isInteger(attrSize) || attrOff < 0 || attrSize < 0) return null;
  if (attrOff + attrSize > blob.length) return null;
  const r = new AttrReader(blob.subarray(attrOff, attrOff + attrSize));
  switch (cmd) {
    case BPF_CMD.BPF_BTF_LOAD:
      return {
        cmd: 'BPF_BTF_LOAD', btf: r.u64(0), btf_log_buf: r.u64(8), btf_size: r.u32(16), btf_log_size: r.u32(20),
        btf_log_level: r.u32(24),
      };
    case BPF_CMD.BPF_MAP_CREATE:
      return {
        cmd: 'BPF_MAP_CREATE', map_type: r.u32(0), key_size: r.u32(4), value_size: r.u32(8), max_entries: r.u32(12),
        map_flags: r.u32(16), inner_map_fd: r.u32(20), numa_node: r.u32(24), map_name: r.name(28, 16),
        map_ifindex: r.u32(44), btf_fd: r.u32(48), btf_key_type_id: r.u32(52), btf_value_type_id: r.u32(56),
        btf_vmlinux_value_type_id: r.u32(60), map_extra: r.u64(64),
      };
    case BPF_CMD.BPF_MAP_UPDATE_ELEM:
    case BPF_CMD.BPF_MAP_DELETE_ELEM:
    case BPF_CMD.BPF_MAP_LOOKUP_ELEM:
      return {
        cmd: cmdName(cmd) as MapElemAttr['cmd'], map_fd: r.u32(0), key: r.u64(8), value: r.u64(16), flags: r.u64(24),
      };
    case BPF_CMD.BPF_MAP_FREEZE:
      return { cmd: 'BPF_MAP_FREEZE', map_fd: r.u32(0) };
    case BPF_CMD.BPF_MAP_GET_FD_BY_ID:
      return { cmd: 'BPF_MAP_GET_FD_BY_ID', map_id: r.u32(0), next_id: r.u32(4), open_flags: r.u32(8) };
    case BPF_CMD.BPF_PROG_LOAD:
      return {
        cmd: 'BPF_PROG_LOAD', prog_type: r.u32(0), insn_cnt: r.u32(4), insns: r.u64(8), license: r.u64(16),
        log_level: r.u32(24), log_size: r.u32(28), log_buf: r.u64(32), kern_version: r.u32(40),
        prog_flags: r.u32(44), prog_name: r.name(48, 16), prog_ifindex: r.u32(64), expected_attach_type: r.u32(68),
        prog_btf_fd: r.u32(72), func_info_rec_size: r.u32(76), func_info: r.u64(80), func_info_cnt: r.u32(88),
        line_info_rec_size: r.u32(92), line_info: r.u64(96), line_info_cnt: r.u32(104), attach_btf_id: r.u32(108),
        attach_btf_obj_fd: r.u32(112), core_relo_cnt: r.u32(116), fd_array: r.u64(120), core_relos: r.u64(128),
        core_relo_rec_size: r.u32(136),
      };
    case BPF_CMD.BPF_RAW_TRACEPOINT_OPEN:
      return { cmd: 'BPF_RAW_TRACEPOINT_OPEN', name: r.u64(0), prog_fd: r.u32(8) };
    case BPF_CMD.BPF_LINK_CREATE:
      return { cmd: 'BPF_LINK_CREATE', prog_fd: r.u32(0), target_fd: r.u32(4), attach_type: r.u32(8), flags: r.u32(12) };
    default:
      return { cmd: 'other', number: cmd, name: cmdName(cmd) };
  }
}

/** Little-endian field reads that see zero beyond the caller's attr size. */
class AttrReader {
  constructor(private readonly b: Uint8Array) {}
  private byte(i: number): number {
    return i < this.b.length ? this.b[i] : 0;
  }
  u32(off: number): number {
    return (this.byte(off) | (this.byte(off + 1) << 8) | (this.byte(off + 2) << 16) | (this.byte(off + 3) << 24)) >>> 0;
  }
  u64(off: number): bigint {
    return (BigInt(this.u32(off + 4)) << 32n) | BigInt(this.u32(off));
  }
  name(off: number, len: number): string {
    let s = '';
    for (let i = 0; i < len; i++) {
      const c = this.byte(off + i);
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }
}
