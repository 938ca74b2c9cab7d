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
import { withPrecise, type Reg } from './regs.js';
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

/**
 * backtrack_state: registers and stack slots still needing precision, per frame. The 64 stack
 * slots of a frame are two 32-bit words (slots 0-31 in `stackLo`, 32-63 in `stackHi`): this runs
 * for every instruction walked back, so no BigInt.
 */
class Backtrack {
  frame = 0;
  readonly regs = new Uint32Array(MAX_FRAMES);
  readonly stackLo = new Uint32Array(MAX_FRAMES);
  readonly stackHi = new Uint32Array(MAX_FRAMES);

  init(frame: number): void {
    this.frame = frame;
    this.regs.fill(0);
    this.stackLo.fill(0);
    this.stackHi.fill(0);
  }

  empty(): boolean {
    for (let i = 0; i <= this.frame; i++) if ((this.regs[i] | this.stackLo[i] | this.stackHi[i]) !== 0) return false;
    return true;
  }

  setReg(r: number, f: number): void { this.regs[f] |= 1 << r; }
  clearReg(r: number, f: number): void { this.regs[f] &= ~(1 << r); }
  isReg(r: number, f: number): boolean { return (this.regs[f] & (1 << r)) !== 0; }
  setSlot(f: number, spi: number): void {
    if (spi < 32) this.stackLo[f] |= 1 << spi;
    else this.stackHi[f] |= 1 << (spi - 32);
  }
  clearSlot(f: number, spi: number): void {
    if (spi < 32) this.stackLo[f] &= ~(1 << spi);
    else this.stackHi[f] &= ~(1 << (spi - 32));
  }
  isSlot(f: number, spi: number): boolean {
    return spi < 32 ? (this.stackLo[f] & (1 << spi)) !== 0 : (this.stackHi[f] & (1 << (spi - 32))) !== 0;
  }
  hasSlots(f: number): boolean { return (this.stackLo[f] | this.stackHi[f]) !== 0; }
  clearFrame(f: number): void {
    this.regs[f] = 0;
    this.stackLo[f] = 0;
    this.stackHi[f] = 0;
  }
  /** The slots of frame `f` as the log prints them (fp-8, fp-16, ...). */
  stackText(f: number): string {
    const out: string[] = [];
    for (let i = 0; i < 64; i++) if (this.isSlot(f, i)) out.push(String(-(i + 1) * 8));
    return out.join(',');
  }
}

function fmtRegMask(m: number): string {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if ((m & (1 << i)) !== 0) out.push(`r${i}`);
  return out.join(',');
}

export interface PrecisionEnv {
  readonly prog: Program;
  /** backtrackTouchMasks(prog), computed once per verification. */
  readonly backtrackTouch: Uint32Array;
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
  f.regs[i] = withPrecise(r, true);
  noteMarked();
  return true;
}

/**
 * Audit of the walk memo, for tests: with the audit on, a walk the memo would cut short runs to
 * its end instead, and every precision mark it still makes is counted as a memo failure.
 */
const audit = { on: false, active: false, hits: 0, failures: 0 };

export function auditPrecisionMemo(on: boolean): { hits: number; failures: number } {
  const r = { hits: audit.hits, failures: audit.failures };
  audit.on = on;
  audit.hits = 0;
  audit.failures = 0;
  return r;
}

function noteMarked(): void {
  marked = true;
  if (audit.active) audit.failures++;
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
        f.stack[j] = { types: slot.types, spilled: withPrecise(slot.spilled, true) };
        noteMarked();
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
      if (r.type === 'scalar' && r.precise) f.regs[j] = withPrecise(r, false);
    }
    for (let j = 0; j < f.stack.length; j++) {
      const slot = f.stack[j];
      if (isSpilledReg(slot) && slot.spilled.type === 'scalar' && slot.spilled.precise) {
        f.stack[j] = { types: slot.types, spilled: withPrecise(slot.spilled, false) };
      }
    }
  }
}

function histEntry(st: VState, end: number, idx: number): JmpHistoryEntry | null {
  if (end === 0) return null;
  const e = st.jmpHistory[end - 1];
  return e.idx === idx ? e : null;
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
function backtrackInsn(env: PrecisionEnv, idx: number, subseqIdx: number, hist: JmpHistoryEntry | null, bt: Backtrack, level2: boolean): void {
  const p = env.prog;
  const code = p.code[idx];
  const cls = code & 7, op = code & 0xf0, mode = code & 0xe0;
  const dreg = p.dst[idx], sreg = p.src[idx];
  if (level2) {
    env.log.verbose(`mark_precise: frame${bt.frame}: regs=${fmtRegMask(bt.regs[bt.frame])} stack=${bt.stackText(bt.frame)} before ${idx}: ${env.insnText(idx)}\n`);
  }
  if (hist !== null && hist.linked !== null) btSyncLinkedRegs(bt, hist);
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if (!bt.isReg(dreg, bt.frame)) return;
    if (op === 0xd0 || op === 0x80) return;
    const x = (code & 0x08) !== 0;
    if (op === BPF_MOV) {
      bt.clearReg(dreg, bt.frame);
      if (x && sreg !== 10) bt.setReg(sreg, bt.frame);
    } else if (x && sreg !== 10) {
      bt.setReg(sreg, bt.frame);
    }
  } else if (cls === BPF_LDX || (cls === BPF_STX && mode === BPF_ATOMIC && p.imm[idx] === BPF_LOAD_ACQ)) {
    if (!bt.isReg(dreg, bt.frame)) return;
    bt.clearReg(dreg, bt.frame);
    if (hist === null || (hist.flags & INSN_F_STACK_ACCESS) === 0) return;
    bt.setSlot(hist.flags & INSN_F_FRAMENO_MASK, (hist.flags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK);
  } else if (cls === BPF_STX || cls === BPF_ST) {
    if (bt.isReg(dreg, bt.frame)) throw new Unsupported();
    if (cls === BPF_STX && mode === BPF_ATOMIC) {
      // A fetching atomic defines its source (or r0): bpfsim does not follow memory through it.
      const load = p.imm[idx] === 0xf1 ? 0 : sreg;
      if ((p.imm[idx] & BPF_FETCH) !== 0 && bt.isReg(load, bt.frame)) throw new Unsupported();
    }
    if (hist === null || (hist.flags & INSN_F_STACK_ACCESS) === 0) return;
    const fr = hist.flags & INSN_F_FRAMENO_MASK, spi = (hist.flags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK;
    if (!bt.isSlot(fr, spi)) return;
    bt.clearSlot(fr, spi);
    if (cls === BPF_STX) bt.setReg(sreg, bt.frame);
  } else if (cls === BPF_JMP || cls === BPF_JMP32) {
    if (code === (BPF_JMP | BPF_CALL) && p.src[idx] === BPF_PSEUDO_CALL) {
      // Leaving the callee (backwards): only r1-r5 may still be wanted; they come from the caller.
      if ((bt.regs[bt.frame] & ~REGMASK_ARGS) !== 0 || bt.hasSlots(bt.frame)) throw new Unsupported();
      for (let r = 1; r <= 5; r++) {
        if (bt.isReg(r, bt.frame)) { bt.clearReg(r, bt.frame); bt.setReg(r, bt.frame - 1); }
      }
      if (bt.frame === 0) throw new Unsupported();
      bt.frame--;
      return;
    }
    if (op === BPF_CALL) {
      if (p.src[idx] === BPF_PSEUDO_KFUNC_CALL && p.imm[idx] === 0) throw new Unsupported();
      bt.clearReg(0, bt.frame);
      if ((bt.regs[bt.frame] & REGMASK_ARGS) !== 0) throw new Unsupported();
    } else if (op === BPF_EXIT) {
      if ((bt.regs[bt.frame] & REGMASK_ARGS) !== 0) throw new Unsupported();
      const r0Precise = subseqIdx - 1 >= 0 && env.isStaticSubprogCall(subseqIdx - 1) && bt.isReg(0, bt.frame);
      bt.clearReg(0, bt.frame);
      if (bt.frame === MAX_FRAMES - 1) throw new Unsupported();
      bt.frame++;
      bt.clearFrame(bt.frame);
      if (r0Precise) bt.setReg(0, bt.frame);
      return;
    } else if ((code & 0x08) !== 0 && op !== 0x00) {
      if (!bt.isReg(dreg, bt.frame) && !bt.isReg(sreg, bt.frame)) return;
      if (hist === null || (hist.flags & INSN_F_SRC_REG_STACK) === 0) bt.setReg(sreg, bt.frame);
      if (hist === null || (hist.flags & INSN_F_DST_REG_STACK) === 0) bt.setReg(dreg, bt.frame);
    }
  } else if (cls === BPF_LD) {
    if (!bt.isReg(dreg, bt.frame)) return;
    bt.clearReg(dreg, bt.frame);
    if (mode === 0x20 || mode === 0x40) throw new Unsupported();
  }
  if (hist !== null && hist.linked !== null) btSyncLinkedRegs(bt, hist);
}

/**
 * Per instruction, the registers whose being wanted makes backtrack_insn do anything when the
 * instruction has no jump-history entry (and the log is not at level 2): the destination of ALU,
 * loads and ld_imm64 (read or defined), the base register of stores (a pointer: wanting it is an
 * error), the operands of register-register jumps, and every register for calls and exits. A walk
 * skips an instruction that touches no wanted register of the current frame: most of a loop body.
 */
export function backtrackTouchMasks(p: Program): Uint32Array {
  const touch = new Uint32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const code = p.code[i];
    const cls = code & 7, op = code & 0xf0;
    const dst = 1 << p.dst[i], src = 1 << p.src[i];
    if (cls === BPF_ALU || cls === BPF_ALU64 || cls === BPF_LDX || cls === BPF_LD) touch[i] = dst;
    else if (cls === BPF_STX && (code & 0xe0) === BPF_ATOMIC) touch[i] = dst | src | 1;
    else if (cls === BPF_STX || cls === BPF_ST) touch[i] = dst;
    else if (op === BPF_CALL || op === BPF_EXIT) touch[i] = 0xffffffff;
    else if ((code & 0x08) !== 0 && op !== 0x00) touch[i] = dst | src;
    else touch[i] = 0;
  }
  return touch;
}

/**
 * get_prev_insn_idx: the instruction executed before `i` on this path, or -1 at the state's start.
 * Consumes the history entry of `i` if it has one: the new end of the state's history is left in
 * `histEnd` (a module scalar rather than a returned object: this runs for every step of a walk).
 */
let histEnd = 0;
function prevInsnIdx(p: Program, st: VState, i: number): number {
  const cnt = histEnd;
  if (i === st.firstInsnIdx) {
    if (cnt === 0) return -1;
    if (cnt === 1 && st.jmpHistory[0].idx === i) return -1;
  }
  if (cnt > 0) {
    const e = st.jmpHistory[cnt - 1];
    if (e.idx === i) {
      histEnd = cnt - 1;
      return e.prevIdx;
    }
  }
  // Linear flow; the slot before could be the second half of an ld_imm64.
  if (i >= 2 && p.code[i - 2] === 0x18 && p.code[i - 1] === 0) return i - 2;
  return i - 1;
}

const bt = new Backtrack();

/**
 * Walk back from `start` for what `bt` holds; where the walk meets something it cannot follow,
 * every scalar becomes precise (Linux's mark_all_scalars_precise fallback).
 */
function walkOrMarkAll(env: PrecisionEnv, start: VState): void {
  if (bt.empty()) return;
  try {
    walk(env, start);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    markAllScalarsPrecise(env, start);
  } finally {
    audit.active = false;
  }
}

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
  walkOrMarkAll(env, start);
}

/** propagate_precision: `cur` was pruned against `old`; what `old` needed precise, `cur` needs too. */
export function propagatePrecision(
  env: PrecisionEnv, old: VState, liveMask: (st: VState, frame: number) => number, start: VState = env.cur,
): void {
  if (!env.bpfCapable) return;
  bt.init(start.curframe);
  const log = env.log;
  for (let fr = old.curframe; fr >= 0; fr--) {
    const f = old.frames[fr];
    const live = liveMask(old, fr);
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
  walkOrMarkAll(env, start);
}

/**
 * What earlier walks of the current path segment (the instructions since the last checkpoint, one
 * jmpHistory array) already propagated, by history position. A walk's effect is to make precise, in
 * the checkpoints above, every register and slot the wanted ones derive from (or, where it cannot
 * follow the data flow, every scalar). The backward step is distributive and monotone in the wanted
 * set, and checkpoints' precision marks are never cleared, so a walk that reaches a history position
 * wanting a subset of what earlier walks wanted there has nothing left to do. Linux re-walks; the
 * marks it leaves are the same, and only the level-2 log (where this is off) would tell. In a loop
 * this turns each walk back to the previous iteration instead of the whole segment.
 */
class SegmentMemo {
  private key: readonly JmpHistoryEntry[] | null = null;
  private gen = 0;
  private stamp = new Uint32Array(64);
  private frame = new Uint8Array(64);
  private masks = new Uint32Array(64 * MAX_FRAMES * 3);

  /** Whether earlier walks of `hist` covered what `b` wants at history position `h`; records it if not. */
  coveredOrRecord(hist: readonly JmpHistoryEntry[], h: number, b: Backtrack): boolean {
    if (hist !== this.key) {
      this.key = hist;
      this.gen = (this.gen + 1) >>> 0;
      if (this.gen === 0) { this.stamp.fill(0); this.gen = 1; }
    }
    if (h >= this.stamp.length) this.grow(h + 1);
    const base = h * MAX_FRAMES * 3;
    if (this.stamp[h] === this.gen && this.frame[h] === b.frame) {
      let covered = true;
      for (let f = 0; f <= b.frame; f++) {
        const o = base + f * 3;
        const r = b.regs[f], lo = b.stackLo[f], hi = b.stackHi[f];
        if ((r & ~this.masks[o]) !== 0 || (lo & ~this.masks[o + 1]) !== 0 || (hi & ~this.masks[o + 2]) !== 0) {
          covered = false;
        }
        this.masks[o] |= r;
        this.masks[o + 1] |= lo;
        this.masks[o + 2] |= hi;
      }
      return covered;
    }
    this.stamp[h] = this.gen;
    this.frame[h] = b.frame;
    for (let f = 0; f <= b.frame; f++) {
      const o = base + f * 3;
      this.masks[o] = b.regs[f];
      this.masks[o + 1] = b.stackLo[f];
      this.masks[o + 2] = b.stackHi[f];
    }
    return false;
  }

  private grow(min: number): void {
    const n = Math.max(min, this.stamp.length * 2);
    const stamp = new Uint32Array(n); stamp.set(this.stamp); this.stamp = stamp;
    const frame = new Uint8Array(n); frame.set(this.frame); this.frame = frame;
    const masks = new Uint32Array(n * MAX_FRAMES * 3); masks.set(this.masks); this.masks = masks;
  }
}

const memo = new SegmentMemo();

function walk(env: PrecisionEnv, start: VState): void {
  const log = env.log;
  let st: VState | null = start;
  let firstIdx = st.firstInsnIdx;
  let lastIdx = st.insnIdx;
  let subseqIdx = -1;
  let skipFirst = true;
  // Each step moves one instruction back along a finite history or to a parent checkpoint.
  const level2 = log.level2;
  const prog = env.prog;
  const n = prog.length;
  const touch = env.backtrackTouch;
  for (;;) {
    histEnd = st.jmpHistory.length;
    if (level2) log.verbose(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseqIdx} \n`);
    if (lastIdx < 0) throw new Unsupported();
    for (let i = lastIdx; ;) {
      if (skipFirst) skipFirst = false;
      else {
        const hist = histEntry(st, histEnd, i);
        // Without a history entry, an instruction touching no wanted register changes nothing.
        if (hist !== null || level2 || (touch[i] & bt.regs[bt.frame]) !== 0) {
          backtrackInsn(env, i, subseqIdx, hist, bt, level2);
          if (bt.empty()) return;
        }
      }
      subseqIdx = i;
      const before = histEnd;
      i = prevInsnIdx(prog, st, i);
      if (i < 0) break;
      if (i >= n) throw new Unsupported();
      if (histEnd < before && st === start && !level2 && !audit.active && memo.coveredOrRecord(st.jmpHistory, histEnd, bt)) {
        if (!audit.on) return;
        audit.hits++;
        audit.active = true;
      }
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
        else { f.regs[i] = withPrecise(r, true); noteMarked(); }
      }
      for (let i = 0; bt.hasSlots(fr) && i < 64; i++) {
        if (!bt.isSlot(fr, i)) continue;
        if (i >= f.stack.length) throw new Unsupported();
        const slot = f.stack[i];
        if (!isSpilledReg(slot) || slot.spilled.type !== 'scalar' || slot.spilled.precise) bt.clearSlot(fr, i);
        else { f.stack[i] = { types: slot.types, spilled: withPrecise(slot.spilled, true) }; noteMarked(); }
      }
      if (log.level2) {
        log.verbose(`mark_precise: frame${fr}: parent state regs=${fmtRegMask(bt.regs[fr])} stack=${bt.stackText(fr)}: `);
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
