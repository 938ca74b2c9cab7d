/**
 * Running the same bpf(2) steps after the world in bpfsim and in Linux, and comparing the results.
 */
import { errnoName } from '../../../src/errno.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { diffSnapshots } from '../../../src/kernel/snapshot.js';
import type { CmdOracle } from './oracle/cmd-oracle.js';
import { runBpfStep, type BpfStep, type ModelAddresses } from './script.js';
import { WORLD, WORLD_RESULTS, modelWorld } from './world.js';

export interface Compared {
  readonly id: string;
  readonly step: BpfStep;
  readonly real: number;
  readonly model: number;
}

export function show(ret: number): string {
  return ret < 0 ? errnoName(ret) : String(ret);
}

/**
 * Run every step after a fresh world in Linux; in bpfsim, on a world that is rebuilt only after a
 * step succeeded (a failed step must leave the kernel as it was: checked here with a snapshot).
 */
export function compareAll(oracle: CmdOracle, cases: ReadonlyArray<{ id: string; step: BpfStep }>, checkState = true): Compared[] {
  const real = oracle.run(cases.map((c) => ({ id: c.id, steps: [...WORLD, c.step] })));
  let world: { k: Kernel; addr: ModelAddresses } | null = null;
  return cases.map((c, i) => {
    const r = real[i];
    if (r.slice(0, WORLD_RESULTS.length).join() !== WORLD_RESULTS.join()) {
      throw new Error(`the world did not build in Linux for ${c.id}: ${r.slice(0, WORLD_RESULTS.length).map(show).join(' ')}`);
    }
    world ??= modelWorld();
    // The trace is not kernel state (diffSnapshots ignores it) and would only grow.
    world.k.trace.clear();
    const before = checkState ? world.k.snapshot() : null;
    const m = runBpfStep(world.k, world.addr, c.step);
    if (m >= 0) {
      world = null;
    } else if (before) {
      const d = diffSnapshots(before, world.k.snapshot());
      if (d.length) throw new Error(`${c.id}: failed with ${show(m)} but changed the kernel: ${JSON.stringify(d)}`);
    }
    return { id: c.id, step: c.step, real: r[r.length - 1], model: m };
  });
}
