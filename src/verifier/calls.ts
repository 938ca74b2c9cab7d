/**
 * Calls (Linux check_helper_call, check_func_arg, check_kfunc_call, check_func_call,
 * prepare_func_exit, check_return_code, check_ld_abs): argument types per helper prototype,
 * memory the helper reads or writes, acquired references (bpf_ringbuf_reserve) and their release,
 * map/helper compatibility, bpf-to-bpf call frames, and the checks at program exit.
 */
import { ERRNO } from '../errno.js';
import {
  checkMapValueAccess, checkMemAccess, checkMemRegionAccess, checkPacketAccess, checkPtrOffReg,
  checkStackRangeInitialized, isPointerValue, mayAccessDirectPktData, unknownFor,
} from './access.js';
import { checkRegArg } from './alu.js';
import { curFrame, curRegs, setReg, type Env } from './context.js';
import type { MapDescriptor } from './env.js';
import { fail } from './errors.js';
import { helperAvailable, helperProto, type ArgType, type HelperProto } from './helpers.js';
import { BPF_FUNC_MAX_ID, BPF_MAP_TYPE as M, BPF_PROG_TYPE, funcIdName } from './kernel-names.js';
import { verifierStateStr } from './log.js';
import { retvalRange } from './prog-types.js';
import { regBoundsSync } from './ranges.js';
import {
  MEM_RDONLY, MEM_RINGBUF, NOT_INIT, PTR_MAYBE_NULL, S32_MIN, isNull, isPktPointer, knownScalar, mutable,
  pointer, regStr, regTypeStr, type Reg, type RegType, withFields,
} from './regs.js';
import { mapAllRegs, newFuncState, type VState } from './state.js';
import { tnumIsConst } from './tnum.js';
import { BPF_MAX_VAR_OFF } from './ldimm64.js';

export const MAX_CALL_FRAMES = 8;
const MAX_ERRNO = 4095;
const BPF_MAX_VAR_SIZ = 1 << 29;

interface CallMeta {
  map: MapDescriptor | null;
  rawMode: boolean;
  raw: { accessSize: number; regno: number };
  releaseRegno: number;
  refObjId: number;
  memSize: number;
  msizeMaxValue: bigint;
  constMapKey: bigint | null;
}

type Compatible = ReadonlyArray<readonly [RegType, number]>;

const MEM_TYPES: Compatible = [
  ['fp', 0], ['pkt', 0], ['pkt_meta', 0], ['map_key', 0], ['map_value', 0], ['mem', 0], ['mem', MEM_RINGBUF],
];
/** How Linux prints mem_types (it also lists PTR_TO_BUF and trusted BTF pointers). */
const MEM_TYPES_STR = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';

function compatibleTypes(arg: ArgType): { types: Compatible; str: string } {
  switch (arg) {
    case 'const_map_ptr': return { types: [['map_ptr', 0]], str: 'map_ptr' };
    case 'ctx': return { types: [['ctx', 0]], str: 'ctx' };
    case 'size': case 'size_or_zero': case 'alloc_size_or_zero': return { types: [['scalar', 0]], str: 'scalar' };
    case 'ringbuf_mem_release': return { types: [['mem', MEM_RINGBUF]], str: 'ringbuf_mem' };
    default: return { types: MEM_TYPES, str: MEM_TYPES_STR };
  }
}

function argRdonly(arg: ArgType): boolean {
  return arg === 'mem_ro' || arg === 'mem_ro_or_null';
}

function argMaybeNull(arg: ArgType): boolean {
  return arg === 'mem_ro_or_null';
}

function argWrites(arg: ArgType): boolean {
  return arg === 'mem_uninit' || arg === 'map_value_uninit' || arg === 'u64_out';
}

/** check_reg_type. */
function checkRegType(env: Env, regno: number, reg: Reg, arg: ArgType): void {
  let flags = reg.flags;
  if (argRdonly(arg)) flags &= ~MEM_RDONLY;
  if (argMaybeNull(arg)) flags &= ~PTR_MAYBE_NULL;
  const { types, str } = compatibleTypes(arg);
  for (const [t, f] of types) if (t === reg.type && f === flags) return;
  fail(env.log, ERRNO.EACCES, `R${regno} type=${regStr(reg)} expected=${str}\n`);
}

/** check_func_arg_reg_off. */
function checkFuncArgRegOff(env: Env, reg: Reg, regno: number, arg: ArgType): void {
  if (arg === 'ringbuf_mem_release') {
    if (reg.off !== 0) {
      fail(env.log, ERRNO.EINVAL, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc\n`);
    }
    checkPtrOffReg(env, reg, regno, false);
    return;
  }
  switch (reg.type) {
    case 'fp': case 'pkt': case 'pkt_meta': case 'map_key': case 'map_value': case 'mem': case 'scalar':
      return;
    default:
      checkPtrOffReg(env, reg, regno, false);
  }
}

/** check_helper_mem_access. */
function checkHelperMemAccess(env: Env, regno: number, size: number, write: boolean, zeroOk: boolean, meta: CallMeta | null): void {
  const reg = curRegs(env)[regno];
  switch (reg.type) {
    case 'pkt': case 'pkt_meta':
      checkPacketAccess(env, regno, reg, reg.off, size, zeroOk);
      return;
    case 'map_key':
      if (write) fail(env.log, ERRNO.EACCES, `R${regno} cannot write into ${regStr(reg)}\n`);
      checkMemRegionAccess(env, regno, reg, reg.off, size, reg.map!.keySize, false);
      return;
    case 'map_value':
      checkMapValueAccess(env, regno, reg, reg.off, size, write, zeroOk);
      return;
    case 'mem':
      if ((reg.flags & MEM_RDONLY) !== 0 && write) fail(env.log, ERRNO.EACCES, `R${regno} cannot write into ${regStr(reg)}\n`);
      checkMemRegionAccess(env, regno, reg, reg.off, size, reg.memSize, zeroOk);
      return;
    case 'fp':
      checkStackRangeInitialized(env, regno, reg.off, size, zeroOk, write, meta !== null && meta.rawMode ? meta.raw : null);
      return;
    case 'ctx':
      if (env.progType === BPF_PROG_TYPE.SYSCALL) {
        checkMemRegionAccess(env, regno, reg, reg.off, size, 0xffff, zeroOk);
        if (env.maxCtxOffset < reg.off + size) env.maxCtxOffset = reg.off + size;
        return;
      }
      break;
    default:
      break;
  }
  if (zeroOk && size === 0 && isNull(reg)) return;
  fail(env.log, ERRNO.EACCES, `R${regno} type=${regStr(reg)} expected=fp\n`);
}

/** check_mem_size_reg: the size argument following a memory argument. */
function checkMemSizeReg(env: Env, regno: number, write: boolean, zeroOk: boolean, meta: CallMeta): void {
  const reg = curRegs(env)[regno];
  meta.msizeMaxValue = reg.umax;
  const m: CallMeta | null = tnumIsConst(reg.varOff) ? meta : null;
  if (reg.smin < 0n) fail(env.log, ERRNO.EACCES, `R${regno} min value is negative, either use unsigned or 'var &= const'\n`);
  if (reg.umin === 0n && !zeroOk) {
    fail(env.log, ERRNO.EACCES, `R${regno} invalid zero-sized read: u64=[${reg.umin},${BigInt.asIntN(64, reg.umax)}]\n`);
  }
  if (reg.umax >= BigInt(BPF_MAX_VAR_SIZ)) {
    fail(env.log, ERRNO.EACCES, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'\n`);
  }
  checkHelperMemAccess(env, regno - 1, Number(reg.umax), write, zeroOk, m);
  env.markPrecise(regno);
}

/** get_constant_map_key: a constant array key makes the lookup result not-null. */
function constantMapKey(env: Env, key: Reg, keySize: number): bigint | null {
  if (!env.bpfCapable || key.type !== 'fp' || !tnumIsConst(key.varOff)) return null;
  const stackOff = key.off + Number(BigInt.asIntN(64, key.varOff.value));
  const slot = -stackOff - 1;
  const spi = slot >> 3, off = slot & 7;
  const frame = env.cur.frames[key.frameno];
  if (spi < 0 || spi >= frame.stack.length) return null;
  const s = frame.stack[spi];
  let zero = 0;
  for (let i = off; i >= 0 && s.types[i] === '0'; i--) zero++;
  if (zero >= keySize) return 0n;
  if (s.types[7] !== 'r' || s.spilled.type !== 'scalar') return null;
  let spill = 0;
  for (let i = off; i >= 0 && s.types[i] === 'r'; i--) spill++;
  if (spill !== keySize || !tnumIsConst(s.spilled.varOff)) return null;
  env.markPreciseSlot(key.frameno, spi);
  return s.spilled.varOff.value;
}

function canElideValueNullness(mapType: number): boolean {
  return mapType === M.ARRAY || mapType === M.PERCPU_ARRAY;
}

/** check_func_arg. */
function checkFuncArg(env: Env, arg: number, meta: CallMeta, fn: HelperProto, funcId: number): void {
  const type = fn.args[arg];
  if (type === undefined || type === 'dontcare') return;
  const regno = arg + 1;
  checkRegArg(env, regno, 'src');
  const reg = curRegs(env)[regno];
  if (type === 'btf_id_unmodelled') {
    fail(env.log, ERRNO.EINVAL, `bpfsim: argument ${regno} of ${funcIdName(funcId)}#${funcId} (a BTF-typed kernel pointer) is not modelled\n`);
  }
  if (type === 'anything') {
    if (isPointerValue(env, reg)) fail(env.log, ERRNO.EACCES, `R${regno} leaks addr into helper function\n`);
    return;
  }
  if (isPktPointer(reg) && !(mayAccessDirectPktData(env, false) && pktAccessHelper(funcId))) {
    fail(env.log, ERRNO.EACCES, 'helper access to the packet is not allowed\n');
  }
  if (!(isNull(reg) && argMaybeNull(type))) {
    checkRegType(env, regno, reg, type);
    checkFuncArgRegOff(env, reg, regno, type);
  }
  if (type === 'ringbuf_mem_release') {
    if (reg.refObjId === 0 && !isNull(reg)) fail(env.log, ERRNO.EINVAL, `R${regno} must be referenced when passed to release function\n`);
    meta.releaseRegno = regno;
  }
  if (reg.refObjId !== 0) {
    if (meta.refObjId !== 0) {
      fail(env.log, ERRNO.EACCES, `more than one arg with ref_obj_id R${regno} ${reg.refObjId} ${meta.refObjId}`);
    }
    meta.refObjId = reg.refObjId;
  }
  switch (type) {
    case 'const_map_ptr':
      meta.map = reg.map;
      break;
    case 'map_key': {
      const map = meta.map!;
      checkHelperMemAccess(env, regno, map.keySize, false, false, null);
      if (canElideValueNullness(map.mapType)) meta.constMapKey = constantMapKey(env, curRegs(env)[regno], map.keySize);
      break;
    }
    case 'map_value':
    case 'map_value_uninit':
      meta.rawMode = type === 'map_value_uninit';
      checkHelperMemAccess(env, regno, meta.map!.valueSize, type === 'map_value_uninit', false, meta);
      break;
    case 'mem': case 'mem_ro': case 'mem_ro_or_null':
      meta.rawMode = false;
      break;
    case 'mem_uninit':
      meta.rawMode = true;
      break;
    case 'u64_out':
      meta.rawMode = true;
      checkHelperMemAccess(env, regno, 8, true, false, meta);
      checkMemAccessAlignment(env, regno, 8);
      break;
    case 'size': case 'size_or_zero':
      checkMemSizeReg(env, regno, argWrites(fn.args[arg - 1]), type === 'size_or_zero', meta);
      break;
    case 'alloc_size_or_zero':
      if (!tnumIsConst(reg.varOff)) fail(env.log, ERRNO.EACCES, `R${regno} is not a known constant'\n`);
      meta.memSize = Number(reg.varOff.value);
      env.markPrecise(regno);
      break;
    default:
      break;
  }
}

/** check_ptr_alignment with strict alignment for MEM_ALIGNED helper arguments. */
function checkMemAccessAlignment(env: Env, regno: number, size: number): void {
  const reg = curRegs(env)[regno];
  const total = BigInt(reg.off) + reg.varOff.value;
  if (reg.type !== 'fp' && reg.type !== 'map_value' && reg.type !== 'mem') return;
  if (!tnumIsConst(reg.varOff) || total % BigInt(size) !== 0n) {
    const desc = reg.type === 'fp' ? 'stack ' : reg.type === 'map_value' ? 'value ' : '';
    fail(env.log, ERRNO.EACCES, `misaligned ${desc}access off ${tnumIsConst(reg.varOff) ? BigInt.asIntN(64, reg.varOff.value) : '?'}+${reg.off}+0 size ${size}\n`);
  }
}

/** Helpers whose prototype sets pkt_access (they accept packet pointers as memory). */
function pktAccessHelper(id: number): boolean {
  return id === 1 || id === 2 || id === 3 || id === 28 || id === 87;
}

/** check_map_func_compatibility. */
function checkMapFuncCompatibility(env: Env, map: MapDescriptor | null, funcId: number): void {
  if (map === null) return;
  const t = map.mapType;
  const bad = (): never => fail(env.log, ERRNO.EINVAL, `cannot pass map_type ${t} into func ${funcIdName(funcId)}#${funcId}\n`);
  switch (t) {
    case M.PROG_ARRAY: if (funcId !== 12) bad(); break;
    case M.PERF_EVENT_ARRAY: if (![22, 25, 55, 111, 121].includes(funcId)) bad(); break;
    case M.RINGBUF: if (![130, 131, 134, 198, 199, 200].includes(funcId)) bad(); break;
    case M.USER_RINGBUF: if (funcId !== 209) bad(); break;
    case M.STACK_TRACE: if (funcId !== 27) bad(); break;
    case M.CGROUP_ARRAY: if (funcId !== 33 && funcId !== 37) bad(); break;
    case M.CGROUP_STORAGE: case M.PERCPU_CGROUP_STORAGE: if (funcId !== 81) bad(); break;
    case M.DEVMAP: case M.DEVMAP_HASH: case M.XSKMAP: if (funcId !== 51 && funcId !== 1) bad(); break;
    case M.CPUMAP: if (funcId !== 51) bad(); break;
    case M.ARRAY_OF_MAPS: case M.HASH_OF_MAPS: if (funcId !== 1) bad(); break;
    case M.QUEUE: case M.STACK: if (funcId !== 87 && funcId !== 88 && funcId !== 89) bad(); break;
    case M.BLOOM_FILTER: if (funcId !== 87 && funcId !== 89) bad(); break;
    case M.SOCKMAP: case M.SOCKHASH: case M.REUSEPORT_SOCKARRAY: case M.SK_STORAGE: case M.INODE_STORAGE:
    case M.TASK_STORAGE: case M.CGRP_STORAGE: case M.STRUCT_OPS: case M.ARENA:
      // Map types whose helpers bpfsim does not model: the generic map helpers are refused as Linux
      // refuses most of them.
      if (funcId === 1 || funcId === 2 || funcId === 3) bad();
      break;
    default: break;
  }
  switch (funcId) {
    case 12:
      if (t !== M.PROG_ARRAY) bad();
      if (env.subprogs.length > 1) fail(env.log, ERRNO.EINVAL, 'mixing of tail_calls and bpf-to-bpf calls is not supported\n');
      break;
    case 22: case 25: case 55: case 111: case 121: if (t !== M.PERF_EVENT_ARRAY) bad(); break;
    case 130: case 131: case 134: if (t !== M.RINGBUF) bad(); break;
    case 27: if (t !== M.STACK_TRACE) bad(); break;
    case 51: if (t !== M.DEVMAP && t !== M.DEVMAP_HASH && t !== M.CPUMAP && t !== M.XSKMAP) bad(); break;
    case 88: if (t !== M.QUEUE && t !== M.STACK) bad(); break;
    case 87: case 89: if (t !== M.QUEUE && t !== M.STACK && t !== M.BLOOM_FILTER) bad(); break;
    case 195: if (t !== M.PERCPU_ARRAY && t !== M.PERCPU_HASH && t !== M.LRU_PERCPU_HASH) bad(); break;
    default: break;
  }
}

/** release_reference: the object is gone; every copy of the pointer becomes unusable. */
function releaseReference(env: Env, refObjId: number): boolean {
  const st = env.cur;
  if (!st.refs.some((r) => r.id === refObjId)) return false;
  st.refs = st.refs.filter((r) => r.id !== refObjId);
  const invalid = env.allowPtrLeaks ? unknownFor(env) : NOT_INIT;
  mapAllRegs(st, (r) => (r.refObjId === refObjId ? invalid : undefined));
  return true;
}

/** check_reference_leak + the lock checks of check_resource_leak. */
export function checkResourceLeak(env: Env, checkLock: boolean, prefix: string): void {
  const st = env.cur;
  if (curFrame(env).frameno === 0 && st.refs.length > 0) {
    for (const r of st.refs) env.log.verbose(`Unreleased reference id=${r.id} alloc_insn=${r.insnIdx}\n`);
    fail(env.log, ERRNO.EINVAL, `${prefix} would lead to reference leak\n`);
  }
  if (checkLock && st.activeRcuLocks > 0) {
    fail(env.log, ERRNO.EINVAL, `${prefix} cannot be used inside bpf_rcu_read_lock-ed region\n`);
  }
}

/** Reset r0-r5 after a call (they are clobbered by the callee). */
function clobberCallerSaved(env: Env): void {
  const regs = curRegs(env);
  for (let r = 0; r <= 5; r++) {
    regs[r] = NOT_INIT;
    env.scratch.reg(r);
  }
}

/** clear_all_pkt_pointers after a helper that may move packet data. */
function clearAllPktPointers(env: Env): void {
  const invalid = env.allowPtrLeaks ? unknownFor(env) : NOT_INIT;
  mapAllRegs(env.cur, (r) => (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end' ? invalid : undefined));
}

/** check_helper_call. */
export function checkHelperCall(env: Env, i: number): void {
  const funcId = env.prog.imm[i];
  if (funcId < 0 || funcId >= BPF_FUNC_MAX_ID) fail(env.log, ERRNO.EINVAL, `invalid func ${funcIdName(funcId)}#${funcId}\n`);
  if (!helperAvailable(env.progType, funcId)) {
    fail(env.log, ERRNO.EINVAL, `program of this type cannot use helper ${funcIdName(funcId)}#${funcId}\n`);
  }
  const fn = helperProto(funcId);
  if (fn === null) fail(env.log, ERRNO.EINVAL, `bpfsim: helper ${funcIdName(funcId)}#${funcId} is not modelled\n`);
  if (!env.gplCompatible && fn.gplOnly) {
    fail(env.log, ERRNO.EINVAL, 'cannot call GPL-restricted function from non-GPL compatible program\n');
  }
  if (!env.sleepable && fn.mightSleep) fail(env.log, ERRNO.EINVAL, 'helper call might sleep in a non-sleepable prog\n');
  if (env.cur.activeRcuLocks > 0 && fn.mightSleep) {
    fail(env.log, ERRNO.EINVAL, `sleepable helper ${funcIdName(funcId)}#${funcId} in rcu_read_lock region\n`);
  }
  const meta: CallMeta = {
    map: null, rawMode: false, raw: { accessSize: 0, regno: 0 }, releaseRegno: 0, refObjId: 0, memSize: 0,
    msizeMaxValue: 0n, constMapKey: null,
  };
  for (let a = 0; a < 5; a++) checkFuncArg(env, a, meta, fn, funcId);
  // record_func_map / check_map_func_compatibility's first test for tail calls (Linux prints this
  // message without a newline).
  if (funcId === 12 && meta.map !== null && meta.map.mapType !== M.PROG_ARRAY) {
    fail(env.log, ERRNO.EINVAL, 'expected prog array map for tail call');
  }
  // record_func_map: read-only maps cannot be changed by the program.
  if ([2, 3, 87, 88].includes(funcId) && meta.map !== null && (meta.map.mapFlags & (1 << 7)) !== 0) {
    fail(env.log, ERRNO.EACCES, 'write into map forbidden\n');
  }
  // Memory a helper writes (MEM_UNINIT) is now initialised, byte by byte as Linux marks it.
  for (let k = 0; k < meta.raw.accessSize; k++) checkMemAccess(env, meta.raw.regno, k, 1, true, -1, false, false);
  if (meta.releaseRegno !== 0) {
    const ok = meta.refObjId !== 0 ? releaseReference(env, meta.refObjId) : isNull(curRegs(env)[meta.releaseRegno]);
    if (!ok) fail(env.log, ERRNO.EINVAL, `func ${funcIdName(funcId)}#${funcId} reference has not been acquired before\n`);
  }
  if (funcId === 12) checkResourceLeak(env, true, 'tail_call');
  clobberCallerSaved(env);
  const regs = curRegs(env);
  switch (fn.ret) {
    case 'integer': regs[0] = unknownFor(env); break;
    case 'void': regs[0] = NOT_INIT; break;
    case 'map_value_or_null': {
      const map = meta.map!;
      let flags = PTR_MAYBE_NULL;
      if (funcId === 1 && canElideValueNullness(map.mapType) && meta.constMapKey !== null &&
          meta.constMapKey >= 0n && meta.constMapKey < BigInt(map.maxEntries)) {
        flags = 0;
      }
      regs[0] = pointer('map_value', { map, flags });
      break;
    }
    case 'ringbuf_mem_or_null':
      regs[0] = pointer('mem', { flags: MEM_RINGBUF | PTR_MAYBE_NULL, memSize: meta.memSize });
      break;
  }
  if ((regs[0].flags & PTR_MAYBE_NULL) !== 0) regs[0] = withFields(regs[0], { id: ++env.idGen });
  if (fn.acquire) {
    const id = ++env.idGen;
    env.cur.refs = [...env.cur.refs, { id, insnIdx: i }];
    regs[0] = withFields(regs[0], { id, refObjId: id });
  }
  if (fn.ret === 'integer' && (fn.retBoundedBySize || funcId === 8)) {
    const r = mutable(regs[0]);
    if (funcId === 8) {
      const max = BigInt(env.nrCpuIds - 1);
      r.umin = 0n; r.umax = max; r.smin = 0n; r.smax = max;
      r.u32min = 0; r.u32max = env.nrCpuIds - 1; r.s32min = 0; r.s32max = env.nrCpuIds - 1;
    } else {
      r.smax = meta.msizeMaxValue;
      r.s32max = Number(BigInt.asIntN(32, meta.msizeMaxValue));
      r.smin = BigInt(-MAX_ERRNO);
      r.s32min = Math.max(S32_MIN, -MAX_ERRNO);
    }
    regBoundsSync(r);
    regs[0] = r;
  }
  checkMapFuncCompatibility(env, meta.map, funcId);
  if (fn.changesPktData) clearAllPktPointers(env);
}

/** check_kfunc_call for the kfuncs the request describes (no BTF argument checking). */
export function checkKfuncCall(env: Env, i: number): void {
  const btfId = env.prog.imm[i];
  const proto = env.kfuncs.get(btfId);
  if (proto === undefined) fail(env.log, ERRNO.EINVAL, `kernel btf_id ${btfId} is not a function\n`);
  if (proto.sleepable && !env.sleepable) {
    fail(env.log, ERRNO.EACCES, `program must be sleepable to call sleepable kfunc ${proto.name}\n`);
  }
  if (proto.rcu === 'lock') {
    env.cur.activeRcuLocks++;
  } else if (proto.rcu === 'unlock') {
    if (env.cur.activeRcuLocks === 0) fail(env.log, ERRNO.EINVAL, `unmatched rcu read unlock (kernel function ${proto.name})\n`);
    env.cur.activeRcuLocks--;
  }
  for (let a = 0; a < proto.nargs; a++) {
    const regno = a + 1;
    checkRegArg(env, regno, 'src');
    const reg = curRegs(env)[regno];
    if (reg.type !== 'scalar') fail(env.log, ERRNO.EINVAL, `arg#${a} expected pointer to ctx, but got ${regStr(reg)}\n`);
  }
  clobberCallerSaved(env);
  setReg(env, 0, proto.ret === 'scalar' ? unknownFor(env) : NOT_INIT);
}

/** check_func_call for a static subprogram: push a frame. Returns the first insn of the callee. */
export function checkFuncCall(env: Env, i: number): number {
  const st = env.cur;
  const target = i + env.prog.imm[i] + 1;
  const subprog = env.subprogs.findIndex((s) => s.start === target);
  if (subprog < 0) fail(env.log, ERRNO.EFAULT, `verifier bug: target of func call at insn ${target} is not a program\n`);
  if (st.curframe + 1 >= MAX_CALL_FRAMES) {
    fail(env.log, ERRNO.E2BIG, `the call stack of ${st.curframe + 2} frames is too deep\n`);
  }
  const caller = st.frames[st.curframe];
  const callee = newFuncState(st.curframe + 1, i, subprog);
  callee.regs[10] = pointer('fp', { frameno: callee.frameno });
  for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r];
  st.frames[st.curframe + 1] = callee;
  st.stackRead[st.curframe + 1] = 0n;
  st.stackWritten[st.curframe + 1] = 0n;
  st.curframe++;
  for (let r = 0; r <= 5; r++) caller.regs[r] = NOT_INIT;
  // init_func_state marks the whole state scratched: the callee's first line prints every register.
  env.scratch.markAll();
  if (env.log.enabled) {
    env.log.verbose('caller:\n');
    env.log.verbose(verifierStateStr(st, caller.frameno, true, null));
    env.log.verbose('callee:\n');
    env.log.verbose(verifierStateStr(st, st.curframe, true, null));
  }
  return env.subprogs[subprog].start;
}

/** prepare_func_exit: return from a subprogram; gives the caller's next instruction. */
export function prepareFuncExit(env: Env): number {
  const st = env.cur;
  const callee = st.frames[st.curframe];
  const r0 = callee.regs[0];
  if (r0.type === 'fp') fail(env.log, ERRNO.EINVAL, 'cannot return stack pointer to the caller\n');
  const caller = st.frames[st.curframe - 1];
  caller.regs[0] = r0;
  const next = callee.callsite + 1;
  if (env.log.enabled) {
    env.log.verbose('returning from callee:\n');
    env.log.verbose(verifierStateStr(st, callee.frameno, true, null));
    env.log.verbose(`to caller at ${next}:\n`);
    env.log.verbose(verifierStateStr(st, caller.frameno, true, null));
  }
  st.frames.length = st.curframe;
  st.stackRead.length = st.curframe;
  st.stackWritten.length = st.curframe;
  st.curframe--;
  return next;
}

/** check_return_code at the main program's exit. */
export function checkReturnCode(env: Env): void {
  checkRegArg(env, 0, 'src');
  const reg = curRegs(env)[0];
  if (isPointerValue(env, reg)) fail(env.log, ERRNO.EACCES, 'R0 leaks addr as return value\n');
  const range = retvalRange(env.progType, env.attachType, env.attachBtfId);
  if (range === null) return;
  if (reg.type !== 'scalar') {
    fail(env.log, ERRNO.EINVAL, `At program exit the register R0 is not a known value (${regStr(reg)})\n`);
  }
  env.markPrecise(0);
  if (reg.smin < BigInt(range[0]) || reg.smax > BigInt(range[1])) {
    let s = 'At program exit the register R0 has';
    let unknown = true;
    if (reg.smin > -(1n << 63n)) { s += ` smin=${reg.smin}`; unknown = false; }
    if (reg.smax < (1n << 63n) - 1n) { s += ` smax=${reg.smax}`; unknown = false; }
    if (unknown) s += ' unknown scalar value';
    fail(env.log, ERRNO.EINVAL, `${s} should have been in [${range[0]}, ${range[1]}]\n`);
  }
}

/** check_ld_abs: legacy packet loads (skb programs; r6 must hold the context). */
export function checkLdAbs(env: Env, i: number): void {
  const p = env.prog;
  const mode = p.code[i] & 0xe0;
  if (!env.pt.ldAbs) fail(env.log, ERRNO.EINVAL, 'BPF_LD_[ABS|IND] instructions not allowed for this program type\n');
  if (p.dst[i] !== 0 || p.off[i] !== 0 || (p.code[i] & 0x18) === 0x18 || (mode === 0x20 && p.src[i] !== 0)) {
    fail(env.log, ERRNO.EINVAL, 'BPF_LD_[ABS|IND] uses reserved fields\n');
  }
  checkRegArg(env, 6, 'src');
  checkResourceLeak(env, true, 'BPF_LD_[ABS|IND]');
  const regs = curRegs(env);
  if (regs[6].type !== 'ctx') fail(env.log, ERRNO.EINVAL, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb\n');
  if (mode === 0x40) checkRegArg(env, p.src[i], 'src');
  checkPtrOffReg(env, regs[6], 6, false);
  clobberCallerSaved(env);
  setReg(env, 0, unknownFor(env));
}

/** check_max_stack_depth: combined stack of every call chain within MAX_BPF_STACK. */
export function checkMaxStackDepth(env: Env): void {
  const p = env.prog;
  const round = (d: number): number => Math.ceil(d / 16) * 16;
  const calls: number[][] = env.subprogs.map(() => []);
  for (let i = 0; i < p.length; i++) {
    if (p.code[i] === 0x85 && p.src[i] === 1) {
      const callee = env.subprogs.findIndex((s) => s.start === i + p.imm[i] + 1);
      if (callee >= 0) calls[env.subprogOf[i]].push(callee);
    }
  }
  // Depth-first over the static call graph; recursion is impossible (the verifier would have
  // reached the frame limit), but guard against cycles anyway.
  const visit = (sub: number, depth: number, frames: number, onPath: Set<number>): void => {
    const d = depth + round(env.subprogs[sub].stackDepth);
    if (d > 512) fail(env.log, ERRNO.EACCES, `combined stack size of ${frames} calls is ${d}. Too large\n`);
    if (frames > MAX_CALL_FRAMES) fail(env.log, ERRNO.E2BIG, `the call stack of ${frames} frames is too deep !\n`);
    for (const c of calls[sub]) {
      if (onPath.has(c)) continue;
      onPath.add(c);
      visit(c, d, frames + 1, onPath);
      onPath.delete(c);
    }
  };
  visit(0, 0, 1, new Set([0]));
}

export { regTypeStr, knownScalar, type VState, BPF_MAX_VAR_OFF };
