/**
 * Helper function prototypes (Linux struct bpf_func_proto: argument and return types, flags) and
 * which program types may call which helper.
 *
 * Availability is data recorded from the reference kernel (Linux 6.18.44, privileged loader): for
 * every program type the verifier could load with a plain context, a probe program called each
 * helper id 1..211 and the helper counts as available unless the verifier answered "program of
 * this type cannot use helper". Prototypes are written from the kernel's definitions for the
 * helpers bpfsim models; a helper that is available but not modelled is refused with a bpfsim
 * message (never accepted on trust).
 */
import { BPF_PROG_TYPE } from './kernel-names.js';

/** Argument types (Linux enum bpf_arg_type with its flags folded in). */
export type ArgType =
  | 'dontcare'
  | 'anything'
  | 'const_map_ptr'
  | 'map_key'
  | 'map_value'
  /** ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE (bpf_map_pop_elem). */
  | 'map_value_uninit'
  /** ARG_PTR_TO_MEM | MEM_RDONLY: read by the helper. */
  | 'mem_ro'
  | 'mem_ro_or_null'
  /** ARG_PTR_TO_MEM: readable and writable memory. */
  | 'mem'
  /** ARG_PTR_TO_UNINIT_MEM: written by the helper, may be uninitialised. */
  | 'mem_uninit'
  /** ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED, 8 bytes. */
  | 'u64_out'
  | 'size'
  | 'size_or_zero'
  | 'alloc_size_or_zero'
  | 'ctx'
  /** ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE. */
  | 'ringbuf_mem_release'
  /**
   * ARG_PTR_TO_BTF_ID and friends: BTF-typed kernel pointers are not modelled, so a call reaching
   * such an argument is refused (after the earlier arguments were checked, as Linux orders them).
   */
  | 'btf_id_unmodelled';

export type RetType = 'integer' | 'void' | 'map_value_or_null' | 'ringbuf_mem_or_null';

export interface HelperProto {
  readonly args: readonly ArgType[];
  readonly ret: RetType;
  readonly gplOnly?: boolean;
  readonly mightSleep?: boolean;
  /** bpf_helper_changes_pkt_data: packet pointers are invalidated by the call. */
  readonly changesPktData?: boolean;
  /** Returns a reference the program must release (bpf_ringbuf_reserve). */
  readonly acquire?: boolean;
  /** Return value refined to [-MAX_ERRNO, size] (string / stack copies). */
  readonly retBoundedBySize?: boolean;
}

const A = 'anything', M = 'const_map_ptr', CTX = 'ctx';
const none: ArgType[] = [];

const P: Record<number, HelperProto> = {
  1: { args: [M, 'map_key'], ret: 'map_value_or_null' },
  2: { args: [M, 'map_key', 'map_value', A], ret: 'integer' },
  3: { args: [M, 'map_key'], ret: 'integer' },
  4: { args: ['mem_uninit', 'size_or_zero', A], ret: 'integer', gplOnly: true },
  5: { args: none, ret: 'integer' },
  6: { args: ['mem_ro', 'size'], ret: 'integer', gplOnly: true },
  7: { args: none, ret: 'integer' },
  8: { args: none, ret: 'integer' },
  9: { args: [CTX, A, 'mem_ro', 'size', A], ret: 'integer', changesPktData: true },
  10: { args: [CTX, A, A, A, A], ret: 'integer', changesPktData: true },
  11: { args: [CTX, A, A, A, A], ret: 'integer', changesPktData: true },
  12: { args: [CTX, M, A], ret: 'void' },
  13: { args: [CTX, A, A], ret: 'integer', changesPktData: true },
  14: { args: none, ret: 'integer' },
  15: { args: none, ret: 'integer' },
  16: { args: ['mem_uninit', 'size'], ret: 'integer' },
  17: { args: [CTX], ret: 'integer' },
  18: { args: [CTX, A, A], ret: 'integer', changesPktData: true },
  19: { args: [CTX], ret: 'integer', changesPktData: true },
  22: { args: [M, A], ret: 'integer', gplOnly: true },
  23: { args: [A, A], ret: 'integer' },
  24: { args: [CTX], ret: 'integer' },
  25: { args: [CTX, M, A, 'mem_ro', 'size_or_zero'], ret: 'integer', gplOnly: true },
  26: { args: [CTX, A, 'mem_uninit', 'size'], ret: 'integer' },
  27: { args: [CTX, M, A], ret: 'integer', gplOnly: true },
  28: { args: ['mem_ro_or_null', 'size_or_zero', 'mem_ro_or_null', 'size_or_zero', A], ret: 'integer' },
  35: { args: none, ret: 'integer', gplOnly: true },
  42: { args: none, ret: 'integer' },
  44: { args: [CTX, A], ret: 'integer', changesPktData: true },
  45: { args: ['mem_uninit', 'size_or_zero', A], ret: 'integer', gplOnly: true, retBoundedBySize: true },
  46: { args: [CTX], ret: 'integer' },
  47: { args: [CTX], ret: 'integer' },
  51: { args: [M, A, A], ret: 'integer' },
  54: { args: [CTX, A], ret: 'integer', changesPktData: true },
  65: { args: [CTX, A], ret: 'integer', changesPktData: true },
  67: { args: [CTX, 'mem_uninit', 'size_or_zero', A], ret: 'integer', gplOnly: true, retBoundedBySize: true },
  80: { args: none, ret: 'integer' },
  87: { args: [M, 'map_value', A], ret: 'integer' },
  88: { args: [M, 'map_value_uninit'], ret: 'integer' },
  89: { args: [M, 'map_value_uninit'], ret: 'integer' },
  112: { args: ['mem_uninit', 'size_or_zero', A], ret: 'integer', gplOnly: true },
  113: { args: ['mem_uninit', 'size_or_zero', A], ret: 'integer', gplOnly: true },
  114: { args: ['mem_uninit', 'size_or_zero', A], ret: 'integer', gplOnly: true, retBoundedBySize: true },
  115: { args: ['mem_uninit', 'size_or_zero', A], ret: 'integer', gplOnly: true, retBoundedBySize: true },
  118: { args: none, ret: 'integer' },
  125: { args: none, ret: 'integer' },
  130: { args: [M, 'mem_ro', 'size_or_zero', A], ret: 'integer' },
  131: { args: [M, 'alloc_size_or_zero', A], ret: 'ringbuf_mem_or_null', acquire: true },
  132: { args: ['ringbuf_mem_release', A], ret: 'void' },
  133: { args: ['ringbuf_mem_release', A], ret: 'void' },
  134: { args: [M, A], ret: 'integer' },
  148: { args: ['mem_uninit', 'size_or_zero', A], ret: 'integer', mightSleep: true },
  160: { args: none, ret: 'integer' },
  166: { args: [A, 'mem_ro', 'size'], ret: 'integer' },
  167: { args: ['mem_ro', 'size', A, A], ret: 'integer' },
  168: { args: [A], ret: 'integer' },
  175: { args: [CTX], ret: 'integer' },
  179: { args: ['mem_ro', 'size_or_zero', A, 'u64_out'], ret: 'integer' },
  195: { args: [M, 'map_key', A], ret: 'map_value_or_null' },
  208: { args: none, ret: 'integer' },
  // bpf_cgrp_storage_get / _delete: the map argument is checked, the cgroup pointer is not modelled.
  210: { args: [M, 'btf_id_unmodelled', 'map_value', A], ret: 'map_value_or_null' },
  211: { args: [M, 'btf_id_unmodelled'], ret: 'integer' },
};

/** The prototype bpfsim models for helper `id`, or null. */
export function helperProto(id: number): HelperProto | null {
  return P[id] ?? null;
}

/** Helpers that call back into the program (bpf_loop, for_each_map_elem, ...): not modelled. */
export function isCallbackCallingHelper(id: number): boolean {
  return id === 164 || id === 170 || id === 181 || id === 201 || id === 209;
}

/** Number of register arguments (for the live-register analysis). */
export function helperArgCount(id: number): number | null {
  const p = P[id];
  return p === undefined ? null : p.args.length;
}

const AVAIL_RANGES: ReadonlyArray<readonly [number, string]> = [
  [1, '1-3,5-8,12,14-17,22,25-26,35,37,42,46-47,55,68,80,87-89,93-94,105-106,109,112-115,117-118,120,122-123,125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [2, '1-8,12,14-17,22,25,27,35,37,42,45,55,67,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,141,148-149,153-154,156-158,164-165,169-177,180-182,191,194-195,197-203,208-211'],
  [3, '1-3,5-26,28-35,37-43,46-48,50,55,66,68-69,79-80,83-89,93-100,105-110,112-115,117-118,120,122-125,130-141,148-149,151-158,160,163-165,169-172,175-178,180-182,191-192,194-211'],
  [4, '1-3,5-26,28-35,37-43,46-48,50,55,66,68-69,79-80,83-89,93-100,105-110,112-115,117-118,120,122-125,130-141,148-149,151-158,160,163-165,169-172,175-178,180-182,191-192,194-211'],
  [5, '1-8,12,14-17,22,25,27,35,37,42,45,55,67,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,141,148-149,153-154,156-158,164-165,169-177,180-182,191,194-195,197-203,208-211'],
  [6, '1-3,5-8,12,14-17,22-23,25,28,35,37,42,44,51,54-55,65,69,80,84-89,93-94,99-100,105-106,109-110,112-115,117-118,120,123,125,130-134,136-141,148-149,153-154,156-158,160,163-165,169-172,175-178,180-182,188-191,194-211'],
  [7, '1-8,12,14-17,22,25,27,35,37,42,45,55-56,67,80,87-89,93-94,105-106,109,112-115,117-120,123,125,130-134,141,148-149,153-154,156-158,164-165,169-177,180-182,191,194-195,197-203,208-211'],
  [8, '1-3,5-8,12,14-17,22,25-26,35,37,42,46-47,55,68,79-81,83-89,93-99,105-109,112-115,117-118,120,122-123,125,128-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [9, '1-3,5-8,12,14-17,22,25,35,37,42,46,55,80-81,87-89,93-94,105-107,109,112-115,117-118,120,122-123,125,130-134,141,148-149,153-154,156-158,160,164-165,169-172,175-177,180-182,186-187,191,194-195,197-203,208-211'],
  [10, '1-3,5-8,12,14-17,22,24-26,28,33-35,37,39,42,55,73,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [11, '1-3,5-8,12,14-17,22,24-26,28,33-35,37,39,42,55,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [12, '1-3,5-17,20-26,28-30,33-35,37-43,55,73,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [13, '1-3,5-8,12,14-17,22,25,35,37,42,46,49,53,55,57,59,70,80-81,87-89,93-94,96,105-109,112-115,117-118,120,122-123,125,130-134,136-144,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [14, '1-3,5-9,12,14-17,22,25-26,35,37-39,42-43,46-47,50,52,55,72,80,84-89,93-94,99,105-106,109,112-115,117-118,120,123,125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [15, '1-3,5-8,12,14-17,22,25,35,37,42,55,80-81,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,141,148-149,153-154,156-158,164-165,169-172,175-177,180-182,191,194-195,197-203,208-211'],
  [16, '1-3,5-8,12,14-17,22,25,35,37,42,55,60-63,71,80,87-91,93-94,105-109,112-115,117-118,120,122-123,125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [17, '1-8,12,14-17,22,25,27,35,37,42,45,55,67,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,141,148-149,153-154,156-158,164-165,169-177,180-182,191,194-195,197-203,208-211'],
  [18, '1-3,5-8,12,14-17,22,25,35,37,42,46,49,55,57,64,80-81,84-89,93-94,99,105-109,112-115,117-118,120,122-123,125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,186-187,191,194-203,208-211'],
  [19, '1-3,5-8,12,14-17,22,24-26,28,33-35,37,39,42,55,74-76,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [21, '1-3,5-8,12,14-17,22,26,35,37,42,46,55,68,80,82,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,141,148-149,153-154,156-158,160,164-165,169-172,175-177,180-182,191,194-195,197-203,208-211'],
  [22, '1-3,5-8,12,14-17,22,26,35,37,42,55,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [23, '1-3,5-8,12,14-17,22,25,35,37,42,55,80-81,87-89,93-94,101-106,109,112-115,117-118,120,123,125,130-134,141,148-149,153-154,156-158,160,164-165,169-172,175-177,180-182,191,194-195,197-203,208-211'],
  [24, '1-8,12,14-17,22,25,27,35,37,42,45,55,67,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,141,148-149,153-154,156-158,164-165,169-177,180-182,191,194-195,197-203,208-211'],
  [25, '1-3,5-8,12,14-17,22,25,35,37,42,55,80-81,87-89,93-94,96,105-109,112-115,117-118,120,122-123,125,130-134,141,148-149,153-154,156-158,164-165,169-172,175-177,180-182,186-187,191,194-195,197-203,208-211'],
  [26, '1-8,12,14-17,22,25,27,35,37,42,45-46,55,67,80,87-89,93-94,105-109,111-115,117-118,120-121,123,125,130-134,136-141,147-149,153-154,156-158,162,164-165,169-178,180-182,188,191,194-203,208-211'],
  [30, '1-3,5-8,12,14-17,22,25,35,37,42,55,80,86-89,93-94,105-106,109,112-115,117-118,120,123-125,130-134,136-141,148-149,153-154,156-158,160,164-165,169-172,175-178,180-182,191,194-203,208-211'],
  [31, '1-8,12,14-17,22,25,27,35,37,42,45-46,55,67,80,87-89,93-94,105-109,111-115,117-118,120-121,123,125,130-134,136-141,147-149,153-154,156-158,162,164-173,175-182,188,191,194-203,208-211'],
  [32, '1-3,5-8,12,14-17,22,35,37,42,55,80,87-89,93-94,105-106,109,112-115,117-118,120,123,125,130-134,141,148-149,153-154,156-158,164-165,169-172,175-177,180-182,191,194-195,197-203,208-211'],];

const AVAIL: ReadonlyMap<number, ReadonlySet<number>> = (() => {
  const m = new Map<number, Set<number>>();
  for (const [t, ranges] of AVAIL_RANGES) {
    const s = new Set<number>();
    for (const part of ranges.split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let x = a; x <= (b ?? a); x++) s.add(x);
    }
    m.set(t, s);
  }
  // BPF LSM programs get the tracing set (the reference kernel could not load LSM programs).
  m.set(BPF_PROG_TYPE.LSM, m.get(BPF_PROG_TYPE.TRACING)!);
  return m;
})();

/** Does the program type's get_func_proto return a prototype for this helper? */
export function helperAvailable(progType: number, id: number): boolean {
  return AVAIL.get(progType)?.has(id) ?? false;
}
