/**
 * One instruction as the verifier log prints it (Linux kernel/bpf/disasm.c, print_bpf_insn):
 * `(bf) r6 = r1`, `(61) r0 = *(u32 *)(r1 +0)`, `(15) if r0 == 0x5 goto pc+1`,
 * `(85) call bpf_map_lookup_elem#1`, `(18) r1 = 0xffff...`.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX,
  BPF_LOAD_ACQ, BPF_MEM, BPF_MEMSX, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_STORE_REL, BPF_STX,
  BPF_XCHG,
} from '../isa/constants.js';
import type { Program } from '../isa/program.js';
import { helperName } from './kernel-names.js';

const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const JMP_STR = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<=', 'may_goto'];
const LDST_STR = ['u32', 'u16', 'u8', 'u64'];
const LDSX_STR = ['s32', 's16', 's8', 's64'];
const ATOMIC_ALU = ['add', '', '', '', 'or', 'and', '', '', '', '', 'xor'];

function hex(x: number): string {
  return '0x' + (x >>> 0).toString(16);
}

function sgn(x: number): string {
  return x >= 0 ? `+${x}` : `${x}`;
}

export interface DisasmOptions {
  /** The 64-bit value an ld_imm64 at this slot loads (after pseudo resolution), for printing. */
  readonly ldImm64Value?: (slot: number) => bigint | null;
  /** Name of a kfunc by BTF id. */
  readonly kfuncName?: (btfId: number) => string | null;
}

/** The text after "N: " for the instruction at `i` (without the trailing newline). */
export function disasmInsn(p: Program, i: number, opts: DisasmOptions = {}): string {
  const code = p.code[i], dst = p.dst[i], src = p.src[i], off = p.off[i], imm = p.imm[i];
  const cls = code & 7;
  const c = `(${code.toString(16).padStart(2, '0')})`;
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    const op = code & 0xf0;
    const r = cls === BPF_ALU64 ? 'r' : 'w';
    const isX = (code & 0x08) !== 0;
    if (op === 0xd0) {
      // BPF_END
      const kind = cls === BPF_ALU64 ? 'bswap' : isX ? 'be' : 'le';
      return `${c} r${dst} = ${kind}${imm} r${dst}`;
    }
    if (op === 0x80) return `${c} ${r}${dst} = -${r}${dst}`;
    if (op === 0xb0 && isX && off !== 0) {
      if (cls === BPF_ALU64 && off === 1) return `${c} r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
      return `${c} ${r}${dst} = (s${off})${r}${src}`;
    }
    const name = (op === 0x30 || op === 0x90) && off === 1 ? `s${ALU_STR[op >> 4]}` : ALU_STR[op >> 4] ?? '?';
    return isX ? `${c} ${r}${dst} ${name} ${r}${src}` : `${c} ${r}${dst} ${name} ${imm}`;
  }
  if (cls === BPF_STX) {
    const mode = code & 0xe0, size = LDST_STR[(code >> 3) & 3];
    if (mode === BPF_MEM) return `${c} *(${size} *)(r${dst} ${sgn(off)}) = r${src}`;
    if (mode === BPF_ATOMIC) {
      const wide = (code & 0x18) === BPF_DW;
      if (imm === 0x00 || imm === 0x40 || imm === 0x50 || imm === 0xa0) {
        return `${c} lock *(${size} *)(r${dst} ${sgn(off)}) ${ALU_STR[imm >> 4]} r${src}`;
      }
      if ((imm & ~0xf0) === BPF_FETCH && imm !== BPF_XCHG && imm !== BPF_CMPXCHG) {
        return `${c} r${src} = atomic${wide ? '64' : ''}_fetch_${ATOMIC_ALU[(imm & 0xf0) >> 4]}((${size} *)(r${dst} ${sgn(off)}), r${src})`;
      }
      if (imm === BPF_CMPXCHG) return `${c} r0 = atomic${wide ? '64' : ''}_cmpxchg((${size} *)(r${dst} ${sgn(off)}), r0, r${src})`;
      if (imm === BPF_XCHG) return `${c} r${src} = atomic${wide ? '64' : ''}_xchg((${size} *)(r${dst} ${sgn(off)}), r${src})`;
      if (imm === BPF_LOAD_ACQ) return `${c} r${dst} = load_acquire((${size} *)(r${src} ${sgn(off)}))`;
      if (imm === BPF_STORE_REL) return `${c} store_release((${size} *)(r${dst} ${sgn(off)}), r${src})`;
    }
    return `${c} BUG_stx_${code.toString(16).padStart(2, '0')}`;
  }
  if (cls === BPF_ST) {
    if ((code & 0xe0) === BPF_MEM) return `${c} *(${LDST_STR[(code >> 3) & 3]} *)(r${dst} ${sgn(off)}) = ${imm}`;
    return `${c} BUG_st_${code.toString(16).padStart(2, '0')}`;
  }
  if (cls === BPF_LDX) {
    const mode = code & 0xe0;
    if (mode === BPF_MEM || mode === BPF_MEMSX) {
      const size = (mode === BPF_MEMSX ? LDSX_STR : LDST_STR)[(code >> 3) & 3];
      return `${c} r${dst} = *(${size} *)(r${src} ${sgn(off)})`;
    }
    return `${c} BUG_ldx_${code.toString(16).padStart(2, '0')}`;
  }
  if (cls === BPF_LD) {
    const mode = code & 0xe0, size = LDST_STR[(code >> 3) & 3];
    if (mode === 0x20) return `${c} r0 = *(${size} *)skb[${imm}]`;
    if (mode === 0x40) return `${c} r0 = *(${size} *)skb[r${src} + ${imm}]`;
    if (mode === 0x00 && (code & 0x18) === BPF_DW) {
      let v = opts.ldImm64Value?.(i) ?? null;
      if (v === null) v = (BigInt((i + 1 < p.length ? p.imm[i + 1] : 0) >>> 0) << 32n) | BigInt(imm >>> 0);
      return `${c} r${dst} = 0x${v.toString(16)}`;
    }
    return `${c} BUG_ld_${code.toString(16).padStart(2, '0')}`;
  }
  // BPF_JMP / BPF_JMP32
  const op = code & 0xf0;
  if (cls === BPF_JMP && op === 0x80) {
    if ((code & 0x08) !== 0) return `${c} callx r${dst}`;
    if (src === BPF_PSEUDO_CALL) return `${c} call pc${sgn(imm)}`;
    let name: string | null = null;
    if (src === 0) name = helperName(imm);
    else if (src === BPF_PSEUDO_KFUNC_CALL) name = opts.kfuncName?.(imm) ?? 'kernel-function';
    return `${c} call ${name ?? 'unknown'}#${imm}`;
  }
  if (cls === BPF_JMP && op === 0x90) return `${c} exit`;
  if (op === 0x00) return cls === BPF_JMP32 ? `${c} gotol pc${sgn(imm)}` : `${c} goto pc${sgn(off)}`;
  if (cls === BPF_JMP && op === 0xe0) return `${c} may_goto pc${sgn(off)}`;
  const r = cls === BPF_JMP32 ? 'w' : 'r';
  const cmp = JMP_STR[op >> 4] ?? '?';
  if ((code & 0x08) !== 0) return `${c} if ${r}${dst} ${cmp} ${r}${src} goto pc${sgn(off)}`;
  return `${c} if ${r}${dst} ${cmp} ${hex(imm)} goto pc${sgn(off)}`;
}
