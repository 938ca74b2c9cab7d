/**
 * A small runtime for programs the verifier accepted, on top of src/interpreter (test-only: the
 * kernel model is the real runtime). It gives the soundness property something to run against:
 *
 * - maps: every map object is a read-only region (so writes through a map pointer fault); each
 *   ARRAY element and each HASH element is its own region of exactly value_size bytes (so any
 *   access past the value faults); ld_imm64s are patched with these addresses as Linux patches them;
 * - the context is a region of the program type's context size with Linux's permissions (read-only
 *   where the type never allows writes); packet pointers loaded from the context are rewritten into
 *   8-byte loads of real pointers, as convert_ctx_accesses does, and point at a packet region of
 *   exactly the packet's length;
 * - helpers check every memory argument against the address space (a helper reading or writing
 *   memory the program does not own faults), and model lookup/update/delete on arrays and hashes,
 *   the ring buffer (a submitted record is unmapped, so a use after submit faults), and the
 *   tracing/probe helpers the generators use.
 *
 * A run ends with the interpreter's verdict; the soundness tests require that it is never a fault.
 */
import { ERRNO } from '../../../src/errno.js';
import { Op, OP_TABLE } from '../../../src/isa/ops.js';
import type { Program } from '../../../src/isa/program.js';
import {
  AddressSpace, HelperFault, PERM_R, PERM_RW, PERM_W, Vm, type Helper, type Region, type RunResult,
} from '../../../src/interpreter/index.js';
import { Rng } from '../../../src/testing/rng.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, type MapDescriptor, type VerifyRequest, type VerifyResult } from '../../../src/verifier/index.js';

/** Why a program could not be run by this harness (not a soundness failure). */
export type Unsupported = { readonly status: 'unsupported'; readonly reason: string };

export type HarnessRun = RunResult | Unsupported;

export interface HarnessOutcome {
  readonly run: HarnessRun;
  /**
   * For programs without subprograms: non-zero bytes of the interpreter's stack below frame 0's
   * verified depth after the run (the interpreter's stack is one region for all frames, so a write
   * past the frame would not fault; this catches it). 0 for programs with subprograms.
   */
  readonly strayStackBytes: number;
}

interface MapModel {
  readonly desc: MapDescriptor;
  readonly object: Region;
  /** ARRAY-like maps: one region per element. */
  readonly elems: Region[];
  /** HASH-like maps: key (hex) -> element region. */
  readonly hash: Map<string, Region>;
  /** RINGBUF: live reservations by base address. */
  readonly reserved: Map<bigint, Region>;
}

/** Context layouts (x86-64) per program type: size, and whether the program may write to it. */
const CTX: ReadonlyMap<number, { size: number; perm: number; pkt?: number; xdp?: boolean }> = new Map([
  // __sk_buff (cb[], mark, ... are writable); the packet is writable for tc programs only.
  [BPF_PROG_TYPE.SOCKET_FILTER, { size: 192, perm: PERM_RW, pkt: PERM_R }],
  [BPF_PROG_TYPE.SCHED_CLS, { size: 192, perm: PERM_RW, pkt: PERM_RW }],
  [BPF_PROG_TYPE.SCHED_ACT, { size: 192, perm: PERM_RW, pkt: PERM_RW }],
  [BPF_PROG_TYPE.CGROUP_SKB, { size: 192, perm: PERM_RW, pkt: PERM_R }],
  // xdp_md is read-only; the packet is writable.
  [BPF_PROG_TYPE.XDP, { size: 24, perm: PERM_R, pkt: PERM_RW, xdp: true }],
  // struct pt_regs; kprobe_prog_is_valid_access refuses writes.
  [BPF_PROG_TYPE.KPROBE, { size: 168, perm: PERM_R }],
  // PERF_MAX_TRACE_SIZE (8192); read-only.
  [BPF_PROG_TYPE.TRACEPOINT, { size: 8192, perm: PERM_R }],
  // struct bpf_perf_event_data.
  [BPF_PROG_TYPE.PERF_EVENT, { size: 184, perm: PERM_R }],
  // u64 args[MAX_BPF_FUNC_ARGS].
  [BPF_PROG_TYPE.RAW_TRACEPOINT, { size: 96, perm: PERM_R }],
  [BPF_PROG_TYPE.TRACING, { size: 96, perm: PERM_R }],
  [BPF_PROG_TYPE.LSM, { size: 96, perm: PERM_R }],
]);

/** Pointer fields of the context structures (offsets as the verifier sees them). */
const SKB_PTR = { pkt: 76, pkt_end: 80, pkt_meta: 140 } as const;
const XDP_PTR = { pkt: 0, pkt_end: 4, pkt_meta: 8 } as const;

export interface HarnessOptions {
  /** Seed for map contents, context bytes, packet length and helper results. */
  readonly seed: number;
  /** Interpreter instruction budget (default 2,000,000). */
  readonly budget?: number;
  /** Packet length for packet program types (default: random 0..128). */
  readonly packetLen?: number;
  /** kfunc BTF ids to provide as no-ops returning 0 (bpf_rcu_read_lock / unlock and the like). */
  readonly noopKfuncs?: readonly number[];
}

const round8 = (n: number): number => (n + 7) & ~7;

function fill(rng: Rng, b: Uint8Array): Uint8Array {
  for (let i = 0; i < b.length; i++) b[i] = rng.u32() & 0xff;
  return b;
}

/** Program type -> whether {@link runAccepted} can run it. */
export function harnessSupports(progType: number): boolean {
  return progType === BPF_PROG_TYPE.SYSCALL || CTX.has(progType);
}

/**
 * Run a program the verifier accepted (`res.ok`) once, on random context, packet and map
 * contents derived from `opts.seed`.
 */
export function runAccepted(req: VerifyRequest, res: VerifyResult, opts: HarnessOptions): HarnessOutcome {
  const unsupported = (reason: string): HarnessOutcome => ({ run: { status: 'unsupported', reason }, strayStackBytes: 0 });
  if (!res.ok) return unsupported('the verifier rejected the program');
  const rng = new Rng(opts.seed);
  const space = new AddressSpace();
  const models = new Map<MapDescriptor, MapModel>();
  const byAddress = new Map<bigint, MapModel>();
  const modelOf = (d: MapDescriptor): MapModel => {
    let m = models.get(d);
    if (m !== undefined) return m;
    const object = space.map(new Uint8Array(512), { kind: 'map_object', name: `map ${d.id}`, perm: PERM_R });
    const elems: Region[] = [];
    const isArray = d.mapType === BPF_MAP_TYPE.ARRAY || d.mapType === BPF_MAP_TYPE.PERCPU_ARRAY;
    if (isArray) {
      const n = Math.min(d.maxEntries, 64);
      const perm = (d.mapFlags & 0x80) !== 0 ? PERM_R : PERM_RW; // BPF_F_RDONLY_PROG
      for (let k = 0; k < n; k++) {
        const bytes = fill(rng, new Uint8Array(d.valueSize));
        // A frozen read-only map's contents are what the verifier constant-folded loads from.
        if (k === 0 && d.readOnlyValue !== undefined) bytes.set(d.readOnlyValue.subarray(0, d.valueSize));
        elems.push(space.map(bytes, { kind: 'map_value', name: `map ${d.id}[${k}]`, perm }));
      }
    }
    m = { desc: d, object, elems, hash: new Map(), reserved: new Map() };
    if (d.mapType === BPF_MAP_TYPE.HASH || d.mapType === BPF_MAP_TYPE.LRU_HASH || d.mapType === BPF_MAP_TYPE.PERCPU_HASH) {
      // A few elements with small integer keys, so that lookups of key 0..3 find something.
      for (let k = 0; k < Math.min(4, d.maxEntries); k++) {
        const key = new Uint8Array(d.keySize);
        if (d.keySize >= 1) key[0] = k;
        m.hash.set(hexKey(key), space.map(fill(rng, new Uint8Array(d.valueSize)), { kind: 'map_value', name: `map ${d.id} elem` }));
      }
    }
    models.set(d, m);
    byAddress.set(object.base, m);
    return m;
  };

  // ld_imm64 fix-ups, as bpf_check's resolve_pseudo_ldimm64 leaves them.
  const prog = cloneProgram(req.program);
  for (const p of res.ldImm64) {
    const m = modelOf(p.map);
    let addr: bigint;
    if (p.kind === 'map') addr = m.object.base;
    else {
      if (m.elems.length === 0) return unsupported(`direct value of map type ${p.map.mapType}`);
      addr = m.elems[0].base + BigInt(p.offset);
    }
    prog.imm[p.slot] = Number(addr & 0xffffffffn) | 0;
    prog.imm[p.slot + 1] = Number(addr >> 32n) | 0;
  }
  for (const d of res.usedMaps) modelOf(d);

  // Context (and packet).
  const ctxInfo = req.progType === BPF_PROG_TYPE.SYSCALL
    ? { size: res.maxCtxOffset, perm: PERM_RW }
    : CTX.get(req.progType);
  if (ctxInfo === undefined) return unsupported(`context of program type ${req.progType}`);
  const pktPerm = 'pkt' in ctxInfo ? ctxInfo.pkt : undefined;
  const isXdp = 'xdp' in ctxInfo;
  // Shadow slots for the packet pointers, past the context's end (convert_ctx_accesses).
  const shadow = round8(ctxInfo.size);
  const ctxBytes = fill(rng, new Uint8Array(ctxInfo.size + (pktPerm !== undefined ? 24 : 0)));
  const ctx = space.map(ctxBytes, { kind: 'ctx', name: 'ctx', perm: ctxInfo.perm });
  let packet: Region | null = null;
  if (pktPerm !== undefined) {
    const len = opts.packetLen ?? rng.u32() % 129;
    // An empty packet still needs a base address; a zero-length region makes every access fault.
    packet = space.map(fill(rng, new Uint8Array(len)), { kind: 'packet', name: 'packet', perm: pktPerm });
    const dv = new DataView(ctxBytes.buffer);
    dv.setBigUint64(shadow, packet.base, true);
    dv.setBigUint64(shadow + 8, packet.base + BigInt(len), true);
    dv.setBigUint64(shadow + 16, packet.base, true); // no metadata: data_meta == data
    const ptrs = isXdp ? XDP_PTR : SKB_PTR;
    if (!isXdp) dv.setUint32(0, len, true); // skb->len
    for (const { slot, field } of res.ctxPointerLoads) {
      if (prog.off[slot] !== ptrs[field]) return unsupported(`packet pointer load at ${slot} has offset ${prog.off[slot]}`);
      prog.op[slot] = Op.LDX_DW;
      prog.code[slot] = OP_TABLE[Op.LDX_DW].code;
      prog.off[slot] = shadow + 8 * (field === 'pkt' ? 0 : field === 'pkt_end' ? 1 : 2);
    }
    // The sk pointer of __sk_buff (a nullable socket pointer) reads as NULL.
    if (!isXdp) dv.setBigUint64(168, 0n, true);
  } else if (res.ctxPointerLoads.length > 0) {
    return unsupported('packet pointer load in a program type without packets');
  }

  const kfuncs = new Map<number, Helper>((opts.noopKfuncs ?? []).map((id) => [id, () => 0]));
  const vm = new Vm(space, { helpers: helperTable(space, rng, byAddress), kfuncs, budget: opts.budget ?? 2_000_000 });
  vm.regs.fill(0);
  vm.setReg(1, ctx.base);
  const run = vm.run(prog);
  let stray = 0;
  if (res.stats.stackDepth.length === 1) {
    const frame0 = vm.stacks[0].bytes;
    const limit = frame0.length - res.stats.stackDepth[0];
    for (let i = 0; i < limit; i++) if (frame0[i] !== 0) stray++;
  }
  return { run, strayStackBytes: stray };
}

function cloneProgram(p: Program): Program {
  return {
    ...p,
    op: p.op.slice(), code: p.code.slice(), dst: p.dst.slice(), src: p.src.slice(), off: p.off.slice(), imm: p.imm.slice(),
  };
}

function hexKey(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** The helpers a verified program may call, each checking its memory arguments. */
function helperTable(space: AddressSpace, rng: Rng, maps: Map<bigint, MapModel>): Array<Helper | undefined> {
  const t: Array<Helper | undefined> = [];
  const neg = (e: number): number => -e;
  const mapArg = (vm: Vm, id: number): MapModel => {
    const m = maps.get(vm.arg(1));
    if (m === undefined) throw new HelperFault(`helper ${id}: r1 is not a map`);
    return m;
  };
  const readArg = (vm: Vm, id: number, n: number, len: number): Uint8Array => {
    const b = space.read(vm.arg(n), len);
    if (b === null) throw new HelperFault(`helper ${id}: r${n} does not point to ${len} readable bytes`);
    return b;
  };
  const writeArg = (vm: Vm, id: number, n: number, data: Uint8Array): void => {
    if (data.length === 0) return;
    if (space.resolve(vm.arg(n), data.length, PERM_W) === null) {
      throw new HelperFault(`helper ${id}: r${n} does not point to ${data.length} writable bytes`);
    }
    space.write(vm.arg(n), data);
  };
  const sizeArg = (vm: Vm, id: number, n: number): number => {
    const v = vm.arg(n);
    if (v > 0x7fffffffn) throw new HelperFault(`helper ${id}: size r${n} = ${v} is not a valid size`);
    return Number(v);
  };
  const isArray = (m: MapModel): boolean => m.elems.length > 0 || m.desc.mapType === BPF_MAP_TYPE.ARRAY || m.desc.mapType === BPF_MAP_TYPE.PERCPU_ARRAY;

  // bpf_map_lookup_elem
  t[1] = (vm) => {
    const m = mapArg(vm, 1);
    const key = readArg(vm, 1, 2, m.desc.keySize);
    if (isArray(m)) {
      const idx = new DataView(key.buffer).getUint32(0, true);
      return idx < m.elems.length ? m.elems[idx].base : 0;
    }
    if (m.desc.mapType === BPF_MAP_TYPE.HASH || m.desc.mapType === BPF_MAP_TYPE.LRU_HASH || m.desc.mapType === BPF_MAP_TYPE.PERCPU_HASH) {
      return m.hash.get(hexKey(key))?.base ?? 0;
    }
    throw new HelperFault(`helper 1: map type ${m.desc.mapType} not modelled by the harness`);
  };
  // bpf_map_update_elem
  t[2] = (vm) => {
    const m = mapArg(vm, 2);
    const key = readArg(vm, 2, 2, m.desc.keySize);
    const value = readArg(vm, 2, 3, m.desc.valueSize);
    const flags = vm.arg(4);
    if (flags > 2n) return neg(ERRNO.EINVAL);
    if (isArray(m)) {
      const idx = new DataView(key.buffer).getUint32(0, true);
      if (idx >= m.desc.maxEntries) return neg(ERRNO.E2BIG);
      if (flags === 1n) return neg(ERRNO.EEXIST);
      if (idx < m.elems.length) m.elems[idx].bytes.set(value);
      return 0;
    }
    const k = hexKey(key);
    const cur = m.hash.get(k);
    if (cur !== undefined) {
      if (flags === 1n) return neg(ERRNO.EEXIST);
      cur.bytes.set(value);
      return 0;
    }
    if (flags === 2n) return neg(ERRNO.ENOENT);
    if (m.hash.size >= m.desc.maxEntries) return neg(ERRNO.E2BIG);
    m.hash.set(k, space.map(value.slice(), { kind: 'map_value', name: `map ${m.desc.id} elem` }));
    return 0;
  };
  // bpf_map_delete_elem: the element's memory stays valid (RCU), only the key goes.
  t[3] = (vm) => {
    const m = mapArg(vm, 3);
    const key = readArg(vm, 3, 2, m.desc.keySize);
    if (isArray(m)) return neg(ERRNO.EINVAL);
    return m.hash.delete(hexKey(key)) ? 0 : neg(ERRNO.ENOENT);
  };
  // bpf_probe_read / _user / _kernel (and the _str forms): fill the destination.
  const probeRead = (id: number, str: boolean): Helper => (vm) => {
    const size = sizeArg(vm, id, 2);
    writeArg(vm, id, 1, new Uint8Array(size));
    return str ? (size > 0 ? 1 : 0) : 0;
  };
  t[4] = probeRead(4, false);
  t[45] = probeRead(45, true);
  t[112] = probeRead(112, false);
  t[113] = probeRead(113, false);
  // bpf_copy_from_user(dst, size, user_ptr)
  t[148] = probeRead(148, false);
  t[114] = probeRead(114, true);
  t[115] = probeRead(115, true);
  let clock = 1_000_000n;
  t[5] = () => (clock += 1000n);
  t[118] = () => (clock += 1000n);
  t[125] = () => (clock += 1000n);
  // bpf_trace_printk(fmt, fmt_size, ...)
  t[6] = (vm) => {
    const size = sizeArg(vm, 6, 2);
    readArg(vm, 6, 1, size);
    return 0;
  };
  t[7] = () => rng.u32();
  t[8] = () => rng.u32() & 1;
  // bpf_tail_call with an empty slot: execution continues after the call.
  t[12] = () => 0;
  t[14] = () => (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
  t[15] = () => (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
  // bpf_get_current_comm(buf, size)
  t[16] = (vm) => {
    writeArg(vm, 16, 1, new Uint8Array(sizeArg(vm, 16, 2)));
    return 0;
  };
  t[23] = () => 0; // bpf_get_route_realm
  t[35] = () => 0xffff888000000000n + BigInt(rng.u32());
  t[80] = () => BigInt(rng.u32());
  // bpf_ringbuf_output(map, data, size, flags)
  t[130] = (vm) => {
    mapArg(vm, 130);
    readArg(vm, 130, 2, sizeArg(vm, 130, 3));
    return 0;
  };
  // bpf_ringbuf_reserve(map, size, flags): a fresh region, or NULL when it does not fit.
  t[131] = (vm) => {
    const m = mapArg(vm, 131);
    const size = sizeArg(vm, 131, 2);
    if (vm.arg(3) !== 0n || size > m.desc.maxEntries / 2 || rng.u32() % 8 === 0) return 0;
    const r = space.map(fill(rng, new Uint8Array(size)), { kind: 'ringbuf', name: 'ringbuf record' });
    m.reserved.set(r.base, r);
    return r.base;
  };
  // bpf_ringbuf_submit / discard(data, flags): the record must be a live reservation; it is gone after.
  const release = (id: number): Helper => (vm) => {
    const a = vm.arg(1);
    for (const m of maps.values()) {
      const r = m.reserved.get(a);
      if (r !== undefined) {
        m.reserved.delete(a);
        space.unmap(r);
        return 0;
      }
    }
    throw new HelperFault(`helper ${id}: r1 = 0x${a.toString(16)} is not a ring buffer reservation`);
  };
  t[132] = release(132);
  t[133] = release(133);
  t[134] = (vm) => {
    mapArg(vm, 134);
    return 0;
  };
  return t;
}

/** A run that must count as a soundness failure: a fault other than an unmodelled helper. */
export function isSoundnessFailure(o: HarnessOutcome): boolean {
  if (o.strayStackBytes > 0) return true;
  const r = o.run;
  if (r.status !== 'fault') return false;
  return r.fault.kind !== 'unknown_helper' && r.fault.kind !== 'unknown_kfunc' && r.fault.kind !== 'budget_exhausted' &&
    !(r.fault.kind === 'helper_fault' && r.fault.message.includes('not modelled by the harness'));
}
