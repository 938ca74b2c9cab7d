/** bpf_map_lookup_elem / update / delete (kernel/bpf/helpers.c) on the map behind a map pointer. */
import { HelperFault, type Helper } from '../../interpreter/vm.js';
import type { Kernel } from '../kernel.js';
import { mapOfObjectAddress } from '../maps/index.js';
import type { MapObject } from '../objects.js';
import { argBytes } from './mem.js';

/** The map whose struct bpf_map lives at `addr` (what ld_imm64 MAP_FD/MAP_IDX gave the program). */
export function mapAt(k: Kernel, addr: bigint): MapObject {
  const impl = mapOfObjectAddress(k.space, addr);
  const m = impl ? k.objects.mapObjects.get(impl) : undefined;
  if (!m) throw new HelperFault(`0x${BigInt.asUintN(64, addr).toString(16)} is not a map pointer`);
  return m;
}

export function mapHelpers(k: Kernel): Array<[number, Helper]> {
  const s = k.space;
  return [
    [1, (vm) => {
      const m = mapAt(k, vm.reg(1));
      return m.map.lookupElem(argBytes(s, vm.reg(2), m.map.keySize, 'bpf_map_lookup_elem key'));
    }],
    [2, (vm) => {
      const m = mapAt(k, vm.reg(1));
      const key = argBytes(s, vm.reg(2), m.map.keySize, 'bpf_map_update_elem key');
      const value = argBytes(s, vm.reg(3), m.map.valueSize, 'bpf_map_update_elem value');
      return m.map.updateElem(key, value, vm.reg(4));
    }],
    [3, (vm) => {
      const m = mapAt(k, vm.reg(1));
      return m.map.deleteElem(argBytes(s, vm.reg(2), m.map.keySize, 'bpf_map_delete_elem key'));
    }],
  ];
}
