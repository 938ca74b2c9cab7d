/**
 * Precision tracking (Linux __mark_chain_precision, backtrack_insn, propagate_precision,
 * mark_all_scalars_precise): when a safety decision depends on the exact value of a scalar (a
 * memory offset, a helper's size argument, a statically decided branch, a checked return value),
 * the verifier walks the current path backwards through the jump history to find every register
 * and spilled stack slot that value came from, and marks them "precise" in the checkpoints
 * (explored states) on the way. Pruning compares precise scalars by range and ignores the others.
 *
 * Wherever the walk cannot follow the data flow, it falls back, as Linux does, to marking every
 * scalar of every checkpoint on the path precise — always safe.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_EXIT, BPF_FETCH, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX,
  BPF_LOAD_ACQ, BPF_MOV, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_STX,
} from '../isa/constants.js';
import type { Program } from '../isa/program.js';
import type { VLog } from './log.js';
import { verifierStateStr } from './log.js';
import { withFields, type Reg } from './regs.js';
import { isSpilledReg, type JmpHistoryEntry, type VState } from './state.js';

export const INSN_F_FRAMENO_MASK = 0x7;
export const INSN_F_SPI_MASK = 0x3f;
export const INSN_F_SPI_SHIFT = 3;
export const INSN_F_STACK_ACCESS = 1 << 9;
export const INSN_F_DST_REG_STACK = 1 << 10;
export const INSN_F_SRC_REG_STACK = 1 << 11;

const REGMASK_ARGS = 0x3e;
const MAX_FRAMES = 8;

/** Thrown inside backtracking where Linux returns -ENOTSUPP or reports a verifier bug. */
class Unsupported extends Error {}

/** backtrack_state: registers and stack slots still needing precision, per frame. */
class Backtrack {
  frame = 0;
  regs = new Uint32Array(MAX_FRAMES);
  stack: bigint[] = new Array<bigint>(MAX_FRAMES).fill(0n);

  init(frame: number): void {
    this.frame = frame;
    this.regs.fill(0);
    this.stack.fill(0n);
  }

  empty(): boolean {
    for (let i = 0; i <= this.frame; i++) if (this.regs[i] !== 0 || this.stack[i] !== 0n) return false;
    return true;
  }

  setReg(r: number, f = this.frame): void { this.regs[f] |= 1 << r; }
  clearReg(r: number, f = this.frame): void { this.regs[f] &= ~(1 << r); }
  isReg(r: number, f = this.frame): boolean { return (this.regs[f] & (1 << r)) !== 0; }
  setSlot(f: number, spi: number): void { this.stack[f] |= 1n << BigInt(spi); }
  clearSlot(f: number, spi: number): void { this.stack[f] &= ~(1n << BigInt(spi)); }
  isSlot(f: number, spi: number): boolean { return (this.stack[f] & (1n << BigInt(spi))) !== 0n; }
}

function fmtRegMask(m: number): string {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if ((m & (1 << i)) !== 0) out.push(`r${i}`);
  return out.join(',');
}

function fmtStackMask(m: bigint): string {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if ((m & (1n << BigInt(i))) !== 0n) out.push(String(-(i + 1) * 8));
  return out.join(',');
}

export interface PrecisionEnv {
  readonly prog: Program;
  readonly log: VLog;
  readonly bpfCapable: boolean;
  readonly cur: VState;
  insnText(i: number): string;
  isStaticSubprogCall(i: number): boolean;
}

/** Set whenever a register or slot of a checkpoint becomes precise (propagate_backedges' `changed`). */
let marked = false;

/** Whether any precision mark was added since the last call (and reset). */
export function takePrecisionChanged(): boolean {
  const m = marked;
  marked = false;
  return m;
}

function markPreciseReg(f: { regs: Reg[] }, i: number): boolean {
  const r = f.regs[i];
  if (r.type !== 'scalar' || r.precise) return false;
  f.regs[i] = withFields(r, { precise: true });
  marked = true;
  return true;
}

/** mark_all_scalars_precise: every checkpoint above `st`. */
export function markAllScalarsPrecise(env: PrecisionEnv, st: VState): void {
  const log = env.log;
  if (log.level2) log.verbose(`mark_precise: frame${st.curframe}: falling back to forcing all scalars precise\n`);
  for (let s = st.parent; s !== null; s = s.parent) {
    for (let i = 0; i <= s.curframe; i++) {
      const f = s.frames[i];
      for (let j = 0; j < 10; j++) {
        if (markPreciseReg(f, j) && log.level2) log.verbose(`force_precise: frame${i}: forcing r${j} to be precise\n`);
      }
      for (let j = 0; j < f.stack.length; j++) {
        const slot = f.stack[j];
        if (!isSpilledReg(slot) || slot.spilled.type !== 'scalar' || slot.spilled.precise) continue;
        f.stack[j] = { types: slot.types, spilled: withFields(slot.spilled, { precise: true }) };
        marked = true;
        if (log.level2) log.verbose(`force_precise: frame${i}: forcing fp${-(j + 1) * 8} to be precise\n`);
      }
    }
  }
}

/** mark_all_scalars_imprecise: a new checkpoint starts with no inherited precision. */
export function markAllScalarsImprecise(st: VState): void {
  for (let i = 0; i <= st.curframe; i++) {
    const f = st.frames[i];
    for (let j = 0; j < 11; j++) {
      const r = f.regs[j];
      if (r.type === 'scalar' && r.precise) f.regs[j] = withFields(r, { precise: false });
    }
    for (let j = 0; j < f.stack.length; j++) {
      const slot = f.stack[j];
      if (isSpilledReg(slot) && slot.spilled.type === 'scalar' && slot.spilled.precise) {
        f.stack[j] = { types: slot.types, spilled: withFields(slot.spilled, { precise: false }) };
      }
    }
  }
}

function histEntry(st: VState, histEnd: number, idx: number): JmpHistoryEntry | null {
  return histEnd > 0 && st.jmpHistory[histEnd - 1].idx === idx ? st.jmpHistory[histEnd - 1] : null;
}

function btSyncLinkedRegs(bt: Backtrack, hist: JmpHistoryEntry | null): void {
  if (hist === null || hist.linked === null) return;
  let some = false;
  for (const e of hist.linked) {
    if ((e.isReg && bt.isReg(e.index, e.frameno)) || (!e.isReg && bt.isSlot(e.frameno, e.index))) { some = true; break; }
  }
  if (!some) return;
  for (const e of hist.linked) {
    if (e.isReg) bt.setReg(e.index, e.frameno);
    else bt.setSlot(e.frameno, e.index);
  }
}

/** backtrack_insn: how instruction `idx` moves the precision requirements backwards. */
function backtrackInsn(env: PrecisionEnv, idx: number, subseqIdx: number, hist: JmpHistoryEntry | null, bt: Backtrack): void {
  const p = env.prog;
  const code = p.code[idx];
  const cls = code & 7, op = code & 0xf0, mode = code & 0xe0;
  const dreg = p.dst[idx], sreg = p.src[idx];
  if (env.log.level2) {
    env.log.verbose(`mark_precise: frame${bt.frame}: regs=${fmtRegMask(bt.regs[bt.frame])} stack=${fmtStackMask(bt.stack[bt.frame])} before ${idx}: ${env.insnText(idx)}\n`);
  }
  btSyncLinkedRegs(bt, hist);
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if (!bt.isReg(dreg)) return;
    if (op === 0xd0 || op === 0x80) return;
    const x = (code & 0x08) !== 0;
    if (op === BPF_MOV) {
      bt.clearReg(dreg);
      if (x && sreg !== 10) bt.setReg(sreg);
    } else if (x && sreg !== 10) {
      bt.setReg(sreg);
    }
  } else if (cls === BPF_LDX || (cls === BPF_STX && mode === BPF_ATOMIC && p.imm[idx] === BPF_LOAD_ACQ)) {
    if (!bt.isReg(dreg)) return;
    bt.clearReg(dreg);
    if (hist === null || (hist.flags & INSN_F_STACK_ACCESS) === 0) return;
    bt.setSlot(hist.flags & INSN_F_FRAMENO_MASK, (hist.flags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK);
  } else if (cls === BPF_STX || cls === BPF_ST) {
    if (bt.isReg(dreg)) throw new Unsupported();
    if (cls === BPF_STX && mode === BPF_ATOMIC) {
      // A fetching atomic defines its source (or r0): bpfsim does not follow memory through it.
      const load = p.imm[idx] === 0xf1 ? 0 : sreg;
      if ((p.imm[idx] & BPF_FETCH) !== 0 && bt.isReg(load)) throw new Unsupported();
    }
    if (hist === null || (hist.flags & INSN_F_STACK_ACCESS) === 0) return;
    const fr = hist.flags & INSN_F_FRAMENO_MASK, spi = (hist.flags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK;
    if (!bt.isSlot(fr, spi)) return;
    bt.clearSlot(fr, spi);
    if (cls === BPF_STX) bt.setReg(sreg);
  } else if (cls === BPF_JMP || cls === BPF_JMP32) {
    if (code === (BPF_JMP | BPF_CALL) && p.src[idx] === BPF_PSEUDO_CALL) {
      // Leaving the callee (backwards): only r1-r5 may still be wanted; they come from the caller.
      if ((bt.regs[bt.frame] & ~REGMASK_ARGS) !== 0 || bt.stack[bt.frame] !== 0n) throw new Unsupported();
      for (let r = 1; r <= 5; r++) {
        if (bt.isReg(r)) { bt.clearReg(r); bt.setReg(r, bt.frame - 1); }
      }
      if (bt.frame === 0) throw new Unsupported();
      bt.frame--;
      return;
    }
    if (op === BPF_CALL) {
      if (p.src[idx] === BPF_PSEUDO_KFUNC_CALL && p.imm[idx] === 0) throw new Unsupported();
      bt.clearReg(0);
      if ((bt.regs[bt.frame] & REGMASK_ARGS) !== 0) throw new Unsupported();
    } else if (op === BPF_EXIT) {
      if ((bt.regs[bt.frame] & REGMASK_ARGS) !== 0) throw new Unsupported();
      const r0Precise = subseqIdx - 1 >= 0 && env.isStaticSubprogCall(subseqIdx - 1) && bt.isReg(0);
      bt.clearReg(0);
      if (bt.frame === MAX_FRAMES - 1) throw new Unsupported();
      bt.frame++;
      bt.regs[bt.frame] = 0;
      bt.stack[bt.frame] = 0n;
      if (r0Precise) bt.setReg(0);
      return;
    } else if ((code & 0x08) !== 0 && op !== 0x00) {
      if (!bt.isReg(dreg) && !bt.isReg(sreg)) return;
      if (hist === null || (hist.flags & INSN_F_SRC_REG_STACK) === 0) bt.setReg(sreg);
      if (hist === null || (hist.flags & INSN_F_DST_REG_STACK) === 0) bt.setReg(dreg);
    }
  } else if (cls === BPF_LD) {
    if (!bt.isReg(dreg)) return;
    bt.clearReg(dreg);
    if (mode === 0x20 || mode === 0x40) throw new Unsupported();
  }
  btSyncLinkedRegs(bt, hist);
}

/** get_prev_insn_idx: the instruction executed before `i` on this path, or -1 at the state's start. */
function prevInsnIdx(p: Program, st: VState, i: number, histStart: number, hist: { end: number }): number {
  const cnt = hist.end - histStart;
  if (i === st.firstInsnIdx) {
    if (cnt === 0) return -1;
    if (cnt === 1 && st.jmpHistory[histStart].idx === i) return -1;
  }
  if (cnt > 0 && st.jmpHistory[hist.end - 1].idx === i) {
    hist.end--;
    return st.jmpHistory[hist.end].prevIdx;
  }
  // Linear flow; the slot before could be the second half of an ld_imm64.
  if (i >= 2 && p.code[i - 2] === 0x18 && p.code[i - 1] === 0) return i - 2;
  return i - 1;
}

const bt = new Backtrack();

/**
 * __mark_chain_precision for `regs` (a mask of the current frame's registers) and `slots` (stack
 * slots of given frames). The current state itself is not marked (Linux: precision only matters in
 * checkpoints).
 */
export function markChainPrecision(env: PrecisionEnv, regMask: number, slots: ReadonlyArray<readonly [number, number]>): void {
  if (!env.bpfCapable) return;
  const start = env.cur;
  bt.init(start.curframe);
  bt.regs[bt.frame] = regMask;
  for (const [f, spi] of slots) bt.setSlot(f, spi);
  if (bt.empty()) return;
  try {
    walk(env, start);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    markAllScalarsPrecise(env, start);
  }
}

/** propagate_precision: `cur` was pruned against `old`; what `old` needed precise, `cur` needs too. */
export function propagatePrecision(env: PrecisionEnv, old: VState, liveMask: (frame: number) => number, start: VState = env.cur): void {
  if (!env.bpfCapable) return;
  bt.init(start.curframe);
  const log = env.log;
  for (let fr = old.curframe; fr >= 0; fr--) {
    const f = old.frames[fr];
    const live = liveMask(fr);
    let first = true;
    for (let i = 0; i < 10; i++) {
      const r = f.regs[i];
      if (r.type !== 'scalar' || !r.precise || (live & (1 << i)) === 0) continue;
      if (log.level2) log.verbose(first ? `frame ${fr}: propagating r${i}` : `,r${i}`);
      bt.setReg(i, fr);
      first = false;
    }
    for (let i = 0; i < f.stack.length; i++) {
      const slot = f.stack[i];
      if (!isSpilledReg(slot) || slot.spilled.type !== 'scalar' || !slot.spilled.precise) continue;
      if (log.level2) log.verbose(first ? `frame ${fr}: propagating fp${-(i + 1) * 8}` : `,fp${-(i + 1) * 8}`);
      bt.setSlot(fr, i);
      first = false;
    }
    if (!first && log.level2) log.verbose('\n');
  }
  if (bt.empty()) return;
  try {
    walk(env, start);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    markAllScalarsPrecise(env, start);
  }
}

function walk(env: PrecisionEnv, start: VState): void {
  const log = env.log;
  let st: VState | null = start;
  let firstIdx = st.firstInsnIdx;
  let lastIdx = st.insnIdx;
  let subseqIdx = -1;
  let skipFirst = true;
  // Each step moves one instruction back along a finite history or to a parent checkpoint.
  for (;;) {
    const hist = { end: st.jmpHistory.length };
    if (log.level2) log.verbose(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseqIdx} \n`);
    if (lastIdx < 0) throw new Unsupported();
    for (let i = lastIdx; ;) {
      if (skipFirst) skipFirst = false;
      else backtrackInsn(env, i, subseqIdx, histEntry(st, hist.end, i), bt);
      if (bt.empty()) return;
      subseqIdx = i;
      i = prevInsnIdx(env.prog, st, i, 0, hist);
      if (i < 0) break;
      if (i >= env.prog.length) throw new Unsupported();
    }
    st = st.parent;
    if (st === null) break;
    for (let fr = bt.frame; fr >= 0; fr--) {
      const f = st.frames[fr];
      if (f === undefined) throw new Unsupported();
      for (let i = 0; i < 32; i++) {
        if (!bt.isReg(i, fr)) continue;
        const r = f.regs[i];
        if (r === undefined || r.type !== 'scalar' || r.precise) bt.clearReg(i, fr);
        else { f.regs[i] = withFields(r, { precise: true }); marked = true; }
      }
      for (let i = 0; bt.stack[fr] !== 0n && i < 64; i++) {
        if (!bt.isSlot(fr, i)) continue;
        if (i >= f.stack.length) throw new Unsupported();
        const slot = f.stack[i];
        if (!isSpilledReg(slot) || slot.spilled.type !== 'scalar' || slot.spilled.precise) bt.clearSlot(fr, i);
        else { f.stack[i] = { types: slot.types, spilled: withFields(slot.spilled, { precise: true }) }; marked = true; }
      }
      if (log.level2) {
        log.verbose(`mark_precise: frame${fr}: parent state regs=${fmtRegMask(bt.regs[fr])} stack=${fmtStackMask(bt.stack[fr])}: `);
        log.verbose(verifierStateStr(st, fr, true, null));
      }
    }
    if (bt.empty()) return;
    subseqIdx = firstIdx;
    lastIdx = st.lastInsnIdx;
    firstIdx = st.firstInsnIdx;
  }
  if (!bt.empty()) throw new Unsupported();
}
