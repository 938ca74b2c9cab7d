/** Small pieces several commands share. */
import { KernelError } from '../../errno.js';
import type { AttrBytes, Layout } from '../attr.js';
import { offsetofend } from '../attr.js';
import type { Kernel } from '../kernel.js';
import type { BtfObject } from '../objects.js';

/** CHECK_ATTR(CMD): bytes after the command's last field must be zero, else EINVAL. */
export function checkAttr(attr: AttrBytes, l: Layout, lastField: string): void {
  if (!attr.zeroFrom(offsetofend(l, lastField))) throw new KernelError('EINVAL');
}

/**
 * The kernel's isalnum() (lib/ctype.c): ASCII letters and digits, and the Latin-1 letters
 * 0xc0-0xd6, 0xd8-0xf6 and 0xf8-0xff (the kernel's ctype table is ISO-8859-1).
 */
function isalnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    (c >= 0xc0 && c <= 0xff && c !== 0xd7 && c !== 0xf7);
}

/**
 * bpf_obj_name_cpy: the name must be NUL-terminated within 16 bytes and use only isalnum(), '_' and '.',
 * else EINVAL. Returns the name.
 */
export function objNameCpy(name: Uint8Array): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === 0) return out;
    const ok = isalnum(c) || c === 0x5f || c === 0x2e;
    if (!ok) throw new KernelError('EINVAL');
    out += String.fromCharCode(c);
  }
  throw new KernelError('EINVAL');
}

/** btf_get_by_fd: EBADF when the fd is not open, EINVAL when it is not a BTF object. Takes a reference. */
export function btfGetByFd(k: Kernel, fd: number): BtfObject {
  const e = k.fdEntry(fd);
  if (!e) throw new KernelError('EBADF');
  if (e.type !== 'bpf' || e.obj.kind !== 'btf') throw new KernelError('EINVAL');
  k.objects.get(e.obj);
  return e.obj;
}

/**
 * bpf_token_get_from_fd for a BPF_F_TOKEN_FD request: EBADF when the fd is not open, EINVAL when it
 * is not a BPF token. bpfsim models no BPF FS, so BPF_TOKEN_CREATE never succeeds and no open fd is a token.
 */
export function tokenGetFromFd(k: Kernel, fd: number): never {
  if (!k.fdEntry(fd)) throw new KernelError('EBADF');
  throw new KernelError('EINVAL');
}

/**
 * check_zeroed_user / memchr_inv over `len` bytes at `ptr`, as bpf_check_uarg_tail_zero uses it:
 * the bytes are read in order, so a non-zero byte before the first unreadable one is `nonzero`
 * (E2BIG), an unreadable byte first is `fault` (EFAULT).
 */
export function checkZeroed(k: Kernel, ptr: bigint, len: number, isKernel: boolean): 'zero' | 'nonzero' | 'fault' {
  if (len <= 0) return 'zero';
  const at = k.space.resolve(ptr, 1);
  if (!at || at.region.kernel !== isKernel) return 'fault';
  // A region is the only mapping at its addresses: what follows its end is unmapped.
  const readable = Math.min(len, at.region.bytes.length - at.offset);
  for (let i = 0; i < readable; i++) if (at.region.bytes[at.offset + i] !== 0) return 'nonzero';
  return readable < len ? 'fault' : 'zero';
}

/** copy_from_bpfptr or EFAULT. */
export function copyIn(k: Kernel, ptr: bigint, len: number, isKernel: boolean): Uint8Array {
  const b = k.copyFromBpfptr(ptr, len, isKernel);
  if (!b) throw new KernelError('EFAULT');
  return b;
}

/** copy_to_bpfptr or EFAULT. */
export function copyOut(k: Kernel, ptr: bigint, data: Uint8Array, isKernel: boolean): void {
  if (!k.copyToBpfptr(ptr, data, isKernel)) throw new KernelError('EFAULT');
}

/** strncpy_from_bpfptr into a buffer of `max` bytes: the string up to NUL (EFAULT when unreadable). */
export function stringIn(k: Kernel, ptr: bigint, max: number, isKernel: boolean): string {
  let s = '';
  for (let i = 0; i < max - 1; i++) {
    const b = k.copyFromBpfptr(ptr + BigInt(i), 1, isKernel);
    if (!b) throw new KernelError('EFAULT');
    if (b[0] === 0) return s;
    s += String.fromCharCode(b[0]);
  }
  return s;
}

export function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
