/**
 * The differential errno oracle: the same raw bpf(2) calls — same attr bytes, same buffers, same
 * fds — in bpfsim and in the running Linux 6.18 kernel (through ./oracle/bpf-cmd-oracle.c), after
 * the same world of objects (./world.ts). Every result must be identical, or be one of the narrow,
 * documented divergences of ./divergences.ts. In bpfsim every failed call must also leave the
 * kernel exactly as it was (compareAll checks a snapshot).
 *
 * 1. CHECK_ATTR boundaries: for every command, each byte of the union flipped in turn, on a call
 *    that otherwise fails right after CHECK_ATTR with a distinctive errno.
 * 2. The seeded corpus of structured mutations per command (./corpus.ts).
 * 3. `r0 = 0; exit` loaded as every program type.
 */
import { describe, expect, it } from 'vitest';
import { encodeAttr, MAP_CREATE_ATTR, OBJ_INFO_ATTR } from '../../../src/kernel/attr.js';
import { BPF_CMD } from '../../../src/kernel/uapi.js';
import { compareAll, show, type Compared } from './compare.js';
import { corpus, unsafeForReal } from './corpus.js';
import { explain, PROG_TYPE_GAPS } from './divergences.js';
import { cmdOracle } from './oracle/cmd-oracle.js';
import { FUZZ_SEED, scaled } from './scale.js';
import type { BpfStep } from './script.js';
import { FD, progLoadStep, retImm } from './world.js';

const o = cmdOracle();
if (!('oracle' in o)) console.warn(`[bpf commands differential] skipped: ${o.reason}`);
const oracle = 'oracle' in o ? o.oracle : null;

/** Mismatches no rule explains, and a count per explained rule. */
function judge(results: readonly Compared[]): { unexplained: string[]; explained: Map<string, number> } {
  const unexplained: string[] = [];
  const explained = new Map<string, number>();
  for (const r of results) {
    if (r.real === r.model) continue;
    const d = explain(r.step, r.real, r.model);
    if (d) explained.set(d.rule, (explained.get(d.rule) ?? 0) + 1);
    else unexplained.push(`${r.id}: Linux ${show(r.real)}, bpfsim ${show(r.model)}`);
  }
  return { unexplained, explained };
}

function u32s(vals: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const a = new Uint8Array(168);
  const dv = new DataView(a.buffer);
  for (const [off, v] of vals) dv.setUint32(off, v >>> 0, true);
  return a;
}

const C = BPF_CMD;
const BAD_FD = 40;
const NO_ID = 0x7ffffffe;
const TOKEN = 0x10000; // BPF_F_TOKEN_FD

/**
 * Per command, an attr whose first failure comes right after CHECK_ATTR with an errno CHECK_ATTR
 * never gives (a never-opened fd: EBADF / EBADFD; an id nothing has: ENOENT).
 */
const CHECK_ATTR_PROBES: ReadonlyArray<readonly [string, number, Uint8Array]> = [
  ['BPF_MAP_CREATE', C.BPF_MAP_CREATE, encodeAttr(MAP_CREATE_ATTR, { map_type: 2, key_size: 4, value_size: 8, max_entries: 4, map_flags: TOKEN, map_token_fd: BAD_FD }, 168)],
  ['BPF_MAP_LOOKUP_ELEM', C.BPF_MAP_LOOKUP_ELEM, u32s([[0, BAD_FD]])],
  ['BPF_MAP_UPDATE_ELEM', C.BPF_MAP_UPDATE_ELEM, u32s([[0, BAD_FD]])],
  ['BPF_MAP_DELETE_ELEM', C.BPF_MAP_DELETE_ELEM, u32s([[0, BAD_FD]])],
  ['BPF_MAP_GET_NEXT_KEY', C.BPF_MAP_GET_NEXT_KEY, u32s([[0, BAD_FD]])],
  ['BPF_PROG_LOAD', C.BPF_PROG_LOAD, u32s([[0, 1], [4, 2], [44, TOKEN], [144, BAD_FD]])],
  ['BPF_PROG_TEST_RUN', C.BPF_PROG_TEST_RUN, u32s([[0, BAD_FD]])],
  ['BPF_PROG_GET_NEXT_ID', C.BPF_PROG_GET_NEXT_ID, u32s([[0, NO_ID]])],
  ['BPF_MAP_GET_NEXT_ID', C.BPF_MAP_GET_NEXT_ID, u32s([[0, NO_ID]])],
  ['BPF_PROG_GET_FD_BY_ID', C.BPF_PROG_GET_FD_BY_ID, u32s([[0, NO_ID]])],
  ['BPF_MAP_GET_FD_BY_ID', C.BPF_MAP_GET_FD_BY_ID, u32s([[0, NO_ID]])],
  ['BPF_OBJ_GET_INFO_BY_FD', C.BPF_OBJ_GET_INFO_BY_FD, u32s([[0, BAD_FD]])],
  ['BPF_RAW_TRACEPOINT_OPEN', C.BPF_RAW_TRACEPOINT_OPEN, u32s([[8, BAD_FD]])],
  ['BPF_BTF_LOAD', C.BPF_BTF_LOAD, u32s([[32, TOKEN], [36, BAD_FD]])],
  ['BPF_BTF_GET_FD_BY_ID', C.BPF_BTF_GET_FD_BY_ID, u32s([[0, NO_ID]])],
  ['BPF_MAP_FREEZE', C.BPF_MAP_FREEZE, u32s([[0, BAD_FD]])],
  ['BPF_BTF_GET_NEXT_ID', C.BPF_BTF_GET_NEXT_ID, u32s([[0, NO_ID]])],
  ['BPF_LINK_CREATE', C.BPF_LINK_CREATE, u32s([[0, BAD_FD]])],
  ['BPF_LINK_GET_FD_BY_ID', C.BPF_LINK_GET_FD_BY_ID, u32s([[0, NO_ID]])],
  ['BPF_LINK_GET_NEXT_ID', C.BPF_LINK_GET_NEXT_ID, u32s([[0, NO_ID]])],
];

describe.skipIf(oracle === null)('bpf() commands against Linux 6.18', () => {
  it('CHECK_ATTR: every byte of the union, for every command, as Linux judges it', () => {
    const cases: Array<{ id: string; step: BpfStep }> = [];
    for (const [name, cmd, attr] of CHECK_ATTR_PROBES) {
      cases.push({ id: `${name} unchanged`, step: { type: 'bpf', cmd, size: 168, attr } });
      for (let off = 0; off < 168; off++) {
        const b = attr.slice();
        b[off] ^= 0x40;
        cases.push({ id: `${name} byte ${off}`, step: { type: 'bpf', cmd, size: 168, attr: b } });
      }
    }
    // (The state property is checked by the corpus below and by test/kernel/robustness.)
    const results = compareAll(oracle!, cases, false);
    // The probes themselves fail as intended in Linux (so each flipped byte tests CHECK_ATTR).
    for (const r of results.filter((x) => x.id.endsWith('unchanged'))) expect(['EBADF', 'EBADFD', 'ENOENT'], r.id).toContain(show(r.real));
    // Each command has some bytes Linux rejects as beyond its last field (EINVAL), except those whose
    // last field ends the union.
    expect(results.filter((r) => r.real === -22).length).toBeGreaterThan(1000);
    const { unexplained } = judge(results);
    expect(unexplained).toEqual([]);
  });

  it('info structs: every byte of each kind\'s struct (and past it) set in turn, as Linux judges it', () => {
    const kinds: ReadonlyArray<readonly [string, number, number]> = [['map', FD.ARRAY, 104], ['prog', FD.SOCKET_FILTER, 232], ['btf', FD.BTF, 32], ['link', FD.LINK, 64]];
    const cases: Array<{ id: string; step: BpfStep }> = [];
    for (const [name, fd, size] of kinds) {
      for (let off = 0; off < size + 8; off++) {
        const info = new Uint8Array(4096);
        info[off] = off % 8 === 0 ? 8 : 1;
        cases.push({
          id: `${name} info byte ${off}`,
          step: { type: 'bpf', cmd: C.BPF_OBJ_GET_INFO_BY_FD, size: 16, attr: encodeAttr(OBJ_INFO_ATTR, { bpf_fd: fd, info_len: size + 8 }, 16), bufs: [info], relocs: [{ target: 'attr', off: 8, ptr: { to: 'buf', buf: 0 } }] },
        });
      }
    }
    const results = compareAll(oracle!, cases);
    expect(results.filter((r) => r.real === -7).length).toBeGreaterThan(20); // bytes past each struct
    expect(judge(results).unexplained).toEqual([]);
  });

  it('a seeded corpus of structured attr mutations per command gets the same result', () => {
    const all = corpus(FUZZ_SEED, scaled(40));
    const safe = all.filter((c) => unsafeForReal(c.case) === null);
    const results = compareAll(oracle!, safe.map((c) => ({ id: `${c.script.id} [${c.case.desc.join('; ')}] size ${c.case.step.size}`, step: c.case.step })));
    const { unexplained, explained } = judge(results);
    const failures = results.filter((r) => r.real < 0).length;
    console.log(`[bpf commands differential] ${results.length} calls (${failures} failing in Linux, ${all.length - safe.length} not sent: too big or too slow for a real kernel); explained divergences: ${JSON.stringify(Object.fromEntries(explained))}`);
    // The corpus exercises both success and failure paths of every command.
    expect(failures).toBeGreaterThan(results.length / 3);
    expect(results.length - failures).toBeGreaterThan(results.length / 10);
    expect(unexplained).toEqual([]);
  });

  it('loads `r0 = 0; exit` as every program type like Linux, except the documented verifier gaps', () => {
    // With the expected attach type each type needs (0 where any is accepted), and sleepable for SYSCALL.
    const eat: Readonly<Record<number, number>> = { 8: 0, 9: 2, 18: 8, 21: 39, 25: 21, 26: 23, 29: 27, 30: 36, 32: 45 };
    const cases: Array<{ id: string; step: BpfStep }> = [];
    for (let t = 0; t <= 34; t++) {
      for (const e of new Set([0, eat[t] ?? 0])) {
        const st = progLoadStep(t, retImm(0), 'p', t === 31 ? 16 : 0);
        new DataView(st.attr.buffer).setUint32(68, e, true);
        cases.push({ id: `prog_type ${t} expected_attach_type ${e}`, step: st });
      }
    }
    const results = compareAll(oracle!, cases);
    const differing = new Set(results.filter((r) => r.real !== r.model).map((r) => Number(r.id.split(' ')[1])));
    // Exactly the documented types differ: when the verifier learns one, this list must shrink.
    // (TRACING needs an attach target, which both refuse alike when none is given.)
    expect([...differing].sort((a, b) => a - b), 'update PROG_TYPE_GAPS (divergences.ts) when the verifier learns a program type')
      .toEqual(Object.keys(PROG_TYPE_GAPS).map(Number).filter((t) => t !== 26).sort((a, b) => a - b));
    // Most types load in both.
    expect(results.filter((r) => r.real >= 0 && r.model >= 0).length).toBeGreaterThan(20);
  });
});
