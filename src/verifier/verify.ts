/**
 * The verifier driver (Linux bpf_prog_load's program checks and bpf_check): structural checks,
 * map resolution, CFG checks, then do_check — a depth-first walk over all paths of the program,
 * one instruction at a time, with the current abstract state checked before and updated after each
 * instruction, pending branches on a stack, and state pruning at prune points against explored
 * states that cover the current one.
 *
 * verify() never throws: every outcome, including bpfsim's own failures, is a VerifyResult.
 */
import { ERRNO, errnoName } from '../errno.js';
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_EXIT, BPF_FETCH, BPF_JA, BPF_JCOND, BPF_JMP,
  BPF_JMP32, BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_MEM, BPF_MEMSX, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST,
  BPF_STORE_REL, BPF_STX,
} from '../isa/constants.js';
import { checkMemAccess, isPointerValue } from './access.js';
import { checkAluOp, checkRegArg } from './alu.js';
import { checkCondJmp } from './branch.js';
import {
  checkFuncCall, checkHelperCall, checkKfuncCall, checkLdAbs, checkMaxStackDepth, checkResourceLeak,
  checkReturnCode, prepareFuncExit,
} from './calls.js';
import { checkCfg, computeScc, findSubprogs, isLdImm64, type Subprog } from './cfg.js';
import { curRegs, setReg, type Env } from './context.js';
import { disasmInsn } from './disasm.js';
import { ROOT_CAPS, type KfuncProto, type MapDescriptor, type VerifyRequest, type VerifyResult } from './env.js';
import { VerifierAbort, fail } from './errors.js';
import { helperArgCount, isCallbackCallingHelper } from './helpers.js';
import { BPF_PROG_TYPE, MAX_BPF_PROG_TYPE } from './kernel-names.js';
import { processFdArray, progDigest, resolvePseudoLdImm64, type MapEnv } from './ldimm64.js';
import { computeLiveRegs, liveRegsTable } from './liveness.js';
import { BPF_LOG_LEVEL2, BPF_LOG_STATS, Scratch, VLog, logWindowFor, statsLine, verifierStateStr, vlogAlignment } from './log.js';
import { IdMap, regsafe, statesEqual, type Exactness } from './prune.js';
import {
  INSN_F_STACK_ACCESS, INSN_F_SPI_SHIFT, backtrackTouchMasks, markAllScalarsImprecise, markAllScalarsPrecise, markChainPrecision, propagatePrecision,
  takePrecisionChanged,
  type PrecisionEnv,
} from './precision.js';
import { progTypeInfo, unprivilegedAllowed } from './prog-types.js';
import { knownScalar, pointer, unknownScalar, type Reg } from './regs.js';
import { ScalarMemo } from './scalar-memo.js';
import {
  copyState, isSpilledReg, markStackRead, newFuncState, type JmpHistoryEntry, type LinkedReg, type VState,
} from './state.js';

export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;
export const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;
const BPF_COMPLEXITY_LIMIT_STATES = 64;

const BPF_F_STRICT_ALIGNMENT = 1 << 0;
const BPF_F_ANY_ALIGNMENT = 1 << 1;
const BPF_F_TEST_RND_HI32 = 1 << 2;
const BPF_F_TEST_STATE_FREQ = 1 << 3;
const BPF_F_SLEEPABLE = 1 << 4;
const BPF_F_XDP_HAS_FRAGS = 1 << 5;
const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
const BPF_F_TEST_REG_INVARIANTS = 1 << 7;
const BPF_F_TOKEN_FD = 1 << 16;
const PROG_FLAGS_MASK = BPF_F_STRICT_ALIGNMENT | BPF_F_ANY_ALIGNMENT | BPF_F_TEST_STATE_FREQ | BPF_F_SLEEPABLE |
  BPF_F_TEST_RND_HI32 | BPF_F_XDP_HAS_FRAGS | BPF_F_XDP_DEV_BOUND_ONLY | BPF_F_TEST_REG_INVARIANTS | BPF_F_TOKEN_FD;

interface StackElem {
  readonly st: VState;
  readonly insnIdx: number;
  readonly prevInsnIdx: number;
  readonly logPos: number;
}

interface Explored {
  states: VState[];
}

/** The processed-instruction budget was used up: Linux's E2BIG "BPF program is too large". */
class Verifier implements Env, PrecisionEnv {
  readonly prog;
  readonly req: VerifyRequest;
  readonly log: VLog;
  readonly scratch = new Scratch();
  readonly progType: number;
  readonly attachType: number;
  readonly attachBtfId: number;
  readonly pt;
  readonly sleepable: boolean;
  readonly gplCompatible: boolean;
  readonly allowPtrLeaks: boolean;
  readonly allowUninitStack: boolean;
  readonly bpfCapable: boolean;
  readonly strictAlignment: boolean;
  readonly nrCpuIds: number;
  subprogs: Subprog[] = [];
  subprogOf: Int32Array = new Int32Array(0);
  readonly ldMap = new Map<number, { map: MapDescriptor; value: boolean; offset: number }>();
  readonly auxPtrType: Array<Reg['type'] | undefined>;
  readonly ctxPointerLoads = new Map<number, 'pkt' | 'pkt_meta' | 'pkt_end'>();
  readonly kfuncs = new Map<number, KfuncProto>();
  cur!: VState;
  insnIdx = 0;
  idGen = 0;
  maxCtxOffset = 0;
  maxPktOffset = 0;

  readonly usedMaps: MapDescriptor[] = [];
  digest: Uint8Array = new Uint8Array(32);
  patches: VerifyResult['ldImm64'] = [];
  readonly limit: number;
  readonly idmap = new IdMap();
  readonly backtrackTouch: Uint32Array;
  readonly scalarMemo: ScalarMemo;

  // do_check bookkeeping
  insnProcessed = 0;
  prevInsnProcessed = 0;
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  totalStates = 0;
  peakStates = 0;
  exploredSize = 0;
  /** Evicted checkpoints still referenced by the current path (Linux free_list_size). */
  freeListSize = 0;
  /** SCC id per instruction (0: not in a loop), compute_scc. */
  private scc: Int32Array = new Int32Array(0);
  /** bpf_scc_visit per call chain ("(callsites,...,scc)"): the entry checkpoint and pending backedges. */
  private readonly sccVisits = new Map<string, { entry: VState | null; backedges: Array<{ st: VState; equal: VState }> }>();
  private numBackedges = 0;
  /** sccCallchain's answers for the main frame, by SCC id. */
  private readonly sccChain0: string[] = [];
  maxStatesPerInsn = 0;
  private stack: StackElem[] = [];
  private explored: Array<Explored | undefined> = [];
  private prunePoint: Uint8Array = new Uint8Array(0);
  private jmpPoint: Uint8Array = new Uint8Array(0);
  private forceCheckpoint: Uint8Array = new Uint8Array(0);
  private liveRegs: Uint16Array = new Uint16Array(0);
  private prevLogPos = 0;
  private prevInsnPrintPos = 0;
  private readonly exactness: Exactness = 'not_exact';
  private curHistEnt: JmpHistoryEntry | null = null;
  /** env->prev_insn_idx: the instruction before the current one on this path. */
  private prevInsnIdxEnv = -1;
  private readonly unknown: Reg;
  /** checkCondJmp's callbacks for the current instruction (made once, not per jump). */
  private readonly condPush = (target: number): VState => this.pushStack(target, this.insnIdx);
  /** liveMask as a function value (made once: pruning and precision take it for every state). */
  private readonly liveMaskFn = (st: VState, f: number): number => this.liveMask(st, f);
  private readonly condRecord = (linked: readonly LinkedReg[], flags: number): void =>
    this.pushJmpHistory(flags, linked.length > 1 ? linked : null);

  constructor(req: VerifyRequest) {
    this.req = req;
    this.prog = req.program;
    const caps = req.caps ?? ROOT_CAPS;
    const level = req.logLevel ?? 0;
    // The part of the log worth holding (see VLog): what the caller's buffer can show.
    this.log = new VLog(level, req.logWindow ?? (req.logSize !== undefined ? logWindowFor(level, req.logSize) : {}));
    this.progType = req.progType;
    this.attachType = req.expectedAttachType ?? 0;
    this.attachBtfId = req.attachBtfId ?? 0;
    this.pt = progTypeInfo(req.progType);
    const flags = req.progFlags ?? 0;
    this.sleepable = (flags & BPF_F_SLEEPABLE) !== 0;
    this.gplCompatible = req.gplCompatible ?? true;
    this.bpfCapable = caps.bpf || caps.sysAdmin;
    this.allowPtrLeaks = caps.perfmon || caps.sysAdmin;
    this.allowUninitStack = this.allowPtrLeaks;
    this.strictAlignment = (flags & BPF_F_STRICT_ALIGNMENT) !== 0 && (flags & BPF_F_ANY_ALIGNMENT) === 0;
    this.nrCpuIds = req.nrCpuIds ?? 2;
    this.limit = req.insnLimit ?? BPF_COMPLEXITY_LIMIT_INSNS;
    this.auxPtrType = new Array(this.prog.length);
    this.unknown = unknownScalar(false);
    this.scalarMemo = new ScalarMemo(this.prog.length);
    this.backtrackTouch = backtrackTouchMasks(this.prog);
  }

  // ------------------------------------------------------------ precision

  markPrecise(regno: number): void {
    markChainPrecision(this, 1 << regno, []);
  }

  markPrecisePair(first: number, second: number): void {
    // A walk's marks are those of walks of each register in turn (backtracking is distributive, and
    // marks accumulate); only the level-2 log, which prints every walk, tells them apart.
    if (this.log.level2) {
      this.markPrecise(first);
      this.markPrecise(second);
    } else {
      markChainPrecision(this, (1 << first) | (1 << second), []);
    }
  }

  markPreciseSlot(frameno: number, spi: number): void {
    markChainPrecision(this, 0, [[frameno, spi]]);
  }

  noteStackAccess(frameno: number, spi: number): void {
    this.pushJmpHistory(INSN_F_STACK_ACCESS | frameno | (spi << INSN_F_SPI_SHIFT), null);
  }

  markStackRead(frameno: number, spi: number): void {
    markStackRead(this.cur, frameno, spi);
  }

  markStackWritten(frameno: number, spi: number): void {
    this.cur.stackWritten[frameno] |= 1n << BigInt(spi);
  }

  isStaticSubprogCall(i: number): boolean {
    return this.prog.code[i] === (BPF_JMP | BPF_CALL) && this.prog.src[i] === BPF_PSEUDO_CALL;
  }

  /** push_jmp_history: one entry per processed instruction, flags merged. */
  private pushJmpHistory(flags: number, linked: readonly LinkedReg[] | null): void {
    const e = this.curHistEnt;
    if (e !== null) {
      // Entries are shared by the states copied from this one (copyState): replace, never edit.
      const n: JmpHistoryEntry = { idx: e.idx, prevIdx: e.prevIdx, flags: e.flags | flags, linked: linked ?? e.linked };
      const h = this.cur.jmpHistory;
      h[h.length - 1] = n;
      this.curHistEnt = n;
      return;
    }
    const n: JmpHistoryEntry = { idx: this.insnIdx, prevIdx: this.prevInsnIdxEnv, flags, linked };
    this.cur.jmpHistory.push(n);
    this.curHistEnt = n;
  }

  // ------------------------------------------------------------ bpf_prog_load checks

  /** The program-level checks bpf_prog_load makes before the verifier (no log). */
  loadChecks(): void {
    const n = this.prog.length;
    const caps = this.req.caps ?? ROOT_CAPS;
    const flags = this.req.progFlags ?? 0;
    if ((flags & ~PROG_FLAGS_MASK) !== 0) throw new VerifierAbort(ERRNO.EINVAL);
    if (this.progType <= 0 || this.progType >= MAX_BPF_PROG_TYPE) throw new VerifierAbort(ERRNO.EINVAL);
    const bpfCap = caps.bpf || caps.sysAdmin;
    if (!bpfCap && !unprivilegedAllowed(this.progType)) throw new VerifierAbort(ERRNO.EPERM);
    if (n === 0 || n > (bpfCap ? BPF_COMPLEXITY_LIMIT_INSNS : 4096)) throw new VerifierAbort(ERRNO.E2BIG);
  }

  // ------------------------------------------------------------ bpf_check

  run(): void {
    const p = this.prog;
    const mapEnv: MapEnv = { log: this.log, req: this.req, sleepable: this.sleepable, digest: this.digest, usedMaps: this.usedMaps };
    processFdArray(mapEnv);
    const sp = findSubprogs(p, this.log, this.bpfCapable);
    this.subprogs = sp.subprogs;
    this.subprogOf = sp.subprogOf;
    if (!this.req.hasBtfInfo) checkAbnormalReturn(this.log, sp.subprogs);
    const resolved = resolvePseudoLdImm64(mapEnv, p);
    this.digest = mapEnv.digest;
    this.patches = resolved.patches;
    for (const patch of resolved.patches) {
      this.ldMap.set(patch.slot, { map: patch.map, value: patch.kind === 'map_value', offset: patch.offset });
    }
    for (let i = 0; i < p.length; i++) {
      if (p.code[i] === 0x85 && p.src[i] === BPF_PSEUDO_KFUNC_CALL) {
        const proto = this.req.kfuncs?.(p.imm[i]) ?? null;
        if (proto === null) fail(this.log, ERRNO.EINVAL, `kernel btf_id ${p.imm[i]} is not a function\n`);
        this.kfuncs.set(p.imm[i], proto);
      }
    }
    const cfg = checkCfg(p, this.log, this.bpfCapable, (i) => isCallbackCallingHelper(p.imm[i]));
    this.prunePoint = cfg.prunePoint;
    this.jmpPoint = cfg.jmpPoint;
    this.forceCheckpoint = cfg.forceCheckpoint;
    this.checkAttach();
    const scc = computeScc(p);
    this.scc = scc;
    this.liveRegs = computeLiveRegs(p, helperArgCount);
    if (this.log.level2) this.log.verbose(liveRegsTable(p, this.liveRegs, scc, (i) => this.insnText(i)));
    this.doCheckMain();
    checkMaxStackDepth(this);
  }

  /** check_attach_btf_id's program-type rules. */
  private checkAttach(): void {
    if (this.progType === BPF_PROG_TYPE.SYSCALL) {
      if (!this.sleepable) fail(this.log, ERRNO.EINVAL, 'Syscall programs can only be sleepable\n');
      return;
    }
    if (this.sleepable && this.progType !== BPF_PROG_TYPE.TRACING && this.progType !== BPF_PROG_TYPE.LSM &&
        this.progType !== BPF_PROG_TYPE.KPROBE && this.progType !== BPF_PROG_TYPE.STRUCT_OPS) {
      fail(this.log, ERRNO.EINVAL, 'Only fentry/fexit/fsession/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable\n');
    }
    if ((this.progType === BPF_PROG_TYPE.TRACING || this.progType === BPF_PROG_TYPE.LSM) && this.attachBtfId === 0) {
      fail(this.log, ERRNO.EINVAL, 'Tracing programs must provide btf_id\n');
    }
  }

  insnText(i: number): string {
    return disasmInsn(this.prog, i, {
      ldImm64Value: (slot) => this.ldImm64Value(slot),
      kfuncName: (id) => this.kfuncs.get(id)?.name ?? null,
    });
  }

  /** What the log prints for a resolved ld_imm64: the map's (or value's) kernel address. */
  private ldImm64Value(slot: number): bigint | null {
    const m = this.ldMap.get(slot);
    if (m === undefined) return null;
    const base = m.value
      ? (m.map.valueAddress ?? (m.map.address ?? fakeMapAddress(m.map)) + 0x138n)
      : (m.map.address ?? fakeMapAddress(m.map));
    return BigInt.asUintN(64, base + BigInt(m.offset));
  }

  // ------------------------------------------------------------ do_check

  private initialState(): VState {
    const f = newFuncState(0, -1, 0);
    f.regs[1] = pointer('ctx');
    f.regs[10] = pointer('fp', { frameno: 0 });
    return {
      frames: [f], curframe: 0, refs: [], activeRcuLocks: 0, parent: null, branches: 1, insnIdx: 0,
      firstInsnIdx: 0, lastInsnIdx: -1, jmpHistory: [], mayGotoDepth: 0, missCnt: 0, hitCnt: 0, evicted: false,
      stackRead: [0n], stackWritten: [0n], dfsDepth: 0,
    };
  }

  private doCheckMain(): void {
    this.cur = this.initialState();
    this.scratch.markAll();
    const popLog = (this.log.level & BPF_LOG_LEVEL2) === 0;
    this.doCheck(popLog);
    // A verified path's log is not kept at level 1 (do_check_common resets it).
    if (popLog) this.log.reset(0);
  }

  private pushStack(insnIdx: number, prevInsnIdx: number): VState {
    const st = copyState(this.cur);
    this.stack.push({ st, insnIdx, prevInsnIdx, logPos: this.log.endPos });
    if (this.stack.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
      fail(this.log, ERRNO.E2BIG, `The sequence of ${this.stack.length} jumps is too complex.\n`);
    }
    if (st.parent !== null) st.parent.branches++;
    return st;
  }

  private updateBranchCounts(st: VState | null): void {
    while (st !== null) {
      const br = --st.branches;
      if (br === 0 && st.evicted) this.freeListSize--;
      if (br > 0) break;
      this.maybeExitScc(st);
      st = st.parent;
    }
  }

  // ------------------------------------------------------------ loops (SCC visits)

  /** compute_scc_callchain + format_callchain: the call chain of `st` into an SCC, or null. */
  private sccCallchain(st: VState): string | null {
    // The main frame inside a loop: "(scc)", made once per SCC (pruning asks for every checkpoint).
    const scc0 = this.scc[st.curframe === 0 ? st.insnIdx : st.frames[1].callsite] ?? 0;
    if (scc0 !== 0) return (this.sccChain0[scc0] ??= `(${scc0})`);
    let s = '(';
    for (let i = 0; i <= st.curframe; i++) {
      const idx = i === st.curframe ? st.insnIdx : st.frames[i + 1].callsite;
      const scc = this.scc[idx] ?? 0;
      if (scc !== 0) return `${s}${scc})`;
      if (i === st.curframe) return null;
      if (idx !== 0) s += `${idx},`;
    }
    return null;
  }

  private updatePeakStates(): void {
    const n = this.exploredSize + this.freeListSize + this.numBackedges;
    if (this.peakStates < n) this.peakStates = n;
  }

  /** maybe_enter_scc: a new checkpoint inside a loop becomes the entry of its SCC visit. */
  private maybeEnterScc(st: VState): void {
    const chain = this.sccCallchain(st);
    if (chain === null) return;
    let visit = this.sccVisits.get(chain);
    if (visit === undefined) this.sccVisits.set(chain, (visit = { entry: null, backedges: [] }));
    if (visit.entry === null) {
      visit.entry = st;
      if (this.log.level2) this.log.verbose(`SCC enter ${chain}\n`);
    }
  }

  /**
   * maybe_exit_scc: every path from the visit's entry is explored, so the precision marks that
   * pruned loop iterations (backedges) can be completed: propagate_backedges to a fixed point.
   */
  private maybeExitScc(st: VState): void {
    const chain = this.sccCallchain(st);
    if (chain === null) return;
    const visit = this.sccVisits.get(chain);
    if (visit === undefined || visit.entry !== st) return;
    if (this.log.level2) this.log.verbose(`SCC exit ${chain}\n`);
    visit.entry = null;
    this.numBackedges -= visit.backedges.length;
    this.updatePeakStates();
    const MAX_BACKEDGE_ITERS = 64;
    let iters = 0;
    for (;;) {
      if (iters++ > MAX_BACKEDGE_ITERS) {
        if (this.log.level2) this.log.verbose('propagate_backedges: too many iterations\n');
        for (const b of visit.backedges) markAllScalarsPrecise(this, b.st);
        break;
      }
      takePrecisionChanged();
      let readChanged = false;
      for (const b of visit.backedges) {
        // bpfsim keeps classic stack read marks (Linux 6.18 derives stack liveness statically):
        // what the loop head reads, the pruned iteration's path reads too.
        for (let f = 0; f <= b.equal.curframe && f <= b.st.curframe; f++) {
          const m = b.equal.stackRead[f];
          for (let spi = 0; m !== 0n && spi < 64; spi++) {
            if ((m & (1n << BigInt(spi))) !== 0n && markStackRead(b.st, f, spi)) readChanged = true;
          }
        }
        propagatePrecision(this, b.equal, this.liveMaskFn, b.st);
      }
      if (!takePrecisionChanged() && !readChanged) break;
    }
    visit.backedges = [];
  }

  /** add_scc_backedge: a loop iteration pruned against an in-progress checkpoint of its SCC visit. */
  private addSccBackedge(equal: VState, insnIdx: number): void {
    const chain = this.sccCallchain(equal);
    const visit = chain === null ? undefined : this.sccVisits.get(chain);
    if (chain === null || visit === undefined) fail(this.log, ERRNO.EFAULT, 'verifier bug: add backedge: no SCC in verification path\n');
    if (this.log.level2) this.log.verbose(`SCC backedge ${chain}\n`);
    const st = copyState(this.cur);
    st.insnIdx = insnIdx;
    visit.backedges.push({ st, equal });
    this.numBackedges++;
    this.updatePeakStates();
  }

  /** incomplete_read_marks: checkpoints of an SCC visit with pending backedges lack some marks. */
  private incompleteReadMarks(st: VState): boolean {
    if (this.sccVisits.size === 0) return false;
    const chain = this.sccCallchain(st);
    if (chain === null) return false;
    const visit = this.sccVisits.get(chain);
    return visit !== undefined && visit.backedges.length > 0;
  }

  /** print_insn_state: append the scratched state to the instruction line (or start a new line). */
  private printInsnState(insnIdx: number): void {
    if (!this.log.enabled || !this.scratch.any) return;
    if (this.prevLogPos !== 0 && this.prevLogPos === this.log.endPos) {
      this.log.reset(this.prevLogPos - 1);
      this.log.verbose(' '.repeat(vlogAlignment(this.prevInsnPrintPos)) + ';');
    } else {
      this.log.verbose(`${insnIdx}:`);
    }
    this.log.verbose(verifierStateStr(this.cur, this.cur.curframe, false, this.scratch));
    this.scratch.clear();
  }

  private doCheck(popLog: boolean): void {
    const p = this.prog;
    const n = p.length;
    const log = this.log;
    let doPrintState = false;
    let prevInsnIdx = -1;
    this.insnIdx = 0;
    for (;;) {
      let exit = false;
      const i = this.insnIdx;
      this.curHistEnt = null;
      this.prevInsnIdxEnv = prevInsnIdx;
      if (i < 0 || i >= n) fail(log, ERRNO.EFAULT, `invalid insn idx ${i} insn_cnt ${n}\n`);
      if (++this.insnProcessed > this.limit) {
        fail(log, ERRNO.E2BIG, `BPF program is too large. Processed ${this.insnProcessed} insn\n`);
      }
      this.cur.lastInsnIdx = prevInsnIdx;
      this.cur.insnIdx = i;
      if (this.prunePoint[i] !== 0) {
        if (this.isStateVisited(i)) {
          if (log.enabled) {
            if (doPrintState) log.verbose(`\nfrom ${prevInsnIdx} to ${i}: safe\n`);
            else log.verbose(`${i}: safe\n`);
          }
          exit = true;
        }
      }
      if (!exit) {
        if (this.jmpPoint[i] !== 0) this.pushJmpHistory(0, null);
        if (log.level2 && doPrintState) {
          log.verbose(`\nfrom ${prevInsnIdx} to ${i}:`);
          log.verbose(verifierStateStr(this.cur, this.cur.curframe, true, null));
          doPrintState = false;
        }
        if (log.enabled) {
          if (this.scratch.any) this.printInsnState(i);
          this.prevLogPos = log.endPos;
          log.verbose(`${i}: ${this.insnText(i)}\n`);
          this.prevInsnPrintPos = log.endPos - this.prevLogPos;
          this.prevLogPos = log.endPos;
        }
        prevInsnIdx = i;
        const r = this.doCheckInsn(i);
        if (r === 'exit') exit = true;
        else if (r === 'subprog_exit') doPrintState = true;
      }
      if (exit) {
        this.scratch.markAll();
        this.updateBranchCounts(this.cur);
        const top = this.stack.pop();
        if (top === undefined) break;
        if (popLog) log.reset(top.logPos);
        this.cur = top.st;
        this.insnIdx = top.insnIdx;
        prevInsnIdx = top.prevInsnIdx;
        doPrintState = true;
      }
    }
  }

  /** do_check_insn: one instruction. Returns 'exit' when the path ends. */
  private doCheckInsn(i: number): 'next' | 'exit' | 'subprog_exit' {
    const p = this.prog;
    const code = p.code[i];
    const cls = code & 7;
    const log = this.log;
    if (cls === BPF_ALU || cls === BPF_ALU64) {
      checkAluOp(this, i);
      this.insnIdx = i + 1;
      return 'next';
    }
    if (cls === BPF_LDX) {
      const ldsx = (code & 0xe0) === BPF_MEMSX;
      this.checkLoadMem(i, ldsx, false);
      this.insnIdx = i + 1;
      return 'next';
    }
    if (cls === BPF_STX) {
      if ((code & 0xe0) === BPF_ATOMIC) {
        this.checkAtomic(i);
        this.insnIdx = i + 1;
        return 'next';
      }
      if ((code & 0xe0) !== BPF_MEM || p.imm[i] !== 0) fail(log, ERRNO.EINVAL, 'BPF_STX uses reserved fields\n');
      this.checkStoreReg(i, false);
      this.insnIdx = i + 1;
      return 'next';
    }
    if (cls === BPF_ST) {
      if ((code & 0xe0) !== BPF_MEM || p.src[i] !== 0) fail(log, ERRNO.EINVAL, 'BPF_ST uses reserved fields\n');
      checkRegArg(this, p.dst[i], 'src');
      const dstType = curRegs(this)[p.dst[i]].type;
      checkMemAccess(this, p.dst[i], p.off[i], sizeOf(code), true, -1, false, false, p.imm[i]);
      this.saveAuxPtrType(i, dstType);
      this.insnIdx = i + 1;
      return 'next';
    }
    if (cls === BPF_JMP || cls === BPF_JMP32) {
      const op = code & 0xf0;
      this.jmpsProcessed++;
      if (op === BPF_CALL) {
        const src = p.src[i];
        if ((code & 0x08) !== 0 || (src !== BPF_PSEUDO_KFUNC_CALL && p.off[i] !== 0) ||
            (src !== 0 && src !== BPF_PSEUDO_CALL && src !== BPF_PSEUDO_KFUNC_CALL) || p.dst[i] !== 0 || cls === BPF_JMP32) {
          fail(log, ERRNO.EINVAL, 'BPF_CALL uses reserved fields\n');
        }
        if (src === BPF_PSEUDO_CALL) {
          this.insnIdx = checkFuncCall(this, i);
          this.scratch.reg(0);
          return 'next';
        }
        if (src === BPF_PSEUDO_KFUNC_CALL) checkKfuncCall(this, i);
        else checkHelperCall(this, i);
        this.scratch.reg(0);
        this.insnIdx = i + 1;
        return 'next';
      }
      if (op === BPF_JA) {
        if ((code & 0x08) !== 0 || p.src[i] !== 0 || p.dst[i] !== 0 || (cls === BPF_JMP && p.imm[i] !== 0) ||
            (cls === BPF_JMP32 && p.off[i] !== 0)) {
          fail(log, ERRNO.EINVAL, 'BPF_JA uses reserved fields\n');
        }
        this.insnIdx = i + 1 + (cls === BPF_JMP ? p.off[i] : p.imm[i]);
        return 'next';
      }
      if (op === BPF_EXIT) {
        if ((code & 0x08) !== 0 || p.imm[i] !== 0 || p.src[i] !== 0 || p.dst[i] !== 0 || cls === BPF_JMP32) {
          fail(log, ERRNO.EINVAL, 'BPF_EXIT uses reserved fields\n');
        }
        return this.processExit();
      }
      if (op === BPF_JCOND) {
        if (code !== (BPF_JMP | BPF_JCOND) || p.src[i] !== 0 || p.dst[i] !== 0 || p.imm[i] !== 0) {
          fail(log, ERRNO.EINVAL, `invalid may_goto imm ${p.imm[i]}\n`);
        }
        const prev = this.findPrevEntry(i);
        const queued = this.pushStack(i + 1, i);
        queued.mayGotoDepth++;
        if (prev !== null) this.widenImpreciseScalars(prev, queued);
        this.insnIdx = i + 1 + p.off[i];
        return 'next';
      }
      const next = checkCondJmp(this, i, this.condPush, this.liveMaskFn, this.condRecord);
      if (log.enabled) this.printInsnState(i);
      this.insnIdx = next;
      return 'next';
    }
    if (cls === BPF_LD) {
      const mode = code & 0xe0;
      if (mode === 0x20 || mode === 0x40) {
        checkLdAbs(this, i);
        this.insnIdx = i + 1;
        return 'next';
      }
      if (mode === 0x00) {
        this.checkLdImm(i);
        this.insnIdx = i + 2;
        return 'next';
      }
      fail(log, ERRNO.EINVAL, 'invalid BPF_LD mode\n');
    }
    fail(log, ERRNO.EINVAL, `unknown insn class ${cls}\n`);
  }

  /** process_bpf_exit_full. */
  private processExit(): 'exit' | 'subprog_exit' {
    checkResourceLeak(this, !this.cur.curframe, 'BPF_EXIT instruction in main prog');
    if (this.cur.curframe > 0) {
      this.insnIdx = prepareFuncExit(this);
      return 'subprog_exit';
    }
    checkReturnCode(this);
    return 'exit';
  }

  private checkLdImm(i: number): void {
    const p = this.prog;
    if ((p.code[i] & 0x18) !== 0x18) fail(this.log, ERRNO.EINVAL, 'invalid BPF_LD_IMM insn\n');
    if (p.off[i] !== 0) fail(this.log, ERRNO.EINVAL, 'BPF_LD_IMM64 uses reserved fields\n');
    checkRegArg(this, p.dst[i], 'dst');
    const dst = p.dst[i];
    const src = p.src[i];
    if (src === 0) {
      const v = (BigInt(p.imm[i + 1] >>> 0) << 32n) | BigInt(p.imm[i] >>> 0);
      setReg(this, dst, knownScalar(v));
      return;
    }
    if (src === 4) fail(this.log, ERRNO.EINVAL, 'missing btf func_info\n');
    const m = this.ldMap.get(i);
    if (m === undefined) fail(this.log, ERRNO.EFAULT, 'verifier bug: unexpected src reg value for ldimm64\n');
    setReg(this, dst, m.value ? pointer('map_value', { map: m.map, off: m.offset }) : pointer('map_ptr', { map: m.map }));
  }

  private saveAuxPtrType(i: number, type: Reg['type']): void {
    const prev = this.auxPtrType[i];
    if (prev === undefined) {
      this.auxPtrType[i] = type;
      return;
    }
    // reg_type_mismatch: the context (rewritten per access) cannot share an instruction.
    if (prev !== type && (prev === 'ctx' || type === 'ctx')) {
      fail(this.log, ERRNO.EINVAL, 'same insn cannot be used with different pointers\n');
    }
  }

  private checkLoadMem(i: number, ldsx: boolean, strictOnce: boolean): void {
    const p = this.prog;
    checkRegArg(this, p.src[i], 'src');
    checkRegArg(this, p.dst[i], 'dst_no_mark');
    const srcType = curRegs(this)[p.src[i]].type;
    checkMemAccess(this, p.src[i], p.off[i], sizeOf(p.code[i]), false, p.dst[i], strictOnce, ldsx);
    this.saveAuxPtrType(i, srcType);
  }

  private checkStoreReg(i: number, strictOnce: boolean): void {
    const p = this.prog;
    checkRegArg(this, p.src[i], 'src');
    checkRegArg(this, p.dst[i], 'src');
    const dstType = curRegs(this)[p.dst[i]].type;
    checkMemAccess(this, p.dst[i], p.off[i], sizeOf(p.code[i]), true, p.src[i], strictOnce, false);
    this.saveAuxPtrType(i, dstType);
  }

  private atomicPtrTypeOk(regno: number): boolean {
    const t = curRegs(this)[regno].type;
    return t !== 'ctx' && t !== 'pkt' && t !== 'pkt_meta' && t !== 'pkt_end';
  }

  /** check_atomic. */
  private checkAtomic(i: number): void {
    const p = this.prog;
    const imm = p.imm[i];
    const size = sizeOf(p.code[i]);
    const dst = p.dst[i], src = p.src[i];
    if (imm === BPF_LOAD_ACQ) {
      this.checkLoadMem(i, false, true);
      if (!this.atomicPtrTypeOk(src)) {
        fail(this.log, ERRNO.EACCES, `BPF_ATOMIC loads from R${src} ${regTypeName(curRegs(this)[src])} is not allowed\n`);
      }
      return;
    }
    if (imm === BPF_STORE_REL) {
      this.checkStoreReg(i, true);
      if (!this.atomicPtrTypeOk(dst)) {
        fail(this.log, ERRNO.EACCES, `BPF_ATOMIC stores into R${dst} ${regTypeName(curRegs(this)[dst])} is not allowed\n`);
      }
      return;
    }
    const rmw = [0x00, 0x40, 0x50, 0xa0].includes(imm & ~BPF_FETCH) && (imm & ~0xf1) === 0;
    if (!rmw && imm !== (0xe0 | BPF_FETCH) && imm !== BPF_CMPXCHG) {
      fail(this.log, ERRNO.EINVAL, `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}\n`);
    }
    if (size !== 4 && size !== 8) fail(this.log, ERRNO.EINVAL, 'invalid atomic operand size\n');
    checkRegArg(this, src, 'src');
    checkRegArg(this, dst, 'src');
    if (imm === BPF_CMPXCHG) {
      checkRegArg(this, 0, 'src');
      if (isPointerValue(this, curRegs(this)[0])) fail(this.log, ERRNO.EACCES, 'R0 leaks addr into mem\n');
    }
    if (isPointerValue(this, curRegs(this)[src])) fail(this.log, ERRNO.EACCES, `R${src} leaks addr into mem\n`);
    if (!this.atomicPtrTypeOk(dst)) {
      fail(this.log, ERRNO.EACCES, `BPF_ATOMIC stores into R${dst} ${regTypeName(curRegs(this)[dst])} is not allowed\n`);
    }
    let loadReg = -1;
    if ((imm & BPF_FETCH) !== 0) {
      loadReg = imm === BPF_CMPXCHG ? 0 : src;
      checkRegArg(this, loadReg, 'dst');
    }
    checkMemAccess(this, dst, p.off[i], size, false, -1, true, false);
    if (loadReg >= 0) checkMemAccess(this, dst, p.off[i], size, false, loadReg, true, false);
    checkMemAccess(this, dst, p.off[i], size, true, -1, true, false);
  }

  // ------------------------------------------------------------ pruning

  private liveMask(st: VState, frame: number): number {
    const idx = frame === st.curframe ? st.insnIdx : st.frames[frame + 1].callsite;
    return this.liveRegs[idx] | (1 << 10);
  }

  /** is_state_visited: true when an explored state covers the current one (prune). */
  private isStateVisited(insnIdx: number): boolean {
    const cur = this.cur;
    const force = (this.req.progFlags ?? 0) & BPF_F_TEST_STATE_FREQ ? true : this.forceCheckpoint[insnIdx] !== 0 ||
      cur.jmpHistory.length > 40;
    let addNewState = force;
    if (this.jmpsProcessed - this.prevJmpsProcessed >= 2 && this.insnProcessed - this.prevInsnProcessed >= 8) {
      addNewState = true;
    }
    let list = this.explored[insnIdx];
    let statesCnt = 0;
    const liveCur = this.liveMaskFn;
    if (list !== undefined) {
      for (let k = 0; k < list.states.length; k++) {
        const sl = list.states[k];
        statesCnt++;
        let hit = false;
        let loop = false;
        if (sl.branches > 0) {
          if (this.forceCheckpoint[insnIdx] !== 0 && this.prog.code[insnIdx] === (BPF_JMP | BPF_JCOND)) {
            if (sl.mayGotoDepth !== cur.mayGotoDepth &&
                statesEqual(sl, cur, 'range_within', this.idmap, this.idGen, this.allowUninitStack, this.unknown, liveCur)) {
              hit = true;
              loop = true;
            }
          }
          if (!hit) {
            if (statesMaybeLooping(sl, cur) &&
                statesEqual(sl, cur, 'exact', this.idmap, this.idGen, this.allowUninitStack, this.unknown, liveCur) &&
                sl.mayGotoDepth === cur.mayGotoDepth) {
              this.log.verbose(`infinite loop detected at insn ${insnIdx}\n`);
              this.log.verbose('cur state:');
              this.log.verbose(verifierStateStr(cur, cur.curframe, true, null));
              this.log.verbose('old state:');
              this.log.verbose(verifierStateStr(sl, cur.curframe, true, null));
              throw new VerifierAbort(ERRNO.EINVAL);
            }
            if (!force && this.jmpsProcessed - this.prevJmpsProcessed < 20 && this.insnProcessed - this.prevInsnProcessed < 100) {
              addNewState = false;
            }
          }
        } else {
          // See incomplete_read_marks: inside a loop with pending backedges, compare ranges too.
          loop = this.exactness === 'not_exact' && this.incompleteReadMarks(sl);
          if (statesEqual(sl, cur, loop ? 'range_within' : this.exactness, this.idmap, this.idGen, this.allowUninitStack, this.unknown, liveCur)) {
            hit = true;
          }
        }
        if (hit) {
          sl.hitCnt++;
          // propagate_liveness: what the explored continuation reads, this path reads too.
          for (let f = 0; f <= sl.curframe; f++) {
            const m = sl.stackRead[f];
            if (m === 0n) continue;
            for (let spi = 0; spi < 64; spi++) if ((m & (1n << BigInt(spi))) !== 0n) markStackRead(cur, f, spi);
          }
          if (this.jmpPoint[insnIdx] !== 0) this.pushJmpHistory(0, null);
          propagatePrecision(this, sl, this.liveMaskFn);
          if (loop) this.addSccBackedge(sl, insnIdx);
          return true;
        }
        if (addNewState) sl.missCnt++;
        const nMiss = this.forceCheckpoint[insnIdx] !== 0 && sl.branches > 0 ? 64 : 3;
        if (sl.missCnt > sl.hitCnt * nMiss + nMiss) {
          list.states.splice(k, 1);
          k--;
          sl.evicted = true;
          this.exploredSize--;
          if (sl.branches > 0) this.freeListSize++;
        }
      }
    }
    if (this.maxStatesPerInsn < statesCnt) this.maxStatesPerInsn = statesCnt;
    if (!this.bpfCapable && statesCnt > BPF_COMPLEXITY_LIMIT_STATES) return false;
    if (!addNewState) return false;
    this.totalStates++;
    this.exploredSize++;
    this.updatePeakStates();
    this.prevJmpsProcessed = this.jmpsProcessed;
    this.prevInsnProcessed = this.insnProcessed;
    if (this.bpfCapable) markAllScalarsImprecise(cur);
    // The checkpoint keeps the history of the segment that led to it; the current state starts anew.
    const saved = copyState(cur, cur.jmpHistory);
    saved.insnIdx = insnIdx;
    saved.stackRead = saved.stackRead.map(() => 0n);
    cur.stackWritten = cur.stackWritten.map(() => 0n);
    if (list === undefined) this.explored[insnIdx] = list = { states: [] };
    list.states.unshift(saved);
    this.maybeEnterScc(saved);
    cur.parent = saved;
    cur.dfsDepth = saved.dfsDepth + 1;
    cur.firstInsnIdx = insnIdx;
    cur.jmpHistory = [];
    return false;
  }

  /** find_prev_entry: the checkpoint at `insnIdx` on the current path (a loop's previous iteration). */
  private findPrevEntry(insnIdx: number): VState | null {
    const list = this.explored[insnIdx];
    if (list === undefined) return null;
    for (const st of list.states) {
      const p = this.cur.parent;
      if (st.branches > 0 && sameCallsites(st, this.cur) && p !== null && st.dfsDepth < p.dfsDepth) return st;
    }
    return null;
  }

  /** widen_imprecise_scalars: forget imprecise scalars that changed since the previous iteration. */
  private widenImpreciseScalars(old: VState, cur: VState): void {
    this.idmap.reset(this.idGen);
    const widen = (o: Reg, c: Reg): Reg | null => {
      if (o.type !== 'scalar' || c.type !== 'scalar') return null;
      if (o.precise || c.precise || regsafe(o, c, this.idmap, 'exact')) return null;
      return this.unknown;
    };
    for (let fr = old.curframe; fr >= 0; fr--) {
      const fo = old.frames[fr], fc = cur.frames[fr];
      for (let r = 0; r < 11; r++) {
        const w = widen(fo.regs[r], fc.regs[r]);
        if (w !== null) fc.regs[r] = w;
      }
      const slots = Math.min(fo.stack.length, fc.stack.length);
      for (let k = 0; k < slots; k++) {
        if (!isSpilledReg(fo.stack[k]) || !isSpilledReg(fc.stack[k])) continue;
        const w = widen(fo.stack[k].spilled, fc.stack[k].spilled);
        if (w !== null) fc.stack[k] = { types: fc.stack[k].types, spilled: w };
      }
    }
  }

  result(errno: number, t0: bigint): VerifyResult {
    const durationNs = Number(process.hrtime.bigint() - t0);
    const log = this.log;
    if (log.enabled) {
      if ((log.level & BPF_LOG_STATS) !== 0) {
        log.verbose(`verification time ${Math.floor(durationNs / 1000)} usec\n`);
        log.verbose(`stack depth ${this.subprogs.map((s) => s.stackDepth).join('+')}\n`);
      }
      log.verbose(statsLine(this.insnProcessed, BPF_COMPLEXITY_LIMIT_INSNS, this.maxStatesPerInsn, this.totalStates, this.peakStates, 0));
    }
    const text = log.text();
    const size = this.req.logSize;
    // bpf_vlog_finalize: a log that ever outgrew the buffer is ENOSPC (the window already holds
    // what the buffer keeps), whatever the verdict.
    if (log.enabled && size !== undefined && this.req.logWindow === undefined && log.lenMax + 1 > size) errno = ERRNO.ENOSPC;
    return {
      ok: errno === 0,
      errno,
      log: text,
      logTrueSize: log.enabled ? log.lenMax + 1 : 0,
      logDropped: log.startPos,
      stats: {
        processedInsns: this.insnProcessed, totalStates: this.totalStates, peakStates: this.peakStates,
        maxStatesPerInsn: this.maxStatesPerInsn, markRead: 0,
        stackDepth: this.subprogs.length > 0 ? this.subprogs.map((s) => s.stackDepth) : [0], durationNs,
      },
      maxCtxOffset: this.maxCtxOffset,
      usedMaps: this.usedMaps.slice(),
      ldImm64: this.patches,
      ctxPointerLoads: [...this.ctxPointerLoads].sort((a, b) => a[0] - b[0]).map(([slot, field]) => ({ slot, field })),
      digest: this.digest,
    };
  }
}

function sameCallsites(a: VState, b: VState): boolean {
  if (a.curframe !== b.curframe) return false;
  for (let f = a.curframe; f >= 0; f--) if (a.frames[f].callsite !== b.frames[f].callsite) return false;
  return true;
}

function statesMaybeLooping(o: VState, c: VState): boolean {
  if (o.curframe !== c.curframe) return false;
  const fo = o.frames[o.curframe].regs, fc = c.frames[c.curframe].regs;
  for (let r = 0; r < 11; r++) {
    const a = fo[r], b = fc[r];
    if (a === b) continue;
    if (a.type !== b.type || a.flags !== b.flags || a.off !== b.off || a.map !== b.map || a.range !== b.range ||
        a.memSize !== b.memSize || a.varOff.value !== b.varOff.value || a.varOff.mask !== b.varOff.mask ||
        a.smin !== b.smin || a.smax !== b.smax || a.umin !== b.umin || a.umax !== b.umax || a.s32min !== b.s32min ||
        a.s32max !== b.s32max || a.u32min !== b.u32min || a.u32max !== b.u32max || a.id !== b.id ||
        a.refObjId !== b.refObjId) {
      return false;
    }
  }
  return true;
}

const SIZES = [4, 2, 1, 8] as const;

function sizeOf(code: number): number {
  return SIZES[(code >> 3) & 3];
}

function regTypeName(r: Reg): string {
  return r.type === 'not_init' ? '?' : r.type;
}

/** A stable stand-in for a map's kernel address when the kernel model gives none. */
function fakeMapAddress(map: MapDescriptor): bigint {
  return 0xffff888100000000n + (BigInt(map.id) << 12n);
}

/** Verify a program the way Linux 6.18's BPF_PROG_LOAD does for the given loader. Never throws. */
export function verify(req: VerifyRequest): VerifyResult {
  const t0 = process.hrtime.bigint();
  let v: Verifier;
  try {
    v = new Verifier(req);
  } catch (e) {
    return internalFailure(req, e);
  }
  let errno = 0;
  try {
    v.loadChecks();
  } catch (e) {
    errno = e instanceof VerifierAbort ? e.errno : ERRNO.EFAULT;
    // bpf_prog_load rejected the attributes: no verifier log at all.
    const r = v.result(errno, t0);
    return { ...r, log: '', digest: safeDigest(req) };
  }
  try {
    v.run();
  } catch (e) {
    if (e instanceof VerifierAbort) errno = e.errno;
    else {
      errno = ERRNO.EFAULT;
      v.log.verbose(`bpfsim: internal verifier error: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  const r = v.result(errno, t0);
  return r.digest.every((b) => b === 0) ? { ...r, digest: safeDigest(req) } : r;
}

function safeDigest(req: VerifyRequest): Uint8Array {
  try {
    return progDigest(req.program);
  } catch {
    return new Uint8Array(32);
  }
}

/**
 * check_btf_info without func_info/line_info → check_abnormal_return: a subprogram that may leave
 * the program abnormally (LD_ABS on a bad packet offset, a tail call) needs BTF to be verified.
 */
function checkAbnormalReturn(log: VLog, subprogs: readonly Subprog[]): void {
  for (let i = 1; i < subprogs.length; i++) {
    if (subprogs[i].hasLdAbs) fail(log, ERRNO.EINVAL, 'LD_ABS is not allowed in subprogs without BTF\n');
    if (subprogs[i].hasTailCall) fail(log, ERRNO.EINVAL, 'tail_call is not allowed in subprogs without BTF\n');
  }
}

function internalFailure(req: VerifyRequest, e: unknown): VerifyResult {
  const log = `bpfsim: internal verifier error: ${e instanceof Error ? e.message : String(e)}\n`;
  return {
    ok: false, errno: ERRNO.EFAULT, log, logTrueSize: log.length + 1, logDropped: 0,
    stats: { processedInsns: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, markRead: 0, stackDepth: [0], durationNs: 0 },
    maxCtxOffset: 0, usedMaps: [], ldImm64: [], ctxPointerLoads: [], digest: safeDigest(req),
  };
}

export { errnoName, isLdImm64 };
