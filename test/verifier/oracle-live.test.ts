/**
 * Live agreement with the running kernel (where bpf() works, as root): cases the checked-in labels
 * do not contain — a corpus generated from another seed, and random programs — are labelled by
 * the kernel now and compared with bpfsim. Skipped, with the reason, where the oracle cannot run.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/errno.js';
import { closeOracle, oracleAvailable } from '../oracle/oracle.js';
import { runCase, summarise, agreementMarkdown, type CaseOutcome } from './corpus/agreement.js';
import type { LabelledCase } from './corpus/case.js';
import { labelCases } from './corpus/label.js';
import { generateCorpus } from './corpus/templates.js';
import { programSpecArb, specCase } from './support/random-programs.js';

const avail = oracleAvailable();
if (!avail.ok) console.warn(`[verifier] live kernel comparison skipped: the kernel oracle is unavailable: ${avail.reason}`);

describe.skipIf(!avail.ok)('live agreement with the running kernel', () => {
  afterAll(async () => { await closeOracle(); });

  let live: LabelledCase[] = [];

  it('labels a fresh sample (corpus from another seed + random programs) with the kernel', async () => {
    // Every 6th case of a differently seeded corpus, skipping the loop cases that run to the 1M limit.
    const corpus = generateCorpus(0xbeef).filter((c, i) => i % 6 === 0 && !c.id.startsWith('loops/unknown_bound') && !c.id.startsWith('loops/may_goto_index'));
    const random = fc.sample(programSpecArb, { numRuns: 600, seed: 4242 }).map((s, i) => specCase(`random/${i}`, s));
    live = await labelCases([...corpus, ...random]);
    expect(live.length).toBeGreaterThan(900);
  }, 300_000);

  it('agrees with the kernel on verdicts (>= 97%) and never accepts a memory-safety reject', () => {
    const outcomes: CaseOutcome[] = live.map(runCase);
    const rows = summarise(outcomes);
    const table = agreementMarkdown(rows);
    const all = rows.find((r) => r.category === 'all')!;
    expect(all.verdictAgree / all.cases, table).toBeGreaterThanOrEqual(0.97);
    const unsound = outcomes.filter((o) => o.kernel.verdict === 'reject' && o.kernel.errno === ERRNO.EACCES && o.verdict === 'accept');
    expect(unsound.map((o) => `${o.id}: ${o.kernel.first_error}`)).toEqual([]);
    expect(all.firstLineAgree / all.bothReject, table).toBeGreaterThanOrEqual(0.8);
  });
});
