/**
 * BPF_MAP_TYPE_PROG_ARRAY (kernel/bpf/arraymap.c): tail-call targets. The syscall side stores
 * program fds (as references); bpf_tail_call jumps to the program at an index.
 *
 * A prog array has an owner (bpf_prog_map_compatible): the first program that uses it — by being
 * inserted, or by being loaded with a reference to the map — fixes the program type and expected
 * attach type every later member must have, so that a tail call never changes the context type
 * (on the 6.18 VM: a SOCKET_FILTER program with another expected_attach_type is refused, EINVAL).
 * Extension programs (BPF_PROG_TYPE_EXT) can never be members.
 *
 * Programs hold maps, and a prog array holds programs, so a program that tail-calls itself would
 * never be freed; Linux breaks the cycle by emptying the array when its last user reference (fd
 * or pin) goes away (map_release_uref): the kernel calls releaseUref then.
 */
import { KernelError } from '../../errno.js';
import { BPF_PROG_TYPE } from '../uapi.js';
import { FdArrayBase, chargeFdArray } from './fd-array.js';
import type { MapResources } from './resources.js';
import type { MapCreateAttrs, ObjectRef, ProgArrayMap, ProgRef } from './types.js';

type ProgOwner = Pick<ProgRef, 'progType' | 'expectedAttachType'>;

class ProgArrayMapImpl extends FdArrayBase<ProgRef> implements ProgArrayMap {
  readonly kind = 'prog_array' as const;
  private owner: ProgOwner | null = null;

  progCompatible(prog: ProgOwner): boolean {
    if (this.owner === null) {
      this.owner = { progType: prog.progType, expectedAttachType: prog.expectedAttachType };
      return true;
    }
    return this.owner.progType === prog.progType && this.owner.expectedAttachType === prog.expectedAttachType;
  }

  /** prog_fd_array_get_ptr. */
  protected accept(ref: ObjectRef): ProgRef {
    if (ref.kind !== 'prog') throw new KernelError('EINVAL', 'not a program');
    if (ref.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_EXT || !this.progCompatible(ref)) {
      throw new KernelError('EINVAL', 'program is not compatible with the prog array owner');
    }
    return ref;
  }

  progAt(index: number): ProgRef | null {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) return null;
    return this.slots.get(index) ?? null;
  }

  lookupElem(_key: Uint8Array): bigint {
    return 0n;
  }

  releaseUref(): void {
    this.clearAll();
  }
}

export function createProgArrayMap(res: MapResources, attrs: MapCreateAttrs): ProgArrayMap {
  chargeFdArray(res, attrs);
  return new ProgArrayMapImpl(res, attrs);
}
