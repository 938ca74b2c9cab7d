/**
 * How a check rejects a program: it writes Linux's message to the log and unwinds to the driver
 * with the errno (Linux returns the negative errno up the call chain; bpfsim throws one internal
 * exception type that verify() catches, so the public API never throws).
 */
import type { VLog } from './log.js';

export class VerifierAbort extends Error {
  constructor(readonly errno: number) {
    super(`verifier rejected the program (errno ${errno})`);
    this.name = 'VerifierAbort';
  }
}

/** Log `message` (already newline-terminated, may be empty) and abort with `errno`. */
export function fail(log: VLog, errno: number, message: string): never {
  log.verbose(message);
  throw new VerifierAbort(errno);
}
