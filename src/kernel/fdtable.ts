/**
 * The calling process's file descriptor table. Linux hands out the lowest free number; fds 0–2 are
 * taken by stdio in a fresh process (the fixtures' fd convention: `__loader.map` = 3).
 */
import type { KernelObject } from './objects.js';

/** FMODE bits of a BPF object's file (map_get_sys_perms). */
export const FMODE_CAN_READ = 1;
export const FMODE_CAN_WRITE = 2;

export type FdEntry =
  | { readonly type: 'bpf'; readonly obj: KernelObject; readonly fmode: number }
  /** Something that is not a BPF object (stdio, a regular file): BPF commands reject it. */
  | { readonly type: 'other'; readonly what: string };

/** Linux's RLIMIT_NOFILE default soft limit. */
export const DEFAULT_NOFILE = 1024;

export class FdTable {
  private readonly entries = new Map<number, FdEntry>();

  constructor(readonly limit = DEFAULT_NOFILE, stdio = true) {
    if (stdio) for (let fd = 0; fd < 3; fd++) this.entries.set(fd, { type: 'other', what: ['stdin', 'stdout', 'stderr'][fd] });
  }

  /** Lowest free fd, or -1 at the limit (EMFILE). */
  lowestFree(): number {
    for (let fd = 0; fd < this.limit; fd++) if (!this.entries.has(fd)) return fd;
    return -1;
  }

  install(entry: FdEntry): number {
    const fd = this.lowestFree();
    if (fd >= 0) this.entries.set(fd, entry);
    return fd;
  }

  get(fd: number): FdEntry | undefined {
    return Number.isInteger(fd) && fd >= 0 ? this.entries.get(fd) : undefined;
  }

  /** Remove and return the entry (close). */
  remove(fd: number): FdEntry | undefined {
    const e = this.get(fd);
    if (e) this.entries.delete(fd);
    return e;
  }

  /** Open fds in ascending order. */
  list(): Array<[number, FdEntry]> {
    return [...this.entries.entries()].sort((a, b) => a[0] - b[0]);
  }
}
