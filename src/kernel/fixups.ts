/**
 * After verification, what the kernel changes before a program can run (the parts of
 * convert_pseudo_ld_imm64 / fixup_bpf_calls bpfsim needs): map references in ld_imm64 become the
 * addresses of the map object (`struct bpf_map`, what CONST_PTR_TO_MAP points to) or of a value
 * inside the map's value area, and the pseudo source is cleared.
 */
import { cloneProgram, type Program } from '../isa/program.js';
import type { Kernel } from './kernel.js';
import type { VerifierOutcome } from './verifier-adapter.js';

export function buildRunnable(k: Kernel, submitted: Program, v: VerifierOutcome): Program {
  const p = cloneProgram(submitted);
  for (const f of v.ldImm64) {
    const region = f.kind === 'map' ? f.map.map.object : f.map.map.valueArea;
    if (!region) continue; // the verifier refuses MAP_VALUE on maps without direct value access
    const addr = k.space.addressOf(region, f.kind === 'map_value' ? f.offset : 0);
    p.imm[f.slot] = Number(BigInt.asIntN(32, addr));
    p.imm[f.slot + 1] = Number(BigInt.asIntN(32, addr >> 32n));
    p.src[f.slot] = 0;
  }
  return p;
}
