/**
 * map_check_btf (kernel/bpf/syscall.c) and the map types' map_check_btf callbacks: the BTF key and
 * value types must exist and have exactly the map's key and value sizes; arrays take a 32-bit INT
 * key, or no key type at all for the single-entry global-data maps whose value is a DATASEC.
 */
import { KernelError } from '../errno.js';
import type { Btf } from './btf/index.js';
import { BTF_KIND } from './btf/index.js';
import type { BpfMap } from './maps/index.js';
import { BPF_MAP_TYPE } from './uapi.js';

export function mapCheckBtf(btf: Btf, map: BpfMap, keyTypeId: number, valueTypeId: number): void {
  const isArray = map.mapType === BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY || map.mapType === BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY;
  if (keyTypeId) {
    const key = btf.typeIdSize(keyTypeId);
    if (!key || key.size !== map.keySize) throw new KernelError('EINVAL');
    if (isArray) {
      const t = btf.type(key.id);
      if (!t || t.kind !== 'INT' || t.nrBits !== 32 || t.bitsOffset !== 0) throw new KernelError('EINVAL');
    }
  } else if (!isArray) {
    throw new KernelError('EINVAL');
  }
  const value = btf.typeIdSize(valueTypeId);
  if (!value || value.size !== map.valueSize) throw new KernelError('EINVAL');
  if (isArray && !keyTypeId) {
    // Keyless BTF: only .bss/.data/.rodata-style single-entry ARRAYs with a DATASEC value.
    if (map.mapType !== BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY || map.maxEntries !== 1) throw new KernelError('EINVAL');
    if (btf.kindOf(valueTypeId) !== BTF_KIND.DATASEC) throw new KernelError('EINVAL');
  }
}
