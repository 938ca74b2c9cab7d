/**
 * The clang-built fixture objects against llvm-objdump: for every code section, (a) our assembler
 * turns llvm-objdump's listing back into the section's bytes, and (b) our `llvm` disassembly of
 * those bytes is llvm-objdump's instruction text, line for line (modulo whitespace), `<sym+0x..>`
 * annotations included. Section bytes come from llvm-objcopy, symbols from `llvm-objdump -t`.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleKernel } from '../../src/isa/asm-kernel.js';
import { disassemble } from '../../src/isa/disasm.js';
import { decode, encode, fromInstructions } from '../../src/isa/program.js';
import { FIXTURES } from '../support/paths.js';
import { hex } from './support/bytes.js';

const objdump = spawnSync('llvm-objdump', ['--version'], { encoding: 'utf8' });
const objcopy = spawnSync('llvm-objcopy', ['--version'], { encoding: 'utf8' });
const skip = objdump.status !== 0 || objcopy.status !== 0
  ? 'llvm-objdump / llvm-objcopy are not installed (Debian package llvm)'
  : undefined;
if (skip !== undefined) console.warn(`llvm-objdump fixture tests skipped: ${skip}`);

const objDir = join(FIXTURES, 'obj');
const objects = readdirSync(objDir).filter((f) => f.endsWith('.bpf.o')).sort();

interface Section { readonly obj: string; readonly name: string }

/** Non-empty code sections (`Idx Name Size VMA Type` rows of type TEXT). */
function codeSections(obj: string): string[] {
  const headers = execFileSync('llvm-objdump', ['-h', obj], { encoding: 'utf8' });
  return headers.split('\n').filter((l) => /\bTEXT\b/.test(l)).map((l) => l.trim().split(/\s+/))
    .filter((cols) => parseInt(cols[2], 16) > 0).map((cols) => cols[1]);
}

function sectionBytes(obj: string, name: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'bpfsim-sec-'));
  try {
    const out = join(dir, 'sec.bin');
    execFileSync('llvm-objcopy', ['-O', 'binary', `--only-section=${name}`, obj, out]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Function symbols of a section, from the symbol table (`value F section size name`). */
function symbols(obj: string, section: string): Array<{ name: string; slot: number }> {
  const table = execFileSync('llvm-objdump', ['-t', obj], { encoding: 'utf8' });
  const out: Array<{ name: string; slot: number }> = [];
  for (const line of table.split('\n')) {
    const m = /^([0-9a-f]{16})\s.{7}\s(\S+)\s+[0-9a-f]{16}\s(\S+)$/.exec(line);
    if (m && m[2] === section) out.push({ name: m[3], slot: parseInt(m[1], 16) / 8 });
  }
  return out;
}

const sections: Section[] = skip ? [] : objects.flatMap((f) => codeSections(join(objDir, f)).map((name) => ({ obj: f, name })));

describe.skipIf(skip !== undefined)('fixture objects vs llvm-objdump', () => {
  it('finds the code sections of the five fixtures', () => {
    expect(objects.length).toBe(5);
    expect(sections.length).toBeGreaterThanOrEqual(8);
  });

  it.each(sections)('$obj $name', ({ obj, name }) => {
    const path = join(objDir, obj);
    const bytes = sectionBytes(path, name);
    expect(bytes.length).toBeGreaterThan(0);
    const listing = execFileSync('llvm-objdump', ['-d', '-r', `--section=${name}`, path], { encoding: 'utf8' });

    // (a) llvm-objdump's text (byte columns ignored) assembles to the section bytes.
    expect(hex(encode(fromInstructions(assembleKernel(listing))))).toBe(hex(bytes));
    // ... and agrees with its own byte columns line by line.
    expect(() => assembleKernel(listing, { byteColumns: 'verify' })).not.toThrow();

    // (b) our llvm-flavour text is llvm-objdump's, line for line.
    const theirs = listing.split('\n').filter((l) => /^\s*\d+:\t/.test(l)).map((l) => l.split('\t').slice(2).join('\t'));
    const ours = disassemble(decode(bytes), { syntax: 'llvm', symbols: symbols(path, name) });
    const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
    expect(ours.map(norm)).toEqual(theirs.map(norm));

    // ... and in objdump's own layout (index, byte column), exactly.
    const lines = listing.split('\n').filter((l) => /^\s*\d+:\t/.test(l));
    expect(disassemble(decode(bytes), { syntax: 'llvm', bytes: true, symbols: symbols(path, name) })).toEqual(lines);
  });
});
