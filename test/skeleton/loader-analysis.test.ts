import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseLskel } from '../../src/skeleton/lskel-parse.js';
import {
  analyzeLoader, LoaderAnalysisError, patchLoaderDataHash, staticInnerCalls, type CopyCall, type LoaderAnalysis,
  type NameLookupCall,
} from '../../src/skeleton/loader-analysis.js';
import { fromHex, toHex } from '../../src/util/hex.js';
import { VARIANTS } from './lskel-fixtures.js';

const analyzed = VARIANTS.map((v) => {
  const m = parseLskel(v.source, v.file);
  return { v, m, a: analyzeLoader(m.loader.insns, m.loader.data) };
});

function find(fixture: string, name: string): (typeof analyzed)[number] {
  const r = analyzed.find((x) => x.v.fixture === fixture && x.v.variant === name);
  if (r === undefined) throw new Error(`${fixture} ${name}`);
  return r;
}

/** The imm field bytes of the hash check's 8 ld_imm64 halves. */
function immBytes(a: LoaderAnalysis): Set<number> {
  const s = new Set<number>();
  for (const d of a.hashCheck!.dwords) for (const slot of [d.immSlot, d.immSlot + 1]) for (let k = 4; k < 8; k++) s.add(slot * 8 + k);
  return s;
}

describe('analyzeLoader against expected/*.json', () => {
  for (const { v, m, a } of analyzed) {
    describe(`${v.fixture} ${v.variant}`, () => {
      const e = v.expected.loader;

      it('reproduces variants.loader', () => {
        expect(a.hashCheck === null ? null : toHex(a.hashCheck.embeddedHash)).toBe(e.embedded_data_hash);
        expect(a.readsMapExcl).toBe(e.reads_map_excl);
        expect(a.readsMapSha).toBe(e.reads_map_sha);
        expect(a.copiesInitialValuesFromCtx).toBe(e.copies_initial_values_from_ctx);
        expect(a.debug).toBe(e.debug_trace_printk);
        expect(a.insnSlots).toBe(e.insn_cnt);
      });

      it('reproduces variants.static_inner_calls entry by entry', () => {
        const got = staticInnerCalls(a, m.loader.data);
        const want = v.expected.static_inner_calls;
        for (let i = 0; i < Math.max(got.length, want.length); i++) expect(got[i], `entry ${i}`).toEqual(want[i]);
      });

      it('finds the prologue and CLEANUP of signing.md §5.1-5.2', () => {
        expect(a.prologue).toMatchObject({ start: 0, end: 7, stackSize: 136, skipSlot: 6 });
        expect(a.cleanup?.start).toBe(7);
        expect(a.cleanup?.end).toBe(a.prologue?.skipTarget);
        // One fd_array slot per map, in map_idx order; btf_fd, inner_map_fd, then one slot per program.
        expect(a.cleanup?.mapFdSlots).toEqual(m.skeleton.maps.map((_, i) => 4 * i));
        const stack = a.cleanup!.stackFdOffsets;
        expect(stack).toEqual(stack.map((_, i) => -136 + 4 * i));
        expect(stack.length - 2).toBeGreaterThanOrEqual(m.skeleton.progs.length);
      });

      it('finds the checks of signed loaders where libbpf emits them', () => {
        const libbpf18Signed = m.signed && m.generation === 'v78';
        expect(a.exclCheck !== null).toBe(libbpf18Signed);
        expect(a.hashCheck !== null).toBe(m.signed);
        if (a.exclCheck !== null) {
          expect(a.exclCheck.start).toBe(a.cleanup!.end);
          expect(a.exclCheck.jumpTarget).toBe(a.cleanup!.start);
        }
        if (a.hashCheck !== null) {
          expect(a.hashCheck.start).toBe(a.exclCheck?.end ?? a.cleanup!.end);
          expect(a.hashCheck.embeddedHash).toEqual(sha256(m.loader.data));
          expect(a.hashCheck.dwords.map((d) => d.readSlot)).toEqual(
            a.mapPointerReads.filter((r) => r.offset < 32).map((r) => r.slot),
          );
          // libbpf 1.7 jumps to CLEANUP+1 (the off-by-one of signing.md §5.3); 1.8 fixed it.
          expect(a.hashCheck.jumpsPastCleanupEntry).toBe(m.generation === 'v77');
          const targets = new Set(a.hashCheck.dwords.map((d) => d.jumpTarget));
          expect([...targets]).toEqual([a.cleanup!.start + (m.generation === 'v77' ? 1 : 0)]);
        }
      });

      it('patching the loader with its own blob hash is the identity', () => {
        if (!m.signed) {
          expect(() => patchLoaderDataHash(m.loader.insns, sha256(m.loader.data))).toThrow(LoaderAnalysisError);
          return;
        }
        expect(patchLoaderDataHash(m.loader.insns, sha256(m.loader.data))).toEqual(m.loader.insns);
      });
    });
  }
});

describe('patchLoaderDataHash', () => {
  it('follows the recorded test vector of signing.md §2.1', () => {
    const { m, a } = find('tprog', 'v77.signed_rsa');
    const digest = sha256(m.loader.data);
    expect(toHex(digest.subarray(0, 8))).toBe('cb47928d28871cda');
    const d0 = a.hashCheck!.dwords[0];
    expect(d0.value).toBe(0xda1c87288d9247cbn);
    const dv = new DataView(m.loader.insns.buffer, m.loader.insns.byteOffset);
    expect(dv.getInt32(d0.immSlot * 8 + 4, true)).toBe(0x8d9247cb | 0);
    expect(dv.getInt32((d0.immSlot + 1) * 8 + 4, true)).toBe(0xda1c8728 | 0);
  });

  it('writes dword i = digest[8i..8i+8) as little-endian u64 into the 4 ld_imm64 and nothing else', () => {
    const { m, a } = find('maps_globals', 'v78.signed_rsa');
    const digest = sha256(find('tprog', 'v77.signed_rsa').m.loader.data);
    const out = patchLoaderDataHash(m.loader.insns, digest);
    expect(m.loader.insns).toEqual(find('maps_globals', 'v78.signed_rsa').m.loader.insns); // input untouched
    const b = analyzeLoader(out, m.loader.data);
    expect(b.hashCheck!.embeddedHash).toEqual(digest);
    const dv = new DataView(out.buffer);
    const slot = b.hashCheck!.dwords[0].immSlot;
    expect(dv.getUint32(slot * 8 + 4, true)).toBe(0x8d9247cb);
    expect(dv.getUint32((slot + 1) * 8 + 4, true)).toBe(0xda1c8728);
    const allowed = immBytes(a);
    for (let i = 0; i < out.length; i++) if (out[i] !== m.loader.insns[i]) expect(allowed.has(i), `byte ${i}`).toBe(true);
  });

  it('re-embeds the hash of a modified blob (property over blob byte flips)', () => {
    const { m } = find('shared_subprog', 'v78dbg.signed_rsa');
    fc.assert(fc.property(fc.nat(m.loader.data.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const data = m.loader.data.slice();
      data[at] ^= x;
      const patched = patchLoaderDataHash(m.loader.insns, sha256(data));
      expect(analyzeLoader(patched, data).hashCheck!.embeddedHash).toEqual(sha256(data));
      expect(patched).not.toEqual(m.loader.insns);
    }), { numRuns: 20 });
  });

  it('refuses digests that are not 32 bytes and loaders without a hash check', () => {
    const { m } = find('minimal', 'v78.signed_ec');
    expect(() => patchLoaderDataHash(m.loader.insns, new Uint8Array(31))).toThrow(/32 bytes/);
    expect(() => patchLoaderDataHash(find('minimal', 'v78').m.loader.insns, new Uint8Array(32))).toThrow(/not a signed loader/);
  });
});

describe('analyzeLoader details', () => {
  it('decodes the sys_bpf, name lookups and copies of tprog v77 (signing.md §5.4)', () => {
    const { a } = find('tprog', 'v77');
    const btf = a.calls.filter((c): c is NameLookupCall => c.kind === 'btf_find_by_name_kind');
    // tp_btf attach target (BTF_KIND_TYPEDEF 8) and two kfuncs (BTF_KIND_FUNC 12), flags 0.
    expect(btf.map((c) => [c.name, c.arg3, c.arg4])).toEqual([
      ['btf_trace_sys_enter', 8, 0], ['bpf_rcu_read_lock', 12, 0], ['bpf_rcu_read_unlock', 12, 0],
    ]);
    // Each internal map: copy_from_user, or probe_read_kernel when ctx.flags has BPF_SKEL_KERNEL.
    const copies = a.calls.filter((c): c is CopyCall => c.kind === 'copy_from_user' || c.kind === 'probe_read_kernel');
    expect(copies.map((c) => [c.kind, c.srcInitialValueOfMap, c.size])).toEqual([
      ['probe_read_kernel', null, 136],
      ['copy_from_user', 1, 4], ['probe_read_kernel', 1, 4],
      ['copy_from_user', 2, 4], ['probe_read_kernel', 2, 4],
      ['copy_from_user', 3, 8], ['probe_read_kernel', 3, 8],
    ]);
    const first = copies[0];
    expect([first.kind, first.srcIsNull, first.dstStackOff]).toEqual(['probe_read_kernel', true, -136]);
  });

  it('reads the debug formats from the blob, one per inner command the real kernel ran (DBG cases)', () => {
    const prefixes: Record<string, string> = {
      btf_load: 'BPF_BTF_LOAD', map_create: 'BPF_MAP_CREATE', update_elem: 'BPF_MAP_UPDATE_ELEM',
      map_freeze: 'BPF_MAP_FREEZE', prog_load: 'BPF_PROG_LOAD', close: 'sys_close',
    };
    for (const fixture of ['maps_globals', 'minimal', 'ringbuf_trace', 'shared_subprog']) {
      const { v, a } = find(fixture, 'v78dbg');
      const run = v.json.cases.find((c) => c.id === 'DBG') as { inner_sequence: Array<{ cmd?: string; helper?: string; attr?: Record<string, unknown> }> };
      const fmts = a.calls.filter((c) => c.kind === 'trace_printk' && c.slot >= a.cleanup!.end)
        .map((c) => (c.kind === 'trace_printk' ? c.fmt! : ''));
      expect(fmts).toHaveLength(run.inner_sequence.length);
      fmts.forEach((fmt, i) => {
        const step = run.inner_sequence[i];
        expect(prefixes[fmt.split(/[ (]/)[0]]).toBe(step.cmd ?? step.helper);
        const name = step.attr?.map_name ?? step.attr?.prog_name;
        if (typeof name === 'string') expect(fmt).toContain(` ${name} `);
        if (step.cmd === 'BPF_BTF_LOAD') expect(fmt).toBe(`btf_load size ${step.attr!.btf_size} r=%d`);
      });
    }
  });

  it('refuses instructions that are not whole slots', () => {
    expect(() => analyzeLoader(new Uint8Array(12), new Uint8Array(0))).toThrow(LoaderAnalysisError);
  });

  it('finds nothing in a program that is not a loader', () => {
    const exit = fromHex('b700000000000000 9500000000000000');
    const a = analyzeLoader(exit, new Uint8Array(0));
    expect([a.prologue, a.cleanup, a.exclCheck, a.hashCheck, a.calls.length]).toEqual([null, null, null, null, 0]);
  });

  it('never throws on arbitrary or mutated instructions', () => {
    const loaders = analyzed.map((x) => x.m);
    fc.assert(fc.property(
      fc.nat(loaders.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 40 }),
      fc.uint8Array({ maxLength: 64 }),
      (k, flips, blob) => {
        const insns = loaders[k].loader.insns.slice();
        for (const [at, x] of flips) insns[at % insns.length] ^= x;
        analyzeLoader(insns, flips.length % 2 ? blob : loaders[k].loader.data);
      },
    ), { numRuns: 60 });
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (slots, blob) => {
      const insns = new Uint8Array(slots.length * 8);
      slots.forEach((s, i) => insns.set(s, i * 8));
      const a = analyzeLoader(insns, blob);
      expect(a.insnSlots).toBe(slots.length);
    }), { numRuns: 200 });
  });
});
