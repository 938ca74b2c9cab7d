/**
 * ELF64 little-endian object files, as clang emits them for BPF (`clang -target bpf -c`): header,
 * section headers, string tables, the symbol table and SHT_REL relocation sections. Every offset,
 * size, count and string index is checked before use; anything malformed is an {@link ElfError}
 * (and nothing else is thrown). Loops are bounded by counts that were checked against the file size.
 *
 * The BPF view on top (programs, maps, global data, license, .BTF/.BTF.ext) is ./bpf-object.ts.
 */

export type ElfErrorCode =
  | 'TRUNCATED' // the file ends before a structure it declares
  | 'BAD_MAGIC'
  | 'BAD_CLASS' // not ELFCLASS64
  | 'BAD_ENDIAN' // not ELFDATA2LSB
  | 'BAD_VERSION'
  | 'BAD_HEADER' // inconsistent header fields (entry sizes, counts, string table index)
  | 'BAD_SECTION' // a section header that cannot be right (offset/size outside the file, bad link)
  | 'OVERLAP' // two sections' file ranges overlap
  | 'BAD_STRING' // a string index outside its table, or a string without its NUL
  | 'BAD_SYMBOL'
  | 'BAD_RELOC'
  | 'NOT_BPF' // a valid ELF file that is not a BPF relocatable object
  | 'BAD_BTF'
  | 'BAD_BTF_EXT';

export class ElfError extends Error {
  readonly code: ElfErrorCode;
  constructor(code: ElfErrorCode, message: string) {
    super(message);
    this.name = 'ElfError';
    this.code = code;
  }
}

export const SHT = {
  NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7, NOBITS: 8, REL: 9,
  SYMTAB_SHNDX: 18, LLVM_ADDRSIG: 0x6fff4c03,
} as const;
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4, MERGE: 0x10, STRINGS: 0x20, INFO_LINK: 0x40, EXCLUDE: 0x80000000 } as const;
export const SHN = { UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const ET_REL = 1;
export const EM_BPF = 247;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;

export interface ElfHeader {
  osabi: number;
  type: number;
  machine: number;
  version: number;
  entry: number;
  phoff: number;
  shoff: number;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes (a view into the file; empty for SHT_NOBITS). */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  /** st_other & 3 */
  visibility: number;
  shndx: number;
}

export interface ElfRelocation {
  offset: number;
  /** ELF64_R_TYPE(r_info) */
  type: number;
  /** ELF64_R_SYM(r_info) */
  sym: number;
  /** Only for SHT_RELA. */
  addend?: bigint;
}

export interface ElfRelocSection {
  /** The SHT_REL(A) section itself. */
  section: ElfSection;
  /** The section the relocations apply to (sh_info). */
  target: ElfSection;
  relocs: ElfRelocation[];
}

export interface ElfFile {
  header: ElfHeader;
  sections: ElfSection[];
  /** The symbol table (entry 0 is the null symbol), empty when there is none. */
  symbols: ElfSymbol[];
  symtab: ElfSection | null;
  relocSections: ElfRelocSection[];
  sectionByName(name: string): ElfSection | undefined;
}

class Reader {
  constructor(readonly b: Uint8Array, private readonly dv = new DataView(b.buffer, b.byteOffset, b.byteLength)) {}
  need(off: number, len: number, what: string): void {
    if (off < 0 || len < 0 || off + len > this.b.length) {
      throw new ElfError('TRUNCATED', `${what}: bytes ${off}..${off + len} are past the end of the file (${this.b.length} bytes)`);
    }
  }
  u8(off: number): number { return this.b[off]; }
  u16(off: number): number { return this.dv.getUint16(off, true); }
  u32(off: number): number { return this.dv.getUint32(off, true); }
  /** A u64 that must fit a JS number (every offset and size in a sane object does). */
  u64(off: number, what: string): number {
    const v = this.dv.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError('BAD_SECTION', `${what} 0x${v.toString(16)} is out of range`);
    return Number(v);
  }
  s64(off: number): bigint { return this.dv.getBigInt64(off, true); }
}

/** The NUL-terminated string at `index` of a string table section. */
function strAt(tab: ElfSection, index: number, what: string): string {
  if (index >= tab.data.length) throw new ElfError('BAD_STRING', `${what}: string index ${index} outside ${tab.name || 'the string table'} (${tab.data.length} bytes)`);
  const end = tab.data.indexOf(0, index);
  if (end < 0) throw new ElfError('BAD_STRING', `${what}: string at ${index} in ${tab.name || 'the string table'} has no terminating NUL`);
  return Buffer.from(tab.data.buffer, tab.data.byteOffset + index, end - index).toString('latin1');
}

function parseHeader(r: Reader): ElfHeader {
  r.need(0, 16, 'ELF identification');
  if (r.u8(0) !== 0x7f || r.u8(1) !== 0x45 || r.u8(2) !== 0x4c || r.u8(3) !== 0x46) throw new ElfError('BAD_MAGIC', 'not an ELF file (bad magic)');
  if (r.u8(4) !== 2) throw new ElfError('BAD_CLASS', `ELF class ${r.u8(4)} is not ELFCLASS64`);
  if (r.u8(5) !== 1) throw new ElfError('BAD_ENDIAN', `ELF data encoding ${r.u8(5)} is not little-endian`);
  if (r.u8(6) !== 1) throw new ElfError('BAD_VERSION', `ELF identification version ${r.u8(6)}`);
  r.need(0, EHDR_SIZE, 'ELF header');
  const h: ElfHeader = {
    osabi: r.u8(7),
    type: r.u16(16),
    machine: r.u16(18),
    version: r.u32(20),
    entry: r.u64(24, 'e_entry'),
    phoff: r.u64(32, 'e_phoff'),
    shoff: r.u64(40, 'e_shoff'),
    flags: r.u32(48),
    ehsize: r.u16(52),
    phentsize: r.u16(54),
    phnum: r.u16(56),
    shentsize: r.u16(58),
    shnum: r.u16(60),
    shstrndx: r.u16(62),
  };
  if (h.version !== 1) throw new ElfError('BAD_VERSION', `ELF version ${h.version}`);
  if (h.ehsize !== EHDR_SIZE) throw new ElfError('BAD_HEADER', `e_ehsize ${h.ehsize} is not ${EHDR_SIZE}`);
  return h;
}

function parseSectionHeaders(r: Reader, h: ElfHeader): Omit<ElfSection, 'name'>[] {
  if (h.shoff === 0) {
    if (h.shnum !== 0) throw new ElfError('BAD_HEADER', 'section headers counted but e_shoff is 0');
    return [];
  }
  if (h.shentsize !== SHDR_SIZE) throw new ElfError('BAD_HEADER', `e_shentsize ${h.shentsize} is not ${SHDR_SIZE}`);
  r.need(h.shoff, SHDR_SIZE, 'section header 0');
  // Extended numbering: with e_shnum 0 the count is in section 0's sh_size, and e_shstrndx ==
  // SHN_XINDEX means the index is in section 0's sh_link.
  let shnum = h.shnum;
  if (shnum === 0) {
    shnum = r.u64(h.shoff + 32, 'section count');
    if (shnum === 0) throw new ElfError('BAD_HEADER', 'e_shoff is set but there are no sections');
  }
  if (shnum > Math.floor((r.b.length - h.shoff) / SHDR_SIZE)) {
    throw new ElfError('TRUNCATED', `${shnum} section headers at ${h.shoff} do not fit in the file`);
  }
  r.need(h.shoff, shnum * SHDR_SIZE, 'section header table');
  const out: Omit<ElfSection, 'name'>[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = h.shoff + i * SHDR_SIZE;
    const type = r.u32(o + 4);
    const offset = r.u64(o + 24, `section ${i} sh_offset`);
    const size = r.u64(o + 32, `section ${i} sh_size`);
    const s = {
      index: i,
      type,
      flags: r.u64(o + 8, `section ${i} sh_flags`),
      addr: r.u64(o + 16, `section ${i} sh_addr`),
      offset,
      size: i === 0 ? 0 : size,
      link: r.u32(o + 40),
      info: r.u32(o + 44),
      addralign: r.u64(o + 48, `section ${i} sh_addralign`),
      entsize: r.u64(o + 56, `section ${i} sh_entsize`),
      data: new Uint8Array(0) as Uint8Array,
    };
    if (i > 0 && type !== SHT.NOBITS && type !== SHT.NULL) {
      if (offset > r.b.length || size > r.b.length - offset) {
        throw new ElfError('BAD_SECTION', `section ${i}: bytes ${offset}..${offset + size} are outside the file (${r.b.length} bytes)`);
      }
      s.data = r.b.subarray(offset, offset + size);
    }
    out.push(s);
  }
  return out;
}

/** No two sections, the ELF header and the section header table may share file bytes. */
function checkOverlaps(h: ElfHeader, secs: Omit<ElfSection, 'name'>[]): void {
  const ranges: Array<{ start: number; end: number; what: string }> = [{ start: 0, end: EHDR_SIZE, what: 'the ELF header' }];
  if (secs.length) ranges.push({ start: h.shoff, end: h.shoff + secs.length * SHDR_SIZE, what: 'the section header table' });
  for (const s of secs) {
    if (s.index === 0 || s.type === SHT.NOBITS || s.type === SHT.NULL || s.size === 0) continue;
    ranges.push({ start: s.offset, end: s.offset + s.size, what: `section ${s.index}` });
  }
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i].start < ranges[i - 1].end) throw new ElfError('OVERLAP', `${ranges[i].what} overlaps ${ranges[i - 1].what}`);
  }
}

function parseSymbols(r: Reader, symtab: ElfSection, secs: ElfSection[]): ElfSymbol[] {
  if (symtab.entsize !== SYM_SIZE) throw new ElfError('BAD_SECTION', `symbol table entry size ${symtab.entsize} is not ${SYM_SIZE}`);
  if (symtab.size % SYM_SIZE) throw new ElfError('BAD_SECTION', `symbol table size ${symtab.size} is not a multiple of ${SYM_SIZE}`);
  const strtab = secs[symtab.link];
  if (!strtab || strtab.type !== SHT.STRTAB) throw new ElfError('BAD_SECTION', `symbol table links to section ${symtab.link}, not a string table`);
  const n = symtab.size / SYM_SIZE;
  const out: ElfSymbol[] = [];
  for (let i = 0; i < n; i++) {
    const o = symtab.offset + i * SYM_SIZE;
    const info = r.u8(o + 4);
    const sym: ElfSymbol = {
      index: i,
      name: strAt(strtab, r.u32(o), `symbol ${i} name`),
      value: r.u64(o + 8, `symbol ${i} value`),
      size: r.u64(o + 16, `symbol ${i} size`),
      bind: info >> 4,
      type: info & 0xf,
      visibility: r.u8(o + 5) & 3,
      shndx: r.u16(o + 6),
    };
    if (sym.shndx === SHN.XINDEX) throw new ElfError('BAD_SYMBOL', `symbol ${i}: extended section indexes are not supported`);
    if (sym.shndx !== SHN.UNDEF && sym.shndx < SHN.LORESERVE && sym.shndx >= secs.length) {
      throw new ElfError('BAD_SYMBOL', `symbol ${i} (${sym.name}) is in section ${sym.shndx}, past the last section`);
    }
    out.push(sym);
  }
  return out;
}

function parseRelocs(r: Reader, rs: ElfSection, secs: ElfSection[], symtab: ElfSection | null, nsyms: number): ElfRelocSection {
  const rela = rs.type === SHT.RELA;
  const ent = rela ? RELA_SIZE : REL_SIZE;
  if (rs.entsize !== ent) throw new ElfError('BAD_SECTION', `${rs.name}: entry size ${rs.entsize} is not ${ent}`);
  if (rs.size % ent) throw new ElfError('BAD_SECTION', `${rs.name}: size ${rs.size} is not a multiple of ${ent}`);
  if (!symtab || rs.link !== symtab.index) throw new ElfError('BAD_SECTION', `${rs.name}: links to section ${rs.link}, not the symbol table`);
  const target = secs[rs.info];
  if (rs.info === 0 || !target) throw new ElfError('BAD_SECTION', `${rs.name}: applies to section ${rs.info}, which does not exist`);
  const relocs: ElfRelocation[] = [];
  const n = rs.size / ent;
  for (let i = 0; i < n; i++) {
    const o = rs.offset + i * ent;
    const offset = r.u64(o, `${rs.name} entry ${i} offset`);
    const info = r.u64(o + 8, `${rs.name} entry ${i} info`);
    const sym = Math.floor(info / 2 ** 32);
    const type = info % 2 ** 32;
    if (sym >= nsyms) throw new ElfError('BAD_RELOC', `${rs.name} entry ${i}: symbol ${sym} does not exist (${nsyms} symbols)`);
    if (offset >= target.size) throw new ElfError('BAD_RELOC', `${rs.name} entry ${i}: offset ${offset} is outside ${target.name} (${target.size} bytes)`);
    relocs.push(rela ? { offset, type, sym, addend: r.s64(o + 16) } : { offset, type, sym });
  }
  return { section: rs, target, relocs };
}

/** Parse an ELF64 little-endian file. Throws {@link ElfError}. */
export function parseElf(bytes: Uint8Array): ElfFile {
  const r = new Reader(bytes);
  const header = parseHeader(r);
  const raw = parseSectionHeaders(r, header);
  checkOverlaps(header, raw);
  let shstrndx = header.shstrndx;
  if (shstrndx === SHN.XINDEX && raw.length) shstrndx = raw[0].link;
  let sections: ElfSection[];
  if (raw.length === 0) {
    sections = [];
  } else {
    const shstr = raw[shstrndx];
    if (!shstr || shstr.type !== SHT.STRTAB) throw new ElfError('BAD_HEADER', `e_shstrndx ${shstrndx} is not a string table`);
    const tab = { ...shstr, name: '.shstrtab' };
    sections = raw.map((s) => ({ ...s, name: strAt(tab, r.u32(header.shoff + s.index * SHDR_SIZE), `section ${s.index} name`) }));
  }
  const symtabs = sections.filter((s) => s.type === SHT.SYMTAB);
  if (symtabs.length > 1) throw new ElfError('BAD_SECTION', `${symtabs.length} symbol tables`);
  const symtab = symtabs[0] ?? null;
  const symbols = symtab ? parseSymbols(r, symtab, sections) : [];
  const relocSections = sections
    .filter((s) => s.type === SHT.REL || s.type === SHT.RELA)
    .map((s) => parseRelocs(r, s, sections, symtab, symbols.length));
  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);
  return { header, sections, symbols, symtab, relocSections, sectionByName: (name) => byName.get(name) };
}
