/**
 * State equivalence for pruning (Linux states_equal, regsafe, stacksafe, refsafe): an explored
 * state `old` (all of whose continuations were verified safe) covers the current state `cur` when
 * every live register and stack slot of `cur` is at least as constrained as in `old`. Then `cur`
 * need not be explored further.
 *
 * Exactness levels as in Linux: NOT_EXACT ignores scalars that no safety decision depended on
 * (not precise), RANGE_WITHIN compares every scalar's range, EXACT demands identical states
 * (used to detect infinite loops).
 */
import { BPF_ADD_CONST, sameValue, type Reg } from './regs.js';
import type { FuncState, StackSlot, VState } from './state.js';
import { tnumIn } from './tnum.js';

export type Exactness = 'not_exact' | 'range_within' | 'exact';

/** bpf_idmap: consistent renaming of ids between the two states. */
export class IdMap {
  private readonly old: number[] = [];
  private readonly cur: number[] = [];
  /** Pairs in use ([0, count) of old/cur; reset per comparison without truncating the arrays). */
  private count = 0;
  tmpIdGen = 0;

  reset(idGen: number): void {
    this.count = 0;
    this.tmpIdGen = idGen;
  }

  checkIds(oldId: number, curId: number): boolean {
    if ((oldId === 0) !== (curId === 0)) return false;
    if (oldId === 0) return true;
    const n = this.count;
    for (let i = 0; i < n; i++) {
      if (this.old[i] === oldId) return this.cur[i] === curId;
      if (this.cur[i] === curId) return false;
    }
    this.old[n] = oldId;
    this.cur[n] = curId;
    this.count = n + 1;
    return true;
  }

  checkScalarIds(oldId: number, curId: number): boolean {
    if (oldId === 0) return true;
    return this.checkIds(oldId, curId !== 0 ? curId : ++this.tmpIdGen);
  }
}

function rangeWithin(o: Reg, c: Reg): boolean {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
    o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max;
}

function sameUpToVarOff(o: Reg, c: Reg): boolean {
  return o.type === c.type && o.flags === c.flags && o.off === c.off && o.map === c.map && o.range === c.range &&
    o.memSize === c.memSize && o.subprogno === c.subprogno;
}

/** The fields Linux compares with memcmp up to `id` (type, off, the union, var_off, bounds). */
function sameUpToId(o: Reg, c: Reg): boolean {
  return sameUpToVarOff(o, c) && sameValue(o, c);
}

function regsExact(o: Reg, c: Reg, idmap: IdMap): boolean {
  return sameUpToId(o, c) && idmap.checkIds(o.id, c.id) && idmap.checkIds(o.refObjId, c.refObjId);
}

/** regsafe. */
export function regsafe(o: Reg, c: Reg, idmap: IdMap, exact: Exactness): boolean {
  if (exact === 'exact') return regsExact(o, c, idmap);
  if (o.type === 'not_init' && (exact === 'not_exact' || c.type === 'not_init')) return true;
  if (o.type !== c.type || o.flags !== c.flags) return false;
  switch (o.type) {
    case 'scalar':
      if (!o.precise && exact === 'not_exact') return true;
      if (o.id !== 0) {
        if ((o.id & BPF_ADD_CONST) !== (c.id & BPF_ADD_CONST)) return false;
        if ((o.id & BPF_ADD_CONST) !== 0 && o.off !== c.off) return false;
        if (!idmap.checkScalarIds(o.id, c.id)) return false;
      }
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) && idmap.checkScalarIds(o.id, c.id);
    case 'map_key':
    case 'map_value':
    case 'mem':
      return sameUpToVarOff(o, c) && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) &&
        idmap.checkIds(o.id, c.id) && idmap.checkIds(o.refObjId, c.refObjId);
    case 'pkt':
    case 'pkt_meta':
      if (o.range > c.range) return false;
      if (o.off !== c.off) return false;
      if (!idmap.checkIds(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case 'fp':
      return regsExact(o, c, idmap) && o.frameno === c.frameno;
    default:
      return regsExact(o, c, idmap);
  }
}

const UNBOUND_SCALAR_CACHE: { reg: Reg | null } = { reg: null };

/** scalar_reg_for_stack: a full scalar spill, or an unbounded scalar for an all-misc slot. */
function scalarRegForStack(s: StackSlot, allowUninit: boolean, unknown: Reg): Reg | null {
  if (s.types === 'rrrrrrrr' && s.spilled.type === 'scalar') return s.spilled;
  for (let i = 0; i < 8; i++) {
    const c = s.types[i];
    if (!(c === 'm' || (c === '?' && allowUninit))) return null;
  }
  return unknown;
}

/** stacksafe. */
function stacksafe(
  o: FuncState, c: FuncState, idmap: IdMap, exact: Exactness, allowUninit: boolean, unknown: Reg, read: bigint,
): boolean {
  const oldAlloc = o.stack.length * 8, curAlloc = c.stack.length * 8;
  for (let i = 0; i < oldAlloc; i++) {
    const spi = i >> 3, j = i & 7;
    const os = o.stack[spi];
    const ot = os.types[j];
    if (exact === 'exact' && (i >= curAlloc || ot !== c.stack[spi].types[j])) return false;
    // A slot the explored continuation never read cannot matter (REG_LIVE_READ).
    if (exact === 'not_exact' && (read & (1n << BigInt(spi))) === 0n) {
      i += 7 - j;
      continue;
    }
    if (ot === '?') continue;
    if (allowUninit && ot === 'm') continue;
    if (i >= curAlloc) return false;
    const cs = c.stack[spi];
    const oldReg = scalarRegForStack(os, allowUninit, unknown);
    const curReg = scalarRegForStack(cs, allowUninit, unknown);
    if (oldReg !== null && curReg !== null) {
      if (!regsafe(oldReg, curReg, idmap, exact)) return false;
      i += 7 - j;
      continue;
    }
    const ct = cs.types[j];
    if (ot === 'm' && ct === '0') continue;
    if (ot !== ct) return false;
    if (j !== 7) continue;
    if (ot === 'r') {
      if (!regsafe(os.spilled, cs.spilled, idmap, exact)) return false;
    }
  }
  void UNBOUND_SCALAR_CACHE;
  return true;
}

/** refsafe. */
function refsafe(o: VState, c: VState, idmap: IdMap): boolean {
  if (o.refs.length !== c.refs.length) return false;
  if (o.activeRcuLocks !== c.activeRcuLocks) return false;
  for (let i = 0; i < o.refs.length; i++) if (!idmap.checkIds(o.refs[i].id, c.refs[i].id)) return false;
  return true;
}

/**
 * states_equal. `liveRegs(c, frameIndex)` gives the live-register mask to compare for each frame
 * (registers not live are ignored, Linux's live_regs_before).
 */
export function statesEqual(
  o: VState, c: VState, exact: Exactness, idmap: IdMap, idGen: number, allowUninit: boolean, unknown: Reg,
  liveRegs: (st: VState, frame: number) => number,
): boolean {
  if (o.curframe !== c.curframe) return false;
  idmap.reset(idGen);
  if (!refsafe(o, c, idmap)) return false;
  for (let f = 0; f <= o.curframe; f++) {
    const of = o.frames[f], cf = c.frames[f];
    if (of.callsite !== cf.callsite) return false;
    const live = liveRegs(c, f);
    for (let r = 0; r < 11; r++) {
      if ((live & (1 << r)) === 0) continue;
      if (!regsafe(of.regs[r], cf.regs[r], idmap, exact)) return false;
    }
    if (!stacksafe(of, cf, idmap, exact, allowUninit, unknown, o.stackRead[f] ?? 0n)) return false;
  }
  return true;
}
