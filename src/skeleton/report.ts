/**
 * A load, described in the vocabulary of fixtures/expected/README.md (schema
 * `bpfsim-lskel-expectations/1`): the outcome, the outer sequence (the process's syscalls), the
 * inner sequence (what the loader program did), and the object table. `bpfsim load --json` prints
 * this, so a user can diff bpfsim against a real-kernel recording.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { MapObject, ProgObject } from '../kernel/objects.js';
import { BTF_LOAD_ATTR, MAP_CREATE_ATTR, MAP_ELEM_ATTR, MAP_FREEZE_ATTR, OBJ_INFO_ATTR, PROG_LOAD_ATTR, TEST_RUN_ATTR, type Layout } from '../kernel/attr.js';
import type { AttrSummary, SummaryValue, Trace, TraceEvent } from '../kernel/trace.js';
import { mapTypeName, progTypeName } from '../kernel/uapi.js';
import type { LightSkeleton, LoadOutcome } from './light-skeleton.js';

export type SequenceEntry = Record<string, unknown>;

type BpfExit = Extract<TraceEvent, { type: 'bpf' }>;

/**
 * The attr fields the recordings list for each command, in their order (fixtures/expected/*.json).
 * The outer sequence is what strace printed of the process's own bpf() calls; the inner sequence
 * is the loader's static attr templates, whose fds and pointers are patched at run time and so are
 * written as `map`/`map_idx` instead. A field that lies past the call's `attr_size` is not part of
 * the call (a bpftool 7.1 loader's 72-byte BPF_MAP_CREATE has no excl_prog_hash) and is left out.
 * Commands the recordings never contain keep every field the trace summarizes.
 */
const OUTER_ATTR_FIELDS: Readonly<Record<string, readonly string[]>> = {
  BPF_MAP_CREATE: ['map_type', 'map_type_name', 'key_size', 'value_size', 'max_entries', 'map_flags', 'map_name', 'excl_prog_hash', 'excl_prog_hash_size'],
  BPF_MAP_UPDATE_ELEM: ['map_fd', 'flags'],
  BPF_MAP_FREEZE: ['map_fd'],
  BPF_OBJ_GET_INFO_BY_FD: ['bpf_fd', 'info_len'],
  BPF_PROG_LOAD: ['prog_type', 'prog_type_name', 'insn_cnt', 'prog_flags', 'prog_name', 'fd_array_cnt', 'signature', 'signature_size', 'keyring_id'],
  BPF_PROG_TEST_RUN: ['prog_fd', 'ctx_size_in', 'flags'],
};
const INNER_ATTR_FIELDS: Readonly<Record<string, readonly string[]>> = {
  BPF_BTF_LOAD: ['btf_size'],
  BPF_MAP_CREATE: ['map_type', 'map_type_name', 'key_size', 'value_size', 'max_entries', 'map_flags', 'map_name', 'btf_key_type_id', 'btf_value_type_id'],
  BPF_MAP_UPDATE_ELEM: ['flags'],
  BPF_MAP_FREEZE: [],
  BPF_PROG_LOAD: ['prog_type', 'prog_type_name', 'insn_cnt', 'prog_name', 'prog_flags', 'expected_attach_type', 'kern_version', 'func_info_cnt', 'func_info_rec_size', 'line_info_cnt', 'line_info_rec_size', 'core_relo_cnt'],
};
const LAYOUTS: Readonly<Record<string, Layout>> = {
  BPF_MAP_CREATE: MAP_CREATE_ATTR, BPF_MAP_UPDATE_ELEM: MAP_ELEM_ATTR, BPF_MAP_FREEZE: MAP_FREEZE_ATTR,
  BPF_OBJ_GET_INFO_BY_FD: OBJ_INFO_ATTR, BPF_PROG_LOAD: PROG_LOAD_ATTR, BPF_PROG_TEST_RUN: TEST_RUN_ATTR, BPF_BTF_LOAD: BTF_LOAD_ATTR,
};
const FIELD_BYTES = { u32: 4, s32: 4, u64: 8, ptr: 8, name: 16 } as const;
/** `map_type_name` / `prog_type_name` are written next to the number they name. */
const NAMED_BY: Readonly<Record<string, string>> = { map_type_name: 'map_type', prog_type_name: 'prog_type' };

function recordedAttr(e: BpfExit, table: Readonly<Record<string, readonly string[]>>): AttrSummary {
  const fields = table[e.cmdName];
  if (!fields) return e.attr;
  const layout = LAYOUTS[e.cmdName];
  const out: Record<string, SummaryValue> = {};
  for (const f of fields) {
    const slot = layout?.[NAMED_BY[f] ?? f];
    if (slot && slot[0] + FIELD_BYTES[slot[1]] > e.attrSize) continue;
    if (f in e.attr) out[f] = e.attr[f]!;
  }
  return out;
}

/** The process's own syscalls during a load: bpf (with phase), close, mmap/munmap. */
export function outerSequence(trace: Trace, from: number, to: number): SequenceEntry[] {
  const out: SequenceEntry[] = [];
  let phase = 'load_and_run';
  let region = 0;
  for (const e of trace.slice(from, to)) {
    if (e.depth !== 0) continue;
    if (e.type === 'note' && e.what.startsWith('finalize')) phase = 'finalize';
    else if (e.type === 'bpf' && e.phase === 'exit' && e.caller === 'user') {
      out.push({
        syscall: 'bpf', cmd: e.cmdName, attr_size: e.attrSize, attr: recordedAttr(e, OUTER_ATTR_FIELDS), ret: e.ret ?? 0,
        ...(e.errno ? { errno: e.errno } : {}), phase,
        ...(e.retval !== undefined ? { retval: e.retval, retval_source: RETVAL_SOURCE } : {}),
      });
    } else if (e.type === 'close' && e.caller === 'user') out.push({ syscall: 'close', fd: e.fd, ret: e.ret, ...(e.errno ? { errno: e.errno } : {}), phase });
    else if (e.type === 'mmap') {
      // skel_finalize_map_data maps the global-data maps over the regions X__open() made, in order.
      out.push({
        syscall: 'mmap', length: e.length, prot: e.prot, flags: e.flags, fd: e.fd, offset: 0, replaces_open_region: region++,
        ...(e.ret < 0 ? { ret: e.ret } : {}), phase,
      });
    } else if (e.type === 'munmap') out.push({ syscall: 'munmap', length: e.length, ret: e.ret });
  }
  return out;
}

/** Where bpfsim's `retval` of the loader's BPF_PROG_TEST_RUN comes from (the recordings name theirs). */
export const RETVAL_SOURCE = 'bpfsim: attr.test.retval after BPF_PROG_TEST_RUN';
export const INTERNAL_MAP_PURPOSE = 'initial value of an internal map (.data/.rodata/.bss)';
export const MAX_ENTRIES_PATCHED = 'max_entries (from ctx map_desc, value confirmed by the object table)';

/** What the skeleton says about its maps, for naming the loader's inner commands. */
export interface InnerContext {
  /** The fd the skeleton holds for map_idx i after the load (the loader writes it into the ctx). */
  readonly mapFds: readonly number[];
  /** ctx `maps[i].max_entries` as the caller set it (0: not overridden). */
  readonly ctxMaxEntries: readonly number[];
  /** map_idx of the internal (global-data) maps. */
  readonly internalMaps: ReadonlySet<number>;
}

/**
 * What the loader program did inside the kernel: bpf_sys_bpf commands, sys_close,
 * btf_find_by_name_kind. With `ctx`, map commands carry `map_idx` (the skeleton's map order, -1
 * for a map the skeleton does not hold, e.g. an inner-map template) and `map` (the kernel name).
 */
export function innerSequence(trace: Trace, from: number, to: number, ctx?: InnerContext): SequenceEntry[] {
  const events = trace.slice(from, to);
  // The last MAP_CREATE that returned a skeleton map's fd created that map (an earlier one that
  // returned the same fd made an object the loader closed again).
  const lastCreate = new Map<number, number>();
  events.forEach((e, i) => {
    if (e.type === 'bpf' && e.phase === 'exit' && e.caller === 'kernel' && e.cmdName === 'BPF_MAP_CREATE' && (e.ret ?? -1) >= 0) lastCreate.set(e.ret!, i);
  });
  const byFd = new Map<number, { idx: number; name: string }>();
  const out: SequenceEntry[] = [];
  events.forEach((e, i) => {
    if (e.type === 'bpf' && e.phase === 'exit' && e.caller === 'kernel') {
      const head = { cmd: e.cmdName, attr_size: e.attrSize, attr: recordedAttr(e, INNER_ATTR_FIELDS) };
      const tail = { ret: e.ret ?? 0 };
      if (ctx && e.cmdName === 'BPF_MAP_CREATE') {
        const fd = e.ret ?? -1;
        const held = fd >= 0 && lastCreate.get(fd) === i ? ctx.mapFds.indexOf(fd) : -1;
        if (fd >= 0) byFd.set(fd, { idx: held, name: String(e.attr.map_name) });
        const patched = held >= 0 && ctx.ctxMaxEntries[held] !== 0 && ctx.ctxMaxEntries[held] === e.attr.max_entries;
        out.push({ ...head, map_idx: held, ...tail, ...(patched ? { runtime_patched: [MAX_ENTRIES_PATCHED] } : {}) });
      } else if (ctx && (e.cmdName === 'BPF_MAP_UPDATE_ELEM' || e.cmdName === 'BPF_MAP_FREEZE')) {
        const m = byFd.get(Number(e.attr.map_fd));
        if (!m) out.push({ ...head, ...tail });
        else if (e.cmdName === 'BPF_MAP_FREEZE') out.push({ ...head, map: m.name, ...tail });
        else out.push({ ...head, map_idx: m.idx, map: m.name, ...(ctx.internalMaps.has(m.idx) ? { purpose: INTERNAL_MAP_PURPOSE } : {}), ...tail });
      } else out.push({ ...head, ...tail });
    } else if (e.type === 'helper' && e.helper === 'sys_close') {
      out.push({ helper: 'sys_close', fd: e.args.fd, ret: e.ret });
      byFd.delete(Number(e.args.fd));
    } else if (e.type === 'helper' && e.helper === 'btf_find_by_name_kind') out.push({ helper: 'btf_find_by_name_kind', name: e.args.name, btf_kind: e.args.btf_kind, ret: e.ret });
  });
  return out;
}

export interface ObjectTable {
  readonly btf: { size: number; shared_by_all_maps_and_progs_with_btf: boolean } | null;
  readonly maps: SequenceEntry[];
  readonly progs: SequenceEntry[];
  readonly transient: SequenceEntry[];
}

function tagHex(p: ProgObject): string {
  return Array.from(p.digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The id `__loader.map` got during this load (from the trace), for id_minus_loader_map_id. */
function loaderMapId(trace: Trace, from: number, to: number): number | null {
  for (const e of trace.slice(from, to)) if (e.type === 'object' && e.action === 'create' && e.kind === 'map' && e.name === '__loader.map') return e.id;
  return null;
}

export function objectTable(k: Kernel, skel: LightSkeleton, outcome: LoadOutcome): ObjectTable {
  const base = loaderMapId(k.trace.all, outcome.traceFrom, outcome.traceTo);
  const mapOf = (fd: number): MapObject | null => {
    const e = k.fdEntry(fd);
    return e?.type === 'bpf' && e.obj.kind === 'map' ? e.obj : null;
  };
  const progOf = (fd: number): ProgObject | null => {
    const e = k.fdEntry(fd);
    return e?.type === 'bpf' && e.obj.kind === 'prog' ? e.obj : null;
  };
  const maps = skel.model.skeleton.maps.map((d) => mapOf(skel.mapFd(d.name))).filter((m): m is MapObject => m !== null);
  const progs = skel.model.skeleton.progs.map((d) => progOf(skel.progFd(d.name))).filter((p): p is ProgObject => p !== null);
  const btfs = new Set([...maps.map((m) => m.btf), ...progs.map((p) => p.btf)].filter((b) => b !== null));
  const btf = btfs.size ? [...btfs][0]! : null;
  const held = new Set<number>(maps.map((m) => m.id));
  return {
    btf: btf ? { size: btf.bytes.length, shared_by_all_maps_and_progs_with_btf: btfs.size === 1 } : null,
    maps: maps.map((m) => ({
      name: m.name, map_type: m.map.mapType, map_type_name: mapTypeName(m.map.mapType), key_size: m.map.keySize,
      value_size: m.map.valueSize, max_entries: m.map.maxEntries, map_flags: m.map.mapFlags,
      btf_key_type_id: m.btfKeyTypeId, btf_value_type_id: m.btfValueTypeId, frozen: m.frozen, has_btf: m.btf !== null,
      ...(base !== null ? { id_minus_loader_map_id: m.id - base } : {}),
    })),
    progs: progs.map((p) => ({
      // No JIT (README, "Differences from Linux"): jited_bytes is 0.
      name: p.name, prog_type: p.progType, prog_type_name: progTypeName(p.progType),
      xlated_insns: p.xlatedInsnCnt, verified_insns: p.verifiedInsns, jited_bytes: 0, tag: tagHex(p), nr_func_info: p.funcInfoCnt,
      nr_line_info: p.lineInfoCnt, gpl_compatible: p.gplCompatible, insn_cnt_loaded: p.insns.length / 8, maps_used: p.usedMaps.map((m) => m.name),
    })),
    transient: [...k.objects.maps.live.values()].filter((m) => !held.has(m.id)).map((m) => ({
      kind: 'map', name: m.name, map_type: m.map.mapType, key_size: m.map.keySize, value_size: m.map.valueSize,
      max_entries: m.map.maxEntries, map_flags: m.map.mapFlags, frozen: m.frozen,
      ...(base !== null ? { id_minus_loader_map_id: m.id - base } : {}),
    })),
  };
}

export interface LoadReport {
  readonly schema: 'bpfsim-lskel-expectations/1';
  readonly fixture: string;
  readonly outcome: Record<string, unknown>;
  readonly outer_sequence: SequenceEntry[];
  readonly inner_sequence: SequenceEntry[];
  readonly objects: ObjectTable | null;
  readonly open_fds_after_load: Record<string, string>;
  readonly final_fds: { maps: Record<string, number>; progs: Record<string, number> } | null;
  /** What bpfsim shows beyond the recordings' schema (kept out of the sections above so they diff cleanly). */
  readonly bpfsim: BpfsimExtra;
}

export interface BpfsimExtra {
  readonly kernel: { version: string; scheme: string; pkcs7: boolean; ecdsa: boolean };
  readonly skeleton: { generation: string; signed: boolean };
  /** Every attr field the trace summarizes, per entry of outer_sequence / inner_sequence (null: not a bpf command). */
  readonly full_attrs: { outer: Array<AttrSummary | null>; inner: Array<AttrSummary | null> };
}

export const TRANSIENT_NOTE = 'transient: __loader.map is still referenced by the sleepable loader prog until an RCU-tasks-trace grace period has passed';

/** What else a report's outcome states: the ctx log level asked for, the objects alive after a failed load. */
export interface OutcomeContext {
  readonly ctxLogLevel: number;
  readonly aliveAfterFailure: ReadonlyArray<{ kind: string; name: string; frozen?: boolean }>;
}

export function outcomeRecord(o: LoadOutcome, ctx?: OutcomeContext): Record<string, unknown> {
  const alive = o.skelLoad !== 0 ? ctx?.aliveAfterFailure ?? [] : [];
  return {
    bpf_load_and_run: o.bpfLoadAndRun, errno: o.errno, errstr: o.errstr, skel_load: o.skelLoad, failed_at: o.failedAt,
    ...(o.loaderRetval !== null && o.failedAt === 'loader retval' ? { loader_retval: o.loaderRetval } : {}),
    ...(o.ctxLog !== null ? { ctx_log: o.ctxLog } : {}),
    ...(o.ctxLog !== null && o.ctxLog.length === 0 && ctx ? { ctx_log_note: `log level ${ctx.ctxLogLevel} was requested; the log buffer stayed empty` } : {}),
    ...(alive.length ? { objects_alive_after_failure: alive } : {}),
    ...(alive.some((a) => a.name === '__loader.map') ? { objects_alive_after_failure_note: TRANSIENT_NOTE } : {}),
  };
}

function kernelName(k: Kernel, fd: number): string | null {
  const e = k.fdEntry(fd);
  return e?.type === 'bpf' && 'name' in e.obj ? e.obj.name : null;
}

function fullAttrs(trace: Trace, from: number, to: number, outer: boolean): Array<AttrSummary | null> {
  const out: Array<AttrSummary | null> = [];
  for (const e of trace.slice(from, to)) {
    if (outer) {
      if (e.depth !== 0) continue;
      if (e.type === 'bpf' && e.phase === 'exit' && e.caller === 'user') out.push(e.attr);
      else if ((e.type === 'close' && e.caller === 'user') || e.type === 'mmap' || e.type === 'munmap') out.push(null);
    } else if (e.type === 'bpf' && e.phase === 'exit' && e.caller === 'kernel') out.push(e.attr);
    else if (e.type === 'helper' && (e.helper === 'sys_close' || e.helper === 'btf_find_by_name_kind')) out.push(null);
  }
  return out;
}

export function loadReport(k: Kernel, skel: LightSkeleton, o: LoadOutcome): LoadReport {
  const ok = o.skelLoad === 0;
  const fds: Record<string, string> = {};
  for (const [fd, e] of k.fds.list()) {
    if (fd < 3) continue;
    fds[String(fd)] = e.type === 'bpf' ? (e.obj.kind === 'btf' ? 'anon_inode:btf' : `anon_inode:bpf-${e.obj.kind}`) : e.what;
  }
  const model = skel.model;
  const skelBytes = new DataView(skel.skel.bytes.buffer, skel.skel.bytes.byteOffset, skel.skel.bytes.byteLength);
  const inner: InnerContext = {
    mapFds: model.skeleton.maps.map((m) => skel.mapFd(m.name)),
    ctxMaxEntries: model.skeleton.maps.map((m) => skelBytes.getUint32(m.maxEntriesOffset, true)),
    internalMaps: new Set(model.internalMaps.map((m) => m.mapIndex)),
  };
  const alive = [
    ...[...k.objects.maps.live.values()].map((m) => ({ kind: 'map', name: m.name, frozen: m.frozen })),
    ...[...k.objects.progs.live.values()].map((p) => ({ kind: 'prog', name: p.name })),
  ];
  return {
    schema: 'bpfsim-lskel-expectations/1',
    fixture: model.objName,
    outcome: outcomeRecord(o, { ctxLogLevel: skelBytes.getUint32(8, true), aliveAfterFailure: alive }),
    outer_sequence: outerSequence(k.trace.all, o.traceFrom, o.traceTo),
    inner_sequence: innerSequence(k.trace.all, o.traceFrom, o.traceTo, inner),
    objects: ok ? objectTable(k, skel, o) : null,
    open_fds_after_load: fds,
    final_fds: ok ? {
      // Keyed by the kernel's object names (internal maps are `<obj>.<section>` there).
      maps: Object.fromEntries(model.skeleton.maps.map((m) => [kernelName(k, skel.mapFd(m.name)) ?? m.name, skel.mapFd(m.name)])),
      progs: Object.fromEntries(model.skeleton.progs.map((p) => [kernelName(k, skel.progFd(p.name)) ?? p.name, skel.progFd(p.name)])),
    } : null,
    bpfsim: {
      kernel: { version: k.config.version, scheme: k.config.scheme, pkcs7: k.config.systemDataVerification, ecdsa: k.config.ecdsa },
      skeleton: { generation: model.generation, signed: model.signed },
      full_attrs: { outer: fullAttrs(k.trace.all, o.traceFrom, o.traceTo, true), inner: fullAttrs(k.trace.all, o.traceFrom, o.traceTo, false) },
    },
  };
}
