/**
 * Live registers before each instruction (Linux compute_live_registers, 6.15+): a backward
 * data-flow analysis inside each function. A register not live at a checkpoint cannot influence
 * anything that follows, so state comparison ignores it. Also prints the "Live regs before insn"
 * table of level-2 logs.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_EXIT, BPF_FETCH, BPF_IMM, BPF_JA, BPF_JCOND,
  BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_MEM, BPF_MEMSX, BPF_MOV, BPF_ST, BPF_STORE_REL,
  BPF_STX,
} from '../isa/constants.js';
import type { Program } from '../isa/program.js';
import { successors } from './cfg.js';

const CALLER_SAVED = 0x3f;

function useDef(p: Program, i: number, helperArgs: (id: number) => number | null): [use: number, def: number] {
  const code = p.code[i];
  const cls = code & 7, op = code & 0xf0, mode = code & 0xe0;
  const src = 1 << p.src[i], dst = 1 << p.dst[i];
  switch (cls) {
    case BPF_LD:
      if (mode === BPF_IMM && (code & 0x18) === 0x18) return [0, dst];
      return [0xffff, 0];
    case BPF_LDX:
      if (mode === BPF_MEM || mode === BPF_MEMSX) return [src, dst];
      return [0xffff, 0];
    case BPF_ST:
      return mode === BPF_MEM ? [dst, 0] : [0xffff, 0];
    case BPF_STX:
      if (mode === BPF_MEM) return [dst | src, 0];
      if (mode === BPF_ATOMIC) {
        const imm = p.imm[i];
        if (imm === BPF_CMPXCHG) return [1 | dst | src, 1];
        if (imm === BPF_LOAD_ACQ) return [src, dst];
        if (imm === BPF_STORE_REL) return [dst | src, 0];
        return [dst | src, (imm & BPF_FETCH) !== 0 ? src : 0];
      }
      return [0xffff, 0];
    case BPF_ALU:
    case BPF_ALU64:
      if (op === 0xd0) return [dst, dst];
      if (op === BPF_MOV) return [(code & 0x08) === 0 ? 0 : src, dst];
      return [(code & 0x08) === 0 ? dst : dst | src, dst];
    case BPF_JMP:
    case BPF_JMP32:
      if (op === BPF_JA || op === BPF_JCOND) return [0, 0];
      if (op === BPF_EXIT) return [1, 0];
      if (op === BPF_CALL) {
        let use = CALLER_SAVED & ~1;
        if (p.src[i] === 0) {
          const n = helperArgs(p.imm[i]);
          if (n !== null) use = ((1 << (n + 1)) - 1) & ~1;
        }
        return [use, CALLER_SAVED];
      }
      return [(code & 0x08) === 0 ? dst : dst | src, 0];
    default:
      return [0xffff, 0];
  }
}

/** live_regs_before for every instruction (bit r = register r). */
export function computeLiveRegs(p: Program, helperArgs: (id: number) => number | null): Uint16Array {
  const n = p.length;
  const use = new Uint16Array(n), def = new Uint16Array(n), liveIn = new Uint16Array(n);
  const succ: number[][] = new Array<number[]>(n);
  const skip = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (skip[i]) { succ[i] = []; continue; }
    [use[i], def[i]] = useDef(p, i, helperArgs);
    succ[i] = successors(p, i).filter((s) => s >= 0 && s < n);
    if (p.code[i] === 0x18 && i + 1 < n) skip[i + 1] = 1;
  }
  // Iterate to the fixpoint in reverse order (converges fast for forward-flowing code). Each pass
  // only adds bits to 16-bit masks, so at most 16n passes can change anything.
  let changed = true;
  for (let pass = 0; changed && pass <= 16 * n + 1; pass++) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      if (skip[i]) continue;
      let out = 0;
      for (const s of succ[i]) out |= liveIn[s];
      const inn = ((out & ~def[i]) | use[i]) & 0xffff;
      if (inn !== liveIn[i]) { liveIn[i] = inn; changed = true; }
    }
  }
  return liveIn;
}

/** The "Live regs before insn:" table of level-2 logs. */
export function liveRegsTable(p: Program, live: Uint16Array, scc: Int32Array, insnText: (i: number) => string): string {
  let s = 'Live regs before insn:\n';
  for (let i = 0; i < p.length; i++) {
    s += scc[i] !== 0 ? `${String(scc[i]).padStart(3)} ` : '    ';
    s += `${String(i).padStart(3)}: `;
    for (let r = 0; r < 10; r++) s += (live[i] & (1 << r)) !== 0 ? String(r) : '.';
    s += ` ${insnText(i)}\n`;
    if (p.code[i] === 0x18) i++;
  }
  return s;
}
