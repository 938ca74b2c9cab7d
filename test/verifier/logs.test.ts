/**
 * The verifier log: complete level 1 and level 2 logs of small programs compared line by line with
 * what the reference kernel wrote (data/kernel-logs.json, recorded by corpus/record-logs.ts), and
 * the messages of the unprivileged checks (which the root-only oracle cannot record), compared with
 * the format strings of Linux's kernel/bpf/verifier.c.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Add64, Exit, JNE, Label, LoadMem, Mov64, StoreImm, StoreMem, R0, R1, R2, R10, assemble } from '../../src/isa/builders.js';
import { ERRNO } from '../../src/errno.js';
import { caseRequest, parseBatchCase, runBatchCase } from '../../src/verifier/batch.js';
import { verify, type Capabilities } from '../../src/verifier/index.js';
import { LOG_PROGRAMS } from './corpus/log-programs.js';
import { KERNEL_LOGS_PATH } from './corpus/paths.js';

interface Recorded { ok: boolean; errno: number; log: string }
const KERNEL = JSON.parse(readFileSync(KERNEL_LOGS_PATH, 'utf8')) as {
  logs: Record<string, { level1: Recorded; level2: Recorded }>;
};

/**
 * What is compared: everything except (a) kernel addresses in ld_imm64 lines (the map's address in
 * the kernel, bpfsim's simulated one) and (b) the "(0) frame 0 insn N +live -8" lines of 6.18's
 * static stack-liveness analysis, which bpfsim does not implement (it keeps classic read marks).
 */
function normalise(log: string): string[] {
  return log.split('\n').filter((l) => !/^\(\d+\) /.test(l)).map((l) => l.replace(/0x[0-9a-f]{12,16}/g, '<addr>'));
}

describe('verifier log lines match Linux 6.18', () => {
  for (const c of LOG_PROGRAMS) {
    for (const level of [1, 2] as const) {
      it(`${c.id} at log level ${level}`, () => {
        const k = KERNEL.logs[c.id][`level${level}`];
        const r = runBatchCase({ ...c, log_level: level });
        expect(r.verdict).toBe(k.ok ? 'accept' : 'reject');
        expect(r.errno).toBe(k.errno);
        expect(normalise(r.result!.log)).toEqual(normalise(k.log));
      });
    }
  }

  it('level 0 writes no log at all', () => {
    const r = runBatchCase({ ...LOG_PROGRAMS[0], log_level: 0 });
    expect(r.verdict).toBe('reject');
    expect(r.result!.log).toBe('');
  });

  it('a log that does not fit log_size fails the load with ENOSPC and keeps the tail (rotating log)', () => {
    const c = LOG_PROGRAMS.find((p) => p.id === 'value_ok')!;
    const full = runBatchCase({ ...c, log_level: 2 });
    expect(full.verdict).toBe('accept');
    const r = verify({ ...caseRequest(parseBatchCase(c), 2), logSize: 100 });
    expect(r.errno).toBe(ERRNO.ENOSPC);
    expect(r.log).toBe(full.result!.log.slice(-99));
  });
});

describe('unprivileged loaders (messages from verifier.c format strings)', () => {
  const NONE: Capabilities = { bpf: false, perfmon: false, sysAdmin: false, netAdmin: false };
  const run = (items: Parameters<typeof assemble>[0]) =>
    verify({ program: assemble(items), progType: 1, caps: NONE, logLevel: 1, resolveMapFd: () => ({ errno: ERRNO.EBADF }) });

  it('refuses loops with "back-edge from insn X to Y" (check_cfg)', () => {
    // 0: r0 = 0; 1: r1 = 0; 2: r1 += 1; 3: if r1 != 4 goto 2; 4: exit
    const r = run([Mov64.imm(R0, 0), Mov64.imm(R1, 0), Label('top'), Add64.imm(R1, 1), JNE.imm(R1, 4, 'top'), Exit()]);
    expect(r.errno).toBe(ERRNO.EINVAL);
    expect(r.log.split('\n')[0]).toBe('back-edge from insn 3 to 2');
  });

  it('refuses reading never-written stack: beyond the allocated stack, then an allocated but unwritten slot', () => {
    // check_stack_slot_within_bounds: without CAP_PERFMON reads must stay within allocated_stack.
    const r = run([LoadMem(R0, R10, -8, 'DW'), Exit()]);
    expect(r.errno).toBe(ERRNO.EACCES);
    expect(r.log).toContain('invalid read from stack R10 off=-8 size=8\n');
    // check_stack_read_fixed_off: the slot exists (fp-16 was written) but fp-8 holds STACK_INVALID.
    const r2 = run([StoreImm(R10, -16, 0, 'DW'), LoadMem(R0, R10, -8, 'DW'), Exit()]);
    expect(r2.errno).toBe(ERRNO.EACCES);
    expect(r2.log).toContain('invalid read from stack off -8+0 size 8\n');
  });

  it('refuses leaking a pointer into the context or the return value (spilling to the stack is fine)', () => {
    const spill = run([Mov64.reg(R2, R10), StoreMem(R10, -8, R2, 'DW'), Mov64.imm(R0, 0), Exit()]);
    expect(spill.errno).toBe(0);
    const r = run([Mov64.reg(R2, R10), StoreMem(R1, 48, R2, 'W'), Mov64.imm(R0, 0), Exit()]);
    expect(r.errno).toBe(ERRNO.EACCES);
    expect(r.log).toContain('R2 leaks addr into ctx\n');
    const ret = run([Mov64.reg(R0, R10), Exit()]);
    expect(ret.errno).toBe(ERRNO.EACCES);
    expect(ret.log).toContain('R0 leaks addr as return value\n');
  });

  it('is accepted by root (CAP_BPF + CAP_PERFMON): the same programs pass', () => {
    const root = (items: Parameters<typeof assemble>[0]) =>
      verify({ program: assemble(items), progType: 1, logLevel: 1, resolveMapFd: () => ({ errno: ERRNO.EBADF }) });
    expect(root([Mov64.imm(R0, 0), Mov64.imm(R1, 0), Label('top'), Add64.imm(R1, 1), JNE.imm(R1, 4, 'top'), Exit()]).ok).toBe(true);
    expect(root([LoadMem(R0, R10, -8, 'DW'), Exit()]).ok).toBe(true);
    expect(root([Mov64.reg(R0, R10), Exit()]).ok).toBe(true);
  });
});
