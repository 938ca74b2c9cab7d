/**
 * The verifier log as a bounded buffer (Linux kernel/bpf/log.c): VLog holds only the part of the
 * log the caller's buffer can show — the last log_size - 1 bytes (rotating) or the first
 * (BPF_LOG_FIXED) — and remembers the longest the log ever was (len_max), which decides ENOSPC even
 * when bpf_vlog_reset later shortened it. So a level-2 log of a million instructions costs a
 * bounded amount of memory, and PROG_LOAD delivers logs of any length, not only their first
 * message.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ERRNO } from '../../src/errno.js';
import { assembleKernelProgram } from '../../src/isa/asm-kernel.js';
import { BpfApi } from '../../src/kernel/api.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { BPF_PROG_TYPE } from '../../src/kernel/uapi.js';
import { VLog } from '../../src/verifier/log.js';
import { verify, type VerifyRequest } from '../../src/verifier/index.js';

type Op = { kind: 'write'; text: string } | { kind: 'reset'; back: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map((text) => ({ kind: 'write' as const, text })) },
  { weight: 1, arbitrary: fc.nat({ max: 40 }).map((back) => ({ kind: 'reset' as const, back })) },
);

describe('VLog keeps a window of the log and its true length', () => {
  it('tail window: the text is what a rotating buffer of that size shows; len_max is the longest the log was', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 3000 }), fc.integer({ min: 0, max: 64 }), (ops, chars) => {
      const log = new VLog(1, { keep: 'tail', chars });
      // Reference: the whole log as one string, and Linux's start_pos (what rotated out).
      let ref = '', start = 0, lenMax = 0;
      for (const op of ops) {
        if (op.kind === 'write') {
          log.verbose(op.text);
          ref += op.text;
          lenMax = Math.max(lenMax, ref.length);
          start = Math.max(start, ref.length - chars);
        } else {
          const pos = Math.max(0, ref.length - op.back);
          log.reset(pos);
          ref = ref.slice(0, pos);
          if (pos < start) start = pos;
        }
      }
      expect(log.text()).toBe(ref.slice(start));
      expect(log.endPos).toBe(ref.length);
      expect(log.lenMax).toBe(lenMax);
      expect(log.truncated).toBe(lenMax > chars);
    }), { numRuns: 300 });
  });

  it('head window (BPF_LOG_FIXED): the text is the first chars bytes of the log', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 3000 }), fc.integer({ min: 0, max: 64 }), (ops, chars) => {
      const log = new VLog(1, { keep: 'head', chars });
      let ref = '';
      for (const op of ops) {
        if (op.kind === 'write') { log.verbose(op.text); ref += op.text; } else {
          const pos = Math.max(0, ref.length - op.back);
          log.reset(pos);
          ref = ref.slice(0, pos);
        }
      }
      expect(log.text()).toBe(ref.slice(0, chars));
    }), { numRuns: 300 });
  });
});

const noMaps = (): { errno: number } => ({ errno: ERRNO.EBADF });
const loop = (n: number) => assembleKernelProgram(`r1 = 0\nr1 += 1\nif r1 < ${n} goto -2\nr0 = 0\nexit`);
const request = (n: number, extra: Partial<VerifyRequest>): VerifyRequest => ({
  program: loop(n), progType: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, logLevel: 2, resolveMapFd: noMaps, ...extra,
});

describe('verify() with a log buffer size', () => {
  const full = verify(request(50, {}));

  it('without a size the whole log comes back, with its true size', () => {
    expect(full.ok).toBe(true);
    expect(full.log.length).toBeGreaterThan(10_000);
    expect(full.logTrueSize).toBe(full.log.length + 1);
    expect(full.logDropped).toBe(0);
  });

  it('a log that does not fit is ENOSPC and leaves its last log_size - 1 bytes (BPF_LOG_FIXED: its first)', () => {
    const r = verify(request(50, { logSize: 4096 }));
    expect(r.errno).toBe(ERRNO.ENOSPC);
    expect(r.log).toBe(full.log.slice(full.log.length - 4095));
    expect(r.logTrueSize).toBe(full.logTrueSize);
    const fixed = verify(request(50, { logLevel: 2 | 8, logSize: 4096 }));
    expect(fixed.errno).toBe(ERRNO.ENOSPC);
    expect(fixed.log).toBe(full.log.slice(0, 4095));
  });

  it('a log that fits exactly is not ENOSPC', () => {
    const r = verify(request(50, { logSize: full.logTrueSize }));
    expect(r.ok).toBe(true);
    expect(r.log).toBe(full.log);
  });

  it('a log that once outgrew the buffer is ENOSPC even though a reset left it short (len_max)', () => {
    // At level 1 the log of a path that verified is dropped when the next branch is popped: the
    // final log is only the stats line, but it was longer while the first path was printed.
    const branchy = assembleKernelProgram(`r0 = *(u32 *)(r1 + 0)\nif r0 > 5 goto +3\nr0 = 1\nr0 = 2\nr0 = 3\nr0 = 0\nexit`);
    const req: VerifyRequest = { program: branchy, progType: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, logLevel: 1, resolveMapFd: noMaps };
    const unbounded = verify(req);
    expect(unbounded.ok).toBe(true);
    expect(unbounded.logTrueSize).toBeGreaterThan(unbounded.log.length + 1);
    expect(verify({ ...req, logSize: unbounded.log.length + 1 }).errno).toBe(ERRNO.ENOSPC);
    expect(verify({ ...req, logSize: unbounded.logTrueSize }).ok).toBe(true);
  });

  it('a level-2 log of 400,000 processed instructions is held in a bounded window', () => {
    const r = verify(request(200_000, { logSize: 1 << 20 }));
    expect(r.errno).toBe(ERRNO.ENOSPC);
    expect(r.stats.processedInsns).toBe(400_003);
    expect(r.log.length).toBe((1 << 20) - 1);
    expect(r.logTrueSize).toBeGreaterThan(50 << 20);
    expect(r.log.trimEnd().split('\n').at(-1)).toMatch(/^processed 400003 insns \(limit 1000000\)/);
  }, 120_000);
});

describe('BPF_PROG_LOAD delivers the verifier log through the user buffer', () => {
  it('a log of many kilobytes arrives whole (not only its first 1023-byte message)', () => {
    const bpf = new BpfApi(new Kernel());
    const { log } = bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, insns: loop(50), logLevel: 2, logSize: 1 << 20 });
    const want = verify(request(50, {})).log;
    expect(log.join('\n').length).toBeGreaterThan(10_000);
    expect(log.join('\n')).toBe(want.trimEnd());
  });

  it('a buffer too small is ENOSPC', () => {
    const bpf = new BpfApi(new Kernel());
    expect(() => bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, insns: loop(50), logLevel: 2, logSize: 4096 }))
      .toThrow(expect.objectContaining({ errno: ERRNO.ENOSPC }));
  });
});
