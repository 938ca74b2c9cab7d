/**
 * A typed convenience layer over the byte-level `Kernel.bpf()`: each call builds the attr in the
 * process's user memory, issues the command exactly like libbpf's thin wrappers (bpf.c) do, and
 * either returns the result or throws a {@link KernelError} carrying Linux's errno. Everything
 * goes through the same __sys_bpf path, so the trace and LSM hooks see these calls as syscalls.
 */
import { KernelError } from '../errno.js';
import type { Program } from '../isa/program.js';
import { encode } from '../isa/program.js';
import {
  BTF_LOAD_ATTR, encodeAttr, MAP_CREATE_ATTR, MAP_ELEM_ATTR, MAP_FREEZE_ATTR, OBJ_INFO_ATTR, PROG_LOAD_ATTR, TEST_RUN_ATTR,
  offsetofend,
} from './attr.js';
import type { Kernel } from './kernel.js';
import { logLinesOf } from './log-text.js';
import { BPF_CMD } from './uapi.js';
import type { UserBuffer } from './user-memory.js';

export interface MapCreateOptions {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly name?: string;
  readonly innerMapFd?: number;
  readonly btfFd?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  readonly mapExtra?: bigint;
  readonly exclProgHash?: Uint8Array;
}

export interface ProgLoadOptions {
  readonly type: number;
  readonly insns: Program | Uint8Array;
  readonly license?: string;
  readonly name?: string;
  readonly flags?: number;
  readonly expectedAttachType?: number;
  readonly attachBtfId?: number;
  readonly logLevel?: number;
  readonly logSize?: number;
  readonly fdArray?: readonly number[];
  readonly fdArrayCnt?: number;
  readonly signature?: Uint8Array;
  readonly keyringId?: number;
  readonly progBtfFd?: number;
}

export interface ProgLoadResult {
  readonly fd: number;
  /** The verifier log (when a log level was requested), as lines. */
  readonly log: string[];
}

export interface TestRunOptions {
  readonly data?: Uint8Array;
  readonly dataSizeOut?: number;
  readonly ctx?: Uint8Array;
  readonly ctxSizeOut?: number;
  readonly repeat?: number;
  readonly flags?: number;
}

export interface TestRunResult {
  readonly retval: number;
  readonly dataOut: Uint8Array | null;
  /** SYSCALL programs: the ctx after the run (copied back into ctx_in); others: ctx_out. */
  readonly ctxOut: Uint8Array | null;
  readonly duration: number;
}

/** Thin typed wrappers around bpf(2) for one kernel. */
export class BpfApi {
  constructor(readonly kernel: Kernel) {}

  private temp<T>(fn: (alloc: (b: Uint8Array | number) => UserBuffer) => T): T {
    const bufs: UserBuffer[] = [];
    try {
      return fn((b) => {
        const u = this.kernel.user.alloc(b);
        bufs.push(u);
        return u;
      });
    } finally {
      for (const b of bufs) this.kernel.user.free(b.addr);
    }
  }

  private check(ret: number, what: string): number {
    if (ret < 0) throw new KernelError(-ret, `${what} failed`);
    return ret;
  }

  mapCreate(o: MapCreateOptions): number {
    return this.temp((alloc) => {
      const excl = o.exclProgHash ? alloc(o.exclProgHash) : null;
      const attr = encodeAttr(MAP_CREATE_ATTR, {
        map_type: o.type, key_size: o.keySize, value_size: o.valueSize, max_entries: o.maxEntries,
        map_flags: o.flags ?? 0, map_name: o.name ?? '', inner_map_fd: o.innerMapFd ?? 0, btf_fd: o.btfFd ?? 0,
        btf_key_type_id: o.btfKeyTypeId ?? 0, btf_value_type_id: o.btfValueTypeId ?? 0, map_extra: o.mapExtra ?? 0n,
        ...(excl ? { excl_prog_hash: excl.addr, excl_prog_hash_size: o.exclProgHash!.length } : {}),
      }, offsetofend(MAP_CREATE_ATTR, 'excl_prog_hash_size'));
      return this.check(this.kernel.bpfBytes(BPF_CMD.BPF_MAP_CREATE, attr), 'BPF_MAP_CREATE');
    });
  }

  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags = 0n): void {
    this.temp((alloc) => this.check(this.kernel.bpfBytes(BPF_CMD.BPF_MAP_UPDATE_ELEM, encodeAttr(MAP_ELEM_ATTR, {
      map_fd: fd, key: key.length ? alloc(key).addr : 0n, value: alloc(value).addr, flags,
    }, 32)), 'BPF_MAP_UPDATE_ELEM'));
  }

  /** The value for `key`; `size` is the syscall value size (per-CPU maps: all CPUs). */
  mapLookup(fd: number, key: Uint8Array, size: number): Uint8Array {
    return this.temp((alloc) => {
      const v = alloc(size);
      this.check(this.kernel.bpfBytes(BPF_CMD.BPF_MAP_LOOKUP_ELEM, encodeAttr(MAP_ELEM_ATTR, {
        map_fd: fd, key: key.length ? alloc(key).addr : 0n, value: v.addr,
      }, 32)), 'BPF_MAP_LOOKUP_ELEM');
      return v.bytes.slice();
    });
  }

  mapDelete(fd: number, key: Uint8Array): void {
    this.temp((alloc) => this.check(this.kernel.bpfBytes(BPF_CMD.BPF_MAP_DELETE_ELEM, encodeAttr(MAP_ELEM_ATTR, {
      map_fd: fd, key: alloc(key).addr,
    }, 16)), 'BPF_MAP_DELETE_ELEM'));
  }

  /** The key after `key` (or the first for null); null at the end (ENOENT). */
  mapNextKey(fd: number, key: Uint8Array | null, keySize: number): Uint8Array | null {
    return this.temp((alloc) => {
      const next = alloc(keySize);
      const ret = this.kernel.bpfBytes(BPF_CMD.BPF_MAP_GET_NEXT_KEY, encodeAttr(MAP_ELEM_ATTR, {
        map_fd: fd, key: key ? alloc(key).addr : 0n, value: next.addr,
      }, 24));
      if (ret === -2) return null;
      this.check(ret, 'BPF_MAP_GET_NEXT_KEY');
      return next.bytes.slice();
    });
  }

  mapFreeze(fd: number): void {
    this.check(this.kernel.bpfBytes(BPF_CMD.BPF_MAP_FREEZE, encodeAttr(MAP_FREEZE_ATTR, { map_fd: fd }, 4)), 'BPF_MAP_FREEZE');
  }

  /** BPF_OBJ_GET_INFO_BY_FD for a map with a hash request: the map's SHA-256 (signing.md §2.2 step 6). */
  mapHash(fd: number): Uint8Array {
    return this.temp((alloc) => {
      const sha = alloc(32);
      const info = alloc(encodeAttr({ hash: [88, 'ptr'], hash_size: [96, 'u32'] } as const, { hash: sha.addr, hash_size: 32 }, 104));
      this.check(this.kernel.bpfBytes(BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, encodeAttr(OBJ_INFO_ATTR, { bpf_fd: fd, info_len: 104, info: info.addr }, 16)), 'BPF_OBJ_GET_INFO_BY_FD');
      return sha.bytes.slice();
    });
  }

  btfLoad(btf: Uint8Array, logLevel = 0, logSize = 1 << 16): { fd: number; log: string[] } {
    return this.temp((alloc) => {
      const data = alloc(btf);
      const log = logLevel ? alloc(logSize) : null;
      const ret = this.kernel.bpfBytes(BPF_CMD.BPF_BTF_LOAD, encodeAttr(BTF_LOAD_ATTR, {
        btf: data.addr, btf_size: btf.length, btf_log_level: logLevel, ...(log ? { btf_log_buf: log.addr, btf_log_size: logSize } : {}),
      }, offsetofend(BTF_LOAD_ATTR, 'btf_token_fd')));
      const lines = log ? logLinesOf(log.bytes) : [];
      if (ret < 0) throw new KernelError(-ret, `BPF_BTF_LOAD failed${lines.length ? `: ${lines.at(-1)}` : ''}`);
      return { fd: ret, log: lines };
    });
  }

  /** BPF_PROG_LOAD; on failure the thrown KernelError's message is the verifier's last log line. */
  progLoad(o: ProgLoadOptions): ProgLoadResult {
    const bytes = o.insns instanceof Uint8Array ? o.insns : encode(o.insns);
    return this.temp((alloc) => {
      const insns = alloc(bytes);
      const license = alloc(new TextEncoder().encode(`${o.license ?? 'GPL'}\0`));
      const logLevel = o.logLevel ?? 1;
      const logSize = o.logSize ?? 1 << 20;
      const log = logLevel ? alloc(logSize) : null;
      const fdArray = o.fdArray ? alloc(Uint8Array.from(o.fdArray.flatMap((fd) => [fd & 0xff, (fd >> 8) & 0xff, (fd >> 16) & 0xff, (fd >>> 24) & 0xff]))) : null;
      const sig = o.signature ? alloc(o.signature) : null;
      const ret = this.kernel.bpfBytes(BPF_CMD.BPF_PROG_LOAD, encodeAttr(PROG_LOAD_ATTR, {
        prog_type: o.type, insn_cnt: bytes.length / 8, insns: insns.addr, license: license.addr,
        log_level: logLevel, log_size: log ? logSize : 0, log_buf: log ? log.addr : 0n, prog_flags: o.flags ?? 0,
        prog_name: o.name ?? '', expected_attach_type: o.expectedAttachType ?? 0, attach_btf_id: o.attachBtfId ?? 0,
        prog_btf_fd: o.progBtfFd ?? 0, fd_array: fdArray ? fdArray.addr : 0n, fd_array_cnt: o.fdArrayCnt ?? 0,
        ...(sig ? { signature: sig.addr, signature_size: o.signature!.length, keyring_id: o.keyringId ?? 0 } : {}),
      }, offsetofend(PROG_LOAD_ATTR, 'keyring_id')));
      const lines = log ? logLinesOf(log.bytes) : [];
      if (ret < 0) {
        const last = lines.filter((l) => !l.startsWith('processed ')).at(-1);
        throw new KernelError(-ret, last ?? 'BPF_PROG_LOAD failed');
      }
      return { fd: ret, log: lines };
    });
  }

  testRun(fd: number, o: TestRunOptions = {}): TestRunResult {
    return this.temp((alloc) => {
      const data = o.data ? alloc(o.data) : null;
      const dataOutSize = o.dataSizeOut ?? (o.data ? o.data.length + 256 : 0);
      const dataOut = o.data ? alloc(dataOutSize) : null;
      const ctx = o.ctx ? alloc(o.ctx) : null;
      const ctxOut = o.ctxSizeOut ? alloc(o.ctxSizeOut) : null;
      const attr = encodeAttr(TEST_RUN_ATTR, {
        prog_fd: fd, ...(data ? { data_in: data.addr, data_size_in: o.data!.length, data_out: dataOut!.addr, data_size_out: dataOutSize } : {}),
        ...(ctx ? { ctx_in: ctx.addr, ctx_size_in: o.ctx!.length } : {}),
        ...(ctxOut ? { ctx_out: ctxOut.addr, ctx_size_out: o.ctxSizeOut } : {}),
        repeat: o.repeat ?? 0, flags: o.flags ?? 0,
      }, 80);
      this.check(this.kernel.bpfBytes(BPF_CMD.BPF_PROG_TEST_RUN, attr), 'BPF_PROG_TEST_RUN');
      const dv = new DataView(attr.buffer);
      const outLen = dv.getUint32(12, true);
      return {
        retval: dv.getUint32(4, true),
        dataOut: dataOut ? dataOut.bytes.slice(0, Math.min(outLen, dataOutSize)) : null,
        ctxOut: ctxOut ? ctxOut.bytes.slice(0, dv.getUint32(44, true)) : ctx ? ctx.bytes.slice() : null,
        duration: dv.getUint32(36, true),
      };
    });
  }

  close(fd: number): void {
    this.check(this.kernel.close(fd), 'close');
  }
}
