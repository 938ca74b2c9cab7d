/**
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a multi-producer, single-consumer byte ring of
 * max_entries bytes (a power of 2, a multiple of the page size; key_size and value_size 0).
 *
 * Records are 8-byte aligned and start with Linux's 8-byte header: u32 len with
 * BPF_RINGBUF_BUSY_BIT (reserved, not yet committed) and BPF_RINGBUF_DISCARD_BIT, then u32 pg_off.
 * Positions only grow (consumer <= pending <= producer); a record sits at position & mask. The
 * producer may not run more than size - 1 bytes ahead of the consumer, nor of the oldest record
 * still reserved (pending_pos), exactly as __bpf_ringbuf_reserve checks.
 *
 * Linux maps the data pages twice in a row so that a record wrapping past the end is contiguous.
 * bpfsim's data region is the ring followed by a mirror of its start (2 × size − 8 bytes): a record
 * that wraps is handed out contiguous, its tail lands in the mirror, and committing it (submit,
 * discard, output) copies the tail back to the start of the ring, where the consumer reads it.
 * Before a wrapping record is handed out, the mirror is refreshed from the ring so the program sees
 * the bytes Linux would show it.
 */
import { KernelError } from '../../errno.js';
import { PERM_R, PERM_RW, type Region } from '../../interpreter/memory.js';
import { BPF_F_NUMA_NODE } from '../uapi.js';
import {
  BPF_MAP_STRUCT_SIZE, BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS, BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ,
  PAGE_SIZE, RINGBUF_MAX_RECORD_SZ, RINGBUF_NR_META_PAGES,
} from './constants.js';
import { MapBase, checkLookupFlags, errno, isPowerOf2, roundUp8 } from './common.js';
import type { MapResources } from './resources.js';
import type { MapCreateAttrs, RingbufMap, RingbufPositions } from './types.js';

const RINGBUF_CREATE_FLAG_MASK = BPF_F_NUMA_NODE;
const LEN_MASK = ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT) >>> 0;

/** ringbuf_map_alloc's attribute checks (Linux has no map_alloc_check for ring buffers). */
export function ringbufCheck(a: MapCreateAttrs): void {
  if (a.mapFlags & ~RINGBUF_CREATE_FLAG_MASK) throw new KernelError('EINVAL', 'invalid ring buffer flags');
  if (a.keySize !== 0 || a.valueSize !== 0 || !isPowerOf2(a.maxEntries) || a.maxEntries % PAGE_SIZE !== 0) {
    throw new KernelError('EINVAL', 'ring buffer size must be a power of 2 and a multiple of the page size, with key_size and value_size 0');
  }
}

function getPos(r: Region, off: number): number {
  const v = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  return v.getUint32(off, true) + v.getUint32(off + 4, true) * 2 ** 32;
}

function setPos(r: Region, off: number, pos: number): void {
  const v = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  v.setUint32(off, pos % 2 ** 32, true);
  v.setUint32(off + 4, Math.floor(pos / 2 ** 32), true);
}

class RingbufMapImpl extends MapBase implements RingbufMap {
  readonly kind = 'ringbuf' as const;
  readonly valueArea = null;
  readonly syscallValueSize = 0;
  readonly data: Region;
  readonly consumerPage: Region;
  readonly producerPage: Region;
  wakeups = 0;
  private readonly size: number;
  private readonly mask: number;
  private readonly view: DataView;

  constructor(res: MapResources, attrs: MapCreateAttrs) {
    super(res, attrs);
    this.size = attrs.maxEntries;
    this.mask = this.size - 1;
    const label = `ringbuf ${attrs.name || ''}`.trim();
    this.consumerPage = res.mapZeroed(PAGE_SIZE, { kind: 'ringbuf', name: `${label} consumer_pos`, perm: PERM_R }, this);
    // producer_pos at 0, pending_pos at 8, as in struct bpf_ringbuf.
    this.producerPage = res.mapZeroed(PAGE_SIZE, { kind: 'ringbuf', name: `${label} producer_pos`, perm: PERM_R }, this);
    this.data = res.mapZeroed(2 * this.size - BPF_RINGBUF_HDR_SZ, { kind: 'ringbuf', name: `${label} data`, perm: PERM_RW }, this);
    this.view = new DataView(this.data.bytes.buffer, this.data.bytes.byteOffset, this.data.bytes.byteLength);
  }

  get count(): number {
    return 0;
  }

  private get consumerPos(): number {
    return getPos(this.consumerPage, 0);
  }

  private get producerPos(): number {
    return getPos(this.producerPage, 0);
  }

  private get pendingPos(): number {
    return getPos(this.producerPage, 8);
  }

  get positions(): RingbufPositions {
    return { consumer: this.consumerPos, producer: this.producerPos, pending: this.pendingPos };
  }

  // ---------------------------------------------------------------- syscall side: not supported
  lookup(_key: Uint8Array, flags: bigint): Uint8Array {
    checkLookupFlags(flags);
    throw new KernelError('ENOTSUPP', 'ring buffers have no elements');
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: bigint): void {
    throw new KernelError('ENOTSUPP', 'ring buffers have no elements');
  }

  delete(_key: Uint8Array): void {
    throw new KernelError('ENOTSUPP', 'ring buffers have no elements');
  }

  getNextKey(_key: Uint8Array | null): Uint8Array {
    throw new KernelError('ENOTSUPP', 'ring buffers have no elements');
  }

  lookupElem(_key: Uint8Array): bigint {
    return 0n;
  }

  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: bigint): number {
    return errno('ENOTSUPP');
  }

  deleteElem(_key: Uint8Array): number {
    return errno('ENOTSUPP');
  }

  // ---------------------------------------------------------------- producer (helpers)
  reserve(size: bigint | number, flags: bigint): bigint {
    if (flags !== 0n) return 0n;
    if (typeof size === 'number' && !Number.isSafeInteger(size)) return 0n;
    const sz = BigInt(size);
    if (sz < 0n || sz > BigInt(RINGBUF_MAX_RECORD_SZ)) return 0n;
    return this.reserveBytes(Number(sz));
  }

  /** __bpf_ringbuf_reserve. */
  private reserveBytes(size: number): bigint {
    const len = roundUp8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.size) return 0n;
    const cons = this.consumerPos;
    const prod = this.producerPos;
    let pend = this.pendingPos;
    // Skip committed records at the front; bounded: every step advances by at least 8 bytes.
    while (pend < prod) {
      const hdrLen = this.view.getUint32(pend % this.size, true);
      if (hdrLen & BPF_RINGBUF_BUSY_BIT) break;
      pend += roundUp8((hdrLen & LEN_MASK) + BPF_RINGBUF_HDR_SZ);
    }
    setPos(this.producerPage, 8, pend);
    const newProd = prod + len;
    // The producer may not lap the consumer nor the oldest uncommitted record.
    if (newProd - cons > this.mask || newProd - pend > this.mask) return 0n;
    const h = prod % this.size;
    this.view.setUint32(h, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    this.view.setUint32(h + 4, RINGBUF_NR_META_PAGES + Math.floor(h / PAGE_SIZE), true);
    setPos(this.producerPage, 0, newProd);
    const end = h + BPF_RINGBUF_HDR_SZ + size;
    if (end > this.size) this.data.bytes.copyWithin(this.size, 0, end - this.size);
    return this.data.base + BigInt(h + BPF_RINGBUF_HDR_SZ);
  }

  /** The header offset of the reserved record at `addr`, or -1. */
  private recordHeader(addr: bigint): number {
    const off = addr - this.data.base - BigInt(BPF_RINGBUF_HDR_SZ);
    if (off < 0n || off >= BigInt(this.size) || (off & 7n) !== 0n) return -1;
    const h = Number(off);
    return this.view.getUint32(h, true) & BPF_RINGBUF_BUSY_BIT ? h : -1;
  }

  /** bpf_ringbuf_commit. */
  private commit(addr: bigint, flags: bigint, discard: boolean): boolean {
    const h = this.recordHeader(addr);
    if (h < 0) return false;
    const hdrLen = this.view.getUint32(h, true);
    const size = hdrLen & LEN_MASK;
    const end = h + BPF_RINGBUF_HDR_SZ + size;
    // The wrapped tail goes back to the start of the ring (where the second mapping would have put it).
    if (end > this.size) this.data.bytes.copyWithin(0, this.size, end);
    let newLen = (hdrLen ^ BPF_RINGBUF_BUSY_BIT) >>> 0;
    if (discard) newLen = (newLen | BPF_RINGBUF_DISCARD_BIT) >>> 0;
    this.view.setUint32(h, newLen, true);
    // Wake the consumer if asked to, or if it has caught up and waits for this very record.
    const consRec = this.consumerPos % this.size;
    if (flags & BigInt(BPF_RB_FORCE_WAKEUP)) this.wakeups++;
    else if (consRec === h && !(flags & BigInt(BPF_RB_NO_WAKEUP))) this.wakeups++;
    return true;
  }

  submit(addr: bigint, flags: bigint): boolean {
    return this.commit(addr, flags, false);
  }

  discard(addr: bigint, flags: bigint): boolean {
    return this.commit(addr, flags, true);
  }

  output(data: Uint8Array, flags: bigint): number {
    if (flags & ~BigInt(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return errno('EINVAL');
    if (data.length > RINGBUF_MAX_RECORD_SZ) return errno('EAGAIN');
    const rec = this.reserveBytes(data.length);
    if (rec === 0n) return errno('EAGAIN');
    this.data.bytes.set(data, Number(rec - this.data.base));
    this.commit(rec, flags, false);
    return 0;
  }

  query(flags: bigint): bigint {
    switch (flags) {
      case BigInt(BPF_RB_AVAIL_DATA): return BigInt(this.producerPos - this.consumerPos);
      case BigInt(BPF_RB_RING_SIZE): return BigInt(this.size);
      case BigInt(BPF_RB_CONS_POS): return BigInt(this.consumerPos);
      case BigInt(BPF_RB_PROD_POS): return BigInt(this.producerPos);
      default: return 0n;
    }
  }

  // ---------------------------------------------------------------- consumer (user space)
  consume(limit = Number.MAX_SAFE_INTEGER): Uint8Array[] {
    const out: Uint8Array[] = [];
    let cons = this.consumerPos;
    const prod = this.producerPos;
    // Bounded: every record advances the position by at least 8 bytes.
    while (cons < prod && out.length < limit) {
      const h = cons % this.size;
      const hdrLen = this.view.getUint32(h, true);
      if (hdrLen & BPF_RINGBUF_BUSY_BIT) break;
      const size = hdrLen & LEN_MASK;
      if (!(hdrLen & BPF_RINGBUF_DISCARD_BIT)) out.push(this.readRing(h + BPF_RINGBUF_HDR_SZ, size));
      cons += roundUp8(size + BPF_RINGBUF_HDR_SZ);
      setPos(this.consumerPage, 0, cons);
    }
    return out;
  }

  private readRing(off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const start = off % this.size;
    const first = Math.min(len, this.size - start);
    out.set(this.data.bytes.subarray(start, start + first));
    if (first < len) out.set(this.data.bytes.subarray(0, len - first), first);
    return out;
  }
}

export function createRingbufMap(res: MapResources, attrs: MapCreateAttrs): RingbufMap {
  ringbufCheck(attrs);
  const dataPages = attrs.maxEntries / PAGE_SIZE;
  // struct bpf_ringbuf_map, the meta and data pages, and the page array (data pages listed twice).
  res.charge(BPF_MAP_STRUCT_SIZE + (RINGBUF_NR_META_PAGES + dataPages) * PAGE_SIZE + (RINGBUF_NR_META_PAGES + 2 * dataPages) * 8);
  return new RingbufMapImpl(res, attrs);
}
