/**
 * The seeded corpus of structured attr mutations for the differential errno oracle: per command a
 * valid base call against the world (./world.ts), then one to three mutations drawn from the
 * command's own domains — a field set to a boundary value, an fd field set to another kind of fd,
 * a pointer field pointed at NULL / unmapped / kernel memory / the last byte of its buffer, a
 * non-zero byte after the command's last field or after the union, a different size argument, an
 * unreadable attr.
 *
 * Everything is a pure function of the seed, so a failure names a case that can be replayed.
 */
import {
  BTF_LOAD_ATTR, FD_BY_ID_ATTR, GET_ID_ATTR, LINK_CREATE_ATTR, MAP_CREATE_ATTR, MAP_ELEM_ATTR, MAP_FREEZE_ATTR,
  OBJ_INFO_ATTR, PROG_LOAD_ATTR, RAW_TP_OPEN_ATTR, TEST_RUN_ATTR, encodeAttr, offsetofend, type Layout,
} from '../../../src/kernel/attr.js';
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_MAP_TYPE, BPF_PROG_TYPE } from '../../../src/kernel/uapi.js';
import type { BpfStep, PtrTo, Reloc, Script } from './script.js';
import { FD, FD_CHOICES, GPL, INT_BTF, MAP_CREATE_SIZE, PROG_LOAD_SIZE, WORLD, WORLD_TP, retImm } from './world.js';

const C = BPF_CMD;

/** mulberry32: a small seeded PRNG (deterministic corpus). */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]; }
  u32(): number { return (this.next() * 4294967296) >>> 0; }
}

type Value = number | bigint;

/** A pointer field: its offset and the buffer it points at in the base call (or null). */
interface PtrField { readonly off: number; readonly base: PtrTo }

/** A valid call of one command, and what may be mutated in it. */
export interface CmdBase {
  readonly name: string;
  readonly cmd: number;
  readonly layout: Layout;
  /** The size libbpf passes. */
  readonly size: number;
  /** offsetofend of the command's last field in 6.18 (CHECK_ATTR: non-zero bytes after it → EINVAL). */
  readonly lastFieldEnd: number;
  readonly values: Partial<Record<string, Value | string | Uint8Array>>;
  readonly bufs: ReadonlyArray<Uint8Array | number>;
  readonly ptrs: Readonly<Record<string, PtrField>>;
  /** Fields that hold fds. */
  readonly fdFields: readonly string[];
  /** Fields whose interesting values are listed (boundaries); a random u32 is drawn sometimes. */
  readonly domains: Readonly<Record<string, readonly Value[]>>;
  /** Relocations inside buffers (e.g. the hash pointer inside bpf_map_info). */
  readonly bufRelocs?: readonly Reloc[];
  /**
   * Object-id fields: patched with the id of the object at one of `fds` (plus 0 or 1). Ids differ
   * between bpfsim and Linux (Linux's are global), so literal small ids are not used.
   */
  readonly idField?: { readonly name: string; readonly fds: readonly number[]; readonly btf?: boolean };
  /** Mutations of buffer contents: buffer index → byte offsets and values to write there (u32). */
  readonly bufFields?: ReadonlyArray<{ readonly buf: number; readonly off: number; readonly width: 4 | 8; readonly values: readonly Value[]; readonly ptr?: boolean }>;
  /** fds that must not be used for this command (e.g. XDP programs for LINK_CREATE: see below). */
  readonly forbiddenFds?: readonly number[];
}

const SIZES: readonly Value[] = [0, 1, 2, 3, 4, 5, 8, 16, 64, 255, 256, 511, 512, 513, 4095, 4096, 4097, 32768, 32769, 65535, 65536,
  (4 << 20) - 1, 4 << 20, (4 << 20) + 1, 1 << 30, 0x7fffffff, 0x80000000, 0xffffffff];
const ENTRIES: readonly Value[] = [0, 1, 2, 4, 5, 1023, 1024, 4096, 65536, 1 << 20, 0x7fffffff, 0x80000000, 0xffffffff];
const FLAG_BITS: readonly Value[] = [0, ...Array.from({ length: 32 }, (_, i) => (2 ** i) >>> 0), 0xffffffff, 0x7fffffff];
const U64_EDGES: readonly Value[] = [0n, 1n, 4n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn];

function ptr(off: number, buf: number | null): PtrField {
  return { off, base: buf === null ? { to: 'null' } : { to: 'buf', buf } };
}

const MAP_ELEM_BUFS = (key: Uint8Array) => [key, new Uint8Array(256).map((_, i) => (i * 7 + 1) & 0xff)];

function elemBase(name: string, cmd: number, size: number, lastField: string, valuePtr: boolean): CmdBase {
  return {
    name, cmd, layout: MAP_ELEM_ATTR, size, lastFieldEnd: offsetofend(MAP_ELEM_ATTR, lastField),
    values: { map_fd: FD.ARRAY }, bufs: MAP_ELEM_BUFS(new Uint8Array(8)),
    ptrs: { key: ptr(8, 0), ...(valuePtr ? { value: ptr(16, 1) } : {}) },
    fdFields: ['map_fd'],
    domains: { flags: [0n, 1n, 2n, 3n, 4n, 5n, 8n, 0x100000000n, 0xffffffffffffffffn] },
    bufFields: [
      { buf: 0, off: 0, width: 4, values: [0, 1, 3, 4, 0x7fffffff, 0xffffffff] },
      // The value of fd arrays is an fd.
      { buf: 1, off: 0, width: 4, values: FD_CHOICES.map((f) => f >>> 0) },
    ],
  };
}

/**
 * Objects whose ids the id commands are given, per kind: the world's first objects of a kind, whose
 * next id (the world's next object) is the same in both kernels.
 */
const ID_FDS = {
  MAP: [FD.ARRAY, FD.HASH, FD.FROZEN], PROG: [FD.SOCKET_FILTER, FD.SYSCALL], BTF: [FD.BTF], LINK: [FD.LINK],
} as const;

export const BASES: readonly CmdBase[] = [
  {
    name: 'BPF_MAP_CREATE', cmd: C.BPF_MAP_CREATE, layout: MAP_CREATE_ATTR, size: MAP_CREATE_SIZE,
    lastFieldEnd: offsetofend(MAP_CREATE_ATTR, 'excl_prog_hash_size'),
    values: { map_type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_name: 'm' },
    bufs: [new Uint8Array(32).fill(0xab)], ptrs: { excl_prog_hash: ptr(80, null) },
    fdFields: ['inner_map_fd', 'btf_fd', 'value_type_btf_obj_fd', 'map_token_fd'],
    domains: {
      map_type: [...Array.from({ length: 36 }, (_, i) => i), 100, 0xffffffff],
      key_size: SIZES, value_size: SIZES, max_entries: ENTRIES, map_flags: FLAG_BITS,
      numa_node: [0, 1, 2, 0xffffffff], map_ifindex: [0, 1, 999], btf_key_type_id: [0, 1, 2, 0xffffffff],
      btf_value_type_id: [0, 1, 2, 0xffffffff], btf_vmlinux_value_type_id: [0, 1], map_extra: U64_EDGES,
      excl_prog_hash_size: [0, 1, 31, 32, 33, 64, 0xffffffff],
    },
  },
  elemBase('BPF_MAP_LOOKUP_ELEM', C.BPF_MAP_LOOKUP_ELEM, 32, 'flags', true),
  elemBase('BPF_MAP_UPDATE_ELEM', C.BPF_MAP_UPDATE_ELEM, 32, 'flags', true),
  elemBase('BPF_MAP_DELETE_ELEM', C.BPF_MAP_DELETE_ELEM, 32, 'key', false),
  { ...elemBase('BPF_MAP_GET_NEXT_KEY', C.BPF_MAP_GET_NEXT_KEY, 24, 'value', true), domains: {} },
  {
    name: 'BPF_MAP_FREEZE', cmd: C.BPF_MAP_FREEZE, layout: MAP_FREEZE_ATTR, size: 4, lastFieldEnd: 4,
    values: { map_fd: FD.ARRAY }, bufs: [], ptrs: {}, fdFields: ['map_fd'], domains: {},
  },
  {
    name: 'BPF_PROG_LOAD', cmd: C.BPF_PROG_LOAD, layout: PROG_LOAD_ATTR, size: PROG_LOAD_SIZE,
    lastFieldEnd: offsetofend(PROG_LOAD_ATTR, 'keyring_id'),
    values: { prog_type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: 2, prog_name: 'p' },
    bufs: [retImm(0), GPL, 4096, Uint8Array.of(FD.ARRAY, 0, 0, 0, FD.HASH, 0, 0, 0), 64, 64, new Uint8Array(64).fill(0x30), 64],
    ptrs: {
      insns: ptr(8, 0), license: ptr(16, 1), log_buf: ptr(32, null), fd_array: ptr(120, null),
      func_info: ptr(80, null), line_info: ptr(96, null), signature: ptr(152, null), core_relos: ptr(128, null),
    },
    fdFields: ['prog_btf_fd', 'attach_prog_fd', 'prog_token_fd'],
    domains: {
      prog_type: [...Array.from({ length: 34 }, (_, i) => i), 100, 0xffffffff],
      insn_cnt: [0, 1, 2, 3, 4096, 4097, 1_000_000, 1_000_001, 0x7fffffff, 0xffffffff],
      log_level: [0, 1, 2, 3, 4, 7, 8, 16, 0xffffffff],
      log_size: [0, 1, 2, 127, 128, 4096, 4097, 1 << 24, 0x3fffffff, 0x40000000, 0xffffffff],
      kern_version: [0, 1, 0xffffffff], prog_flags: FLAG_BITS, prog_ifindex: [0, 1],
      expected_attach_type: [0, 1, 2, 8, 21, 22, 23, 24, 26, 27, 28, 33, 35, 36, 37, 39, 45, 46, 53, 58, 59, 60, 61, 100, 0xffffffff],
      func_info_rec_size: [0, 8, 16, 0xffffffff], func_info_cnt: [0, 1, 0xffffffff],
      line_info_rec_size: [0, 16, 0xffffffff], line_info_cnt: [0, 1, 0xffffffff],
      attach_btf_id: [0, 1, 1_000_000, 1_000_001, 0xffffffff], core_relo_cnt: [0, 1, 0xffffffff],
      core_relo_rec_size: [0, 16, 0xffffffff], log_true_size: [0, 1], fd_array_cnt: [0, 1, 2, 3, 64, 65, 0xffffffff],
      signature_size: [0, 1, 32, 64, 8192, 8193, 0xffffffff], keyring_id: [0, -1, -2, -3, -4, -5, -6, -7, -8, 1, 0x7fffffff],
    },
  },
  ...testRunBases(),
  ...infoBases(),
  {
    name: 'BPF_BTF_LOAD', cmd: C.BPF_BTF_LOAD, layout: BTF_LOAD_ATTR, size: offsetofend(BTF_LOAD_ATTR, 'btf_token_fd'),
    lastFieldEnd: offsetofend(BTF_LOAD_ATTR, 'btf_token_fd'),
    values: { btf_size: INT_BTF.length }, bufs: [INT_BTF, 4096],
    ptrs: { btf: ptr(0, 0), btf_log_buf: ptr(8, null) }, fdFields: ['btf_token_fd'],
    domains: {
      btf_size: [0, 1, 23, 24, 25, 44, 45, 46, 4096, 16 << 20, (16 << 20) + 1, 0xffffffff],
      btf_log_size: [0, 1, 127, 128, 4096, 4097, 0x3fffffff, 0x40000000, 0xffffffff],
      btf_log_level: [0, 1, 2, 3, 4, 8, 16, 0xffffffff], btf_log_true_size: [0, 1],
      btf_flags: [0, 1, 0x10000, 0xffffffff],
    },
  },
  {
    name: 'BPF_LINK_CREATE', cmd: C.BPF_LINK_CREATE, layout: LINK_CREATE_ATTR, size: 28,
    lastFieldEnd: offsetofend(LINK_CREATE_ATTR, 'uprobe_multi_pid'),
    values: { prog_fd: FD.RAW_TP, attach_type: BPF_ATTACH_TYPE.BPF_TRACE_RAW_TP }, bufs: [64], ptrs: {},
    fdFields: ['prog_fd', 'target_fd'],
    domains: { attach_type: [0, 1, 2, 23, 24, 25, 26, 27, 28, 38, 39, 44, 45, 100, 0xffffffff], flags: FLAG_BITS, target_btf_id: [0, 1], iter_info_len: [0, 1, 8] },
    // An XDP program with attach type BPF_XDP would be attached to a real network interface.
    forbiddenFds: [FD.XDP],
  },
  {
    name: 'BPF_RAW_TRACEPOINT_OPEN', cmd: C.BPF_RAW_TRACEPOINT_OPEN, layout: RAW_TP_OPEN_ATTR, size: 16,
    lastFieldEnd: offsetofend(RAW_TP_OPEN_ATTR, 'cookie'),
    values: { prog_fd: FD.RAW_TP },
    bufs: [new TextEncoder().encode(`${WORLD_TP}\0`), new TextEncoder().encode('bpfsim_no_such_tp\0'), new TextEncoder().encode('\0'), new Uint8Array(300).fill(0x61)],
    ptrs: { name: ptr(0, 0) }, fdFields: ['prog_fd'], domains: { cookie: [0n, 1n] },
  },
  ...([['MAP', C.BPF_MAP_GET_FD_BY_ID], ['PROG', C.BPF_PROG_GET_FD_BY_ID], ['BTF', C.BPF_BTF_GET_FD_BY_ID], ['LINK', C.BPF_LINK_GET_FD_BY_ID]] as const).map(([what, cmd]): CmdBase => ({
    name: `BPF_${what}_GET_FD_BY_ID`, cmd, layout: FD_BY_ID_ATTR, size: 12,
    lastFieldEnd: what === 'MAP' ? 12 : what === 'BTF' ? 16 : 4,
    values: {}, bufs: [], ptrs: {}, fdFields: [],
    domains: { id: [0, 0x7ffffffe, 0x7fffffff, 0xffffffff], open_flags: [0, 1, 8, 16, 24, 0x10000, 0xffffffff], fd_by_id_token_fd: [0, 3, 13, 40] },
    idField: { name: 'id', fds: ID_FDS[what], btf: what === 'BTF' },
  })),
  ...([['MAP', C.BPF_MAP_GET_NEXT_ID], ['PROG', C.BPF_PROG_GET_NEXT_ID], ['BTF', C.BPF_BTF_GET_NEXT_ID], ['LINK', C.BPF_LINK_GET_NEXT_ID]] as const).map(([what, cmd]): CmdBase => ({
    name: `BPF_${what}_GET_NEXT_ID`, cmd, layout: GET_ID_ATTR, size: 8, lastFieldEnd: 8,
    values: {}, bufs: [], ptrs: {}, fdFields: [],
    domains: { start_id: [0x7ffffffe, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff], next_id: [0, 1, 0xffffffff] },
    idField: { name: 'start_id', fds: ID_FDS[what], btf: what === 'BTF' },
  })),
];

function testRunBases(): CmdBase[] {
  const pkt = new Uint8Array(4096);
  pkt[12] = 0x08;
  const common = {
    cmd: C.BPF_PROG_TEST_RUN, layout: TEST_RUN_ATTR, size: 80, lastFieldEnd: offsetofend(TEST_RUN_ATTR, 'batch_size'),
    bufs: [pkt, 4096, 256, 256], fdFields: ['prog_fd'],
    domains: {
      retval: [0, 0xffffffff], data_size_in: [0, 1, 13, 14, 15, 64, 3711, 3712, 4096, 4097, 0xffffffff],
      data_size_out: [0, 1, 14, 64, 256, 4096, 0xffffffff], repeat: [0, 1, 2, 100], duration: [0, 1],
      ctx_size_in: [0, 1, 8, 16, 24, 96, 97, 192, 193, 256, 65535, 65536, 0xffffffff],
      ctx_size_out: [0, 1, 16, 192, 256, 0xffffffff], flags: [0, 1, 2, 3, 4, 8, 0xffffffff],
      cpu: [0, 1, 2, 0xffffffff], batch_size: [0, 1, 0xffffffff],
    },
  };
  const packetPtrs = { data_in: ptr(16, 0), data_out: ptr(24, 1), ctx_in: ptr(48, null), ctx_out: ptr(56, null) };
  const ctxPtrs = { data_in: ptr(16, null), data_out: ptr(24, null), ctx_in: ptr(48, 2), ctx_out: ptr(56, null) };
  // The user's context (struct __sk_buff / struct xdp_md): fields the test runs check.
  const ctxFields = [0, 4, 8, 12, 16, 20, 36, 40, 48, 76, 160, 164, 176, 188].map((off) => ({
    buf: 2, off, width: 4 as const, values: [0, 1, 2, 4, 13, 14, 36, 64, 65, 999, 0xffffffff],
  }));
  const xdpCtx = new Uint8Array(256);
  new DataView(xdpCtx.buffer).setUint32(4, 64, true); // data_end = data_size_in
  const ctxPtrsPacket = { data_in: ptr(16, 0), data_out: ptr(24, 1), ctx_in: ptr(48, 2), ctx_out: ptr(56, 3) };
  return [
    { ...common, name: 'BPF_PROG_TEST_RUN(SOCKET_FILTER)', values: { prog_fd: FD.SOCKET_FILTER, data_size_in: 64, data_size_out: 4096 }, ptrs: packetPtrs },
    {
      ...common, name: 'BPF_PROG_TEST_RUN(SOCKET_FILTER, __sk_buff)', values: { prog_fd: FD.SOCKET_FILTER, data_size_in: 64, data_size_out: 4096, ctx_size_in: 192, ctx_size_out: 192 },
      ptrs: ctxPtrsPacket, bufFields: ctxFields,
    },
    { ...common, name: 'BPF_PROG_TEST_RUN(XDP)', values: { prog_fd: FD.XDP, data_size_in: 64, data_size_out: 4096 }, ptrs: packetPtrs },
    {
      ...common, name: 'BPF_PROG_TEST_RUN(XDP, xdp_md)', values: { prog_fd: FD.XDP, data_size_in: 64, data_size_out: 4096, ctx_size_in: 24, ctx_size_out: 24 },
      bufs: [pkt, 4096, xdpCtx, 256], ptrs: ctxPtrsPacket, bufFields: ctxFields,
    },
    { ...common, name: 'BPF_PROG_TEST_RUN(SYSCALL)', values: { prog_fd: FD.SYSCALL, ctx_size_in: 16 }, ptrs: ctxPtrs },
    { ...common, name: 'BPF_PROG_TEST_RUN(RAW_TRACEPOINT)', values: { prog_fd: FD.RAW_TP, ctx_size_in: 16 }, ptrs: ctxPtrs },
  ];
}

/** A zeroed bpf_map_info buffer (4 KiB) with hash_size = 32 (the hash pointer is relocated in). */
function infoWithHashSize(): Uint8Array {
  const b = new Uint8Array(4096);
  new DataView(b.buffer).setUint32(96, 32, true);
  return b;
}

function infoBases(): CmdBase[] {
  const common = {
    cmd: C.BPF_OBJ_GET_INFO_BY_FD, layout: OBJ_INFO_ATTR, size: 16, lastFieldEnd: 16,
    ptrs: { info: ptr(8, 0) }, fdFields: ['bpf_fd'],
    domains: { info_len: [0, 1, 4, 8, 16, 24, 32, 33, 88, 95, 96, 97, 99, 100, 103, 104, 105, 232, 233, 256, 4096, 4097, 0xffffffff] },
  };
  const ptrValues: Value[] = [0];
  return [
    {
      ...common, name: 'BPF_OBJ_GET_INFO_BY_FD(map hash)', values: { bpf_fd: FD.FROZEN, info_len: 104 }, bufs: [infoWithHashSize(), 32],
      bufRelocs: [{ target: 0, off: 88, ptr: { to: 'buf', buf: 1 } }],
      bufFields: [
        { buf: 0, off: 88, width: 8, values: ptrValues, ptr: true },
        { buf: 0, off: 96, width: 4, values: [0, 1, 31, 32, 33, 0xffffffff] },
        { buf: 0, off: 104, width: 4, values: [0, 1] },
      ],
    },
    { ...common, name: 'BPF_OBJ_GET_INFO_BY_FD(map)', values: { bpf_fd: FD.ARRAY, info_len: 104 }, bufs: [4096, 32] },
    {
      ...common, name: 'BPF_OBJ_GET_INFO_BY_FD(prog)', values: { bpf_fd: FD.SOCKET_FILTER, info_len: 232 }, bufs: [4096, 256],
      bufFields: [
        { buf: 0, off: 20, width: 4, values: [0, 8, 16, 0xffffffff] }, // xlated_prog_len
        { buf: 0, off: 32, width: 8, values: ptrValues, ptr: true }, // xlated_prog_insns
        { buf: 0, off: 52, width: 4, values: [0, 1, 0xffffffff] }, // nr_map_ids
        { buf: 0, off: 56, width: 8, values: ptrValues, ptr: true }, // map_ids
      ],
    },
    {
      ...common, name: 'BPF_OBJ_GET_INFO_BY_FD(btf)', values: { bpf_fd: FD.BTF, info_len: 32 }, bufs: [4096, 256],
      bufFields: [
        { buf: 0, off: 0, width: 8, values: ptrValues, ptr: true }, // btf
        { buf: 0, off: 8, width: 4, values: [0, 1, 44, 45, 46, 0xffffffff] }, // btf_size
        { buf: 0, off: 16, width: 8, values: ptrValues, ptr: true }, // name
        { buf: 0, off: 24, width: 4, values: [0, 1, 2, 0xffffffff] }, // name_len
      ],
    },
    {
      ...common, name: 'BPF_OBJ_GET_INFO_BY_FD(link)', values: { bpf_fd: FD.LINK, info_len: 96 }, bufs: [4096, 256],
      bufFields: [
        { buf: 0, off: 16, width: 8, values: ptrValues, ptr: true }, // raw_tracepoint.tp_name
        { buf: 0, off: 24, width: 4, values: [0, 1, 5, 18, 19, 0xffffffff] }, // tp_name_len
      ],
    },
  ];
}

/** A mutated call, ready to run after the world. */
export interface Case {
  readonly base: string;
  readonly desc: string[];
  readonly step: BpfStep;
}

const NAMES: readonly Uint8Array[] = [
  new TextEncoder().encode('ok_name.1\0'),
  new TextEncoder().encode('bad-name\0'),
  new TextEncoder().encode('sp ace\0'),
  new Uint8Array(16).fill(0x61), // no NUL within 16 bytes
  Uint8Array.of(0xff, 0),
  new Uint8Array(16),
];

/**
 * A pointer: NULL, a small non-NULL number, unmapped or kernel memory, or into a buffer. A buffer
 * that itself holds pointers (`aligned`) is pointed at only at its start: shifted, the kernel would
 * read pointer bytes as sizes, and pointer values are not the same numbers in the two kernels.
 */
function ptrChoices(rng: Rng, bufs: number, aligned: ReadonlySet<number> = new Set()): PtrTo {
  const k = rng.int(6);
  if (k === 0) return { to: 'null' };
  if (k === 1) return { to: 'unmapped', add: rng.pick([0, 8, 4095]) };
  if (k === 2) return { to: 'kernel', add: rng.pick([0, 8]) };
  if (k === 3) return { to: 'null', value: rng.pick([1, 0x1000, 0xdead0000]) };
  if (bufs === 0) return { to: 'null' };
  const buf = rng.int(bufs);
  return { to: 'buf', buf, add: aligned.has(buf) ? 0 : rng.pick([0, 0, 1, 8, 31, 63]) };
}

/** Draw one mutated case of `base`. */
export function mutate(rng: Rng, base: CmdBase): Case {
  const bytes = encodeAttr(base.layout, base.values as Record<string, Value | string | Uint8Array>, Math.max(base.size, 168));
  const dv = new DataView(bytes.buffer);
  const ptrs = new Map<string, PtrTo>(Object.entries(base.ptrs).map(([k, v]) => [k, v.base]));
  const bufs: Array<Uint8Array | number> = base.bufs.map((b) => (typeof b === 'number' ? b : b.slice()));
  const bufRelocs: Reloc[] = [...(base.bufRelocs ?? [])];
  const aligned = new Set<number>([...(base.bufRelocs ?? []).map((r) => r.target as number), ...(base.bufFields ?? []).filter((f) => f.ptr).map((f) => f.buf)]);
  let size = base.size;
  let attrLen = base.size;
  let attrAt: BpfStep['attrAt'] = 'buf';
  let idReloc: Reloc | null = null;
  if (base.idField && rng.int(4) !== 0) {
    idReloc = { target: 'attr', off: base.layout[base.idField.name][0], idOfFd: rng.pick(base.idField.fds), btf: base.idField.btf ?? false, add: rng.pick([0, 0, 0, 1]) };
  }
  const desc: string[] = [];
  const tail: Array<[number, number]> = [];
  const fdChoices = FD_CHOICES.filter((f) => !(base.forbiddenFds ?? []).includes(f));
  const setField = (name: string, v: Value) => {
    const [off, kind] = base.layout[name];
    if (kind === 'u64' || kind === 'ptr') dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    else dv.setUint32(off, Number(BigInt.asUintN(32, BigInt(v))), true);
  };
  const nameField = 'prog_name' in base.layout ? 'prog_name' : 'map_name' in base.layout ? 'map_name' : null;
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const op = rng.int(100);
    const fields = Object.keys(base.domains);
    if (op < 40 && fields.length) {
      const f = rng.pick(fields);
      const v = rng.int(8) === 0 && f !== 'repeat' ? (base.layout[f][1] === 'u64' ? BigInt(rng.u32()) << BigInt(rng.int(33)) : rng.u32()) : rng.pick(base.domains[f]);
      setField(f, v);
      if (idReloc && f === base.idField?.name) idReloc = null;
      desc.push(`${f}=${v}`);
    } else if (op < 55 && base.fdFields.length) {
      const f = rng.pick(base.fdFields);
      const v = rng.pick(fdChoices);
      setField(f, v);
      desc.push(`${f}=fd ${v}`);
    } else if (op < 68 && ptrs.size) {
      const f = rng.pick([...ptrs.keys()]);
      const p = ptrChoices(rng, bufs.length, aligned);
      ptrs.set(f, p);
      desc.push(`${f}->${JSON.stringify(p)}`);
    } else if (op < 76 && base.bufFields?.length) {
      const bf = rng.pick(base.bufFields);
      if (bf.ptr) {
        const p = ptrChoices(rng, bufs.length, aligned);
        for (let j = bufRelocs.length - 1; j >= 0; j--) if (bufRelocs[j].target === bf.buf && bufRelocs[j].off === bf.off) bufRelocs.splice(j, 1);
        bufRelocs.push({ target: bf.buf, off: bf.off, ptr: p });
        desc.push(`buf${bf.buf}[${bf.off}]->${JSON.stringify(p)}`);
      } else {
        const v = rng.pick(bf.values);
        let b = bufs[bf.buf];
        if (typeof b === 'number') { b = new Uint8Array(b); bufs[bf.buf] = b; }
        const bdv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        if (bf.width === 8) bdv.setBigUint64(bf.off, BigInt.asUintN(64, BigInt(v)), true);
        else bdv.setUint32(bf.off, Number(BigInt.asUintN(32, BigInt(v))), true);
        desc.push(`buf${bf.buf}[${bf.off}]=${v}`);
      }
    } else if (op < 82 && nameField !== null) {
      const f = nameField;
      const off = base.layout[f][0];
      bytes.fill(0, off, off + 16);
      const nm = rng.pick(NAMES);
      bytes.set(nm.subarray(0, 16), off);
      desc.push(`${f}=${JSON.stringify(new TextDecoder().decode(nm))}`);
    } else if (op < 88) {
      // A non-zero byte after the last field (CHECK_ATTR → EINVAL) or after the union (→ E2BIG).
      const beyond = rng.int(3) === 0;
      const off = beyond ? 168 + rng.int(64) : base.lastFieldEnd + rng.int(Math.max(1, 168 - base.lastFieldEnd));
      if (off >= 168 || base.lastFieldEnd < 168) {
        attrLen = Math.max(attrLen, off + 1);
        size = Math.max(size, off + 1);
        tail.push([off, 1 + rng.int(255)]);
        desc.push(`tail byte ${off}`);
      }
    } else if (op < 96) {
      const s = rng.pick([0, 1, 3, 4, 8, base.lastFieldEnd - 1, base.lastFieldEnd, base.size - 1, 168, 169, 200, 4096, 4097, 8192, 0xffffffff]);
      const s2 = Math.max(0, s) >>> 0;
      size = s2;
      // Usually the buffer grows with the size (zero-filled); sometimes it does not (→ EFAULT).
      if (rng.int(4) !== 0 && s2 <= 4096) attrLen = Math.max(attrLen, s2);
      desc.push(`size=${s2}${attrLen < s2 ? ' (beyond the buffer)' : ''}`);
    } else {
      attrAt = rng.pick(['null', 'unmapped', 'kernel'] as const);
      desc.push(`attr at ${attrAt}`);
    }
  }
  const attr = new Uint8Array(attrLen);
  attr.set(bytes.subarray(0, Math.min(attrLen, bytes.length)));
  for (const [off, v] of tail) attr[off] = v;
  const relocs: Reloc[] = [];
  for (const [name, p] of ptrs) {
    const off = base.layout[name][0];
    if (off + 8 <= attr.length) relocs.push({ target: 'attr', off, ptr: p });
  }
  // A size that cuts the id field would leave a different id in each kernel.
  if (idReloc && idReloc.off + 4 <= attr.length && idReloc.off + 4 <= size) relocs.push(idReloc);
  for (const r of bufRelocs) {
    const b = bufs[r.target as number];
    const len = typeof b === 'number' ? b : b.length;
    if (r.off + 8 <= len) relocs.push(r);
  }
  return { base: base.name, desc, step: { type: 'bpf', cmd: base.cmd, size, attr, attrAt, bufs, relocs } };
}

/** The base call itself (no mutation): it must succeed in both kernels. */
export function baseCase(base: CmdBase): Case {
  const attr = encodeAttr(base.layout, base.values as Record<string, Value | string | Uint8Array>, base.size);
  const relocs: Reloc[] = Object.values(base.ptrs).filter((p) => p.off + 8 <= attr.length).map((p) => ({ target: 'attr' as const, off: p.off, ptr: p.base }));
  relocs.push(...(base.bufRelocs ?? []));
  if (base.idField) relocs.push({ target: 'attr', off: base.layout[base.idField.name][0], idOfFd: base.idField.fds[0], btf: base.idField.btf ?? false });
  return { base: base.name, desc: ['base'], step: { type: 'bpf', cmd: base.cmd, size: base.size, attr, bufs: [...base.bufs], relocs } };
}

/** Upper bound of the memory a BPF_MAP_CREATE attr could make Linux allocate (any type). */
export function mapCreateFootprint(attr: Uint8Array): number {
  const dv = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
  const get = (off: number) => (off + 4 <= attr.length ? dv.getUint32(off, true) : 0);
  const key = get(4), value = get(8), max = get(12);
  const round8 = (n: number) => Math.ceil(n / 8) * 8;
  // key + value + element header + bucket + per-CPU copies (2 CPUs) + per-entry pointer arrays.
  return max * (round8(key) + 3 * round8(value) + 128) + 3 * round8(value) + key;
}

/**
 * Why a case must not be run in the real kernel, or null. The oracle runs on the developer's or
 * CI's machine: a case must neither allocate much memory (a BPF_MAP_CREATE whose footprint could
 * be between 32 MiB and 1 TiB: beyond that Linux refuses before allocating) nor run for long
 * (BPF_PROG_TEST_RUN repeat counts), nor put packets on a real interface (XDP live frames).
 */
export function unsafeForReal(c: Case): string | null {
  const st = c.step;
  const dv = new DataView(st.attr.buffer, st.attr.byteOffset, st.attr.byteLength);
  const u32 = (off: number) => (off + 4 <= st.attr.length && off + 4 <= st.size ? dv.getUint32(off, true) : 0);
  if (st.cmd === C.BPF_MAP_CREATE) {
    const f = mapCreateFootprint(st.attr.subarray(0, Math.min(st.attr.length, st.size)));
    if (f > 32 * 2 ** 20 && f < 2 ** 40) return `map footprint up to ${f} bytes`;
  }
  if (st.cmd === C.BPF_PROG_TEST_RUN) {
    if (u32(32) > 1000) return `repeat ${u32(32)}`;
    if (u32(64) & 2) return 'BPF_F_TEST_XDP_LIVE_FRAMES';
  }
  return null;
}

/** The whole corpus: every base once unmodified, then `perBase` mutations of each. */
export function corpus(seed: number, perBase: number): Array<{ script: Script; case: Case }> {
  const out: Array<{ script: Script; case: Case }> = [];
  BASES.forEach((base, bi) => {
    const rng = new Rng(seed ^ Math.imul(bi + 1, 0x9e3779b1));
    const cases = [baseCase(base)];
    for (let i = 0; i < perBase; i++) cases.push(mutate(rng, base));
    cases.forEach((c, i) => out.push({ case: c, script: { id: `${base.name}#${i}`, steps: [...WORLD, c.step] } }));
  });
  return out;
}
