/** Time, randomness and "current task" helpers, deterministic under the kernel's clock and PRNG. */
import type { Helper } from '../../interpreter/vm.js';
import type { Kernel } from '../kernel.js';
import { argWrite } from './mem.js';

/** HZ of the modelled kernel (jiffies64). */
const HZ = 1000;

export function miscHelpers(k: Kernel): Array<[number, Helper]> {
  const pid = k.config.pid;
  return [
    [5, () => k.nowNs],                       // ktime_get_ns
    [125, () => k.nowNs],                     // ktime_get_boot_ns
    [160, () => k.nowNs - (k.nowNs % 4_000_000)], // ktime_get_coarse_ns: jiffy granularity
    [208, () => k.nowNs + 37_000_000_000],    // ktime_get_tai_ns
    [118, () => Math.floor(k.nowNs / (1e9 / HZ))], // jiffies64
    [7, () => k.prng.nextU32()],              // get_prandom_u32
    [8, () => 0],                             // get_smp_processor_id
    [42, () => 0],                            // get_numa_node_id
    [14, () => (BigInt(pid) << 32n) | BigInt(pid)], // get_current_pid_tgid: tgid << 32 | pid
    [15, () => (BigInt(k.config.uid) << 32n) | BigInt(k.config.uid)], // get_current_uid_gid
    [16, (vm) => {                            // get_current_comm(buf, size)
      const size = vm.argU32(2);
      const out = new Uint8Array(size);
      out.set(new TextEncoder().encode(k.config.comm).subarray(0, Math.max(0, size - 1)));
      argWrite(k.space, vm.reg(1), out, 'get_current_comm buf');
      return 0;
    }],
  ];
}
