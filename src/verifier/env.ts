/**
 * What the verifier needs from the kernel, as plain data and callbacks, and what it returns.
 * The kernel model adapts its objects to these types; the verifier imports nothing from the kernel
 * (data flows kernel -> verifier).
 */
import type { Program } from '../isa/program.js';
import type { VLogWindow } from './log.js';

/** A BPF map as the verifier sees it (Linux struct bpf_map, the fields bpf_check reads). */
export interface MapDescriptor {
  /** Map id (also used to print and order maps). */
  readonly id: number;
  /** BPF_MAP_TYPE_* number. */
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
  readonly name: string;
  /** excl_prog_sha: the SHA-256 a program's digest must equal to use this map (signing.md §4.10). */
  readonly exclProgSha: Uint8Array | null;
  readonly frozen: boolean;
  /** Template of the inner maps of an ARRAY_OF_MAPS / HASH_OF_MAPS. */
  readonly innerMap: MapDescriptor | null;
  /**
   * Simulated kernel address of the map object (what MAP_FD / MAP_IDX ld_imm64s become). The value
   * area of a direct-value map (ARRAY with one entry) is at `valueAddress`.
   */
  readonly address?: bigint;
  readonly valueAddress?: bigint;
  /**
   * Contents of a read-only map (BPF_F_RDONLY_PROG and frozen), so that loads from it become known
   * constants as in Linux (bpf_map_direct_read). Absent: loads are unknown scalars.
   */
  readonly readOnlyValue?: Uint8Array;
}

/** A kfunc's prototype, for BPF_PSEUDO_KFUNC_CALL (the subset bpfsim models). */
export interface KfuncProto {
  readonly name: string;
  /** Number of arguments (r1..rN); each is checked readable and must be a scalar. */
  readonly nargs: number;
  /** Return value: nothing, or an unknown scalar. */
  readonly ret: 'void' | 'scalar';
  /** RCU read-side critical section markers (bpf_rcu_read_lock / bpf_rcu_read_unlock). */
  readonly rcu?: 'lock' | 'unlock';
  readonly sleepable?: boolean;
}

export interface Capabilities {
  /** CAP_BPF (or CAP_SYS_ADMIN): loops, more program types, bounded complexity for privileged loads. */
  readonly bpf: boolean;
  /** CAP_PERFMON: pointer leaks, uninitialised stack reads, no Spectre sanitation (bpfsim models none). */
  readonly perfmon: boolean;
  readonly sysAdmin: boolean;
  readonly netAdmin: boolean;
}

export const ROOT_CAPS: Capabilities = { bpf: true, perfmon: true, sysAdmin: true, netAdmin: true };

export interface VerifyRequest {
  /** The program as submitted (pseudo ld_imm64 immediates not yet resolved). */
  readonly program: Program;
  readonly progType: number;
  readonly expectedAttachType?: number;
  readonly progFlags?: number;
  readonly attachBtfId?: number;
  /**
   * The load carries func_info or line_info (BTF for its subprograms). Without it Linux refuses
   * LD_ABS and tail calls outside the main program (check_abnormal_return). Default false.
   */
  readonly hasBtfInfo?: boolean;
  /** GPL-compatible license (default true): GPL-only helpers need it. */
  readonly gplCompatible?: boolean;
  readonly caps?: Capabilities;
  /** 0 (no log), 1, 2 (per-instruction states); bit 4 (BPF_LOG_STATS) adds the stats lines. */
  readonly logLevel?: number;
  /**
   * Size of the log buffer (bytes, with the NUL): a log that outgrows it at any point makes the
   * load fail with ENOSPC and leaves its last logSize - 1 bytes (the first, with BPF_LOG_FIXED in
   * logLevel), as Linux does. Without it the whole log is returned, up to MAX_LOG_CHARS (its end).
   */
  readonly logSize?: number;
  /**
   * Keep only this part of the log, without turning an overflow into ENOSPC (the kernel model
   * applies the buffer rules itself, from {@link VerifyResult.logTrueSize}).
   */
  readonly logWindow?: VLogWindow;
  /** The map behind an fd (MAP_FD / MAP_VALUE ld_imm64s and fd_array entries). */
  resolveMapFd(fd: number): MapDescriptor | { errno: number; message?: string };
  /** attr.fd_array: read(index) gives the fd stored there, or null when the read faults (EFAULT). */
  readonly fdArray?: { read(index: number): number | null } | null;
  /** attr.fd_array_cnt: when > 0 every listed map is bound to the program before verification. */
  readonly fdArrayCnt?: number;
  /** kfunc prototypes by BTF id (calls with src_reg = BPF_PSEUDO_KFUNC_CALL). */
  kfuncs?(btfId: number): KfuncProto | null;
  /** nr_cpu_ids for bpf_get_smp_processor_id's range (default 2: the reference VM). */
  readonly nrCpuIds?: number;
  /** Hard limit on processed instructions (default BPF_COMPLEXITY_LIMIT_INSNS = 1,000,000). */
  readonly insnLimit?: number;
}

export interface VerifyStats {
  readonly processedInsns: number;
  readonly totalStates: number;
  readonly peakStates: number;
  readonly maxStatesPerInsn: number;
  readonly markRead: number;
  /** Stack depth of each subprogram (bytes, multiple of 8). */
  readonly stackDepth: number[];
  readonly durationNs: number;
}

export interface LdImm64Patch {
  /** Slot of the first half of the ld_imm64. */
  readonly slot: number;
  readonly kind: 'map' | 'map_value';
  readonly map: MapDescriptor;
  /** Offset into the value for 'map_value'. */
  readonly offset: number;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** 0 on success, else the positive errno (EACCES, EINVAL, E2BIG, ...). */
  readonly errno: number;
  /** The verifier log as Linux writes it for the requested log level (rotated to logSize). */
  readonly log: string;
  /** log_true_size: the bytes the whole log needed, with the NUL (0 without a log). */
  readonly logTrueSize: number;
  /** How many bytes at the start of the log were dropped to keep its end (0 when none). */
  readonly logDropped: number;
  readonly stats: VerifyStats;
  /** Highest ctx byte accessed + 1 (prog->aux->max_ctx_offset). */
  readonly maxCtxOffset: number;
  /** Maps the program uses, in Linux's used_maps order. */
  readonly usedMaps: MapDescriptor[];
  /** The pseudo ld_imm64s to patch with map / map value addresses. */
  readonly ldImm64: LdImm64Patch[];
  /**
   * Context loads that yield packet pointers (data, data_meta, data_end), which the runtime must
   * rewrite into loads of the real pointers as Linux's convert_ctx_accesses does: the context
   * structures hold them as 32-bit fields.
   */
  readonly ctxPointerLoads: ReadonlyArray<{ readonly slot: number; readonly field: 'pkt' | 'pkt_meta' | 'pkt_end' }>;
  /** prog->digest: SHA-256 over the instructions with MAP_FD/MAP_VALUE immediates zeroed. */
  readonly digest: Uint8Array;
  /** Instructions after the verifier's rewrites (bpfsim does not rewrite: equals the input). */
  readonly xlatedInsnCnt?: number;
}
