/**
 * Control flow beyond jumps: bpf-to-bpf calls (Linux's limit of MAX_CALL_FRAMES = 8 frames,
 * callee-saved r6-r9, a distinct stack per frame), may_goto (falls through BPF_MAX_LOOPS times,
 * then jumps) and the instruction budget (a `budget_exhausted` fault, never a hang).
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/interpreter/memory.js';
import { BPF_MAX_LOOPS, Vm } from '../../src/interpreter/vm.js';
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from '../../src/isa/constants.js';
import { Op } from '../../src/isa/ops.js';
import type { Instruction } from '../../src/isa/program.js';
import { I, lddw, program, run, runRaw, wordAt } from './support/harness.js';
import { compiledInterpreter } from './support/compiled-interpreter.js';

/** A local call to the instruction `imm` slots after the next one. */
const call = (imm: number): Instruction => I(Op.CALL_LOCAL, 0, 1, 0, imm);

describe('bpf-to-bpf calls', () => {
  /**
   * f(depth): r6 = depth; if depth == limit return 100; return f(depth + 1) + 1.
   * main calls f(1), so f(limit) runs in frame `limit` and the run uses limit + 1 frames.
   */
  function nested(limit: number) {
    return program([
      I(Op.MOV64_K, 1, 0, 0, 1), call(1), I(Op.EXIT, 0),
      // f:
      I(Op.MOV64_X, 6, 1),
      I(Op.JNE_K, 6, 0, 2, limit),
      I(Op.MOV64_K, 0, 0, 0, 100), I(Op.EXIT, 0),
      I(Op.MOV64_X, 1, 6), I(Op.ADD64_K, 1, 0, 0, 1), call(-7),
      I(Op.ADD64_K, 0, 0, 0, 1), I(Op.EXIT, 0),
    ]);
  }

  it(`allows ${MAX_CALL_FRAMES} frames (the main program and seven nested calls)`, () => {
    expect(MAX_CALL_FRAMES).toBe(8);
    expect(run(nested(MAX_CALL_FRAMES - 1)).r0).toBe(100n + BigInt(MAX_CALL_FRAMES - 2));
  });

  it('faults with call_depth at the call that would open a ninth frame', () => {
    const vm = new Vm();
    const p = nested(MAX_CALL_FRAMES);
    const result = vm.run(p);
    expect(result.status).toBe('fault');
    if (result.status !== 'fault') return;
    expect(result.fault.kind).toBe('call_depth');
    expect(result.fault.pc).toBe(9); // the call inside f
    expect(vm.reg(6)).toBe(BigInt(MAX_CALL_FRAMES - 1)); // the deepest frame that ran
  });

  it('unbounded recursion ends with call_depth, not a JavaScript stack overflow', () => {
    const vm = new Vm();
    const result = vm.run(program([call(1), I(Op.EXIT, 0), call(-1), I(Op.EXIT, 0)]));
    expect(result.status === 'fault' && result.fault.kind).toBe('call_depth');
  });

  it('preserves r6-r9 across a call that clobbers them', () => {
    const vals = [0x0606060606060606n, 0x0707070707070707n, 0x8888888888888888n, 0xffffffff99999999n];
    const p = program([
      I(Op.STX_DW, 10, 1, -8), // r1 is caller-saved: keep the memory pointer on the stack
      ...vals.map((v, k) => lddw(6 + k, v)),
      call(7), // slot 9 -> 17
      I(Op.LDX_DW, 1, 10, -8),
      I(Op.STX_DW, 1, 6, 0), I(Op.STX_DW, 1, 7, 8), I(Op.STX_DW, 1, 8, 16), I(Op.STX_DW, 1, 9, 24),
      I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0),
      // 17: the callee overwrites r6-r9, and calls a function that overwrites them again
      I(Op.MOV64_K, 6, 0, 0, -1), I(Op.MOV64_K, 7, 0, 0, -1), I(Op.MOV64_K, 8, 0, 0, -1), I(Op.MOV64_K, 9, 0, 0, -1),
      call(1), I(Op.EXIT, 0),
      I(Op.MOV64_K, 6, 0, 0, 5), I(Op.MOV64_K, 9, 0, 0, 5), I(Op.EXIT, 0),
    ]);
    const out = run(p, new Uint8Array(32)).mem;
    vals.forEach((v, k) => expect(wordAt(out, k)).toBe(v));
  });

  it('gives each frame its own stack: the caller’s slots survive the callee’s writes at the same offsets', () => {
    const p = program([
      I(Op.ST_DW, 10, 0, -8, 0x1111), I(Op.MOV64_X, 7, 1),
      call(4), // slot 2 -> 7
      I(Op.LDX_DW, 2, 10, -8), I(Op.STX_DW, 7, 2, 0), // the caller's slot after the call
      I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0),
      // 7: the callee writes the same offset and the bottom of its 512-byte frame
      I(Op.ST_DW, 10, 0, -8, 0x2222), I(Op.ST_DW, 10, 0, -MAX_BPF_STACK, 0x3333), I(Op.EXIT, 0),
    ]);
    expect(wordAt(run(p, new Uint8Array(8)).mem, 0)).toBe(0x1111n);
  });

  it('a frame reaches only its own 512 bytes through r10: below the bottom or into the caller’s frame faults', () => {
    const below = runRaw(program([I(Op.ST_DW, 10, 0, -MAX_BPF_STACK - 8, 1), I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0)]));
    expect(below).toMatchObject({ status: 'fault', fault: { kind: 'memory_access', pc: 0 } });
    // main calls f; f stores at r10 + 504, where a contiguous stack would hold main's r10 - 8.
    const intoCaller = runRaw(program([
      I(Op.ST_DW, 10, 0, -8, 0x1111), call(2), I(Op.LDX_DW, 0, 10, -8), I(Op.EXIT, 0),
      I(Op.ST_DW, 10, 0, MAX_BPF_STACK - 8, 0x63), I(Op.EXIT, 0),
    ]));
    expect(intoCaller).toMatchObject({ status: 'fault', fault: { kind: 'memory_access', pc: 4 } });
  });

  it('a callee writes to the caller’s stack through a pointer the caller passed (ptr_to_stack of frame 0)', () => {
    const p = program([
      I(Op.MOV64_X, 6, 1), I(Op.MOV64_X, 1, 10), I(Op.ADD64_K, 1, 0, 0, -16),
      call(3), // slot 3 -> 7
      I(Op.LDX_DW, 2, 10, -16), I(Op.STX_DW, 6, 2, 0), I(Op.EXIT, 0),
      // 7: *(u64 *)(r1 + 0) = 0x5555; r0 = 0
      I(Op.ST_DW, 1, 0, 0, 0x5555), I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0),
    ]);
    expect(wordAt(run(p, new Uint8Array(8)).mem, 0)).toBe(0x5555n);
  });

  it('r10 is the caller’s again after the callee returns', () => {
    // r6 = r10; call f; r0 = r6 - r10; exit; f: exit
    const p = program([I(Op.MOV64_X, 6, 10), call(3), I(Op.SUB64_X, 6, 10), I(Op.MOV64_X, 0, 6), I(Op.EXIT, 0), I(Op.EXIT, 0)]);
    expect(run(p).r0).toBe(0n);
  });
});

describe('may_goto', () => {
  it('falls through on its first executions', () => {
    // may_goto +1 falls through to r0 = 7 on its first execution.
    expect(run(program([I(Op.MOV64_K, 0, 0, 0, 1), I(Op.MAY_GOTO, 0, 0, 1), I(Op.MOV64_K, 0, 0, 0, 7), I(Op.EXIT, 0)])).r0).toBe(7n);
  });

  it(`falls through BPF_MAX_LOOPS (${BPF_MAX_LOOPS}) times, then jumps`, async () => {
    expect(BPF_MAX_LOOPS).toBe(8 * 1024 * 1024);
    // The loop runs millions of instructions: use the tsc-compiled interpreter (see support).
    const { interpreter, program: isa } = await compiledInterpreter();
    // L: may_goto +2; r0 += 1; goto L; exit
    const p = isa.fromInstructions([
      I(Op.MOV64_K, 0, 0, 0, 0), I(Op.MAY_GOTO, 0, 0, 2), I(Op.ADD64_K, 0, 0, 0, 1), I(Op.JA, 0, 0, -3), I(Op.EXIT, 0),
    ]);
    const result = new interpreter.Vm(new interpreter.AddressSpace()).run(p);
    expect(result.status).toBe('exit');
    if (result.status !== 'exit') return;
    expect(result.r0).toBe(BigInt(BPF_MAX_LOOPS));
    expect(result.insns).toBe(1 + 3 * BPF_MAX_LOOPS + 2);
  });

  // count(): r0 = 0; L: may_goto +2; r0 += 1; goto L; exit -- returns how often may_goto fell through.
  const count = (): Instruction[] => [
    I(Op.MOV64_K, 0, 0, 0, 0), I(Op.MAY_GOTO, 0, 0, 2), I(Op.ADD64_K, 0, 0, 0, 1), I(Op.JA, 0, 0, -3), I(Op.EXIT, 0),
  ];

  it('gives every call its own counter, and a callee does not use up its caller’s (a counter per function, as Linux)', async () => {
    const { interpreter, program: isa } = await compiledInterpreter();
    // main: call count; r6 = r0; call count; r6 += r0; <count inline>; r0 += r6; exit
    const p = isa.fromInstructions([
      call(9), I(Op.MOV64_X, 6, 0), call(7), I(Op.ADD64_X, 6, 0),
      ...count().slice(0, 4), // main's own loop; its exit target is the next instruction
      I(Op.ADD64_X, 0, 6), I(Op.EXIT, 0),
      ...count(), // slot 10
    ]);
    const result = new interpreter.Vm(new interpreter.AddressSpace()).run(p);
    expect(result.status === 'exit' && result.r0).toBe(3n * BigInt(BPF_MAX_LOOPS));
  });

  it('starts a tail-called program with a full counter', async () => {
    const { interpreter, program: isa } = await compiledInterpreter();
    const target = isa.fromInstructions([I(Op.MOV64_X, 6, 0), ...count().slice(0, 4), I(Op.ADD64_X, 0, 6), I(Op.EXIT, 0)]);
    // exhaust the counter, then bpf_tail_call (helper 12) into `target`
    const first = isa.fromInstructions([...count().slice(0, 4), I(Op.CALL, 0, 0, 0, 12), I(Op.EXIT, 0)]);
    const vm = new interpreter.Vm(new interpreter.AddressSpace(), { tailCall: () => target });
    const result = vm.run(first);
    expect(result.status === 'exit' && result.r0).toBe(2n * BigInt(BPF_MAX_LOOPS));
  });
});

describe('instruction budget', () => {
  it('an infinite loop ends with a budget_exhausted fault after exactly the budget', () => {
    const vm = new Vm(new AddressSpace(), { budget: 1000 });
    const result = vm.run(program([I(Op.MOV64_K, 0, 0, 0, 0), I(Op.JA, 0, 0, -1, 0), I(Op.EXIT, 0)]));
    expect(result.status).toBe('fault');
    if (result.status !== 'fault') return;
    expect(result.fault.kind).toBe('budget_exhausted');
    expect(result.insns).toBe(1000);
    expect(result.fault.pc).toBe(1);
  });

  it('a program of exactly the budget completes; one instruction more does not', () => {
    const p = program([...Array.from({ length: 9 }, () => I(Op.ADD64_K, 0, 0, 0, 1)), I(Op.EXIT, 0)]);
    const ok = new Vm(new AddressSpace(), { budget: 10 }).run(p);
    expect(ok.status === 'exit' && ok.r0).toBe(9n);
    const short = new Vm(new AddressSpace(), { budget: 9 }).run(p);
    expect(short.status === 'fault' && short.fault.kind).toBe('budget_exhausted');
  });

  it('bounds an infinite loop inside a called function', () => {
    // main calls f; f loops forever.
    const result = new Vm(new AddressSpace(), { budget: 500 }).run(program([call(1), I(Op.EXIT, 0), I(Op.JA, 0, 0, -1, 0), I(Op.EXIT, 0)]));
    expect(result.status === 'fault' && result.fault.kind).toBe('budget_exhausted');
  });
});
