/**
 * BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c): like ARRAY, but every element has one
 * round_up(value_size, 8)-byte copy per possible CPU. Programs see the copy of the CPU they run on
 * (this_cpu_ptr); the syscall side reads and writes all copies at once (bpf_percpu_array_copy /
 * bpf_percpu_array_update), padding included. No direct value access, no mmap, no hash.
 */
import { KernelError } from '../../errno.js';
import { PERM_RW, type Region } from '../../interpreter/memory.js';
import { BPF_EXIST, BPF_NOEXIST } from '../uapi.js';
import { arrayGeometry, arrayDelete, arrayGetNextKey, arrayIndex, arrayUpdateErr } from './array.js';
import { MapBase, checkLen, checkLookupFlags, errno, progPerm } from './common.js';
import { ROOT_MAP_CAPS, type MapCreateAttrs, type PercpuArrayMap } from './types.js';
import type { MapResources } from './resources.js';

class PercpuArrayMapImpl extends MapBase implements PercpuArrayMap {
  readonly kind = 'percpu_array' as const;
  readonly valueArea = null;
  readonly syscallValueSize: number;
  /** Element-major: element i's copy for CPU c is at (i * nrCpus + c) * elemSize. */
  private readonly values: Region;
  private readonly elemSize: number;

  constructor(res: MapResources, attrs: MapCreateAttrs, elemSize: number) {
    super(res, attrs);
    this.elemSize = elemSize;
    this.syscallValueSize = elemSize * this.nrCpus;
    this.values = res.mapZeroed(attrs.maxEntries * this.syscallValueSize, {
      kind: 'map_value', name: `map ${attrs.name || 'percpu_array'} per-CPU values`, perm: progPerm(attrs.mapFlags, PERM_RW),
    }, this);
  }

  get count(): number {
    return this.maxEntries;
  }

  private offset(index: number, cpu: number): number {
    return (index * this.nrCpus + cpu) * this.elemSize;
  }

  lookup(key: Uint8Array, flags: bigint): Uint8Array {
    checkLookupFlags(flags);
    checkLen('key', key, 4);
    const i = arrayIndex(key, this.maxEntries);
    if (i < 0) throw new KernelError('ENOENT');
    const off = this.offset(i, 0);
    return this.values.bytes.slice(off, off + this.syscallValueSize);
  }

  update(key: Uint8Array, value: Uint8Array, flags: bigint): void {
    checkLen('key', key, 4);
    checkLen('value', value, this.syscallValueSize);
    // bpf_percpu_array_update: BPF_F_LOCK is simply an unknown flag here.
    if (flags > BigInt(BPF_EXIST)) throw new KernelError('EINVAL', 'unknown update flags');
    const i = arrayIndex(key, this.maxEntries);
    if (i < 0) throw new KernelError('E2BIG');
    if (flags === BigInt(BPF_NOEXIST)) throw new KernelError('EEXIST');
    // User space provides round_up(value_size, 8) bytes per CPU, padding included.
    this.values.bytes.set(value, this.offset(i, 0));
  }

  delete(key: Uint8Array): void {
    arrayDelete(key);
  }

  getNextKey(key: Uint8Array | null): Uint8Array {
    return arrayGetNextKey(key, this.maxEntries);
  }

  lookupElem(key: Uint8Array): bigint {
    return this.lookupPercpuElem(key, this.env.currentCpu());
  }

  override lookupPercpuElem(key: Uint8Array, cpu: number): bigint {
    const i = arrayIndex(key, this.maxEntries);
    if (i < 0 || !Number.isInteger(cpu) || cpu < 0 || cpu >= this.nrCpus) return 0n;
    return this.values.base + BigInt(this.offset(i, cpu));
  }

  updateElem(key: Uint8Array, value: Uint8Array, flags: bigint): number {
    if (key.length !== 4 || value.length < this.valueSize) return errno('EINVAL');
    const i = arrayIndex(key, this.maxEntries);
    const err = arrayUpdateErr(i, flags);
    if (err) return err;
    // From a program: value_size bytes into the current CPU's copy.
    this.values.bytes.set(value.subarray(0, this.valueSize), this.offset(i, this.env.currentCpu()));
    return 0;
  }

  deleteElem(_key: Uint8Array): number {
    return errno('EINVAL');
  }
}

export function createPercpuArrayMap(res: MapResources, attrs: MapCreateAttrs): PercpuArrayMap {
  const geo = arrayGeometry(attrs, res.env.caps ?? ROOT_MAP_CAPS, res.env.nrCpus, true);
  res.charge(geo.cost);
  return new PercpuArrayMapImpl(res, attrs, geo.elemSize);
}
