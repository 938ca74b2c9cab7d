/**
 * Differential fuzzing of BPF_BTF_LOAD against the running kernel: mutated fixture BTF and random
 * small type graphs must get the kernel's exact result, log bytes and btf_log_true_size. The seed
 * changes per run and is printed on failure; set BTF_FUZZ_SEED to replay one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { btfLoad, encodeBtf } from '../../src/kernel/btf/index.js';
import { applyMutations, btfSpecs, mutationArb } from './arbitraries.js';
import { FIXTURE_NAMES, objectBtfSection, submittedBtf } from './fixtures.js';
import { openBtfOracle, type OracleRequest } from './oracle.js';

const seed = Number(process.env.BTF_FUZZ_SEED ?? Date.now() % 0x7fffffff);
const { oracle, reason } = openBtfOracle();

function compare(reqs: OracleRequest[], what: (i: number) => string): void {
  const kernel = oracle!(reqs);
  reqs.forEach((q, i) => {
    const r = btfLoad({ data: q.data, btfSize: q.btfSize ?? q.data.length, logLevel: q.logLevel, logSize: q.logSize, logBuf: q.logBuf ? 'present' : 'absent' });
    const mine = { ret: r.ok ? 'ok' : -r.errno, logTrueSize: r.logTrueSize ?? 0, log: r.logBytes ? Buffer.from(r.logBytes).toString('latin1') : null };
    if (JSON.stringify(mine) !== JSON.stringify(kernel[i])) {
      expect({ seed, case: what(i), ...mine }).toEqual({ seed, case: what(i), ...kernel[i] });
    }
  });
}

describe.skipIf(!oracle)(`BTF_LOAD differential fuzzing, seed ${seed}${oracle ? '' : ` (skipped: ${reason})`}`, () => {
  const bases = FIXTURE_NAMES.flatMap((f) => [submittedBtf(f).btf, objectBtfSection(f)]);

  it('mutated fixture BTF (byte flips, field overwrites, kind changes, truncations), assorted logs', () => {
    const arb = fc.record({
      base: fc.integer({ min: 0, max: bases.length - 1 }),
      muts: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
      logLevel: fc.constantFrom(1, 1, 1, 2, 9, 0),
      logSize: fc.constantFrom(1 << 16, 1 << 16, 1 << 16, 100, 0),
    });
    const samples = fc.sample(arb, { numRuns: 1500, seed });
    const reqs = samples.map((s) => ({
      data: applyMutations(bases[s.base], s.muts),
      logLevel: s.logSize === 0 ? s.logLevel : s.logLevel || 1,
      logSize: s.logSize,
      logBuf: s.logSize !== 0,
    }));
    compare(reqs, (i) => JSON.stringify(samples[i]));
  });

  it('random small type graphs', () => {
    const samples = fc.sample(btfSpecs(8), { numRuns: 1500, seed: seed + 1 });
    const reqs = samples.map((s) => ({ data: encodeBtf(s), logLevel: 1, logSize: 1 << 16, logBuf: true }));
    compare(reqs, (i) => JSON.stringify(samples[i], (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  });
});
