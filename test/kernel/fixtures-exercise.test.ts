/**
 * The exercise part of the recordings: after a successful load, run the programs, read maps and
 * globals, attach, make getpid() calls and drain ring buffers exactly as the recording harness
 * did, and compare with what the real kernel showed.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE_NAMES, expectedFile, replayableCases, runCase } from '../support/fixture-cases.js';
import { ringbufRecords, runStep, type Step } from '../support/exercise.js';
import { SYS_getpid } from '../../src/kernel/kernel.js';

for (const name of FIXTURE_NAMES) {
  const file = expectedFile(name);
  const cases = replayableCases(file).filter((c) => c.exercise?.steps?.length);
  describe(`${name}: exercise`, () => {
    for (const c of cases) {
      it(`${c.id} (${c.variant})`, () => {
        const { kernel, skel, outcome } = runCase(file, c);
        expect(outcome.skelLoad).toBe(0);
        let called = false;
        let records: ReturnType<typeof ringbufRecords> | null = null;
        for (const step of c.exercise!.steps as Step[]) {
          if (/getpid/.test(String(step.when ?? '')) && !called) {
            for (let i = 0; i < 3; i++) kernel.syscall(SYS_getpid);
            called = true;
          }
          if (step.step === 'ringbuf_record' || step.step === 'ringbuf_summary') {
            records ??= ringbufRecords(kernel, skel, 'events');
            if (step.step === 'ringbuf_record') {
              const r = records[step.seq as number];
              expect(r).toBeDefined();
              expect(r.tgid).toBe(kernel.config.pid); // "this process"
              expect(r.seq).toBe(step.seq);
            } else {
              expect(records.length).toBe(step.records);
              expect(records.filter((r) => r.tgid === kernel.config.pid).length).toBe(step.from_this_process);
            }
            continue;
          }
          const { observed } = runStep(kernel, skel, step);
          if (step.step === 'globals') {
            for (const [k, want] of Object.entries(step.values as Record<string, unknown>)) {
              const got = (observed.values as Record<string, unknown>)[k];
              // Bounds: the real programs fired system-wide; the model sees this process only.
              if (want && typeof want === 'object' && 'min' in want) expect(got as number).toBeGreaterThanOrEqual((want as { min: number }).min);
              else expect({ [k]: got }).toEqual({ [k]: want });
            }
          } else {
            const want = Object.fromEntries(Object.entries(step).filter(([k]) => k !== 'note' && k !== 'by' && k !== 'data'));
            expect(Object.fromEntries(Object.entries(observed).filter(([k]) => k in want))).toEqual(want);
          }
        }
        skel.destroy();
      });
    }
  });
}
