/** The helper table by Linux helper id (enum bpf_func_id). */
import type { Helper } from '../../interpreter/vm.js';
import type { Kernel } from '../kernel.js';
import { loaderHelpers } from './loader.js';
import { mapHelpers } from './maps.js';
import { miscHelpers } from './misc.js';
import { probeHelpers } from './probe.js';
import { ringbufHelpers } from './ringbuf.js';
import { tracePrintkHelper } from './trace-printk.js';

export type HelperTable = ReadonlyArray<Helper | undefined>;

export function buildHelpers(k: Kernel): HelperTable {
  const t: Array<Helper | undefined> = [];
  for (const [id, fn] of [
    ...mapHelpers(k), ...probeHelpers(k), ...miscHelpers(k), ...ringbufHelpers(k), ...loaderHelpers(k),
    tracePrintkHelper(k),
  ]) t[id] = fn;
  return t;
}
