/**
 * All 313 bpf_conformance programs: assembled from their `-- asm` (or taken from `-- raw`), they
 * validate, and their kernel-syntax and conformance-syntax disassemblies (with and without
 * labels) assemble back to the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDataFile } from '../../src/conformance/data-file.js';
import { assembleConformance, assembleConformanceProgram } from '../../src/isa/asm-conformance.js';
import { assembleKernel } from '../../src/isa/asm-kernel.js';
import { disassemble } from '../../src/isa/disasm.js';
import { decode, encode, fromInstructions } from '../../src/isa/program.js';
import { validate } from '../../src/isa/validate.js';
import { SHARED } from '../support/paths.js';
import { hex } from './support/bytes.js';

const dir = join(SHARED, 'conformance');
const files = readdirSync(dir).filter((f) => f.endsWith('.data')).sort();

describe('bpf_conformance programs through both text syntaxes', () => {
  it('finds the 313 programs', () => {
    expect(files.length).toBe(313);
  });
  it.each(files)('%s', (f) => {
    const df = parseDataFile(readFileSync(join(dir, f), 'utf8'));
    const bytes = df.raw ?? encode(assembleConformanceProgram(df.asm));
    const p = decode(bytes);
    expect(validate(p)?.message ?? null).toBeNull();
    for (const labels of [false, true]) {
      const kernel = disassemble(p, { syntax: 'kernel', labels }).join('\n');
      expect(hex(encode(fromInstructions(assembleKernel(kernel)))), kernel).toBe(hex(bytes));
      const conf = disassemble(p, { syntax: 'conformance', labels }).join('\n');
      expect(hex(encode(fromInstructions(assembleConformance(conf)))), conf).toBe(hex(bytes));
    }
    // bpftool's layout (index and opcode prefixes) reads back too.
    const listing = disassemble(p, { syntax: 'kernel', indices: true, opcodes: true }).join('\n');
    expect(hex(encode(fromInstructions(assembleKernel(listing))))).toBe(hex(bytes));
  });
});
