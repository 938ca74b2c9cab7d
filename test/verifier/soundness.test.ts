/**
 * Soundness: a program the verifier accepts never faults in the interpreter. Random programs
 * (./support/random-programs.ts), the accepted corpus cases and mutations of the fixtures' inner
 * programs are verified; every accepted one runs on random contexts, packets and map contents in
 * the test runtime of ./support/harness.ts (exact-size regions, checked helper arguments).
 *
 * BPFSIM_SOUNDNESS_RUNS scales the random part (default sized for CI, ~10 s); e.g.
 *   BPFSIM_SOUNDNESS_RUNS=200000 npx vitest run test/verifier/soundness.test.ts
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode } from '../../src/isa/program.js';
import {
  Add64, Call, Exit, JEq, Label, LoadMapFd, LoadMem, Mov64, StoreImm, R0, R1, R2, R3, R10, assemble, type AsmItem,
} from '../../src/isa/builders.js';
import { ERRNO } from '../../src/errno.js';
import { Rng } from '../../src/testing/rng.js';
import { caseRequest, parseBatchCase } from '../../src/verifier/batch.js';
import { BPF_MAP_TYPE, verify, type MapDescriptor, type VerifyRequest, type VerifyResult } from '../../src/verifier/index.js';
import { loadLabels } from './corpus/agreement.js';
import { FIXTURE_KFUNCS, FIXTURE_NAMES, innerCases } from './support/fixture-programs.js';
import { harnessSupports, isSoundnessFailure, runAccepted, type HarnessOutcome } from './support/harness.js';
import { programSpecArb, specProgram, specRequest } from './support/random-programs.js';

const RUNS = Number(process.env.BPFSIM_SOUNDNESS_RUNS ?? 8000);
const KFUNCS = [...FIXTURE_KFUNCS.values()].map((k) => k.id);

function describeFailure(req: VerifyRequest, res: VerifyResult, o: HarnessOutcome): string {
  const run = o.run.status === 'fault' ? `${o.run.fault.kind} at ${o.run.fault.pc}: ${o.run.fault.message}` : o.run.status;
  const log = verify({ ...req, logLevel: 2 }).log;
  return `accepted program faulted (${run}; stray stack bytes ${o.strayStackBytes})\nprogram: ${Buffer.from(encode(req.program)).toString('hex')}\n${log.slice(0, 6000)}`;
}

function mapDesc(mapType: number, keySize: number, valueSize: number, maxEntries: number): MapDescriptor {
  return { id: 1, mapType, keySize, valueSize, maxEntries, mapFlags: 0, name: 'm', exclProgSha: null, frozen: false, innerMap: null };
}

describe('the soundness harness detects what an unsound verifier would let through', () => {
  const map = mapDesc(BPF_MAP_TYPE.ARRAY, 4, 8, 1);
  const request = (items: AsmItem[]): VerifyRequest => ({
    program: assemble(items), progType: 31, progFlags: 16, resolveMapFd: (fd) => (fd === 3 ? map : { errno: ERRNO.EBADF }),
  });
  /** Pretend the verifier accepted the program (to exercise the harness on unsafe programs). */
  const forceAccept = (req: VerifyRequest): HarnessOutcome => {
    const r = verify(req);
    expect(r.ok).toBe(false);
    const fake: VerifyResult = {
      ...r, ok: true, errno: 0,
      ldImm64: [{ slot: req.program.op.findIndex((_, i) => req.program.code[i] === 0x18), kind: 'map', map, offset: 0 }],
      usedMaps: [map], stats: { ...r.stats, stackDepth: [16] },
    };
    return runAccepted(req, fake, { seed: 1 });
  };
  const lookup: AsmItem[] = [StoreImm(R10, -8, 0, 'W'), Mov64.reg(R2, R10), Add64.imm(R2, -8), LoadMapFd(R1, 3), Call(1)];

  it('a read one byte past the map value faults', () => {
    const o = forceAccept(request([...lookup, JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 1, 'DW'), Label('out'), Mov64.imm(R0, 0), Exit()]));
    expect(isSoundnessFailure(o)).toBe(true);
    expect(o.run.status === 'fault' && o.run.fault.kind).toBe('memory_access');
  });

  it('a write through the map pointer itself faults (the map object is read-only)', () => {
    const o = forceAccept(request([LoadMapFd(R1, 3), StoreImm(R1, 0, 1, 'DW'), Mov64.imm(R0, 0), Exit()]));
    expect(isSoundnessFailure(o)).toBe(true);
  });

  it('a helper given too small a buffer faults (helper arguments are checked)', () => {
    const o = forceAccept(request([...lookup, JEq.imm(R0, 0, 'out'), Mov64.reg(R1, R0), Mov64.imm(R2, 16), Mov64.imm(R3, 0), Call(113), Label('out'), Mov64.imm(R0, 0), Exit()]));
    expect(isSoundnessFailure(o)).toBe(true);
    expect(o.run.status === 'fault' && o.run.fault.kind).toBe('helper_fault');
  });

  it('a stack write below the 512-byte frame faults', () => {
    const o = forceAccept(request([StoreImm(R10, -520, 7, 'DW'), Mov64.imm(R0, 0), Exit()]));
    expect(o.run.status === 'fault' && o.run.fault.kind).toBe('memory_access');
    expect(isSoundnessFailure(o)).toBe(true);
  });

  it('a stack write inside the frame but below the verified stack depth is caught (stray bytes)', () => {
    // forceAccept claims a stack depth of 16 bytes (the real verdict is a reject: R0 !read_ok).
    const o = forceAccept(request([StoreImm(R10, -24, 7, 'DW'), Exit()]));
    expect(o.run.status).toBe('exit');
    expect(o.strayStackBytes).toBeGreaterThan(0);
    expect(isSoundnessFailure(o)).toBe(true);
  });

  it('packet reads past data_end fault (packet pointers are rewritten to a packet region of exact size)', () => {
    const req: VerifyRequest = {
      program: assemble([LoadMem(R2, R1, 76, 'W'), LoadMem(R3, R1, 80, 'W'), LoadMem(R0, R2, 0, 'B'), Exit()]),
      progType: 1, resolveMapFd: () => ({ errno: ERRNO.EBADF }),
    };
    const r = verify(req);
    expect(r.ok).toBe(false); // R2 invalid access to packet
    const fake: VerifyResult = { ...r, ok: true, errno: 0, ctxPointerLoads: [{ slot: 0, field: 'pkt' }, { slot: 1, field: 'pkt_end' }] };
    const o = runAccepted(req, fake, { seed: 1, packetLen: 0 });
    expect(isSoundnessFailure(o)).toBe(true);
    const ok = runAccepted(req, fake, { seed: 1, packetLen: 1 });
    expect(ok.run.status).toBe('exit');
  });
});

describe('accepted programs never fault', () => {
  it(`random programs (${RUNS} generated)`, () => {
    let accepted = 0, ran = 0;
    fc.assert(fc.property(programSpecArb, fc.integer({ min: 0, max: 0x7fffffff }), (spec, seed) => {
      const req = specRequest(spec, specProgram(spec));
      const res = verify(req);
      if (!res.ok) return;
      accepted++;
      for (let s = 0; s < 2; s++) {
        const o = runAccepted(req, res, { seed: seed + s });
        if (o.run.status !== 'unsupported') ran++;
        if (isSoundnessFailure(o)) throw new Error(describeFailure(req, res, o));
      }
    }), { numRuns: RUNS, seed: Number(process.env.BPFSIM_SOUNDNESS_SEED ?? 20251124) });
    // Not vacuous: a useful share of the random programs is accepted and actually runs.
    expect(accepted).toBeGreaterThan(RUNS * 0.04);
    expect(ran).toBeGreaterThan(accepted);
  }, 600_000);

  it('every accepted corpus case runs without a fault', () => {
    let ran = 0;
    for (const c of loadLabels()) {
      if (c.kernel.verdict !== 'accept' || (c.kernel.processed_insns ?? 0) > 100_000) continue;
      const req = caseRequest(parseBatchCase(c), 0);
      if (!harnessSupports(req.progType)) continue;
      const res = verify(req);
      expect(res.ok, c.id).toBe(true);
      for (let s = 0; s < 2; s++) {
        // may_goto loops run 8M iterations: give them a budget and accept budget exhaustion.
        const o = runAccepted(req, res, { seed: s, budget: 200_000 });
        if (isSoundnessFailure(o)) throw new Error(`${c.id}: ${describeFailure(req, res, o)}`);
        if (o.run.status === 'exit') ran++;
      }
    }
    expect(ran).toBeGreaterThan(1500);
  }, 600_000);

  it('mutations of the fixtures\' inner programs that the verifier accepts run without a fault', () => {
    const rng = new Rng(Number(process.env.BPFSIM_SOUNDNESS_SEED ?? 7));
    const perProgram = Math.max(50, Math.floor(RUNS / 10));
    let accepted = 0;
    for (const f of FIXTURE_NAMES) {
      for (const c of innerCases(f)) {
        const base = encode(c.request.program);
        // The unmutated program runs cleanly.
        const r0 = verify({ ...c.request, logLevel: 0 });
        expect(r0.ok, c.name).toBe(true);
        expect(runAccepted(c.request, r0, { seed: 1, noopKfuncs: KFUNCS }).run.status, c.name).toBe('exit');
        for (let k = 0; k < perProgram; k++) {
          const bytes = mutate(base, rng);
          let program;
          try { program = decode(bytes); } catch { continue; }
          const req: VerifyRequest = { ...c.request, program, logLevel: 0 };
          const res = verify(req);
          if (!res.ok) continue;
          accepted++;
          const o = runAccepted(req, res, { seed: k, noopKfuncs: KFUNCS });
          if (isSoundnessFailure(o)) throw new Error(`${c.name} mutation ${k}: ${describeFailure(req, res, o)}`);
        }
      }
    }
    expect(accepted).toBeGreaterThan(perProgram / 2);
  }, 600_000);
});

/** One or two random edits of an instruction field: offsets, immediates, registers, size/op bits. */
function mutate(base: Uint8Array, rng: Rng): Uint8Array {
  const b = base.slice();
  const dv = new DataView(b.buffer);
  const n = 1 + (rng.u32() % 2);
  for (let m = 0; m < n; m++) {
    const at = (rng.u32() % (b.length / 8)) * 8;
    switch (rng.u32() % 5) {
      case 0: dv.setInt16(at + 2, dv.getInt16(at + 2, true) + [1, -1, 4, -4, 8, -8, 64][rng.u32() % 7], true); break;
      case 1: dv.setInt32(at + 4, dv.getInt32(at + 4, true) + [1, -1, 4, -4, 8, -8, 256][rng.u32() % 7], true); break;
      case 2: b[at + 1] = (b[at + 1] & 0xf0) | (rng.u32() % 11); break;
      case 3: b[at + 1] = (b[at + 1] & 0x0f) | ((rng.u32() % 11) << 4); break;
      default: b[at] ^= [0x08, 0x10, 0x18, 0x20, 0x40, 0x80][rng.u32() % 6]; break;
    }
  }
  return b;
}

