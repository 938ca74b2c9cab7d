import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseLskel, LskelParseError } from '../../src/skeleton/lskel-parse.js';
import { findGlobal, type LskelModel } from '../../src/skeleton/lskel-model.js';
import { toHex } from '../../src/util/hex.js';
import { FIXTURES } from '../support/paths.js';
import { VARIANTS, variant, type FixtureVariant } from './lskel-fixtures.js';

const hex = (b: Uint8Array) => toHex(sha256(b));

function parse(v: FixtureVariant): LskelModel {
  return parseLskel(v.source, v.file);
}

/** The error parseLskel throws for `source` (fails the test if it does not throw one). */
function parseError(source: string): LskelParseError {
  try {
    parseLskel(source, 'x.lskel.h');
  } catch (e) {
    expect(e).toBeInstanceOf(LskelParseError);
    return e as LskelParseError;
  }
  throw new Error('parseLskel accepted the input');
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

describe('parseLskel on every fixture header', () => {
  it('covers all 26 skeletons of fixtures/lskel', () => {
    const files = readdirSync(join(FIXTURES, 'lskel')).filter((f) => f.endsWith('.lskel.h')).sort();
    expect(files).toHaveLength(26);
    expect(VARIANTS.map((v) => v.file).sort()).toEqual(files);
  });

  for (const v of VARIANTS) {
    describe(`${v.fixture} ${v.variant}`, () => {
      const m = parse(v);
      const e = v.expected;

      it('has the loader, blob, signature and excl hash of expected/', () => {
        expect(m.loader.insns.length).toBe(e.loader.insns_size);
        expect(m.loader.insns.length / 8).toBe(e.loader.insn_cnt);
        expect(hex(m.loader.insns)).toBe(e.loader.insns_sha256);
        expect(m.loader.data.length).toBe(e.loader.data_size);
        expect(m.loader.data.length).toBe(e.loader_map_value_size);
        expect(hex(m.loader.data)).toBe(e.loader.data_sha256);
        expect(m.loader.signature?.length ?? 0).toBe(e.loader.signature_size);
        expect(m.loader.signature === null ? null : hex(m.loader.signature)).toBe(e.loader.signature_sha256 ?? null);
        expect(m.loader.exclProgHash === null ? null : toHex(m.loader.exclProgHash)).toBe(e.loader.excl_prog_hash);
        expect(m.loader.signatureMaps).toBeNull();
      });

      it('derives generation, signing and instrumentation from the content', () => {
        const gen = v.variant.slice(0, 3);
        expect(m.generation).toBe(gen);
        expect(e.generator.tool).toContain(`bpftool v${gen[1]}.${gen[2]}`);
        expect(m.signed).toBe(e.generator.signed);
        expect(m.debug).toBe(e.generator.debug);
        expect(m.objName).toBe(v.fixture);
        expect(m.headerGuard).toBe(`__${v.fixture.toUpperCase()}_SKEL_H__`);
      });

      it('lays out the skeleton struct like expected/ (maps, progs, keyring_id, ctx_size)', () => {
        expect(m.skeleton.maps.map((d) => d.name)).toEqual(e.skeleton_struct.maps);
        expect(m.skeleton.progs.map((d) => d.name)).toEqual(e.skeleton_struct.progs);
        expect(m.skeleton.keyringIdOffset !== null).toBe(e.skeleton_struct.keyring_id_member);
        expect(m.skeleton.ctxSize).toBe(e.ctx_size);
        // signing.md §4.6: map i at 24+16i, prog j at 24+16*nr_maps+4j.
        m.skeleton.maps.forEach((d, i) => expect(d.offset).toBe(24 + 16 * i));
        m.skeleton.progs.forEach((d, j) => expect(d.progFdOffset).toBe(24 + 16 * m.skeleton.maps.length + 4 * j));
        expect(m.loader.keyringId).toEqual(
          m.signed ? { kind: 'skeleton_member', offset: m.skeleton.keyringIdOffset } : { kind: 'zero' },
        );
      });

      it('replays bpf_load_and_run with the attr sizes, freeze and hash request the real run used', () => {
        const run = v.json.cases.find((c) => c.variant === v.variant && (c.outcome as { skel_load?: number })?.skel_load === 0
          && Array.isArray(c.outer_sequence));
        expect(run, 'a successful reference case').toBeDefined();
        const seq = run!.outer_sequence as Array<{ syscall: string; cmd?: string; attr_size?: number; attr?: Record<string, unknown>; prot?: string; length?: number; phase?: string }>;
        const bpf = seq.filter((s) => s.syscall === 'bpf');
        expect(bpf.find((s) => s.cmd === 'BPF_MAP_CREATE')?.attr_size).toBe(m.runtime.mapCreateAttrSize);
        expect(bpf.find((s) => s.cmd === 'BPF_MAP_UPDATE_ELEM')?.attr_size).toBe(m.runtime.mapUpdateAttrSize);
        expect(bpf.some((s) => s.cmd === 'BPF_MAP_FREEZE')).toBe(m.runtime.freezesLoaderMap);
        expect(bpf.some((s) => s.cmd === 'BPF_OBJ_GET_INFO_BY_FD')).toBe(m.runtime.requestsLoaderMapHash);
        expect(bpf.find((s) => s.cmd === 'BPF_PROG_LOAD')?.attr_size).toBe(m.runtime.progLoadAttrSize);
        const testRun = bpf.find((s) => s.cmd === 'BPF_PROG_TEST_RUN');
        expect(testRun?.attr_size).toBe(m.runtime.testRunAttrSize);
        expect(testRun?.attr?.ctx_size_in).toBe(m.skeleton.ctxSize);
        // X__load() finalization: one mmap per internal map, in X__open() order, with its prot.
        const fin = seq.filter((s) => s.syscall === 'mmap' && s.phase === 'finalize');
        expect(fin.map((s) => s.prot)).toEqual(m.internalMaps.map((im) => im.prot.replace(/ /g, '')));
        expect(fin.map((s) => s.length)).toEqual(m.internalMaps.map((im) => im.mmapSize));
        const open = run!.open_syscalls as Array<{ length: number }>;
        expect(open.map((s) => s.length)).toEqual(m.internalMaps.map((im) => im.mmapSize));
      });

      it('is frozen', () => {
        expect(Object.isFrozen(m)).toBe(true);
        expect(Object.isFrozen(m.skeleton.progs)).toBe(true);
        expect(Object.isFrozen(m.skeleton.progs[0])).toBe(true);
        expect(Object.isFrozen(m.loader)).toBe(true);
      });
    });
  }
});

describe('parseLskel: what the programs declare', () => {
  it('maps_globals: globals, their maps and initial values (src/maps_globals.bpf.c)', () => {
    const m = parse(variant('maps_globals', 'v78.signed_rsa'));
    expect(m.globals.map((g) => [g.ident, g.structName, g.mapIndex])).toEqual([
      ['data', 'maps_globals__data', 2], ['rodata', 'maps_globals__rodata', 3], ['bss', 'maps_globals__bss', 4],
    ]);
    const magic = findGlobal(m, 'magic');
    expect(magic?.struct.ident).toBe('rodata');
    expect(magic?.variable).toMatchObject({ name: 'magic', declaration: '__u32 magic', typeName: '__u32', offset: 0, size: 4, padding: false, assertedSize: 4 });
    expect(findGlobal(m, 'rodata.magic')?.variable.name).toBe('magic');
    expect(findGlobal(m, 'bss.magic')).toBeNull();
    expect(findGlobal(m, 'bss.total')?.variable).toMatchObject({ size: 8, typeName: '__u64' });
    // const volatile __u32 magic = 0xC0FFEE; int counter = 7; __u64 total (zero).
    const init = Object.fromEntries(m.internalMaps.map((im) => [im.ident, Array.from(im.initialData)]));
    expect(init).toEqual({ data: [7, 0, 0, 0], rodata: [0xee, 0xff, 0xc0, 0], bss: [0, 0, 0, 0, 0, 0, 0, 0] });
    const rodata = m.internalMaps.find((im) => im.ident === 'rodata')!;
    expect(rodata).toMatchObject({ mapIndex: 3, prot: 'PROT_READ', readonly: true, mmapSize: 4096, initialValueOffset: 24 + 16 * 3 + 8 });
    expect(m.internalMaps.find((im) => im.ident === 'data')).toMatchObject({ prot: 'PROT_READ | PROT_WRITE', readonly: false });
    expect(m.asserts).toEqual([
      { section: 'data', name: 'counter', size: 4 }, { section: 'rodata', name: 'magic', size: 4 }, { section: 'bss', name: 'total', size: 8 },
    ]);
  });

  it('tprog v77 signed: the skeleton layout of signing.md §4.6', () => {
    const m = parse(variant('tprog', 'v77.signed_rsa'));
    const s = m.skeleton;
    expect([s.mapsOffset, s.progsOffset, s.linksOffset, s.ctxSize, s.keyringIdOffset]).toEqual([24, 88, 96, 96, 104]);
    expect(s.dataPointers).toEqual([{ ident: 'rodata', offset: 112 }, { ident: 'data', offset: 120 }, { ident: 'bss', offset: 128 }]);
    expect(s.size).toBe(136);
    expect(findGlobal(m, 'cfg_value')?.variable).toMatchObject({ typeName: 'int', size: 4 });
    expect(findGlobal(m, 'hits')?.variable).toMatchObject({ typeName: 'long', size: 8, align: 8 });
    expect(m.internalMaps.find((im) => im.ident === 'rodata')?.initialData).toEqual(Uint8Array.of(42, 0, 0, 0));
  });

  it('records how each program attaches', () => {
    expect(parse(variant('tprog', 'v77')).skeleton.progs.map((p) => p.attach)).toEqual([
      { kind: 'raw_tracepoint_open', tracepoint: null }, { kind: 'raw_tracepoint_open', tracepoint: 'sys_enter' },
    ]);
    expect(parse(variant('minimal', 'v71')).skeleton.progs[0].attach).toEqual({ kind: 'none' });
  });

  it('minimal: no maps member, ctx.sz = 24 + 4', () => {
    const m = parse(variant('minimal', 'v78'));
    expect(m.skeleton.mapsOffset).toBeNull();
    expect(m.skeleton.maps).toEqual([]);
    expect(m.globals).toEqual([]);
    expect(m.asserts).toEqual([]);
  });

  it('ignores whitespace and comments (a re-indented header parses to the same model)', () => {
    const v = variant('maps_globals', 'v78.signed_rsa');
    // None of these characters occurs inside the header's string literals.
    const noisy = v.source.replace(/;/g, ' /* ; */ ;\n\n').replace(/\(/g, '(  ').replace(/\{/g, '{ // brace\n');
    expect(noisy).not.toBe(v.source);
    const a = parseLskel(noisy, v.file);
    expect(a).toEqual(parse(v));
  });
});

describe('parseLskel errors', () => {
  const v78 = variant('maps_globals', 'v78.signed_rsa');

  it('reports the first token that does not fit, with its line and column', () => {
    const src = v78.source.replace('\tint err;\n', '');
    const err = parseError(src);
    expect({ line: err.line, column: err.column }).toEqual(positionOf(src, 'static const char opts_data[]'));
    expect(err.expected).toContain('`int`');
    expect(err.found).toBe('`static`');
    expect(err.message).toMatch(/^x\.lskel\.h:\d+:2: expected /);
  });

  it('refuses an empty file and a truncated one', () => {
    const empty = parseError('');
    expect([empty.line, empty.column, empty.found]).toEqual([1, 1, 'end of file']);
    const cut = parseError(v78.source.slice(0, v78.source.indexOf('static inline int\nmaps_globals__load')));
    expect(cut.found).toBe('end of file');
  });

  it('refuses loader instructions that are not whole slots', () => {
    const src = v78.source.replace('opts_insn[] __attribute__((__aligned__(8))) = "\\\n\\xbf', 'opts_insn[] __attribute__((__aligned__(8))) = "\\\n');
    const err = parseError(src);
    expect(err.expected).toBe('loader instructions in whole 8-byte slots');
    expect(err.found).toBe('2719 bytes');
  });

  it('refuses a 7.1 header whose sizes disagree with its literals', () => {
    const v71 = variant('maps_globals', 'v71').source;
    const src = v71.replace('opts.data_sz = 4160;', 'opts.data_sz = 4161;');
    const err = parseError(src);
    expect({ line: err.line, column: err.column }).toEqual(positionOf(src, '4161'));
    expect(err.found).toBe('4161');
  });

  it('refuses a signed load without the keyring_id member and vice versa', () => {
    expect(parseError(v78.source.replace('\t__s32 keyring_id;\n', '')).expected).toContain('keyring_id');
    const unsigned = variant('maps_globals', 'v78').source;
    expect(parseError(unsigned.replace('\t} links;\n', '\t} links;\n\t__s32 keyring_id;\n')).expected).toContain('signature');
  });

  it('refuses an assert the C compiler would reject, and duplicate names', () => {
    const err = parseError(v78.source.replace('sizeof(s->rodata->magic) == 4', 'sizeof(s->rodata->magic) == 8'));
    expect(err.expected).toBe('a 8-byte variable (as its _Static_assert says)');
    const dup = v78.source.replace('struct bpf_map_desc htab;', 'struct bpf_map_desc arr;');
    expect(parseError(dup).found).toBe('`arr`');
  });

  it('names the attach forms it knows', () => {
    const src = v78.source.replace('((void)prog_fd, 0)', 'skel_attach(prog_fd)');
    expect(parseError(src).expected).toContain('skel_raw_tracepoint_open');
  });

  it('refuses characters C does not have and unterminated comments', () => {
    const bad = parseError(v78.source.replace('int err;', 'int err` ;'));
    expect(bad.expected).toBe('a C token');
    expect(bad.found).toBe("'`'");
    const open = parseError(`${v78.source}/* never closed\n`);
    expect(open.expected).toBe('the end of this comment (`*/`)');
    expect(open.line).toBe(v78.source.split('\n').length);
  });
});
