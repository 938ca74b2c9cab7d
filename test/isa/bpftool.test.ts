/**
 * `bpftool prog dump xlated ... opcodes` listings of loaded fixture programs
 * (fixtures/bpftool/README.md): prototype lines, `; source` comments, `% 4d: (code)` prefixes, byte
 * lines, `map[id:N]` and `map[id:N][0]+off`, helper calls named after the kernel function the
 * fixed-up imm points at. Our assembler reads the text to the bytes bpftool printed, and our kernel
 * syntax prints bpftool's text for them.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleKernel } from '../../src/isa/asm-kernel.js';
import { disassemble } from '../../src/isa/disasm.js';
import { Op } from '../../src/isa/ops.js';
import { decode, encode, fromInstructions, toInstructions } from '../../src/isa/program.js';
import { ROOT } from '../support/paths.js';
import { bytesOf, hex } from './support/bytes.js';

const DIR = join(ROOT, 'test', 'isa', 'fixtures', 'bpftool');
const files = readdirSync(DIR).filter((f) => f.endsWith('.xlated.txt')).sort();

/** bpftool's listing: `N: (code) text` lines and the byte line under each. */
function parse(text: string): Array<{ index: number; text: string; bytes: Uint8Array }> {
  const lines = text.split('\n');
  const out: Array<{ index: number; text: string; bytes: Uint8Array }> = [];
  lines.forEach((l, i) => {
    const m = /^\s*(\d+): (\(.*)$/.exec(l);
    if (m) out.push({ index: Number(m[1]), text: m[2], bytes: bytesOf(lines[i + 1]) });
  });
  return out;
}

describe.each(files)('%s', (file) => {
  const text = readFileSync(join(DIR, file), 'utf8');
  const insns = parse(text);
  const bytes = Uint8Array.from(insns.flatMap((i) => [...i.bytes]));
  /**
   * In a JITed program's xlated image a bpf-to-bpf call holds its pc offset in `off` and the
   * subprogram's index in `imm`; bpftool prints the offset (`call pc+6#bpf_prog_<tag>_bump`). The
   * text means the pre-load encoding (offset in imm), which is what we assemble.
   */
  const jitCall = (t: string) => /^\(85\) call pc[+-]/.test(t);

  it('assembles to the bytes bpftool printed (map ids kept as the fd)', () => {
    const got = toInstructions(fromInstructions(assembleKernel(text, { mapFd: (id) => id })));
    expect(got.length).toBe(insns.length);
    insns.forEach((ins, i) => {
      const mine = hex(encode(fromInstructions([got[i]])));
      if (jitCall(ins.text)) {
        expect(got[i].imm, ins.text).toBe(ins.bytes[2] | (ins.bytes[3] << 8));
      } else {
        expect(mine, ins.text).toBe(hex(ins.bytes));
      }
    });
  });

  it('without an id→fd mapping, map references load fd 0', () => {
    const got = assembleKernel(text);
    const maps = got.filter((g) => g.op === Op.LDDW && (g.src === 1 || g.src === 2));
    expect(maps.length).toBe((text.match(/= map\[id:/g) ?? []).length);
    expect(maps.length).toBeGreaterThan(0);
    for (const m of maps) expect(m.imm).toBe(0);
  });

  it('prints bpftool\'s text for every instruction but the calls', () => {
    const ours = disassemble(decode(bytes), { syntax: 'kernel', opcodes: true, mapIds: true });
    expect(ours.length).toBe(insns.length);
    insns.forEach((ins, i) => {
      // bpftool names calls after kernel symbols (kallsyms), which only the running kernel knows.
      if (/^\(85\) call /.test(ins.text)) return;
      expect(ours[i]).toBe(ins.text);
    });
  });
});
