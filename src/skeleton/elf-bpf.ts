/**
 * The BPF view of an ELF object (what libbpf's bpf_object__open sees): program sections with their
 * instructions, functions and per-instruction relocations; map definitions in .maps; global data
 * (.data*, .rodata*, .bss*); license and version; .BTF (structurally parsed) and .BTF.ext.
 * Malformed input is an ElfError; nothing else is thrown.
 */
import { Btf, BtfError } from '../kernel/btf/btf.js';
import { type BtfExt, parseBtfExt } from './btf-ext.js';
import {
  EM_BPF, ET_REL, ElfError, type ElfFile, type ElfSection, type ElfSymbol, SHF, SHN, SHT, STB, STT, parseElf,
} from './elf.js';

/** R_BPF_* relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF: Readonly<Record<number, string>> = {
  0: 'R_BPF_NONE', 1: 'R_BPF_64_64', 2: 'R_BPF_64_ABS64', 3: 'R_BPF_64_ABS32', 4: 'R_BPF_64_NODYLD32', 10: 'R_BPF_64_32',
};
export const R_BPF_64_64 = 1;
export const R_BPF_64_32 = 10;

const INSN_SIZE = 8;
/** Largest .bss section accepted (see parseBpfObject). */
export const MAX_BSS_SIZE = 64 << 20;
const BPF_LD_IMM64 = 0x18;
const BPF_CALL = 0x85;

export interface BpfFunction {
  name: string;
  /** Byte offset in the section, and the same in instructions. */
  offset: number;
  insnOff: number;
  size: number;
  global: boolean;
}

/** What a relocated instruction refers to, in libbpf's terms (bpf_program__record_reloc). */
export type BpfRelocTarget = 'map' | 'global-data' | 'subprog' | 'extern' | 'other';

export interface BpfRelocation {
  /** Index of the relocated instruction in its section. */
  insnIndex: number;
  offset: number;
  type: number;
  typeName: string;
  symbol: ElfSymbol;
  /** Name of the section the symbol is defined in (null for undefined/absolute symbols). */
  symbolSection: string | null;
  target: BpfRelocTarget;
}

export interface BpfProgramSection {
  index: number;
  name: string;
  insns: Uint8Array;
  insnCnt: number;
  functions: BpfFunction[];
  relocations: BpfRelocation[];
}

export interface BpfDataSection {
  index: number;
  name: string;
  kind: 'data' | 'rodata' | 'bss';
  size: number;
  /** Initial contents (zeros for .bss). */
  data: Uint8Array;
  variables: Array<{ name: string; offset: number; size: number; global: boolean }>;
}

export interface BpfMapDefinition {
  name: string;
  offset: number;
  size: number;
}

export interface BpfObjectFile {
  elf: ElfFile;
  license: string | null;
  kernVersion: number | null;
  programs: BpfProgramSection[];
  maps: BpfMapDefinition[];
  mapsSection: ElfSection | null;
  dataSections: BpfDataSection[];
  btf: Btf | null;
  btfExt: BtfExt | null;
}

function dataKind(name: string): BpfDataSection['kind'] | null {
  if (name === '.data' || name.startsWith('.data.')) return 'data';
  if (name === '.rodata' || name.startsWith('.rodata.')) return 'rodata';
  if (name === '.bss' || name.startsWith('.bss.')) return 'bss';
  return null;
}

function isProgramSection(s: ElfSection): boolean {
  return s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0 && s.size > 0;
}

/** Parse a BPF relocatable object (`clang -target bpf -c`). Throws ElfError. */
export function parseBpfObject(bytes: Uint8Array): BpfObjectFile {
  const elf = parseElf(bytes);
  if (elf.header.type !== ET_REL) throw new ElfError('NOT_BPF', `ELF type ${elf.header.type} is not ET_REL`);
  if (elf.header.machine !== EM_BPF) throw new ElfError('NOT_BPF', `ELF machine ${elf.header.machine} is not EM_BPF`);
  const secs = elf.sections;

  const sectionName = (sym: ElfSymbol): string | null =>
    sym.shndx !== SHN.UNDEF && sym.shndx < SHN.LORESERVE ? secs[sym.shndx].name : null;

  const programs: BpfProgramSection[] = [];
  for (const s of secs) {
    if (!isProgramSection(s)) continue;
    if (s.size % INSN_SIZE) throw new ElfError('BAD_SECTION', `program section ${s.name}: size ${s.size} is not a multiple of ${INSN_SIZE}`);
    const functions: BpfFunction[] = [];
    for (const sym of elf.symbols) {
      if (sym.shndx !== s.index || sym.type !== STT.FUNC) continue;
      if (sym.value % INSN_SIZE || sym.value > s.size || sym.size > s.size - sym.value) {
        throw new ElfError('BAD_SYMBOL', `function ${sym.name} (${sym.value}+${sym.size}) does not fit ${s.name} (${s.size} bytes)`);
      }
      functions.push({ name: sym.name, offset: sym.value, insnOff: sym.value / INSN_SIZE, size: sym.size, global: sym.bind !== STB.LOCAL });
    }
    functions.sort((a, b) => a.offset - b.offset);
    const relocations: BpfRelocation[] = [];
    for (const rs of elf.relocSections) {
      if (rs.target.index !== s.index) continue;
      for (const rel of rs.relocs) {
        if (rel.offset % INSN_SIZE) throw new ElfError('BAD_RELOC', `${rs.section.name}: offset ${rel.offset} is not at an instruction`);
        const insnIndex = rel.offset / INSN_SIZE;
        const code = s.data[rel.offset];
        if (rel.type === R_BPF_64_64 && (code !== BPF_LD_IMM64 || rel.offset + 2 * INSN_SIZE > s.size)) {
          throw new ElfError('BAD_RELOC', `${rs.section.name}: R_BPF_64_64 at insn ${insnIndex} is not on a complete ld_imm64 (code 0x${code.toString(16)})`);
        }
        if (rel.type === R_BPF_64_32 && code !== BPF_CALL && code !== BPF_LD_IMM64) {
          throw new ElfError('BAD_RELOC', `${rs.section.name}: R_BPF_64_32 at insn ${insnIndex} is not on a call (code 0x${code.toString(16)})`);
        }
        const symbol = elf.symbols[rel.sym];
        const symbolSection = sectionName(symbol);
        let target: BpfRelocTarget = 'other';
        if (symbol.shndx === SHN.UNDEF) target = 'extern';
        else if (symbolSection === '.maps') target = 'map';
        else if (symbolSection !== null && dataKind(symbolSection)) target = 'global-data';
        else if (symbol.shndx < SHN.LORESERVE && isProgramSection(secs[symbol.shndx])) target = 'subprog';
        relocations.push({ insnIndex, offset: rel.offset, type: rel.type, typeName: R_BPF[rel.type] ?? `R_BPF_${rel.type}`, symbol, symbolSection, target });
      }
    }
    relocations.sort((a, b) => a.offset - b.offset);
    programs.push({ index: s.index, name: s.name, insns: s.data, insnCnt: s.size / INSN_SIZE, functions, relocations });
  }

  const license = (() => {
    const s = elf.sectionByName('license');
    if (!s) return null;
    const nul = s.data.indexOf(0);
    return Buffer.from(s.data.subarray(0, nul < 0 ? s.data.length : nul)).toString('latin1');
  })();
  const kernVersion = (() => {
    const s = elf.sectionByName('version');
    if (!s) return null;
    if (s.size !== 4) throw new ElfError('BAD_SECTION', `version section of ${s.size} bytes (expected 4)`);
    return new DataView(s.data.buffer, s.data.byteOffset, 4).getUint32(0, true);
  })();

  const mapsSection = elf.sectionByName('.maps') ?? null;
  const maps: BpfMapDefinition[] = [];
  if (mapsSection) {
    for (const sym of elf.symbols) {
      if (sym.shndx !== mapsSection.index || sym.type === STT.SECTION) continue;
      if (sym.value > mapsSection.size || sym.size > mapsSection.size - sym.value) {
        throw new ElfError('BAD_SYMBOL', `map ${sym.name} (${sym.value}+${sym.size}) does not fit .maps (${mapsSection.size} bytes)`);
      }
      maps.push({ name: sym.name, offset: sym.value, size: sym.size });
    }
    maps.sort((a, b) => a.offset - b.offset);
  }

  const dataSections: BpfDataSection[] = [];
  for (const s of secs) {
    const kind = dataKind(s.name);
    if (!kind || (s.type !== SHT.PROGBITS && s.type !== SHT.NOBITS)) continue;
    const variables = elf.symbols
      .filter((sym) => sym.shndx === s.index && sym.type === STT.OBJECT)
      .map((sym) => {
        if (sym.value > s.size || sym.size > s.size - sym.value) {
          throw new ElfError('BAD_SYMBOL', `variable ${sym.name} (${sym.value}+${sym.size}) does not fit ${s.name} (${s.size} bytes)`);
        }
        return { name: sym.name, offset: sym.value, size: sym.size, global: sym.bind !== STB.LOCAL };
      })
      .sort((a, b) => a.offset - b.offset);
    // .bss has no file bytes to bound it: cap it well above what any map value can hold
    // (KMALLOC_MAX_SIZE, 4 MiB on x86-64) so a corrupt size cannot exhaust memory.
    if (s.type === SHT.NOBITS && s.size > MAX_BSS_SIZE) {
      throw new ElfError('BAD_SECTION', `${s.name}: ${s.size} bytes is larger than ${MAX_BSS_SIZE}`);
    }
    const data = s.type === SHT.NOBITS ? new Uint8Array(s.size) : s.data;
    dataSections.push({ index: s.index, name: s.name, kind, size: s.size, data, variables });
  }

  let btf: Btf | null = null;
  const btfSec = elf.sectionByName('.BTF');
  if (btfSec) {
    try {
      btf = Btf.parse(btfSec.data);
    } catch (e) {
      if (e instanceof BtfError) throw new ElfError('BAD_BTF', `.BTF: ${e.message}`);
      throw e;
    }
  }
  const extSec = elf.sectionByName('.BTF.ext');
  const btfExt = extSec ? parseBtfExt(extSec.data, btf ? (off) => btfString(btf as Btf, off) : undefined) : null;

  return { elf, license, kernVersion, programs, maps, mapsSection, dataSections, btf, btfExt };
}

/** A string of the BTF string section by offset (UTF-8), or null when out of range. */
export function btfString(btf: Btf, off: number): string | null {
  const r = btf.raw;
  if (off >= r.strLen) return null;
  const start = r.strStart + off;
  const end = r.data.indexOf(0, start);
  return new TextDecoder().decode(r.data.subarray(start, end < 0 ? r.strStart + r.strLen : end));
}
