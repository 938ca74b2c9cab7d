/**
 * BPF_MAP_CREATE attribute cases and the errno Linux 6.18 gave for each, observed on the 6.18 VM
 * with oracle/bpf-map-oracle.c (2 possible CPUs, 24 GiB RAM, root). create.test.ts checks bpfsim
 * against this table; oracle.test.ts re-runs the table against the live kernel when it can.
 * 0 = created.
 */
import { BPF_MAP_TYPE as T } from '../../../src/kernel/uapi.js';

export interface CreateCase {
  readonly what: string;
  readonly type: number;
  readonly key: number;
  readonly value: number;
  readonly max: number;
  readonly flags: number;
  readonly errno: number;
}

const c = (what: string, type: number, key: number, value: number, max: number, flags: number, errno: number): CreateCase =>
  ({ what, type, key, value, max, flags, errno });

const EINVAL = 22, E2BIG = 7, ENOTSUPP = 524;

export const CREATE_CASES: readonly CreateCase[] = [
  c('array: max_entries 0', T.BPF_MAP_TYPE_ARRAY, 4, 4, 0, 0, EINVAL),
  c('array: key_size 8', T.BPF_MAP_TYPE_ARRAY, 8, 4, 1, 0, EINVAL),
  c('array: value_size 0', T.BPF_MAP_TYPE_ARRAY, 4, 0, 1, 0, EINVAL),
  c('array: BPF_F_NO_PREALLOC', T.BPF_MAP_TYPE_ARRAY, 4, 4, 1, 1, EINVAL),
  c('array: RDONLY_PROG|WRONLY_PROG', T.BPF_MAP_TYPE_ARRAY, 4, 4, 1, 384, EINVAL),
  c('array: BPF_F_RDONLY_PROG', T.BPF_MAP_TYPE_ARRAY, 4, 4, 1, 128, 0),
  c('array: BPF_F_MMAPABLE', T.BPF_MAP_TYPE_ARRAY, 4, 4, 1, 1024, 0),
  c('array: BPF_F_INNER_MAP', T.BPF_MAP_TYPE_ARRAY, 4, 4, 1, 4096, 0),
  c('array: BPF_F_PRESERVE_ELEMS', T.BPF_MAP_TYPE_ARRAY, 4, 4, 1, 2048, EINVAL),
  c('array: BPF_F_ZERO_SEED', T.BPF_MAP_TYPE_ARRAY, 4, 4, 1, 64, EINVAL),
  c('array: BPF_F_NUMA_NODE (node 0)', T.BPF_MAP_TYPE_ARRAY, 4, 4, 1, 4, 0),
  c('array: value_size 2^31', T.BPF_MAP_TYPE_ARRAY, 4, 2 ** 31, 1, 0, E2BIG),
  c('array: max_entries 2^32-1', T.BPF_MAP_TYPE_ARRAY, 4, 4, 0xffffffff, 0, 12),
  c('array: 100 values of 1 GiB', T.BPF_MAP_TYPE_ARRAY, 4, 2 ** 30, 100, 0, 12),
  c('array: 100 values of 512 MiB', T.BPF_MAP_TYPE_ARRAY, 4, 2 ** 29, 100, 0, 12),
  c('percpu array: value_size 32768', T.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32768, 1, 0, 0),
  c('percpu array: value_size 32769', T.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32769, 1, 0, E2BIG),
  c('percpu array: BPF_F_MMAPABLE', T.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 1, 1024, EINVAL),
  c('percpu array: BPF_F_NUMA_NODE', T.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 1, 4, EINVAL),
  c('hash: max_entries 0', T.BPF_MAP_TYPE_HASH, 4, 4, 0, 0, EINVAL),
  c('hash: key_size 0', T.BPF_MAP_TYPE_HASH, 0, 4, 1, 0, EINVAL),
  c('hash: value_size 0', T.BPF_MAP_TYPE_HASH, 4, 0, 1, 0, EINVAL),
  c('hash: BPF_F_NO_COMMON_LRU', T.BPF_MAP_TYPE_HASH, 4, 4, 1, 2, EINVAL),
  c('hash: BPF_F_NUMA_NODE', T.BPF_MAP_TYPE_HASH, 4, 4, 1, 4, 0),
  c('hash: key_size 600', T.BPF_MAP_TYPE_HASH, 600, 4, 1, 0, 0),
  c('hash: key+value = KMALLOC_MAX_SIZE - 48', T.BPF_MAP_TYPE_HASH, 4, 4194252, 1, 0, E2BIG),
  c('hash: key+value = KMALLOC_MAX_SIZE - 49', T.BPF_MAP_TYPE_HASH, 4, 4194251, 1, 0, 0),
  c('hash: max_entries 2^31+1', T.BPF_MAP_TYPE_HASH, 4, 4, 2 ** 31 + 1, 0, E2BIG),
  c('hash: max_entries 2^31', T.BPF_MAP_TYPE_HASH, 4, 4, 2 ** 31, 0, E2BIG),
  c('hash: max_entries 2^28+1', T.BPF_MAP_TYPE_HASH, 4, 4, 2 ** 28 + 1, 0, E2BIG),
  c('hash: max_entries 2^28, no prealloc', T.BPF_MAP_TYPE_HASH, 4, 4, 2 ** 28, 1, E2BIG),
  c('hash: max_entries 2^27+1, no prealloc', T.BPF_MAP_TYPE_HASH, 4, 4, 2 ** 27 + 1, 1, E2BIG),
  c('hash: BPF_F_MMAPABLE', T.BPF_MAP_TYPE_HASH, 4, 4, 1, 1024, EINVAL),
  c('hash: BPF_F_INNER_MAP', T.BPF_MAP_TYPE_HASH, 4, 4, 1, 4096, EINVAL),
  c('hash: RDONLY_PROG|WRONLY_PROG', T.BPF_MAP_TYPE_HASH, 4, 4, 1, 384, EINVAL),
  c('percpu hash: BPF_F_NUMA_NODE', T.BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 1, 4, EINVAL),
  c('percpu hash: value_size 32768', T.BPF_MAP_TYPE_PERCPU_HASH, 4, 32768, 1, 0, 0),
  c('percpu hash: value_size 32769', T.BPF_MAP_TYPE_PERCPU_HASH, 4, 32769, 1, 0, E2BIG),
  c('lru: BPF_F_NO_PREALLOC', T.BPF_MAP_TYPE_LRU_HASH, 4, 4, 1, 1, ENOTSUPP),
  c('lru: no prealloc and max_entries 0', T.BPF_MAP_TYPE_LRU_HASH, 4, 4, 0, 1, ENOTSUPP),
  c('lru: BPF_F_NO_COMMON_LRU', T.BPF_MAP_TYPE_LRU_HASH, 4, 4, 1, 2, 0),
  c('lru: NO_COMMON_LRU|NUMA_NODE', T.BPF_MAP_TYPE_LRU_HASH, 4, 4, 1, 6, EINVAL),
  c('lru: NO_COMMON_LRU|NO_PREALLOC|MMAPABLE', T.BPF_MAP_TYPE_LRU_HASH, 4, 4, 1, 1030, EINVAL),
  c('lru percpu: NO_COMMON_LRU', T.BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 3, 2, 0),
  c('lru percpu: NO_COMMON_LRU|NUMA_NODE', T.BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 1, 6, EINVAL),
  c('ringbuf: 4096', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0),
  c('ringbuf: 8192', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 8192, 0, 0),
  c('ringbuf: 4095', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 4095, 0, EINVAL),
  c('ringbuf: 12288 (not a power of 2)', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 12288, 0, EINVAL),
  c('ringbuf: 2048 (below a page)', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 2048, 0, EINVAL),
  c('ringbuf: 0', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 0, EINVAL),
  c('ringbuf: key_size 4', T.BPF_MAP_TYPE_RINGBUF, 4, 0, 4096, 0, EINVAL),
  c('ringbuf: value_size 4', T.BPF_MAP_TYPE_RINGBUF, 0, 4, 4096, 0, EINVAL),
  c('ringbuf: BPF_F_NO_PREALLOC', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 1, EINVAL),
  c('ringbuf: BPF_F_NUMA_NODE', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 4, 0),
  c('ringbuf: BPF_F_MMAPABLE', T.BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 1024, EINVAL),
  c('prog array: value_size 8', T.BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 1, 0, EINVAL),
  c('prog array: BPF_F_RDONLY_PROG', T.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1, 128, EINVAL),
  c('prog array: BPF_F_MMAPABLE', T.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1, 1024, EINVAL),
  c('prog array: max_entries 0', T.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 0, 0, EINVAL),
  c('prog array: key_size 8', T.BPF_MAP_TYPE_PROG_ARRAY, 8, 4, 1, 0, EINVAL),
  c('prog array: ok', T.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, 0),
  c('map type 0', 0, 4, 4, 1, 0, EINVAL),
  c('map type 100', 100, 4, 4, 1, 0, EINVAL),
];
