/**
 * Conditional jumps (Linux check_cond_jmp_op): decide the branch statically when the operands'
 * bounds allow it, otherwise continue on the fall-through path and queue the taken path, each with
 * the knowledge the condition gives — narrowed scalar bounds (also for every register linked to
 * them), null checks turning map_value_or_null into map_value or 0, packet pointers compared with
 * the packet end gaining an accessible range.
 */
import { ERRNO } from '../errno.js';
import { BPF_JMP32 } from '../isa/constants.js';
import type { JmpName } from '../isa/ops.js';
import { isPointerValue } from './access.js';
import { checkRegArg } from './alu.js';
import { curRegs, type Env } from './context.js';
import { fail } from './errors.js';
import { BPF_MAP_TYPE } from './kernel-names.js';
import {
  flipOp, isRegConst, isScalarBranchTaken, refineCondOp, regBoundsSync, regConstValue, revOp, type CondOp,
} from './ranges.js';
import {
  AT_PKT_END, BEYOND_PKT_END, BPF_ADD_CONST, PTR_MAYBE_NULL, isPktPointer, knownScalar, knownScalarImm, mutable,
  type Reg, withFields,
} from './regs.js';
import { mapAllRegs, type LinkedReg, type VState } from './state.js';
import { sanitize, type ScalarMemo } from './scalar-memo.js';
import { tnumEqualsConst } from './tnum.js';
import { adjustScalar } from './ranges.js';

const JMP_NAMES: readonly (JmpName | null)[] = [
  null, 'jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', null, null, 'jlt', 'jle', 'jslt', 'jsle',
];

export interface BranchOutcome {
  /** The fall-through continues in env.cur; when both paths are feasible `pushed` holds the taken one. */
  readonly next: number;
  readonly push: { state: VState; insnIdx: number } | null;
}

/** reg_not_null: pointers Linux knows are never NULL (not ctx, stack or packet pointers). */
function regNotNull(r: Reg): boolean {
  if ((r.flags & PTR_MAYBE_NULL) !== 0) return false;
  return r.type === 'map_value' || r.type === 'map_key' || r.type === 'map_ptr' || r.type === 'mem';
}

function isPktPtrBranchTaken(dst: Reg, src: Reg, op: CondOp): number {
  let pkt: Reg;
  if (src.type === 'pkt_end') pkt = dst;
  else if (dst.type === 'pkt_end') { pkt = src; op = flipOp(op); } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case 'jle': case 'jgt':
      if (pkt.range === BEYOND_PKT_END) return op === 'jgt' ? 1 : 0;
      break;
    case 'jlt': case 'jge':
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === 'jge' ? 1 : 0;
      break;
    default:
      break;
  }
  return -1;
}

/** is_branch_taken: 1, 0, or -1 (both possible). */
export function isBranchTaken(r1: Reg, r2: Reg, op: CondOp, jmp32: boolean): number {
  const pkt = (r: Reg) => isPktPointer(r) || r.type === 'pkt_end';
  if (pkt(r1) && pkt(r2) && !jmp32) return isPktPtrBranchTaken(r1, r2, op);
  if (r1.type !== 'scalar' || r2.type !== 'scalar') {
    if (!isRegConst(r2, jmp32) || r2.type !== 'scalar') {
      op = flipOp(op);
      [r1, r2] = [r2, r1];
    }
    if (r2.type !== 'scalar' || !isRegConst(r2, jmp32)) return -1;
    if (!regNotNull(r1)) return -1;
    if (regConstValue(r2, jmp32) !== 0n) return -1;
    if (op === 'jeq') return 0;
    if (op === 'jne') return 1;
    return -1;
  }
  return isScalarBranchTaken(r1, r2, op, jmp32);
}

/** reg_set_min_max: refine both operands in both successor states (instruction `i`). */
function regSetMinMax(
  memo: ScalarMemo, i: number, trueRegs: Reg[], falseRegs: Reg[], dstno: number, srcno: number, fakeSrc: Reg | null,
  op: CondOp, jmp32: boolean,
): void {
  const fd = falseRegs[dstno], fs = fakeSrc ?? falseRegs[srcno];
  if (fd.type !== 'scalar' || fs.type !== 'scalar') return;
  const td = trueRegs[dstno], ts = fakeSrc ?? trueRegs[srcno];
  if (td === fd && ts === fs) {
    // Both successors start from the same operands (the pushed state was just copied).
    const r = memo.condResult(i, td, ts, fakeSrc !== null, op, revOp(op), jmp32);
    trueRegs[dstno] = r.trueDst;
    falseRegs[dstno] = r.falseDst;
    if (fakeSrc === null) {
      trueRegs[srcno] = r.trueSrc;
      falseRegs[srcno] = r.falseSrc;
    }
    return;
  }
  const tdm = mutable(td), tsm = mutable(ts), fdm = mutable(fd), fsm = mutable(fs);
  refineCondOp(tdm, tsm, op, jmp32);
  regBoundsSync(tdm);
  refineCondOp(fdm, fsm, revOp(op), jmp32);
  regBoundsSync(fdm);
  trueRegs[dstno] = sanitize(tdm);
  falseRegs[dstno] = sanitize(fdm);
  // The immediate's fake register is discarded: no need to bring its bounds back in sync.
  if (fakeSrc === null) {
    regBoundsSync(tsm);
    regBoundsSync(fsm);
    trueRegs[srcno] = sanitize(tsm);
    falseRegs[srcno] = sanitize(fsm);
  }
}

/** LINKED_REGS_MAX: how many linked registers one jump records. */
const LINKED_REGS_MAX = 6;

/**
 * collect_linked_regs: scalars sharing `id`, in Linux's order (frames from the innermost, live
 * registers then spilled slots), at most LINKED_REGS_MAX.
 */
export function collectLinkedRegs(
  st: VState, id: number, liveMask: (st: VState, frame: number) => number, out: LinkedReg[],
): void {
  const base = id & ~BPF_ADD_CONST;
  const push = (e: LinkedReg) => {
    if (out.length >= LINKED_REGS_MAX) return;
    if (out.some((x) => x.frameno === e.frameno && x.isReg === e.isReg && x.index === e.index)) return;
    out.push(e);
  };
  for (let f = st.curframe; f >= 0; f--) {
    const fr = st.frames[f];
    const live = liveMask(st, f);
    for (let r = 0; r < 10; r++) {
      if ((live & (1 << r)) === 0) continue;
      const reg = fr.regs[r];
      if (reg.type === 'scalar' && (reg.id & ~BPF_ADD_CONST) === base) push({ frameno: f, isReg: true, index: r });
    }
    for (let spi = 0; spi < fr.stack.length; spi++) {
      const slot = fr.stack[spi];
      if (slot.types.charCodeAt(7) !== 114) continue;
      const reg = slot.spilled;
      if (reg.type === 'scalar' && (reg.id & ~BPF_ADD_CONST) === base) push({ frameno: f, isReg: false, index: spi });
    }
  }
}

/** sync_linked_regs: copy what was learned about `known` to the collected registers sharing its id. */
function syncLinkedRegs(st: VState, known: Reg, linked: readonly LinkedReg[]): void {
  for (const e of linked) {
    const fr = st.frames[e.frameno];
    const r = e.isReg ? fr.regs[e.index] : fr.stack[e.index].spilled;
    if (r.type !== 'scalar' || r === known || (r.id & ~BPF_ADD_CONST) !== (known.id & ~BPF_ADD_CONST)) continue;
    let n: Reg;
    if (((r.id & BPF_ADD_CONST) === 0 && (known.id & BPF_ADD_CONST) === 0) || r.off === known.off) {
      n = known;
    } else {
      // reg = known + (reg.off - known.off), keeping reg's own link (id, off).
      const m = mutable(known);
      adjustScalar(m, knownScalar(BigInt(r.off) - BigInt(known.off)), 'add', false);
      m.id = r.id;
      m.off = r.off;
      n = m;
    }
    if (e.isReg) fr.regs[e.index] = n;
    else fr.stack[e.index] = { types: fr.stack[e.index].types, spilled: n };
  }
}

function markPtrNotNull(r: Reg): Reg {
  if (r.type === 'map_value' && r.map !== null) {
    if (r.map.innerMap !== null) return withFields(r, { type: 'map_ptr', map: r.map.innerMap, flags: 0, id: 0 });
    if (r.map.mapType === BPF_MAP_TYPE.XSKMAP || r.map.mapType === BPF_MAP_TYPE.SOCKMAP || r.map.mapType === BPF_MAP_TYPE.SOCKHASH) {
      // Socket pointers are not modelled: keep an opaque not-null pointer that cannot be accessed.
      return withFields(r, { type: 'map_ptr', flags: 0, id: 0 });
    }
  }
  return withFields(r, { flags: r.flags & ~PTR_MAYBE_NULL, id: 0 });
}

/** mark_ptr_or_null_regs: after `if (rX == 0)`, every copy of the maybe-null pointer is decided. */
export function markPtrOrNullRegs(st: VState, regno: number, isNull: boolean): void {
  const r = st.frames[st.curframe].regs[regno];
  const id = r.id, refObjId = r.refObjId;
  if (refObjId !== 0 && refObjId === id && isNull) st.refs = st.refs.filter((x) => x.id !== id);
  mapAllRegs(st, (x) => {
    if ((x.flags & PTR_MAYBE_NULL) === 0 || x.id !== id) return undefined;
    if (x.smin !== 0n || x.smax !== 0n || !tnumEqualsConst(x.varOff, 0n) || x.off !== 0) return undefined;
    if (isNull) return x.precise ? withFields(knownScalar(0n), { precise: true }) : knownScalar(0n);
    return markPtrNotNull(x);
  });
}

/** find_good_pkt_pointers: every copy of the packet pointer gains `off` (+1) accessible bytes. */
function findGoodPktPointers(st: VState, dst: Reg, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > 0xffffn || dst.umax + BigInt(dst.off) > 0xffffn) return;
  const newRange = dst.off + (rightOpen ? 1 : 0);
  mapAllRegs(st, (x) => (x.type === dst.type && x.id === dst.id && x.range < newRange ? withFields(x, { range: Math.max(x.range, newRange) }) : undefined));
}

function markPktEnd(st: VState, regno: number, rangeOpen: boolean): void {
  const regs = st.frames[st.curframe].regs;
  const r = regs[regno];
  if (r.type !== 'pkt') return;
  regs[regno] = withFields(r, { range: rangeOpen ? BEYOND_PKT_END : AT_PKT_END });
}

function isInitPktPointer(r: Reg, type: 'pkt'): boolean {
  return r.type === type && r.off === 0 && tnumEqualsConst(r.varOff, 0n);
}

/** try_match_pkt_pointers: data' <op> data_end comparisons. Returns whether the pattern matched. */
function tryMatchPktPointers(
  op: CondOp, jmp32: boolean, srcX: boolean, dst: Reg, src: Reg, dstno: number, srcno: number, thisSt: VState, otherSt: VState,
): boolean {
  if (!srcX || jmp32) return false;
  const fwd = (dst.type === 'pkt' && src.type === 'pkt_end') || (dst.type === 'pkt_meta' && isInitPktPointer(src, 'pkt'));
  const rev = (dst.type === 'pkt_end' && src.type === 'pkt') || (isInitPktPointer(dst, 'pkt') && src.type === 'pkt_meta');
  if (!fwd && !rev) return false;
  switch (op) {
    case 'jgt':
      if (fwd) { findGoodPktPointers(thisSt, dst, false); markPktEnd(otherSt, dstno, true); }
      else { findGoodPktPointers(otherSt, src, true); markPktEnd(thisSt, srcno, false); }
      return true;
    case 'jlt':
      if (fwd) { findGoodPktPointers(otherSt, dst, true); markPktEnd(thisSt, dstno, false); }
      else { findGoodPktPointers(thisSt, src, false); markPktEnd(otherSt, srcno, true); }
      return true;
    case 'jge':
      if (fwd) { findGoodPktPointers(thisSt, dst, true); markPktEnd(otherSt, dstno, false); }
      else { findGoodPktPointers(otherSt, src, false); markPktEnd(thisSt, srcno, true); }
      return true;
    case 'jle':
      if (fwd) { findGoodPktPointers(otherSt, dst, false); markPktEnd(thisSt, dstno, true); }
      else { findGoodPktPointers(thisSt, src, true); markPktEnd(otherSt, srcno, false); }
      return true;
    default:
      return false;
  }
}

/**
 * check_cond_jmp_op for conditional jumps (not may_goto). `pushStack` queues a copy of the current
 * state to continue at the jump target and returns it.
 */
export function checkCondJmp(
  env: Env, i: number, pushStack: (insnIdx: number) => VState, liveMask: (st: VState, frame: number) => number,
  recordLinked: (linked: readonly LinkedReg[], flags: number) => void,
): number {
  const p = env.prog;
  const code = p.code[i];
  const op = JMP_NAMES[code >> 4] ?? null;
  if (op === null) fail(env.log, ERRNO.EINVAL, `invalid BPF_JMP/JMP32 opcode ${(code >> 4).toString(16)}\n`);
  const jmp32 = (code & 7) === BPF_JMP32;
  const srcX = (code & 0x08) !== 0;
  const dstno = p.dst[i], srcno = p.src[i];
  checkRegArg(env, dstno, 'src');
  let src: Reg;
  if (srcX) {
    if (p.imm[i] !== 0) fail(env.log, ERRNO.EINVAL, 'BPF_JMP/JMP32 uses reserved fields\n');
    checkRegArg(env, srcno, 'src');
    const regs = curRegs(env);
    if (!(isPktPointer(regs[dstno]) && isPktPointer(regs[srcno])) && isPointerValue(env, regs[srcno])) {
      fail(env.log, ERRNO.EACCES, `R${srcno} pointer comparison prohibited\n`);
    }
    src = regs[srcno];
  } else {
    if (srcno !== 0) fail(env.log, ERRNO.EINVAL, 'BPF_JMP/JMP32 uses reserved fields\n');
    src = knownScalarImm(p.imm[i]);
  }
  const dst = curRegs(env)[dstno];
  // INSN_F_DST_REG_STACK / INSN_F_SRC_REG_STACK: comparisons of stack pointers are not scalars.
  const histFlags = (dst.type === 'fp' ? 1 << 10 : 0) | (srcX && src.type === 'fp' ? 1 << 11 : 0);
  if (histFlags !== 0) recordLinked([], histFlags);
  const pred = isBranchTaken(dst, src, op, jmp32);
  if (pred >= 0) {
    const dstScalar = dst.type === 'scalar', srcScalar = srcX && src.type === 'scalar';
    if (dstScalar && srcScalar) env.markPrecisePair(dstno, srcno);
    else if (dstScalar) env.markPrecise(dstno);
    else if (srcScalar) env.markPrecise(srcno);
    return pred === 1 ? i + p.off[i] + 1 : i + 1;
  }
  const thisSt = env.cur;
  const linked: LinkedReg[] = [];
  if (srcX && src.type === 'scalar' && src.id !== 0) collectLinkedRegs(thisSt, src.id, liveMask, linked);
  if (dst.type === 'scalar' && dst.id !== 0) collectLinkedRegs(thisSt, dst.id, liveMask, linked);
  if (linked.length > 1) recordLinked(linked, 0);
  const other = pushStack(i + p.off[i] + 1);
  const otherRegs = other.frames[other.curframe].regs;
  const thisRegs = thisSt.frames[thisSt.curframe].regs;
  regSetMinMax(env.scalarMemo, i, otherRegs, thisRegs, dstno, srcno, srcX ? null : src, op, jmp32);
  if (srcX && src.type === 'scalar' && src.id !== 0) {
    syncLinkedRegs(thisSt, thisRegs[srcno], linked);
    syncLinkedRegs(other, otherRegs[srcno], linked);
  }
  if (dst.type === 'scalar' && dst.id !== 0) {
    syncLinkedRegs(thisSt, thisRegs[dstno], linked);
    syncLinkedRegs(other, otherRegs[dstno], linked);
  }
  // A maybe-null pointer compared with a not-null one is not null where they are equal.
  if (!jmp32 && srcX && src.type !== 'scalar' && dst.type !== 'scalar' &&
      ((src.flags & PTR_MAYBE_NULL) !== 0) !== ((dst.flags & PTR_MAYBE_NULL) !== 0)) {
    const eq = op === 'jeq' ? otherRegs : op === 'jne' ? thisRegs : null;
    if (eq !== null) {
      const k = (src.flags & PTR_MAYBE_NULL) !== 0 ? srcno : dstno;
      eq[k] = markPtrNotNull(eq[k]);
    }
  }
  if (!jmp32 && !srcX && p.imm[i] === 0 && (op === 'jeq' || op === 'jne') && (dst.flags & PTR_MAYBE_NULL) !== 0) {
    markPtrOrNullRegs(thisSt, dstno, op === 'jne');
    markPtrOrNullRegs(other, dstno, op === 'jeq');
  } else if (!tryMatchPktPointers(op, jmp32, srcX, dst, src, dstno, srcno, thisSt, other) && isPointerValue(env, dst)) {
    fail(env.log, ERRNO.EACCES, `R${dstno} pointer comparison prohibited\n`);
  }
  return i + 1;
}
