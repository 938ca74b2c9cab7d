/**
 * The interface between the modelled kernel (fd table, ids, bpf() commands, helpers) and the map
 * implementations in this folder.
 *
 * Division of work, as in Linux: the kernel decodes `union bpf_attr`, does the generic checks of
 * map_create (CHECK_ATTR, BTF id pairing, map_extra, file flags, NUMA node, privileges, names, BTF,
 * excl_prog_hash), resolves fds, keeps ids, refcounts and the frozen state, and copies keys and
 * values in and out. A map implements its type's `map_alloc_check` / `map_alloc` rules and the
 * per-type element operations (`struct bpf_map_ops`), with Linux's errnos.
 *
 * Two calling conventions, like Linux's two callers of bpf_map_ops:
 * - syscall side (`lookup`, `update`, `delete`, `getNextKey`): bytes in, bytes out, failures thrown
 *   as {@link KernelError} carrying Linux's errno;
 * - BPF side (`lookupElem`, `updateElem`, `deleteElem`, … called by helpers): never throw; they
 *   return an address (0n = NULL), 0, or a negative errno, like the helpers' return values.
 */
import type { AddressSpace, Region } from '../../interpreter/memory.js';

/** Attributes of BPF_MAP_CREATE, decoded by the kernel. Sizes and flags are the raw u32 values. */
export interface MapCreateAttrs {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** map_flags with BPF_F_TOKEN_FD already cleared (map_create does that before the type checks). */
  readonly mapFlags: number;
  /** attr.numa_node as given; it only counts when BPF_F_NUMA_NODE is set (bpf_map_attr_numa_node). */
  readonly numaNode: number;
  readonly name: string;
  readonly mapExtra: bigint;
  readonly btfFd: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVmlinuxValueTypeId: number;
  /**
   * ARRAY_OF_MAPS / HASH_OF_MAPS: the map behind inner_map_fd, resolved by the kernel after
   * {@link mapAllocCheck} (Linux resolves it inside map_alloc, so alloc_check errors come first;
   * an fd that is not open is EBADF, one that is not a map EINVAL). Ignored by other types; null
   * for a map-in-map type makes createMap fail with EBADF.
   */
  readonly innerMap: BpfMap | null;
}

/** Capabilities that change map_alloc decisions (defaults: root). */
export interface MapCaps {
  /** CAP_PERFMON (bpf_bypass_spec_v1): without it an ARRAY's storage is rounded up to a power of 2. */
  readonly perfmon: boolean;
  /** CAP_SYS_ADMIN: BPF_F_ZERO_SEED needs it (else EPERM). */
  readonly sysAdmin: boolean;
}

/** What a map needs from the kernel. */
export interface MapEnv {
  /** Value areas, element pools, ring data and struct bpf_map objects are mapped here (kernel regions). */
  readonly space: AddressSpace;
  /** num_possible_cpus(): per-CPU maps hold this many copies of each value. */
  readonly nrCpus: number;
  /** raw_smp_processor_id() of the code calling into the map (BPF side and syscall side). */
  currentCpu(): number;
  /** Charge kernel memory; throws KernelError ENOMEM beyond the modelled limit (and charges nothing then). */
  charge(bytes: number): void;
  uncharge(bytes: number): void;
  /** Defaults to {@link ROOT_MAP_CAPS}. */
  readonly caps?: MapCaps;
}

export const ROOT_MAP_CAPS: MapCaps = { perfmon: true, sysAdmin: true };

interface ObjectRefBase {
  /** The object's id (what a syscall lookup on a prog array / map-in-map returns). */
  readonly id: number;
  /** Take a reference: called once when a map slot starts holding the object. */
  retain(): void;
  /** Drop the reference taken by {@link retain}: called when the slot is overwritten, deleted or cleared. */
  release(): void;
}

/** A program stored in a PROG_ARRAY. The fields are those bpf_prog_map_compatible compares. */
export interface ProgRef extends ObjectRefBase {
  readonly kind: 'prog';
  readonly progType: number;
  readonly expectedAttachType: number;
}

/** A map stored in an ARRAY_OF_MAPS / HASH_OF_MAPS. */
export interface MapRef extends ObjectRefBase {
  readonly kind: 'map';
  readonly map: BpfMap;
}

/** Object references held by fd maps; the kernel builds them from the fd it resolved. */
export type ObjectRef = ProgRef | MapRef;

/**
 * What `updateFd` stores: the reference itself, or a function that resolves it. Passing a
 * function reproduces Linux's order of errors exactly: a PROG_ARRAY / ARRAY_OF_MAPS checks the
 * flags and the index before it looks at the fd (bad flags beat a bad fd), a HASH_OF_MAPS resolves
 * the fd first (a bad fd beats a full map). The function throws the kernel's EBADF / EINVAL.
 */
export type ObjectRefSource = ObjectRef | (() => ObjectRef);

/** The part of a map that bpf_map_meta_equal compares (struct bpf_map fields copied by bpf_map_meta_alloc). */
export interface MapMeta {
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
}

/** The part every map type shares. */
export interface BpfMapCommon extends MapMeta {
  readonly name: string;
  readonly numaNode: number;
  readonly mapExtra: bigint;
  readonly btfFd: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVmlinuxValueTypeId: number;
  /** Map-in-map: the inner template (copied at creation, like Linux's inner_map_meta); else null. */
  readonly innerMapMeta: MapMeta | null;
  /**
   * struct bpf_map as BPF sees it through CONST_PTR_TO_MAP (a read-only kernel region):
   * `u8 sha[32]` at 0 ({@link computeHash} fills it), the `excl` flag (u32) at 32.
   */
  readonly object: Region;
  /** ARRAY: the value area (direct value access, ld_imm64 MAP_VALUE, mmap); other types: null. */
  readonly valueArea: Region | null;
  /** BPF_F_MMAPABLE: the value area may be mapped into user space (its length is page-aligned). */
  readonly mmapable: boolean;
  /** bpf_map_value_size: bytes a syscall lookup returns / an update takes (per-CPU: all CPUs; fd maps: 4). */
  readonly syscallValueSize: number;
  /** Whether the value of a syscall update is an fd to resolve (PROG_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS). */
  readonly isFdMap: boolean;
  /** Kernel memory charged for the map right now (map_mem_usage), bytes. */
  readonly memoryUsage: number;
  /** Elements present (hash maps: live elements; arrays: max_entries; fd arrays: occupied slots; ringbuf: 0). */
  readonly count: number;

  /** The exclusive flag at object offset 32 (excl_prog_hash given at creation). */
  readonly exclusive: boolean;
  /** Set the `excl` flag (the kernel calls this when MAP_CREATE had an excl_prog_hash). */
  setExclusive(): void;

  // ---- syscall side: throw KernelError with Linux's errno
  /** BPF_MAP_LOOKUP_ELEM: `syscallValueSize` bytes. `flags` as given (only BPF_F_LOCK is defined; no value here has a spin lock). */
  lookup(key: Uint8Array, flags: bigint): Uint8Array;
  /** BPF_MAP_UPDATE_ELEM with BPF_ANY / BPF_NOEXIST / BPF_EXIST (BPF_F_LOCK: EINVAL, no spin locks). fd maps: use updateFd. */
  update(key: Uint8Array, value: Uint8Array, flags: bigint): void;
  /** BPF_MAP_DELETE_ELEM. */
  delete(key: Uint8Array): void;
  /** fd maps (`isFdMap`): BPF_MAP_UPDATE_ELEM, the value being an fd the kernel resolved (see ObjectRefSource). */
  updateFd?(key: Uint8Array, ref: ObjectRefSource, flags: bigint): void;
  /** fd maps: what a syscall lookup returns, the id of the object in the slot (ENOENT when empty). */
  lookupFdId?(key: Uint8Array): number;
  /** BPF_MAP_GET_NEXT_KEY: null or a missing key gives the first key; after the last, ENOENT. */
  getNextKey(key: Uint8Array | null): Uint8Array;

  // ---- BPF side (helpers): never throw
  /** bpf_map_lookup_elem: value address (per-CPU maps: the current CPU's copy), 0n when absent. */
  lookupElem(key: Uint8Array): bigint;
  /** bpf_map_lookup_percpu_elem: `cpu`'s copy (per-CPU maps only; 0n otherwise or for cpu >= nrCpus). */
  lookupPercpuElem(key: Uint8Array, cpu: number): bigint;
  /** bpf_map_update_elem: 0 or -errno. */
  updateElem(key: Uint8Array, value: Uint8Array, flags: bigint): number;
  /** bpf_map_delete_elem: 0 or -errno. */
  deleteElem(key: Uint8Array): number;

  /**
   * map_get_hash (ARRAY only; every other type: EINVAL): SHA-256 over the value area's
   * round_up(value_size, 8) × max_entries bytes, stored into struct bpf_map's sha[32] and returned.
   */
  computeHash(): Uint8Array;

  /** map_free: unmap every region, uncharge every byte, release every held reference. Idempotent. */
  free(): void;
}

/** BPF_MAP_TYPE_ARRAY. */
export interface ArrayMap extends BpfMapCommon {
  readonly kind: 'array';
  readonly valueArea: Region;
  /** Address of element `index`'s value (no bounds check beyond max_entries: returns 0n). */
  elemAddress(index: number): bigint;
  /**
   * array_map_direct_value_addr (ld_imm64 MAP_VALUE / MAP_IDX_VALUE): the value area's address;
   * the caller adds `off`. max_entries != 1: ENOTSUPP; off >= value_size: EINVAL.
   */
  directValueAddr(off: number): bigint;
}

export interface PercpuArrayMap extends BpfMapCommon {
  readonly kind: 'percpu_array';
}

export interface HashMap extends BpfMapCommon {
  readonly kind: 'hash' | 'percpu_hash';
  /** Live keys, in get_next_key order. */
  keys(): Uint8Array[];
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash types). */
  lookupAndDelete(key: Uint8Array, flags: bigint): Uint8Array;
}

export interface LruHashMap extends BpfMapCommon {
  readonly kind: 'lru_hash' | 'lru_percpu_hash';
  /**
   * Nodes freed at once when a CPU runs out (so: at most this many elements evicted per insert):
   * the common LRU's clamp(max_entries / nr_cpus / 2, 1, 128), or 4 with BPF_F_NO_COMMON_LRU.
   */
  readonly targetFree: number;
  keys(): Uint8Array[];
  lookupAndDelete(key: Uint8Array, flags: bigint): Uint8Array;
}

/** Ring buffer positions as user space sees them through its mmap. */
export interface RingbufPositions {
  readonly consumer: number;
  readonly producer: number;
  /** Oldest position whose record is still reserved (busy) or not yet skipped over. */
  readonly pending: number;
}

export interface RingbufMap extends BpfMapCommon {
  readonly kind: 'ringbuf';
  /** Ring data: `maxEntries` bytes, then a mirror of the start so that wrapping records are contiguous. */
  readonly data: Region;
  /** Page holding consumer_pos (u64 at 0), writable by user space in Linux. */
  readonly consumerPage: Region;
  /** Page holding producer_pos (u64 at 0), read-only for user space. */
  readonly producerPage: Region;
  /** Times the kernel would have woken a waiting consumer (BPF_RB_NO_WAKEUP / BPF_RB_FORCE_WAKEUP). */
  readonly wakeups: number;
  readonly positions: RingbufPositions;
  /** bpf_ringbuf_reserve: address of `size` writable bytes, or 0n (flags != 0, too big, no room). */
  reserve(size: bigint | number, flags: bigint): bigint;
  /** bpf_ringbuf_submit: false when `addr` is not a reserved, uncommitted record of this ring. */
  submit(addr: bigint, flags: bigint): boolean;
  /** bpf_ringbuf_discard. */
  discard(addr: bigint, flags: bigint): boolean;
  /** bpf_ringbuf_output: 0, -EINVAL (bad flags) or -EAGAIN (no room). */
  output(data: Uint8Array, flags: bigint): number;
  /** bpf_ringbuf_query: BPF_RB_AVAIL_DATA / RING_SIZE / CONS_POS / PROD_POS, else 0. */
  query(flags: bigint): bigint;
  /** User-space consumer (ring_buffer__consume): committed records in order, discarded ones skipped; advances consumer_pos. */
  consume(limit?: number): Uint8Array[];
}

export interface ProgArrayMap extends BpfMapCommon {
  readonly kind: 'prog_array';
  /** BPF_MAP_UPDATE_ELEM with a prog fd (flags must be BPF_ANY). */
  updateFd(key: Uint8Array, ref: ObjectRefSource, flags: bigint): void;
  /** Syscall lookup: the id of the program in the slot (ENOENT when empty). */
  lookupFdId(key: Uint8Array): number;
  /** The tail-call target at `index` (bpf_tail_call), or null. */
  progAt(index: number): ProgRef | null;
  /**
   * bpf_prog_map_compatible: the first program to use the map (insertion or a program load that
   * references it) becomes its owner; later ones must match the owner's type and attach type.
   */
  progCompatible(prog: Pick<ProgRef, 'progType' | 'expectedAttachType'>): boolean;
  /** map_release_uref (prog_array_map_clear): the last user reference is gone, empty every slot. */
  releaseUref(): void;
}

export interface MapInMap extends BpfMapCommon {
  readonly kind: 'array_of_maps' | 'hash_of_maps';
  readonly innerMapMeta: MapMeta;
  /** BPF_MAP_UPDATE_ELEM with a map fd: the map must match the template (bpf_map_meta_equal). */
  updateFd(key: Uint8Array, ref: ObjectRefSource, flags: bigint): void;
  /** Syscall lookup: the id of the inner map (ENOENT when empty). */
  lookupFdId(key: Uint8Array): number;
  /** The inner map stored at `key`, or null. */
  innerMapAt(key: Uint8Array): BpfMap | null;
}

/** Every modelled map; switch on `kind`. */
export type BpfMap =
  | ArrayMap | PercpuArrayMap | HashMap | LruHashMap | RingbufMap | ProgArrayMap | MapInMap;

export type BpfMapKind = BpfMap['kind'];

/** The map interface of a kind (HashMap for 'hash' and for 'percpu_hash', …). */
export type MapOfKind<K extends BpfMapKind> = BpfMap extends infer M
  ? M extends BpfMap ? (K extends M['kind'] ? M : never) : never
  : never;
