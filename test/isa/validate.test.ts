import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { assembleKernelProgram } from '../../src/isa/asm-kernel.js';
import { decode, fromInstructions } from '../../src/isa/program.js';
import { IsaError, validate } from '../../src/isa/validate.js';
import { validProgram } from './support/arbitrary.js';
import { bytesOf } from './support/bytes.js';
import { INVALID_CASES } from './support/validate-cases.js';

describe('validate', () => {
  it.each(INVALID_CASES)('rejects: $name', (c) => {
    const err = validate(decode(bytesOf(c.bytes)));
    expect(err).toBeInstanceOf(IsaError);
    expect({ rule: err!.rule, index: err!.index, message: err!.message }).toEqual({ rule: c.rule, index: c.index, message: c.message });
  });

  it('covers every rule except the size limits with a case', () => {
    expect(new Set(INVALID_CASES.map((c) => c.rule))).toEqual(new Set([
      'unknown_opcode', 'reserved_field', 'invalid_register', 'frame_pointer_write', 'invalid_atomic',
      'invalid_ldimm64', 'jump_out_of_range', 'jump_into_ldimm64', 'call_out_of_range',
    ]));
  });

  it('rejects an empty program and one over the instruction limit', () => {
    expect(validate(decode(new Uint8Array(0)))?.rule).toBe('empty');
    const p = assembleKernelProgram('r0 = 0\nr0 = 0\nexit');
    expect(validate(p, { maxInsns: 2 })?.rule).toBe('too_large');
    expect(validate(p, { maxInsns: 3 })).toBeNull();
  });

  it('finds the same problems in text assembled by the kernel-syntax assembler', () => {
    expect(validate(assembleKernelProgram('r10 = 1\nexit'))?.message).toBe('frame pointer is read only');
    expect(validate(assembleKernelProgram('goto +1\nr1 = 0x1122334455667788\nexit'))?.message).toBe('jump into the middle of ldimm64 insn 1');
    expect(validate(assembleKernelProgram('call pc+4\nexit'))?.message).toBe('call to invalid destination');
  });

  test.prop([validProgram], { numRuns: 200 })('accepts generated valid programs', (list) => {
    expect(validate(fromInstructions(list))).toBeNull();
  });

  test.prop([fc.uint8Array({ minLength: 8, maxLength: 512 }).map((b) => b.slice(0, b.length - (b.length % 8)))], { numRuns: 500 })(
    'never throws on random bytes', (b) => {
      fc.pre(b.length > 0);
      const r = validate(decode(b));
      expect(r === null || r instanceof IsaError).toBe(true);
    },
  );
});
