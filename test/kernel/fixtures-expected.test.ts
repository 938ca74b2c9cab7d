/**
 * Every replayable harness case of vendor/shared/fixtures/expected/*.json, loaded in bpfsim on a
 * kernel configured like the recording VM: the outcome, the outer and inner bpf() sequences, the
 * object table and the fds must be the ones the real 6.18.44 kernel produced: equal key for key,
 * except the fields listed (and justified) in KNOWN_DIFFERENCES of test/support/fixture-cases.ts.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE_KERNEL } from '../../src/kernel/config.js';
import type { KernelOptions } from '../../src/kernel/kernel.js';
import {
  FIXTURE_NAMES, dropKnownDifferences, expectedFile, recordedSections, replayableCases, runCase,
} from '../support/fixture-cases.js';

const kernelOptions: KernelOptions = FIXTURE_KERNEL;

for (const name of FIXTURE_NAMES) {
  const file = expectedFile(name);
  describe(`${name}: real-kernel recordings`, () => {
    for (const c of replayableCases(file)) {
      it(`${c.id} (${c.variant}): ${c.what}`, () => {
        const { report, serials } = runCase(file, c, kernelOptions);
        // Strict: the four sections must be equal, key for key, but for the documented KNOWN_DIFFERENCES.
        const ours = dropKnownDifferences(recordedSections(report), c);
        const exp = dropKnownDifferences(recordedSections(c), c);
        expect(ours).toEqual(resolveSymbolic(exp, serials));
        if (c.final_fds) expect(report.final_fds).toEqual({ maps: c.final_fds.maps, progs: c.final_fds.progs });
        if (c.open_fds_after_load) expect(report.open_fds_after_load).toEqual(c.open_fds_after_load);
      });
    }
  });
}

/**
 * Values the recordings write symbolically (a keyring serial such as "<serial of an empty user
 * keyring>", which differs per run) become the serial runCase gave that keyring.
 */
function resolveSymbolic(exp: unknown, serials: ReadonlyMap<string, number>): unknown {
  if (typeof exp === 'string' && exp.startsWith('<')) {
    const v = serials.get(exp);
    if (v === undefined) throw new Error(`unknown symbolic value ${exp}`);
    return v;
  }
  if (Array.isArray(exp)) return exp.map((x) => resolveSymbolic(x, serials));
  if (exp && typeof exp === 'object') return Object.fromEntries(Object.entries(exp as Record<string, unknown>).map(([k, x]) => [k, resolveSymbolic(x, serials)]));
  return exp;
}
