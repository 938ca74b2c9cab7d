/**
 * Control-flow checks made before abstract interpretation, in Linux's order and with its messages:
 * subprogram discovery (add_subprog_and_kfunc), jump ranges and fall-through at subprogram ends
 * (check_subprogs), and the depth-first walk that rejects unreachable instructions, jumps into
 * ld_imm64 and, for unprivileged loaders, back-edges (check_cfg). The walk also marks the prune
 * points, jump points and forced checkpoints used by state pruning, and the strongly connected
 * components (loops) printed in level-2 logs.
 */
import {
  BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
} from '../isa/constants.js';
import type { Program } from '../isa/program.js';
import { ERRNO } from '../errno.js';
import { fail } from './errors.js';
import type { VLog } from './log.js';

export const BPF_MAX_SUBPROGS = 256;

export interface Subprog {
  readonly start: number;
  /** Deepest stack use seen (bytes, rounded to 8). */
  stackDepth: number;
  hasTailCall: boolean;
  hasLdAbs: boolean;
}

export interface CfgInfo {
  readonly subprogs: Subprog[];
  /** Per instruction: the subprogram it belongs to. */
  readonly subprogOf: Int32Array;
  readonly prunePoint: Uint8Array;
  readonly jmpPoint: Uint8Array;
  readonly forceCheckpoint: Uint8Array;
  /** Nonzero SCC id for instructions inside a loop. */
  readonly scc: Int32Array;
  readonly kfuncCalls: number;
}

export function isLdImm64(p: Program, i: number): boolean {
  return p.code[i] === 0x18;
}

export function isPseudoCall(p: Program, i: number): boolean {
  return p.code[i] === (BPF_JMP | BPF_CALL) && p.src[i] === BPF_PSEUDO_CALL;
}

export function isPseudoFunc(p: Program, i: number): boolean {
  return p.code[i] === 0x18 && p.src[i] === BPF_PSEUDO_FUNC;
}

export function isKfuncCall(p: Program, i: number): boolean {
  return p.code[i] === (BPF_JMP | BPF_CALL) && p.src[i] === BPF_PSEUDO_KFUNC_CALL;
}

export function isHelperCall(p: Program, i: number): boolean {
  return p.code[i] === (BPF_JMP | BPF_CALL) && p.src[i] === 0;
}

/** add_subprog_and_kfunc + check_subprogs. */
export function findSubprogs(p: Program, log: VLog, bpfCapable: boolean): { subprogs: Subprog[]; subprogOf: Int32Array; kfuncCalls: number } {
  const n = p.length;
  const starts = new Set<number>([0]);
  let kfuncCalls = 0;
  for (let i = 0; i < n; i++) {
    const func = isPseudoFunc(p, i), call = isPseudoCall(p, i), kfunc = isKfuncCall(p, i);
    if (!func && !call && !kfunc) continue;
    if (!bpfCapable) {
      fail(log, ERRNO.EPERM, 'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN\n');
    }
    if (kfunc) { kfuncCalls++; continue; }
    const off = i + p.imm[i] + 1;
    if (off >= n || off < 0) fail(log, ERRNO.EINVAL, 'call to invalid destination\n');
    if (!starts.has(off) && starts.size >= BPF_MAX_SUBPROGS) fail(log, ERRNO.E2BIG, 'too many subprograms\n');
    starts.add(off);
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const subprogs: Subprog[] = sorted.map((start) => ({ start, stackDepth: 0, hasTailCall: false, hasLdAbs: false }));
  if (log.level2) for (let i = 0; i < subprogs.length; i++) log.verbose(`func#${i} @${subprogs[i].start}\n`);

  const subprogOf = new Int32Array(n);
  let cur = 0;
  let start = 0;
  let end = subprogs.length > 1 ? subprogs[1].start : n;
  for (let i = 0; i < n; i++) {
    subprogOf[i] = cur;
    const code = p.code[i];
    const cls = code & 7;
    if (code === (BPF_JMP | BPF_CALL) && p.src[i] === 0 && p.imm[i] === 12) subprogs[cur].hasTailCall = true;
    if (cls === BPF_LD && ((code & 0xe0) === 0x20 || (code & 0xe0) === 0x40)) subprogs[cur].hasLdAbs = true;
    if ((cls === BPF_JMP || cls === BPF_JMP32) && (code & 0xf0) !== BPF_CALL && (code & 0xf0) !== BPF_EXIT) {
      const off = code === (BPF_JMP32 | BPF_JA) ? i + p.imm[i] + 1 : i + p.off[i] + 1;
      if (off < start || off >= end) fail(log, ERRNO.EINVAL, `jump out of range from insn ${i} to ${off}\n`);
    }
    if (i === end - 1) {
      if (code !== (BPF_JMP | BPF_EXIT) && code !== (BPF_JMP32 | BPF_JA) && code !== (BPF_JMP | BPF_JA)) {
        fail(log, ERRNO.EINVAL, 'last insn is not an exit or jmp\n');
      }
      start = end;
      cur++;
      if (cur < subprogs.length) end = cur + 1 < subprogs.length ? subprogs[cur + 1].start : n;
    }
  }
  return { subprogs, subprogOf, kfuncCalls };
}

const DISCOVERED = 0x10;
const EXPLORED = 0x20;
const FALLTHROUGH = 1;
const BRANCH = 2;

/**
 * check_cfg: depth-first walk from insn 0. `isCallbackCalling(i)` says whether a helper call at i
 * takes a callback (bpf_loop and friends force a checkpoint before the call).
 */
export function checkCfg(
  p: Program, log: VLog, bpfCapable: boolean, isCallbackCalling: (i: number) => boolean,
): { prunePoint: Uint8Array; jmpPoint: Uint8Array; forceCheckpoint: Uint8Array } {
  const n = p.length;
  const state = new Uint8Array(n);
  const stack = new Int32Array(n + 1);
  const prunePoint = new Uint8Array(n);
  const jmpPoint = new Uint8Array(n);
  const forceCheckpoint = new Uint8Array(n);
  let sp = 0;

  const pushInsn = (t: number, w: number, e: number): number => {
    if (e === FALLTHROUGH && state[t] >= (DISCOVERED | FALLTHROUGH)) return 0;
    if (e === BRANCH && state[t] >= (DISCOVERED | BRANCH)) return 0;
    if (w < 0 || w >= n) fail(log, ERRNO.EINVAL, `jump out of range from insn ${t} to ${w}\n`);
    if (e === BRANCH) { prunePoint[w] = 1; jmpPoint[w] = 1; }
    if (state[w] === 0) {
      state[t] = DISCOVERED | e;
      state[w] = DISCOVERED;
      if (sp >= n) fail(log, ERRNO.E2BIG, '');
      stack[sp++] = w;
      return 1;
    }
    if ((state[w] & 0xf0) === DISCOVERED) {
      if (bpfCapable) return 0;
      fail(log, ERRNO.EINVAL, `back-edge from insn ${t} to ${w}\n`);
    }
    state[t] = DISCOVERED | e;
    return 0;
  };

  const visitCall = (t: number, visitCallee: boolean): number => {
    const sz = isLdImm64(p, t) ? 2 : 1;
    const r = pushInsn(t, t + sz, FALLTHROUGH);
    if (r !== 0) return r;
    prunePoint[t + sz] = 1;
    jmpPoint[t + sz] = 1;
    if (visitCallee) {
      prunePoint[t] = 1;
      return pushInsn(t, t + p.imm[t] + 1, BRANCH);
    }
    return 0;
  };

  const visit = (t: number): number => {
    if (isPseudoFunc(p, t)) return visitCall(t, true);
    const code = p.code[t];
    const cls = code & 7;
    if (cls !== BPF_JMP && cls !== BPF_JMP32) return pushInsn(t, t + (isLdImm64(p, t) ? 2 : 1), FALLTHROUGH);
    const op = code & 0xf0;
    if (op === BPF_EXIT) return 0;
    if (op === BPF_CALL) {
      if (isHelperCall(p, t) && isCallbackCalling(t)) {
        forceCheckpoint[t] = 1;
        prunePoint[t] = 1;
        jmpPoint[t] = 1;
      }
      return visitCall(t, p.src[t] === BPF_PSEUDO_CALL);
    }
    if (op === BPF_JA) {
      const off = cls === BPF_JMP ? p.off[t] : p.imm[t];
      const r = pushInsn(t, t + off + 1, FALLTHROUGH);
      if (r !== 0) return r;
      prunePoint[t + off + 1] = 1;
      jmpPoint[t + off + 1] = 1;
      return 0;
    }
    prunePoint[t] = 1;
    if (op === BPF_JCOND) forceCheckpoint[t] = 1;
    const r = pushInsn(t, t + 1, FALLTHROUGH);
    if (r !== 0) return r;
    return pushInsn(t, t + p.off[t] + 1, BRANCH);
  };

  state[0] = DISCOVERED;
  stack[0] = 0;
  sp = 1;
  // Every visit either pushes a new instruction or finishes one: at most 2n + 2n edges.
  while (sp > 0) {
    const t = stack[sp - 1];
    if (visit(t) === 0) {
      state[t] = EXPLORED;
      sp--;
    }
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== EXPLORED) fail(log, ERRNO.EINVAL, `unreachable insn ${i}\n`);
    if (isLdImm64(p, i)) {
      if (i + 1 < n && state[i + 1] !== 0) fail(log, ERRNO.EINVAL, `jump into the middle of ldimm64 insn ${i}\n`);
      i++;
    }
  }
  return { prunePoint, jmpPoint, forceCheckpoint };
}

/** Successors of instruction i inside its function (calls continue at i + 1). */
export function successors(p: Program, i: number): number[] {
  const code = p.code[i];
  const cls = code & 7;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return [i + (isLdImm64(p, i) ? 2 : 1)];
  const op = code & 0xf0;
  if (op === BPF_EXIT) return [];
  if (op === BPF_CALL) return [i + 1];
  if (op === BPF_JA) return [i + 1 + (cls === BPF_JMP ? p.off[i] : p.imm[i])];
  return [i + 1, i + 1 + p.off[i]];
}

/**
 * Strongly connected components with more than one node or a self loop (compute_scc), numbered
 * from 1 in the order Tarjan's algorithm completes them. Iterative, so deep programs cannot
 * overflow the JS stack.
 */
export function computeScc(p: Program): Int32Array {
  const n = p.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const scc = new Int32Array(n);
  const stk: number[] = [];
  let counter = 0;
  let sccId = 0;
  const work: Array<{ v: number; succ: number[]; k: number }> = [];
  const isSecondHalf = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (isLdImm64(p, i)) { isSecondHalf[i + 1] = 1; i++; }
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1 || isSecondHalf[root]) continue;
    work.push({ v: root, succ: successors(p, root).filter((s) => s < n), k: 0 });
    index[root] = low[root] = counter++;
    stk.push(root); onStack[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top.k < top.succ.length) {
        const w = top.succ[top.k++];
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stk.push(w); onStack[w] = 1;
          work.push({ v: w, succ: successors(p, w).filter((s) => s < n), k: 0 });
        } else if (onStack[w]) {
          low[top.v] = Math.min(low[top.v], index[w]);
        }
        continue;
      }
      work.pop();
      if (work.length > 0) low[work[work.length - 1].v] = Math.min(low[work[work.length - 1].v], low[top.v]);
      if (low[top.v] === index[top.v]) {
        const members: number[] = [];
        let w: number;
        do { w = stk.pop()!; onStack[w] = 0; members.push(w); } while (w !== top.v);
        const selfLoop = members.length === 1 && successors(p, top.v).includes(top.v);
        if (members.length > 1 || selfLoop) {
          sccId++;
          for (const m of members) scc[m] = sccId;
        }
      }
    }
  }
  return scc;
}
