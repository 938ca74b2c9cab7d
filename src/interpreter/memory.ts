/**
 * The simulated 64-bit address space shared by the interpreter and the kernel model.
 *
 * Every mapping is a *region*: a byte buffer with permissions, living in one slot of a table of
 * 65,536 slots. An address is `hi:lo` (two 32-bit words); the slot index is the low 16 bits of `hi`
 * and the byte offset inside the region is `lo` (regions start at lo = 0). Translation is
 * therefore O(1): one table read to check that the slot holds a region with exactly this `hi`,
 * one bounds compare, one permission test. Addresses of a freed region never translate again
 * until its slot is reused.
 *
 * Kernel regions (map values, kernel objects, the stack, the program context) get `hi` words
 * of the form 0xffff_xxxx, so they are negative as signed 64-bit numbers, like x86-64 kernel
 * addresses (the signed loader relies on this: "if r1 s<= 0" on a map pointer, signing.md §5.3).
 * User regions (the simulated process's memory) get 0x0000_7fxx-style positive addresses.
 */

export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_RW = PERM_R | PERM_W;

export type RegionKind =
  | 'stack' | 'ctx' | 'packet' | 'input' | 'map_value' | 'map_object' | 'kernel_object' | 'user' | 'ringbuf';

export interface Region {
  readonly slot: number;
  /** The high 32 bits of every address inside the region (as a signed int32). */
  readonly hi: number;
  readonly bytes: Uint8Array;
  readonly kind: RegionKind;
  readonly name: string;
  readonly kernel: boolean;
  /** Base address as an unsigned 64-bit bigint (cold paths: printing, kernel bookkeeping). */
  readonly base: bigint;
}

export interface MapRegionOptions {
  readonly kind: RegionKind;
  readonly name?: string;
  readonly perm?: number;
  /** Kernel address (top bit set) rather than a user address. Defaults by kind. */
  readonly kernel?: boolean;
}

const SLOTS = 1 << 16;
const KERNEL_HI = 0xffff0000 | 0;
const USER_HI = 0x7f000000;
/** Largest region: offsets must fit in the low address word. */
export const MAX_REGION_BYTES = 0xffffffff;

/** A failed translation in cold code: the address and why. */
export class MemoryAccessError extends Error {
  constructor(readonly address: bigint, readonly size: number, message: string) {
    super(message);
    this.name = 'MemoryAccessError';
  }
}

export function formatAddress(a: bigint): string {
  return '0x' + BigInt.asUintN(64, a).toString(16);
}

export class AddressSpace {
  /** Expected `hi` word per slot; a free slot holds ~slot, which can never match (its low 16 bits differ). */
  readonly hiOf = new Int32Array(SLOTS);
  readonly lenOf = new Float64Array(SLOTS);
  readonly permOf = new Uint8Array(SLOTS);
  readonly views: Array<DataView | null> = new Array<DataView | null>(SLOTS).fill(null);
  readonly regions: Array<Region | null> = new Array<Region | null>(SLOTS).fill(null);
  private readonly free: number[] = [];
  private nextSlot = 1; // slot 0 is never used, so that NULL (and small integers) never translate

  constructor() {
    for (let s = 0; s < SLOTS; s++) this.hiOf[s] = ~s;
  }

  /** Map a buffer (not copied: the region aliases it). Throws RangeError when the table is full. */
  map(bytes: Uint8Array, opts: MapRegionOptions): Region {
    if (bytes.length > MAX_REGION_BYTES) throw new RangeError(`region of ${bytes.length} bytes is too large`);
    const slot = this.nextSlot < SLOTS ? this.nextSlot++ : this.free.shift();
    if (slot === undefined) throw new RangeError('address space exhausted (65535 regions)');
    const kernel = opts.kernel ?? opts.kind !== 'user';
    const hi = ((kernel ? KERNEL_HI : USER_HI) | slot) | 0;
    const region: Region = {
      slot, hi, bytes, kind: opts.kind, name: opts.name ?? opts.kind, kernel,
      base: BigInt(hi >>> 0) << 32n,
    };
    this.hiOf[slot] = hi;
    this.lenOf[slot] = bytes.length;
    this.permOf[slot] = opts.perm ?? PERM_RW;
    this.views[slot] = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.regions[slot] = region;
    return region;
  }

  unmap(region: Region): void {
    const s = region.slot;
    if (this.regions[s] !== region) return;
    this.hiOf[s] = ~s;
    this.lenOf[s] = 0;
    this.permOf[s] = 0;
    this.views[s] = null;
    this.regions[s] = null;
    // Reused only after every never-used slot is gone, so stale pointers stay invalid for long.
    this.free.push(s);
  }

  setPerm(region: Region, perm: number): void {
    if (this.regions[region.slot] === region) this.permOf[region.slot] = perm;
  }

  /**
   * Hot-path translation: the slot of the region holding [hi:lo, hi:lo+size) with permission
   * `perm`, or -1. The offset inside the region is `lo >>> 0`.
   */
  tr(lo: number, hi: number, size: number, perm: number): number {
    const s = hi & 0xffff;
    if (this.hiOf[s] !== hi || (lo >>> 0) + size > this.lenOf[s] || (this.permOf[s] & perm) !== perm) return -1;
    return s;
  }

  /** Cold-path lookup of an address (bigint) for `size` bytes; null if unmapped or out of bounds. */
  resolve(addr: bigint, size: number, perm = 0): { region: Region; offset: number } | null {
    const a = BigInt.asUintN(64, addr);
    const hi = Number(a >> 32n) | 0;
    const lo = Number(a & 0xffffffffn);
    const s = this.tr(lo, hi, size, perm);
    if (s < 0) return null;
    return { region: this.regions[s]!, offset: lo };
  }

  /** Copy `len` bytes out; null if any byte is unreadable. */
  read(addr: bigint, len: number): Uint8Array | null {
    if (len === 0) return new Uint8Array(0);
    const at = this.resolve(addr, len, PERM_R);
    return at ? at.region.bytes.slice(at.offset, at.offset + len) : null;
  }

  /** Copy bytes in, honouring write permission unless `force` (kernel-side writes to read-only maps). */
  write(addr: bigint, data: Uint8Array, force = false): boolean {
    if (data.length === 0) return true;
    const at = this.resolve(addr, data.length, force ? 0 : PERM_W);
    if (!at) return false;
    at.region.bytes.set(data, at.offset);
    return true;
  }

  /** The address of byte `offset` of a region. */
  addressOf(region: Region, offset = 0): bigint {
    return region.base + BigInt(offset);
  }

  /** Live regions (for snapshots and diagnostics). */
  live(): Region[] {
    return this.regions.filter((r): r is Region => r !== null);
  }
}
