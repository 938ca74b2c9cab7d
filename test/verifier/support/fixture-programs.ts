/**
 * The fixtures' programs as verifier inputs, built without the kernel model:
 * - loader programs: `opts_insn` of each light skeleton, loaded as Linux loads them (SYSCALL,
 *   BPF_F_SLEEPABLE, fd_array[0] = the loader map: ARRAY, key 4, value = blob size, one entry,
 *   exclusive to sha256(insns) in signed skeletons, frozen);
 * - inner programs: the code sections of obj/*.bpf.o relocated the way libbpf does it (maps and
 *   global data as MAP_FD / MAP_VALUE ld_imm64s, .text subprograms appended, kfunc calls given BTF
 *   ids), with the maps of fixtures/expected/<f>.json.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decode, type Program } from '../../../src/isa/program.js';
import { findCharArray } from '../../../src/skeleton/c-literal.js';
import { parseBpfObject } from '../../../src/skeleton/elf-bpf.js';
import type { KfuncProto, MapDescriptor, VerifyRequest } from '../../../src/verifier/index.js';
import { FIXTURES } from '../../support/paths.js';

export interface FixtureCase {
  readonly name: string;
  readonly request: VerifyRequest;
}

function mapDesc(id: number, m: { mapType: number; keySize: number; valueSize: number; maxEntries: number; mapFlags?: number; name?: string; excl?: Uint8Array | null; frozen?: boolean; rodata?: Uint8Array }): MapDescriptor {
  return {
    id, mapType: m.mapType, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
    mapFlags: m.mapFlags ?? 0, name: m.name ?? '', exclProgSha: m.excl ?? null, frozen: m.frozen ?? false,
    innerMap: null, ...(m.rodata ? { readOnlyValue: m.rodata } : {}),
  };
}

/** Every light skeleton's loader with the loader map it expects. */
export function loaderCases(): FixtureCase[] {
  const dir = join(FIXTURES, 'lskel');
  const out: FixtureCase[] = [];
  for (const f of readdirSync(dir).sort()) {
    const src = readFileSync(join(dir, f), 'utf8');
    const insn = findCharArray(src, 'opts_insn');
    const data = findCharArray(src, 'opts_data');
    if (insn === null || data === null) continue;
    const signed = findCharArray(src, 'opts_excl_hash') !== null;
    const excl = signed ? new Uint8Array(createHash('sha256').update(insn).digest()) : null;
    const map = mapDesc(1, { mapType: 2, keySize: 4, valueSize: data.length, maxEntries: 1, name: '__loader.map', excl, frozen: true });
    out.push({
      name: f.replace(/\.lskel\.h$/, ''),
      request: {
        program: decode(insn), progType: 31, progFlags: 16, logLevel: 1,
        resolveMapFd: (fd) => (fd === 3 ? map : { errno: 9 }),
        fdArray: { read: (i) => (i === 0 ? 3 : 0) },
      },
    });
  }
  return out;
}

interface ExpectedMap {
  name: string; map_type: number; key_size: number; value_size: number; max_entries: number; map_flags: number; frozen: boolean;
}
interface ExpectedProg { name: string; prog_type: number; verified_insns: number }

/** What the reference kernel recorded about a fixture's objects (expected/<f>.json, first case with objects). */
export function expectedObjects(fixture: string): { maps: ExpectedMap[]; progs: ExpectedProg[] } {
  const d = JSON.parse(readFileSync(join(FIXTURES, 'expected', `${fixture}.json`), 'utf8')) as {
    cases: Array<{ variant?: string; objects?: { maps: ExpectedMap[]; progs: ExpectedProg[] } }>;
  };
  const c = d.cases.find((x) => x.objects !== undefined && Array.isArray(x.objects.progs) && x.objects.progs.length > 0);
  if (c === undefined || c.objects === undefined) throw new Error(`no objects recorded for ${fixture}`);
  return c.objects;
}

/** BTF ids the tests give the kfuncs the fixtures call (arbitrary, consistent). */
export const FIXTURE_KFUNCS: ReadonlyMap<string, { id: number; proto: KfuncProto }> = new Map([
  ['bpf_rcu_read_lock', { id: 65470, proto: { name: 'bpf_rcu_read_lock', nargs: 0, ret: 'void', rcu: 'lock' } }],
  ['bpf_rcu_read_unlock', { id: 65472, proto: { name: 'bpf_rcu_read_unlock', nargs: 0, ret: 'void', rcu: 'unlock' } }],
]);

const SECTION_TYPES: ReadonlyArray<readonly [RegExp, number, number, number]> = [
  // [section, prog_type, prog_flags, expected_attach_type]
  [/^socket/, 1, 0, 0],
  [/^syscall/, 31, 16, 0],
  [/^raw_tp\//, 17, 0, 0],
  [/^tp_btf\//, 26, 0, 23],
];

export interface InnerOptions {
  /** Contents of the frozen .rodata map (default: the object's initial data). */
  readonly rodata?: Uint8Array;
}

/** The inner programs of obj/<fixture>.bpf.o, relocated, with their maps. */
export function innerCases(fixture: string, opts: InnerOptions = {}): FixtureCase[] {
  const obj = parseBpfObject(new Uint8Array(readFileSync(join(FIXTURES, 'obj', `${fixture}.bpf.o`))));
  const expected = expectedObjects(fixture);
  const descs = expected.maps.map((m, i) => {
    const sectionData = obj.dataSections.find((s) => m.name.endsWith(s.name));
    const rodata = m.frozen && sectionData?.kind === 'rodata' ? (opts.rodata ?? sectionData.data) : undefined;
    return mapDesc(i + 1, {
      mapType: m.map_type, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries, mapFlags: m.map_flags,
      name: m.name, frozen: m.frozen, ...(rodata ? { rodata: padTo(rodata, m.value_size) } : {}),
    });
  });
  const fdOfMapName = (name: string): number => {
    const i = expected.maps.findIndex((m) => m.name === name);
    if (i < 0) throw new Error(`${fixture}: no map ${name}`);
    return i + 3;
  };
  const fdOfSection = (section: string): number => {
    const i = expected.maps.findIndex((m) => m.name.endsWith(section));
    if (i < 0) throw new Error(`${fixture}: no map for ${section}`);
    return i + 3;
  };
  const text = obj.programs.find((p) => p.name === '.text') ?? null;
  const out: FixtureCase[] = [];
  for (const sec of obj.programs) {
    if (sec.name === '.text') continue;
    const type = SECTION_TYPES.find(([re]) => re.test(sec.name));
    if (type === undefined) throw new Error(`${fixture}: unknown section ${sec.name}`);
    const usesText = sec.relocations.some((r) => r.target === 'subprog' && r.symbolSection === '.text');
    const base = new Uint8Array(sec.insns.length + (usesText && text ? text.insns.length : 0));
    base.set(sec.insns, 0);
    if (usesText && text) base.set(text.insns, sec.insns.length);
    const dv = new DataView(base.buffer);
    const textBase = sec.insnCnt;
    const relocate = (relocs: typeof sec.relocations, off: number) => {
      for (const r of relocs) {
        const i = off + r.insnIndex;
        const at = i * 8;
        if (r.target === 'map') {
          base[at + 1] = (base[at + 1] & 0x0f) | (1 << 4);
          dv.setInt32(at + 4, fdOfMapName(r.symbol.name), true);
        } else if (r.target === 'global-data') {
          const addend = dv.getInt32(at + 4, true) + r.symbol.value;
          base[at + 1] = (base[at + 1] & 0x0f) | (2 << 4);
          dv.setInt32(at + 4, fdOfSection(r.symbolSection!), true);
          dv.setInt32(at + 12, addend, true);
        } else if (r.target === 'subprog') {
          const targetInsn = (r.symbolSection === '.text' ? textBase : off) + r.symbol.value / 8 + dv.getInt32(at + 4, true) + 1;
          dv.setInt32(at + 4, targetInsn - (i + 1), true);
          base[at + 1] = (base[at + 1] & 0x0f) | (1 << 4);
        } else if (r.target === 'extern') {
          const k = FIXTURE_KFUNCS.get(r.symbol.name);
          if (k === undefined) throw new Error(`${fixture}: unknown extern ${r.symbol.name}`);
          base[at + 1] = (base[at + 1] & 0x0f) | (2 << 4);
          dv.setInt32(at + 4, k.id, true);
        }
      }
    };
    relocate(sec.relocations, 0);
    if (usesText && text) relocate(text.relocations, textBase);
    const program: Program = decode(base);
    for (const fn of sec.functions) {
      out.push({
        name: `${fixture}/${fn.name}`,
        request: {
          program, progType: type[1], progFlags: type[2], expectedAttachType: type[3],
          attachBtfId: type[1] === 26 ? 11318 : 0, logLevel: 1,
          resolveMapFd: (fd) => descs[fd - 3] ?? { errno: 9 },
          kfuncs: (id) => [...FIXTURE_KFUNCS.values()].find((k) => k.id === id)?.proto ?? null,
        },
      });
    }
  }
  return out;
}

function padTo(b: Uint8Array, n: number): Uint8Array {
  if (b.length >= n) return b.slice(0, n);
  const out = new Uint8Array(n);
  out.set(b);
  return out;
}

export const FIXTURE_NAMES = ['maps_globals', 'minimal', 'ringbuf_trace', 'shared_subprog', 'tprog'] as const;
