/**
 * Element storage for hash maps: fixed-size value slots in a few large kernel regions.
 *
 * Linux keeps each hash element's value at a fixed address for the element's whole life (programs
 * hold pointers to it). Mapping one region per element would exhaust the address space's 65,535
 * region slots, so slots are carved out of chunk regions: preallocated maps map their full pool at
 * creation (one region up to 256 MiB, more only beyond that); BPF_F_NO_PREALLOC maps grow on demand
 * by chunks that double the pool each time (so a map needs about log2(max_entries) regions), and
 * each chunk is charged when it is mapped, as Linux charges elements when it allocates them.
 *
 * What a stale pointer sees. A slot's memory stays mapped until the map is freed (like Linux's
 * preallocated elements, which are recycled, never returned). After an element is deleted or
 * replaced, its slot goes to the back of a FIFO queue: a preallocated pool hands out never-used
 * slots first and recycled ones in the order they were freed, so a pointer kept past a delete
 * aliases a new element only after every other free slot has been used (Linux's per-CPU freelist
 * is LIFO and reuses it at once). A NO_PREALLOC pool reuses the oldest freed slot before it grows.
 */
import { KernelError } from '../../errno.js';
import type { Region } from '../../interpreter/memory.js';
import { POOL_CHUNK_BYTES } from './constants.js';
import type { MapResources } from './resources.js';

export interface SlabOptions {
  /** Bytes per slot (a multiple of 8). */
  readonly slotBytes: number;
  /** Most slots the pool can ever hold. */
  readonly capacity: number;
  /** Map every slot now (the caller charged them) rather than on demand. */
  readonly prealloc: boolean;
  /** Kernel bytes charged per slot when the pool grows on demand. */
  readonly chargePerSlot: number;
  /** Region permissions for programs. */
  readonly perm: number;
  readonly name: string;
  /** The map, recorded as the regions' owner. */
  readonly owner: object;
}

interface Chunk {
  readonly start: number;
  readonly count: number;
  readonly region: Region;
}

/** First chunk of an on-demand pool, in slots. */
const FIRST_CHUNK_SLOTS = 16;

/** Value slots addressed by index, backed by a few chunk regions. */
export class ValueSlab {
  readonly slotBytes: number;
  readonly capacity: number;
  private readonly chunks: Chunk[] = [];
  private backed = 0;

  constructor(private readonly res: MapResources, private readonly opts: SlabOptions) {
    this.slotBytes = opts.slotBytes;
    this.capacity = opts.capacity;
    if (opts.prealloc) this.growTo(opts.capacity, false);
  }

  /** Slots backed by memory so far. */
  get backedSlots(): number {
    return this.backed;
  }

  /** Make slots [0, n) usable; throws KernelError ENOMEM when the memory cannot be charged or mapped. */
  ensure(n: number): void {
    if (n <= this.backed) return;
    if (n > this.capacity) throw new KernelError('E2BIG', 'pool capacity exceeded');
    // Double the pool (at least FIRST_CHUNK_SLOTS), never past capacity.
    this.growTo(Math.min(this.capacity, Math.max(n, this.backed * 2, FIRST_CHUNK_SLOTS)), true);
  }

  private growTo(target: number, charge: boolean): void {
    const perChunk = Math.max(1, Math.floor(POOL_CHUNK_BYTES / this.slotBytes));
    // Bounded: each iteration backs at least one more slot.
    while (this.backed < target) {
      const count = Math.min(target - this.backed, perChunk);
      const cost = charge ? count * this.opts.chargePerSlot : 0;
      this.res.charge(cost);
      let region: Region;
      try {
        region = this.res.mapZeroed(count * this.slotBytes, {
          kind: 'map_value', name: `${this.opts.name} [${this.backed}..${this.backed + count})`, perm: this.opts.perm,
        }, this.opts.owner);
      } catch (e) {
        // A failed growth leaves the map as it was (a failed update changes nothing).
        this.res.uncharge(cost);
        throw e;
      }
      this.chunks.push({ start: this.backed, count, region });
      this.backed += count;
    }
  }

  private chunkOf(slot: number): Chunk {
    const cs = this.chunks;
    let lo = 0, hi = cs.length - 1;
    // Binary search over chunk starts (bounded by log2 of the chunk count).
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (cs[mid].start <= slot) lo = mid; else hi = mid - 1;
    }
    return cs[lo];
  }

  /** Address of byte `off` of slot `slot`. */
  address(slot: number, off = 0): bigint {
    const c = this.chunkOf(slot);
    return c.region.base + BigInt((slot - c.start) * this.slotBytes + off);
  }

  /** The slot's bytes (a view: writes go to the map's memory). */
  bytes(slot: number): Uint8Array {
    const c = this.chunkOf(slot);
    const off = (slot - c.start) * this.slotBytes;
    return c.region.bytes.subarray(off, off + this.slotBytes);
  }
}

/**
 * Which slot the next element gets (see the module comment): never-used slots first for a
 * preallocated pool, the oldest freed slot first for an on-demand one.
 */
export class SlotAllocator {
  private fresh = 0;
  private queue = new Int32Array(16);
  private qHead = 0;
  private qLen = 0;

  constructor(private readonly slab: ValueSlab, private readonly preferFresh: boolean) {}

  /** A free slot, or -1 when all `capacity` slots are in use. Throws ENOMEM when growing fails. */
  alloc(): number {
    if (this.preferFresh && this.fresh < this.slab.capacity) return this.takeFresh();
    if (this.qLen > 0) {
      const s = this.queue[this.qHead];
      this.qHead = (this.qHead + 1) % this.queue.length;
      this.qLen--;
      return s;
    }
    if (this.fresh < this.slab.capacity) return this.takeFresh();
    return -1;
  }

  private takeFresh(): number {
    this.slab.ensure(this.fresh + 1);
    return this.fresh++;
  }

  free(slot: number): void {
    if (this.qLen === this.queue.length) {
      const bigger = new Int32Array(this.queue.length * 2);
      for (let i = 0; i < this.qLen; i++) bigger[i] = this.queue[(this.qHead + i) % this.queue.length];
      this.queue = bigger;
      this.qHead = 0;
    }
    this.queue[(this.qHead + this.qLen) % this.queue.length] = slot;
    this.qLen++;
  }
}
