/**
 * A load, described in the vocabulary of fixtures/expected/README.md (schema
 * `bpfsim-lskel-expectations/1`): the outcome, the outer sequence (the process's syscalls), the
 * inner sequence (what the loader program did), and the object table. `bpfsim load --json` prints
 * this, so a user can diff bpfsim against a real-kernel recording.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { MapObject, ProgObject } from '../kernel/objects.js';
import type { AttrSummary, Trace, TraceEvent } from '../kernel/trace.js';
import { mapTypeName, progTypeName } from '../kernel/uapi.js';
import type { LightSkeleton, LoadOutcome } from './light-skeleton.js';

export type SequenceEntry = Record<string, unknown>;

type BpfExit = Extract<TraceEvent, { type: 'bpf' }>;

function bpfEntry(e: BpfExit): SequenceEntry {
  return {
    cmd: e.cmdName, attr_size: e.attrSize, attr: e.attr as AttrSummary, ret: e.ret ?? 0,
    ...(e.errno ? { errno: e.errno } : {}), ...(e.retval !== undefined ? { retval: e.retval } : {}),
  };
}

/** The process's own syscalls during a load: bpf (with phase), close, mmap/munmap. */
export function outerSequence(trace: Trace, from: number, to: number): SequenceEntry[] {
  const out: SequenceEntry[] = [];
  let phase = 'load_and_run';
  for (const e of trace.slice(from, to)) {
    if (e.depth !== 0) continue;
    if (e.type === 'note' && e.what.startsWith('finalize')) phase = 'finalize';
    else if (e.type === 'bpf' && e.phase === 'exit' && e.caller === 'user') out.push({ syscall: 'bpf', ...bpfEntry(e), phase });
    else if (e.type === 'close' && e.caller === 'user') out.push({ syscall: 'close', fd: e.fd, ret: e.ret, ...(e.errno ? { errno: e.errno } : {}), phase });
    else if (e.type === 'mmap') out.push({ syscall: 'mmap', length: e.length, prot: e.prot, flags: e.flags, fd: e.fd, offset: 0, phase });
    else if (e.type === 'munmap') out.push({ syscall: 'munmap', length: e.length, ret: e.ret });
  }
  return out;
}

/** What the loader program did inside the kernel: bpf_sys_bpf commands, sys_close, btf_find_by_name_kind. */
export function innerSequence(trace: Trace, from: number, to: number): SequenceEntry[] {
  const out: SequenceEntry[] = [];
  for (const e of trace.slice(from, to)) {
    if (e.type === 'bpf' && e.phase === 'exit' && e.caller === 'kernel') out.push(bpfEntry(e));
    else if (e.type === 'helper' && e.helper === 'sys_close') out.push({ helper: 'sys_close', fd: e.args.fd, ret: e.ret });
    else if (e.type === 'helper' && e.helper === 'btf_find_by_name_kind') out.push({ helper: 'btf_find_by_name_kind', name: e.args.name, btf_kind: e.args.btf_kind, ret: e.ret });
  }
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
      name: p.name, prog_type: p.progType, prog_type_name: progTypeName(p.progType), insn_cnt_loaded: p.insns.length / 8,
      xlated_insns: p.xlatedInsnCnt, verified_insns: p.verifiedInsns, tag: tagHex(p), nr_func_info: p.funcInfoCnt,
      nr_line_info: p.lineInfoCnt, gpl_compatible: p.gplCompatible, maps_used: p.usedMaps.map((m) => m.name),
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
}

export function outcomeRecord(o: LoadOutcome): Record<string, unknown> {
  return {
    bpf_load_and_run: o.bpfLoadAndRun, errno: o.errno, errstr: o.errstr, skel_load: o.skelLoad, failed_at: o.failedAt,
    ...(o.loaderRetval !== null && o.failedAt === 'loader retval' ? { loader_retval: o.loaderRetval } : {}),
    ...(o.ctxLog !== null ? { ctx_log: o.ctxLog } : {}),
  };
}

function kernelName(k: Kernel, fd: number): string | null {
  const e = k.fdEntry(fd);
  return e?.type === 'bpf' && 'name' in e.obj ? e.obj.name : null;
}

export function loadReport(k: Kernel, skel: LightSkeleton, o: LoadOutcome): LoadReport {
  const ok = o.skelLoad === 0;
  const fds: Record<string, string> = {};
  for (const [fd, e] of k.fds.list()) {
    if (fd < 3) continue;
    fds[String(fd)] = e.type === 'bpf' ? (e.obj.kind === 'btf' ? 'anon_inode:btf' : `anon_inode:bpf-${e.obj.kind}`) : e.what;
  }
  return {
    schema: 'bpfsim-lskel-expectations/1',
    fixture: skel.model.objName,
    outcome: outcomeRecord(o),
    outer_sequence: outerSequence(k.trace.all, o.traceFrom, o.traceTo),
    inner_sequence: innerSequence(k.trace.all, o.traceFrom, o.traceTo),
    objects: ok ? objectTable(k, skel, o) : null,
    open_fds_after_load: fds,
    final_fds: ok ? {
      // Keyed by the kernel's object names (internal maps are `<obj>.<section>` there).
      maps: Object.fromEntries(skel.model.skeleton.maps.map((m) => [kernelName(k, skel.mapFd(m.name)) ?? m.name, skel.mapFd(m.name)])),
      progs: Object.fromEntries(skel.model.skeleton.progs.map((p) => [kernelName(k, skel.progFd(p.name)) ?? p.name, skel.progFd(p.name)])),
    } : null,
  };
}
