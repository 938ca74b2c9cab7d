/**
 * bpf_tail_call (helper 12) as the interpreter's tail-call hook: r2 = prog-array map pointer,
 * r3 = index. An empty slot, a bad index or the 33-call limit (enforced by the VM) fall through.
 */
import type { Program } from '../../isa/program.js';
import type { TailCallHook } from '../../interpreter/vm.js';
import type { Kernel } from '../kernel.js';
import { mapAt } from './maps.js';

export function tailCallHook(k: Kernel): TailCallHook {
  return (vm): Program | null => {
    const m = mapAt(k, vm.reg(2)).map;
    if (m.kind !== 'prog_array') return null;
    const index = vm.argU32(3);
    if (index >= m.maxEntries) return null;
    const ref = m.progAt(index);
    if (!ref) return null;
    const prog = k.objects.progs.live.get(ref.id);
    if (!prog) return null;
    k.emit({ type: 'note', actor: 'program', what: `tail call into ${prog.name}`, detail: { index, prog_id: prog.id } });
    return prog.runnable;
  };
}
