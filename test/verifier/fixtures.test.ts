/**
 * The fixtures' real programs: every light-skeleton loader and every inner program must verify,
 * with the processed-instruction counts (and, for the loaders, state counts) the reference kernel
 * reported, the exclusive-map check of signing.md §4.10, and the loader's digest.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/isa/program.js';
import { ERRNO } from '../../src/errno.js';
import { progDigest, verify } from '../../src/verifier/index.js';
import { FIXTURE_NAMES, expectedObjects, innerCases, loaderCases } from './support/fixture-programs.js';

const KERNEL = JSON.parse(readFileSync(join(import.meta.dirname, 'data', 'kernel-loaders.json'), 'utf8')) as {
  loaders: Record<string, { processed_insns: number; max_states_per_insn: number; total_states: number; peak_states: number }>;
};

describe('fixture loader programs (SYSCALL, sleepable, fd_array[0] = loader map)', () => {
  const loaders = loaderCases();

  it('finds every light skeleton of the fixtures', () => {
    expect(loaders.map((l) => l.name).sort()).toEqual(Object.keys(KERNEL.loaders).sort());
  });

  for (const l of loaders) {
    it(`${l.name}: accepted with the kernel's exact statistics`, () => {
      const r = verify(l.request);
      expect(r.errno, r.log.slice(-2000)).toBe(0);
      expect(r.ok).toBe(true);
      const k = KERNEL.loaders[l.name];
      expect({
        processed_insns: r.stats.processedInsns, max_states_per_insn: r.stats.maxStatesPerInsn,
        total_states: r.stats.totalStates, peak_states: r.stats.peakStates,
      }).toEqual(k);
      expect(r.log.trimEnd().split('\n').at(-1)).toBe(
        `processed ${k.processed_insns} insns (limit 1000000) max_states_per_insn ${k.max_states_per_insn} total_states ${k.total_states} peak_states ${k.peak_states} mark_read 0`);
      // The loader only uses MAP_IDX forms: its digest is SHA-256 of the raw bytes (signing.md §4.10).
      const raw = encode(l.request.program);
      expect(Buffer.from(r.digest).toString('hex')).toBe(createHash('sha256').update(raw).digest('hex'));
      // The loader map is its only map, used through MAP_IDX / MAP_IDX_VALUE ld_imm64s.
      expect(r.usedMaps.map((m) => m.name)).toEqual(['__loader.map']);
      expect(r.ldImm64.length).toBeGreaterThan(0);
      expect(r.ldImm64.every((p) => p.map.name === '__loader.map')).toBe(true);
      expect(r.stats.stackDepth[0]).toBeGreaterThan(0);
      expect(r.stats.stackDepth[0]).toBeLessThanOrEqual(512);
    });
  }

  it('refuses an exclusive loader map when the program is not the one it was made for (EACCES)', () => {
    const signed = loaders.find((l) => l.name.includes('signed'));
    expect(signed).toBeDefined();
    const bytes = encode(signed!.request.program);
    // Flip the immediate of the first instruction (r6 = r1 style moves have imm 0; any bit changes the hash).
    bytes[4] ^= 1;
    const r = verify({ ...signed!.request, program: { ...signed!.request.program, imm: Int32Array.from(signed!.request.program.imm, (v, i) => (i === 0 ? v ^ 1 : v)) } });
    expect(r.ok).toBe(false);
    expect(r.errno).toBe(ERRNO.EACCES);
    expect(r.log).toBe("program's hash doesn't match map's excl_prog_hash\n" +
      'processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n');
    expect(Buffer.from(r.digest).toString('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('needs fd_array for MAP_IDX (EPROTO) and refuses fds that are not maps (EBADF)', () => {
    const l = loaders[0];
    const noArray = verify({ ...l.request, fdArray: null });
    expect(noArray.errno).toBe(ERRNO.EPROTO);
    const badFd = verify({ ...l.request, fdArray: { read: () => 77 } });
    expect(badFd.errno).toBe(ERRNO.EBADF);
    const fault = verify({ ...l.request, fdArray: { read: () => null } });
    expect(fault.errno).toBe(ERRNO.EFAULT);
  });
});

describe('fixture inner programs (relocated from obj/*.bpf.o)', () => {
  for (const f of FIXTURE_NAMES) {
    const expected = expectedObjects(f).progs;
    // ringbuf_trace's caller sets the .rodata target_tgid before load, and the recorded (first) case
    // is an unsigned loader, which copies it in (fixtures README §3.3): the tgid test stays live.
    const opts = f === 'ringbuf_trace' ? { rodata: new Uint8Array([0x39, 0x30, 0, 0]) } : {};
    for (const c of innerCases(f, opts)) {
      const name = c.name.split('/')[1];
      it(`${c.name}: accepted with the kernel's verified_insns`, () => {
        const r = verify(c.request);
        expect(r.errno, r.log.slice(-2000)).toBe(0);
        const k = expected.find((p) => p.name === name || name.startsWith(p.name));
        expect(k, `expected/${f}.json has no program ${name}`).toBeDefined();
        expect(r.stats.processedInsns).toBe(k!.verified_insns);
      });
    }
  }

  it('ringbuf_trace/on_sys_enter: the frozen .rodata value decides the explored paths, as in Linux', () => {
    // The program filters on a const volatile tgid in .rodata. The 2026 signed loaders keep the
    // blob's 0 (fixtures README §3.3): the filter is dead code and fewer instructions are explored.
    const zero = innerCases('ringbuf_trace', { rodata: new Uint8Array(4) }).find((c) => c.name.endsWith('on_sys_enter'))!;
    const set = innerCases('ringbuf_trace', { rodata: new Uint8Array([1, 0, 0, 0]) }).find((c) => c.name.endsWith('on_sys_enter'))!;
    const z = verify(zero.request), s = verify(set.request);
    expect(z.ok && s.ok).toBe(true);
    expect(z.stats.processedInsns).toBe(34);
    expect(s.stats.processedInsns).toBe(37);
  });

  it('MAP_FD / MAP_VALUE digests zero the map immediates (signing.md §4.10)', () => {
    const c = innerCases('maps_globals')[0];
    const bytes = encode(c.request.program);
    const zeroed = bytes.slice();
    for (let i = 0; i + 16 <= zeroed.length; i += 8) {
      if (zeroed[i] === 0x18 && ((zeroed[i + 1] >> 4) === 1 || (zeroed[i + 1] >> 4) === 2)) {
        zeroed.fill(0, i + 4, i + 8);
        zeroed.fill(0, i + 12, i + 16);
        i += 8;
      }
    }
    expect(zeroed).not.toEqual(bytes);
    const want = createHash('sha256').update(zeroed).digest('hex');
    expect(Buffer.from(progDigest(c.request.program)).toString('hex')).toBe(want);
    expect(Buffer.from(verify(c.request).digest).toString('hex')).toBe(want);
  });
});
