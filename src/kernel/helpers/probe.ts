/**
 * bpf_probe_read_{kernel,user}[_str], bpf_copy_from_user: copy or zero-fill on failure
 * (kernel/trace/bpf_trace.c, kernel/bpf/helpers.c).
 *
 * copy_from_kernel_nofault refuses user addresses with -ERANGE (the loader's NULL read that zeroes
 * its stack returns -ERANGE, ignored); an unmapped kernel address is -EFAULT. copy_from_user only
 * reads user memory (-EFAULT otherwise).
 */
import { ERRNO } from '../../errno.js';
import type { Helper } from '../../interpreter/vm.js';
import type { Kernel } from '../kernel.js';
import { addressKind, argWrite, readBytes } from './mem.js';

function copyOrZero(k: Kernel, dst: bigint, size: number, src: bigint, want: 'user' | 'kernel'): number {
  const kind = addressKind(k.space, src, size);
  let ret = 0;
  let data: Uint8Array | null = null;
  if (want === 'kernel' && kind === 'user') ret = -ERRNO.ERANGE;
  else if (want === 'kernel' && src >= 0n && src < 0x1000n) ret = -ERRNO.ERANGE;
  else if (kind !== want) ret = -ERRNO.EFAULT;
  else data = readBytes(k.space, src, size);
  if (!data) { data = new Uint8Array(size); if (ret === 0) ret = -ERRNO.EFAULT; }
  argWrite(k.space, dst, data, 'probe_read dst');
  return ret;
}

function strOrZero(k: Kernel, dst: bigint, size: number, src: bigint, want: 'user' | 'kernel'): number {
  if (size === 0) return 0;
  const out = new Uint8Array(size);
  const kind = addressKind(k.space, src, 1);
  if (kind !== want) { argWrite(k.space, dst, out, 'probe_read_str dst'); return want === 'kernel' && kind === 'user' ? -ERRNO.ERANGE : -ERRNO.EFAULT; }
  let n = 0;
  for (; n < size - 1; n++) {
    const b = readBytes(k.space, src + BigInt(n), 1);
    if (!b) { out.fill(0); argWrite(k.space, dst, out, 'probe_read_str dst'); return -ERRNO.EFAULT; }
    if (b[0] === 0) break;
    out[n] = b[0];
  }
  argWrite(k.space, dst, out.subarray(0, n + 1), 'probe_read_str dst');
  return n + 1;
}

export function probeHelpers(k: Kernel): Array<[number, Helper]> {
  const u32 = (vm: Parameters<Helper>[0], i: number) => vm.argU32(i);
  return [
    [4, (vm) => copyOrZero(k, vm.reg(1), u32(vm, 2), vm.reg(3), addressKind(k.space, vm.reg(3), 1) === 'user' ? 'user' : 'kernel')],
    [45, (vm) => strOrZero(k, vm.reg(1), u32(vm, 2), vm.reg(3), addressKind(k.space, vm.reg(3), 1) === 'user' ? 'user' : 'kernel')],
    [112, (vm) => copyOrZero(k, vm.reg(1), u32(vm, 2), vm.reg(3), 'user')],
    [113, (vm) => copyOrZero(k, vm.reg(1), u32(vm, 2), vm.reg(3), 'kernel')],
    [114, (vm) => strOrZero(k, vm.reg(1), u32(vm, 2), vm.reg(3), 'user')],
    [115, (vm) => strOrZero(k, vm.reg(1), u32(vm, 2), vm.reg(3), 'kernel')],
    [148, (vm) => {
      const ret = copyOrZero(k, vm.reg(1), u32(vm, 2), vm.reg(3), 'user');
      k.emit({ type: 'helper', helper: 'copy_from_user', args: { size: u32(vm, 2) }, ret });
      return ret;
    }],
  ];
}
