/**
 * The maps of `bpfsim verify --jsonl` cases, created for real: BPF_MAP_CREATE in a modelled
 * kernel, so a map Linux refuses (value_size 0, max_entries too large for the type, unknown flags,
 * a map-in-map type without an inner map) ends the case with Linux's errno instead of being
 * verified against. The i-th map of a case gets fd 3 + i; the fds are closed after the case, so
 * the next case numbers its maps from 3 again.
 */
import { KernelError } from '../errno.js';
import type { BatchMap, BatchMapFactory } from '../verifier/batch.js';
import type { MapDescriptor } from '../verifier/index.js';
import { BpfApi } from './api.js';
import { Kernel } from './kernel.js';
import { mapDescriptor } from './verifier-adapter.js';

export function kernelMapFactory(kernel: Kernel = new Kernel()): BatchMapFactory {
  const bpf = new BpfApi(kernel);
  const open: number[] = [];
  return {
    create(m: BatchMap, mapType: number, index: number): MapDescriptor | { errno: number } {
      let fd: number;
      try {
        fd = bpf.mapCreate({ type: mapType, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries, flags: m.flags ?? 0 });
      } catch (e) {
        if (e instanceof KernelError) return { errno: e.errno };
        throw e;
      }
      open.push(fd);
      // The fds of earlier maps of this case are 3..; a gap would mean the fd table was not clean.
      if (fd !== 3 + index) throw new Error(`map ${index} got fd ${fd}, not ${3 + index}`);
      const e = kernel.fdEntry(fd);
      if (!e || e.type !== 'bpf' || e.obj.kind !== 'map') throw new Error(`fd ${fd} is not the new map`);
      return mapDescriptor(kernel, e.obj);
    },
    release(): void {
      while (open.length > 0) kernel.close(open.pop()!);
      kernel.settle();
    },
  };
}
