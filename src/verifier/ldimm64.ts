/**
 * Everything bpf_check does with maps before abstract interpretation: process_fd_array (maps bound
 * through attr.fd_array_cnt), the program digest (bpf_prog_calc_tag, signing.md §4.10), and
 * resolve_pseudo_ldimm64 — the opcode sanity scan, the ld_imm64 pseudo forms (MAP_FD, MAP_VALUE,
 * MAP_IDX, MAP_IDX_VALUE through fd_array, BTF_ID, FUNC) and the map/program compatibility checks,
 * including the exclusive-map digest check.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ERRNO } from '../errno.js';
import {
  BPF_ALU, BPF_ALU64, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
  BPF_ST, BPF_STX,
} from '../isa/constants.js';
import { encode, type Program } from '../isa/program.js';
import type { LdImm64Patch, MapDescriptor, VerifyRequest } from './env.js';
import { fail } from './errors.js';
import { BPF_MAP_TYPE as M } from './kernel-names.js';
import type { VLog } from './log.js';

export const MAX_USED_MAPS = 64;
/** BPF_MAX_VAR_OFF: largest offset a pointer may carry. */
export const BPF_MAX_VAR_OFF = 1 << 29;

/** bpf_prog_calc_tag: SHA-256 over the instructions with MAP_FD / MAP_VALUE immediates zeroed. */
export function progDigest(p: Program): Uint8Array {
  const bytes = encode(p);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let wasLdMap = false;
  for (let i = 0; i < p.length; i++) {
    if (!wasLdMap && p.code[i] === 0x18 && (p.src[i] === BPF_PSEUDO_MAP_FD || p.src[i] === BPF_PSEUDO_MAP_VALUE)) {
      wasLdMap = true;
      dv.setInt32(i * 8 + 4, 0, true);
    } else if (wasLdMap && p.code[i] === 0 && p.dst[i] === 0 && p.src[i] === 0 && p.off[i] === 0) {
      wasLdMap = false;
      dv.setInt32(i * 8 + 4, 0, true);
    } else {
      wasLdMap = false;
    }
  }
  return sha256(bytes);
}

/** The opcode table of Linux's interpreter (bpf_opcode_in_insntable). */
const VALID_OPCODES: Uint8Array = (() => {
  const t = new Uint8Array(256);
  const aluOps = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    for (const op of aluOps) { t[cls | op | 0x00] = 1; t[cls | op | 0x08] = 1; }
    t[cls | 0x80] = 1; // neg
  }
  t[BPF_ALU | 0xd0] = 1; t[BPF_ALU | 0xd8] = 1; t[BPF_ALU64 | 0xd0] = 1; // end / bswap
  const jmpOps = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
  for (const cls of [BPF_JMP, BPF_JMP32]) for (const op of jmpOps) { t[cls | op] = 1; t[cls | op | 0x08] = 1; }
  t[BPF_JMP | 0x00] = 1; t[BPF_JMP32 | 0x00] = 1; // ja, gotol
  t[BPF_JMP | 0x80] = 1; t[BPF_JMP | 0x90] = 1; t[BPF_JMP | 0xe0] = 1; // call, exit, jcond
  for (const sz of [0x00, 0x08, 0x10, 0x18]) {
    t[BPF_STX | BPF_MEM | sz] = 1;
    t[BPF_ST | BPF_MEM | sz] = 1;
    t[BPF_LDX | BPF_MEM | sz] = 1;
  }
  t[BPF_STX | 0xc0 | 0x00] = 1; t[BPF_STX | 0xc0 | 0x18] = 1; t[BPF_STX | 0xc0 | 0x08] = 1; t[BPF_STX | 0xc0 | 0x10] = 1;
  for (const sz of [0x00, 0x08, 0x10]) {
    t[BPF_LDX | BPF_MEMSX | sz] = 1;
    t[BPF_LD | 0x20 | sz] = 1; // ld_abs
    t[BPF_LD | 0x40 | sz] = 1; // ld_ind
  }
  t[0x18] = 1; // ld_imm64
  return t;
})();

/** Map types whose values are addressable directly (map_direct_value_addr). */
function hasDirectValueAccess(mapType: number): boolean {
  return mapType === M.ARRAY;
}

/** Map types a sleepable program may use (check_map_prog_compatibility). */
function sleepableMapOk(t: number): boolean {
  switch (t) {
    case M.HASH: case M.LRU_HASH: case M.ARRAY: case M.PERCPU_HASH: case M.PERCPU_ARRAY:
    case M.LRU_PERCPU_HASH: case M.ARRAY_OF_MAPS: case M.HASH_OF_MAPS: case M.RINGBUF: case M.USER_RINGBUF:
    case M.INODE_STORAGE: case M.SK_STORAGE: case M.TASK_STORAGE: case M.CGRP_STORAGE: case M.QUEUE:
    case M.STACK: case M.ARENA:
      return true;
    default:
      return false;
  }
}

export interface MapEnv {
  readonly log: VLog;
  readonly req: VerifyRequest;
  readonly sleepable: boolean;
  digest: Uint8Array;
  readonly usedMaps: MapDescriptor[];
}

/** __add_used_map: record the map (once), checking it may be used by this program. */
function addUsedMap(env: MapEnv, map: MapDescriptor): number {
  const i = env.usedMaps.indexOf(map);
  if (i >= 0) return i;
  if (env.usedMaps.length >= MAX_USED_MAPS) {
    fail(env.log, ERRNO.E2BIG, `The total number of maps per program has reached the limit of ${MAX_USED_MAPS}\n`);
  }
  if (map.exclProgSha !== null && !bytesEqual(map.exclProgSha, env.digest)) {
    fail(env.log, ERRNO.EACCES, "program's hash doesn't match map's excl_prog_hash\n");
  }
  if (map.mapType === M.STRUCT_OPS) fail(env.log, ERRNO.EINVAL, 'bpf_struct_ops map cannot be used in prog\n');
  if (env.sleepable && !sleepableMapOk(map.mapType)) {
    fail(env.log, ERRNO.EINVAL, 'Sleepable programs can only use array, hash, ringbuf and local storage maps\n');
  }
  env.usedMaps.push(map);
  return env.usedMaps.length - 1;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function resolveFd(env: MapEnv, fd: number, message: string): MapDescriptor {
  const r = env.req.resolveMapFd(fd);
  if ('errno' in r) fail(env.log, r.errno, message);
  return r;
}

/** process_fd_array: with fd_array_cnt > 0 every listed fd is a map bound to the program now. */
export function processFdArray(env: MapEnv): void {
  const cnt = env.req.fdArrayCnt ?? 0;
  if (cnt === 0) return;
  const fa = env.req.fdArray ?? null;
  if (cnt >= 0xffffffff / 4) fail(env.log, ERRNO.EINVAL, `fd_array_cnt is too big (${cnt})\n`);
  for (let i = 0; i < cnt; i++) {
    const fd = fa === null ? null : fa.read(i);
    if (fd === null) fail(env.log, ERRNO.EFAULT, '');
    const map = resolveFd(env, fd, `fd ${fd} is not pointing to valid bpf_map or btf\n`);
    addUsedMap(env, map);
  }
}

export interface ResolvedLdImm64 {
  /** Per slot of a pseudo map ld_imm64: what it loads. */
  readonly patches: LdImm64Patch[];
  /** Slots of BPF_PSEUDO_FUNC ld_imm64s. */
  readonly funcSlots: number[];
}

/** resolve_pseudo_ldimm64. */
export function resolvePseudoLdImm64(env: MapEnv, p: Program): ResolvedLdImm64 {
  env.digest = progDigest(p);
  const patches: LdImm64Patch[] = [];
  const funcSlots: number[] = [];
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const code = p.code[i];
    if ((code & 7) === BPF_LDX && (((code & 0xe0) !== BPF_MEM && (code & 0xe0) !== BPF_MEMSX) || p.imm[i] !== 0)) {
      fail(env.log, ERRNO.EINVAL, 'BPF_LDX uses reserved fields\n');
    }
    if (code === 0x18) {
      if (i === n - 1 || p.code[i + 1] !== 0 || p.dst[i + 1] !== 0 || p.src[i + 1] !== 0 || p.off[i + 1] !== 0) {
        fail(env.log, ERRNO.EINVAL, 'invalid bpf_ld_imm64 insn\n');
      }
      const src = p.src[i];
      if (src === 0) { i++; continue; }
      if (src === BPF_PSEUDO_BTF_ID) {
        // Typed and typeless ksyms need vmlinux BTF, which bpfsim's verifier does not model.
        fail(env.log, ERRNO.EINVAL, 'bpfsim: BPF_PSEUDO_BTF_ID (ksym) ld_imm64 is not modelled\n');
      }
      if (src === BPF_PSEUDO_FUNC) { funcSlots.push(i); i++; continue; }
      const hiImm = p.imm[i + 1];
      const valueForm = src === BPF_PSEUDO_MAP_VALUE || src === BPF_PSEUDO_MAP_IDX_VALUE;
      if (!valueForm && !((src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_IDX) && hiImm === 0)) {
        fail(env.log, ERRNO.EINVAL, 'unrecognized bpf_ld_imm64 insn\n');
      }
      let fd: number;
      if (src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_IDX_VALUE) {
        const fa = env.req.fdArray ?? null;
        if (fa === null) fail(env.log, ERRNO.EPROTO, 'fd_idx without fd_array is invalid\n');
        const v = fa.read(p.imm[i]);
        if (v === null) fail(env.log, ERRNO.EFAULT, '');
        fd = v;
      } else {
        fd = p.imm[i];
      }
      const map = resolveFd(env, fd, `fd ${fd} is not pointing to valid bpf_map\n`);
      addUsedMap(env, map);
      if (valueForm) {
        const off = hiImm >>> 0;
        if (off >= BPF_MAX_VAR_OFF) fail(env.log, ERRNO.EINVAL, `direct value offset of ${off} is not allowed\n`);
        if (!hasDirectValueAccess(map.mapType)) fail(env.log, ERRNO.EINVAL, 'no direct value access support for this map type\n');
        // array_map_direct_value_addr: a single-entry array only, offset inside the value.
        if (map.maxEntries !== 1 || off >= map.valueSize) {
          fail(env.log, map.maxEntries !== 1 ? ERRNO.ENOTSUPP : ERRNO.EINVAL,
            `invalid access to map value pointer, value_size=${map.valueSize} off=${off}\n`);
        }
        patches.push({ slot: i, kind: 'map_value', map, offset: off });
      } else {
        patches.push({ slot: i, kind: 'map', map, offset: 0 });
      }
      i++;
      continue;
    }
    if (VALID_OPCODES[code] === 0) fail(env.log, ERRNO.EINVAL, `unknown opcode ${code.toString(16).padStart(2, '0')}\n`);
  }
  return { patches, funcSlots };
}
