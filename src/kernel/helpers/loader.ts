/**
 * The helpers only SYSCALL programs (the light-skeleton loader) get (kernel/bpf/syscall.c,
 * signing.md §4.2, §4.7): bpf_sys_bpf with its allow-list, bpf_btf_find_by_name_kind,
 * bpf_sys_close, bpf_kallsyms_lookup_name.
 */
import { ERRNO } from '../../errno.js';
import type { Helper, Vm } from '../../interpreter/vm.js';
import type { Kernel } from '../kernel.js';
import { BPF_CMD, cmdName } from '../uapi.js';
import { argBytes, argWrite } from './mem.js';

/** Commands bpf_sys_bpf lets a program issue; anything else is -EINVAL without reaching __sys_bpf. */
export const SYS_BPF_ALLOWED: ReadonlySet<number> = new Set([
  BPF_CMD.BPF_MAP_CREATE, BPF_CMD.BPF_MAP_DELETE_ELEM, BPF_CMD.BPF_MAP_UPDATE_ELEM, BPF_CMD.BPF_MAP_FREEZE,
  BPF_CMD.BPF_MAP_GET_FD_BY_ID, BPF_CMD.BPF_PROG_LOAD, BPF_CMD.BPF_BTF_LOAD, BPF_CMD.BPF_LINK_CREATE,
  BPF_CMD.BPF_RAW_TRACEPOINT_OPEN,
]);

/** A NUL-terminated name argument of `size` bytes (size > 1 and the last byte NUL, else -EINVAL). */
function nameArg(k: Kernel, vm: Vm, what: string): string | null {
  const size = vm.argU32(2);
  if (size <= 1) return null;
  const b = argBytes(k.space, vm.reg(1), size, what);
  if (b[size - 1] !== 0) return null;
  const end = b.indexOf(0);
  return String.fromCharCode(...b.subarray(0, end));
}

export function loaderHelpers(k: Kernel): Array<[number, Helper]> {
  return [
    [166, (vm) => {
      const cmd = vm.argU32(1);
      if (!SYS_BPF_ALLOWED.has(cmd)) {
        k.emit({ type: 'helper', helper: 'sys_bpf', args: { cmd: cmdName(cmd), refused: 'not in the bpf_sys_bpf allow-list' }, ret: -ERRNO.EINVAL });
        return -ERRNO.EINVAL;
      }
      return k.sysBpf(cmd, vm.reg(2), vm.argU32(3), true);
    }],
    [167, (vm) => {
      const kind = vm.argU32(3);
      const flags = vm.reg(4);
      const name = nameArg(k, vm, 'bpf_btf_find_by_name_kind name');
      let ret: number;
      if (flags !== 0n || name === null) ret = -ERRNO.EINVAL;
      else {
        const id = k.vmlinux.findByNameKind(name, kind);
        ret = id > 0 ? id : -ERRNO.ENOENT;
      }
      k.emit({ type: 'helper', helper: 'btf_find_by_name_kind', args: { name: name ?? '', btf_kind: kind }, ret });
      return ret;
    }],
    [168, (vm) => {
      const fd = vm.argU32(1) | 0;
      const ret = k.close(fd, true);
      k.emit({ type: 'helper', helper: 'sys_close', args: { fd }, ret });
      return ret;
    }],
    [179, (vm) => {
      // (name, name_sz, flags, u64 *res): res is zeroed first; 0 or -EINVAL/-EPERM/-ENOENT.
      const res = vm.reg(4);
      const zero = new Uint8Array(8);
      argWrite(k.space, res, zero, 'bpf_kallsyms_lookup_name res');
      const name = nameArg(k, vm, 'bpf_kallsyms_lookup_name name');
      let ret: number;
      if (vm.reg(3) !== 0n || name === null) ret = -ERRNO.EINVAL;
      else if (!k.config.caps.perfmon) ret = -ERRNO.EPERM;
      else {
        const addr = k.kallsyms.get(name);
        if (addr === undefined) ret = -ERRNO.ENOENT;
        else {
          const b = new Uint8Array(8);
          new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, addr), true);
          argWrite(k.space, res, b, 'bpf_kallsyms_lookup_name res');
          ret = 0;
        }
      }
      k.emit({ type: 'helper', helper: 'kallsyms_lookup_name', args: { name: name ?? '' }, ret });
      return ret;
    }],
  ];
}


