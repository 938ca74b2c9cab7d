/**
 * Verifier states (Linux struct bpf_verifier_state / bpf_func_state / bpf_stack_state).
 *
 * A state is a stack of frames (one per active bpf-to-bpf call), each with eleven registers and a
 * stack of 8-byte slots. A slot records, for each of its bytes, what was stored there — the kernel's
 * slot_type characters as the log prints them: '?' invalid (never written), 'r' part of a spilled
 * register, 'm' misc data, '0' known zero — plus the spilled register itself. Byte j of the string
 * is slot_type[j]; slot_type[7] is the byte at the lowest address (fp-8 for slot 0).
 *
 * Registers and slots are immutable records, so copying a state copies arrays of references.
 */
import { NOT_INIT, type Reg } from './regs.js';

export const STACK_INVALID = '?';
export const STACK_SPILL = 'r';
export const STACK_MISC = 'm';
export const STACK_ZERO = '0';

export interface StackSlot {
  /** slot_type[0..7] as characters. */
  readonly types: string;
  readonly spilled: Reg;
}

export const EMPTY_SLOT: StackSlot = { types: '????????', spilled: NOT_INIT };

export interface FuncState {
  readonly regs: Reg[];
  /** Slot spi covers bytes [fp - 8(spi+1), fp - 8spi). Length = allocated_stack / 8. */
  stack: StackSlot[];
  readonly frameno: number;
  /** Instruction index of the call that created this frame (-1 for the main frame). */
  readonly callsite: number;
  readonly subprogno: number;
}

export interface RefState {
  readonly id: number;
  readonly insnIdx: number;
}

/** A register linked to a conditional jump's operand: a register or a spilled stack slot. */
export interface LinkedReg {
  readonly frameno: number;
  readonly isReg: boolean;
  /** Register number or stack slot index. */
  readonly index: number;
}

/** One entry of the jump history used by precision backtracking (Linux bpf_jmp_history_entry). */
export interface JmpHistoryEntry {
  readonly idx: number;
  readonly prevIdx: number;
  /** INSN_F_STACK_ACCESS | frame | spi << INSN_F_SPI_SHIFT | INSN_F_{DST,SRC}_REG_STACK, as Linux. */
  readonly flags: number;
  /** Registers linked by the conditional jump at this instruction. */
  readonly linked: readonly LinkedReg[] | null;
}

export interface VState {
  frames: FuncState[];
  curframe: number;
  refs: readonly RefState[];
  activeRcuLocks: number;
  /** The checkpoint this state descends from (its explored-list entry). */
  parent: VState | null;
  /** Paths below this state still to be explored. */
  branches: number;
  /** For stored states: the instruction they were recorded at. */
  insnIdx: number;
  firstInsnIdx: number;
  lastInsnIdx: number;
  jmpHistory: JmpHistoryEntry[];
  mayGotoDepth: number;
  /** Explored-list heuristics (Linux bpf_verifier_state_list). */
  missCnt: number;
  hitCnt: number;
  /** Set once removed from the explored list. */
  evicted: boolean;
  /** Checkpoints above this state on its path (Linux dfs_depth). */
  dfsDepth: number;
  /**
   * Per frame: stack slots read by the continuation of this state (REG_LIVE_READ on checkpoints),
   * and slots fully written since the parent checkpoint (REG_LIVE_WRITTEN, for the current path).
   */
  stackRead: bigint[];
  stackWritten: bigint[];
}

export function newFuncState(frameno: number, callsite: number, subprogno: number): FuncState {
  const regs: Reg[] = new Array<Reg>(11).fill(NOT_INIT);
  return { regs, stack: [], frameno, callsite, subprogno };
}

export function copyFunc(f: FuncState): FuncState {
  return { regs: f.regs.slice(), stack: f.stack.slice(), frameno: f.frameno, callsite: f.callsite, subprogno: f.subprogno };
}

/** copy_verifier_state; `jmpHistory` is the copy's history (by default a copy of the original's). */
export function copyState(s: VState, jmpHistory?: JmpHistoryEntry[]): VState {
  const frames: FuncState[] = [];
  for (let i = 0; i <= s.curframe; i++) frames.push(copyFunc(s.frames[i]));
  return {
    frames,
    curframe: s.curframe,
    refs: s.refs,
    activeRcuLocks: s.activeRcuLocks,
    parent: s.parent,
    branches: s.branches,
    insnIdx: s.insnIdx,
    firstInsnIdx: s.firstInsnIdx,
    lastInsnIdx: s.lastInsnIdx,
    // Entries are never edited once another state may hold them (see pushJmpHistory).
    jmpHistory: jmpHistory ?? s.jmpHistory.slice(),
    mayGotoDepth: s.mayGotoDepth,
    missCnt: 0,
    hitCnt: 0,
    evicted: false,
    dfsDepth: s.dfsDepth,
    stackRead: s.stackRead.slice(0, s.curframe + 1),
    stackWritten: s.stackWritten.slice(0, s.curframe + 1),
  };
}

/**
 * mark_reg_read for a stack slot: the slot's value is needed, so every checkpoint on the path
 * above, up to the one after which the slot was fully written, must keep it when comparing.
 */
export function markStackRead(cur: VState, frame: number, spi: number): boolean {
  const bit = 1n << BigInt(spi);
  const callsite = cur.frames[frame].callsite;
  let st = cur;
  let changed = false;
  // Each step moves to a parent checkpoint: bounded by the path length.
  for (let parent = st.parent; parent !== null; st = parent, parent = st.parent) {
    if ((st.stackWritten[frame] & bit) !== 0n) break;
    if (parent.curframe < frame || parent.frames[frame].callsite !== callsite) break;
    if ((parent.stackRead[frame] & bit) !== 0n) break;
    parent.stackRead[frame] |= bit;
    changed = true;
  }
  return changed;
}

export function allocatedStack(f: FuncState): number {
  return f.stack.length * 8;
}

/** grow_stack_state: make room for `size` bytes below the frame pointer. */
export function growStack(f: FuncState, size: number): void {
  const slots = Math.ceil(size / 8);
  if (slots <= f.stack.length) return;
  const s = f.stack.slice();
  while (s.length < slots) s.push(EMPTY_SLOT);
  f.stack = s;
}

export function setSlot(f: FuncState, spi: number, slot: StackSlot): void {
  f.stack[spi] = slot;
}

/** is_spilled_reg: the last byte of the slot holds part of a spilled register. */
export function isSpilledReg(slot: StackSlot): boolean {
  return slot.types.charCodeAt(7) === 114; // 'r'
}

export function isSpilledScalarReg(slot: StackSlot): boolean {
  return isSpilledReg(slot) && slot.spilled.type === 'scalar';
}

/** is_spilled_scalar_reg64: a full 8-byte spill of a scalar. */
export function isSpilledScalarReg64(slot: StackSlot): boolean {
  return slot.types === 'rrrrrrrr' && slot.spilled.type === 'scalar';
}

export function replaceChar(s: string, i: number, c: string): string {
  return s.slice(0, i) + c + s.slice(i + 1);
}

/**
 * Visit every register of every frame, including spilled ones (bpf_for_each_reg_in_vstate).
 * `update` returns a replacement register or undefined to keep it.
 */
export function mapAllRegs(s: VState, update: (r: Reg, frame: FuncState) => Reg | undefined): void {
  for (let fi = 0; fi <= s.curframe; fi++) {
    const f = s.frames[fi];
    for (let i = 0; i < 11; i++) {
      const r = f.regs[i];
      if (r.type === 'not_init') continue;
      const n = update(r, f);
      if (n !== undefined && n !== r) f.regs[i] = n;
    }
    for (let spi = 0; spi < f.stack.length; spi++) {
      const slot = f.stack[spi];
      if (!isSpilledReg(slot) || slot.spilled.type === 'not_init') continue;
      const n = update(slot.spilled, f);
      if (n !== undefined && n !== slot.spilled) f.stack[spi] = { types: slot.types, spilled: n };
    }
  }
}
