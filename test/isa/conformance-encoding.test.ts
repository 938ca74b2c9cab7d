/**
 * The encoding rules and examples of vendor/shared/conformance/README.md §5, byte for byte. The
 * expected bytes are transcribed from the README (its examples and opcode tables), not computed
 * by bpfsim; each one is also disassembled in both syntaxes and assembled back.
 */
import { describe, expect, it } from 'vitest';
import { assembleConformance } from '../../src/isa/asm-conformance.js';
import { assembleKernel } from '../../src/isa/asm-kernel.js';
import { disassemble } from '../../src/isa/disasm.js';
import { decode, encode, fromInstructions } from '../../src/isa/program.js';
import { bytesOf, hex } from './support/bytes.js';

const conf = (text: string) => encode(fromInstructions(assembleConformance(text)));
const kern = (text: string) => encode(fromInstructions(assembleKernel(text)));

/** Examples written out in the README: assembly → bytes in file order. */
const EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  ['add %r0, 1', '07 00 00 00 01 00 00 00'],
  ['add32 %r0, %r1', '0c 10 00 00 00 00 00 00'],
  ['mov %r0, -10', 'b7 00 00 00 f6 ff ff ff'],
  ['neg %r0', '87 00 00 00 00 00 00 00'],
  ['neg32 %r0', '84 00 00 00 00 00 00 00'],
  ['lock add [%r10-8], %r1', 'db 1a f8 ff 00 00 00 00'],
  ['lock fetch add32 [%r10-8], %r1', 'c3 1a f8 ff 01 00 00 00'],
  ['movsx832 %r0, %r1', 'bc 10 08 00 00 00 00 00'],
  ['movsx3264 %r0, %r1', 'bf 10 20 00 00 00 00 00'],
  ['sdiv %r0, 3', '37 00 01 00 03 00 00 00'],
  ['ja32 +1', '06 00 00 00 01 00 00 00'],
  ['call local +2', '85 10 00 00 02 00 00 00'],
  ['call %r2', '8d 02 00 00 00 00 00 00'],
  ['bswap16 %r0', 'd7 00 00 00 10 00 00 00'],
  ['le32 %r1', 'd4 01 00 00 20 00 00 00'],
  ['be64 %r1', 'dc 01 00 00 40 00 00 00'],
  ['neg32 %r1', '84 01 00 00 00 00 00 00'],
  ['ldxsb %r0, [%r1+2]', '91 10 02 00 00 00 00 00'],
  ['stdw [%r10-8], 5', '7a 0a f8 ff 05 00 00 00'],
  ['lddw %r0, 0x1122334455667788', '18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11'],
  ['exit', '95 00 00 00 00 00 00 00'],
];

const b = (...xs: number[]) => hex(Uint8Array.from(xs));
const s16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const s32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** README §5 "ALU" table: mnemonic, operation nibble, offset. */
const ALU: ReadonlyArray<readonly [string, number, number]> = [
  ['add', 0x00, 0], ['sub', 0x10, 0], ['mul', 0x20, 0], ['div', 0x30, 0], ['sdiv', 0x30, 1], ['or', 0x40, 0],
  ['and', 0x50, 0], ['lsh', 0x60, 0], ['rsh', 0x70, 0], ['mod', 0x90, 0], ['smod', 0x90, 1], ['xor', 0xa0, 0],
  ['mov', 0xb0, 0], ['arsh', 0xc0, 0],
];
/** README §5 "Jumps" table. */
const JMP: ReadonlyArray<readonly [string, number]> = [
  ['jeq', 0x10], ['jgt', 0x20], ['jge', 0x30], ['jset', 0x40], ['jne', 0x50], ['jsgt', 0x60], ['jsge', 0x70],
  ['jlt', 0xa0], ['jle', 0xb0], ['jslt', 0xc0], ['jsle', 0xd0],
];
/** README §5 loads, stores. */
const MEM: ReadonlyArray<readonly [string, number, 'ld' | 'st' | 'stx']> = [
  ['ldxw', 0x61, 'ld'], ['ldxh', 0x69, 'ld'], ['ldxb', 0x71, 'ld'], ['ldxdw', 0x79, 'ld'], ['ldxsw', 0x81, 'ld'],
  ['ldxsh', 0x89, 'ld'], ['ldxsb', 0x91, 'ld'], ['stw', 0x62, 'st'], ['sth', 0x6a, 'st'], ['stb', 0x72, 'st'],
  ['stdw', 0x7a, 'st'], ['stxw', 0x63, 'stx'], ['stxh', 0x6b, 'stx'], ['stxb', 0x73, 'stx'], ['stxdw', 0x7b, 'stx'],
];
/** README §5 "Atomics": imm per operation, +0x01 with fetch; xchg 0xe1, cmpxchg 0xf1. */
const ATOMIC: ReadonlyArray<readonly [string, number]> = [
  ['lock add', 0x00], ['lock or', 0x40], ['lock and', 0x50], ['lock xor', 0xa0], ['lock fetch add', 0x01],
  ['lock fetch or', 0x41], ['lock fetch and', 0x51], ['lock fetch xor', 0xa1], ['lock xchg', 0xe1], ['lock cmpxchg', 0xf1],
];

function cases(): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [...EXAMPLES.map(([a, x]) => [a, hex(bytesOf(x))] as const)];
  for (const [mn, op, off] of ALU) {
    for (const [sfx, cls] of [['', 0x07], ['32', 0x04]] as const) {
      out.push([`${mn}${sfx} %r3, -7`, b(op | cls, 0x03, ...s16(off), ...s32(-7))]);
      out.push([`${mn}${sfx} %r3, %r9`, b(op | 0x08 | cls, 0x93, ...s16(off), 0, 0, 0, 0)]);
    }
  }
  for (const [mn, op] of JMP) {
    for (const [sfx, cls] of [['', 0x05], ['32', 0x06]] as const) {
      out.push([`${mn}${sfx} %r1, 0x80000000, -3`, b(op | cls, 0x01, ...s16(-3), ...s32(0x80000000))]);
      out.push([`${mn}${sfx} %r1, %r2, +4`, b(op | 0x08 | cls, 0x21, ...s16(4), 0, 0, 0, 0)]);
    }
  }
  for (const [mn, code, kind] of MEM) {
    if (kind === 'ld') out.push([`${mn} %r4, [%r5-0x10]`, b(code, 0x54, ...s16(-16), 0, 0, 0, 0)]);
    if (kind === 'st') out.push([`${mn} [%r10+32767], 0xffffffff`, b(code, 0x0a, ...s16(32767), ...s32(-1))]);
    if (kind === 'stx') out.push([`${mn} [%r1-32768], %r2`, b(code, 0x21, ...s16(-32768), 0, 0, 0, 0)]);
  }
  for (const [mn, imm] of ATOMIC) {
    out.push([`${mn} [%r2+8], %r3`, b(0xdb, 0x32, ...s16(8), ...s32(imm))]);
    out.push([`${mn}32 [%r2+8], %r3`, b(0xc3, 0x32, ...s16(8), ...s32(imm))]);
  }
  for (const [mn, code, imm] of [['le16', 0xd4, 16], ['le64', 0xd4, 64], ['be16', 0xdc, 16], ['be32', 0xdc, 32],
    ['bswap32', 0xd7, 32], ['bswap64', 0xd7, 64], ['swap64', 0xd7, 64]] as const) {
    out.push([`${mn} %r7`, b(code, 0x07, 0, 0, ...s32(imm))]);
  }
  out.push(['movsx864 %r0, %r1', b(0xbf, 0x10, ...s16(8), 0, 0, 0, 0)]);
  out.push(['movsx1664 %r0, %r1', b(0xbf, 0x10, ...s16(16), 0, 0, 0, 0)]);
  out.push(['movsx1632 %r0, %r1', b(0xbc, 0x10, ...s16(16), 0, 0, 0, 0)]);
  out.push(['smod32 %r0, %r1', b(0x9c, 0x10, ...s16(1), 0, 0, 0, 0)]);
  out.push(['ja -1', b(0x05, 0x00, ...s16(-1), 0, 0, 0, 0)]);
  out.push(['call 5', b(0x85, 0x00, 0, 0, ...s32(5))]);
  out.push(['call helper 5', b(0x85, 0x00, 0, 0, ...s32(5))]);
  out.push(['call runtime 7', b(0x85, 0x20, 0, 0, ...s32(7))]);
  out.push(['call helper %r3', b(0x8d, 0x03, 0, 0, 0, 0, 0, 0)]);
  out.push(['lddw %r9, -1', b(0x18, 0x09, 0, 0, ...s32(-1), 0, 0, 0, 0, ...s32(-1))]);
  return out;
}

describe('conformance README §5 encodings', () => {
  it.each(cases())('%s', (asm, want) => {
    expect(hex(conf(asm))).toBe(want);
    const p = decode(bytesOf(want));
    // Our printers read these bytes back to the same encoding in both syntaxes.
    expect(hex(conf(disassemble(p, { syntax: 'conformance' }).join('\n')))).toBe(want);
    expect(hex(kern(disassemble(p, { syntax: 'kernel' }).join('\n')))).toBe(want);
  });

  it('prints the README examples back in the README spelling', () => {
    for (const [asm, bytes] of EXAMPLES) {
      expect(disassemble(decode(bytesOf(bytes)), { syntax: 'conformance' })).toEqual([asm]);
    }
  });

  it('resolves the implicit `exit` label and counts lddw as two slots', () => {
    const text = 'lddw %r0, 1\njne %r0, 1, exit\nmov %r0, 2\nexit\n';
    expect(hex(conf(text))).toBe(hex(bytesOf(
      '18 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 55 00 01 00 01 00 00 00 b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00',
    )));
  });
});
