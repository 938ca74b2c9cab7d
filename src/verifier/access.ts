/**
 * Memory access checks (Linux check_mem_access and the functions it dispatches to): for every load,
 * store and atomic, the base register's type decides which region is accessed — context, stack,
 * map value, packet, helper memory, the map object itself — and the access must lie inside it with
 * the right permissions. A load then sets the destination register; a store to the stack updates
 * the slot tracking (spills, zeroes, misc bytes).
 *
 * All checks read the state before the instruction; the only state they change is the one the
 * access itself defines (the loaded register, the written stack bytes, stack growth).
 */
import { ERRNO } from '../errno.js';
import { BPF_MAP_TYPE, progTypeName } from './kernel-names.js';
import { curFrame, curRegs, setReg, type Env } from './context.js';
import { fail } from './errors.js';
import { BPF_MAX_VAR_OFF } from './ldimm64.js';
import { coerceRegToSize, coerceRegToSizeSx, regBoundsSync } from './ranges.js';
import {
  BPF_ADD_CONST, MEM_RDONLY, NOT_INIT, PTR_MAYBE_NULL, S64_MIN, isNull, knownScalar, mutable, pointer,
  regStr, regWidth, unknownScalar, UNKNOWN_SCALAR, UNKNOWN_SCALAR_PRECISE, type Reg, withFields, withLink,
} from './regs.js';
import {
  EMPTY_SLOT, STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO, growStack, isSpilledReg,
  replaceChar, type FuncState, type StackSlot,
} from './state.js';
import { tnumAdd, tnumConst, tnumIsAligned, tnumIsConst, tnumStr } from './tnum.js';

export const MAX_BPF_STACK = 512;

function sgn(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

/** __mark_reg_unknown: imprecise for privileged loaders (precision is tracked), precise otherwise. */
export function unknownFor(env: Env): Reg {
  return unknownScalar(!env.bpfCapable);
}

/** __mark_reg_const_zero. */
function constZero(env: Env): Reg {
  return env.bpfCapable ? knownScalar(0n) : withFields(knownScalar(0n), { precise: true });
}

/** is_pointer_value: a pointer whose value must not leak (only for loaders without CAP_PERFMON). */
export function isPointerValue(env: Env, r: Reg): boolean {
  return !env.allowPtrLeaks && r.type !== 'scalar';
}

/** assign_scalar_id_before_mov: give an unknown scalar an id so copies of it stay linked. */
export function assignScalarIdBeforeMov(env: Env, r: Reg): Reg {
  if (r.type !== 'scalar') return r;
  let m = r;
  if ((m.id & BPF_ADD_CONST) !== 0) m = withLink(m, 0, 0);
  if (m.id === 0 && !tnumIsConst(m.varOff)) m = withLink(m, ++env.idGen, m.off);
  return m;
}

/** The frame a stack pointer points into. */
function stackFrameOf(env: Env, r: Reg): FuncState {
  return env.cur.frames[r.frameno];
}

// ---------------------------------------------------------------- alignment

function checkPtrAlignment(env: Env, reg: Reg, off: number, size: number, strictOnce: boolean): void {
  let strict = env.strictAlignment || strictOnce;
  let desc = '';
  switch (reg.type) {
    case 'pkt':
    case 'pkt_meta': {
      if (!strict || size === 1) return;
      const regOff = tnumAdd(reg.varOff, tnumConst(BigInt(2 + reg.off + off)));
      if (!tnumIsAligned(regOff, size)) {
        fail(env.log, ERRNO.EACCES, `misaligned packet access off 2+${varOffStr(reg)}+${reg.off}+${off} size ${size}\n`);
      }
      return;
    }
    // Linux switches on the full type: a maybe-null value pointer gets no description.
    case 'map_key': if (reg.flags === 0) desc = 'key '; break;
    case 'map_value': if (reg.flags === 0) desc = 'value '; break;
    case 'ctx': if (reg.flags === 0) desc = 'context '; break;
    case 'fp': desc = 'stack '; strict = true; break;
    default: break;
  }
  if (!strict || size === 1) return;
  const regOff = tnumAdd(reg.varOff, tnumConst(BigInt(reg.off + off)));
  if (!tnumIsAligned(regOff, size)) {
    fail(env.log, ERRNO.EACCES, `misaligned ${desc}access off ${varOffStr(reg)}+${reg.off}+${off} size ${size}\n`);
  }
}

/** The kernel prints a pointer's var_off in alignment messages as the value when it is known. */
function varOffStr(r: Reg): string {
  return tnumIsConst(r.varOff) ? BigInt.asIntN(64, r.varOff.value).toString() : tnumStr(r.varOff);
}

// ---------------------------------------------------------------- bounded regions

/** __check_mem_access: [off, off+size) inside [0, memSize). */
function checkMemBounds(env: Env, reg: Reg, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0 && sizeOk && off + size <= memSize) return true;
  switch (reg.type) {
    case 'map_key':
      env.log.verbose(`invalid access to map key, key_size=${memSize} off=${off} size=${size}\n`);
      break;
    case 'map_value':
      env.log.verbose(`invalid access to map value, value_size=${memSize} off=${off} size=${size}\n`);
      break;
    case 'pkt': case 'pkt_meta': case 'pkt_end':
      env.log.verbose(`invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})\n`);
      break;
    default:
      env.log.verbose(`invalid access to memory, mem_size=${memSize >>> 0} off=${off} size=${size}\n`);
  }
  return false;
}

const MAX_VAR_OFF = BigInt(BPF_MAX_VAR_OFF);

/** check_mem_region_access: every possible value of the pointer's variable part stays in range. */
export function checkMemRegionAccess(env: Env, regno: number, reg: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
  if (reg.smin >= 0n && reg.smin < MAX_VAR_OFF && reg.umax < MAX_VAR_OFF) {
    // The usual case, in numbers: both bounds are small and the minimum is not negative, so the
    // checks below reduce to the two range checks (smin + off cannot wrap as an int).
    if (!checkMemBounds(env, reg, regno, Number(reg.smin) + off, size, memSize, zeroOk)) {
      fail(env.log, ERRNO.EACCES, `R${regno} min value is outside of the allowed memory range\n`);
    }
    if (!checkMemBounds(env, reg, regno, Number(reg.umax) + off, size, memSize, zeroOk)) {
      fail(env.log, ERRNO.EACCES, `R${regno} max value is outside of the allowed memory range\n`);
    }
    return;
  }
  if (reg.smin < 0n && (reg.smin === S64_MIN || BigInt(off) + reg.smin !== BigInt((off + Number(reg.smin)) | 0) ||
      reg.smin + BigInt(off) < 0n)) {
    fail(env.log, ERRNO.EACCES, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.\n`);
  }
  // The kernel passes smin + off as an int.
  if (!checkMemBounds(env, reg, regno, Number(BigInt.asIntN(32, reg.smin + BigInt(off))), size, memSize, zeroOk)) {
    fail(env.log, ERRNO.EACCES, `R${regno} min value is outside of the allowed memory range\n`);
  }
  if (reg.umax >= MAX_VAR_OFF) {
    fail(env.log, ERRNO.EACCES, `R${regno} unbounded memory access, make sure to bounds check any such access\n`);
  }
  if (!checkMemBounds(env, reg, regno, Number(reg.umax) + off, size, memSize, zeroOk)) {
    fail(env.log, ERRNO.EACCES, `R${regno} max value is outside of the allowed memory range\n`);
  }
}

// ---------------------------------------------------------------- map values

/** bpf_map_flags_to_cap: BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG restrict what programs may do. */
function checkMapAccessType(env: Env, reg: Reg, off: number, size: number, write: boolean): void {
  const flags = reg.map!.mapFlags;
  const BPF_F_RDONLY_PROG = 1 << 7, BPF_F_WRONLY_PROG = 1 << 8;
  if (write && (flags & BPF_F_RDONLY_PROG) !== 0) {
    fail(env.log, ERRNO.EACCES, `write into map forbidden, value_size=${reg.map!.valueSize} off=${off} size=${size}\n`);
  }
  if (!write && (flags & BPF_F_WRONLY_PROG) !== 0) {
    fail(env.log, ERRNO.EACCES, `read from map forbidden, value_size=${reg.map!.valueSize} off=${off} size=${size}\n`);
  }
}

export function checkMapValueAccess(env: Env, regno: number, reg: Reg, off: number, size: number, write: boolean, zeroOk: boolean): void {
  checkMapAccessType(env, reg, off, size, write);
  checkMemRegionAccess(env, regno, reg, off, size, reg.map!.valueSize, zeroOk);
}

/** bpf_map_direct_read from a frozen read-only array: the loaded value is known. */
function rdonlyMapValue(reg: Reg, off: number, size: number, sx: boolean): bigint | null {
  const map = reg.map!;
  const BPF_F_RDONLY_PROG = 1 << 7;
  if (!tnumIsConst(reg.varOff) || (map.mapFlags & BPF_F_RDONLY_PROG) === 0 || !map.frozen) return null;
  if (map.mapType !== BPF_MAP_TYPE.ARRAY || map.readOnlyValue === undefined) return null;
  const at = off + Number(reg.varOff.value);
  const bytes = map.readOnlyValue;
  if (at < 0 || at + size > bytes.length) return null;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return sx ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
}

// ---------------------------------------------------------------- the map object (CONST_PTR_TO_MAP)

interface Member { readonly off: number; readonly size: number; readonly name: string; readonly kind: 'scalar' | 'ptr' | 'array' }

/** struct bpf_map's first members as Linux 6.18.44's BTF describes them (observed on the VM). */
const BPF_MAP_MEMBERS: readonly Member[] = [
  { off: 0, size: 32, name: 'sha', kind: 'array' },
  { off: 32, size: 4, name: 'excl', kind: 'scalar' },
  { off: 40, size: 8, name: 'ops', kind: 'ptr' },
  { off: 48, size: 8, name: 'inner_map_meta', kind: 'ptr' },
  { off: 56, size: 8, name: 'security', kind: 'ptr' },
  { off: 64, size: 4, name: 'map_type', kind: 'scalar' },
  { off: 68, size: 4, name: 'key_size', kind: 'scalar' },
  { off: 72, size: 4, name: 'value_size', kind: 'scalar' },
  { off: 76, size: 4, name: 'max_entries', kind: 'scalar' },
  { off: 80, size: 8, name: 'map_extra', kind: 'scalar' },
  { off: 88, size: 4, name: 'map_flags', kind: 'scalar' },
  { off: 92, size: 4, name: 'id', kind: 'scalar' },
  { off: 96, size: 8, name: 'record', kind: 'ptr' },
  { off: 104, size: 4, name: 'numa_node', kind: 'scalar' },
  { off: 108, size: 4, name: 'btf_key_type_id', kind: 'scalar' },
  { off: 112, size: 4, name: 'btf_value_type_id', kind: 'scalar' },
  { off: 116, size: 4, name: 'btf_vmlinux_value_type_id', kind: 'scalar' },
  { off: 120, size: 8, name: 'btf', kind: 'ptr' },
  { off: 128, size: 8, name: 'objcg', kind: 'ptr' },
  { off: 136, size: 16, name: 'name', kind: 'array' },
];

/**
 * check_ptr_to_map_access: read-only access to struct bpf_map fields (the signed loader reads
 * map->sha). Scalar members read as unknown scalars; pointer members are loaded as unknown scalars
 * too (Linux gives untrusted BTF pointers, which bpfsim does not model: such a value can then not
 * be dereferenced).
 */
function checkMapPtrAccess(env: Env, regno: number, reg: Reg, off: number, size: number, write: boolean, valueRegno: number): void {
  const map = reg.map!;
  if (map.mapType === BPF_MAP_TYPE.STRUCT_OPS) {
    fail(env.log, ERRNO.ENOTSUPP, `map_ptr access not supported for map type ${map.mapType}\n`);
  }
  const tname = map.mapType === BPF_MAP_TYPE.ARRAY || map.mapType === BPF_MAP_TYPE.PERCPU_ARRAY ||
    map.mapType === BPF_MAP_TYPE.PROG_ARRAY ? 'bpf_array' : 'bpf_map';
  if (!env.allowPtrLeaks) {
    fail(env.log, ERRNO.EPERM, `'struct ${tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN\n`);
  }
  if (off < 0) fail(env.log, ERRNO.EACCES, `R${regno} is ${tname} invalid negative access: off=${off}\n`);
  if (write) fail(env.log, ERRNO.EACCES, `only read from ${tname} is supported\n`);
  const m = BPF_MAP_MEMBERS.find((x) => off >= x.off && off < x.off + x.size);
  if (m === undefined) {
    if (off >= 152) fail(env.log, ERRNO.EACCES, `bpfsim: access to struct bpf_map at off ${off} is not modelled\n`);
    fail(env.log, ERRNO.EINVAL, `struct bpf_map doesn't have field at offset ${off}\n`);
  }
  if (m.kind === 'ptr') {
    if (off !== m.off || size !== 8) {
      fail(env.log, ERRNO.EACCES, `cannot access ptr member ${m.name} with moff ${m.off} in struct bpf_map with off ${off} size ${size}\n`);
    }
  } else if (off + size > m.off + m.size) {
    fail(env.log, ERRNO.EACCES, `access beyond the end of member ${m.name} (mend:${m.off + m.size}) in struct bpf_map with off ${off} size ${size}\n`);
  }
  if (valueRegno >= 0) setReg(env, valueRegno, unknownFor(env));
}

// ---------------------------------------------------------------- stack

/** check_stack_access_within_bounds; grows the frame's stack to cover the access. */
function checkStackAccessWithinBounds(env: Env, regno: number, reg: Reg, off: number, size: number, write: boolean): void {
  const frame = stackFrameOf(env, reg);
  const extra = write ? ' write to' : ' read from';
  let minOff: number, maxOff: number;
  const constOff = tnumIsConst(reg.varOff);
  if (constOff) {
    minOff = Number(BigInt.asIntN(64, reg.varOff.value)) + off;
    maxOff = minOff + size;
  } else {
    if (reg.smax >= BigInt(BPF_MAX_VAR_OFF) || reg.smin <= -BigInt(BPF_MAX_VAR_OFF)) {
      fail(env.log, ERRNO.EACCES, `invalid unbounded variable-offset${extra} stack R${regno}\n`);
    }
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off + size;
  }
  const minValid = write || env.allowUninitStack ? -MAX_BPF_STACK : -frame.stack.length * 8;
  let errno = 0;
  if (minOff < minValid || minOff > -1) errno = ERRNO.EACCES;
  else if (maxOff > 0) errno = ERRNO.EINVAL;
  else if (size < 0) errno = ERRNO.EFAULT;
  if (errno !== 0) {
    if (constOff) fail(env.log, errno, `invalid${extra} stack R${regno} off=${off} size=${size}\n`);
    fail(env.log, errno, `invalid variable-offset${extra} stack R${regno} var_off=${tnumStr(reg.varOff)} off=${off} size=${size}\n`);
  }
  growStack(frame, -minOff);
  const sp = env.subprogs[frame.subprogno];
  if (sp.stackDepth < frame.stack.length * 8) sp.stackDepth = frame.stack.length * 8;
}

function slotIndex(off: number): { slot: number; spi: number } {
  const slot = -off - 1;
  return { slot, spi: slot >> 3 };
}

function saveRegisterState(env: Env, frame: FuncState, spi: number, reg: Reg, size: number): void {
  if (size === 8) env.markStackWritten(frame.frameno, spi);
  const old = frame.stack[spi];
  let t = '';
  for (let i = 0; i < 8; i++) {
    if (i >= 8 - size) t += STACK_SPILL;
    else {
      // mark_stack_slot_misc: keep STACK_ZERO and STACK_INVALID, everything else becomes misc.
      const c = old.types[i];
      t += c === STACK_ZERO || c === STACK_INVALID ? c : STACK_MISC;
    }
  }
  frame.stack[spi] = { types: t, spilled: reg };
}

function isSpillableRegType(r: Reg): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

/** check_stack_write_fixed_off. */
function stackWriteFixed(env: Env, frame: FuncState, off: number, size: number, valueRegno: number, stImm: number | null): void {
  const { slot, spi } = slotIndex(off);
  const old = frame.stack[spi];
  if (!env.allowPtrLeaks && isSpilledReg(old) && old.spilled.type !== 'scalar' && size !== 8) {
    fail(env.log, ERRNO.EACCES, 'attempt to corrupt spilled pointer on stack\n');
  }
  const cur = curFrame(env);
  let reg: Reg | null = valueRegno >= 0 ? cur.regs[valueRegno] : null;
  env.scratch.slot(spi);
  if (reg !== null && off % 8 === 0 && reg.type === 'scalar' && env.bpfCapable) {
    env.noteStackAccess(frame.frameno, spi);
    const fits = regWidth(reg) <= 8 * size;
    if (fits) {
      reg = assignScalarIdBeforeMov(env, reg);
      cur.regs[valueRegno] = reg;
    }
    saveRegisterState(env, frame, spi, fits ? reg : withFields(reg, { id: 0 }), size);
    return;
  }
  if (reg === null && off % 8 === 0 && stImm !== null && env.bpfCapable) {
    env.noteStackAccess(frame.frameno, spi);
    saveRegisterState(env, frame, spi, knownScalar(BigInt(stImm)), size);
    return;
  }
  if (reg !== null && isSpillableRegType(reg)) {
    if (size !== 8) fail(env.log, ERRNO.EACCES, 'invalid size of register spill\n');
    if (frame !== cur && reg.type === 'fp') {
      fail(env.log, ERRNO.EINVAL, 'cannot spill pointers to stack into stack frame of the caller\n');
    }
    env.noteStackAccess(frame.frameno, spi);
    saveRegisterState(env, frame, spi, reg, size);
    return;
  }
  let types = old.types;
  // A regular write destroys a spilled register; its other bytes become misc data.
  if (isSpilledReg(old)) {
    let t = '';
    for (let i = 0; i < 8; i++) t += types[i] === STACK_INVALID ? STACK_INVALID : STACK_MISC;
    types = t;
  }
  let type = STACK_MISC;
  if ((reg !== null && isNull(reg)) || (reg === null && stImm === 0)) {
    if (valueRegno >= 0) env.markPrecise(valueRegno);
    type = STACK_ZERO;
  }
  for (let i = 0; i < size; i++) types = replaceChar(types, (slot - i) & 7, type);
  frame.stack[spi] = { types, spilled: NOT_INIT };
  if (size === 8) env.markStackWritten(frame.frameno, spi);
}

/** check_stack_write_var_off. */
function stackWriteVar(env: Env, frame: FuncState, ptr: Reg, off: number, size: number, valueRegno: number, stImm: number | null): void {
  const cur = curFrame(env);
  const minOff = Number(ptr.smin) + off;
  const maxOff = Number(ptr.smax) + off + size;
  const valueReg = valueRegno >= 0 ? cur.regs[valueRegno] : null;
  const writingZero = (valueReg !== null && isNull(valueReg)) || (valueReg === null && stImm === 0);
  let zeroUsed = false;
  for (let i = minOff; i < maxOff; i++) {
    const { slot, spi } = slotIndex(i);
    const s = frame.stack[spi];
    const j = slot & 7;
    const c = s.types[j];
    env.scratch.slot(spi);
    if (!env.allowPtrLeaks && c !== STACK_MISC && c !== STACK_ZERO) {
      fail(env.log, ERRNO.EINVAL, `spilled ptr in range of var-offset stack write; insn ${env.insnIdx}, ptr off: ${i}`);
    }
    if (writingZero && c === STACK_SPILL && isSpilledReg(s) && s.spilled.type === 'scalar' &&
        tnumIsConst(s.spilled.varOff) && s.spilled.varOff.value === 0n) {
      zeroUsed = true;
      continue;
    }
    let newType = STACK_MISC;
    if (writingZero && c === STACK_ZERO) { newType = STACK_ZERO; zeroUsed = true; }
    if (c === STACK_INVALID && !env.allowUninitStack) {
      fail(env.log, ERRNO.EINVAL, `uninit stack in range of var-offset write prohibited for !root; insn ${env.insnIdx}, off: ${i}`);
    }
    frame.stack[spi] = { types: replaceChar(s.types, j, newType), spilled: NOT_INIT };
  }
  if (zeroUsed && valueRegno >= 0) env.markPrecise(valueRegno);
}

/** mark_reg_stack_read: bytes all zero give 0, anything else an unknown scalar. */
function markRegStackRead(env: Env, frame: FuncState, minOff: number, maxOff: number, dstRegno: number): void {
  let zeros = 0;
  for (let i = minOff; i < maxOff; i++) env.markStackRead(frame.frameno, slotIndex(i).spi);
  for (let i = minOff; i < maxOff; i++) {
    const { slot, spi } = slotIndex(i);
    env.scratch.slot(spi);
    if (frame.stack[spi].types[slot & 7] !== STACK_ZERO) break;
    zeros++;
  }
  setReg(env, dstRegno, zeros === maxOff - minOff ? constZero(env) : unknownFor(env));
}

/** check_stack_read_fixed_off. */
function stackReadFixed(env: Env, frame: FuncState, off: number, size: number, dstRegno: number): void {
  const { slot, spi } = slotIndex(off);
  const s = frame.stack[spi];
  const stype = s.types;
  const reg = s.spilled;
  env.scratch.slot(spi);
  env.markStackRead(frame.frameno, spi);
  if (isSpilledReg(s)) {
    let spillSize = 1;
    for (let i = 7; i > 0 && stype[i - 1] === STACK_SPILL; i--) spillSize++;
    if (size !== 8 || spillSize !== 8) {
      if (reg.type !== 'scalar') fail(env.log, ERRNO.EACCES, 'invalid size of register fill\n');
      if (dstRegno < 0) return;
      if (size <= spillSize && off % 8 === 0) {
        let src = reg;
        if (env.bpfCapable && size === 4 && spillSize === 4 && regWidth(reg) <= 32) {
          src = assignScalarIdBeforeMov(env, reg);
          if (src !== reg) frame.stack[spi] = { types: stype, spilled: src };
        }
        env.noteStackAccess(frame.frameno, spi);
        setReg(env, dstRegno, regWidth(src) > size * 8 ? withFields(src, { id: 0 }) : src);
      } else {
        let spillCnt = 0, zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const t = stype[(slot - i) & 7];
          if (t === STACK_SPILL) { spillCnt++; continue; }
          if (t === STACK_MISC) continue;
          if (t === STACK_ZERO) { zeroCnt++; continue; }
          if (t === STACK_INVALID && env.allowUninitStack) continue;
          fail(env.log, ERRNO.EACCES, `invalid read from stack off ${off}+${i} size ${size}\n`);
        }
        if (spillCnt === size && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) {
          env.noteStackAccess(frame.frameno, spi);
          setReg(env, dstRegno, constZero(env));
        } else if (zeroCnt === size) {
          setReg(env, dstRegno, constZero(env));
        } else {
          setReg(env, dstRegno, unknownFor(env));
        }
      }
      return;
    }
    if (dstRegno >= 0) {
      let src = reg;
      if (env.bpfCapable) {
        src = assignScalarIdBeforeMov(env, reg);
        if (src !== reg) frame.stack[spi] = { types: stype, spilled: src };
      }
      env.noteStackAccess(frame.frameno, spi);
      setReg(env, dstRegno, src);
    } else if (isPointerValue(env, reg)) {
      fail(env.log, ERRNO.EACCES, `leaking pointer from stack off ${off}\n`);
    }
    return;
  }
  for (let i = 0; i < size; i++) {
    const t = stype[(slot - i) & 7];
    if (t === STACK_MISC || t === STACK_ZERO) continue;
    if (t === STACK_INVALID && env.allowUninitStack) continue;
    fail(env.log, ERRNO.EACCES, `invalid read from stack off ${off}+${i} size ${size}\n`);
  }
  if (dstRegno >= 0) markRegStackRead(env, frame, off, off + size, dstRegno);
}

/**
 * check_stack_range_initialized: every byte a helper (or a variable-offset read) may touch is
 * initialised, or, for `write`, is marked as written by the helper.
 */
export function checkStackRangeInitialized(env: Env, regno: number, off: number, size: number, zeroOk: boolean, write: boolean, rawMode: { accessSize: number; regno: number } | null): void {
  const reg = curRegs(env)[regno];
  const frame = stackFrameOf(env, reg);
  if (size === 0 && !zeroOk) fail(env.log, ERRNO.EACCES, 'invalid zero-sized read\n');
  checkStackAccessWithinBounds(env, regno, reg, off, size, write);
  let minOff: number, maxOff: number;
  const constOff = tnumIsConst(reg.varOff);
  if (constOff) {
    minOff = maxOff = Number(BigInt.asIntN(64, reg.varOff.value)) + off;
  } else {
    if (!env.allowPtrLeaks) {
      fail(env.log, ERRNO.EACCES, `R${regno} variable offset stack access prohibited for !root, var_off=${tnumStr(reg.varOff)}\n`);
    }
    rawMode = null;
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off;
  }
  if (rawMode !== null) {
    rawMode.accessSize = size;
    rawMode.regno = regno;
    return;
  }
  for (let i = minOff; i < maxOff + size; i++) {
    const { slot, spi } = slotIndex(i);
    if (frame.stack.length * 8 <= slot) fail(env.log, ERRNO.EFAULT, 'allocated_stack too small\n');
    const s = frame.stack[spi];
    const j = slot & 7;
    const c = s.types[j];
    env.markStackRead(frame.frameno, spi);
    if (c === STACK_MISC) continue;
    if (c === STACK_ZERO || (c === STACK_INVALID && env.allowUninitStack)) {
      if (write) frame.stack[spi] = { types: replaceChar(s.types, j, STACK_MISC), spilled: s.spilled };
      continue;
    }
    if (isSpilledReg(s) && (s.spilled.type === 'scalar' || env.allowPtrLeaks)) {
      if (write) {
        let t = '';
        for (let k = 0; k < 8; k++) t += s.types[k] === STACK_INVALID ? STACK_INVALID : STACK_MISC;
        frame.stack[spi] = { types: t, spilled: unknownFor(env) };
      }
      continue;
    }
    if (constOff) fail(env.log, ERRNO.EACCES, `invalid read from stack R${regno} off ${minOff}+${i - minOff} size ${size}\n`);
    fail(env.log, ERRNO.EACCES, `invalid read from stack R${regno} var_off ${tnumStr(reg.varOff)}+${i - minOff} size ${size}\n`);
  }
}

function checkStackRead(env: Env, regno: number, reg: Reg, off: number, size: number, dstRegno: number): void {
  const frame = stackFrameOf(env, reg);
  const varOff = !tnumIsConst(reg.varOff);
  if (dstRegno < 0 && varOff) {
    fail(env.log, ERRNO.EACCES, `variable offset stack pointer cannot be passed into helper function; var_off=${tnumStr(reg.varOff)} off=${off} size=${size}\n`);
  }
  if (!varOff) {
    stackReadFixed(env, frame, off + Number(BigInt.asIntN(64, reg.varOff.value)), size, dstRegno);
    return;
  }
  checkStackRangeInitialized(env, regno, off, size, false, false, null);
  markRegStackRead(env, frame, Number(reg.smin) + off, Number(reg.smax) + off + size, dstRegno);
}

function checkStackWrite(env: Env, reg: Reg, off: number, size: number, valueRegno: number, stImm: number | null): void {
  const frame = stackFrameOf(env, reg);
  if (tnumIsConst(reg.varOff)) {
    stackWriteFixed(env, frame, off + Number(BigInt.asIntN(64, reg.varOff.value)), size, valueRegno, stImm);
  } else {
    stackWriteVar(env, frame, reg, off, size, valueRegno, stImm);
  }
}

// ---------------------------------------------------------------- packets

/** may_access_direct_pkt_data. */
export function mayAccessDirectPktData(env: Env, write: boolean): boolean {
  return write ? env.pt.pktWrite : env.pt.pktRead;
}

export function checkPacketAccess(env: Env, regno: number, reg: Reg, off: number, size: number, zeroOk: boolean): void {
  if (reg.smin < 0n) {
    fail(env.log, ERRNO.EACCES, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.\n`);
  }
  const ok = reg.range >= 0 && checkMemBounds(env, reg, regno, off, size, reg.range, zeroOk);
  if (!ok) fail(env.log, reg.range < 0 ? ERRNO.EINVAL : ERRNO.EACCES, `R${regno} offset is outside of the packet\n`);
  const end = off + Number(reg.umax) + size - 1;
  if (end > env.maxPktOffset) env.maxPktOffset = end;
}

// ---------------------------------------------------------------- the dispatcher

/**
 * check_mem_access: `write` is the access direction, `valueRegno` the register loaded (read) or
 * stored (write), -1 for none; `stImm` the immediate of a BPF_ST store.
 */
export function checkMemAccess(
  env: Env, regno: number, off: number, size: number, write: boolean, valueRegno: number,
  strictOnce: boolean, isLdsx: boolean, stImm: number | null = null,
): void {
  const regs = curRegs(env);
  const reg = regs[regno];
  checkPtrAlignment(env, reg, off, size, strictOnce);
  off += reg.off;
  const valueReg = valueRegno >= 0 ? regs[valueRegno] : null;
  // Linux compares the full type (base type and modifiers): a maybe-null pointer matches no
  // accessible region until a null check has turned it into the plain type.
  if ((reg.flags & PTR_MAYBE_NULL) !== 0) fail(env.log, ERRNO.EACCES, `R${regno} invalid mem access '${regStr(reg)}'\n`);
  switch (reg.type) {
    case 'map_value': {
      if (write && valueReg !== null && isPointerValue(env, valueReg)) {
        fail(env.log, ERRNO.EACCES, `R${valueRegno} leaks addr into map\n`);
      }
      checkMapValueAccess(env, regno, reg, off, size, write, false);
      if (!write && valueRegno >= 0) {
        const v = rdonlyMapValue(reg, off, size, isLdsx);
        setReg(env, valueRegno, v !== null ? knownScalar(v) : unknownFor(env));
      }
      break;
    }
    case 'mem': {
      if ((reg.flags & PTR_MAYBE_NULL) !== 0) fail(env.log, ERRNO.EACCES, `R${regno} invalid mem access '${regStr(reg)}'\n`);
      const rdonly = (reg.flags & MEM_RDONLY) !== 0;
      if (write && rdonly) fail(env.log, ERRNO.EACCES, `R${regno} cannot write into ${regStr(reg)}\n`);
      if (write && valueReg !== null && isPointerValue(env, valueReg)) {
        fail(env.log, ERRNO.EACCES, `R${valueRegno} leaks addr into mem\n`);
      }
      checkMemRegionAccess(env, regno, reg, off, size, reg.memSize, false);
      if (valueRegno >= 0 && (!write || rdonly)) setReg(env, valueRegno, unknownFor(env));
      break;
    }
    case 'ctx': {
      if (write && valueReg !== null && isPointerValue(env, valueReg)) {
        fail(env.log, ERRNO.EACCES, `R${valueRegno} leaks addr into ctx\n`);
      }
      checkPtrOffReg(env, reg, regno, false);
      const access = env.pt.ctxAccess;
      if (access === null) {
        fail(env.log, ERRNO.EINVAL, `bpfsim: the context of program type ${progTypeName(env.progType) ?? env.progType} is not modelled\n`);
      }
      const r = access(off, size, write, env.attachType);
      if (!r.ok) fail(env.log, ERRNO.EACCES, `invalid bpf_context access off=${off} size=${size}\n`);
      if (env.maxCtxOffset < off + size) env.maxCtxOffset = off + size;
      if (!write && valueRegno >= 0) {
        if (r.regType !== 'scalar') env.ctxPointerLoads.set(env.insnIdx, r.regType);
        setReg(env, valueRegno, r.regType === 'scalar' ? unknownFor(env) : pointer(r.regType));
      }
      break;
    }
    case 'fp': {
      checkStackAccessWithinBounds(env, regno, reg, off, size, write);
      if (!write) checkStackRead(env, regno, reg, off, size, valueRegno);
      else checkStackWrite(env, reg, off, size, valueRegno, stImm);
      break;
    }
    case 'pkt':
    case 'pkt_meta': {
      if (write && !mayAccessDirectPktData(env, true)) fail(env.log, ERRNO.EACCES, 'cannot write into packet\n');
      if (write && valueReg !== null && isPointerValue(env, valueReg)) {
        fail(env.log, ERRNO.EACCES, `R${valueRegno} leaks addr into packet\n`);
      }
      checkPacketAccess(env, regno, reg, off, size, false);
      if (!write && valueRegno >= 0) setReg(env, valueRegno, unknownFor(env));
      break;
    }
    case 'map_ptr':
      checkMapPtrAccess(env, regno, reg, off, size, write, valueRegno);
      break;
    default:
      fail(env.log, ERRNO.EACCES, `R${regno} invalid mem access '${regStr(reg)}'\n`);
  }
  if (!write && valueRegno >= 0 && size < 8) {
    const r = curRegs(env)[valueRegno];
    if (!isLdsx && (r === UNKNOWN_SCALAR || r === UNKNOWN_SCALAR_PRECISE)) {
      // The common case (an unknown value loaded from memory): the coerced register is the same
      // every time, so compute it once per size.
      const k = size * 2 + (r.precise ? 1 : 0);
      let c = COERCED_UNKNOWN[k];
      if (c === undefined) {
        const m = mutable(r);
        coerceRegToSize(m, size);
        COERCED_UNKNOWN[k] = c = m;
      }
      setReg(env, valueRegno, c);
    } else if (r.type === 'scalar') {
      const m = mutable(r);
      if (isLdsx) coerceRegToSizeSx(m, size); else coerceRegToSize(m, size);
      setReg(env, valueRegno, m);
    }
  }
}

/** coerce_reg_to_size of an unknown scalar, by size * 2 + precise. */
const COERCED_UNKNOWN: Array<Reg | undefined> = [];

/** __check_ptr_off_reg: a pointer that must be used unmodified (ctx, map pointers, ...). */
export function checkPtrOffReg(env: Env, reg: Reg, regno: number, fixedOffOk: boolean): void {
  if (reg.off < 0) {
    fail(env.log, ERRNO.EACCES, `negative offset ${regStr(reg)} ptr R${regno} off=${reg.off} disallowed\n`);
  }
  if (!fixedOffOk && reg.off !== 0) {
    fail(env.log, ERRNO.EACCES, `dereference of modified ${regStr(reg)} ptr R${regno} off=${reg.off} disallowed\n`);
  }
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
    fail(env.log, ERRNO.EACCES, `variable ${regStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed\n`);
  }
}

/** The known-zero register a NULL-checked pointer becomes, and other small re-exports. */
export { EMPTY_SLOT, sgn, regBoundsSync, type StackSlot };
