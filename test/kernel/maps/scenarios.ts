/**
 * Scripted fd-map scenarios (PROG_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS) with the result Linux 6.18
 * gave for every step on the 6.18 VM (0 = success). fd-maps.test.ts checks bpfsim against these
 * expectations; oracle.test.ts re-runs the scripts against the live kernel when it can.
 * fds follow Linux's numbering: 3 is the first object.
 */
import { BPF_MAP_TYPE as T } from '../../../src/kernel/uapi.js';
import type { Op } from './script.js';

export interface Scenario {
  readonly name: string;
  readonly ops: Op[];
  /** Per op: 0 for success, else the errno. */
  readonly expect: number[];
}

const k = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

class Builder {
  readonly ops: Op[] = [];
  readonly expect: number[] = [];
  private add(o: Op, e: number): this {
    this.ops.push(o);
    this.expect.push(e);
    return this;
  }
  create(e: number, type: number, key: number, value: number, max: number, flags = 0, inner = 0, excl = false): this {
    return this.add({ op: 'create', type, key, value, max, flags, inner, excl }, e);
  }
  updfd(e: number, fd: number, key: number, target: number, flags = 0n): this {
    return this.add({ op: 'updfd', fd, key: k(key), target, flags }, e);
  }
  lookup(e: number, fd: number, key: number): this {
    return this.add({ op: 'lookup', fd, key: k(key), flags: 0n, len: 4, ids: true }, e);
  }
  delete(e: number, fd: number, key: number): this {
    return this.add({ op: 'delete', fd, key: k(key) }, e);
  }
  next(e: number, fd: number, key: number | null): this {
    return this.add({ op: 'next', fd, key: key === null ? null : k(key), len: 4 }, e);
  }
  keys(e: number, fd: number): this {
    return this.add({ op: 'keys', fd, len: 4 }, e);
  }
  prog(e: number, type: number, eat: number): this {
    return this.add({ op: 'prog', type, eat }, e);
  }
}

const EBADF = 9, EINVAL = 22, E2BIG = 7, ENOENT = 2, EEXIST = 17, ENOTSUPP = 524;
const { BPF_MAP_TYPE_ARRAY: ARRAY, BPF_MAP_TYPE_HASH: HASH, BPF_MAP_TYPE_ARRAY_OF_MAPS: AOM,
  BPF_MAP_TYPE_HASH_OF_MAPS: HOM, BPF_MAP_TYPE_PROG_ARRAY: PROG_ARRAY, BPF_MAP_TYPE_RINGBUF: RINGBUF,
  BPF_MAP_TYPE_PERCPU_ARRAY: PERCPU_ARRAY } = T;

const aom = new Builder()
  .create(0, ARRAY, 4, 4, 1) // 3
  .create(0, ARRAY, 4, 4, 1, 0, 0, true) // 4: exclusive
  .create(0, AOM, 4, 4, 2, 0, 3) // 5
  .create(ENOTSUPP, AOM, 4, 4, 2, 0, 4) // exclusive template
  .create(EBADF, AOM, 4, 4, 2, 0, 99)
  .create(EINVAL, AOM, 4, 4, 2, 0, 0) // stdin is not a map
  .create(EINVAL, AOM, 4, 8, 2, 0, 3)
  .create(EINVAL, AOM, 4, 4, 2, 1024, 3)
  .create(EINVAL, AOM, 4, 4, 2, 128, 3)
  .create(EINVAL, AOM, 4, 4, 2, 4096, 3)
  .create(0, ARRAY, 4, 4, 1) // 6
  .create(0, ARRAY, 4, 4, 5) // 7
  .create(0, ARRAY, 4, 8, 1) // 8
  .create(0, ARRAY, 4, 4, 1, 1024) // 9
  .updfd(0, 5, 0, 3)
  .updfd(ENOTSUPP, 5, 0, 4) // exclusive maps cannot be inner maps
  .updfd(0, 5, 0, 6)
  .updfd(EINVAL, 5, 0, 7) // max_entries differs from the template
  .updfd(EINVAL, 5, 0, 8) // value_size differs
  .updfd(EINVAL, 5, 0, 9) // flags differ
  .updfd(EINVAL, 5, 0, 3, 1n)
  .updfd(EINVAL, 5, 0, 3, 2n)
  .updfd(E2BIG, 5, 5, 3)
  .updfd(EINVAL, 5, 5, 99, 1n) // flags before the fd
  .updfd(EBADF, 5, 0, 99)
  .updfd(EINVAL, 5, 0, 5) // itself
  .lookup(0, 5, 0)
  .lookup(ENOENT, 5, 1)
  .lookup(ENOENT, 5, 9)
  .delete(ENOENT, 5, 1)
  .delete(E2BIG, 5, 5)
  .delete(0, 5, 0)
  .lookup(ENOENT, 5, 0)
  .next(0, 5, null)
  .next(0, 5, 0)
  .next(ENOENT, 5, 1)
  .create(EINVAL, AOM, 4, 4, 2, 0, 5) // no nesting
  .create(0, ARRAY, 4, 4, 1, 4096) // 10: BPF_F_INNER_MAP template
  .create(0, AOM, 4, 4, 2, 0, 10) // 11
  .create(0, ARRAY, 4, 4, 7, 4096) // 12
  .updfd(0, 11, 0, 12) // any max_entries with BPF_F_INNER_MAP
  .create(0, PROG_ARRAY, 4, 4, 2) // 13
  .create(ENOTSUPP, AOM, 4, 4, 2, 0, 13) // no map_meta_equal
  .create(0, RINGBUF, 0, 0, 4096) // 14
  .create(0, AOM, 4, 4, 2, 0, 14) // 15
  .create(0, RINGBUF, 0, 0, 8192) // 16
  .updfd(0, 15, 0, 16) // ring buffers of any size
  .create(0, PERCPU_ARRAY, 4, 4, 2) // 17
  .create(0, AOM, 4, 4, 2, 0, 17) // 18
  .create(0, PERCPU_ARRAY, 4, 4, 3) // 19
  .updfd(0, 18, 0, 19) // per-CPU arrays do not compare max_entries
  .create(0, AOM, 4, 4, 2, 0, 3, true) // 20: an exclusive map-in-map
  .create(EINVAL, AOM, 4, 4, 2, 0, 20) // nesting is checked before exclusivity
  .create(0, PROG_ARRAY, 4, 4, 2, 0, 0, true) // 21
  .create(ENOTSUPP, AOM, 4, 4, 2, 0, 21)
  .create(EINVAL, AOM, 4, 0, 2, 0, 99); // alloc_check before the inner fd

const hom = new Builder()
  .create(0, ARRAY, 4, 4, 1) // 3
  .create(0, HOM, 4, 4, 2, 0, 3) // 4
  .updfd(0, 4, 1, 3, 1n)
  .updfd(EEXIST, 4, 1, 3, 1n)
  .updfd(0, 4, 1, 3, 2n)
  .updfd(0, 4, 2, 3)
  .updfd(E2BIG, 4, 3, 3)
  .updfd(EBADF, 4, 3, 99) // the fd before the table
  .updfd(EBADF, 4, 1, 99, 1n)
  .updfd(EINVAL, 4, 1, 3, 8n)
  .updfd(ENOENT, 4, 7, 3, 2n)
  .lookup(0, 4, 1)
  .lookup(ENOENT, 4, 9)
  .delete(ENOENT, 4, 9)
  .delete(0, 4, 2)
  .updfd(0, 4, 3, 3)
  .keys(0, 4)
  .create(0, ARRAY, 4, 8, 1, 0, 0, true) // 5: exclusive and incompatible
  .updfd(ENOTSUPP, 4, 1, 5) // exclusivity first
  .create(EINVAL, HOM, 4, 8, 2, 0, 3)
  .create(0, HOM, 4, 4, 1, 128, 3) // 6: BPF_F_RDONLY_PROG is accepted here
  .create(EINVAL, HOM, 4, 4, 1, 1024, 3)
  .create(0, HOM, 4, 4, 2, 1, 3) // 7: no prealloc
  .updfd(0, 7, 1, 3)
  .create(0, HASH, 4, 4, 2) // 8
  .create(0, HOM, 4, 4, 2, 0, 8) // 9
  .create(0, HASH, 4, 4, 9) // 10
  .updfd(0, 9, 0, 10) // hash inner maps may differ in max_entries
  .create(0, HASH, 4, 4, 9, 1) // 11
  .updfd(EINVAL, 9, 0, 11) // but not in flags
  .updfd(EINVAL, 9, 0, 4); // a map-in-map into a map-in-map

const progArray = new Builder()
  .create(0, PROG_ARRAY, 4, 4, 4) // 3
  .prog(0, 1, 0) // 4: SOCKET_FILTER
  .prog(0, 6, 0) // 5: XDP
  .prog(0, 1, 5) // 6: SOCKET_FILTER, another expected_attach_type
  .updfd(EINVAL, 3, 0, 4, 1n)
  .updfd(EINVAL, 3, 0, 4, 2n)
  .updfd(E2BIG, 3, 5, 4)
  .updfd(EINVAL, 3, 5, 99, 1n)
  .updfd(EBADF, 3, 0, 99)
  .updfd(EINVAL, 3, 0, 3) // a map is not a program
  .updfd(0, 3, 0, 4)
  .updfd(EINVAL, 3, 1, 5) // the owner is a SOCKET_FILTER
  .updfd(EINVAL, 3, 1, 6) // with expected_attach_type 0
  .updfd(0, 3, 2, 4)
  .lookup(0, 3, 0)
  .lookup(ENOENT, 3, 1)
  .lookup(ENOENT, 3, 7)
  .delete(ENOENT, 3, 1)
  .delete(E2BIG, 3, 7)
  .delete(0, 3, 0)
  .lookup(ENOENT, 3, 0)
  .next(0, 3, null)
  .next(ENOENT, 3, 3)
  .create(0, PROG_ARRAY, 4, 4, 4) // 7
  .updfd(0, 7, 0, 5) // an XDP owner this time
  .updfd(EINVAL, 7, 0, 4)
  .updfd(EINVAL, 7, 0, 6)
  .updfd(0, 7, 3, 5)
  .lookup(0, 7, 3);

export const FD_SCENARIOS: Scenario[] = [
  { name: 'ARRAY_OF_MAPS', ...aom },
  { name: 'HASH_OF_MAPS', ...hom },
  { name: 'PROG_ARRAY', ...progArray },
];
