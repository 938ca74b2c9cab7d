/**
 * The verifier environment shared by the checking modules (Linux struct bpf_verifier_env): the
 * program, the request, privileges, the log, the current state and the per-instruction auxiliary
 * data. The driver (./verify.ts) owns it; checks read and update it.
 */
import type { Program } from '../isa/program.js';
import type { Subprog } from './cfg.js';
import type { KfuncProto, MapDescriptor, VerifyRequest } from './env.js';
import type { Scratch, VLog } from './log.js';
import type { ProgTypeInfo } from './prog-types.js';
import type { Reg, RegType } from './regs.js';
import type { ScalarMemo } from './scalar-memo.js';
import type { VState } from './state.js';

export interface Env {
  readonly prog: Program;
  readonly req: VerifyRequest;
  readonly log: VLog;
  readonly scratch: Scratch;
  readonly progType: number;
  readonly attachType: number;
  readonly attachBtfId: number;
  readonly pt: ProgTypeInfo;
  readonly sleepable: boolean;
  readonly gplCompatible: boolean;
  /** CAP_PERFMON: pointers may leak into scalars, memory and helper arguments. */
  readonly allowPtrLeaks: boolean;
  /** CAP_PERFMON: reading never-written stack is allowed (yields unknown scalars). */
  readonly allowUninitStack: boolean;
  /** CAP_BPF: loops, bpf-to-bpf calls, scalar ids on spills. */
  readonly bpfCapable: boolean;
  readonly strictAlignment: boolean;
  readonly nrCpuIds: number;
  readonly subprogs: Subprog[];
  readonly subprogOf: Int32Array;
  /** Per ld_imm64 slot: the map it loads and whether it is a value pointer. */
  readonly ldMap: Map<number, { map: MapDescriptor; value: boolean; offset: number }>;
  /** Per instruction: the pointer type it dereferenced first (save_aux_ptr_type). */
  readonly auxPtrType: Array<RegType | undefined>;
  readonly kfuncs: Map<number, KfuncProto>;
  /** Context loads that yield packet pointers, by instruction (what convert_ctx_accesses rewrites). */
  readonly ctxPointerLoads: Map<number, 'pkt' | 'pkt_meta' | 'pkt_end'>;
  /** Per-instruction memo of scalar ALU results and branch refinements. */
  readonly scalarMemo: ScalarMemo;
  cur: VState;
  insnIdx: number;
  idGen: number;
  maxCtxOffset: number;
  maxPktOffset: number;
  /** Request precision for scalar registers of the current frame (mark_chain_precision). */
  markPrecise(regno: number): void;
  /**
   * markPrecise(first) then markPrecise(second) (a statically decided jump's two operands); one
   * walk for both where the log does not show walks.
   */
  markPrecisePair(first: number, second: number): void;
  /** Request precision for a stack slot (by frame and spi). */
  markPreciseSlot(frameno: number, spi: number): void;
  /** Record a stack access of the current instruction for precision backtracking. */
  noteStackAccess(frameno: number, spi: number): void;
  /** A stack slot's value was read (liveness for pruning). */
  markStackRead(frameno: number, spi: number): void;
  /** A stack slot was fully (8 bytes) overwritten. */
  markStackWritten(frameno: number, spi: number): void;
}

export function curFrame(env: Env): VState['frames'][number] {
  return env.cur.frames[env.cur.curframe];
}

export function curRegs(env: Env): Reg[] {
  return env.cur.frames[env.cur.curframe].regs;
}

export function setReg(env: Env, regno: number, r: Reg): void {
  env.cur.frames[env.cur.curframe].regs[regno] = r;
}
