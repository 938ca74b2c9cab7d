/**
 * The disassembler's spellings and options. Expected kernel text follows the format strings of
 * Linux's kernel/bpf/disasm.c (`(%02x) r%d = *(%s *)(r%d %+d)`, `if r%d %s 0x%x goto pc%+d`, ...),
 * llvm text llvm-objdump's; the goldens (kernel-log, llvm-golden) check the same against the tools.
 */
import { describe, expect, it } from 'vitest';
import { disassemble, disassembleInstruction } from '../../src/isa/disasm.js';
import { Op } from '../../src/isa/ops.js';
import { decode, type Instruction } from '../../src/isa/program.js';
import { bytesOf } from './support/bytes.js';

const k = (b: string, opts = {}) => disassemble(decode(bytesOf(b)), { syntax: 'kernel', ...opts });
const l = (b: string, opts = {}) => disassemble(decode(bytesOf(b)), { syntax: 'llvm', ...opts });
const c = (b: string, opts = {}) => disassemble(decode(bytesOf(b)), { syntax: 'conformance', ...opts });

describe('kernel syntax (disasm.c)', () => {
  it.each([
    ['61 10 04 00 00 00 00 00', 'r0 = *(u32 *)(r1 +4)'],
    ['79 a1 f8 ff 00 00 00 00', 'r1 = *(u64 *)(r10 -8)'],
    ['91 10 00 00 00 00 00 00', 'r0 = *(s8 *)(r1 +0)'],
    ['7b 1a f8 ff 00 00 00 00', '*(u64 *)(r10 -8) = r1'],
    ['62 0a fc ff fb ff ff ff', '*(u32 *)(r10 -4) = -5'],
    ['25 01 02 00 03 00 00 00', 'if r1 > 0x3 goto pc+2'],
    ['a5 01 fb ff fd ff ff ff', 'if r1 < 0xfffffffd goto pc-5'],
    ['ce 21 fb ff 00 00 00 00', 'if w1 s< w2 goto pc-5'],
    ['4d 21 00 00 00 00 00 00', 'if r1 & r2 goto pc+0'],
    ['85 00 00 00 01 00 00 00', 'call bpf_map_lookup_elem#1'],
    ['85 00 00 00 00 00 00 00', 'call bpf_unspec#0'],
    ['85 00 00 00 9f 86 01 00', 'call unknown#99999'],
    ['85 10 00 00 02 00 00 00', 'call pc+2'],
    ['85 20 00 00 07 00 00 00', 'call kernel-function#7'],
    ['18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11', 'r1 = 0x1122334455667788'],
    ['18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00', 'r1 = 0x0'],
    ['18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00', 'r1 = map[fd:3]'],
    ['18 21 00 00 03 00 00 00 00 00 00 00 10 00 00 00', 'r1 = map[fd:3][0]+16'],
    ['18 51 00 00 01 00 00 00 00 00 00 00 00 00 00 00', 'r1 = map[idx:1]'],
    ['18 61 00 00 01 00 00 00 00 00 00 00 08 00 00 00', 'r1 = map[idx:1][0]+8'],
    ['18 42 00 00 03 00 00 00 00 00 00 00 00 00 00 00', 'r2 = subprog[+3]'],
    ['18 31 00 00 05 00 00 00 00 00 00 00 00 00 00 00', '.insn code=0x18, dst=1, src=3, off=0, imm=0x5'],
    ['db a1 f8 ff 00 00 00 00', 'lock *(u64 *)(r1 -8) += r10'],
    ['c3 1a f8 ff 40 00 00 00', 'lock *(u32 *)(r10 -8) |= r1'],
    ['db 21 00 00 01 00 00 00', 'r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)'],
    ['c3 21 00 00 51 00 00 00', 'r2 = atomic_fetch_and((u32 *)(r1 +0), r2)'],
    ['db 21 00 00 e1 00 00 00', 'r2 = atomic64_xchg((u64 *)(r1 +0), r2)'],
    ['c3 21 00 00 f1 00 00 00', 'r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)'],
    ['db 10 00 00 00 01 00 00', 'r0 = load_acquire((u64 *)(r1 +0))'],
    ['d3 21 02 00 10 01 00 00', 'store_release((u8 *)(r1 +2), r2)'],
    ['07 01 00 00 f8 ff ff ff', 'r1 += -8'],
    ['37 00 01 00 03 00 00 00', 'r0 s/= 3'],
    ['9c 10 01 00 00 00 00 00', 'w0 s%= w1'],
    ['bf 10 08 00 00 00 00 00', 'r0 = (s8)r1'],
    ['bc 10 10 00 00 00 00 00', 'w0 = (s16)w1'],
    ['87 03 00 00 00 00 00 00', 'r3 = -r3'],
    ['84 03 00 00 00 00 00 00', 'w3 = -w3'],
    ['dc 01 00 00 10 00 00 00', 'r1 = be16 r1'],
    ['d4 01 00 00 40 00 00 00', 'r1 = le64 r1'],
    ['d7 01 00 00 20 00 00 00', 'r1 = bswap32 r1'],
    ['30 00 00 00 04 00 00 00', 'r0 = *(u8 *)skb[4]'],
    ['48 20 00 00 fc ff ff ff', 'r0 = *(u16 *)skb[r2 + -4]'],
    ['05 00 03 00 00 00 00 00', 'goto pc+3'],
    ['06 00 00 00 fb ff ff ff', 'gotol pc-5'],
    ['e5 00 03 00 00 00 00 00', 'may_goto pc+3'],
    ['8d 02 00 00 00 00 00 00', 'callx r2'],
    ['8d 00 00 00 02 00 00 00', '.insn code=0x8d, dst=0, src=0, off=0, imm=2'],
    ['85 20 05 00 07 00 00 00', '.insn code=0x85, dst=0, src=2, off=5, imm=7'],
    ['95 00 00 00 00 00 00 00', 'exit'],
  ])('%s → %s', (bytes, text) => {
    expect(k(bytes)).toEqual([text]);
  });

  it('names helpers and kfuncs through the callbacks, and map ids on request', () => {
    expect(k('85 00 00 00 01 00 00 00', { helperNames: (id: number) => (id === 1 ? 'lookup' : undefined) })).toEqual(['call lookup#1']);
    expect(k('85 00 00 00 02 00 00 00', { helperNames: () => undefined })).toEqual(['call bpf_map_update_elem#2']);
    expect(k('85 20 00 00 07 00 00 00', { kfuncNames: (id: number) => (id === 7 ? 'bpf_rcu_read_lock' : undefined) })).toEqual(['call bpf_rcu_read_lock#7']);
    expect(k('18 11 00 00 1a 00 00 00 00 00 00 00 00 00 00 00', { mapIds: true })).toEqual(['r1 = map[id:26]']);
  });

  it('prints bpftool\'s index and disasm.c\'s opcode prefix', () => {
    const text = k('b7 00 00 00 00 00 00 00 18 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00', { indices: true, opcodes: true });
    expect(text).toEqual(['   0: (b7) r0 = 0', '   1: (18) r1 = 0x1', '   3: (95) exit']);
    const long = disassemble(decode(new Uint8Array(8 * 1001).fill(0).map((_, i) => (i % 8 === 0 ? 0xb7 : 0))), { indices: true });
    expect(long[999]).toBe(' 999: r0 = 0');
    expect(long[1000]).toBe(' 1000: r0 = 0');
  });

  it('prints labels for branch and call targets in range, offsets otherwise', () => {
    const text = k([
      '15 01 02 00 00 00 00 00', // 0: if r1 == 0 goto +2 → 3
      '85 10 00 00 03 00 00 00', // 1: call +3 → 5
      '05 00 fd ff 00 00 00 00', // 2: goto -3 → 0
      '18 42 00 00 fc ff ff ff 00 00 00 00 00 00 00 00', // 3: r2 = subprog[-4] → 0
      '05 00 05 00 00 00 00 00', // 5: goto +5 → 11, outside the program
      '95 00 00 00 00 00 00 00', // 6
    ].join(' '), { labels: true });
    expect(text).toEqual([
      'L0:', 'if r1 == 0x0 goto L3', 'call L5', 'goto L0', 'L3:', 'r2 = subprog[L0]', 'L5:', 'goto pc+5', 'exit',
    ]);
    // A target inside an ld_imm64 has no label.
    expect(k('05 00 01 00 00 00 00 00 18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00', { labels: true }))
      .toEqual(['goto pc+1', 'r1 = 0x0', 'exit']);
  });

  it('prints invalid slots as `.insn` and keeps every byte of a broken ld_imm64', () => {
    expect(k('8f 00 00 00 00 00 00 00')).toEqual(['.insn code=0x8f, dst=0, src=0, off=0, imm=0']);
    expect(k('18 01 00 00 01 00 00 00 07 00 00 00 02 00 00 00')).toEqual([
      '.insn code=0x18, dst=1, src=0, off=0, imm=1', 'r0 += 2',
    ]);
    expect(k('95 00 00 00 00 00 00 00 18 01 00 00 01 00 00 00')).toEqual(['exit', '.insn code=0x18, dst=1, src=0, off=0, imm=1']);
    expect(l('8f 00 00 00 00 00 00 00')).toEqual(['<unknown>']);
    expect(c('8f 00 00 00 00 00 00 00')).toEqual(['.insn code=0x8f, dst=0, src=0, off=0, imm=0']);
  });
});

describe('llvm syntax (llvm-objdump)', () => {
  it.each([
    ['07 01 00 00 fc ff ff ff', 'r1 += -4', 'r1 += -0x4'],
    ['61 10 04 00 00 00 00 00', 'r0 = *(u32 *)(r1 + 4)', 'r0 = *(u32 *)(r1 + 0x4)'],
    ['7b 1a f8 ff 00 00 00 00', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 0x8) = r1'],
    ['18 01 00 00 ff ff ff ff 00 00 00 00 00 00 00 00', 'r1 = 4294967295 ll', 'r1 = 0xffffffff ll'],
    ['18 01 00 00 00 00 00 80 00 00 00 00 ff ff ff ff', 'r1 = -2147483648 ll', 'r1 = -0x80000000 ll'],
    ['18 21 00 00 05 00 00 00 00 00 00 00 10 00 00 00', 'ld_pseudo r1, 2, 5', 'ld_pseudo r1, 0x2, 0x5'],
    ['15 00 04 00 00 00 00 00', 'if r0 == 0 goto +4', 'if r0 == 0x0 goto +0x4'],
    ['05 00 f8 ff 00 00 00 00', 'goto -8', 'goto -0x8'],
    ['06 00 00 00 01 00 00 00', 'gotol +1', 'gotol +0x1'],
    ['85 10 00 00 ff ff ff ff', 'call -1', 'call -0x1'],
    ['db 10 00 00 00 00 00 00', 'lock *(u64 *)(r0 + 0) += r1', 'lock *(u64 *)(r0 + 0x0) += r1'],
    ['c3 21 00 00 41 00 00 00', 'w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)', 'w2 = atomic_fetch_or((u32 *)(r1 + 0x0), w2)'],
    ['db 21 00 00 e1 00 00 00', 'r2 = xchg_64(r1 + 0, r2)', 'r2 = xchg_64(r1 + 0x0, r2)'],
    ['c3 21 f8 ff f1 00 00 00', 'w0 = cmpxchg32_32(r1 - 8, w0, w2)', 'w0 = cmpxchg32_32(r1 - 0x8, w0, w2)'],
    ['d3 21 00 00 10 01 00 00', 'store_release((u8 *)(r1 + 0), w2)', 'store_release((u8 *)(r1 + 0x0), w2)'],
    ['50 20 00 00 00 00 00 00', 'r0 = *(u8 *)skb[r2]', 'r0 = *(u8 *)skb[r2]'],
    ['8d 02 00 00 00 00 00 00', 'callx r2', 'callx r2'],
  ])('%s → %s / %s', (bytes, dec, hexText) => {
    expect(l(bytes)).toEqual([dec]);
    expect(l(bytes, { hex: true })).toEqual([hexText]);
  });

  it('prints objdump\'s layout and symbol annotations', () => {
    const bytes = 'b7 01 00 00 05 00 00 00 05 00 fe ff 00 00 00 00 05 00 fd ff 00 00 00 00 18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00';
    expect(l(bytes, { bytes: true, symbols: [{ name: 'f', slot: 0 }, { name: 'g', slot: 2 }] })).toEqual([
      '       0:\tb7 01 00 00 05 00 00 00\tr1 = 5',
      '       1:\t05 00 fe ff 00 00 00 00\tgoto -2 <f>',
      '       2:\t05 00 fd ff 00 00 00 00\tgoto -3 <f>',
      '       3:\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0 ll',
    ]);
    expect(l('05 00 00 00 00 00 00 00 05 00 ff ff 00 00 00 00', { symbols: [{ name: 'f', slot: 0 }] })).toEqual(['goto +0 <f+0x8>', 'goto -1 <f+0x8>']);
    expect(l('05 00 00 00 00 00 00 00', { indices: true })).toEqual(['       0:\tgoto +0']);
  });
});

describe('conformance syntax', () => {
  it.each([
    ['61 10 00 00 00 00 00 00', 'ldxw %r0, [%r1]'],
    ['61 10 04 00 00 00 00 00', 'ldxw %r0, [%r1+4]'],
    ['7a 0a f8 ff 05 00 00 00', 'stdw [%r10-8], 5'],
    ['c3 1a f8 ff a1 00 00 00', 'lock fetch xor32 [%r10-8], %r1'],
    ['db 21 00 00 f1 00 00 00', 'lock cmpxchg [%r1], %r2'],
    ['05 00 00 00 00 00 00 00', 'ja +0'],
    ['55 01 fb ff 03 00 00 00', 'jne %r1, 3, -5'],
    ['85 20 00 00 07 00 00 00', 'call runtime 7'],
    ['d3 01 00 00 00 01 00 00', 'ldacqb %r1, [%r0]'],
    ['18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff', 'lddw %r1, 0xffffffffffffffff'],
    ['18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00', '.insn code=0x18, dst=1, src=1, off=0, imm=0x3'],
  ])('%s → %s', (bytes, text) => {
    expect(c(bytes)).toEqual([text]);
  });
});

it('disassembleInstruction prints one instruction, kernel syntax by default', () => {
  const ins: Instruction = { op: Op.JA, dst: 0, src: 0, off: 7, imm: 0 };
  expect(disassembleInstruction(ins)).toBe('goto pc+7');
  expect(disassembleInstruction(ins, { syntax: 'llvm' })).toBe('goto +7');
  expect(disassembleInstruction(ins, { syntax: 'conformance' })).toBe('ja +7');
});
