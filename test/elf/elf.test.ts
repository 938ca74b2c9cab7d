/**
 * The ELF parser on the fixture objects, checked against llvm-readelf (sections, symbols,
 * relocations), plus the BPF view: programs, functions, relocations, maps, global data, license,
 * and .BTF.ext checked against the kernel's per-program counts and the C sources.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BTF_KIND } from '../../src/kernel/btf/index.js';
import { parseBtfExt } from '../../src/skeleton/btf-ext.js';
import { btfString, parseBpfObject } from '../../src/skeleton/elf-bpf.js';
import { type ElfFile, SHF, SHN, SHT, parseElf } from '../../src/skeleton/elf.js';
import { FIXTURES } from '../support/paths.js';
import { parseReadelf, type Readelf } from './readelf.js';

const NAMES = ['minimal', 'maps_globals', 'shared_subprog', 'ringbuf_trace', 'tprog'] as const;
const objPath = (f: string) => join(FIXTURES, 'obj', `${f}.bpf.o`);
const obj = (f: string) => new Uint8Array(readFileSync(objPath(f)));

const TYPE_NAMES: Record<number, string> = {
  [SHT.NULL]: 'NULL', [SHT.PROGBITS]: 'PROGBITS', [SHT.SYMTAB]: 'SYMTAB', [SHT.STRTAB]: 'STRTAB', [SHT.REL]: 'REL',
  [SHT.NOBITS]: 'NOBITS', [SHT.LLVM_ADDRSIG]: 'LLVM_ADDRSIG',
};
const flagLetters = (f: number) =>
  [[SHF.WRITE, 'W'], [SHF.ALLOC, 'A'], [SHF.EXECINSTR, 'X'], [SHF.MERGE, 'M'], [SHF.STRINGS, 'S'], [SHF.INFO_LINK, 'I'], [SHF.EXCLUDE, 'E']]
    .filter(([bit]) => (f & (bit as number)) !== 0).map(([, l]) => l).join('');
const SYM_TYPES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE'];
const SYM_BINDS = ['LOCAL', 'GLOBAL', 'WEAK'];
const ndx = (n: number) => (n === SHN.UNDEF ? 'UND' : n === SHN.ABS ? 'ABS' : n === SHN.COMMON ? 'COM' : String(n));

/** Render parseElf's view in the shape of llvm-readelf's. */
function asReadelf(elf: ElfFile): Readelf {
  return {
    sections: elf.sections.map((s) => ({
      nr: s.index, name: s.name, type: TYPE_NAMES[s.type] ?? `0x${s.type.toString(16)}`, off: s.offset, size: s.size,
      es: s.entsize, flg: flagLetters(s.flags), lk: s.link, inf: s.info, al: s.addralign,
    })),
    symbols: elf.symbols.map((y) => ({
      num: y.index, value: y.value, size: y.size, type: SYM_TYPES[y.type], bind: SYM_BINDS[y.bind], vis: 'DEFAULT',
      ndx: ndx(y.shndx), name: y.type === 3 ? elf.sections[y.shndx].name : y.name,
    })),
    relocs: elf.relocSections.flatMap((rs) => rs.relocs.map((r) => {
      const sym = elf.symbols[r.sym];
      return {
        section: rs.section.name, offset: r.offset,
        type: { 1: 'R_BPF_64_64', 2: 'R_BPF_64_ABS64', 3: 'R_BPF_64_ABS32', 4: 'R_BPF_64_NODYLD32', 10: 'R_BPF_64_32' }[r.type] ?? String(r.type),
        symValue: sym.value, symName: sym.type === 3 ? elf.sections[sym.shndx].name : sym.name,
      };
    })),
  };
}

const haveReadelf = spawnSync('llvm-readelf', ['--version']).status === 0;

describe('ELF structure against llvm-readelf', () => {
  for (const f of NAMES) {
    it(`${f}: sections, symbols and relocations match the recorded llvm-readelf output`, () => {
      const ref = parseReadelf(readFileSync(join(import.meta.dirname, 'data', `${f}.readelf.txt`), 'utf8'));
      expect(ref.sections.length).toBeGreaterThan(10);
      expect(ref.symbols.length).toBeGreaterThan(5);
      expect(ref.relocs.length).toBeGreaterThan(10);
      expect(asReadelf(parseElf(obj(f)))).toEqual(ref);
    });
    it.skipIf(!haveReadelf)(`${f}: and the installed llvm-readelf${haveReadelf ? '' : ' (skipped: llvm-readelf not installed)'}`, () => {
      const out = spawnSync('llvm-readelf', ['--wide', '-S', '-s', '-r', objPath(f)], { encoding: 'utf8' });
      expect(asReadelf(parseElf(obj(f)))).toEqual(parseReadelf(out.stdout));
    });
  }
});

interface ProgObs { name: string; insn_cnt_loaded: number; nr_func_info: number; nr_line_info: number }
function kernelProgs(f: string): ProgObs[] {
  const exp = JSON.parse(readFileSync(join(FIXTURES, 'expected', `${f}.json`), 'utf8')) as { cases: Array<{ objects?: { progs?: ProgObs[] } }> };
  const c = exp.cases.find((x) => x.objects?.progs?.length);
  return c!.objects!.progs!;
}

describe('the BPF view of the fixture objects', () => {
  for (const f of NAMES) {
    it(`${f}: programs and .BTF.ext give the kernel's per-program instruction, func_info and line_info counts`, () => {
      const o = parseBpfObject(obj(f));
      expect(o.license).toBe('GPL');
      for (const p of kernelProgs(f)) {
        const sec = o.programs.find((s) => s.functions.some((fn) => fn.name === p.name && fn.global))!;
        // libbpf appends the .text subprograms a program calls (R_BPF_64_32 to .text).
        const callsText = sec.relocations.some((r) => r.target === 'subprog');
        const secs = callsText ? [sec.name, '.text'] : [sec.name];
        const count = (infos: Array<{ secName: string | null; records: unknown[] }>) =>
          infos.filter((s) => secs.includes(s.secName!)).reduce((n, s) => n + s.records.length, 0);
        const insns = secs.reduce((n, name) => n + o.programs.find((s) => s.name === name)!.insnCnt, 0);
        expect({ name: p.name, insns, func: count(o.btfExt!.funcInfo), line: count(o.btfExt!.lineInfo) })
          .toEqual({ name: p.name, insns: p.insn_cnt_loaded, func: p.nr_func_info, line: p.nr_line_info });
      }
    });

    it(`${f}: each func_info names the FUNC whose symbol starts at that instruction`, () => {
      const o = parseBpfObject(obj(f));
      for (const s of o.btfExt!.funcInfo) {
        const prog = o.programs.find((p) => p.name === s.secName)!;
        for (const rec of s.records) {
          const fn = prog.functions.find((x) => x.offset === rec.insnOff)!;
          expect(o.btf!.kindOf(rec.typeId)).toBe(BTF_KIND.FUNC);
          expect(o.btf!.nameOf(rec.typeId)).toBe(fn.name);
        }
      }
    });

    it(`${f}: each line_info points at its line of src/${f}.bpf.c`, () => {
      const o = parseBpfObject(obj(f));
      const src = readFileSync(join(FIXTURES, 'src', `${f}.bpf.c`), 'utf8').split('\n');
      let n = 0;
      for (const s of o.btfExt!.lineInfo) {
        const prog = o.programs.find((p) => p.name === s.secName)!;
        for (const rec of s.records) {
          expect(rec.insnOff % 8).toBe(0);
          expect(rec.insnOff / 8).toBeLessThan(prog.insnCnt);
          expect(btfString(o.btf!, rec.fileNameOff)).toBe(`./src/${f}.bpf.c`);
          expect(btfString(o.btf!, rec.lineOff)).toBe(src[rec.line - 1]);
          n++;
        }
      }
      expect(n).toBeGreaterThan(0);
    });
  }

  it('maps_globals: maps in .maps and the three global-data sections with their initial values', () => {
    const o = parseBpfObject(obj('maps_globals'));
    expect(o.maps).toEqual([{ name: 'arr', offset: 0, size: 32 }, { name: 'htab', offset: 32, size: 32 }]);
    const byName = Object.fromEntries(o.dataSections.map((d) => [d.name, d]));
    expect(byName['.data'].variables).toEqual([{ name: 'counter', offset: 0, size: 4, global: true }]);
    expect(Buffer.from(byName['.data'].data).readUInt32LE(0)).toBe(7); // int counter = 7
    expect(Buffer.from(byName['.rodata'].data).readUInt32LE(0)).toBe(0xc0ffee); // magic
    expect(byName['.bss']).toMatchObject({ kind: 'bss', size: 8, data: new Uint8Array(8) });
  });

  it('shared_subprog: the calls to bump() and the map loads are relocations on the right instructions', () => {
    const o = parseBpfObject(obj('shared_subprog'));
    const writer = o.programs.find((p) => p.name === 'syscall')!;
    const calls = writer.relocations.filter((r) => r.target === 'subprog');
    expect(calls.map((r) => writer.insns[r.offset])).toEqual([0x85, 0x85]);
    expect(calls.every((r) => r.symbolSection === '.text' && r.typeName === 'R_BPF_64_32')).toBe(true);
    const text = o.programs.find((p) => p.name === '.text')!;
    expect(text.functions).toEqual([{ name: 'bump', offset: 0, insnOff: 0, size: text.insns.length, global: false }]);
    expect(text.relocations.map((r) => [r.target, r.symbol.name, text.insns[r.offset]])).toEqual([['map', 'shared', 0x18]]);
  });

  it('tprog: kfunc calls are relocations against undefined (extern) symbols', () => {
    const o = parseBpfObject(obj('tprog'));
    const p = o.programs.find((s) => s.name === 'tp_btf/sys_enter')!;
    expect(p.relocations.filter((r) => r.target === 'extern').map((r) => r.symbol.name)).toEqual(['bpf_rcu_read_lock', 'bpf_rcu_read_unlock']);
  });

  it('parseBtfExt without BTF strings leaves section names unresolved', () => {
    const o = parseElf(obj('minimal'));
    const ext = parseBtfExt(o.sectionByName('.BTF.ext')!.data);
    expect(ext.funcInfo[0].secName).toBeNull();
    expect(ext.funcInfo[0].records).toHaveLength(1);
  });
});
