/**
 * kfuncs the model implements, by name; the kernel binds them to vmlinux BTF ids at boot (a kfunc
 * call's imm is the BTF id of the function, signing.md §5.4), with the prototype the verifier checks.
 */
import type { Helper } from '../../interpreter/vm.js';
import type { KfuncProto } from '../../verifier/index.js';

export interface Kfunc {
  readonly fn: Helper;
  readonly proto: KfuncProto;
}

export const KFUNCS_BY_NAME: ReadonlyMap<string, Kfunc> = new Map<string, Kfunc>([
  // RCU read-side critical sections are no-ops in a single-threaded model.
  ['bpf_rcu_read_lock', { fn: () => 0, proto: { name: 'bpf_rcu_read_lock', nargs: 0, ret: 'void', rcu: 'lock' } }],
  ['bpf_rcu_read_unlock', { fn: () => 0, proto: { name: 'bpf_rcu_read_unlock', nargs: 0, ret: 'void', rcu: 'unlock' } }],
]);
