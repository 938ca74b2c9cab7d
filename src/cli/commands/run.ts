/**
 * `bpfsim run <file>`: run a program the conformance way (r1 = input memory, r2 = its length) and
 * print r0 and the executed instruction count. `--jsonl` runs a batch: one JSON case per line in,
 * one JSON result per line out, same order, in one process.
 */
import type { Command } from 'commander';
import { validate } from '../../isa/validate.js';
import { decode } from '../../isa/program.js';
import { Runner } from '../../interpreter/runner.js';
import type { RunResult } from '../../interpreter/vm.js';
import { fromHex, toHex } from '../../util/hex.js';
import type { CliIo } from '../io.js';
import { readMemArg, readProgram } from '../program-input.js';

export function hex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

interface JsonlCase { id?: unknown; insns?: unknown; mem?: unknown }

/** One batch line → one result object (never throws). */
export function runJsonlCase(runner: Runner, line: string): Record<string, unknown> {
  let c: JsonlCase;
  try {
    c = JSON.parse(line) as JsonlCase;
  } catch (e) {
    return { id: null, error: { kind: 'bad_input', pc: -1, message: `invalid JSON: ${(e as Error).message}` } };
  }
  const id = c.id ?? null;
  try {
    if (typeof c.insns !== 'string') throw new Error('missing "insns" (hex string)');
    const prog = decode(fromHex(c.insns));
    const bad = validate(prog);
    if (bad) return { id, error: { kind: `invalid_program:${bad.rule}`, pc: bad.index, message: bad.message } };
    const mem = typeof c.mem === 'string' ? fromHex(c.mem) : null;
    const { result, mem: after } = runner.run(prog, mem);
    if (result.status === 'fault') return { id, error: { kind: result.fault.kind, pc: result.fault.pc, message: result.fault.message } };
    return { id, r0: hex64(result.r0), mem: toHex(after), insns_executed: result.insns };
  } catch (e) {
    return { id, error: { kind: 'bad_input', pc: -1, message: (e as Error).message } };
  }
}

function describe(result: RunResult): string {
  return result.status === 'exit'
    ? `r0 = ${hex64(result.r0)} (${BigInt.asIntN(64, result.r0)})\ninstructions executed: ${result.insns}\n`
    : `fault: ${result.fault.kind} at insn ${result.fault.pc}: ${result.fault.message}\ninstructions executed: ${result.insns}\n`;
}

export function register(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('run a program (.data, raw .bin, or assembly in either syntax) with r1 = memory, r2 = its length')
    .argument('[file]', 'program file')
    .option('--mem <file|hex>', 'input memory (a file, or hex bytes)')
    .option('--json', 'print one JSON object, including the memory after the run')
    .option('--jsonl <file|->', 'batch mode: one {"id","insns","mem"} JSON object per line')
    .option('--budget <n>', 'instruction budget', (v) => Number(v))
    .action(async (file: string | undefined, opts: { mem?: string; json?: boolean; jsonl?: string; budget?: number }) => {
      const runner = new Runner(opts.budget ? { budget: opts.budget } : {});
      if (opts.jsonl) {
        for await (const line of io.lines(opts.jsonl)) {
          if (line.trim() === '') continue;
          io.out(JSON.stringify(runJsonlCase(runner, line)) + '\n');
        }
        return;
      }
      if (!file) { io.err('bpfsim run: a program file (or --jsonl) is required\n'); io.setExit(2); return; }
      const input = readProgram(file, await io.readInput(file));
      const bad = validate(input.program);
      if (bad) { io.err(`invalid program: insn ${bad.index}: ${bad.message}\n`); io.setExit(1); return; }
      const mem = opts.mem !== undefined ? readMemArg(opts.mem) : input.mem;
      const { result, mem: after } = runner.run(input.program, mem);
      if (opts.json) {
        io.out(JSON.stringify(result.status === 'exit'
          ? { r0: hex64(result.r0), insns_executed: result.insns, mem: toHex(after) }
          : { error: { kind: result.fault.kind, pc: result.fault.pc, message: result.fault.message }, insns_executed: result.insns, mem: toHex(after) }) + '\n');
      } else {
        io.out(describe(result));
        if (input.expected !== null && result.status === 'exit' && result.r0 !== input.expected) {
          io.out(`expected r0 = ${hex64(input.expected)} (from the file)\n`);
        }
      }
      if (result.status === 'fault') io.setExit(1);
    });
}
