/**
 * One-line summaries of attrs for the trace, in the vocabulary of fixtures/expected/README.md:
 * numbers as numbers, type names next to type numbers, names as strings, pointers as "present" or
 * null (pointer values are never recorded: they differ from run to run).
 */
import {
  AttrBytes, BTF_LOAD_ATTR, FD_BY_ID_ATTR, GET_ID_ATTR, LINK_CREATE_ATTR, MAP_CREATE_ATTR, MAP_ELEM_ATTR,
  MAP_FREEZE_ATTR, OBJ_INFO_ATTR, PROG_LOAD_ATTR, RAW_TP_OPEN_ATTR, TEST_RUN_ATTR, nameOf, type Layout,
} from './attr.js';
import type { AttrSummary, SummaryValue } from './trace.js';
import { BPF_CMD, mapTypeName, progTypeName } from './uapi.js';

const ptr = (v: bigint): SummaryValue => (v === 0n ? null : 'present');

function pick(attr: AttrBytes, l: Layout, fields: readonly string[]): Record<string, SummaryValue> {
  const rec = attr.read(l) as Record<string, number | bigint | Uint8Array>;
  const out: Record<string, SummaryValue> = {};
  for (const f of fields) {
    const v = rec[f];
    const kind = l[f][1];
    if (kind === 'ptr') out[f] = ptr(v as bigint);
    else if (kind === 'name') out[f] = nameOf(v as Uint8Array);
    else if (kind === 'u64') out[f] = Number(v as bigint);
    else out[f] = v as number;
  }
  return out;
}

/** Reads a NUL-terminated string at a pointer (raw tracepoint names), if the kernel can. */
export interface StringReader {
  copyFromBpfptr(ptr: bigint, len: number, isKernel: boolean): Uint8Array | null;
}

export function summarizeAttr(cmd: number, attr: AttrBytes, _mem?: StringReader): AttrSummary {
  switch (cmd) {
    case BPF_CMD.BPF_MAP_CREATE: {
      const s = pick(attr, MAP_CREATE_ATTR, ['map_type', 'key_size', 'value_size', 'max_entries', 'map_flags', 'map_name', 'inner_map_fd', 'btf_fd', 'btf_key_type_id', 'btf_value_type_id', 'excl_prog_hash', 'excl_prog_hash_size']);
      return { map_type: s.map_type, map_type_name: mapTypeName(s.map_type as number), ...s };
    }
    case BPF_CMD.BPF_MAP_LOOKUP_ELEM: case BPF_CMD.BPF_MAP_UPDATE_ELEM: case BPF_CMD.BPF_MAP_DELETE_ELEM:
      return pick(attr, MAP_ELEM_ATTR, ['map_fd', 'key', 'value', 'flags']);
    case BPF_CMD.BPF_MAP_GET_NEXT_KEY:
      return pick(attr, MAP_ELEM_ATTR, ['map_fd', 'key']);
    case BPF_CMD.BPF_MAP_FREEZE:
      return pick(attr, MAP_FREEZE_ATTR, ['map_fd']);
    case BPF_CMD.BPF_OBJ_GET_INFO_BY_FD:
      return pick(attr, OBJ_INFO_ATTR, ['bpf_fd', 'info_len']);
    case BPF_CMD.BPF_PROG_LOAD: {
      const s = pick(attr, PROG_LOAD_ATTR, ['prog_type', 'insn_cnt', 'prog_flags', 'prog_name', 'expected_attach_type', 'kern_version', 'prog_btf_fd', 'func_info_cnt', 'func_info_rec_size', 'line_info_cnt', 'line_info_rec_size', 'core_relo_cnt', 'attach_btf_id', 'fd_array', 'fd_array_cnt', 'log_level', 'signature', 'signature_size', 'keyring_id']);
      return { prog_type: s.prog_type, prog_type_name: progTypeName(s.prog_type as number), ...s };
    }
    case BPF_CMD.BPF_PROG_TEST_RUN:
      return pick(attr, TEST_RUN_ATTR, ['prog_fd', 'data_size_in', 'ctx_size_in', 'ctx_size_out', 'repeat', 'flags']);
    case BPF_CMD.BPF_BTF_LOAD:
      return pick(attr, BTF_LOAD_ATTR, ['btf_size', 'btf_log_level', 'btf_log_size']);
    case BPF_CMD.BPF_LINK_CREATE:
      return pick(attr, LINK_CREATE_ATTR, ['prog_fd', 'target_fd', 'attach_type', 'flags']);
    case BPF_CMD.BPF_RAW_TRACEPOINT_OPEN: {
      const s = pick(attr, RAW_TP_OPEN_ATTR, ['prog_fd']);
      const p = attr.read(RAW_TP_OPEN_ATTR).name;
      let name: SummaryValue = null;
      if (p !== 0n && _mem) {
        const b = _mem.copyFromBpfptr(p, 1, false) ? readCString(_mem, p) : null;
        name = b;
      }
      return { name, ...s };
    }
    case BPF_CMD.BPF_MAP_GET_FD_BY_ID: case BPF_CMD.BPF_PROG_GET_FD_BY_ID: case BPF_CMD.BPF_BTF_GET_FD_BY_ID: case BPF_CMD.BPF_LINK_GET_FD_BY_ID:
      return pick(attr, FD_BY_ID_ATTR, ['id', 'open_flags']);
    case BPF_CMD.BPF_PROG_GET_NEXT_ID: case BPF_CMD.BPF_MAP_GET_NEXT_ID: case BPF_CMD.BPF_BTF_GET_NEXT_ID: case BPF_CMD.BPF_LINK_GET_NEXT_ID:
      return pick(attr, GET_ID_ATTR, ['start_id']);
    default:
      return {};
  }
}

function readCString(mem: StringReader, p: bigint): string | null {
  const out: number[] = [];
  for (let i = 0; i < 256; i++) {
    const b = mem.copyFromBpfptr(p + BigInt(i), 1, false);
    if (!b) return null;
    if (b[0] === 0) break;
    out.push(b[0]);
  }
  return String.fromCharCode(...out);
}
