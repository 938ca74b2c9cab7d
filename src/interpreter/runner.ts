/**
 * Running a program the way the conformance suite and uBPF do: r1 = a writable copy of the input
 * memory (or 0 when there is none), r2 = its length, r10 = the top of a zeroed stack.
 * One Runner reuses its VM and address space across runs (batch mode runs thousands per second).
 */
import type { Program } from '../isa/program.js';
import { AddressSpace, PERM_RW } from './memory.js';
import { Vm, type Helper, type RunResult, type VmOptions } from './vm.js';

export interface MemoryRun {
  readonly result: RunResult;
  /** The input memory after the run (a copy; empty when there was no memory). */
  readonly mem: Uint8Array;
}

/**
 * Helpers of the conformance calling convention: helper 5 returns its first argument, as uBPF
 * registers it (call_unwind_fail.data, callx.data). Linux's helper 5 is ktime_get_ns; the kernel
 * model has its own table.
 */
export const CONFORMANCE_HELPERS: ReadonlyArray<Helper | undefined> = (() => {
  const t: Array<Helper | undefined> = [];
  t[5] = (vm) => vm.reg(1);
  return t;
})();

export class Runner {
  readonly vm: Vm;

  constructor(opts: VmOptions = {}) {
    this.vm = new Vm(new AddressSpace(), { helpers: CONFORMANCE_HELPERS, ...opts });
  }

  run(prog: Program, mem: Uint8Array | null): MemoryRun {
    const vm = this.vm;
    vm.regs.fill(0);
    const copy = mem === null ? new Uint8Array(0) : mem.slice();
    const region = copy.length > 0 ? vm.space.map(copy, { kind: 'input', name: 'input', perm: PERM_RW }) : null;
    try {
      if (region !== null) vm.setReg(1, region.base);
      vm.setReg(2, copy.length);
      return { result: vm.run(prog), mem: copy };
    } finally {
      if (region !== null) vm.space.unmap(region);
    }
  }
}
