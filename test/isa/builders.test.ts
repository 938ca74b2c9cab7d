/**
 * The cilium/ebpf-style builders: each picks the right operation (checked against hand-written
 * encodings), labels resolve when the program is assembled, every builder's output passes
 * validate() (a property over random calls of every builder), and bad arguments are typed errors.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import * as B from '../../src/isa/builders.js';
import {
  Add32, Add64, assemble, assembleBytes, BuildError, Call, CallKfunc, CallLocal, CallX, Exit, JEq, JNE32, Ja, Ja32,
  Label, LoadAbs, LoadAcquire, LoadFunc, LoadImm64, LoadInd, LoadMapFd, LoadMapValue, LoadMem, LoadMemSX, MayGoto,
  Mov64, MovSX32, MovSX64, Neg32, R0, R1, R10, R2, R3, SDiv64, StoreImm, StoreMem, StoreRelease, ToBE, BSwap,
  AtomicFetchAdd, AtomicCmpXchg, type AsmItem, type Reg,
} from '../../src/isa/builders.js';
import { disassemble } from '../../src/isa/disasm.js';
import { Op } from '../../src/isa/ops.js';
import { encode } from '../../src/isa/program.js';
import { IsaError, validate } from '../../src/isa/validate.js';
import { bytesOf, hex } from './support/bytes.js';

const one = (item: AsmItem) => hex(assembleBytes([item], { validate: false }));
const want = (b: string) => hex(bytesOf(b));

describe('single builders encode as the ISA says', () => {
  it.each<[string, AsmItem, string]>([
    ['Add64.imm(R1, 4)', Add64.imm(R1, 4), '07 01 00 00 04 00 00 00'],
    ['Add32.reg(R1, R2)', Add32.reg(R1, R2), '0c 21 00 00 00 00 00 00'],
    ['Add32.imm(R1, 0xffffffff)', Add32.imm(R1, 0xffffffff), '04 01 00 00 ff ff ff ff'],
    ['Mov64.imm(R0, 0)', Mov64.imm(R0, 0), 'b7 00 00 00 00 00 00 00'],
    ['SDiv64.imm(R0, 3)', SDiv64.imm(R0, 3), '37 00 01 00 03 00 00 00'],
    ['Neg32(R3)', Neg32(R3), '84 03 00 00 00 00 00 00'],
    ['MovSX64(R0, R1, 32)', MovSX64(R0, R1, 32), 'bf 10 20 00 00 00 00 00'],
    ['MovSX32(R0, R1, 8)', MovSX32(R0, R1, 8), 'bc 10 08 00 00 00 00 00'],
    ['ToBE(R1, 64)', ToBE(R1, 64), 'dc 01 00 00 40 00 00 00'],
    ['BSwap(R0, 16)', BSwap(R0, 16), 'd7 00 00 00 10 00 00 00'],
    ['LoadMem(R0, R1, 4, W)', LoadMem(R0, R1, 4, 'W'), '61 10 04 00 00 00 00 00'],
    ['LoadMemSX(R0, R1, 2, B)', LoadMemSX(R0, R1, 2, 'B'), '91 10 02 00 00 00 00 00'],
    ['StoreMem(R10, -8, R1, DW)', StoreMem(R10, -8, R1, 'DW'), '7b 1a f8 ff 00 00 00 00'],
    ['StoreImm(R10, -8, 5, DW)', StoreImm(R10, -8, 5, 'DW'), '7a 0a f8 ff 05 00 00 00'],
    ['LoadImm64(R1, 0x1122334455667788n)', LoadImm64(R1, 0x1122334455667788n), '18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11'],
    ['LoadImm64(R1, -1)', LoadImm64(R1, -1), '18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'],
    ['LoadMapFd(R1, 3)', LoadMapFd(R1, 3), '18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00'],
    ['LoadMapValue(R1, 3, 16)', LoadMapValue(R1, 3, 16), '18 21 00 00 03 00 00 00 00 00 00 00 10 00 00 00'],
    ['LoadAbs(4, H)', LoadAbs(4, 'H'), '28 00 00 00 04 00 00 00'],
    ['LoadInd(R2, 4, W)', LoadInd(R2, 4, 'W'), '40 20 00 00 04 00 00 00'],
    ['AtomicFetchAdd(R10, -8, R1, W)', AtomicFetchAdd(R10, -8, R1, 'W'), 'c3 1a f8 ff 01 00 00 00'],
    ['AtomicCmpXchg(R1, 0, R2, DW)', AtomicCmpXchg(R1, 0, R2, 'DW'), 'db 21 00 00 f1 00 00 00'],
    ['LoadAcquire(R0, R1, 0, DW)', LoadAcquire(R0, R1, 0, 'DW'), 'db 10 00 00 00 01 00 00'],
    ['StoreRelease(R1, 0, R2, B)', StoreRelease(R1, 0, R2, 'B'), 'd3 21 00 00 10 01 00 00'],
    ['Call(1)', Call(1), '85 00 00 00 01 00 00 00'],
    ['Call(bpf_ringbuf_output)', Call('bpf_ringbuf_output'), '85 00 00 00 82 00 00 00'],
    ['CallKfunc(1234, 1)', CallKfunc(1234, 1), '85 20 01 00 d2 04 00 00'],
    ['CallX(R2)', CallX(R2), '8d 02 00 00 00 00 00 00'],
    ['Ja(3)', Ja(3), '05 00 03 00 00 00 00 00'],
    ['Ja32(-2)', Ja32(-2), '06 00 00 00 fe ff ff ff'],
    ['MayGoto(1)', MayGoto(1), 'e5 00 01 00 00 00 00 00'],
    ['Exit()', Exit(), '95 00 00 00 00 00 00 00'],
  ])('%s', (_name, item, bytes) => {
    expect(one(item)).toBe(want(bytes));
  });
});

describe('assemble', () => {
  it('resolves labels for jumps, local calls and callbacks', () => {
    const p = assemble([
      Mov64.imm(R0, 0),
      JEq.reg(R1, R2, 'out'),
      LoadImm64(R3, 1n << 40n),
      CallLocal('fn'),
      LoadFunc(R2, 'fn'),
      Label('out'),
      Exit(),
      Label('fn'),
      Mov64.imm(R0, 1),
      Exit(),
    ]);
    expect(hex(encode(p))).toBe(want([
      'b7 00 00 00 00 00 00 00', '1d 21 05 00 00 00 00 00', '18 03 00 00 00 00 00 00 00 00 00 00 00 01 00 00',
      '85 10 00 00 03 00 00 00', '18 42 00 00 02 00 00 00 00 00 00 00 00 00 00 00', '95 00 00 00 00 00 00 00',
      'b7 00 00 00 01 00 00 00', '95 00 00 00 00 00 00 00',
    ].join(' ')));
    expect(disassemble(p, { labels: true })).toEqual([
      'r0 = 0', 'if r1 == r2 goto L7', 'r3 = 0x10000000000', 'call L8', 'r2 = subprog[L8]', 'L7:', 'exit', 'L8:', 'r0 = 1', 'exit',
    ]);
  });

  it('throws the validator\'s error for an invalid program', () => {
    expect(() => assemble([Mov64.imm(R10, 1), Exit()])).toThrow(IsaError);
    expect(() => assemble([Mov64.imm(R10, 1), Exit()])).toThrow('frame pointer is read only');
    expect(() => assemble([Ja(5), Exit()])).toThrow('jump out of range from insn 0 to 6');
    expect(assemble([Mov64.imm(R10, 1)], { validate: false }).length).toBe(1);
  });

  it.each<[string, () => unknown, RegExp]>([
    ['a register beyond r10', () => Mov64.reg(R1, 11 as Reg), /src must be a register r0..r10, got 11/],
    ['a 64-bit immediate beyond s32', () => Add64.imm(R1, 0x80000000), /immediate 2147483648 is out of range/],
    ['an offset beyond s16', () => LoadMem(R0, R1, 40000, 'W'), /offset 40000 is out of range/],
    ['a non-integer', () => Add64.imm(R1, 1.5), /immediate 1.5/],
    ['an unknown helper', () => Call('no_such_helper'), /unknown helper 'no_such_helper'/],
    ['a 64-bit value beyond u64', () => LoadImm64(R1, 1n << 64n), /out of range/],
    ['an undefined label', () => assemble([JNE32.imm(R1, 0, 'nowhere'), Exit()]), /undefined label 'nowhere'/],
    ['a duplicate label', () => assemble([Label('a'), Exit(), Label('a'), Exit()]), /duplicate label 'a'/],
    ['a label out of 16-bit range', () => assemble([Ja('far'), ...Array.from({ length: 40000 }, () => Mov64.imm(R0, 0)), Label('far'), Exit()]), /out of 16-bit range/],
  ])('refuses %s', (_name, f, msg) => {
    expect(f).toThrow(msg);
    try { f(); } catch (e) { expect(e).toBeInstanceOf(BuildError); }
  });

  it('reaches a far label with Ja32', () => {
    const p = assemble([Ja32('far'), ...Array.from({ length: 40000 }, () => Mov64.imm(R0, 0)), Label('far'), Exit()]);
    expect(p.imm[0]).toBe(40000);
  });
});

// ---- every builder's output validates -------------------------------------------------------
const writable = fc.integer({ min: 0, max: 9 }) as fc.Arbitrary<Reg>;
const anyReg = fc.integer({ min: 0, max: 10 }) as fc.Arbitrary<Reg>;
const s32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const s16 = fc.integer({ min: -0x8000, max: 0x7fff });
const size = fc.constantFrom<B.Size>('B', 'H', 'W', 'DW');
const small = fc.constantFrom<Exclude<B.Size, 'DW'>>('B', 'H', 'W');
const aw = fc.constantFrom<'W' | 'DW'>('W', 'DW');

const ALU = Object.entries(B).filter(([n]) => /^(Add|Sub|Mul|Div|SDiv|Mod|SMod|Or|And|LSh|RSh|ArSh|Xor|Mov)(64|32)$/.test(n))
  .map(([, v]) => v as B.AluBuilder);
const JMP = Object.entries(B).filter(([n]) => /^J(Eq|NE|GT|GE|LT|LE|SGT|SGE|SLT|SLE|Set)(32)?$/.test(n))
  .map(([, v]) => v as B.JumpBuilder);
const ATOMICS = ['add', 'or', 'and', 'xor', 'fetch_add', 'fetch_or', 'fetch_and', 'fetch_xor', 'xchg', 'cmpxchg'] as const;

/** One random builder call; `label` picks a branch target among the program's labels. */
const item = (label: fc.Arbitrary<string>): fc.Arbitrary<AsmItem> => fc.oneof(
  fc.tuple(fc.constantFrom(...ALU), writable, anyReg, s32, fc.boolean()).map(([b, d, s, k, imm]) => (imm ? b.imm(d, k) : b.reg(d, s))),
  fc.tuple(fc.constantFrom(...JMP), anyReg, anyReg, s32, fc.boolean(), label).map(([b, d, s, k, imm, t]) => (imm ? b.imm(d, k, t) : b.reg(d, s, t))),
  label.map((t) => Ja(t)), label.map((t) => Ja32(t)), label.map((t) => MayGoto(t)), label.map((t) => CallLocal(t)),
  fc.tuple(writable, label).map(([d, t]) => LoadFunc(d, t)),
  writable.map((d) => B.Neg64(d)), writable.map((d) => Neg32(d)),
  fc.tuple(writable, anyReg, fc.constantFrom<8 | 16 | 32>(8, 16, 32)).map(([d, s, b]) => MovSX64(d, s, b)),
  fc.tuple(writable, anyReg, fc.constantFrom<8 | 16>(8, 16)).map(([d, s, b]) => MovSX32(d, s, b)),
  fc.tuple(fc.constantFrom(B.ToLE, ToBE, BSwap), writable, fc.constantFrom<16 | 32 | 64>(16, 32, 64)).map(([f, d, b]) => f(d, b)),
  fc.tuple(writable, fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n })).map(([d, v]) => LoadImm64(d, v)),
  fc.tuple(writable, fc.nat()).map(([d, fd]) => LoadMapFd(d, fd)),
  fc.tuple(writable, fc.nat(), fc.nat()).map(([d, fd, off]) => LoadMapValue(d, fd, off)),
  fc.tuple(writable, anyReg, s16, size).map(([d, s, o, z]) => LoadMem(d, s, o, z)),
  fc.tuple(writable, anyReg, s16, small).map(([d, s, o, z]) => LoadMemSX(d, s, o, z)),
  fc.tuple(anyReg, s16, anyReg, size).map(([d, o, s, z]) => StoreMem(d, o, s, z)),
  fc.tuple(anyReg, s16, s32, size).map(([d, o, v, z]) => StoreImm(d, o, v, z)),
  fc.tuple(s32, small).map(([o, z]) => LoadAbs(o, z)),
  fc.tuple(anyReg, s32, small).map(([s, o, z]) => LoadInd(s, o, z)),
  fc.tuple(fc.constantFrom(...ATOMICS), anyReg, s16, anyReg, aw).map(([op, d, o, s, z]) => B.Atomic(op, d, o, s, z)),
  fc.tuple(writable, anyReg, s16, size).map(([d, s, o, z]) => LoadAcquire(d, s, o, z)),
  fc.tuple(anyReg, s16, anyReg, size).map(([d, o, s, z]) => StoreRelease(d, o, s, z)),
  fc.nat({ max: 211 }).map((id) => Call(id)),
  fc.tuple(fc.nat(), s16).map(([id, idx]) => CallKfunc(id, idx)),
  writable.map((r) => CallX(r)),
  fc.constant(Exit()),
);

const program = fc.integer({ min: 1, max: 8 }).chain((nLabels) => {
  const names = Array.from({ length: nLabels }, (_, i) => `l${i}`);
  return fc.tuple(fc.array(item(fc.constantFrom(...names)), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { minLength: nLabels, maxLength: nLabels }))
    .map(([items, at]) => {
      const out: AsmItem[] = [...items];
      // Insert the labels at random instruction boundaries (at most one past the end would be out of range).
      names.forEach((name, i) => out.splice(at[i] % out.length, 0, Label(name)));
      return out;
    });
});

describe('every builder output validates', () => {
  test.prop([program], { numRuns: 500 })('random programs of every builder assemble and validate', (items) => {
    const p = assemble(items);
    expect(validate(p)).toBeNull();
    // The assembled program holds the operations the builders chose, in order.
    const ops = items.flatMap((it) => (it.kind === 'insn' ? [it.ins.op] : []));
    const decoded: number[] = [];
    for (let i = 0; i < p.length; i++) if (p.op[i] !== Op.LDDW_HI) decoded.push(p.op[i]);
    expect(decoded).toEqual(ops);
  });

  it('covers every ALU and jump builder', () => {
    expect(ALU.length).toBe(28);
    expect(JMP.length).toBe(22);
  });
});
