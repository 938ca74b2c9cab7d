/**
 * Writing a verifier or BTF log into the caller's buffer (kernel/bpf/log.c). The log machinery
 * itself (rotating vs BPF_LOG_FIXED, truncation → ENOSPC, log_true_size) is ./btf/log.ts's
 * VerifierLog; this module connects it to user memory and to the attr's log_true_size field.
 *
 * The buffer is always a *user* pointer, even for loads the loader issues through bpf_sys_bpf.
 */
import { ERRNO, KernelError } from '../errno.js';
import { PERM_W } from '../interpreter/memory.js';
import { BPF_VERIFIER_TMP_LOG_SIZE, VerifierLog, verifierLogAttrValid, type LogBufState } from './btf/log.js';
import { logWindowFor, type VLogWindow } from '../verifier/index.js';
import type { SysCtx } from './cmd/index.js';
import type { Kernel } from './kernel.js';

/**
 * Whether the caller gave a log buffer the kernel can start writing: Linux only touches the bytes
 * it writes, so the first byte decides here and a fault further in shows up when the log is copied
 * out (EFAULT from writeVerifierLog / the BTF_LOAD copy).
 */
export function logBufState(k: Kernel, buf: bigint, size: number): LogBufState {
  if (buf === 0n) return 'absent';
  if (size === 0) return 'present';
  const at = k.space.resolve(buf, 1, PERM_W);
  return at && !at.region.kernel ? 'present' : 'fault';
}

/** bpf_vlog_init's attribute check: EINVAL for inconsistent log attributes. */
export function checkLogAttrs(k: Kernel, level: number, size: number, buf: bigint): void {
  if (!verifierLogAttrValid({ level: level >>> 0, size: size >>> 0, buf: logBufState(k, buf, size) })) throw new KernelError('EINVAL');
}

/**
 * What of a verifier log the caller's buffer can show, so that the verifier holds no more: the last
 * log_size - 1 bytes (rotating) or the first (BPF_LOG_FIXED); nothing when only log_true_size is
 * asked for (no buffer).
 */
export function logWindowOf(level: number, size: number, buf: bigint): VLogWindow {
  return logWindowFor(level, buf === 0n ? 0 : size >>> 0);
}

/**
 * Put a log text through VerifierLog, copy what the kernel would leave into the user buffer and
 * store log_true_size at `trueSizeOff` when the caller's attr reaches that far. `trueSize` is the
 * verifier's log_true_size when `text` holds only the part the buffer can show. Returns 0 or the
 * finalize errno (ENOSPC, EFAULT).
 */
export function writeVerifierLog(
  k: Kernel, ctx: SysCtx, level: number, size: number, buf: bigint, text: string, trueSizeOff: number, trueSize?: number,
): number {
  const log = new VerifierLog({ level: level >>> 0, size: size >>> 0, buf: logBufState(k, buf, size) });
  if (log.needed) {
    // The text is many verbose() messages; none of them exceeds the 1023 bytes one message may add.
    for (let i = 0; i < text.length; i += BPF_VERIFIER_TMP_LOG_SIZE - 1) log.write(text.slice(i, i + BPF_VERIFIER_TMP_LOG_SIZE - 1));
    if (trueSize !== undefined) log.noteTrueSize(trueSize);
  }
  const fin = log.finalize();
  let err = fin.errno;
  if (fin.bytes) {
    const out = new Uint8Array(fin.bytes.length + 1);
    out.set(fin.bytes);
    if (!k.copyToBpfptr(buf, out, false)) err = ERRNO.EFAULT;
  }
  if (level !== 0 && ctx.size >= trueSizeOff + 4) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, fin.trueSize, true);
    if (!k.copyToBpfptr(ctx.attrPtr + BigInt(trueSizeOff), b, ctx.isKernel)) return ERRNO.EFAULT;
  }
  return err;
}
