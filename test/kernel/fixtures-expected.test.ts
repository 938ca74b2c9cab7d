/**
 * Every replayable harness case of vendor/shared/fixtures/expected/*.json, loaded in bpfsim on a
 * kernel configured like the recording VM: the outcome, the outer and inner bpf() sequences, the
 * object table and the fds must be the ones the real 6.18.44 kernel produced.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE_KERNEL } from '../../src/kernel/config.js';
import type { KernelOptions } from '../../src/kernel/kernel.js';
import {
  FIXTURE_NAMES, expectedFile, projectLike, replayableCases, runCase, type ExpectedCase,
} from '../support/fixture-cases.js';

/** Keys that annotate a recording (how it was made) rather than state something bpfsim must produce. */
const ANNOTATIONS = new Set(['retval_source', 'replaces_open_region', 'open_region', 'map_idx', 'map', 'purpose', 'runtime_patched', 'note']);
/**
 * Numbers that depend on the kernel's own rewrites of verified programs (JIT size, inlined helpers,
 * dead-code removal and the line_info it drops): not modelled (README, "Differences from Linux").
 */
const PROG_APPROX = new Set(['xlated_insns', 'verified_insns', 'jited_bytes', 'nr_line_info']);

/**
 * Tags of programs whose instructions carry vmlinux BTF ids (kfunc calls patched by the loader)
 * depend on the recording kernel's BTF, which the built-in BTF does not reproduce; the tag
 * computation itself is checked against the recorded ids in digest.test.ts.
 */
const kernelOptions: KernelOptions = FIXTURE_KERNEL;

/** Expected values written symbolically (e.g. "<serial of an empty user keyring>"): compared by the case set-up instead. */
function dropSymbolic<T>(v: T): T {
  if (Array.isArray(v)) return v.map(dropSymbolic) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => !(typeof x === 'string' && x.startsWith('<'))).map(([k, x]) => [k, dropSymbolic(x)])) as T;
  }
  return v;
}

function strip<T>(v: T, drop: ReadonlySet<string>): T {
  if (Array.isArray(v)) return v.map((x) => strip(x, drop)) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([k]) => !drop.has(k)).map(([k, x]) => [k, strip(x, drop)])) as T;
  }
  return v;
}

/**
 * btf_find_by_name_kind returns vmlinux BTF ids: with the built-in BTF only "found" is comparable;
 * a recorded `ret: null` means the recording could not observe it.
 */
function normalizeIds(seq: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return seq.map((e) => {
    if (e.helper !== 'btf_find_by_name_kind') return e;
    if (e.ret === null) { const { ret: _ret, ...rest } = e; return rest; }
    return { ...e, ret: typeof e.ret === 'number' && e.ret > 0 ? 'found' : e.ret };
  });
}

for (const name of FIXTURE_NAMES) {
  const file = expectedFile(name);
  describe(`${name}: real-kernel recordings`, () => {
    for (const c of replayableCases(file)) {
      it(`${c.id} (${c.variant}): ${c.what}`, () => {
        const { report } = runCase(file, c, kernelOptions);
        checkOutcome(c, report.outcome);
        if (c.outer_sequence) {
          const exp = dropSymbolic(strip(c.outer_sequence, ANNOTATIONS));
          expect(projectLike(exp, report.outer_sequence)).toEqual(exp);
        }
        if (c.inner_sequence) {
          const exp = normalizeIds(strip(c.inner_sequence, ANNOTATIONS));
          expect(report.inner_sequence).toHaveLength(exp.length);
          expect(normalizeIds(projectLike(exp, report.inner_sequence) as Array<Record<string, unknown>>)).toEqual(exp);
        }
        if (c.objects) {
          expect(report.objects).not.toBeNull();
          let exp = strip(c.objects, PROG_APPROX);
          exp = { ...exp, progs: (exp.progs as Array<Record<string, unknown>>).map((p) => (p.prog_type === 26 ? strip(p, new Set(['tag'])) : p)) };
          expect(projectLike(exp, report.objects)).toEqual(exp);
        }
        if (c.final_fds) expect(report.final_fds).toEqual({ maps: c.final_fds.maps, progs: c.final_fds.progs });
        if (c.open_fds_after_load) expect(report.open_fds_after_load).toEqual(c.open_fds_after_load);
      });
    }
  });
}

function checkOutcome(c: ExpectedCase, actual: Record<string, unknown>): void {
  const exp = c.outcome!;
  for (const k of ['bpf_load_and_run', 'errno', 'errstr', 'skel_load', 'failed_at', 'loader_retval']) {
    if (k in exp) expect({ [k]: actual[k] }).toEqual({ [k]: exp[k] });
  }
  if (!('ctx_log' in exp)) return;
  const log = exp.ctx_log as string[];
  const ours = actual.ctx_log as string[];
  if (log.length === 1 && /^processed \d+ insns/.test(log[0])) {
    // A verifier's summary line alone (the last successful verification): same shape, count within a factor.
    const m = /^processed (\d+) insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read \d+$/;
    expect(ours.at(-1)).toMatch(m);
    const want = Number(m.exec(log.at(-1)!)![1]);
    const got = Number(m.exec(ours.at(-1)!)![1]);
    expect(got).toBeGreaterThan(want / 4);
    expect(got).toBeLessThan(want * 4 + 10);
  } else {
    expect(ours).toEqual(log);
  }
}
