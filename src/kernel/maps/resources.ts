/**
 * What a map holds from the kernel: charged bytes and mapped regions, released together.
 *
 * Creation is transactional: a map type charges and maps through one MapResources, and if
 * anything fails before the map is complete, `release()` puts the address space and the memory
 * accounting back exactly as they were (map_create's contract: a failed BPF_MAP_CREATE leaves
 * nothing behind).
 */
import { KernelError } from '../../errno.js';
import { MAX_REGION_BYTES, type MapRegionOptions, type Region } from '../../interpreter/memory.js';
import type { MapEnv } from './types.js';
import { MAX_MAP_REGION_BYTES } from './constants.js';

/** Which map owns a region (for helpers that get only an address, e.g. bpf_ringbuf_submit). */
const owners = new WeakMap<Region, object>();

export function ownerOfRegion(region: Region): object | undefined {
  return owners.get(region);
}

export class MapResources {
  private charged = 0;
  private readonly regions: Region[] = [];
  private released = false;

  constructor(readonly env: MapEnv) {}

  /** Bytes charged so far. */
  get chargedBytes(): number {
    return this.charged;
  }

  /** Charge kernel memory (env.charge throws ENOMEM past the limit; then nothing is charged). */
  charge(bytes: number): void {
    if (!Number.isFinite(bytes) || bytes < 0) throw new KernelError('ENOMEM', `cannot charge ${bytes} bytes`);
    if (bytes === 0) return;
    this.env.charge(bytes);
    this.charged += bytes;
  }

  /** Give back bytes charged earlier (an element freed by a map that charges per element). */
  uncharge(bytes: number): void {
    const b = Math.min(bytes, this.charged);
    if (!(b > 0)) return;
    this.env.uncharge(b);
    this.charged -= b;
  }

  /**
   * Allocate a zeroed buffer and map it as a kernel region. A buffer the simulator cannot hold (a
   * region above 4 GiB, a JS allocation failure, a full region table) is ENOMEM, as a failed
   * kernel allocation would be.
   */
  mapZeroed(length: number, opts: MapRegionOptions, owner: object): Region {
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_MAP_REGION_BYTES || length > MAX_REGION_BYTES) {
      throw new KernelError('ENOMEM', `bpfsim cannot map a region of ${length} bytes`);
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(length);
    } catch {
      throw new KernelError('ENOMEM', `cannot allocate ${length} bytes`);
    }
    let region: Region;
    try {
      region = this.env.space.map(bytes, { kernel: true, ...opts });
    } catch (e) {
      throw new KernelError('ENOMEM', e instanceof Error ? e.message : 'cannot map region');
    }
    this.regions.push(region);
    owners.set(region, owner);
    return region;
  }

  /** Set a region's permissions for programs (BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG). */
  setPerm(region: Region, perm: number): void {
    this.env.space.setPerm(region, perm);
  }

  /** Unmap every region and uncharge every byte. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const r of this.regions) {
      this.env.space.unmap(r);
      owners.delete(r);
    }
    this.regions.length = 0;
    if (this.charged > 0) this.env.uncharge(this.charged);
    this.charged = 0;
  }

  get isReleased(): boolean {
    return this.released;
  }
}

/** Run a map constructor; on failure release what it took and rethrow as a KernelError. */
export function transactional<T>(res: MapResources, build: () => T): T {
  try {
    return build();
  } catch (e) {
    res.release();
    if (e instanceof KernelError) throw e;
    if (e instanceof RangeError) throw new KernelError('ENOMEM', e.message);
    throw e;
  }
}
