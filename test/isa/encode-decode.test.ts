import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { decode, encode, ProgramLengthError, toInstructions, fromInstructions } from '../../src/isa/program.js';
import { Op } from '../../src/isa/ops.js';
import { validProgram } from './support/arbitrary.js';
import { hex } from './support/bytes.js';

/** Byte strings of whole slots, up to 8 KiB. */
const slots = fc.integer({ min: 0, max: 1024 }).chain((n) => fc.uint8Array({ minLength: n * 8, maxLength: n * 8 }));

describe('decode / encode', () => {
  test.prop([slots], { numRuns: 300 })('encode(decode(b)) is b for any byte string of whole slots', (b) => {
    expect(hex(encode(decode(b)))).toBe(hex(b));
  });

  test.prop([fc.uint8Array({ minLength: 8192, maxLength: 8192 })], { numRuns: 50 })('encode(decode(b)) is b for random 8 KiB programs', (b) => {
    expect(hex(encode(decode(b)))).toBe(hex(b));
  });

  test.prop([validProgram], { numRuns: 300 })('toInstructions(decode(bytes)) re-encodes to the same bytes', (list) => {
    const bytes = encode(fromInstructions(list));
    expect(hex(encode(fromInstructions(toInstructions(decode(bytes)))))).toBe(hex(bytes));
  });

  it('refuses a length that is not a whole number of slots', () => {
    expect(() => decode(new Uint8Array(12))).toThrow(ProgramLengthError);
    expect(() => decode(new Uint8Array(12))).toThrow('program length 12 is not a multiple of 8 bytes');
  });

  it('decodes the fields of a slot little-endian: code, dst low nibble, src high nibble, s16 off, s32 imm', () => {
    const p = decode(Uint8Array.of(0x61, 0xa1, 0xfc, 0xff, 0x78, 0x56, 0x34, 0x12));
    expect([p.code[0], p.dst[0], p.src[0], p.off[0], p.imm[0]]).toEqual([0x61, 1, 10, -4, 0x12345678]);
    expect(p.op[0]).toBe(Op.LDX_W);
  });
});
