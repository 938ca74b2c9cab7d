/**
 * Random BPF programs for the soundness property (fast-check arbitraries).
 *
 * A program is a prologue that gives the registers the pointers verifier bugs are made of (r6 =
 * context, r7 = a map value or NULL from bpf_map_lookup_elem, r8 = the frame pointer, scalars
 * elsewhere), a body of random steps chosen around the verifier's boundaries (offsets next to the
 * value size, the stack frame and the context end; shifts, masks and comparisons that build
 * bounds; null checks; packet range checks; helper calls with memory arguments; bounded loops;
 * ring buffer reservations), and `r0 = 0; exit`. Most random programs are rejected; the ones the
 * verifier accepts must run without faulting (./harness.ts).
 */
import fc from 'fast-check';
import {
  Add64, And64, ArSh64, Atomic, Call, Div64, Exit, JEq, JGE, JGT, JLE, JLT, JNE, JSGE, JSGT, JSLE, JSLT, JSet,
  LSh64, Label, LoadMapFd, LoadMem, Mod64, Mov32, Mov64, Mul64, Neg64, Or64, RSh64, StoreImm, StoreMem, Sub64, Xor64,
  Add32, And32, LSh32, RSh32, JEq32, JGT32, JLT32, JSGT32, JSLT32,
  type AsmItem, type Reg, type Size,
} from '../../../src/isa/builders.js';
import { encode, fromInstructions, type Program } from '../../../src/isa/program.js';
import { toHex } from '../../../src/util/hex.js';
import type { CorpusCase } from '../corpus/case.js';
import { resolveLabels } from '../../../src/isa/builders.js';
import { ERRNO } from '../../../src/errno.js';
import { BPF_MAP_TYPE, BPF_PROG_TYPE, progTypeName, type MapDescriptor, type VerifyRequest } from '../../../src/verifier/index.js';

export type Step =
  | { readonly k: 'movi'; readonly dst: Reg; readonly imm: number; readonly w32: boolean }
  | { readonly k: 'movr'; readonly dst: Reg; readonly src: Reg }
  | { readonly k: 'alu'; readonly op: number; readonly dst: Reg; readonly src: Reg | null; readonly imm: number; readonly w32: boolean }
  | { readonly k: 'jmp'; readonly op: number; readonly dst: Reg; readonly src: Reg | null; readonly imm: number; readonly w32: boolean; readonly skip: number }
  | { readonly k: 'ldx'; readonly size: Size; readonly dst: Reg; readonly base: Reg; readonly off: number }
  | { readonly k: 'stx'; readonly size: Size; readonly base: Reg; readonly off: number; readonly src: Reg }
  | { readonly k: 'st'; readonly size: Size; readonly base: Reg; readonly off: number; readonly imm: number }
  | { readonly k: 'atomic'; readonly op: 'add' | 'fetch_add' | 'xchg'; readonly size: 'W' | 'DW'; readonly base: Reg; readonly off: number; readonly src: Reg }
  | { readonly k: 'lookup'; readonly map: 0 | 1; readonly key: number; readonly dst: Reg; readonly check: boolean }
  | { readonly k: 'helper'; readonly id: 6 | 16 | 113; readonly ptr: Reg; readonly size: number }
  | { readonly k: 'pkt'; readonly dst: Reg; readonly len: number; readonly skip: number }
  | { readonly k: 'loop'; readonly n: number; readonly body: Step }
  | { readonly k: 'ringbuf'; readonly size: number; readonly off: number; readonly wsize: Size; readonly discard: boolean };

export interface ProgramSpec {
  readonly progType: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly checkLookup: boolean;
  readonly body: readonly Step[];
}

const PROG_TYPES = [BPF_PROG_TYPE.SYSCALL, BPF_PROG_TYPE.SOCKET_FILTER, BPF_PROG_TYPE.XDP, BPF_PROG_TYPE.SCHED_CLS, BPF_PROG_TYPE.KPROBE];
const SIZES: readonly Size[] = ['B', 'H', 'W', 'DW'];

const reg = fc.constantFrom<Reg>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
/** Bases for memory accesses: mostly the pointer registers. */
const base = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<Reg>(6, 7, 8, 10) },
  { weight: 2, arbitrary: fc.constantFrom<Reg>(0, 1, 2, 3, 4, 5, 9) },
);
/** Immediates around the usual boundaries. */
const imm = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 4095, 4096, 0x7fffffff, -0x80000000, -8, -16, -512),
  fc.integer({ min: -600, max: 600 }),
);
const off = fc.oneof(
  fc.constantFrom(-520, -512, -511, -64, -16, -9, -8, -4, -1, 0, 1, 2, 4, 6, 7, 8, 12, 14, 15, 16, 24, 40, 44, 47, 48, 56, 64, 76, 80, 96, 160, 168, 184, 188, 192),
  fc.integer({ min: -40, max: 72 }),
);
const size = fc.constantFrom<Size>(...SIZES);
const skip = fc.integer({ min: 0, max: 4 });
const ALU_OPS = 12;
const JMP_OPS = 11;

const simpleStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('movi' as const), dst: reg, imm, w32: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('movr' as const), dst: reg, src: fc.constantFrom<Reg>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('alu' as const), op: fc.integer({ min: 0, max: ALU_OPS - 1 }), dst: reg, src: fc.option(reg, { freq: 3 }), imm, w32: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('jmp' as const), op: fc.integer({ min: 0, max: JMP_OPS - 1 }), dst: reg, src: fc.option(reg, { freq: 3 }), imm, w32: fc.boolean(), skip }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('ldx' as const), size, dst: reg, base, off }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('stx' as const), size, base, off, src: reg }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('st' as const), size, base, off, imm }) },
);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 20, arbitrary: simpleStep },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('atomic' as const), op: fc.constantFrom('add' as const, 'fetch_add' as const, 'xchg' as const), size: fc.constantFrom('W' as const, 'DW' as const), base, off, src: reg }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('lookup' as const), map: fc.constantFrom<0 | 1>(0, 1), key: fc.integer({ min: 0, max: 5 }), dst: fc.constantFrom<Reg>(0, 7, 9), check: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('helper' as const), id: fc.constantFrom<6 | 16 | 113>(6, 16, 113), ptr: base, size: fc.constantFrom(0, 1, 4, 8, 16, 17, 48, 64, 512, 513) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pkt' as const), dst: fc.constantFrom<Reg>(2, 3, 4, 5, 8), len: fc.constantFrom(0, 1, 4, 8, 14, 20, 34, 64), skip }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('loop' as const), n: fc.integer({ min: 1, max: 40 }), body: simpleStep }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ringbuf' as const), size: fc.constantFrom(8, 16, 24), off: fc.constantFrom(-1, 0, 4, 8, 15, 16, 20, 24), wsize: size, discard: fc.boolean() }) },
);

export const programSpecArb: fc.Arbitrary<ProgramSpec> = fc.record({
  progType: fc.constantFrom(...PROG_TYPES),
  valueSize: fc.constantFrom(4, 8, 16, 48),
  maxEntries: fc.integer({ min: 1, max: 4 }),
  checkLookup: fc.boolean(),
  body: fc.array(stepArb, { minLength: 1, maxLength: 24 }),
});

function alu(op: number, w32: boolean): typeof Add64 {
  const t64 = [Add64, Sub64, Mul64, Div64, Mod64, Or64, And64, LSh64, RSh64, ArSh64, Xor64, Mov64];
  if (w32) {
    const t32 = [Add32, Add32, Add32, Add32, Add32, And32, And32, LSh32, RSh32, RSh32, Add32, Mov32];
    return t32[op];
  }
  return t64[op];
}

function jmp(op: number, w32: boolean): typeof JEq {
  const t64 = [JEq, JNE, JGT, JGE, JLT, JLE, JSGT, JSGE, JSLT, JSLE, JSet];
  const t32 = [JEq32, JEq32, JGT32, JGT32, JLT32, JLT32, JSGT32, JSGT32, JSLT32, JSLT32, JEq32];
  return (w32 ? t32 : t64)[op];
}

/** Shift immediates must be < width (the verifier refuses others outright; keep the case useful). */
function aluImm(op: number, v: number, w32: boolean): number {
  if (op >= 7 && op <= 9) return ((v % (w32 ? 32 : 64)) + (w32 ? 32 : 64)) % (w32 ? 32 : 64);
  if ((op === 3 || op === 4) && v === 0) return 1;
  return v;
}

const MAP_FD = [3, 4, 5];

/** Calls clobber r1-r5; give them scalars again so that the rest of the body stays meaningful. */
const reinit: AsmItem[] = [1, 2, 3, 4, 5].map((r) => Mov64.imm(r as Reg, r));

/** The instructions of one step; `next(skip)` names the label `skip` steps ahead. */
function stepItems(s: Step, j: number, next: (skip: number) => string): AsmItem[] {
  switch (s.k) {
    case 'movi': return [(s.w32 ? Mov32 : Mov64).imm(s.dst, s.imm)];
    case 'movr': return [Mov64.reg(s.dst, s.src)];
    case 'alu': {
      if (s.op === 11 && s.src === null) return [Neg64(s.dst)];
      const b = alu(s.op, s.w32);
      return [s.src === null ? b.imm(s.dst, aluImm(s.op, s.imm, s.w32)) : b.reg(s.dst, s.src)];
    }
    case 'jmp': {
      const b = jmp(s.op, s.w32);
      return [s.src === null ? b.imm(s.dst, s.imm, next(s.skip)) : b.reg(s.dst, s.src, next(s.skip))];
    }
    case 'ldx': return [LoadMem(s.dst, s.base, s.off, s.size)];
    case 'stx': return [StoreMem(s.base, s.off, s.src, s.size)];
    case 'st': return [StoreImm(s.base, s.off, s.imm, s.size)];
    case 'atomic': return [Atomic(s.op, s.base, s.off, s.src, s.size)];
    case 'lookup': {
      const items: AsmItem[] = [
        StoreImm(10, -8, s.key, 'W'), Mov64.reg(2, 10), Add64.imm(2, -8), LoadMapFd(1, MAP_FD[s.map]), Call(1),
      ];
      if (s.check) items.push(JEq.imm(0, 0, 'exit'));
      if (s.dst !== 0) items.push(Mov64.reg(s.dst, 0));
      return [...items, ...reinit];
    }
    case 'helper':
      return [Mov64.reg(1, s.ptr), Mov64.imm(2, s.size), Mov64.imm(3, 0), Call(s.id), ...reinit];
    case 'pkt': {
      // Linux's ctx layouts: __sk_buff data/data_end at 76/80, xdp_md at 0/4.
      return [
        LoadMem(s.dst, 6, 76, 'W'), LoadMem(1, 6, 80, 'W'), Mov64.reg(0, s.dst), Add64.imm(0, s.len),
        JGT.reg(0, 1, next(s.skip)),
      ];
    }
    case 'loop': {
      const top = `loop${j}`;
      return [Mov64.imm(9, 0), Label(top), ...stepItems(s.body, j, () => `${top}end`), Label(`${top}end`), Add64.imm(9, 1), JLT.imm(9, s.n, top)];
    }
    case 'ringbuf': {
      const done = `rb${j}`;
      return [
        LoadMapFd(1, MAP_FD[2]), Mov64.imm(2, s.size), Mov64.imm(3, 0), Call(131), JEq.imm(0, 0, done),
        StoreImm(0, s.off, 1, s.wsize), Mov64.reg(1, 0), Mov64.imm(2, 0), Call(s.discard ? 133 : 132), Label(done),
        ...reinit,
      ];
    }
  }
}

/** Assemble a spec (no validation: malformed programs are part of the test). */
export function specProgram(spec: ProgramSpec): Program {
  const items: AsmItem[] = [Mov64.reg(6, 1)];
  items.push(StoreImm(10, -8, 0, 'DW'), Mov64.reg(2, 10), Add64.imm(2, -8), LoadMapFd(1, MAP_FD[0]), Call(1), Mov64.reg(7, 0));
  if (spec.checkLookup) items.push(JEq.imm(7, 0, 'exit'));
  for (let r = 0; r <= 5; r++) items.push(Mov64.imm(r as Reg, r * 3));
  items.push(Mov64.reg(8, 10), Mov64.imm(9, 1));
  // Packet steps read the xdp_md layout in XDP programs.
  const xdp = spec.progType === BPF_PROG_TYPE.XDP;
  const n = spec.body.length;
  spec.body.forEach((s, j) => {
    items.push(Label(`s${j}`));
    let its = stepItems(s, j, (k) => (j + 1 + k < n ? `s${j + 1 + k}` : 'exit'));
    if (xdp && s.k === 'pkt') its = [LoadMem(s.dst, 6, 0, 'W'), LoadMem(1, 6, 4, 'W'), ...its.slice(2)];
    items.push(...its);
  });
  items.push(Label('exit'), Mov64.imm(0, 0), Exit());
  return fromInstructions(resolveLabels(items));
}

function mapDesc(id: number, mapType: number, keySize: number, valueSize: number, maxEntries: number): MapDescriptor {
  return { id, mapType, keySize, valueSize, maxEntries, mapFlags: 0, name: `m${id}`, exclProgSha: null, frozen: false, innerMap: null };
}

/** The verify request for a spec: map fds 3 (ARRAY), 4 (HASH), 5 (RINGBUF, 4096 bytes). */
export function specRequest(spec: ProgramSpec, program: Program = specProgram(spec)): VerifyRequest {
  const maps = [
    mapDesc(1, BPF_MAP_TYPE.ARRAY, 4, spec.valueSize, spec.maxEntries),
    mapDesc(2, BPF_MAP_TYPE.HASH, 4, spec.valueSize, 8),
    mapDesc(3, BPF_MAP_TYPE.RINGBUF, 0, 0, 4096),
  ];
  return {
    program, progType: spec.progType, progFlags: spec.progType === BPF_PROG_TYPE.SYSCALL ? 16 : 0, logLevel: 0,
    resolveMapFd: (fd) => maps[fd - 3] ?? { errno: ERRNO.EBADF },
  };
}

/**
 * The spec as a batch / oracle case (category `random`): the maps of {@link specRequest}, each
 * with the ld_imm64 slots that load it.
 */
export function specCase(id: string, spec: ProgramSpec): CorpusCase {
  const p = specProgram(spec);
  const slots: number[][] = [[], [], []];
  for (let i = 0; i < p.length; i++) {
    if (p.code[i] === 0x18 && p.src[i] === 1 && p.imm[i] >= 3 && p.imm[i] <= 5) slots[p.imm[i] - 3].push(i);
  }
  const bytes = encode(p);
  // The fds are placeholders: the case format patches each map's fd into its slots.
  for (const s of slots.flat()) bytes.fill(0, s * 8 + 4, s * 8 + 8);
  const name = progTypeName(spec.progType) ?? String(spec.progType);
  return {
    id, category: 'random', prog_type: name, prog_flags: spec.progType === BPF_PROG_TYPE.SYSCALL ? 16 : 0, insns: toHex(bytes),
    maps: [
      { type: 'array', key_size: 4, value_size: spec.valueSize, max_entries: spec.maxEntries, flags: 0, slots: slots[0] },
      { type: 'hash', key_size: 4, value_size: spec.valueSize, max_entries: 8, flags: 0, slots: slots[1] },
      { type: 'ringbuf', key_size: 0, value_size: 0, max_entries: 4096, flags: 0, slots: slots[2] },
    ],
  };
}
