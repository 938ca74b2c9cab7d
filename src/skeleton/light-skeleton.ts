/**
 * The userspace half of a light skeleton, replayed against the modelled kernel exactly as the
 * generated code and its libbpf's skel_internal.h do it (signing.md §2.2, fixtures/README.md §3):
 *
 *   X__open()    allocate the skeleton struct (its head is the loader ctx), mmap anonymous regions
 *                for the global data and point `maps.<m>.initial_value` at them;
 *   X__load()    bpf_load_and_run(): create `__loader.map`, update it with the blob, (freeze it and
 *                request its hash), load `__loader.prog` (signature, keyring), run it with
 *                BPF_PROG_TEST_RUN on the ctx, close both; then mmap the real maps over the regions;
 *   X__attach()  raw_tracepoint_open / link_create per program;
 *   X__destroy() close links, programs and maps, unmapping the global data.
 *
 * Which bpf_load_and_run is replayed depends on the header's generation (libbpf 1.1 / 1.7 / 1.8)
 * and, for the 2026 signing scheme, on the 2026 libbpf that pairs with it (no hash request,
 * `fd_array_cnt = 1` for signed loads; signing.md Appendix B).
 */
import { errnoName } from '../errno.js';
import { encodeAttr, MAP_CREATE_ATTR, MAP_ELEM_ATTR, MAP_FREEZE_ATTR, OBJ_INFO_ATTR, PROG_LOAD_ATTR, RAW_TP_OPEN_ATTR, LINK_CREATE_ATTR, TEST_RUN_ATTR } from '../kernel/attr.js';
import type { Kernel } from '../kernel/kernel.js';
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_F_SLEEPABLE, BPF_MAP_TYPE, BPF_PROG_TYPE, BPF_SKEL_KERNEL } from '../kernel/uapi.js';
import type { UserBuffer } from '../kernel/user-memory.js';
import { logLinesOf } from '../kernel/log-text.js';
import { findGlobal, type LskelModel } from './lskel-model.js';
import { analyzeLoader, type LoaderAnalysis } from './loader-analysis.js';
import type { ProgObject } from '../kernel/objects.js';

/** Offsets inside struct bpf_loader_ctx (signing.md §4.6). */
const CTX = { sz: 0, flags: 4, log_level: 8, log_size: 12, log_buf: 16 } as const;
const MAP_INFO_SIZE = 104;

export type TamperTarget = 'insns' | 'data' | 'signature';

export interface Tamper {
  readonly target: TamperTarget;
  readonly offset: number;
  /** XORed into the byte (default 0x01). */
  readonly xor?: number;
}

export interface LoadOptions {
  /** Load with `opts.signature = NULL, signature_sz = 0` (root may load a signed loader unsigned). */
  readonly stripSignature?: boolean;
  /** Create `__loader.map` without excl_prog_hash (a hostile host omitting exclusivity). */
  readonly stripExclHash?: boolean;
  readonly tamper?: readonly Tamper[];
  /** Skip MAP_FREEZE of the loader map (a misbehaving userspace; signing.md §6.4). */
  readonly skipFreeze?: boolean;
  /** Skip the hash request (OBJ_GET_INFO_BY_FD). */
  readonly skipGetInfo?: boolean;
  /** Rewrite the loader map's value after it was hashed (TOCTOU probe on 6.18.0, §6.4). */
  readonly rewriteDataAfterHash?: readonly Tamper[];
}

export type FailedAt = null | 'loader retval' | `outer ${string}`;

export interface LoadOutcome {
  /** Return value of bpf_load_and_run (0 or -errno). */
  readonly bpfLoadAndRun: number;
  readonly errno: string | null;
  readonly errstr: string | null;
  /** Return value of X__load(). */
  readonly skelLoad: number;
  readonly failedAt: FailedAt;
  /** attr.test.retval of the loader run, when it ran. */
  readonly loaderRetval: number | null;
  /** The ctx log buffer after the load, one string per line (null when no log was requested). */
  readonly ctxLog: string[] | null;
  /** Trace sequence numbers delimiting the phases of this load. */
  readonly traceFrom: number;
  readonly traceTo: number;
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function loaderReadsSha(insns: Uint8Array, data: Uint8Array): boolean {
  try { return analyzeLoader(insns, data).readsMapSha; } catch { return false; }
}

function tamperCopy(bytes: Uint8Array, target: TamperTarget, list: readonly Tamper[] | undefined): Uint8Array {
  const out = bytes.slice();
  for (const t of list ?? []) {
    if (t.target !== target) continue;
    if (t.offset < 0 || t.offset >= out.length) throw new RangeError(`tamper offset ${t.offset} outside ${target} (${out.length} bytes)`);
    out[t.offset] ^= t.xor ?? 0x01;
  }
  return out;
}

interface OpenRegion {
  readonly ident: string;
  readonly mapIndex: number;
  buf: UserBuffer;
  readonly readonly: boolean;
  readonly length: number;
  mmapped: boolean;
}

/** A light skeleton opened in a simulated process. */
export class LightSkeleton {
  readonly model: LskelModel;
  readonly kernel: Kernel;
  /** The skeleton struct (user memory): ctx, map/prog descs, links, keyring_id, data pointers. */
  readonly skel: UserBuffer;
  private readonly regions: OpenRegion[] = [];
  private logBuf: UserBuffer | null = null;
  private loaded = false;
  private destroyed = false;

  private constructor(kernel: Kernel, model: LskelModel) {
    this.kernel = kernel;
    this.model = model;
    this.skel = kernel.user.alloc(model.skeleton.size, { name: `struct ${model.objName}` });
  }

  /** X__open(). */
  static open(kernel: Kernel, model: LskelModel): LightSkeleton {
    const s = new LightSkeleton(kernel, model);
    s.dv.setUint32(CTX.sz, model.skeleton.ctxSize, true);
    for (const m of model.internalMaps) {
      const buf = kernel.user.alloc(m.mmapSize, { name: `${m.ident} (anonymous mmap)` });
      buf.bytes.set(m.initialData.subarray(0, m.mmapSize));
      kernel.emit({ type: 'mmap', length: m.mmapSize, prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_SHARED|MAP_ANONYMOUS', fd: -1, ret: 0 });
      s.dv.setBigUint64(m.initialValueOffset, buf.addr, true);
      const ptr = model.skeleton.dataPointers.find((p) => p.ident === m.ident);
      if (ptr) s.dv.setBigUint64(ptr.offset, buf.addr, true);
      s.regions.push({ ident: m.ident, mapIndex: m.mapIndex, buf, readonly: m.readonly, length: m.mmapSize, mmapped: false });
    }
    return s;
  }

  private get dv(): DataView {
    return new DataView(this.skel.bytes.buffer, this.skel.bytes.byteOffset, this.skel.bytes.byteLength);
  }

  // ------------------------------------------------------------------ before load

  /** Set a global (`magic` or `rodata.magic`) in the skeleton's data region, as `skel->rodata->magic = v`. */
  setGlobal(name: string, value: bigint | number): void {
    const g = findGlobal(this.model, name);
    if (!g) throw new Error(`no global variable '${name}' in ${this.model.objName}`);
    const r = this.regions.find((x) => x.ident === g.struct.ident);
    if (!r) throw new Error(`global data section '${g.struct.ident}' has no mmapped region`);
    const v = BigInt.asUintN(64, BigInt(value));
    const bytes = r.buf.bytes;
    for (let i = 0; i < g.variable.size && i < 8; i++) bytes[g.variable.offset + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  }

  /** Read a global from the skeleton's view of the data (after load: the map's memory). */
  readGlobal(name: string): bigint {
    const g = findGlobal(this.model, name);
    if (!g) throw new Error(`no global variable '${name}' in ${this.model.objName}`);
    const r = this.regions.find((x) => x.ident === g.struct.ident);
    if (!r) throw new Error(`global data section '${g.struct.ident}' has no region`);
    let v = 0n;
    for (let i = Math.min(g.variable.size, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(r.buf.bytes[g.variable.offset + i] ?? 0);
    return v;
  }

  /** `skel->maps.<m>.max_entries = n` (the ctx override the 6.18 loader honours). */
  setMaxEntries(map: string, n: number): void {
    const m = this.model.skeleton.maps.find((x) => x.name === map);
    if (!m) throw new Error(`no map '${map}' in ${this.model.objName}`);
    this.dv.setUint32(m.maxEntriesOffset, n, true);
  }

  /** `skel->keyring_id = id` (signed skeletons only). */
  setKeyringId(id: number): void {
    const off = this.model.skeleton.keyringIdOffset;
    if (off === null) throw new Error(`${this.model.objName} is not a signed skeleton (no keyring_id member)`);
    this.dv.setInt32(off, id, true);
  }

  /** Ask for a verifier/BTF log in the ctx (log_level, log_size, log_buf). */
  setLog(level: number, size = 1 << 16): void {
    this.logBuf = this.kernel.user.alloc(size, { name: 'ctx log_buf' });
    this.dv.setUint32(CTX.log_level, level, true);
    this.dv.setUint32(CTX.log_size, size, true);
    this.dv.setBigUint64(CTX.log_buf, this.logBuf.addr, true);
  }

  /** ctx.flags BPF_SKEL_KERNEL: initial values are kernel pointers (probe_read_kernel). */
  setSkelKernel(on: boolean): void {
    this.dv.setUint32(CTX.flags, on ? BPF_SKEL_KERNEL : 0, true);
  }

  // ------------------------------------------------------------------ load

  /** X__load(). */
  load(opts: LoadOptions = {}): LoadOutcome {
    if (this.loaded) throw new Error('skeleton already loaded');
    this.loaded = true;
    const k = this.kernel;
    const from = k.trace.length;
    const r = this.bpfLoadAndRun(opts);
    let skelLoad = r.err;
    if (r.err === 0) {
      this.kernel.emit({ type: 'note', actor: 'userspace', what: 'finalize: mmap the global-data maps over the open regions' });
      skelLoad = this.finalizeMaps();
    }
    if (skelLoad === 0) {
      const fds = [...this.model.skeleton.maps.map((m) => `${m.name}=${this.mapFd(m.name)}`), ...this.model.skeleton.progs.map((p) => `${p.name}=${this.progFd(p.name)}`)];
      k.emit({ type: 'note', actor: 'userspace', what: `X__load() = 0: the skeleton holds fds ${fds.join(' ')}` });
    } else {
      k.emit({ type: 'note', actor: 'userspace', what: `X__load() = ${skelLoad} (${errnoName(skelLoad)}): ${r.errstr ?? 'finalize failed'}`, detail: { ok: false } });
    }
    const ctxLog = this.logBuf ? logLinesOf(this.logBuf.bytes) : null;
    return {
      bpfLoadAndRun: r.err, errno: r.err < 0 ? errnoName(r.err) : null, errstr: r.errstr, skelLoad,
      failedAt: r.failedAt, loaderRetval: r.retval, ctxLog, traceFrom: from, traceTo: k.trace.length,
    };
  }

  private bpfLoadAndRun(opts: LoadOptions): { err: number; errstr: string | null; failedAt: FailedAt; retval: number | null } {
    const k = this.kernel;
    const model = this.model;
    const profile = model.runtime;
    const scheme = k.config.scheme;
    const insns = tamperCopy(model.loader.insns, 'insns', opts.tamper);
    const data = tamperCopy(model.loader.data, 'data', opts.tamper);
    const sig = model.loader.signature && !opts.stripSignature ? tamperCopy(model.loader.signature, 'signature', opts.tamper) : null;
    const excl = model.loader.exclProgHash && !opts.stripExclHash ? model.loader.exclProgHash : null;
    const keyringId = model.loader.keyringId.kind === 'skeleton_member' ? this.dv.getInt32(model.loader.keyringId.offset, true) : 0;
    const temp: UserBuffer[] = [];
    const ubuf = (b: Uint8Array | number, name: string): UserBuffer => {
      const u = k.user.alloc(b, { name });
      temp.push(u);
      return u;
    };
    const call = (cmd: number, attr: Uint8Array): number => k.bpf(cmd, ubuf(attr, 'attr').addr, attr.length);
    let mapFd = -1;
    let progFd = -1;
    let retval: number | null = null;
    const fail = (err: number, errstr: string, failedAt: FailedAt) => ({ err, errstr, failedAt, retval });
    try {
      const exclBuf = excl ? ubuf(excl, 'opts_excl_hash') : null;
      mapFd = call(BPF_CMD.BPF_MAP_CREATE, encodeAttr(MAP_CREATE_ATTR, {
        map_type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: data.length, max_entries: 1,
        map_name: '__loader.map',
        ...(profile.mapCreateAttrSize >= 92 && exclBuf ? { excl_prog_hash: exclBuf.addr, excl_prog_hash_size: excl!.length } : {}),
      }, profile.mapCreateAttrSize));
      if (mapFd < 0) return fail(mapFd, 'failed to create loader map', 'outer BPF_MAP_CREATE');
      const key = ubuf(new Uint8Array(4), 'key');
      const blob = ubuf(data, 'opts_data');
      let err = call(BPF_CMD.BPF_MAP_UPDATE_ELEM, encodeAttr(MAP_ELEM_ATTR, { map_fd: mapFd, key: key.addr, value: blob.addr, flags: 0 }, 32));
      if (err < 0) return fail(err, 'failed to update loader map', 'outer BPF_MAP_UPDATE_ELEM');
      if (profile.freezesLoaderMap && !opts.skipFreeze) {
        err = call(BPF_CMD.BPF_MAP_FREEZE, encodeAttr(MAP_FREEZE_ATTR, { map_fd: mapFd }, 4));
        if (err < 0) return fail(err, 'failed to freeze map', 'outer BPF_MAP_FREEZE');
      }
      // The 2026 libbpf no longer requests the hash (the kernel checks the map itself), but a loader
      // that still compares map->sha needs it: keep the request for such loaders.
      if (profile.requestsLoaderMapHash && !opts.skipGetInfo && (scheme !== 'v2026' || loaderReadsSha(insns, data))) {
        const hash = ubuf(32, 'sha');
        const info = ubuf(encodeAttr({ hash: [88, 'ptr'], hash_size: [96, 'u32'] } as const, { hash: hash.addr, hash_size: 32 }, MAP_INFO_SIZE), 'bpf_map_info');
        err = call(BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, encodeAttr(OBJ_INFO_ATTR, { bpf_fd: mapFd, info_len: MAP_INFO_SIZE, info: info.addr }, 16));
        if (err < 0) return fail(err, 'failed to fetch obj info', 'outer BPF_OBJ_GET_INFO_BY_FD');
      }
      if (opts.rewriteDataAfterHash?.length) {
        const d2 = tamperCopy(data, 'data', opts.rewriteDataAfterHash);
        call(BPF_CMD.BPF_MAP_UPDATE_ELEM, encodeAttr(MAP_ELEM_ATTR, { map_fd: mapFd, key: key.addr, value: ubuf(d2, 'rewritten data').addr, flags: 0 }, 32));
      }
      const insnBuf = ubuf(insns, 'opts_insn');
      const license = ubuf(new TextEncoder().encode('Dual BSD/GPL\0'), 'license');
      const fdArray = ubuf(u32(mapFd), 'fd_array (&map_fd)');
      const sigBuf = sig ? ubuf(sig, 'opts_sig') : null;
      const sigMaps = model.loader.signatureMaps;
      const hashChain = scheme === 'hash-chain' && sigMaps !== null;
      const sigMapsBuf = hashChain && sigMaps.length ? ubuf(Uint8Array.from(sigMaps.flatMap((i) => [...u32(i)])), 'signature_maps') : null;
      const dv = this.dv;
      const progAttrSize = profile.progLoadAttrSize === 168 && hashChain ? 180 : profile.progLoadAttrSize;
      progFd = call(BPF_CMD.BPF_PROG_LOAD, encodeAttr(PROG_LOAD_ATTR, {
        prog_type: BPF_PROG_TYPE.BPF_PROG_TYPE_SYSCALL, insns: insnBuf.addr, insn_cnt: insns.length / 8,
        license: license.addr, prog_name: '__loader.prog', fd_array: fdArray.addr,
        log_level: dv.getUint32(CTX.log_level, true), log_size: dv.getUint32(CTX.log_size, true),
        log_buf: dv.getBigUint64(CTX.log_buf, true), prog_flags: BPF_F_SLEEPABLE,
        ...(profile.progLoadAttrSize >= 168 ? {
          signature: sigBuf ? sigBuf.addr : 0n, signature_size: sig ? sig.length : 0, keyring_id: keyringId,
          ...(scheme === 'v2026' && sig ? { fd_array_cnt: 1 } : {}),
        } : {}),
        ...(hashChain ? { signature_maps: sigMapsBuf ? sigMapsBuf.addr : 0n, signature_maps_size: sigMaps.length } : {}),
      }, progAttrSize));
      if (progFd < 0) return fail(progFd, 'failed to load loader prog', 'outer BPF_PROG_LOAD');
      const unobserve = this.observeLoaderRun(insns, mapFd);
      const runAttr = encodeAttr(TEST_RUN_ATTR, { prog_fd: progFd, ctx_in: this.skel.addr, ctx_size_in: dv.getUint32(CTX.sz, true) }, profile.testRunAttrSize);
      const runBuf = ubuf(runAttr, 'attr');
      err = k.bpf(BPF_CMD.BPF_PROG_TEST_RUN, runBuf.addr, runAttr.length);
      unobserve();
      retval = new DataView(runBuf.bytes.buffer, runBuf.bytes.byteOffset).getInt32(4, true);
      if (err < 0) { retval = null; return fail(err, 'failed to execute loader prog', 'outer BPF_PROG_TEST_RUN'); }
      if (retval < 0) return fail(retval, 'error returned by loader prog', 'loader retval');
      return { err: 0, errstr: null, failedAt: null, retval };
    } finally {
      if (mapFd >= 0) k.close(mapFd);
      if (progFd >= 0) k.close(progFd);
      for (const t of temp) k.user.free(t.addr);
    }
  }

  /**
   * Annotate the loader's run with what its first instructions check (derived from the loader's
   * structure and the kernel's map state, since these are plain loads and compares in the program):
   * `map->excl` (libbpf 1.8 signed loaders) and `map->sha` against the embedded hash.
   */
  private observeLoaderRun(insns: Uint8Array, mapFd: number): () => void {
    const k = this.kernel;
    let analysis: LoaderAnalysis | null = null;
    try { analysis = analyzeLoader(insns, this.model.loader.data); } catch { analysis = null; }
    const e = k.fdEntry(mapFd);
    const map = e?.type === 'bpf' && e.obj.kind === 'map' ? e.obj : null;
    const obs = (prog: ProgObject) => {
      if (prog.name !== '__loader.prog' || !map || !analysis) return;
      k.runObservers.delete(obs);
      if (analysis.exclCheck) {
        const excl = map.map.exclusive;
        k.emit({ type: 'note', actor: 'loader', what: `excl check: map->excl == ${excl ? 1 : 0}: ${excl ? 'exclusive, continue' : 'not exclusive, return -EINVAL'}`, detail: { check: 'excl', ok: excl } });
      }
      if (analysis.hashCheck) {
        const sha = map.map.object.bytes.subarray(0, 32);
        const ok = sha.every((b, i) => b === analysis!.hashCheck!.embeddedHash[i]);
        const never = sha.every((b) => b === 0);
        k.emit({
          type: 'note', actor: 'loader',
          what: `hash check: map->sha ${ok ? 'matches' : 'does not match'} the embedded H_meta${!ok && never ? ' (map->sha is zero: the hash was never requested)' : ''}: ${ok ? 'metadata authentic, continue' : 'return -EINVAL'}`,
          detail: { check: 'hash', ok },
        });
      }
    };
    k.runObservers.add(obs);
    return () => k.runObservers.delete(obs);
  }

  /** skel_finalize_map_data for each internal map: mmap the map fd over the open region. */
  private finalizeMaps(): number {
    const k = this.kernel;
    for (const r of this.regions) {
      const fd = this.mapFd(this.model.skeleton.maps[r.mapIndex].name);
      const e = k.fdEntry(fd);
      const prot = r.readonly ? 'PROT_READ' : 'PROT_READ|PROT_WRITE';
      if (!e || e.type !== 'bpf' || e.obj.kind !== 'map' || !e.obj.map.valueArea) {
        k.emit({ type: 'mmap', length: r.length, prot, flags: 'MAP_SHARED|MAP_FIXED', fd, ret: -9 });
        return -12; // X__load returns -ENOMEM when skel_finalize_map_data fails
      }
      const obj = e.obj;
      const area = e.obj.map.valueArea;
      if (!r.readonly && obj.frozen) {
        k.emit({ type: 'mmap', length: r.length, prot, flags: 'MAP_SHARED|MAP_FIXED', fd, ret: -1 });
        return -12;
      }
      // The region now shows the map's memory (MAP_FIXED over the anonymous mapping).
      k.user.free(r.buf.addr);
      r.buf = k.user.alias(area.bytes, { readOnly: r.readonly, name: `${r.ident} (map mmap)` });
      r.mmapped = true;
      if (!r.readonly) obj.writecnt++;
      const ptr = this.model.skeleton.dataPointers.find((p) => p.ident === r.ident);
      if (ptr) this.dv.setBigUint64(ptr.offset, r.buf.addr, true);
      k.emit({ type: 'mmap', length: r.length, prot, flags: 'MAP_SHARED|MAP_FIXED', fd, ret: 0 });
    }
    return 0;
  }

  // ------------------------------------------------------------------ after load

  /** The fd the loader stored for a map (`skel->maps.<m>.map_fd`). */
  mapFd(name: string): number {
    const m = this.model.skeleton.maps.find((x) => x.name === name);
    if (!m) throw new Error(`no map '${name}' in ${this.model.objName}`);
    return this.dv.getInt32(m.mapFdOffset, true);
  }

  /** `skel->progs.<p>.prog_fd`. */
  progFd(name: string): number {
    const p = this.model.skeleton.progs.find((x) => x.name === name);
    if (!p) throw new Error(`no program '${name}' in ${this.model.objName}`);
    return this.dv.getInt32(p.progFdOffset, true);
  }

  linkFd(name: string): number {
    const p = this.model.skeleton.progs.find((x) => x.name === name);
    if (!p) throw new Error(`no program '${name}' in ${this.model.objName}`);
    return this.dv.getInt32(p.linkFdOffset, true);
  }

  /** X__attach(): attach every program the generated code can attach; stops at the first error. */
  attach(): number {
    const k = this.kernel;
    for (const p of this.model.skeleton.progs) {
      const progFd = this.progFd(p.name);
      let fd = 0;
      if (p.attach.kind === 'raw_tracepoint_open') {
        const name = p.attach.tracepoint === null ? null : k.user.alloc(new TextEncoder().encode(`${p.attach.tracepoint}\0`), { name: 'tp name' });
        const attr = encodeAttr(RAW_TP_OPEN_ATTR, { name: name ? name.addr : 0n, prog_fd: progFd }, 12);
        fd = k.bpfBytes(BPF_CMD.BPF_RAW_TRACEPOINT_OPEN, attr);
        if (name) k.user.free(name.addr);
      } else if (p.attach.kind === 'link_create') {
        fd = k.bpfBytes(BPF_CMD.BPF_LINK_CREATE, encodeAttr(LINK_CREATE_ATTR, { prog_fd: progFd, target_fd: 0, attach_type: BPF_ATTACH_TYPE.BPF_TRACE_ITER }, 28));
      }
      if (fd > 0) this.dv.setInt32(p.linkFdOffset, fd, true);
      if (fd < 0) return fd;
    }
    return 0;
  }

  /** X__destroy(): links, programs, then maps (munmapping the global data first). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const k = this.kernel;
    const closenz = (fd: number) => { if (fd > 0) k.close(fd); };
    for (const p of this.model.skeleton.progs) closenz(this.linkFd(p.name));
    for (const p of this.model.skeleton.progs) closenz(this.progFd(p.name));
    for (const m of this.model.skeleton.maps) {
      const r = this.regions.find((x) => x.mapIndex === m.index);
      if (r) {
        if (r.mmapped) {
          const e = k.fdEntry(this.mapFd(m.name));
          if (e?.type === 'bpf' && e.obj.kind === 'map' && !r.readonly) e.obj.writecnt = Math.max(0, e.obj.writecnt - 1);
        }
        k.user.free(r.buf.addr);
        k.emit({ type: 'munmap', length: r.length, ret: 0 });
      }
      closenz(this.mapFd(m.name));
    }
    if (this.logBuf) k.user.free(this.logBuf.addr);
    k.user.free(this.skel.addr);
  }
}

