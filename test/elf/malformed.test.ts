/**
 * Malformed ELF objects: each header / section / symbol / relocation field broken on its own gives
 * its typed ElfError code, and random bytes or random mutations of the fixture objects give either
 * a parsed object or an ElfError, never another exception.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBpfObject } from '../../src/skeleton/elf-bpf.js';
import { ElfError, type ElfErrorCode, parseElf } from '../../src/skeleton/elf.js';
import { FIXTURES } from '../support/paths.js';

const NAMES = ['minimal', 'maps_globals', 'shared_subprog', 'ringbuf_trace', 'tprog'];
const load = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, 'obj', `${f}.bpf.o`)));
const objs = NAMES.map(load);

/** A copy of fixture `f` with `edit` applied; `at(name, field)` gives section header field offsets. */
function edited(f: string, edit: (b: Uint8Array, dv: DataView, at: Locator) => Uint8Array | void): Uint8Array {
  const b = load(f);
  const dv = new DataView(b.buffer);
  const elf = parseElf(b);
  const shoff = Number(dv.getBigUint64(40, true));
  const at: Locator = {
    shdr: (name, field) => {
      const s = elf.sections.find((x) => x.name === name);
      if (!s) throw new Error(`no section ${name}`);
      return shoff + s.index * 64 + SHDR_FIELD[field];
    },
    section: (name) => elf.sections.find((x) => x.name === name)!,
    symbol: (name) => elf.symtab!.offset + elf.symbols.findIndex((y) => y.name === name) * 24,
    reloc: (secName, i) => elf.sections.find((x) => x.name === secName)!.offset + i * 16,
  };
  return edit(b, dv, at) ?? b;
}

const SHDR_FIELD = { name: 0, type: 4, flags: 8, addr: 16, offset: 24, size: 32, link: 40, info: 44, align: 48, entsize: 56 } as const;
interface Locator {
  shdr(name: string, field: keyof typeof SHDR_FIELD): number;
  section(name: string): { index: number; offset: number; size: number };
  symbol(name: string): number;
  reloc(secName: string, i: number): number;
}

const cases: Array<[string, () => Uint8Array, ElfErrorCode]> = [
  ['empty file', () => new Uint8Array(0), 'TRUNCATED'],
  ['ident only', () => load('minimal').slice(0, 16), 'TRUNCATED'],
  ['bad magic', () => edited('minimal', (b) => void (b[1] = 0x46)), 'BAD_MAGIC'],
  ['32-bit class', () => edited('minimal', (b) => void (b[4] = 1)), 'BAD_CLASS'],
  ['big endian', () => edited('minimal', (b) => void (b[5] = 2)), 'BAD_ENDIAN'],
  ['ident version 0', () => edited('minimal', (b) => void (b[6] = 0)), 'BAD_VERSION'],
  ['e_version 2', () => edited('minimal', (_, dv) => dv.setUint32(20, 2, true)), 'BAD_VERSION'],
  ['e_ehsize 52', () => edited('minimal', (_, dv) => dv.setUint16(52, 52, true)), 'BAD_HEADER'],
  ['e_shentsize 40', () => edited('minimal', (_, dv) => dv.setUint16(58, 40, true)), 'BAD_HEADER'],
  ['e_shoff past the end', () => edited('minimal', (_, dv) => dv.setBigUint64(40, 1n << 40n, true)), 'TRUNCATED'],
  ['e_shoff beyond 2^53', () => edited('minimal', (_, dv) => dv.setBigUint64(40, 1n << 60n, true)), 'BAD_SECTION'],
  ['e_shnum too large', () => edited('minimal', (_, dv) => dv.setUint16(60, 1000, true)), 'TRUNCATED'],
  ['section table cut short', () => load('minimal').slice(0, load('minimal').length - 10), 'TRUNCATED'],
  ['e_shstrndx out of range', () => edited('minimal', (_, dv) => dv.setUint16(62, 200, true)), 'BAD_HEADER'],
  ['e_shstrndx not a string table', () => edited('minimal', (_, dv, at) => dv.setUint16(62, at.section('socket').index, true)), 'BAD_HEADER'],
  ['section past the end', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.shdr('.BTF', 'offset'), 1n << 32n, true)), 'BAD_SECTION'],
  ['section size 2^63', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.shdr('.BTF', 'size'), 1n << 63n, true)), 'BAD_SECTION'],
  ['oversized section', () => edited('minimal', (b, dv, at) => dv.setBigUint64(at.shdr('.BTF', 'size'), BigInt(b.length), true)), 'BAD_SECTION'],
  ['sections overlap', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.shdr('.BTF', 'offset'), BigInt(at.section('.BTF.ext').offset), true)), 'OVERLAP'],
  ['section over the ELF header', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.shdr('license', 'offset'), 8n, true)), 'OVERLAP'],
  ['section over the section table', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.shdr('license', 'offset'), dv.getBigUint64(40, true), true)), 'OVERLAP'],
  ['section name index outside .strtab', () => edited('minimal', (_, dv, at) => dv.setUint32(at.shdr('license', 'name'), 0xffff, true)), 'BAD_STRING'],
  ['section name without its NUL', () => edited('minimal', (b, dv, at) => {
    const st = at.section('.strtab');
    b[st.offset + st.size - 1] = 0x41;
    dv.setUint32(at.shdr('license', 'name'), st.size - 1, true);
  }), 'BAD_STRING'],
  ['symtab entry size', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.shdr('.symtab', 'entsize'), 16n, true)), 'BAD_SECTION'],
  ['symtab size', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.shdr('.symtab', 'size'), BigInt(at.section('.symtab').size - 1), true)), 'BAD_SECTION'],
  ['symtab string table link', () => edited('minimal', (_, dv, at) => dv.setUint32(at.shdr('.symtab', 'link'), at.section('socket').index, true)), 'BAD_SECTION'],
  ['symbol name index', () => edited('minimal', (_, dv, at) => dv.setUint32(at.symbol('minimal_sock'), 0x7fffffff, true)), 'BAD_STRING'],
  ['symbol section index', () => edited('minimal', (_, dv, at) => dv.setUint16(at.symbol('minimal_sock') + 6, 500, true)), 'BAD_SYMBOL'],
  ['symbol SHN_XINDEX', () => edited('minimal', (_, dv, at) => dv.setUint16(at.symbol('minimal_sock') + 6, 0xffff, true)), 'BAD_SYMBOL'],
  ['relocation entry size', () => edited('maps_globals', (_, dv, at) => dv.setBigUint64(at.shdr('.relsyscall', 'entsize'), 24n, true)), 'BAD_SECTION'],
  ['relocation symbol table link', () => edited('maps_globals', (_, dv, at) => dv.setUint32(at.shdr('.relsyscall', 'link'), 1, true)), 'BAD_SECTION'],
  ['relocation target section', () => edited('maps_globals', (_, dv, at) => dv.setUint32(at.shdr('.relsyscall', 'info'), 999, true)), 'BAD_SECTION'],
  ['relocation symbol index', () => edited('maps_globals', (_, dv, at) => dv.setUint32(at.reloc('.relsyscall', 0) + 12, 9999, true)), 'BAD_RELOC'],
  ['relocation outside its section', () => edited('maps_globals', (_, dv, at) => dv.setBigUint64(at.reloc('.relsyscall', 0), 1n << 20n, true)), 'BAD_RELOC'],
  // The BPF view's own checks.
  ['not EM_BPF', () => edited('minimal', (_, dv) => dv.setUint16(18, 62, true)), 'NOT_BPF'],
  ['not ET_REL', () => edited('minimal', (_, dv) => dv.setUint16(16, 2, true)), 'NOT_BPF'],
  ['program size not whole instructions', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.shdr('socket', 'size'), 12n, true)), 'BAD_SECTION'],
  ['relocation inside an instruction', () => edited('maps_globals', (_, dv, at) => dv.setBigUint64(at.reloc('.relsyscall', 0), dv.getBigUint64(at.reloc('.relsyscall', 0), true) + 4n, true)), 'BAD_RELOC'],
  ['R_BPF_64_64 not on ld_imm64', () => edited('maps_globals', (_, dv, at) => dv.setBigUint64(at.reloc('.relsyscall', 0), 0n, true)), 'BAD_RELOC'],
  ['function symbol mid-instruction', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.symbol('minimal_sock') + 8, 4n, true)), 'BAD_SYMBOL'],
  ['function past its section', () => edited('minimal', (_, dv, at) => dv.setBigUint64(at.symbol('minimal_sock') + 16, 1000n, true)), 'BAD_SYMBOL'],
  ['map symbol past .maps', () => edited('maps_globals', (_, dv, at) => dv.setBigUint64(at.symbol('htab') + 16, 64n, true)), 'BAD_SYMBOL'],
  ['variable past .data', () => edited('maps_globals', (_, dv, at) => dv.setBigUint64(at.symbol('counter') + 8, 8n, true)), 'BAD_SYMBOL'],
  ['huge .bss', () => edited('maps_globals', (_, dv, at) => dv.setBigUint64(at.shdr('.bss', 'size'), 1n << 40n, true)), 'BAD_SECTION'],
  ['.BTF magic', () => edited('minimal', (b, _, at) => void (b[at.section('.BTF').offset] ^= 1)), 'BAD_BTF'],
  ['.BTF.ext record size', () => edited('minimal', (b, dv, at) => {
    const s = at.section('.BTF.ext');
    dv.setUint32(s.offset + 32, 7, true); // func_info starts right after the 32-byte header
  }), 'BAD_BTF_EXT'],
  ['.BTF.ext block beyond the section', () => edited('minimal', (_, dv, at) => dv.setUint32(at.section('.BTF.ext').offset + 12, 0x10000, true)), 'BAD_BTF_EXT'],
  ['.BTF.ext empty block', () => edited('minimal', (_, dv, at) => dv.setUint32(at.section('.BTF.ext').offset + 32 + 8, 0, true)), 'BAD_BTF_EXT'],
  ['.BTF.ext section name offset', () => edited('minimal', (_, dv, at) => dv.setUint32(at.section('.BTF.ext').offset + 32 + 4, 0xffffff, true)), 'BAD_BTF_EXT'],
];

describe('malformed objects: typed errors', () => {
  it('the fixtures themselves parse', () => {
    for (const b of objs) expect(parseBpfObject(b).programs.length).toBeGreaterThan(0);
  });
  for (const [what, make, code] of cases) {
    it(`${what}: ElfError ${code}`, () => {
      let err: unknown;
      try {
        parseBpfObject(make());
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ElfError);
      expect((err as ElfError).code).toBe(code);
    });
  }
});

function parseOrElfError(b: Uint8Array): 'ok' | ElfErrorCode {
  try {
    parseBpfObject(b);
    return 'ok';
  } catch (e) {
    if (e instanceof ElfError) return e.code;
    throw e;
  }
}

const INTERESTING = [0n, 1n, 2n, 3n, 7n, 8n, 15n, 16n, 24n, 63n, 64n, 255n, 256n, 0x7fffn, 0xffffn, 0xfff1n, 0x10000n,
  0x7fffffffn, 0xffffffffn, 1n << 32n, 1n << 53n, (1n << 63n) - 1n, (1n << 64n) - 1n];

const edit = fc.record({
  region: fc.constantFrom('ehdr', 'shdr', 'shdr', 'symtab', 'any'),
  // Scrambled so fast-check's bias towards small integers does not pile edits on the first bytes.
  at: fc.integer({ min: 0, max: 0x7fffffff }).map((x) => (Math.imul(x, 2654435761) >>> 0) / 2 ** 32),
  width: fc.constantFrom(1, 2, 4, 8),
  value: fc.oneof(fc.constantFrom(...INTERESTING), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
});

function mutate(src: Uint8Array, edits: Array<{ region: string; at: number; width: number; value: bigint }>, cut: number | null): Uint8Array {
  let b = src.slice();
  const dv = new DataView(b.buffer);
  const shoff = Number(dv.getBigUint64(40, true));
  const shsize = dv.getUint16(60, true) * 64;
  for (const e of edits) {
    // The identification bytes have their own cases above; fast-check's bias towards `at` = 0 would
    // otherwise spend most runs on BAD_MAGIC.
    const [lo, hi] = e.region === 'ehdr' ? [16, 64] : e.region === 'shdr' ? [shoff, shoff + shsize] : [16, b.length];
    const pos = Math.min(lo + Math.floor(e.at * (hi - lo)), b.length - e.width);
    if (pos < 0) continue;
    const v = e.value & ((1n << BigInt(e.width * 8)) - 1n);
    for (let i = 0; i < e.width; i++) b[pos + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  }
  if (cut !== null) b = b.slice(0, Math.floor(cut * b.length));
  return b;
}

describe('fuzzing: only ElfError, ever', () => {
  it('random bytes, some behind a valid ELF identification', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (bytes, ident) => {
      const b = bytes.slice();
      if (ident && b.length >= 16) b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
      expect(parseOrElfError(b)).not.toBe('ok');
    }), { numRuns: 400 });
  });

  it('field overwrites and truncations of the fixture objects', () => {
    const codes = new Map<string, number>();
    fc.assert(fc.property(
      fc.integer({ min: 0, max: objs.length - 1 }),
      fc.array(edit, { minLength: 1, maxLength: 4 }),
      fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }),
      (i, edits, cut) => {
        const r = parseOrElfError(mutate(objs[i], edits, cut));
        codes.set(r, (codes.get(r) ?? 0) + 1);
      },
    ), { numRuns: 1500 });
    // The mutations reach well beyond the header checks.
    if (process.env.ELF_FUZZ_STATS) console.log(codes);
    expect(codes.size).toBeGreaterThanOrEqual(8);
  });
});
