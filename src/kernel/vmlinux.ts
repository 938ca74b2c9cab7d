/**
 * The kernel's own BTF (vmlinux): what bpf_btf_find_by_name_kind searches, what attach_btf_id
 * and kfunc ids refer to. Either a small built-in BTF (./btf's default, enough for the fixtures:
 * ids differ from a real kernel's) or a real one such as /sys/kernel/btf/vmlinux.
 */
import { readFileSync } from 'node:fs';
import { ERRNO } from '../errno.js';
import { Btf, defaultVmlinuxBtf } from './btf/index.js';

export interface VmlinuxBtf {
  readonly btf: Btf;
  readonly bytes: Uint8Array;
  /** btf_find_by_name_kind: the type id, or -ENOENT. */
  findByNameKind(name: string, kind: number): number;
  nameOf(id: number): string | undefined;
}

export function vmlinuxFromBtf(btf: Btf): VmlinuxBtf {
  return {
    btf,
    bytes: btf.bytes,
    findByNameKind: (name, kind) => {
      const id = btf.findByNameKind(name, kind);
      return id > 0 ? id : -ERRNO.ENOENT;
    },
    nameOf: (id) => (id > 0 && id < btf.nrTypes ? btf.nameOf(id) : undefined),
  };
}

let builtin: VmlinuxBtf | null = null;

/** The built-in default (parsed once per process). */
export function defaultVmlinux(): VmlinuxBtf {
  builtin ??= vmlinuxFromBtf(defaultVmlinuxBtf());
  return builtin;
}

/** A vmlinux BTF file, e.g. /sys/kernel/btf/vmlinux. */
export function loadVmlinuxFile(path: string): VmlinuxBtf {
  return vmlinuxFromBtf(Btf.parse(new Uint8Array(readFileSync(path))));
}
