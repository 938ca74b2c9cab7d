/**
 * After verification, what the kernel changes before a program can run (the parts of
 * convert_pseudo_ld_imm64 / convert_ctx_accesses / fixup_bpf_calls bpfsim needs):
 * - map references in ld_imm64 become the addresses of the map object (`struct bpf_map`, what
 *   CONST_PTR_TO_MAP points to) or of a value inside the map's value area, pseudo source cleared;
 * - context loads of packet pointers (`skb->data`, `xdp->data_end`, … 32-bit fields in the UAPI
 *   structs) become 64-bit loads of the real pointers, which bpfsim keeps in a shadow area after
 *   the UAPI struct (./progtypes.ts), as Linux rewrites them into loads of sk_buff / xdp_buff fields.
 */
import { BPF_DW, BPF_LDX, BPF_MEM } from '../isa/constants.js';
import { Op } from '../isa/ops.js';
import { cloneProgram, type Program } from '../isa/program.js';
import type { Kernel } from './kernel.js';
import { SKB, XDP_MD } from './progtypes.js';
import { BPF_PROG_TYPE } from './uapi.js';
import type { VerifierOutcome } from './verifier-adapter.js';

type PtrField = 'pkt' | 'pkt_meta' | 'pkt_end';

/** Where each program type keeps its real packet pointers. */
function shadowOffset(progType: number, field: PtrField): number | null {
  const t = progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP ? XDP_MD : SKB;
  if (progType !== BPF_PROG_TYPE.BPF_PROG_TYPE_XDP && ![
    BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT,
    BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE.BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE.BPF_PROG_TYPE_LWT_OUT,
    BPF_PROG_TYPE.BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE.BPF_PROG_TYPE_SK_SKB,
  ].includes(progType as never)) return null;
  return field === 'pkt' ? t.SHADOW_DATA : field === 'pkt_end' ? t.SHADOW_DATA_END : t.SHADOW_DATA_META;
}

export function buildRunnable(k: Kernel, submitted: Program, v: VerifierOutcome, progType: number): Program {
  const p = cloneProgram(submitted);
  for (const f of v.ldImm64) {
    const region = f.kind === 'map' ? f.map.map.object : f.map.map.valueArea;
    if (!region) continue; // the verifier refuses MAP_VALUE on maps without direct value access
    const addr = k.space.addressOf(region, f.kind === 'map_value' ? f.offset : 0);
    p.imm[f.slot] = Number(BigInt.asIntN(32, addr));
    p.imm[f.slot + 1] = Number(BigInt.asIntN(32, addr >> 32n));
    p.src[f.slot] = 0;
  }
  for (const c of v.ctxPointerLoads) {
    const off = shadowOffset(progType, c.field);
    if (off === null) continue;
    p.code[c.slot] = BPF_LDX | BPF_MEM | BPF_DW;
    p.op[c.slot] = Op.LDX_DW;
    p.off[c.slot] = off;
  }
  return p;
}
