/**
 * BPF_PROG_TEST_RUN (bpf_prog_test_run in kernel/bpf/syscall.c, then the type's test_run in
 * net/bpf/test_run.c). A program's failure is reported only through attr.test.retval.
 *
 * The generic part checks only what bpf_prog_test_run checks (CHECK_ATTR, ctx_in/ctx_size_in and
 * ctx_out/ctx_size_out pairing, the program fd); every input buffer is copied by the type's own
 * test_run (../progtypes.ts), after that type's checks, and each type writes back its own fields.
 */
import { ERRNO, KernelError } from '../../errno.js';
import { TEST_RUN_ATTR, type AttrBytes, type AttrOf } from '../attr.js';
import type { Kernel } from '../kernel.js';
import { PAGE_SIZE } from '../uapi.js';
import { testRunnerFor, type TestRunOutput } from '../progtypes.js';
import { checkAttr, checkZeroed, copyIn, copyOut, u32le } from './common.js';
import type { SysCtx } from './index.js';

/** bpf_check_uarg_tail_zero for a user buffer the command reads (E2BIG, EFAULT). */
export function checkTailZero(k: Kernel, ptr: bigint, expected: number, actual: number, isKernel: boolean): void {
  if (actual >>> 0 > PAGE_SIZE) throw new KernelError('E2BIG');
  if (actual <= expected) return;
  const tail = checkZeroed(k, ptr + BigInt(expected), actual - expected, isKernel);
  if (tail === 'nonzero') throw new KernelError('E2BIG');
  if (tail === 'fault') throw new KernelError('EFAULT');
}

export function progTestRun(k: Kernel, attr: AttrBytes, ctx: SysCtx): number {
  checkAttr(attr, TEST_RUN_ATTR, 'batch_size');
  const a = attr.read(TEST_RUN_ATTR);
  if ((a.ctx_size_in && a.ctx_in === 0n) || (!a.ctx_size_in && a.ctx_in !== 0n)) throw new KernelError('EINVAL');
  if ((a.ctx_size_out && a.ctx_out === 0n) || (!a.ctx_size_out && a.ctx_out !== 0n)) throw new KernelError('EINVAL');
  const prog = k.progFromFd(a.prog_fd);
  const runner = testRunnerFor(prog.progType);
  if (!runner) throw new KernelError('ENOTSUPP');
  const out = runner(k, prog, {
    dataIn: a.data_in, dataSizeIn: a.data_size_in, dataOut: a.data_out, dataSizeOut: a.data_size_out,
    ctxIn: a.ctx_in, ctxSizeIn: a.ctx_size_in, ctxOut: a.ctx_out, ctxSizeOut: a.ctx_size_out,
    repeat: a.repeat, flags: a.flags, cpu: a.cpu, batchSize: a.batch_size, duration: a.duration,
    copyFromUser: (ptr, len) => copyIn(k, ptr, len, ctx.isKernel),
    checkTailZero: (ptr, expected, actual) => checkTailZero(k, ptr, expected, actual, ctx.isKernel),
  });
  attr.setU32(4, out.retval);
  return finish(k, ctx, a, out);
}

function finish(k: Kernel, ctx: SysCtx, a: AttrOf<typeof TEST_RUN_ATTR>, out: TestRunOutput): number {
  const base = ctx.attrPtr;
  switch (out.finish) {
    case 'retval':
      // bpf_prog_test_run_raw_tp writes only test.retval.
      copyOut(k, base + 4n, u32le(out.retval), ctx.isKernel);
      return 0;
    case 'syscall':
      // bpf_prog_test_run_syscall: retval, then the (possibly modified) ctx back into ctx_in.
      copyOut(k, base + 4n, u32le(out.retval), ctx.isKernel);
      if (out.ctx.length) copyOut(k, a.ctx_in, out.ctx, ctx.isKernel);
      return 0;
    case 'test_finish': {
      // bpf_test_finish: a data_size_out hint smaller than the packet clamps the copy and makes the
      // result ENOSPC (even without a data_out buffer); then data_size_out, retval, duration. Linux
      // returns its pending error for a failed copy too, so a clamped copy that faults is ENOSPC.
      const put = (ptr: bigint, bytes: Uint8Array) => k.copyToBpfptr(ptr, bytes, ctx.isKernel);
      let err: number = ERRNO.EFAULT;
      let copy = out.data.length;
      if (a.data_size_out && copy > a.data_size_out) { copy = a.data_size_out; err = ERRNO.ENOSPC; }
      if ((a.data_out !== 0n && !put(a.data_out, out.data.subarray(0, copy))) ||
          !put(base + 12n, u32le(out.data.length)) || !put(base + 4n, u32le(out.retval)) || !put(base + 36n, u32le(out.duration))) {
        throw new KernelError(err);
      }
      if (err === ERRNO.ENOSPC) throw new KernelError(err);
      // bpf_ctx_finish (only after a clean bpf_test_finish, with both a context and ctx_out), same rules.
      if (out.ctx && a.ctx_out !== 0n) {
        let cerr: number = ERRNO.EFAULT;
        let n = out.ctx.length;
        if (n > a.ctx_size_out) { n = a.ctx_size_out; cerr = ERRNO.ENOSPC; }
        if (!put(a.ctx_out, out.ctx.subarray(0, n)) || !put(base + 44n, u32le(out.ctx.length))) throw new KernelError(cerr);
        if (cerr === ERRNO.ENOSPC) throw new KernelError(cerr);
      }
      return 0;
    }
  }
}
