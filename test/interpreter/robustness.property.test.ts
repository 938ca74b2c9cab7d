/**
 * Arbitrary bytes as programs: decoding, validating and running them never throws, every run ends
 * (the instruction budget bounds it), and no run writes anywhere but its input region and the
 * stack, whatever pointers it is handed: a canary region and a read-only region in the same
 * address space must come out byte-for-byte unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSpace, PERM_R, PERM_RW, type Region } from '../../src/interpreter/memory.js';
import { CONFORMANCE_HELPERS } from '../../src/interpreter/runner.js';
import { Vm, type FaultKind } from '../../src/interpreter/vm.js';
import { Op, OP_TABLE } from '../../src/isa/ops.js';
import { decode } from '../../src/isa/program.js';
import { validate } from '../../src/isa/validate.js';
import { i32Arb } from '../../src/testing/arbitraries.js';
import { I, program } from './support/harness.js';

const BUDGET = 4000;
const FAULTS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  'invalid_instruction', 'memory_access', 'budget_exhausted', 'call_depth', 'unknown_helper', 'unknown_kfunc', 'helper_fault',
]);
const CODES = [...new Set(OP_TABLE.filter((i) => i.code >= 0).map((i) => i.code))];

/** One 8-byte slot: fully random, or a real opcode with random (often small) fields. */
const slotArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 8, maxLength: 8 }),
  fc.record({
    code: fc.constantFrom(...CODES),
    dst: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 15 })),
    src: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 15 })),
    off: fc.oneof(fc.integer({ min: -16, max: 16 }), fc.integer({ min: -600, max: 600 }), fc.integer({ min: -32768, max: 32767 })),
    imm: fc.oneof(fc.integer({ min: -64, max: 64 }), fc.constantFrom(1, 8, 16, 32, 64, 0xe1, 0xf1, 0x100, 0x110), i32Arb()),
  }).map(({ code, dst, src, off, imm }) => {
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    b[0] = code; b[1] = dst | (src << 4); dv.setInt16(2, off, true); dv.setInt32(4, imm, true);
    return b;
  }),
);

const programArb = fc.array(slotArb, { minLength: 1, maxLength: 48 }).map((slots) => {
  const out = new Uint8Array(slots.length * 8);
  slots.forEach((s, i) => out.set(s, i * 8));
  return out;
});

/** One address space for all runs: padding, a canary, a read-only region, the input, a freed region. */
function world() {
  const space = new AddressSpace();
  const vm = new Vm(space, { helpers: CONFORMANCE_HELPERS, budget: BUDGET });
  const fill = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => (k * 37 + seed) & 0xff);
  const pads: Region[] = [];
  for (let k = 0; k < 4; k++) pads.push(space.map(fill(16, k), { kind: 'kernel_object', name: `pad${k}` }));
  const canary = space.map(fill(64, 101), { kind: 'map_value', name: 'canary', perm: PERM_RW });
  const readOnly = space.map(fill(64, 202), { kind: 'map_value', name: 'read-only', perm: PERM_R });
  const input = space.map(new Uint8Array(64), { kind: 'input', name: 'input', perm: PERM_RW });
  const freed = space.map(new Uint8Array(64), { kind: 'kernel_object', name: 'freed' });
  space.unmap(freed);
  const untouchable = [...pads, canary, readOnly];
  const snapshot = untouchable.map((r) => r.bytes.slice());
  return { space, vm, canary, readOnly, input, freed, untouchable, snapshot };
}

describe('random programs', () => {
  const w = world();
  const inputInit = Uint8Array.from({ length: 64 }, (_, k) => k);

  function runBytes(bytes: Uint8Array) {
    const p = decode(bytes);
    validate(p); // must not throw either, valid or not
    w.input.bytes.set(inputInit);
    w.vm.regs.fill(0);
    w.vm.setReg(1, w.input.base);
    w.vm.setReg(2, 64);
    w.vm.setReg(3, w.readOnly.base);
    w.vm.setReg(4, w.freed.base);
    w.vm.setReg(5, w.input.base + 64n);
    return w.vm.run(p);
  }

  it('never throw, always end within the budget, and never write outside input and stack', () => {
    fc.assert(fc.property(programArb, (bytes) => {
      const result = runBytes(bytes);
      expect(result.insns).toBeLessThanOrEqual(BUDGET);
      if (result.status === 'fault') {
        expect(FAULTS.has(result.fault.kind)).toBe(true);
        expect(result.fault.message.length).toBeGreaterThan(0);
      }
      w.untouchable.forEach((r, k) => {
        if (!buffersEqual(r.bytes, w.snapshot[k])) expect.fail(`region ${r.name} was written`);
      });
    }), { numRuns: 10_000 });
  });

  it('the harness sees writes: a store through the input pointer lands in the input region', () => {
    // *(u8 *)(r1 + 3) = 0x5a; exit
    expect(runBytes(new Uint8Array([0x72, 0x01, 3, 0, 0x5a, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0])).status).toBe('exit');
    expect(w.input.bytes[3]).toBe(0x5a);
  });

  it('writes through a read-only, freed or out-of-bounds pointer fault and change nothing', () => {
    for (const base of [3, 4, 5]) {
      const bytes = new Uint8Array([0x72, base, 0, 0, 0x5a, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]); // *(u8 *)(rX + 0) = 0x5a
      const result = runBytes(bytes);
      expect(result.status).toBe('fault');
      if (result.status === 'fault') expect(result.fault.kind).toBe('memory_access');
    }
    w.untouchable.forEach((r, k) => expect(buffersEqual(r.bytes, w.snapshot[k])).toBe(true));
  });

  it('an access whose offset carries out of the low address word faults instead of wrapping into the region', () => {
    // r2 = input base + 0xfffffff8; r2 + 8 carries into the high word (the next slot, which is
    // free), so the address is in no region; dropping the carry would land on input byte 0.
    const p = program([
      I(Op.MOV64_X, 2, 1), I(Op.MOV32_K, 3, 0, 0, -8), I(Op.ADD64_X, 2, 3),
      I(Op.MOV64_K, 4, 0, 0, 1), I(Op.ATOMIC64_ADD, 2, 4, 8), I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0),
    ]);
    w.vm.regs.fill(0);
    w.vm.setReg(1, w.input.base);
    const result = w.vm.run(p);
    expect(result.status).toBe('fault');
    if (result.status === 'fault') expect(result.fault.kind).toBe('memory_access');
  });
});

function buffersEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
