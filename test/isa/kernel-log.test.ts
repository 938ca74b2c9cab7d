/**
 * Linux 6.18's verifier log as a golden listing (fixtures/kernel-log/README.md): for each program,
 * the kernel's disasm.c text for every instruction equals our kernel-syntax disassembly of the same
 * bytes, and our assembler reads the kernel's text back to those bytes. (kernel-oracle.test.ts
 * checks these logs against the running kernel.)
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleKernel } from '../../src/isa/asm-kernel.js';
import { disassemble } from '../../src/isa/disasm.js';
import { decode, encode, fromInstructions } from '../../src/isa/program.js';
import { ROOT } from '../support/paths.js';
import { bytesOf, hex } from './support/bytes.js';
import { loggedInstructions } from './support/kernel-loader.js';

const DIR = join(ROOT, 'test', 'isa', 'fixtures', 'kernel-log');

describe.each(['alu', 'mem', 'jmp', 'calls'])('verifier log %s.log', (name) => {
  const bytes = bytesOf(readFileSync(join(DIR, `${name}.hex`), 'utf8'));
  const logged = loggedInstructions(readFileSync(join(DIR, `${name}.log`), 'utf8'));
  const p = decode(bytes);

  it('printed every instruction', () => {
    const ours = disassemble(p, { syntax: 'kernel' });
    expect(logged.size).toBe(ours.length);
  });

  it('is what our kernel syntax prints, opcode prefix included', () => {
    const ours = disassemble(p, { syntax: 'kernel', indices: true, opcodes: true });
    for (const line of ours) {
      const m = /^\s*(\d+): (.*)$/.exec(line)!;
      expect(m[2], `insn ${m[1]}`).toBe(logged.get(Number(m[1])));
    }
  });

  it('assembles back to the bytes the kernel was given', () => {
    const listing = [...logged].sort((a, b) => a[0] - b[0]).map(([i, t]) => `${i}: ${t}`).join('\n');
    expect(hex(encode(fromInstructions(assembleKernel(listing))))).toBe(hex(bytes));
    // The whole raw log (state lines are not instructions) is not a listing: it must be refused.
    expect(() => assembleKernel(readFileSync(join(DIR, `${name}.log`), 'utf8'))).toThrow();
  });
});
