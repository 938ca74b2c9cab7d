/**
 * The failure value of the signature layer: a Linux errno plus a sentence saying which check
 * failed. Every public function of src/signature reports bad input this way instead of throwing.
 */
import { ERRNO, KernelError, errnoName, type ErrnoName } from '../errno.js';

/**
 * EMSGSIZE (90): lib/asn1_decoder.c refuses BER input longer than 65535 bytes. Not (yet) in
 * src/errno.ts's table, so it is spelled here; errnoName() prints it as "E90".
 */
export const EMSGSIZE = 90;

export interface Failure {
  readonly ok: false;
  /** Positive Linux errno (22 for EINVAL). */
  readonly errno: number;
  /** "EINVAL", ... (errnoName of `errno`). */
  readonly errnoName: string;
  /** What failed, in the spirit of the kernel's pr_warn/pr_debug line for it. */
  readonly reason: string;
}

export function failure(errno: ErrnoName | number, reason: string): Failure {
  const n = typeof errno === 'number' ? Math.abs(errno) : ERRNO[errno];
  return { ok: false, errno: n, errnoName: n === EMSGSIZE ? 'EMSGSIZE' : errnoName(n), reason };
}

/** The same failure as the project's one errno type, for layers that throw. */
export function failureToKernelError(f: Failure): KernelError {
  return new KernelError(f.errno, `${f.errnoName}: ${f.reason}`);
}
