/**
 * How helpers touch memory: by address through the shared address space. Kernel-side accesses
 * ignore program permissions (a helper may write a read-only-for-programs map value); user and
 * kernel halves are kept apart like copy_from_user / copy_from_kernel_nofault do.
 */
import type { AddressSpace } from '../../interpreter/memory.js';
import { HelperFault } from '../../interpreter/vm.js';

export function readBytes(space: AddressSpace, addr: bigint, len: number): Uint8Array | null {
  if (len === 0) return new Uint8Array(0);
  const at = space.resolve(addr, len);
  return at ? at.region.bytes.slice(at.offset, at.offset + len) : null;
}

/** Read memory a verified program passed as an argument; a bad pointer here is a model bug: fault. */
export function argBytes(space: AddressSpace, addr: bigint, len: number, what: string): Uint8Array {
  const b = readBytes(space, addr, len);
  if (!b) throw new HelperFault(`${what}: ${len} bytes at 0x${BigInt.asUintN(64, addr).toString(16)} are not accessible`);
  return b;
}

export function writeBytes(space: AddressSpace, addr: bigint, data: Uint8Array): boolean {
  if (data.length === 0) return true;
  const at = space.resolve(addr, data.length);
  if (!at) return false;
  at.region.bytes.set(data, at.offset);
  return true;
}

export function argWrite(space: AddressSpace, addr: bigint, data: Uint8Array, what: string): void {
  if (!writeBytes(space, addr, data)) throw new HelperFault(`${what}: ${data.length} bytes at 0x${BigInt.asUintN(64, addr).toString(16)} are not writable`);
}

/** Where an address lives: unmapped, user memory or kernel memory. */
export function addressKind(space: AddressSpace, addr: bigint, len: number): 'unmapped' | 'user' | 'kernel' {
  const at = space.resolve(addr, Math.max(1, len));
  return at ? (at.region.kernel ? 'kernel' : 'user') : 'unmapped';
}
