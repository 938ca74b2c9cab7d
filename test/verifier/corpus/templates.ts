/**
 * Templates of verifier test cases, one family per safety rule, each instantiated with parameters
 * just inside and just outside the rule's boundary (and seeded random variations). The kernel
 * labels them; bpfsim must agree.
 */
import {
  Add64, And64, ArSh64, Atomic, Call, CallLocal, Div64, Exit, Ja, JEq, JGE, JGT, JLE, JLT, JNE, JSGT,
  JSLT, JSLE, JSet, LSh64, Label, LoadAbs, LoadImm64, LoadMapFd, LoadMapValue, LoadMem, LoadMemSX, MayGoto, Mod64, Mov64,
  MovSX64, Mul64, Neg64, Or64, RSh64, StoreImm, StoreMem, Sub64, ToBE, Xor64, R0, R1, R2, R3, R4, R5, R6, R7,
  R8, R9, R10, Add32, Mov32, AtomicFetchAdd, AtomicXchg, AtomicCmpXchg, type AsmItem, type Reg, type Size,
} from '../../../src/isa/builders.js';
import fc from 'fast-check';
import { Rng } from '../../../src/testing/rng.js';
import { programSpecArb, specCase } from '../support/random-programs.js';
import { build, mapMarker, type CorpusCase, type MapSpec } from './case.js';

const SIZES: readonly Size[] = ['B', 'H', 'W', 'DW'];
const BYTES: Record<Size, number> = { B: 1, H: 2, W: 4, DW: 8 };

type Template = (rng: Rng, n: number) => CorpusCase[];

const ARRAY = (valueSize: number, maxEntries = 1, flags = 0): MapSpec => ({ type: 'array', key_size: 4, value_size: valueSize, max_entries: maxEntries, flags });
const HASH = (valueSize: number, keySize = 4, maxEntries = 16): MapSpec => ({ type: 'hash', key_size: keySize, value_size: valueSize, max_entries: maxEntries });

/** r0 = map_lookup_elem(map0, &key(fp-8 = k)); the caller decides the null check. */
function lookup(k = 0, keySize = 4): AsmItem[] {
  return [
    StoreImm(R10, -8, k, keySize === 8 ? 'DW' : 'W'),
    Mov64.reg(R2, R10), Add64.imm(R2, -8),
    LoadMapFd(R1, mapMarker(0)),
    Call(1),
  ];
}

const ret0: AsmItem[] = [Mov64.imm(R0, 0), Exit()];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.u32() % xs.length];
}

function int(rng: Rng, lo: number, hi: number): number {
  return lo + (rng.u32() % (hi - lo + 1));
}

// ------------------------------------------------------------------ CFG

const cfg: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const len = int(rng, 2, 6);
    const body: AsmItem[] = [];
    for (let j = 0; j < len; j++) body.push(Mov64.imm(R0, j));
    // A conditional jump whose target lands on each slot around the end.
    for (const delta of [-1, 0, 1, 2]) {
      const off = len + delta;
      out.push(build(`cfg/jump_end/${k}/${delta}`, 'cfg', 'socket_filter',
        [Mov64.imm(R0, 0), JEq.imm(R1, 0, off), ...body, Exit()]));
    }
    out.push(build(`cfg/unreachable/${k}`, 'cfg', 'socket_filter', [Mov64.imm(R0, 0), Exit(), ...body, Exit()]));
    out.push(build(`cfg/fallthrough/${k}`, 'cfg', 'socket_filter', [Mov64.imm(R0, 0), ...body]));
    out.push(build(`cfg/ja_last/${k}`, 'cfg', 'socket_filter', [Mov64.imm(R0, 0), Label('top'), JEq.imm(R0, 0, 'x'), Ja('top'), Label('x'), Exit()]));
    // Jump into the second half of an ld_imm64, and just before / after it.
    for (const delta of [0, 1, 2]) {
      out.push(build(`cfg/ldimm_mid/${k}/${delta}`, 'cfg', 'socket_filter',
        [Mov64.imm(R0, 0), JEq.imm(R1, 0, delta), LoadImm64(R3, BigInt(rng.u32())), Exit()]));
    }
    // Backwards jump before the program start.
    out.push(build(`cfg/jump_before/${k}`, 'cfg', 'socket_filter', [Mov64.imm(R0, 0), JEq.imm(R1, 0, -3), Exit()]));
    // A subprogram and a jump from the main function into it.
    out.push(build(`cfg/subprog_jump/${k}`, 'cfg', 'socket_filter',
      [Mov64.imm(R0, 0), JEq.imm(R1, 0, 'sub'), CallLocal('sub'), Exit(), Label('sub'), Mov64.imm(R0, 1), Exit()]));
    out.push(build(`cfg/call_oob/${k}`, 'cfg', 'socket_filter', [Mov64.imm(R0, 0), CallLocal(int(rng, 1, 4)), Exit()]));
    out.push(build(`cfg/subprog_fallthrough/${k}`, 'cfg', 'socket_filter',
      [CallLocal('sub'), Exit(), Label('sub'), Mov64.imm(R0, 1)]));
  }
  return out;
};

// ------------------------------------------------------------------ registers

const regs: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const r = int(rng, 0, 9) as Reg;
    out.push(build(`regs/read/${k}/r${r}`, 'regs', 'socket_filter', [Mov64.reg(R0, r), Exit()]));
    out.push(build(`regs/read_init/${k}/r${r}`, 'regs', 'socket_filter', [Mov64.imm(r, 7), Mov64.reg(R0, r), Exit()]));
    out.push(build(`regs/exit_r0/${k}`, 'regs', 'socket_filter', [Mov64.imm(R1, 1), Exit()]));
    const op = pick(rng, ['mov', 'add', 'ldx', 'neg'] as const);
    const w = op === 'mov' ? Mov64.imm(R0, 1) : op === 'add' ? Add64.imm(R0, 1) : op === 'ldx' ? LoadMem(R0, R1, 0, 'W') : Neg64(R0);
    out.push(build(`regs/fp_write/${k}/${op}`, 'regs', 'socket_filter', [Mov64.imm(R0, 0), w, Exit()], [], {
      patch: (b) => { b[8 + 1] = (b[8 + 1] & 0xf0) | 10; },
    }));
    const bad = int(rng, 11, 15);
    out.push(build(`regs/invalid/${k}/r${bad}`, 'regs', 'socket_filter', [Mov64.imm(R0, 0), Mov64.reg(R0, R1), Exit()], [], {
      patch: (b) => { b[8 + 1] = (bad << 4) | (b[8 + 1] & 0x0f); },
    }));
    out.push(build(`regs/after_call/${k}/r${int(rng, 1, 5)}`, 'regs', 'socket_filter',
      [Mov64.imm(R1, 1), Call(7), Mov64.reg(R0, (1 + (k % 5)) as Reg), Exit()]));
    out.push(build(`regs/callee_saved/${k}`, 'regs', 'socket_filter',
      [Mov64.imm(R6, 1), Call(7), Mov64.reg(R0, R6), Exit()]));
  }
  return out;
};

// ------------------------------------------------------------------ ALU and pointer arithmetic

const ALU_OPS = [Add64, Sub64, Mul64, Div64, Mod64, Or64, And64, LSh64, RSh64, ArSh64, Xor64] as const;
const ALU_NAMES = ['add', 'sub', 'mul', 'div', 'mod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor'] as const;

const alu: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const oi = rng.u32() % ALU_OPS.length;
    const op = ALU_OPS[oi], name = ALU_NAMES[oi];
    // Arithmetic on each kind of pointer, with an immediate and with a register.
    for (const [ptrName, setup] of [
      ['fp', [Mov64.reg(R3, R10)]],
      ['ctx', [Mov64.reg(R3, R1)]],
    ] as Array<[string, AsmItem[]]>) {
      out.push(build(`alu/ptr_${name}_imm/${k}/${ptrName}`, 'alu', 'socket_filter',
        [...setup, op.imm(R3, int(rng, 1, 16)), ...ret0]));
      out.push(build(`alu/ptr_${name}_reg/${k}/${ptrName}`, 'alu', 'socket_filter',
        [...setup, Mov64.imm(R4, int(rng, 1, 16)), op.reg(R3, R4), ...ret0]));
    }
    out.push(build(`alu/ptr_plus_ptr/${k}`, 'alu', 'socket_filter', [Mov64.reg(R3, R10), Add64.reg(R3, R1), ...ret0]));
    out.push(build(`alu/ptr_minus_ptr/${k}`, 'alu', 'socket_filter', [Mov64.reg(R3, R10), Sub64.reg(R3, R10), Mov64.reg(R0, R3), Exit()]));
    out.push(build(`alu/scalar_minus_ptr/${k}`, 'alu', 'socket_filter', [Mov64.imm(R3, 5), Sub64.reg(R3, R10), ...ret0]));
    out.push(build(`alu/ptr32/${k}`, 'alu', 'socket_filter', [Mov64.reg(R3, R10), Add32.imm(R3, -8), ...ret0]));
    out.push(build(`alu/mov32_ptr/${k}`, 'alu', 'socket_filter', [Mov32.reg(R3, R10), Mov64.reg(R0, R3), Exit()]));
    out.push(build(`alu/neg_ptr/${k}`, 'alu', 'socket_filter', [Mov64.reg(R3, R10), Neg64(R3), ...ret0]));
    out.push(build(`alu/bswap_ptr/${k}`, 'alu', 'socket_filter', [Mov64.reg(R3, R1), ToBE(R3, 32), ...ret0]));
    const shift = pick(rng, [0, 31, 32, 63, 64, -1]);
    out.push(build(`alu/shift64/${k}/${shift}`, 'alu', 'socket_filter', [Mov64.imm(R0, 1), LSh64.imm(R0, shift), Exit()]));
    out.push(build(`alu/div0/${k}`, 'alu', 'socket_filter', [Mov64.imm(R0, 1), (k % 2 ? Mod64 : Div64).imm(R0, 0), Exit()]));
    out.push(build(`alu/divreg0/${k}`, 'alu', 'socket_filter', [Mov64.imm(R0, 1), Mov64.imm(R2, 0), Div64.reg(R0, R2), Exit()]));
    // Stack pointer moved by a variable amount, then used.
    const lim = pick(rng, [8, 16, 504, 512, 520]);
    out.push(build(`alu/fp_var/${k}/${lim}`, 'alu', 'socket_filter', [
      LoadMem(R2, R1, 0, 'W'), JGT.imm(R2, lim, 'out'), Mov64.reg(R3, R10), Sub64.reg(R3, R2), StoreImm(R3, 0, 1, 'B'),
      Label('out'), ...ret0]));
    // Reserved fields of ALU instructions.
    out.push(build(`alu/reserved_off/${k}`, 'alu', 'socket_filter', [Mov64.imm(R0, 0), Add64.imm(R0, 1), Exit()], [], {
      patch: (b) => { b[8 + 2] = int(rng, 1, 5); },
    }));
    out.push(build(`alu/reserved_src/${k}`, 'alu', 'socket_filter', [Mov64.imm(R0, 0), Add64.imm(R0, 1), Exit()], [], {
      patch: (b) => { b[8 + 1] |= int(rng, 1, 9) << 4; },
    }));
  }
  return out;
};

// ------------------------------------------------------------------ stack

const stack: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const size = pick(rng, SIZES);
    const b = BYTES[size];
    for (const off of [-512, -512 - b, -b, 0, -int(rng, 1, 64) * b, -b + 1, -b - 1]) {
      out.push(build(`stack/store/${k}/${size}/${off}`, 'stack', 'socket_filter',
        [Mov64.imm(R2, 1), StoreMem(R10, off, R2, size), ...ret0]));
      out.push(build(`stack/load/${k}/${size}/${off}`, 'stack', 'socket_filter',
        [StoreImm(R10, -8, 0, 'DW'), LoadMem(R0, R10, off, size), Exit()]));
    }
    // Through a derived pointer.
    const d = -int(rng, 1, 64) * 8;
    out.push(build(`stack/derived/${k}/${d}`, 'stack', 'socket_filter',
      [Mov64.reg(R3, R10), Add64.imm(R3, d), StoreImm(R3, 0, 7, 'DW'), LoadMem(R0, R3, 0, 'DW'), Exit()]));
    // Spill and fill a pointer, partially overwrite it, dereference it.
    out.push(build(`stack/spill_ctx/${k}`, 'stack', 'socket_filter',
      [StoreMem(R10, -8, R1, 'DW'), LoadMem(R2, R10, -8, 'DW'), LoadMem(R0, R2, 0, 'W'), Exit()]));
    out.push(build(`stack/spill_partial/${k}`, 'stack', 'socket_filter',
      [StoreMem(R10, -8, R1, 'DW'), StoreImm(R10, -8 + int(rng, 0, 3) * 2, 0, 'H'), LoadMem(R2, R10, -8, 'DW'), LoadMem(R0, R2, 0, 'W'), Exit()]));
    out.push(build(`stack/spill_narrow/${k}`, 'stack', 'socket_filter',
      [StoreMem(R10, -8, R1, 'W'), ...ret0]));
    out.push(build(`stack/fill_narrow/${k}`, 'stack', 'socket_filter',
      [StoreMem(R10, -8, R1, 'DW'), LoadMem(R0, R10, -8, 'W'), Exit()]));
    // Uninitialised reads (allowed for privileged loaders).
    out.push(build(`stack/uninit/${k}`, 'stack', 'socket_filter', [LoadMem(R0, R10, -8 * int(rng, 1, 64), 'DW'), Exit()]));
    // Variable-offset access with a bounded index.
    const lim = pick(rng, [0, 7, 8, 56, 504, 505, 512]);
    out.push(build(`stack/var/${k}/${lim}`, 'stack', 'socket_filter', [
      StoreImm(R10, -8, 0, 'DW'), LoadMem(R2, R1, 0, 'W'), JGT.imm(R2, lim, 'out'), Mov64.reg(R3, R10), Add64.imm(R3, -512),
      Add64.reg(R3, R2), LoadMem(R0, R3, 0, 'B'), Exit(), Label('out'), ...ret0]));
    out.push(build(`stack/var_write/${k}/${lim}`, 'stack', 'socket_filter', [
      LoadMem(R2, R1, 0, 'W'), And64.imm(R2, pick(rng, [7, 15, 504, 511])), Mov64.reg(R3, R10), Add64.imm(R3, -512),
      Add64.reg(R3, R2), StoreImm(R3, 0, 0, 'B'), ...ret0]));
  }
  return out;
};

// ------------------------------------------------------------------ context

const CTX_TYPES: ReadonlyArray<readonly [string, number, number, number]> = [
  // [prog type, ctx size to probe around, flags, attach]
  ['socket_filter', 192, 0, 0], ['sched_cls', 192, 0, 0], ['xdp', 24, 0, 0], ['kprobe', 168, 0, 0],
  ['raw_tracepoint', 96, 0, 0], ['syscall', 65535, 16, 0], ['perf_event', 184, 0, 0], ['tracepoint', 8192, 0, 0],
  ['cgroup_skb', 192, 0, 0],
];

const ctx: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const [type, size, flags] = pick(rng, CTX_TYPES);
    const sz = pick(rng, SIZES);
    const b = BYTES[sz];
    const offs = [0, b, size - b, size, size - b + 1, int(rng, 0, Math.min(size, 200))];
    for (const off of offs) {
      const o = Math.min(off, 32767);
      out.push(build(`ctx/load/${type}/${k}/${sz}/${o}`, 'ctx', type, [LoadMem(R0, R1, o, sz), Mov64.imm(R0, 0), Exit()], [], { flags }));
      out.push(build(`ctx/store/${type}/${k}/${sz}/${o}`, 'ctx', type, [Mov64.imm(R2, 1), StoreMem(R1, o, R2, sz), ...ret0], [], { flags }));
    }
    out.push(build(`ctx/modified/${type}/${k}`, 'ctx', type, [Add64.imm(R1, 4), LoadMem(R0, R1, 0, 'W'), Mov64.imm(R0, 0), Exit()], [], { flags }));
    out.push(build(`ctx/ptr_store/${type}/${k}`, 'ctx', type, [StoreMem(R1, 0, R1, 'DW'), ...ret0], [], { flags }));
  }
  return out;
};

// ------------------------------------------------------------------ map values

const mapValue: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const vs = pick(rng, [1, 4, 8, 12, 16, 48, 100]);
    const sz = pick(rng, SIZES.filter((s) => BYTES[s] <= vs));
    const b = BYTES[sz];
    const map = [pick(rng, [ARRAY(vs, 4), HASH(vs)])];
    // Constant offsets around the end of the value.
    for (const off of [0, vs - b, vs - b + 1, vs, -1, -b]) {
      out.push(build(`map_value/const_read/${k}/${vs}/${sz}/${off}`, 'map_value', 'socket_filter',
        [...lookup(0), JEq.imm(R0, 0, 'out'), LoadMem(R1, R0, off, sz), Label('out'), ...ret0], map));
      out.push(build(`map_value/const_write/${k}/${vs}/${sz}/${off}`, 'map_value', 'socket_filter',
        [...lookup(0), JEq.imm(R0, 0, 'out'), StoreImm(R0, off, 1, sz), Label('out'), ...ret0], map));
    }
    // Variable index bounded by a conditional jump (unsigned / signed, just inside and outside).
    for (const lim of [vs - b, vs - b + 1, vs]) {
      for (const [jn, j] of [['jgt', JGT], ['jge', JGE], ['jsgt', JSGT]] as const) {
        out.push(build(`map_value/var_${jn}/${k}/${vs}/${sz}/${lim}`, 'map_value', 'socket_filter', [
          LoadMem(R6, R1, 0, 'W'), ...lookup(0), JEq.imm(R0, 0, 'out'), j.imm(R6, lim, 'out'),
          Add64.reg(R0, R6), LoadMem(R1, R0, 0, sz), Label('out'), ...ret0], map));
      }
      out.push(build(`map_value/var_and/${k}/${vs}/${sz}/${lim}`, 'map_value', 'socket_filter', [
        LoadMem(R6, R1, 0, 'W'), ...lookup(0), JEq.imm(R0, 0, 'out'), And64.imm(R6, lim),
        Add64.reg(R0, R6), LoadMem(R1, R0, 0, sz), Label('out'), ...ret0], map));
      // Bounds learnt through a copy of the index (linked registers).
      out.push(build(`map_value/var_linked/${k}/${vs}/${sz}/${lim}`, 'map_value', 'socket_filter', [
        LoadMem(R6, R1, 0, 'W'), ...lookup(0), JEq.imm(R0, 0, 'out'), Mov64.reg(R7, R6), JGT.imm(R7, lim, 'out'),
        Add64.reg(R0, R6), LoadMem(R1, R0, 0, sz), Label('out'), ...ret0], map));
    }
    out.push(build(`map_value/signed_min/${k}/${vs}`, 'map_value', 'socket_filter', [
      LoadMemSX(R6, R1, 0, 'W'), ...lookup(0), JEq.imm(R0, 0, 'out'), JSGT.imm(R6, vs - 1, 'out'),
      Add64.reg(R0, R6), LoadMem(R1, R0, 0, 'B'), Label('out'), ...ret0], map));
    out.push(build(`map_value/unbounded/${k}/${vs}`, 'map_value', 'socket_filter', [
      LoadMem(R6, R1, 0, 'W'), ...lookup(0), JEq.imm(R0, 0, 'out'), Add64.reg(R0, R6), LoadMem(R1, R0, 0, 'B'),
      Label('out'), ...ret0], map));
    // Missing or misplaced null checks.
    out.push(build(`map_value/no_null_check/${k}/${vs}`, 'map_value', 'socket_filter',
      [...lookup(0), LoadMem(R1, R0, 0, 'B'), ...ret0], map));
    out.push(build(`map_value/null_arith/${k}/${vs}`, 'map_value', 'socket_filter',
      [...lookup(0), Add64.imm(R0, 1), JEq.imm(R0, 0, 'out'), LoadMem(R1, R0, 0, 'B'), Label('out'), ...ret0], map));
    out.push(build(`map_value/null_copy/${k}/${vs}`, 'map_value', 'socket_filter',
      [...lookup(0), Mov64.reg(R7, R0), JEq.imm(R0, 0, 'out'), LoadMem(R1, R7, 0, 'B'), Label('out'), ...ret0], map));
    // Constant keys into arrays make the lookup result not-null (Linux 6.18).
    const maxe = pick(rng, [1, 2, 4]);
    for (const key of [0, maxe - 1, maxe]) {
      out.push(build(`map_value/const_key/${k}/${maxe}/${key}`, 'map_value', 'socket_filter', [
        Mov64.imm(R2, key), StoreMem(R10, -8, R2, 'W'), Mov64.reg(R2, R10), Add64.imm(R2, -8), LoadMapFd(R1, mapMarker(0)),
        Call(1), LoadMem(R0, R0, 0, 'B'), Exit()], [ARRAY(8, maxe)]));
    }
    // Storing a pointer into a map value (allowed with CAP_PERFMON).
    out.push(build(`map_value/ptr_store/${k}`, 'map_value', 'socket_filter',
      [...lookup(0), JEq.imm(R0, 0, 'out'), StoreMem(R0, 0, R10, 'DW'), Label('out'), ...ret0], [ARRAY(8, 1)]));
  }
  return out;
};

// ------------------------------------------------------------------ helpers

const helpers: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const size = pick(rng, [0, 1, 8, 64, 512, 513, -1]);
    const off = -pick(rng, [8, 64, 512]);
    // probe_read_kernel(dst = fp+off, size, NULL): bounds of a written stack buffer.
    out.push(build(`helpers/probe_read/${k}/${off}/${size}`, 'helpers', 'kprobe', [
      Mov64.reg(R1, R10), Add64.imm(R1, off), Mov64.imm(R2, size), Mov64.imm(R3, 0), Call(113), ...ret0]));
    // get_current_comm(buf, size)
    out.push(build(`helpers/comm/${k}/${off}/${size}`, 'helpers', 'kprobe', [
      Mov64.reg(R1, R10), Add64.imm(R1, off), Mov64.imm(R2, size), Call(16), ...ret0]));
    // trace_printk(fmt on stack, size): the helper reads the buffer.
    out.push(build(`helpers/printk/${k}/${size}`, 'helpers', 'kprobe', [
      StoreImm(R10, -8, 0x6968, 'DW'), Mov64.reg(R1, R10), Add64.imm(R1, -8), Mov64.imm(R2, size), Call(6), ...ret0]));
    // Map helpers: key and value buffers of the map's sizes.
    const ks = pick(rng, [4, 8, 16]), vs = pick(rng, [4, 8, 16, 32]);
    const keyOff = -pick(rng, [ks, ks + 8, 8]);
    out.push(build(`helpers/update/${k}/${ks}/${vs}/${keyOff}`, 'helpers', 'socket_filter', [
      StoreImm(R10, -8, 0, 'DW'), StoreImm(R10, -16, 0, 'DW'), StoreImm(R10, -24, 0, 'DW'), StoreImm(R10, -32, 0, 'DW'),
      LoadMapFd(R1, mapMarker(0)), Mov64.reg(R2, R10), Add64.imm(R2, keyOff), Mov64.reg(R3, R10), Add64.imm(R3, -vs),
      Mov64.imm(R4, 0), Call(2), ...ret0], [HASH(vs, ks)]));
    // Wrong argument types.
    const bad = pick(rng, [[Mov64.imm(R1, 0)], [Mov64.reg(R1, R10)], [Mov64.reg(R1, R6)]] as AsmItem[][]);
    out.push(build(`helpers/bad_map_arg/${k}`, 'helpers', 'socket_filter', [
      Mov64.reg(R6, R1), StoreImm(R10, -8, 0, 'DW'), ...bad, Mov64.reg(R2, R10), Add64.imm(R2, -8), Call(1), ...ret0], [HASH(8)]));
    out.push(build(`helpers/ctx_as_mem/${k}`, 'helpers', 'kprobe', [
      Mov64.imm(R2, 8), Call(6), ...ret0]));
    // Helpers a program type may not call, unknown helper ids.
    const id = pick(rng, [9, 23, 26, 44, 51, 113, 148, 166, 168, 179, 211, 212, 300, -1]);
    out.push(build(`helpers/availability/${k}/${id}`, 'helpers', pick(rng, ['socket_filter', 'kprobe', 'xdp', 'sched_cls', 'raw_tracepoint']), [
      Mov64.imm(R1, 0), Mov64.imm(R2, 0), Mov64.imm(R3, 0), Mov64.imm(R4, 0), Mov64.imm(R5, 0), Call(id), ...ret0]));
    // Sleepable-only helpers.
    out.push(build(`helpers/sleepable/${k}`, 'helpers', 'syscall', [
      Mov64.reg(R1, R10), Add64.imm(R1, -8), Mov64.imm(R2, 8), Mov64.imm(R3, 0), Call(148), ...ret0], [], { flags: k % 2 ? 16 : 0 }));
    // Variable sizes.
    const lim = pick(rng, [8, 64, 512, 513]);
    out.push(build(`helpers/var_size/${k}/${lim}`, 'helpers', 'kprobe', [
      LoadMem(R2, R1, 0, 'DW'), JGT.imm(R2, lim, 'out'), Mov64.reg(R1, R10), Add64.imm(R1, -512), Mov64.imm(R3, 0),
      Call(113), Label('out'), ...ret0]));
    out.push(build(`helpers/var_size_unbounded/${k}`, 'helpers', 'kprobe', [
      LoadMem(R2, R1, 0, 'DW'), Mov64.reg(R1, R10), Add64.imm(R1, -8), Mov64.imm(R3, 0), Call(113), ...ret0]));
  }
  return out;
};

// ------------------------------------------------------------------ packets

const packet: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const type = pick(rng, ['xdp', 'sched_cls']);
    const [dataOff, endOff] = type === 'xdp' ? [0, 4] : [76, 80];
    const len = int(rng, 1, 64);
    const sz = pick(rng, SIZES);
    const b = BYTES[sz];
    for (const off of [len - b, len - b + 1, 0]) {
      for (const [jn, cmp] of [['jgt', 'gt'], ['jge', 'ge'], ['jlt', 'lt']] as const) {
        const check = cmp === 'gt' ? [JGT.reg(R4, R3, 'out')] : cmp === 'ge' ? [JGE.reg(R4, R3, 'out')] : [JLT.reg(R3, R4, 'out')];
        out.push(build(`packet/${jn}/${type}/${k}/${len}/${sz}/${off}`, 'packet', type, [
          LoadMem(R2, R1, dataOff, 'W'), LoadMem(R3, R1, endOff, 'W'), Mov64.reg(R4, R2), Add64.imm(R4, len), ...check,
          LoadMem(R0, R2, off, sz), Label('out'), ...ret0]));
      }
    }
    out.push(build(`packet/unchecked/${type}/${k}`, 'packet', type, [
      LoadMem(R2, R1, dataOff, 'W'), LoadMem(R0, R2, 0, 'B'), ...ret0]));
    out.push(build(`packet/write/${type}/${k}/${len}`, 'packet', type, [
      LoadMem(R2, R1, dataOff, 'W'), LoadMem(R3, R1, endOff, 'W'), Mov64.reg(R4, R2), Add64.imm(R4, len), JGT.reg(R4, R3, 'out'),
      StoreImm(R2, len - 1, 0, 'B'), Label('out'), ...ret0]));
    out.push(build(`packet/socket_filter_data/${k}`, 'packet', 'socket_filter', [LoadMem(R2, R1, 76, 'W'), ...ret0]));
    const absSize = pick(rng, ['B', 'H', 'W'] as const);
    out.push(build(`packet/ld_abs/${type}/${k}/${len}/${absSize}`, 'packet', pick(rng, ['socket_filter', 'sched_cls', 'xdp']), [
      Mov64.reg(R6, R1), LoadAbs(len, absSize), Exit()]));
    out.push(build(`packet/ld_abs_no_r6/${k}`, 'packet', 'socket_filter', [LoadAbs(len, absSize), Exit()]));
  }
  return out;
};

// ------------------------------------------------------------------ return values

const retval: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const type = pick(rng, ['cgroup_skb', 'socket_filter', 'xdp', 'kprobe']);
    for (const v of [0, 1, 2, 3, -1]) {
      out.push(build(`retval/const/${type}/${k}/${v}`, 'retval', type, [Mov64.imm(R0, v), Exit()]));
    }
    out.push(build(`retval/unknown/${type}/${k}`, 'retval', type, [LoadMem(R0, R1, 0, 'W'), Exit()]));
    out.push(build(`retval/masked/${type}/${k}`, 'retval', type, [LoadMem(R0, R1, 0, 'W'), And64.imm(R0, pick(rng, [1, 3])), Exit()]));
    out.push(build(`retval/pointer/${type}/${k}`, 'retval', type, [Mov64.reg(R0, R10), Exit()]));
  }
  return out;
};

// ------------------------------------------------------------------ bpf-to-bpf calls

const calls: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    // A chain of nested calls; each frame uses some stack.
    const depth = int(rng, 1, 9);
    const per = pick(rng, [0, 8, 64, 128, 256]);
    const items: AsmItem[] = [];
    for (let d = 0; d < depth; d++) {
      items.push(Label(`f${d}`));
      if (per > 0) items.push(StoreImm(R10, -per, 0, 'DW'));
      if (d + 1 < depth) items.push(CallLocal(`f${d + 1}`));
      items.push(...ret0);
    }
    out.push(build(`calls/chain/${k}/${depth}/${per}`, 'calls', 'socket_filter', items));
    out.push(build(`calls/ret_stack/${k}`, 'calls', 'socket_filter',
      [CallLocal('f'), Exit(), Label('f'), Mov64.reg(R0, R10), Exit()]));
    out.push(build(`calls/no_r0/${k}`, 'calls', 'socket_filter',
      [CallLocal('f'), Exit(), Label('f'), Mov64.imm(R1, 0), Exit()]));
    out.push(build(`calls/caller_regs/${k}`, 'calls', 'socket_filter',
      [Mov64.imm(R1, 1), CallLocal('f'), Mov64.reg(R0, (1 + (k % 5)) as Reg), Exit(), Label('f'), ...ret0]));
    out.push(build(`calls/callee_regs/${k}`, 'calls', 'socket_filter',
      [Mov64.imm(R6, 1), CallLocal('f'), Exit(), Label('f'), Mov64.reg(R0, R6), Exit()]));
    const off = -pick(rng, [8, 16, 512]);
    out.push(build(`calls/stack_arg/${k}/${off}`, 'calls', 'socket_filter', [
      StoreImm(R10, off, 0, 'DW'), Mov64.reg(R1, R10), Add64.imm(R1, off), CallLocal('f'), LoadMem(R0, R10, off, 'DW'), Exit(),
      Label('f'), StoreImm(R1, pick(rng, [0, 4, 8]), 1, 'W'), ...ret0]));
    out.push(build(`calls/preserved/${k}`, 'calls', 'socket_filter', [
      Mov64.reg(R6, R1), CallLocal('f'), LoadMem(R0, R6, 0, 'W'), Exit(), Label('f'), Mov64.imm(R0, 1), Exit()]));
  }
  return out;
};

// ------------------------------------------------------------------ loops

const loops: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const bound = pick(rng, [1, 10, 100, 1000, 20000]);
    out.push(build(`loops/counted/${k}/${bound}`, 'loops', 'socket_filter', [
      Mov64.imm(R0, 0), Mov64.imm(R1, 0), Label('l'), Add64.imm(R0, 3), Add64.imm(R1, 1), JLT.imm(R1, bound, 'l'), Exit()]));
    out.push(build(`loops/unknown_bound/${k}`, 'loops', 'socket_filter', [
      LoadMem(R2, R1, 0, 'W'), Mov64.imm(R0, 0), Mov64.imm(R1, 0), Label('l'), Add64.imm(R1, 1), JLT.reg(R1, R2, 'l'), Exit()]));
    out.push(build(`loops/infinite/${k}`, 'loops', 'socket_filter', [Mov64.imm(R0, 0), Label('l'), Ja('l'), Exit()]));
    out.push(build(`loops/infinite_cond/${k}`, 'loops', 'socket_filter', [
      Mov64.imm(R0, 0), Mov64.imm(R1, 5), Label('l'), JEq.imm(R1, 5, 'l'), Exit()]));
    // Loop writing an array on the stack by index.
    const lim = pick(rng, [8, 16, 64]);
    out.push(build(`loops/stack_index/${k}/${lim}`, 'loops', 'socket_filter', [
      Mov64.imm(R1, 0), Label('l'), Mov64.reg(R3, R10), Add64.imm(R3, -64), Add64.reg(R3, R1), StoreImm(R3, 0, 0, 'B'),
      Add64.imm(R1, 1), JLT.imm(R1, lim, 'l'), ...ret0]));
    // may_goto bounded loops.
    out.push(build(`loops/may_goto/${k}`, 'loops', 'socket_filter', [
      Mov64.imm(R0, 0), Label('l'), MayGoto('out'), Add64.imm(R0, 1), Ja('l'), Label('out'), Exit()]));
    out.push(build(`loops/may_goto_index/${k}/${lim}`, 'loops', 'socket_filter', [
      Mov64.imm(R1, 0), StoreImm(R10, -8, 0, 'DW'), Label('l'), MayGoto('out'), Mov64.reg(R3, R1), And64.imm(R3, pick(rng, [7, 15])),
      Mov64.reg(R4, R10), Add64.imm(R4, -16), Add64.reg(R4, R3), StoreImm(R4, 0, 1, 'B'), Add64.imm(R1, 1), Ja('l'),
      Label('out'), ...ret0]));
  }
  return out;
};

// ------------------------------------------------------------------ ld_imm64 pseudo forms

const ldimm64: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const vs = pick(rng, [4, 8, 64]);
    for (const off of [0, vs - 1, vs, vs + 7]) {
      out.push(build(`ldimm64/value/${k}/${vs}/${off}`, 'ldimm64', 'socket_filter',
        [LoadMapValue(R1, mapMarker(0), off), LoadMem(R0, R1, 0, 'B'), Exit()], [ARRAY(vs, 1)]));
    }
    out.push(build(`ldimm64/value_maxent/${k}`, 'ldimm64', 'socket_filter',
      [LoadMapValue(R1, mapMarker(0), 0), ...ret0], [ARRAY(vs, int(rng, 2, 4))]));
    out.push(build(`ldimm64/value_hash/${k}`, 'ldimm64', 'socket_filter',
      [LoadMapValue(R1, mapMarker(0), 0), ...ret0], [HASH(vs)]));
    out.push(build(`ldimm64/fd_hi/${k}`, 'ldimm64', 'socket_filter', [LoadMapFd(R1, mapMarker(0)), ...ret0], [HASH(vs)], {
      patch: (b) => { b[12] = int(rng, 1, 255); },
    }));
    out.push(build(`ldimm64/bad_fd/${k}`, 'ldimm64', 'socket_filter', [LoadMapFd(R1, int(rng, 900, 1000)), ...ret0]));
    out.push(build(`ldimm64/bad_src/${k}`, 'ldimm64', 'socket_filter', [LoadMapFd(R1, mapMarker(0)), ...ret0], [HASH(vs)], {
      patch: (b) => { b[1] = (pick(rng, [3, 4, 7, 12]) << 4) | 1; },
    }));
    out.push(build(`ldimm64/map_ptr_deref/${k}`, 'ldimm64', 'socket_filter',
      [LoadMapFd(R1, mapMarker(0)), LoadMem(R0, R1, pick(rng, [0, 8, 24, 32, 36, 64]), pick(rng, ['W', 'DW'] as Size[])), ...ret0], [ARRAY(vs, 1)]));
    out.push(build(`ldimm64/map_ptr_write/${k}`, 'ldimm64', 'socket_filter',
      [LoadMapFd(R1, mapMarker(0)), StoreImm(R1, 0, 0, 'DW'), ...ret0], [ARRAY(vs, 1)]));
    out.push(build(`ldimm64/map_ptr_arith/${k}`, 'ldimm64', 'socket_filter',
      [LoadMapFd(R1, mapMarker(0)), Add64.imm(R1, pick(rng, [0, 8])), LoadMem(R0, R1, 0, 'DW'), ...ret0], [ARRAY(vs, 1)]));
    out.push(build(`ldimm64/rdonly_map_write/${k}`, 'ldimm64', 'socket_filter',
      [LoadMapValue(R1, mapMarker(0), 0), StoreImm(R1, 0, 1, 'B'), ...ret0], [ARRAY(vs, 1, 0x80)]));
  }
  return out;
};

// ------------------------------------------------------------------ atomics

const atomics: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const sz = pick(rng, ['W', 'DW'] as const);
    const off = pick(rng, [-8, -4, -2, 0, -512, -520]);
    const op = pick(rng, ['add', 'or', 'xor', 'and'] as const);
    out.push(build(`atomics/stack/${k}/${op}/${sz}/${off}`, 'atomics', 'socket_filter', [
      StoreImm(R10, -8, 0, 'DW'), Mov64.imm(R1, 1), Atomic(op, R10, off, R1, sz), ...ret0]));
    out.push(build(`atomics/fetch_add/${k}/${sz}`, 'atomics', 'socket_filter', [
      StoreImm(R10, -8, 0, 'DW'), Mov64.imm(R1, 1), AtomicFetchAdd(R10, -8, R1, sz), Mov64.reg(R0, R1), Exit()]));
    out.push(build(`atomics/xchg/${k}/${sz}`, 'atomics', 'socket_filter', [
      StoreImm(R10, -8, 0, 'DW'), Mov64.imm(R1, 1), AtomicXchg(R10, -8, R1, sz), Mov64.reg(R0, R1), Exit()]));
    out.push(build(`atomics/cmpxchg/${k}/${sz}`, 'atomics', 'socket_filter', [
      StoreImm(R10, -8, 0, 'DW'), Mov64.imm(R0, 0), Mov64.imm(R1, 1), AtomicCmpXchg(R10, -8, R1, sz), Exit()]));
    out.push(build(`atomics/ctx/${k}`, 'atomics', 'socket_filter', [Mov64.imm(R2, 1), Atomic(op, R1, 0, R2, 'W'), ...ret0]));
    out.push(build(`atomics/map/${k}/${sz}`, 'atomics', 'socket_filter', [
      ...lookup(0), JEq.imm(R0, 0, 'out'), Mov64.imm(R1, 1), Atomic(op, R0, pick(rng, [0, 4, 8, 12]), R1, sz), Label('out'), ...ret0], [ARRAY(16, 1)]));
    out.push(build(`atomics/ptr_src/${k}`, 'atomics', 'socket_filter', [
      StoreImm(R10, -8, 0, 'DW'), Atomic('add', R10, -8, R10, 'DW'), ...ret0]));
    out.push(build(`atomics/size/${k}`, 'atomics', 'socket_filter', [
      StoreImm(R10, -8, 0, 'DW'), Mov64.imm(R1, 1), Atomic('add', R10, -8, R1, 'W'), ...ret0], [], {
      patch: (b) => { b[8 * 3] = 0xc3 | pick(rng, [0x08, 0x10]); },
    }));
  }
  return out;
};

// ------------------------------------------------------------------ ring buffers and references

const ringbuf: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  const rb: MapSpec = { type: 'ringbuf', key_size: 0, value_size: 0, max_entries: 4096 };
  for (let k = 0; k < n; k++) {
    const size = pick(rng, [8, 16, 64]);
    const reserve = [LoadMapFd(R1, mapMarker(0)), Mov64.imm(R2, size), Mov64.imm(R3, 0), Call(131)];
    const off = pick(rng, [0, size - 8, size - 7, size]);
    out.push(build(`ringbuf/ok/${k}/${size}/${off}`, 'ringbuf', 'kprobe', [
      ...reserve, JEq.imm(R0, 0, 'out'), StoreImm(R0, off, 1, 'DW'), Mov64.reg(R1, R0), Mov64.imm(R2, 0), Call(132),
      Label('out'), ...ret0], [rb]));
    out.push(build(`ringbuf/leak/${k}`, 'ringbuf', 'kprobe', [...reserve, JEq.imm(R0, 0, 'out'), Label('out'), ...ret0], [rb]));
    out.push(build(`ringbuf/no_check/${k}`, 'ringbuf', 'kprobe', [
      ...reserve, StoreImm(R0, 0, 1, 'DW'), Mov64.reg(R1, R0), Mov64.imm(R2, 0), Call(132), ...ret0], [rb]));
    out.push(build(`ringbuf/use_after_submit/${k}`, 'ringbuf', 'kprobe', [
      ...reserve, JEq.imm(R0, 0, 'out'), Mov64.reg(R6, R0), Mov64.reg(R1, R0), Mov64.imm(R2, 0), Call(132),
      StoreImm(R6, 0, 1, 'DW'), Label('out'), ...ret0], [rb]));
    out.push(build(`ringbuf/double_submit/${k}`, 'ringbuf', 'kprobe', [
      ...reserve, JEq.imm(R0, 0, 'out'), Mov64.reg(R6, R0), Mov64.reg(R1, R0), Mov64.imm(R2, 0), Call(132),
      Mov64.reg(R1, R6), Mov64.imm(R2, 0), Call(133), Label('out'), ...ret0], [rb]));
    out.push(build(`ringbuf/var_size/${k}`, 'ringbuf', 'kprobe', [
      LoadMem(R2, R1, 0, 'DW'), And64.imm(R2, 63), LoadMapFd(R1, mapMarker(0)), Mov64.imm(R3, 0), Call(131),
      JEq.imm(R0, 0, 'out'), Mov64.reg(R1, R0), Mov64.imm(R2, 0), Call(133), Label('out'), ...ret0], [rb]));
    out.push(build(`ringbuf/lookup/${k}`, 'ringbuf', 'kprobe', [...lookup(0), ...ret0], [rb]));
    out.push(build(`ringbuf/output/${k}/${size}`, 'ringbuf', 'kprobe', [
      StoreImm(R10, -8, 0, 'DW'), LoadMapFd(R1, mapMarker(0)), Mov64.reg(R2, R10), Add64.imm(R2, -8), Mov64.imm(R3, size),
      Mov64.imm(R4, 0), Call(130), ...ret0], [rb]));
    out.push(build(`ringbuf/wrong_map/${k}`, 'ringbuf', 'kprobe', [...reserve, ...ret0], [HASH(8)]));
  }
  return out;
};

// ------------------------------------------------------------------ tail calls

const tailcall: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const map = pick(rng, [{ type: 'prog_array', key_size: 4, value_size: 4, max_entries: 4 }, ARRAY(4, 4)] as MapSpec[]);
    out.push(build(`tailcall/${map.type}/${k}`, 'tailcall', 'socket_filter', [
      LoadMapFd(R2, mapMarker(0)), Mov64.imm(R3, int(rng, 0, 5)), Call(12), ...ret0], [map]));
    out.push(build(`tailcall/with_subprog/${k}`, 'tailcall', 'socket_filter', [
      CallLocal('f'), LoadMapFd(R2, mapMarker(0)), Mov64.imm(R3, 0), Call(12), ...ret0, Label('f'), ...ret0],
      [{ type: 'prog_array', key_size: 4, value_size: 4, max_entries: 4 }]));
  }
  return out;
};

// ------------------------------------------------------------------ encodings

const encodings: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    const code = rng.u32() & 0xff;
    out.push(build(`encodings/opcode/${k}/${code.toString(16)}`, 'encodings', 'socket_filter', [Mov64.imm(R0, 0), Mov64.imm(R1, 0), Exit()], [], {
      patch: (b) => { b[8] = code; },
    }));
    const field = pick(rng, [1, 2, 4] as const);
    out.push(build(`encodings/exit_reserved/${k}/${field}`, 'encodings', 'socket_filter', [Mov64.imm(R0, 0), Exit()], [], {
      patch: (b) => { b[8 + field] = int(rng, 1, 9); },
    }));
    out.push(build(`encodings/ja_reserved/${k}`, 'encodings', 'socket_filter', [Mov64.imm(R0, 0), Ja(0), Exit()], [], {
      patch: (b) => { b[8 + 4] = int(rng, 1, 9); },
    }));
    out.push(build(`encodings/call_reserved/${k}`, 'encodings', 'socket_filter', [Call(7), Exit()], [], {
      patch: (b) => { b[pick(rng, [1, 2])] = int(rng, 1, 9); },
    }));
    out.push(build(`encodings/ldx_imm/${k}`, 'encodings', 'socket_filter', [LoadMem(R0, R1, 0, 'W'), Exit()], [], {
      patch: (b) => { b[4] = int(rng, 1, 9); },
    }));
    out.push(build(`encodings/st_src/${k}`, 'encodings', 'socket_filter', [StoreImm(R10, -8, 0, 'DW'), ...ret0], [], {
      patch: (b) => { b[1] |= int(rng, 1, 9) << 4; },
    }));
    out.push(build(`encodings/movsx/${k}`, 'encodings', 'socket_filter', [Mov64.imm(R1, -5), MovSX64(R0, R1, pick(rng, [8, 16, 32])), Exit()]));
    out.push(build(`encodings/jmp_src/${k}`, 'encodings', 'socket_filter', [Mov64.imm(R0, 0), JEq.imm(R0, 0, 0), Exit()], [], {
      patch: (b) => { b[8 + 1] |= int(rng, 1, 9) << 4; },
    }));
    out.push(build(`encodings/jset/${k}`, 'encodings', 'socket_filter', [
      LoadMem(R0, R1, 0, 'W'), JSet.imm(R0, 1, 'o'), Mov64.imm(R0, 0), Label('o'), Exit()]));
    out.push(build(`encodings/jsle/${k}`, 'encodings', 'socket_filter', [
      LoadMem(R0, R1, 0, 'W'), JSLE.imm(R0, -1, 'o'), JSLT.imm(R0, 0, 'o'), JNE.imm(R0, 3, 'o'), JLE.imm(R0, 2, 'o'),
      Mov64.imm(R0, 0), Label('o'), Exit()]));
  }
  return out;
};

// ------------------------------------------------------------------ value tracking (branches decided by bounds)

const tracking: Template = (rng, n) => {
  const out: CorpusCase[] = [];
  for (let k = 0; k < n; k++) {
    // r2 gets a value range by ALU ops; a branch the verifier can decide guards an invalid access.
    const ops: AsmItem[] = [];
    const steps = int(rng, 1, 4);
    for (let s = 0; s < steps; s++) {
      const c = int(rng, 1, 16);
      ops.push(pick(rng, [And64.imm(R2, c), Or64.imm(R2, c), Add64.imm(R2, c), Mul64.imm(R2, c % 4 + 1), RSh64.imm(R2, c % 8), LSh64.imm(R2, c % 4), Xor64.imm(R2, c), Sub64.imm(R2, c)]));
    }
    const lim = int(rng, 0, 64);
    const [jn, j] = pick(rng, [['jgt', JGT], ['jlt', JLT], ['jsgt', JSGT], ['jeq', JEq], ['jne', JNE]] as const);
    out.push(build(`tracking/${k}/${jn}/${lim}`, 'tracking', 'socket_filter', [
      LoadMem(R2, R1, 0, 'B'), ...ops, j.imm(R2, lim, 'ok'), LoadMem(R0, R2, 0, 'B'), Label('ok'), ...ret0]));
    out.push(build(`tracking/bound/${k}/${jn}/${lim}`, 'tracking', 'socket_filter', [
      LoadMem(R2, R1, 0, 'B'), ...ops, ...lookup(0), JEq.imm(R0, 0, 'ok'), JGT.imm(R2, 7, 'ok'), Add64.reg(R0, R2),
      LoadMem(R0, R0, 0, 'B'), Label('ok'), ...ret0], [ARRAY(8, 1)]));
  }
  return out;
};

// ------------------------------------------------------------------ random programs

/**
 * Seeded random programs (../support/random-programs.ts), not built around any one rule: an
 * estimate of agreement on programs the templates did not anticipate.
 */
const random: Template = (rng, n) =>
  fc.sample(programSpecArb, { numRuns: n, seed: rng.u32() | 0 }).map((spec, i) => specCase(`random/${i}`, spec));

export const TEMPLATES: ReadonlyArray<readonly [string, Template, number]> = [
  // [category, template, instances]
  ['cfg', cfg, 12],
  ['regs', regs, 20],
  ['alu', alu, 24],
  ['stack', stack, 20],
  ['ctx', ctx, 60],
  ['map_value', mapValue, 14],
  ['helpers', helpers, 25],
  ['packet', packet, 16],
  ['retval', retval, 12],
  ['calls', calls, 20],
  ['loops', loops, 8],
  ['ldimm64', ldimm64, 14],
  ['atomics', atomics, 18],
  ['ringbuf', ringbuf, 12],
  ['tailcall', tailcall, 6],
  ['encodings', encodings, 20],
  ['tracking', tracking, 60],
  ['random', random, 1000],
];

/** The whole corpus for a seed: deterministic. */
export function generateCorpus(seed = 0x5eed): CorpusCase[] {
  const out: CorpusCase[] = [];
  const seen = new Set<string>();
  for (const [name, t, count] of TEMPLATES) {
    const rng = new Rng((seed ^ hash(name)) >>> 0);
    for (const c of t(rng, count)) {
      let id = c.id;
      for (let i = 2; seen.has(id); i++) id = `${c.id}#${i}`;
      seen.add(id);
      out.push(id === c.id ? c : { ...c, id });
    }
  }
  return out;
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export { R5, R8, R9 };
