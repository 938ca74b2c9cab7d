/**
 * LLVM's own assembler and disassembler as oracles (fixtures/llvm/README.md): `allops.s`, assembled
 * by llvm-mc 19, listed by llvm-objdump 14 and 19 in both register modes. Our assembler must give
 * LLVM's bytes for the source and for every listing, and our `llvm` disassembly must print each
 * listing's text, except where the listing itself is lossy (named below).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleKernel, assembleKernelProgram } from '../../src/isa/asm-kernel.js';
import { disassemble } from '../../src/isa/disasm.js';
import { Op, OP_TABLE } from '../../src/isa/ops.js';
import { decode, encode, fromInstructions, toInstructions, type Instruction } from '../../src/isa/program.js';
import { ROOT } from '../support/paths.js';
import { bytesOf, hex } from './support/bytes.js';

const DIR = join(ROOT, 'test', 'isa', 'fixtures', 'llvm');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');

interface Row { readonly slot: number; readonly bytes: Uint8Array; readonly text: string }

function rows(listing: string): Row[] {
  return listing.split('\n').flatMap((l) => {
    const m = /^\s*(\d+):\t([0-9a-f ]+?)\s*\t(.*)$/.exec(l);
    return m ? [{ slot: Number(m[1]), bytes: bytesOf(m[2]), text: m[3] }] : [];
  });
}

function symbolsOf(listing: string): Array<{ name: string; slot: number }> {
  return [...listing.matchAll(/^([0-9a-f]{16}) <([^>]+)>:$/gm)].map((m) => ({ name: m[2], slot: parseInt(m[1], 16) / 8 }));
}

/** LLVM 14 predates ISA v4 and LLVM 17's callx encoding: it drops their distinguishing fields. */
function beforeV4(ins: Instruction): boolean {
  const info = OP_TABLE[ins.op];
  return info.variant?.field === 'off' && info.variant.value !== 0
    || ['ldxs', 'ja32', 'callx', 'load_acq', 'store_rel', 'may_goto'].includes(info.kind)
    || info.mnemonic.startsWith('bswap');
}
/** Without +alu32 LLVM decodes BPF_ATOMIC|BPF_W by opcode alone and prints fetch_add as `lock +=`. */
const xaddw = (ins: Instruction) => ins.op === Op.ATOMIC32_FETCH_ADD;

const LISTINGS: ReadonlyArray<{ file: string; hex: boolean; lossy: (ins: Instruction) => boolean }> = [
  { file: 'allops.llvm19-alu32.txt', hex: true, lossy: () => false },
  { file: 'allops.llvm19.txt', hex: true, lossy: xaddw },
  { file: 'allops.llvm14-alu32.txt', hex: false, lossy: beforeV4 },
  { file: 'allops.llvm14.txt', hex: false, lossy: (ins) => beforeV4(ins) || xaddw(ins) },
];

const reference = rows(read('allops.llvm19-alu32.txt'));
const llvmBytes = Uint8Array.from(reference.flatMap((r) => [...r.bytes]));

describe('LLVM golden listings', () => {
  it('assembles allops.s (LLVM assembly) to the bytes llvm-mc produced', () => {
    expect(reference.length).toBeGreaterThan(170);
    expect(hex(encode(assembleKernelProgram(read('allops.s'))))).toBe(hex(llvmBytes));
  });

  it.each(LISTINGS)('$file: every listing carries the same bytes', ({ file }) => {
    expect(hex(Uint8Array.from(rows(read(file)).flatMap((r) => [...r.bytes])))).toBe(hex(llvmBytes));
  });

  it.each(LISTINGS)('$file: the text assembles to LLVM\'s bytes except where LLVM dropped fields', ({ file, lossy }) => {
    const list = assembleKernel(read(file));
    const got = toInstructions(fromInstructions(list));
    const want = toInstructions(decode(llvmBytes));
    expect(got.length).toBe(want.length);
    const differs = want.filter((w, i) => hex(encode(fromInstructions([w]))) !== hex(encode(fromInstructions([got[i]])))).map((w) => w.slot);
    // `<unknown>` lines are taken from their byte column, so only lossy text can differ.
    const unknown = new Set(rows(read(file)).filter((r) => r.text === '<unknown>').map((r) => r.slot));
    expect(differs).toEqual(want.filter((w) => lossy(w) && !unknown.has(w.slot)).map((w) => w.slot));
    // With the byte columns taken as the truth, the whole listing reproduces LLVM's bytes.
    expect(hex(encode(fromInstructions(assembleKernel(read(file), { byteColumns: 'use' }))))).toBe(hex(llvmBytes));
  });

  it.each(LISTINGS)('$file: our llvm syntax prints LLVM\'s text wherever LLVM decodes the instruction', ({ file, hex: hexImm, lossy }) => {
    const listing = read(file);
    const alt = rows(read(file.includes('-alu32') ? file.replace('-alu32', '') : file.replace('.txt', '-alu32.txt')));
    const ours = disassemble(decode(llvmBytes), { syntax: 'llvm', hex: hexImm, symbols: symbolsOf(listing) });
    const want = toInstructions(decode(llvmBytes));
    let compared = 0;
    rows(listing).forEach((r, i) => {
      if (r.text === '<unknown>' || lossy(want[i])) return;
      // Where llvm-objdump's two register modes differ, either spelling is LLVM's.
      expect([r.text, alt[i].text], `slot ${r.slot}`).toContain(ours[i]);
      compared++;
    });
    expect(compared).toBeGreaterThan(120);
  });
});
