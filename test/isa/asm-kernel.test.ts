/**
 * The kernel/LLVM-syntax assembler: every spelling llvm-objdump (LLVM 14 and 17–20), disasm.c and
 * bpftool print, with expected bytes written out from the ISA encoding (RFC 9669 / README §5),
 * listing decorations, labels, options, and errors with line numbers.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { AsmError } from '../../src/isa/asm-error.js';
import { assembleKernel, assembleKernelProgram, type KernelAsmOptions } from '../../src/isa/asm-kernel.js';
import { encode } from '../../src/isa/program.js';
import { bytesOf, hex } from './support/bytes.js';

const asm = (text: string, opts?: KernelAsmOptions) => hex(encode(assembleKernelProgram(text, opts)));
const want = (b: string) => hex(bytesOf(b));

const SPELLINGS: ReadonlyArray<readonly [string, string]> = [
  ['r0 = 1', 'b7 00 00 00 01 00 00 00'],
  ['w0 = w1', 'bc 10 00 00 00 00 00 00'],
  ['r0 += 1', '07 00 00 00 01 00 00 00'],
  ['r0 s/= 3', '37 00 01 00 03 00 00 00'],
  ['r0 s%= r1', '9f 10 01 00 00 00 00 00'],
  ['r0 = -r0', '87 00 00 00 00 00 00 00'],
  ['w3 = -w3', '84 03 00 00 00 00 00 00'],
  ['r0 = (s8)r1', 'bf 10 08 00 00 00 00 00'],
  ['r0 = (s32)r1', 'bf 10 20 00 00 00 00 00'],
  ['w0 = (s16)w1', 'bc 10 10 00 00 00 00 00'],
  ['r0 = be16 r0', 'dc 00 00 00 10 00 00 00'],
  ['r0 = le64 r0', 'd4 00 00 00 40 00 00 00'],
  ['r0 = bswap32 r0', 'd7 00 00 00 20 00 00 00'],
  ['r0 = *(u32 *)(r10 - 4)', '61 a0 fc ff 00 00 00 00'],
  ['r0 = *(u32 *)(r1 +4)', '61 10 04 00 00 00 00 00'],
  ['r0 = *(u64 *)(r10 - 0x8000)', '79 a0 00 80 00 00 00 00'],
  ['r0 = *(s8 *)(r1 + 0)', '91 10 00 00 00 00 00 00'],
  ['w0 = *(u16 *)(r1 + 2)', '69 10 02 00 00 00 00 00'],
  ['*(u64 *)(r10 - 8) = r1', '7b 1a f8 ff 00 00 00 00'],
  ['*(u64 *)(r10 -8) = r1', '7b 1a f8 ff 00 00 00 00'],
  ['*(u8 *)(r10 - 1) = w1', '73 1a ff ff 00 00 00 00'],
  ['*(u32 *)(r1 + 0) = 7', '62 01 00 00 07 00 00 00'],
  ['*(u64 *)(r1 +0) = -7', '7a 01 00 00 f9 ff ff ff'],
  ['lock *(u64 *)(r1 + 0) += r2', 'db 21 00 00 00 00 00 00'],
  ['lock *(u32 *)(r1 + 0) += r2', 'c3 21 00 00 00 00 00 00'],
  ['lock *(u32 *)(r1 + 0) |= w2', 'c3 21 00 00 40 00 00 00'],
  ['lock *(u64 *)(r10 -8) ^= r1', 'db 1a f8 ff a0 00 00 00'],
  ['r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)', 'db 21 00 00 01 00 00 00'],
  ['w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)', 'c3 21 00 00 41 00 00 00'],
  ['r2 = atomic64_fetch_and((u64 *)(r1 +0), r2)', 'db 21 00 00 51 00 00 00'],
  ['r2 = atomic_fetch_xor((u32 *)(r1 -4), r2)', 'c3 21 fc ff a1 00 00 00'],
  ['r2 = xchg_64(r1 + 0, r2)', 'db 21 00 00 e1 00 00 00'],
  ['w2 = xchg32_32(r1 + 0, w2)', 'c3 21 00 00 e1 00 00 00'],
  ['r2 = atomic64_xchg((u64 *)(r1 +8), r2)', 'db 21 08 00 e1 00 00 00'],
  ['r0 = cmpxchg_64(r1 + 0, r0, r2)', 'db 21 00 00 f1 00 00 00'],
  ['w0 = cmpxchg32_32(r1 + 0, w0, w2)', 'c3 21 00 00 f1 00 00 00'],
  ['r0 = atomic_cmpxchg((u32 *)(r1 -8), r0, r2)', 'c3 21 f8 ff f1 00 00 00'],
  ['r0 = load_acquire((u64 *)(r1 + 0))', 'db 10 00 00 00 01 00 00'],
  ['w0 = load_acquire((u8 *)(r1 + 0))', 'd3 10 00 00 00 01 00 00'],
  ['store_release((u8 *)(r1 + 0), w2)', 'd3 21 00 00 10 01 00 00'],
  ['store_release((u64 *)(r1 -16), r2)', 'db 21 f0 ff 10 01 00 00'],
  ['r1 = 0x1122334455667788 ll', '18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11'],
  ['r1 = 4294967295 ll', '18 01 00 00 ff ff ff ff 00 00 00 00 00 00 00 00'],
  ['r1 = -2147483648 ll', '18 01 00 00 00 00 00 80 00 00 00 00 ff ff ff ff'],
  ['r1 = -0x1 ll', '18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'],
  ['ld_pseudo r1, 2, 5', '18 21 00 00 05 00 00 00 00 00 00 00 00 00 00 00'],
  ['r0 = *(u8 *)skb[4]', '30 00 00 00 04 00 00 00'],
  ['r0 = *(u32 *)skb[-0x3]', '20 00 00 00 fd ff ff ff'],
  ['r0 = *(u16 *)skb[r2 + 4]', '48 20 00 00 04 00 00 00'],
  ['r0 = *(u8 *)skb[r2]', '50 20 00 00 00 00 00 00'],
  ['goto +3', '05 00 03 00 00 00 00 00'],
  ['goto -0x8 <f+0x10>', '05 00 f8 ff 00 00 00 00'],
  ['gotol +5', '06 00 00 00 05 00 00 00'],
  ['gotol pc-2', '06 00 00 00 fe ff ff ff'],
  ['if r1 > 0x3 goto +2', '25 01 02 00 03 00 00 00'],
  ['if r1 > 0xfffffffd goto pc+2', '25 01 02 00 fd ff ff ff'],
  ['if w1 s< w2 goto -5', 'ce 21 fb ff 00 00 00 00'],
  ['if r1 & r2 goto +1', '4d 21 01 00 00 00 00 00'],
  ['if w1 s>= -0x3 goto +0x1', '76 01 01 00 fd ff ff ff'],
  ['call 1', '85 00 00 00 01 00 00 00'],
  ['call 0x83', '85 00 00 00 83 00 00 00'],
  ['call -1', '85 10 00 00 ff ff ff ff'],
  ['call pc+2', '85 10 00 00 02 00 00 00'],
  ['call pc+6#bpf_prog_c3388f987a52460a_bump', '85 10 00 00 06 00 00 00'],
  ['call bpf_map_lookup_elem#1', '85 00 00 00 01 00 00 00'],
  ['call bpf_map_lookup_elem', '85 00 00 00 01 00 00 00'],
  ['call ringbuf_output', '85 00 00 00 82 00 00 00'],
  ['call unknown#99999', '85 00 00 00 9f 86 01 00'],
  ['call kernel-function#7', '85 20 00 00 07 00 00 00'],
  ['call bpf_ktime_get_ns#269488', '85 00 00 00 b0 1c 04 00'],
  ['callx r2', '8d 02 00 00 00 00 00 00'],
  ['call r3', '8d 03 00 00 00 00 00 00'],
  ['may_goto +4', 'e5 00 04 00 00 00 00 00'],
  ['may_goto pc-1', 'e5 00 ff ff 00 00 00 00'],
  ['exit', '95 00 00 00 00 00 00 00'],
  ['.insn code=0x8d, dst=0, src=0, off=0, imm=3', '8d 00 00 00 03 00 00 00'],
  ['.insn code=0x18 dst=2 src=3 imm=0x100000005', '18 32 00 00 05 00 00 00 00 00 00 00 01 00 00 00'],
];

describe('assembleKernel spellings', () => {
  it.each(SPELLINGS)('%s', (text, bytes) => {
    expect(asm(text)).toBe(want(bytes));
  });
});

describe('bpftool / disasm.c listings', () => {
  it('reads index, opcode prefix, prototypes and source comments', () => {
    const text = [
      'int maps_prog(void * ctx):',
      '; int maps_prog(void *ctx)',
      '   0: (b7) r0 = 0',
      '   1: (bf) r1 = r10',
      '   2: (07) r1 += -8',
      '   3: (18) r1 = map[id:5]',
      '   5: (18) r2 = map[id:6][0]+16',
      '   7: (85) call bpf_map_lookup_elem#1',
      '   8: (05) goto pc+3',
      '   9: (85) call pc+2',
      '  10: (95) exit',
    ].join('\n');
    expect(asm(text)).toBe(want(
      'b7 00 00 00 00 00 00 00 bf a1 00 00 00 00 00 00 07 01 00 00 f8 ff ff ff '
      + '18 11 00 00 00 00 00 00 00 00 00 00 00 00 00 00 18 22 00 00 00 00 00 00 00 00 00 00 10 00 00 00 '
      + '85 00 00 00 01 00 00 00 05 00 03 00 00 00 00 00 85 10 00 00 02 00 00 00 95 00 00 00 00 00 00 00',
    ));
    // The function prototype defines a label: a local call can name it.
    expect(asm('call maps_prog\nint maps_prog(void * ctx):\nexit')).toBe(want('85 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00'));
  });

  it('maps map ids to fds when given a mapping, and refuses unknown ids then', () => {
    const fds = new Map([[5, 9]]);
    const opts = { mapFd: (id: number) => fds.get(id) };
    expect(asm('r1 = map[id:5]', opts)).toBe(want('18 11 00 00 09 00 00 00 00 00 00 00 00 00 00 00'));
    expect(asm('r1 = map[id:5][0]+4', opts)).toBe(want('18 21 00 00 09 00 00 00 00 00 00 00 04 00 00 00'));
    expect(() => asm('r1 = map[id:6]', opts)).toThrow('no fd for map id 6');
  });

  it('reads our own pseudo-source spellings', () => {
    expect(asm('r1 = map[fd:3]')).toBe(want('18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00'));
    expect(asm('r1 = map[idx:2][0]+8')).toBe(want('18 61 00 00 02 00 00 00 00 00 00 00 08 00 00 00'));
    expect(asm('r1 = map[idx:2]')).toBe(want('18 51 00 00 02 00 00 00 00 00 00 00 00 00 00 00'));
    expect(asm('r2 = subprog[+3]')).toBe(want('18 42 00 00 03 00 00 00 00 00 00 00 00 00 00 00'));
    // Counted like a call from the ld_imm64's first slot: target = slot + 1 + imm.
    expect(asm('r2 = subprog[cb]\nexit\ncb:\nexit')).toBe(want('18 42 00 00 02 00 00 00 00 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00'));
  });

  it('uses the byte line of bpftool\'s `opcodes` mode when asked', () => {
    const text = '   0: (b7) r0 = 0\n       b7 00 00 00 00 00 00 00\n   1: (95) exit\n       95 00 00 00 00 00 00 00';
    expect(asm(text, { byteColumns: 'verify' })).toBe(want('b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00'));
    expect(() => asm(text.replace('b7 00 00 00 00', 'b7 00 00 00 01'), { byteColumns: 'verify' })).toThrow(/line 1: 'r0 = 0' assembles to b7 00/);
  });
});

describe('llvm-objdump listings', () => {
  const listing = [
    '',
    'maps_globals.bpf.o:\tfile format elf64-bpf',
    '',
    'Disassembly of section syscall:',
    '',
    '0000000000000000 <maps_prog>:',
    '       0:\tb7 01 00 00 01 00 00 00\tr1 = 1',
    '       1:\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0 ll',
    '\t\t0000000000000008:  R_BPF_64_64\tarr',
    '       3:\t85 00 00 00 01 00 00 00\tcall 1',
    '       4:\t15 00 01 00 00 00 00 00\tif r0 == 0 goto +1 <maps_prog+0x30>',
    '       5:\t85 10 00 00 ff ff ff ff\tcall -1',
    '       6:\t95 00 00 00 00 00 00 00\texit',
  ].join('\n');
  const bytes = want('b7 01 00 00 01 00 00 00 18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 85 00 00 00 01 00 00 00 '
    + '15 00 01 00 00 00 00 00 85 10 00 00 ff ff ff ff 95 00 00 00 00 00 00 00');

  it('skips headers, relocations, indices, byte columns and target annotations', () => {
    expect(asm(listing)).toBe(bytes);
    expect(asm(listing, { byteColumns: 'verify' })).toBe(bytes);
  });

  it('takes `<unknown>` lines from their byte column (LLVM 14 on ISA v4 code)', () => {
    expect(asm('      0:\t37 00 01 00 03 00 00 00\t<unknown>\n      1:\t95 00 00 00 00 00 00 00\texit'))
      .toBe(want('37 00 01 00 03 00 00 00 95 00 00 00 00 00 00 00'));
    expect(() => asm('<unknown>')).toThrow(AsmError);
  });

  it('can take every instruction from the byte columns', () => {
    // LLVM 14 without alu32 prints a 32-bit fetch-add as `lock ... += r2`: only the bytes are right.
    const lossy = '      0:\tc3 21 00 00 01 00 00 00\tlock *(u32 *)(r1 + 0) += r2';
    expect(asm(lossy)).toBe(want('c3 21 00 00 00 00 00 00'));
    expect(asm(lossy, { byteColumns: 'use' })).toBe(want('c3 21 00 00 01 00 00 00'));
    expect(() => asm(lossy, { byteColumns: 'verify' })).toThrow(AsmError);
  });

  it('ignores the code-free directives of LLVM assembly', () => {
    expect(asm('\t.text\n\t.globl f\n\t.type f,@function\nf:\n\tr0 = 0\n\texit\n.Lend:\n\t.size f, .Lend-f')).toBe(
      want('b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00'),
    );
    expect(() => asm('\t.byte 1')).toThrow(/line 1: unknown directive '\.byte'/);
  });
});

describe('labels and comments', () => {
  it('resolves forward and backward labels in every form', () => {
    const text = [
      'entry:',
      '  r0 = 0            ; LLVM-style comment',
      '  if r1 == 0 goto out  // C++-style comment',
      'LBB0_2: r0 += 1      # hash comment',
      '  if r0 < 10 goto LBB0_2',
      '  goto <out>',
      '<out>:',
      '  call sub',
      '  exit',
      '0000000000000040 <sub>:',
      '  exit',
    ].join('\n');
    expect(asm(text)).toBe(want(
      'b7 00 00 00 00 00 00 00 15 01 03 00 00 00 00 00 07 00 00 00 01 00 00 00 a5 00 fe ff 0a 00 00 00 '
      + '05 00 00 00 00 00 00 00 85 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00',
    ));
  });

  it('prefers a label over a helper of the same name', () => {
    expect(asm('call map_lookup_elem\nexit\nmap_lookup_elem:\nexit')).toBe(want('85 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00'));
  });

  it('knows extra helper names when given', () => {
    expect(asm('call my_helper', { helperIds: (n) => (n === 'my_helper' ? 4242 : undefined) })).toBe(want('85 00 00 00 92 10 00 00'));
  });
});

describe('the `r1 = 0x10` ambiguity', () => {
  it('is an ld_imm64 in disasm.c text and a move in LLVM ≥ 18 text', () => {
    const lddw = '18 01 00 00 10 00 00 00 00 00 00 00 00 00 00 00';
    expect(asm('r1 = 0x10')).toBe(want(lddw));
    expect(asm('r1 = 16')).toBe(want('b7 01 00 00 10 00 00 00'));
    expect(asm('r1 = 0x10', { dialect: 'llvm' })).toBe(want('b7 01 00 00 10 00 00 00'));
    // Auto: LLVM features in the text select the LLVM reading...
    expect(asm('r1 = 0x10\nr2 = *(u64 *)(r1 + 0x0)')).toBe(want('b7 01 00 00 10 00 00 00 79 12 00 00 00 00 00 00'));
    expect(asm('r1 = 0x10\nr2 = 0x0 ll')).toBe(want(`b7 01 00 00 10 00 00 00 18 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00`));
    // ... disasm.c features the kernel one.
    expect(asm('r1 = 0x10\nr2 = *(u64 *)(r1 +0)')).toBe(want(`${lddw} 79 12 00 00 00 00 00 00`));
    // The opcode prefix decides whatever the dialect.
    expect(asm('(b7) r1 = 0x10', { dialect: 'kernel' })).toBe(want('b7 01 00 00 10 00 00 00'));
  });

  it('values beyond 32 signed bits are ld_imm64 in every dialect', () => {
    expect(asm('r1 = 0xffffffff', { dialect: 'llvm' })).toBe(want('18 01 00 00 ff ff ff ff 00 00 00 00 00 00 00 00'));
    expect(asm('r1 = 2147483648')).toBe(want('18 01 00 00 00 00 00 80 00 00 00 00 00 00 00 00'));
    expect(asm('w1 = 0xffffffff')).toBe(want('b4 01 00 00 ff ff ff ff'));
  });
});

describe('errors', () => {
  const cases: ReadonlyArray<readonly [string, RegExp]> = [
    ['r0 = 0\nr0 =', /^line 2: expected/],
    ['r0 = 0\n\nfoo r1', /^line 3: unknown instruction 'foo'/],
    ['goto nowhere', /^line 1: undefined label 'nowhere'/],
    ['a:\nexit\na:\nexit', /^line 3: duplicate label 'a'/],
    ['*(u32 *)(r1 + 40000) = r2', /^line 1: offset '40000' out of range for 16 bits/],
    ['r0 += 4294967296', /^line 1: immediate '4294967296' out of range for 32 bits/],
    ['w0 += r1', /^line 1: 'w0' and 'r1' differ in width/],
    ['r16 = 0', /^line 1: no such register 'r16'/],
    ['r1 = -r2', /^line 1: negation is in place/],
    ['r1 = be16 r2', /^line 1: byte swaps are in place/],
    ['r1 = cmpxchg_64(r2 + 0, r1, r3)', /^line 1: cmpxchg compares with r0/],
    ['r1 = atomic_fetch_add((u64 *)(r2 + 0), r3)', /returns the old value in its value register/],
    ['r1 = atomic64_fetch_add((u32 *)(r2 + 0), r1)', /needs a u64 access/],
    ['lock *(u16 *)(r1 + 0) += r2', /^line 1: no such instruction/],
    ['*(s8 *)(r1 + 0) = r2', /stores have no signed form/],
    ['w1 = *(s8 *)(r2 + 0)', /sign-extending loads write a 64-bit register/],
    ['w1 = *(u64 *)(r2 + 0)', /a 64-bit access takes a 64-bit register/],
    ['r1 = *(u32 *)(w2 + 0)', /a memory base must be a 64-bit register/],
    ['w1 = 1 ll', /ld_imm64 loads a 64-bit register/],
    ['r1 = 0x10000000000000000 ll', /out of range for 64 bits/],
    ['call nosuchthing', /'nosuchthing' is neither a label nor a known helper/],
    ['(07) r0 = 1', /^line 1: opcode \(07\) does not match 'r0 = 1'/],
    ['r1 = map[foo:1]', /is not a map reference/],
    ['goto +40000', /branch offset 40000 out of range for 16 bits/],
    ['r1 @= 2', /unexpected character '@'/],
    ['.insn code=0x8f', /no eBPF instruction/],
    ['.section .text', /unknown directive/],
    ['r0 = 1 2', /unexpected '2'/],
  ];
  it.each(cases)('%j', (text, msg) => {
    let err: unknown;
    try { assembleKernel(text); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(AsmError);
    expect((err as Error).message).toMatch(msg);
  });

  it('refuses a label jump beyond 16 bits', () => {
    const text = `goto far\n${'r0 = 0\n'.repeat(40000)}far:\nexit`;
    expect(() => assembleKernel(text)).toThrow(/line 1: jump to 'far' is out of 16-bit range/);
    expect(assembleKernel(text.replace('goto far', 'gotol far'))[0].imm).toBe(40000);
  });

  test.prop([fc.string({ maxLength: 200 })], { numRuns: 2000 })('any text assembles or throws AsmError, nothing else', (text) => {
    try {
      assembleKernel(text);
    } catch (e) {
      expect(e).toBeInstanceOf(AsmError);
    }
  });

  const fragments = fc.constantFrom('r1', 'w2', '=', '+=', '*', '(', ')', 'u32', 's8', '+', '-', '0x10', '4', 'goto', 'if',
    'pc', 'call', '#', 'lock', 'll', 'map', '[', ']', ':', 'id', ',', 'skb', 'exit', 'atomic_fetch_add', 'xchg_64', '<', '>');
  test.prop([fc.array(fragments, { maxLength: 12 })], { numRuns: 3000 })('token soup assembles or throws AsmError', (toks) => {
    try {
      assembleKernel(toks.join(' '));
    } catch (e) {
      expect(e).toBeInstanceOf(AsmError);
    }
  });
});
