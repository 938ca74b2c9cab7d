/**
 * Precision tracking's walk memo (src/verifier/precision.ts SegmentMemo) skips the part of a
 * backward walk that earlier walks of the same path segment already propagated. Two checks:
 *  - the audit: every walk the memo would cut short runs to its end, and must mark nothing more;
 *  - the memo is off at log level 2 (whose `mark_precise` lines show every step like Linux), and
 *    verification must not depend on the log level: level 1 and level 2 reach the same verdict with
 *    the same processed-instruction and state counts.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caseRequest } from '../../src/verifier/batch.js';
import { verify, type VerifyRequest } from '../../src/verifier/index.js';
import { auditPrecisionMemo } from '../../src/verifier/precision.js';
import { Add64, Exit, JGT, Ja, JLE, JLT, JNE, Label, LoadMem, Mov64, StoreMem, resolveLabels } from '../../src/isa/builders.js';
import { fromInstructions } from '../../src/isa/program.js';
import { loadLabels } from './corpus/agreement.js';
import { programSpecArb, specRequest } from './support/random-programs.js';

function outcome(req: VerifyRequest, logLevel: number) {
  const r = verify({ ...req, logLevel });
  const s = r.stats;
  return { errno: r.errno, processed: s.processedInsns, total: s.totalStates, peak: s.peakStates, maxPerInsn: s.maxStatesPerInsn };
}

function expectSameAtLevels(req: VerifyRequest, what: string): void {
  expect(outcome(req, 1), what).toEqual(outcome(req, 2));
}

const syscall = (items: Parameters<typeof resolveLabels>[0]): VerifyRequest => ({
  program: fromInstructions(resolveLabels(items)), progType: 31, progFlags: 16,
  resolveMapFd: () => ({ errno: 9 }),
});

describe('precision walks give the same result with and without the segment memo', () => {
  beforeAll(() => { auditPrecisionMemo(true); });
  afterEach(() => {
    const { hits, failures } = auditPrecisionMemo(true);
    expect(failures, 'walks the memo cut short that still had marks to make').toBe(0);
    expect(hits, 'the memo was never used').toBeGreaterThan(0);
  });
  afterAll(() => { auditPrecisionMemo(false); });

  it('on bounded loops that re-walk the same segment (the memo shortens every walk)', () => {
    // The bench loop shape (r1 counts up to the constant in r2), with the counter also spilled
    // to the stack and read back so that slots, not only registers, are walked.
    for (const n of [10, 100, 1000, 5000]) {
      expectSameAtLevels(syscall([
        Mov64.imm(0, 0), Mov64.imm(1, 1), Mov64.imm(2, n), Label('loop'),
        Add64.reg(0, 1), Add64.imm(1, 1), JLE.reg(1, 2, 'loop'), Exit(),
      ]), `plain loop to ${n}`);
      expectSameAtLevels(syscall([
        Mov64.imm(0, 0), Mov64.imm(6, 0), StoreMem(10, -8, 6, 'DW'), Label('loop'),
        LoadMem(6, 10, -8, 'DW'), Add64.reg(0, 6), Add64.imm(6, 1), StoreMem(10, -8, 6, 'DW'),
        JLT.imm(6, n, 'loop'), Exit(),
      ]), `spilled counter to ${n}`);
      expectSameAtLevels(syscall([
        Mov64.imm(0, 0), Mov64.imm(7, n), Label('outer'), Mov64.imm(8, 3), Label('inner'),
        Add64.reg(0, 8), Add64.imm(8, -1), JNE.imm(8, 0, 'inner'), Add64.imm(7, -1), JNE.imm(7, 0, 'outer'), Exit(),
      ]), `nested loops ${n} x 3`);
      // Two decided jumps per iteration: the first wants r6 (the same constant every iteration),
      // the second r7 (the counter). A memo that skipped the second walk on any earlier visit
      // (instead of a covering one) would leave r7 imprecise in the checkpoints, and the loop head
      // would be pruned after one iteration.
      expectSameAtLevels(syscall([
        Mov64.imm(0, 0), Mov64.imm(6, 5), Mov64.imm(7, 0), Label('loop'),
        Add64.imm(7, 1), JGT.imm(6, 100, 'out'), JGT.imm(7, n, 'out'), Ja('loop'),
        Label('out'), Exit(),
      ]), `a constant and a counter to ${n}`);
    }
  });

  it('on the kernel-labelled corpus', () => {
    const cases = loadLabels().filter((c) => (c.kernel.processed_insns ?? 0) <= 20_000);
    expect(cases.length).toBeGreaterThan(4000);
    for (const c of cases) expectSameAtLevels(caseRequest(c, 1), c.id);
  });

  it('on random programs (loops, spills, helpers, packet and map access)', () => {
    fc.assert(fc.property(programSpecArb, (spec) => {
      expectSameAtLevels(specRequest(spec), JSON.stringify(spec));
    }), { numRuns: 1500, seed: 0x9ec1 });
  });
});
