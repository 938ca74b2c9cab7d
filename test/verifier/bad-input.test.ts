/**
 * Bad input: arbitrary bytes, huge programs, deep call chains and pathological loops end with a
 * clear verdict (Linux's errno and message) within the processed-instruction limit; the verifier
 * never throws and never hangs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Add64, CallLocal, Exit, JEq, JNE, Label, LoadMem, Mov64, StoreImm, R0, R1, R10, assemble, type AsmItem,
} from '../../src/isa/builders.js';
import { decode, fromInstructions } from '../../src/isa/program.js';
import { resolveLabels } from '../../src/isa/builders.js';
import { assembleKernelProgram } from '../../src/isa/asm-kernel.js';
import { ERRNO } from '../../src/errno.js';
import { runBatchCase } from '../../src/verifier/batch.js';
import { BPF_COMPLEXITY_LIMIT_INSNS, verify, type VerifyRequest } from '../../src/verifier/index.js';

const KNOWN_ERRNOS = new Set([0, ERRNO.EPERM, ERRNO.EACCES, ERRNO.EINVAL, ERRNO.E2BIG, ERRNO.EFAULT, ERRNO.EBADF, ERRNO.ENOTSUPP, ERRNO.ENOSPC, ERRNO.EPROTO, ERRNO.ENOMEM, ERRNO.ENOENT, ERRNO.EBUSY, ERRNO.EOPNOTSUPP].filter((e) => e !== undefined));

const req = (program: VerifyRequest['program'], extra: Partial<VerifyRequest> = {}): VerifyRequest => ({
  program, progType: 1, logLevel: 1, resolveMapFd: () => ({ errno: ERRNO.EBADF }), ...extra,
});

/** Assemble without validation (the programs here are malformed on purpose). */
const raw = (items: readonly AsmItem[]) => fromInstructions(resolveLabels(items));

describe('arbitrary input', () => {
  it('random instruction bytes never throw and end with a known errno and the stats line', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 64 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })),
      fc.integer({ min: 0, max: 40 }), fc.constantFrom(0, 1, 2, 4 | 1),
      (bytes, progType, logLevel) => {
        const r = verify(req(decode(bytes), { progType, logLevel, fdArray: { read: (i) => (i < 4 ? 3 + i : null) } }));
        expect(KNOWN_ERRNOS.has(r.errno), `errno ${r.errno}`).toBe(true);
        expect(r.ok).toBe(r.errno === 0);
        expect(r.stats.processedInsns).toBeLessThanOrEqual(BPF_COMPLEXITY_LIMIT_INSNS + 1);
        if (logLevel !== 0 && r.log !== '') expect(r.log.endsWith('mark_read 0\n')).toBe(true);
      },
    ), { numRuns: 3000 });
  });

  it('mostly-valid random instructions (real opcodes, random registers and offsets) never throw', () => {
    const codes = [0x07, 0x0f, 0x17, 0x1f, 0xb7, 0xbf, 0x15, 0x1d, 0x25, 0x55, 0x61, 0x69, 0x71, 0x79, 0x62, 0x63, 0x7a, 0x7b, 0x85, 0x95, 0x05, 0xdb, 0xc3, 0x18, 0x00, 0xd4, 0xdc, 0x87, 0x84, 0x64, 0x74, 0xc4];
    const insn = fc.tuple(fc.constantFrom(...codes), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -20, max: 20 }), fc.integer({ min: -600, max: 600 }));
    fc.assert(fc.property(fc.array(insn, { minLength: 1, maxLength: 48 }), fc.constantFrom(1, 2, 6, 17, 31), (insns, progType) => {
      const bytes = new Uint8Array(insns.length * 8);
      const dv = new DataView(bytes.buffer);
      insns.forEach(([code, regs, off, imm], i) => {
        bytes[i * 8] = code; bytes[i * 8 + 1] = regs; dv.setInt16(i * 8 + 2, off, true); dv.setInt32(i * 8 + 4, imm, true);
      });
      const r = verify(req(decode(bytes), { progType, progFlags: progType === 31 ? 16 : 0, logLevel: 2 }));
      expect(KNOWN_ERRNOS.has(r.errno), `errno ${r.errno}: ${r.log.slice(-300)}`).toBe(true);
    }), { numRuns: 3000 });
  });

  it('malformed batch cases get an error result, never an exception', () => {
    const bad: unknown[] = [
      null, 42, 'x', [], {}, { id: 'a' }, { id: 'a', prog_type: 'nope', insns: '95' }, { id: 'a', prog_type: 'socket_filter', insns: 'zz' },
      { id: 'a', prog_type: 'socket_filter', insns: '950000000000000' }, { id: 'a', prog_type: 'socket_filter', insns: '', maps: 'x' },
      { id: 'a', prog_type: 'socket_filter', insns: 'b700000000000000950000000000000000', maps: [{ type: 'array', key_size: -1, value_size: 8, max_entries: 1 }] },
      { id: 'a', prog_type: 'socket_filter', insns: 'b7000000000000009500000000000000', maps: [{ type: 'array', key_size: 4, value_size: 8, max_entries: 1, slots: [9] }] },
    ];
    for (const b of bad) {
      const r = runBatchCase(b);
      expect(r.verdict).toBe('reject');
      expect(r.errno).toBe(ERRNO.EINVAL);
    }
    // An empty program is E2BIG in Linux (insn_cnt == 0), not a malformed case.
    expect(runBatchCase({ id: 'e', prog_type: 'socket_filter', insns: '' }).errno_name).toBe('E2BIG');
  });
});

describe('size and complexity limits', () => {
  it('more than 1,000,000 instructions is E2BIG before verification (bpf_prog_load)', () => {
    const n = BPF_COMPLEXITY_LIMIT_INSNS + 1;
    const bytes = new Uint8Array(n * 8);
    for (let i = 0; i < n; i++) bytes[i * 8] = 0xb7; // r0 = 0
    bytes[(n - 1) * 8] = 0x95;
    const r = verify(req(decode(bytes)));
    expect(r.errno).toBe(ERRNO.E2BIG);
    expect(r.stats.processedInsns).toBe(0);
  });

  it('unprivileged loaders are limited to 4096 instructions (BPF_MAXINSNS)', () => {
    const n = 4097;
    const bytes = new Uint8Array(n * 8);
    for (let i = 0; i < n; i++) bytes[i * 8] = 0xb7;
    bytes[(n - 1) * 8] = 0x95;
    const none = { bpf: false, perfmon: false, sysAdmin: false, netAdmin: false };
    expect(verify(req(decode(bytes), { caps: none })).errno).toBe(ERRNO.E2BIG);
    expect(verify(req(decode(bytes))).errno).toBe(0);
  });

  it('a call chain deeper than 8 frames is refused (E2BIG)', () => {
    // main calls f1, f1 calls f2, ... f8: nine frames.
    const items: AsmItem[] = [CallLocal('f1'), Exit()];
    for (let k = 1; k <= 8; k++) items.push(Label(`f${k}`), ...(k < 8 ? [CallLocal(`f${k + 1}`)] : [Mov64.imm(R0, 0)]), Exit());
    const r = verify(req(assemble(items)));
    expect(r.errno).toBe(ERRNO.E2BIG);
    expect(r.log).toContain('the call stack of 9 frames is too deep');
  });

  it('a combined stack over 512 bytes is refused (check_max_stack_depth)', () => {
    const r = verify(req(assemble([
      StoreImm(R10, -320, 0, 'DW'), CallLocal('f'), Mov64.imm(R0, 0), Exit(),
      Label('f'), StoreImm(R10, -320, 0, 'DW'), Mov64.imm(R0, 0), Exit(),
    ])));
    expect(r.errno).toBe(ERRNO.EACCES);
    expect(r.log).toContain('combined stack size of 2 calls is 640. Too large');
  });

  it('an infinite loop is detected', () => {
    const r = verify(req(assemble([Mov64.imm(R0, 0), Label('top'), JEq.imm(R0, 0, 'top'), Exit()])));
    expect(r.errno).toBe(ERRNO.EINVAL);
    expect(r.log).toContain('infinite loop detected at insn 1');
  });

  it('a loop without a provable bound ends at the 1,000,000 processed-instruction limit', () => {
    // r1 = ctx->len; do { r1 += 1 } while (r1 != 0): every iteration differs, nothing prunes.
    const r = verify(req(assemble([LoadMem(R1, R1, 0, 'W'), Mov64.imm(R0, 0), Label('top'), Add64.imm(R1, 1), JNE.imm(R1, 0, 'top'), Exit()]), { logLevel: 0 }));
    expect(r.errno).toBe(ERRNO.E2BIG);
    expect(r.stats.processedInsns).toBe(BPF_COMPLEXITY_LIMIT_INSNS + 1);
  }, 120_000);

  it('too many pending branches: "The sequence of 8193 jumps is too complex."', () => {
    // 8200 conditional jumps on an unknown value, each to the next instruction's successor.
    const items: AsmItem[] = [LoadMem(R1, R1, 0, 'W'), Mov64.imm(R0, 0)];
    for (let k = 0; k < 8200; k++) items.push(JEq.imm(R1, k, `l${k}`), Label(`l${k}`));
    items.push(Exit());
    const r = verify(req(raw(items), { logLevel: 1 }));
    expect(r.errno).toBe(ERRNO.E2BIG);
    expect(r.log).toContain('The sequence of 8193 jumps is too complex.');
  }, 120_000);
});

describe('subprograms that may leave abnormally need BTF (check_abnormal_return)', () => {
  // First error lines and processed counts as Linux 6.18 gave them for these programs (socket
  // filter, no func_info), before the verifier walked a single instruction.
  const prog = (text: string) => assembleKernelProgram(text);
  const progArray = { id: 1, mapType: 3, keySize: 4, valueSize: 4, maxEntries: 4, mapFlags: 0, name: '', exclProgSha: null, frozen: false, innerMap: null };

  it('a tail call in a subprogram: "tail_call is not allowed in subprogs without BTF"', () => {
    const p = prog('r6 = r1\ncall pc+2\nr0 = 0\nexit\nr2 = map[fd:3]\nr3 = 0\ncall 12\nr0 = 0\nexit');
    const r = verify(req(p, { resolveMapFd: (fd) => (fd === 3 ? progArray : { errno: ERRNO.EBADF }) }));
    expect(r.errno).toBe(ERRNO.EINVAL);
    expect(r.log.split('\n')[0]).toBe('tail_call is not allowed in subprogs without BTF');
    expect(r.stats.processedInsns).toBe(0);
    // With func_info the check does not apply (the verifier then walks the program).
    expect(verify(req(p, { hasBtfInfo: true, resolveMapFd: (fd) => (fd === 3 ? progArray : { errno: ERRNO.EBADF }) })).stats.processedInsns).toBeGreaterThan(0);
  });

  it('LD_ABS in a subprogram: "LD_ABS is not allowed in subprogs without BTF"', () => {
    const r = verify(req(prog('r6 = r1\ncall pc+2\nr0 = 0\nexit\nr0 = *(u8 *)skb[0]\nr0 = 0\nexit')));
    expect(r.errno).toBe(ERRNO.EINVAL);
    expect(r.log.split('\n')[0]).toBe('LD_ABS is not allowed in subprogs without BTF');
    expect(r.stats.processedInsns).toBe(0);
  });
});
