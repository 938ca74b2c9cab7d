/**
 * The simulated process's memory: buffers the userspace side (skeleton replay, tests) hands to the
 * kernel by address. Each allocation is a user region of the shared address space, so kernel code
 * reads it exactly like Linux's copy_from_user: by address, failing with EFAULT when unmapped.
 */
import { AddressSpace, PERM_R, PERM_RW, type Region } from '../interpreter/memory.js';

export interface UserBuffer {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
  readonly region: Region;
}

export class UserMemory {
  private readonly live = new Map<bigint, Region>();

  constructor(private readonly space: AddressSpace) {}

  /** Allocate a zeroed buffer, or one holding a copy of `init`. */
  alloc(sizeOrInit: number | Uint8Array, opts: { readonly readOnly?: boolean; readonly name?: string } = {}): UserBuffer {
    const bytes = typeof sizeOrInit === 'number' ? new Uint8Array(sizeOrInit) : sizeOrInit.slice();
    const region = this.space.map(bytes, { kind: 'user', name: opts.name ?? 'user', perm: opts.readOnly ? PERM_R : PERM_RW, kernel: false });
    this.live.set(region.base, region);
    return { addr: region.base, bytes, region };
  }

  /**
   * Map existing bytes into user memory without copying (an mmap of a kernel object such as an
   * mmapable array's value area: both views alias the same storage).
   */
  alias(bytes: Uint8Array, opts: { readonly readOnly?: boolean; readonly name?: string } = {}): UserBuffer {
    const region = this.space.map(bytes, { kind: 'user', name: opts.name ?? 'mmap', perm: opts.readOnly ? PERM_R : PERM_RW, kernel: false });
    this.live.set(region.base, region);
    return { addr: region.base, bytes, region };
  }

  free(addr: bigint): boolean {
    const r = this.live.get(addr);
    if (!r) return false;
    this.space.unmap(r);
    this.live.delete(addr);
    return true;
  }

  /** Number of live allocations (tests check for leaks). */
  get count(): number {
    return this.live.size;
  }
}
