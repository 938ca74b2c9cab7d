/**
 * Small helpers for the interpreter property tests: build programs from (op, fields) tuples and
 * run them with operands passed in memory (r1 = a writable copy of the bytes, as the conformance
 * runner does), so that one program per operation serves every operand pair.
 */
import { Runner } from '../../../src/interpreter/runner.js';
import type { RunResult } from '../../../src/interpreter/vm.js';
import { Op } from '../../../src/isa/ops.js';
import { fromInstructions, type Instruction, type Program } from '../../../src/isa/program.js';

export function I(op: Op, dst: number, src = 0, off = 0, imm = 0): Instruction {
  return { op, dst, src, off, imm };
}

export function lddw(dst: number, value: bigint): Instruction {
  const v = BigInt.asUintN(64, value);
  return { op: Op.LDDW, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)), imm64: v };
}

export function program(list: readonly Instruction[]): Program {
  return fromInstructions(list);
}

/** Little-endian u64 words as bytes. */
export function words(...vals: bigint[]): Uint8Array {
  const out = new Uint8Array(vals.length * 8);
  const dv = new DataView(out.buffer);
  vals.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  return out;
}

export function wordAt(bytes: Uint8Array, i: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(i * 8, true);
}

const runner = new Runner();

/** Run with r1 = a copy of `mem`; returns r0 (throws on a fault: the tests expect clean exits). */
export function run(p: Program, mem: Uint8Array | null = null): { r0: bigint; mem: Uint8Array; result: RunResult } {
  const out = runner.run(p, mem);
  if (out.result.status !== 'exit') throw new Error(`unexpected fault: ${out.result.fault.kind}: ${out.result.fault.message}`);
  return { r0: out.result.r0, mem: out.mem, result: out.result };
}

/** Run with r1 = a copy of `mem` and return the result as it is (for tests that expect faults). */
export function runRaw(p: Program, mem: Uint8Array | null = null): RunResult {
  return runner.run(p, mem).result;
}

export function hex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}
