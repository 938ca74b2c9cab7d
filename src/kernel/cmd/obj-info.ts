/**
 * BPF_OBJ_GET_INFO_BY_FD (bpf_obj_get_info_by_fd and the per-object *_get_info_by_fd in
 * kernel/bpf/syscall.c and btf.c), including the map hash of signing.md §2.2 step 6a / §6.3.
 */
import { KernelError } from '../../errno.js';
import { AttrBytes, OBJ_INFO_ATTR, encodeAttr, type Layout } from '../attr.js';
import type { Kernel } from '../kernel.js';
import type { BtfObject, LinkObject, MapObject, ProgObject } from '../objects.js';
import { SHA256_DIGEST_SIZE } from '../uapi.js';
import { checkAttr, checkZeroed, copyIn, copyOut, u32le } from './common.js';
import type { SysCtx } from './index.js';

export const BPF_MAP_INFO = {
  type: [0, 'u32'], id: [4, 'u32'], key_size: [8, 'u32'], value_size: [12, 'u32'], max_entries: [16, 'u32'],
  map_flags: [20, 'u32'], name: [24, 'name'], ifindex: [40, 'u32'], btf_vmlinux_value_type_id: [44, 'u32'],
  netns_dev: [48, 'u64'], netns_ino: [56, 'u64'], btf_id: [64, 'u32'], btf_key_type_id: [68, 'u32'],
  btf_value_type_id: [72, 'u32'], btf_vmlinux_id: [76, 'u32'], map_extra: [80, 'u64'], hash: [88, 'ptr'],
  hash_size: [96, 'u32'],
} as const satisfies Layout;
export const BPF_MAP_INFO_SIZE = 104;

export const BPF_PROG_INFO = {
  type: [0, 'u32'], id: [4, 'u32'], tag: [8, 'u64'], jited_prog_len: [16, 'u32'], xlated_prog_len: [20, 'u32'],
  jited_prog_insns: [24, 'ptr'], xlated_prog_insns: [32, 'ptr'], load_time: [40, 'u64'], created_by_uid: [48, 'u32'],
  nr_map_ids: [52, 'u32'], map_ids: [56, 'ptr'], name: [64, 'name'], ifindex: [80, 'u32'], gpl_compatible: [84, 'u32'],
  netns_dev: [88, 'u64'], netns_ino: [96, 'u64'], nr_jited_ksyms: [104, 'u32'], nr_jited_func_lens: [108, 'u32'],
  jited_ksyms: [112, 'ptr'], jited_func_lens: [120, 'ptr'], btf_id: [128, 'u32'], func_info_rec_size: [132, 'u32'],
  func_info: [136, 'ptr'], nr_func_info: [144, 'u32'], nr_line_info: [148, 'u32'], line_info: [152, 'ptr'],
  jited_line_info: [160, 'ptr'], nr_jited_line_info: [168, 'u32'], line_info_rec_size: [172, 'u32'],
  jited_line_info_rec_size: [176, 'u32'], nr_prog_tags: [180, 'u32'], prog_tags: [184, 'ptr'],
  run_time_ns: [192, 'u64'], run_cnt: [200, 'u64'], recursion_misses: [208, 'u64'], verified_insns: [216, 'u32'],
  attach_btf_obj_id: [220, 'u32'], attach_btf_id: [224, 'u32'],
} as const satisfies Layout;
export const BPF_PROG_INFO_SIZE = 232;
/**
 * Bytes of the info structs from the end of their last field on must be zero: 6.18.44 answers
 * E2BIG for a non-zero byte in a struct's tail padding as for one past the struct (checked
 * against the kernel: bpf_map_info 100..103, bpf_prog_info 228..231).
 */
const BPF_PROG_INFO_ZERO_FROM = 228;
const BPF_MAP_INFO_ZERO_FROM = 100;

export const BPF_BTF_INFO = {
  btf: [0, 'ptr'], btf_size: [8, 'u32'], id: [12, 'u32'], name: [16, 'ptr'], name_len: [24, 'u32'], kernel_btf: [28, 'u32'],
} as const satisfies Layout;
export const BPF_BTF_INFO_SIZE = 32;

export const BPF_LINK_INFO = {
  type: [0, 'u32'], id: [4, 'u32'], prog_id: [8, 'u32'], tp_name: [16, 'ptr'], tp_name_len: [24, 'u32'],
} as const satisfies Layout;
/** sizeof(struct bpf_link_info) in 6.18 (its largest union member ends at 64; vmlinux BTF). */
export const BPF_LINK_INFO_SIZE = 64;


/**
 * Copy in the caller's info struct: bpf_check_uarg_tail_zero against the kernel's size, then
 * min(info_len, size) bytes. Returns the zero-extended struct and the length used.
 */
function infoIn(k: Kernel, ptr: bigint, infoLen: number, size: number, isKernel: boolean, zeroFrom = size): { info: AttrBytes; len: number } {
  if (infoLen > 4096) throw new KernelError('E2BIG');
  if (infoLen > zeroFrom) {
    // bpf_check_uarg_tail_zero: bytes are read in order (E2BIG at a non-zero one, EFAULT at a hole).
    const tail = checkZeroed(k, ptr + BigInt(zeroFrom), infoLen - zeroFrom, isKernel);
    if (tail === 'nonzero') throw new KernelError('E2BIG');
    if (tail === 'fault') throw new KernelError('EFAULT');
  }
  const len = Math.min(infoLen, size);
  const bytes = new Uint8Array(size);
  if (len) bytes.set(copyIn(k, ptr, len, isKernel));
  return { info: new AttrBytes(bytes), len };
}

function finish(k: Kernel, ctx: SysCtx, ptr: bigint, info: Uint8Array, len: number): number {
  copyOut(k, ptr, info.subarray(0, len), ctx.isKernel);
  copyOut(k, ctx.attrPtr + 4n, u32le(len), ctx.isKernel);
  return 0;
}

function mapInfo(k: Kernel, m: MapObject, ptr: bigint, infoLen: number, ctx: SysCtx): number {
  const { info, len } = infoIn(k, ptr, infoLen, BPF_MAP_INFO_SIZE, ctx.isKernel, BPF_MAP_INFO_ZERO_FROM);
  const given = info.read(BPF_MAP_INFO);
  const out = encodeAttr(BPF_MAP_INFO, {
    type: m.map.mapType, id: m.id, key_size: m.map.keySize, value_size: m.map.valueSize,
    max_entries: m.map.maxEntries, map_flags: m.map.mapFlags, name: m.name, ifindex: m.ifindex,
    btf_vmlinux_value_type_id: m.btfVmlinuxValueTypeId, btf_id: m.btf ? m.btf.id : 0,
    btf_key_type_id: m.btfKeyTypeId, btf_value_type_id: m.btfValueTypeId, map_extra: m.mapExtra,
    hash: given.hash, hash_size: given.hash_size,
  }, BPF_MAP_INFO_SIZE);
  if (given.hash !== 0n) {
    if (m.map.kind !== 'array') throw new KernelError('EINVAL'); // only arrays have map_get_hash
    if (given.hash_size !== SHA256_DIGEST_SIZE) throw new KernelError('EINVAL');
    // 6.18.y and later: a2c86aa621c2 "Require frozen map for calculating map hash".
    if (k.config.version !== '6.18.0' && !m.frozen) throw new KernelError('EPERM');
    const sha = m.map.computeHash(); // also caches it in map->sha, which the signed loader reads
    copyOut(k, given.hash, sha, ctx.isKernel);
  } else if (given.hash_size) {
    throw new KernelError('EINVAL');
  }
  return finish(k, ctx, ptr, out, len);
}

function progInfo(k: Kernel, p: ProgObject, ptr: bigint, infoLen: number, ctx: SysCtx): number {
  const { info, len } = infoIn(k, ptr, infoLen, BPF_PROG_INFO_SIZE, ctx.isKernel, BPF_PROG_INFO_ZERO_FROM);
  const given = info.read(BPF_PROG_INFO);
  const tag = new DataView(p.digest.buffer, p.digest.byteOffset).getBigUint64(0, true);
  const xlated = p.runnable.length * 8;
  const out = encodeAttr(BPF_PROG_INFO, {
    type: p.progType, id: p.id, tag, jited_prog_len: 0, xlated_prog_len: xlated, load_time: BigInt(p.loadTimeNs),
    created_by_uid: k.config.uid, nr_map_ids: p.usedMaps.length, map_ids: given.map_ids, name: p.name,
    gpl_compatible: p.gplCompatible ? 1 : 0, btf_id: p.btf ? p.btf.id : 0, func_info_rec_size: 8,
    nr_func_info: p.funcInfoCnt, nr_line_info: p.lineInfoCnt, line_info_rec_size: 16, jited_line_info_rec_size: 8,
    nr_prog_tags: 1, prog_tags: given.prog_tags,
    run_time_ns: BigInt(p.runTimeNs), run_cnt: BigInt(p.runCnt), verified_insns: p.verifiedInsns,
    attach_btf_obj_id: p.attachBtfObj ? p.attachBtfObj.id : 0, attach_btf_id: p.attachBtfId,
    xlated_prog_insns: given.xlated_prog_insns, func_info: given.func_info, line_info: given.line_info,
  }, BPF_PROG_INFO_SIZE);
  const n = Math.min(given.nr_map_ids, p.usedMaps.length);
  for (let i = 0; i < n; i++) copyOut(k, given.map_ids + BigInt(4 * i), u32le(p.usedMaps[i].id), ctx.isKernel);
  // set_info_rec_size (after the map ids): a record size, or a count, given must come with the
  // kernel's record size (bpf_func_info 8, bpf_line_info 16, jited line info 8).
  if (((given.nr_func_info || given.func_info_rec_size) && given.func_info_rec_size !== 8) ||
      ((given.nr_line_info || given.line_info_rec_size) && given.line_info_rec_size !== 16) ||
      ((given.nr_jited_line_info || given.jited_line_info_rec_size) && given.jited_line_info_rec_size !== 8)) {
    throw new KernelError('EINVAL');
  }
  // bpf_prog_get_info_by_fd copies min(xlated size, xlated_prog_len) bytes whenever the caller's
  // length is non-zero, to whatever xlated_prog_insns holds (NULL faults).
  if (given.xlated_prog_len && p.runnable.length) {
    const dump = xlatedDump(p);
    copyOut(k, given.xlated_prog_insns, dump.subarray(0, Math.min(given.xlated_prog_len, dump.length)), ctx.isKernel);
  }
  // prog_tags: one tag (no subprograms are JITed separately in bpfsim), copied when asked for.
  if (given.nr_prog_tags) copyOut(k, given.prog_tags, p.digest.subarray(0, 8), ctx.isKernel);
  return finish(k, ctx, ptr, out, len);
}

/** bpf_insn_prepare_dump: the runnable program with map addresses shown as map ids. */
export function xlatedDump(p: ProgObject): Uint8Array {
  const r = p.runnable;
  const out = new Uint8Array(r.length * 8);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < r.length; i++) {
    out[i * 8] = r.code[i];
    out[i * 8 + 1] = (r.dst[i] & 0xf) | ((r.src[i] & 0xf) << 4);
    dv.setInt16(i * 8 + 2, r.off[i], true);
    dv.setInt32(i * 8 + 4, r.imm[i], true);
  }
  return out;
}

/**
 * bpf_copy_to_user (and the name part of btf_get_info_by_fd): the string and its NUL when `ulen`
 * holds them, else `ulen - 1` bytes and a NUL, and ENOSPC (returned by the caller after the rest).
 */
function copyName(k: Kernel, ubuf: bigint, ulen: number, name: string, isKernel: boolean): boolean {
  if (!ulen) return true;
  const nb = new TextEncoder().encode(name);
  if (ulen > nb.length) {
    const buf = new Uint8Array(nb.length + 1);
    buf.set(nb);
    copyOut(k, ubuf, buf, isKernel);
    return true;
  }
  copyOut(k, ubuf, nb.subarray(0, ulen - 1), isKernel);
  copyOut(k, ubuf + BigInt(ulen - 1), new Uint8Array(1), isKernel);
  return false;
}

/** bpf_btf_get_info_by_fd → btf_get_info_by_fd (kernel/bpf/btf.c). */
function btfInfo(k: Kernel, b: BtfObject, ptr: bigint, infoLen: number, ctx: SysCtx): number {
  const { info, len } = infoIn(k, ptr, infoLen, BPF_BTF_INFO_SIZE, ctx.isKernel);
  const given = info.read(BPF_BTF_INFO);
  // The raw BTF is copied whenever the caller's btf_size asks for bytes, whatever the pointer.
  const btfCopy = Math.min(b.bytes.length, given.btf_size);
  if (btfCopy) copyOut(k, given.btf, b.bytes.subarray(0, btfCopy), ctx.isKernel);
  if ((given.name === 0n) !== (given.name_len === 0)) throw new KernelError('EINVAL');
  const nameLen = new TextEncoder().encode(b.name).length;
  const fits = given.name === 0n || copyName(k, given.name, given.name_len, b.name, ctx.isKernel);
  const out = encodeAttr(BPF_BTF_INFO, {
    btf: given.btf, btf_size: b.bytes.length, id: b.id, name: given.name, name_len: nameLen,
    kernel_btf: b.kernelBtf ? 1 : 0,
  }, BPF_BTF_INFO_SIZE);
  finish(k, ctx, ptr, out, len);
  if (!fits) throw new KernelError('ENOSPC');
  return 0;
}

/** bpf_link_get_info_by_fd with bpf_raw_tp_link_fill_link_info (the only links bpfsim has). */
function linkInfo(k: Kernel, l: LinkObject, ptr: bigint, infoLen: number, ctx: SysCtx): number {
  const { info, len } = infoIn(k, ptr, infoLen, BPF_LINK_INFO_SIZE, ctx.isKernel);
  const given = info.read(BPF_LINK_INFO);
  const name = l.tpName ?? '';
  if ((given.tp_name === 0n) !== (given.tp_name_len === 0)) throw new KernelError('EINVAL');
  if (given.tp_name !== 0n && !copyName(k, given.tp_name, given.tp_name_len, name, ctx.isKernel)) throw new KernelError('ENOSPC');
  const out = encodeAttr(BPF_LINK_INFO, {
    type: l.linkType, id: l.id, prog_id: l.prog.id, tp_name: given.tp_name, tp_name_len: name.length + 1,
  }, BPF_LINK_INFO_SIZE);
  return finish(k, ctx, ptr, out, len);
}

export function objGetInfoByFd(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  checkAttr(attr, OBJ_INFO_ATTR, 'info');
  const a = attr.read(OBJ_INFO_ATTR);
  const e = k.fdEntry(a.bpf_fd);
  if (!e) throw new KernelError('EBADFD');
  if (e.type !== 'bpf') throw new KernelError('EINVAL');
  switch (e.obj.kind) {
    case 'map': return mapInfo(k, e.obj, a.info, a.info_len, ctx);
    case 'prog': return progInfo(k, e.obj, a.info, a.info_len, ctx);
    case 'btf': return btfInfo(k, e.obj, a.info, a.info_len, ctx);
    case 'link': return linkInfo(k, e.obj, a.info, a.info_len, ctx);
  }
}
