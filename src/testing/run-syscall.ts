/**
 * Run a program the way Linux's BPF_PROG_TEST_RUN runs a BPF_PROG_TYPE_SYSCALL program
 * (net/bpf/test_run.c, bpf_prog_test_run_syscall): the context bytes are copied into kernel
 * memory, r1 points at them, the program runs, the 32-bit return value is reported and the
 * context is copied back.
 */
import type { Program } from '../isa/program.js';
import { AddressSpace, PERM_RW } from '../interpreter/memory.js';
import { Vm, type RunResult, type VmOptions } from '../interpreter/vm.js';

export interface SyscallRun {
  readonly result: RunResult;
  /** The context after the run (a copy). */
  readonly ctx: Uint8Array;
  /** The low 32 bits of r0 (what BPF_PROG_TEST_RUN reports as retval), or null after a fault. */
  readonly retval: number | null;
}

/** A reusable runner: one VM and address space for any number of runs. */
export class SyscallRunner {
  readonly vm: Vm;

  constructor(opts: VmOptions = {}) {
    this.vm = new Vm(new AddressSpace(), opts);
  }

  run(program: Program, ctx: Uint8Array): SyscallRun {
    const vm = this.vm;
    const copy = ctx.slice();
    const region = copy.length > 0 ? vm.space.map(copy, { kind: 'ctx', name: 'ctx', perm: PERM_RW }) : null;
    try {
      vm.regs.fill(0);
      if (region !== null) vm.setReg(1, region.base);
      const result = vm.run(program);
      return { result, ctx: copy, retval: result.status === 'exit' ? Number(result.r0 & 0xffffffffn) : null };
    } finally {
      if (region !== null) vm.space.unmap(region);
    }
  }
}
