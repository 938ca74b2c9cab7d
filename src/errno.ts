/**
 * Linux errno numbers and names (x86-64, include/uapi/asm-generic/errno*.h plus the kernel-internal
 * ENOTSUPP = 524). The one errno type of bpfsim: every layer reports failures as a {@link KernelError}
 * or a plain negative errno number, and prints names with {@link errnoName}.
 */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36,
  ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ENOMSG: 42, ENOSTR: 60, ENODATA: 61, ETIME: 62, ENOSR: 63,
  ENOPKG: 65, EPROTO: 71, EBADMSG: 74, EOVERFLOW: 75, EBADFD: 77, EMSGSIZE: 90, EOPNOTSUPP: 95, EADDRINUSE: 98,
  ECANCELED: 125, ENOKEY: 126, EKEYEXPIRED: 127, EKEYREVOKED: 128, EKEYREJECTED: 129,
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof ERRNO;

const NAMES: ReadonlyMap<number, ErrnoName> = new Map(
  (Object.entries(ERRNO) as Array<[ErrnoName, number]>).map(([k, v]) => [v, k]),
);

/** "EINVAL" for 22 (or -22); "E<n>" for numbers without a name here. */
export function errnoName(n: number): string {
  return NAMES.get(Math.abs(n)) ?? `E${Math.abs(n)}`;
}

/** A failure carrying a Linux errno and, optionally, the message Linux would log. */
export class KernelError extends Error {
  readonly errno: number;
  constructor(errno: number | ErrnoName, message?: string) {
    const n = typeof errno === 'number' ? Math.abs(errno) : ERRNO[errno];
    super(message ?? errnoName(n));
    this.errno = n;
    this.name = 'KernelError';
  }
  get errnoName(): string {
    return errnoName(this.errno);
  }
}
