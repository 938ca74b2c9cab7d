/** bpf_ringbuf_{output,reserve,submit,discard,query} (kernel/bpf/ringbuf.c) over the RINGBUF map model. */
import { HelperFault, type Helper } from '../../interpreter/vm.js';
import type { Kernel } from '../kernel.js';
import { ringbufOfAddress, type RingbufMap } from '../maps/index.js';
import { mapAt } from './maps.js';
import { argBytes } from './mem.js';

function ring(k: Kernel, addr: bigint): RingbufMap {
  const m = mapAt(k, addr).map;
  if (m.kind !== 'ringbuf') throw new HelperFault(`map ${m.name} is not a ring buffer`);
  return m;
}

/** The ring buffer a sample pointer (from bpf_ringbuf_reserve) belongs to. */
function ringOfSample(k: Kernel, addr: bigint): RingbufMap {
  const r = ringbufOfAddress(k.space, addr);
  if (!r) throw new HelperFault(`0x${BigInt.asUintN(64, addr).toString(16)} is not a ring buffer sample`);
  return r;
}

export function ringbufHelpers(k: Kernel): Array<[number, Helper]> {
  return [
    [130, (vm) => ring(k, vm.reg(1)).output(argBytes(k.space, vm.reg(2), vm.argU32(3), 'bpf_ringbuf_output data'), vm.reg(4))],
    [131, (vm) => ring(k, vm.reg(1)).reserve(vm.reg(2), vm.reg(3))],
    [132, (vm) => { ringOfSample(k, vm.reg(1)).submit(vm.reg(1), vm.reg(2)); return 0; }],
    [133, (vm) => { ringOfSample(k, vm.reg(1)).discard(vm.reg(1), vm.reg(2)); return 0; }],
    [134, (vm) => ring(k, vm.reg(1)).query(vm.reg(2))],
  ];
}
