/**
 * vmlinux BTF: the kernel's own type information (/sys/kernel/btf/vmlinux, several MB, ~100k types).
 * The kernel trusts it (btf_parse_vmlinux checks only the metas), so it is parsed structurally here:
 * one pass to find the type records, names decoded and indexed lazily on first lookup.
 *
 * Only vmlinux is modelled: bpf_btf_find_by_name_kind() never finds a module BTF, so the module-fd
 * half (bits 32-63) of its result is always 0.
 */
import { readFileSync } from 'node:fs';
import { ERRNO } from '../../errno.js';
import { Btf, BtfError } from './btf.js';
import { defaultVmlinuxBtf } from './default-vmlinux.js';

export const SYS_VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** Parse a vmlinux BTF file. Throws {@link BtfError} for malformed content; fs errors propagate. */
export function loadVmlinuxBtf(path = SYS_VMLINUX_BTF): Btf {
  const buf = readFileSync(path);
  return Btf.parse(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}

/** The real vmlinux BTF if `path` can be read and parsed, else the built-in default. */
export function vmlinuxBtfOrDefault(path = SYS_VMLINUX_BTF): { btf: Btf; source: 'file' | 'default' } {
  try {
    return { btf: loadVmlinuxBtf(path), source: 'file' };
  } catch (e) {
    if (e instanceof BtfError || (e as NodeJS.ErrnoException).code !== undefined) return { btf: defaultVmlinuxBtf(), source: 'default' };
    throw e;
  }
}

/**
 * bpf_btf_find_by_name_kind(name, name_sz, kind, flags) (helper 167): `name` is the name_sz bytes the
 * program passed. flags != 0, name_sz <= 1, or no NUL at name[name_sz - 1] → -EINVAL; the name is the
 * C string up to its first NUL; not found → -ENOENT; found → the btf_id (module fd bits 0: vmlinux).
 */
export function bpfBtfFindByNameKind(vmlinux: Btf, name: Uint8Array, nameSz: number, kind: number, flags: number): number {
  if (flags !== 0) return -ERRNO.EINVAL;
  if (nameSz <= 1 || name.length < nameSz || name[nameSz - 1] !== 0) return -ERRNO.EINVAL;
  const nul = name.indexOf(0);
  return vmlinux.findByNameKind(name.subarray(0, nul), kind);
}
