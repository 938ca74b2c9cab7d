/**
 * Linux-internal sizes and limits the map types check against (x86-64, 4 KiB pages, SLUB), and the
 * ring buffer's UAPI numbers (include/uapi/linux/bpf.h) that uapi.ts does not hold yet.
 *
 * The limits were checked against the 6.18 VM with test/kernel/maps/oracle (e.g. a HASH with
 * key_size 4 accepts value_size 4194251 and rejects 4194252 with E2BIG, so KMALLOC_MAX_SIZE is
 * 4 MiB and sizeof(struct htab_elem) is 48).
 */

export const PAGE_SIZE = 4096;
/** KMALLOC_MAX_SIZE = 1 << (MAX_PAGE_ORDER + PAGE_SHIFT) = 4 MiB. */
export const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value (after round_up(value_size, 8)). */
export const PCPU_MIN_UNIT_SIZE = 32 * 1024;
export const INT_MAX = 0x7fffffff;
export const U32_MAX = 0xffffffff;
/** NUMA_NO_NODE. */
export const NUMA_NO_NODE = -1;

/** sizeof(struct htab_elem) without the key and value (hash node, LRU node, hash). */
export const HTAB_ELEM_SIZE = 48;
/** sizeof(struct bucket) (hlist_nulls_head + rqspinlock). */
export const HTAB_BUCKET_SIZE = 16;
/**
 * Memory accounting only (never visible as an errno boundary): approximate sizes of the
 * containing structs (struct bpf_array, struct bpf_htab, struct bpf_ringbuf_map).
 */
export const BPF_ARRAY_STRUCT_SIZE = 384;
export const BPF_HTAB_STRUCT_SIZE = 640;
export const BPF_MAP_STRUCT_SIZE = 256;

/** The bytes of the simulated struct bpf_map object region (sha[32], excl). */
export const MAP_OBJECT_SIZE = 64;
export const MAP_OBJECT_SHA_OFFSET = 0;
export const MAP_OBJECT_EXCL_OFFSET = 32;
export const SHA256_SIZE = 32;

// ---- ring buffer (kernel/bpf/ringbuf.c, include/uapi/linux/bpf.h)
/** Record header: u32 len (with the two flag bits), u32 pg_off. */
export const BPF_RINGBUF_HDR_SZ = 8;
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
/** RINGBUF_MAX_RECORD_SZ = UINT_MAX / 4. */
export const RINGBUF_MAX_RECORD_SZ = Math.floor(U32_MAX / 4);
/** Pages of struct bpf_ringbuf before the data (RINGBUF_PGOFF + RINGBUF_POS_PAGES): what pg_off counts from. */
export const RINGBUF_NR_META_PAGES = 3;
/** bpf_ringbuf_submit / output flags. */
export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
/** bpf_ringbuf_query flags. */
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;

// ---- LRU (kernel/bpf/bpf_lru_list.c)
/** LOCAL_FREE_TARGET: upper bound of the common LRU's target_free, and LOCAL_NR_SCANS. */
export const LOCAL_FREE_TARGET = 128;
export const LOCAL_NR_SCANS = LOCAL_FREE_TARGET;
/** PERCPU_FREE_TARGET: nodes a per-CPU LRU list frees at once when it runs out. */
export const PERCPU_FREE_TARGET = 4;
/** PERCPU_NR_SCANS: nodes a per-CPU LRU list scans per rotation or shrink. */
export const PERCPU_NR_SCANS = PERCPU_FREE_TARGET;

/**
 * bpfsim limit: the largest single region a map maps (an address's low word is the offset, so a
 * region stays below 4 GiB). Bigger requests fail with ENOMEM, as an allocation failure would.
 */
export const MAX_MAP_REGION_BYTES = 0xffff_f000;
/** bpfsim: element pools are split into regions of at most this many bytes. */
export const POOL_CHUNK_BYTES = 256 * 1024 * 1024;
