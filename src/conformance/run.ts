/**
 * Running bpf_conformance `.data` files in-process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { validate } from '../isa/validate.js';
import { Runner } from '../interpreter/runner.js';
import { parseDataFile, programOf } from './data-file.js';

export interface ConformanceOutcome {
  readonly name: string;
  readonly passed: boolean;
  /** The upstream runner skips the file (an unknown `--` section header): neither passed nor failed. */
  readonly skipped: boolean;
  /** r0 the program produced, when it exited. */
  readonly r0: bigint | null;
  readonly expected: bigint | null;
  readonly insns: number;
  /** Why the run failed or errored (fault, load error, mismatch). */
  readonly message: string | null;
}

export function runConformanceText(name: string, text: string, runner = new Runner()): ConformanceOutcome {
  let file;
  try {
    file = parseDataFile(text);
  } catch (e) {
    return { name, passed: false, skipped: false, r0: null, expected: null, insns: 0, message: `parse error: ${(e as Error).message}` };
  }
  if (file.skipped) return { name, passed: false, skipped: true, r0: null, expected: file.result, insns: 0, message: 'unknown section header' };
  let prog;
  try {
    prog = programOf(file);
  } catch (e) {
    return { name, passed: false, skipped: false, r0: null, expected: file.result, insns: 0, message: (e as Error).message };
  }
  const invalid = validate(prog);
  if (invalid !== null) {
    const ok = file.error !== null && invalid.message === file.error;
    return { name, passed: ok, skipped: false, r0: null, expected: file.result, insns: 0, message: invalid.message };
  }
  const { result } = runner.run(prog, file.mem);
  if (result.status === 'fault') {
    const ok = file.error !== null && result.fault.message === file.error;
    return { name, passed: ok, skipped: false, r0: null, expected: file.result, insns: result.insns, message: result.fault.message };
  }
  const passed = file.error === null && file.result !== null && result.r0 === file.result;
  return {
    name, passed, skipped: false, r0: result.r0, expected: file.result, insns: result.insns,
    message: passed ? null : `r0 = 0x${result.r0.toString(16)}, expected ${file.result === null ? `error '${file.error}'` : `0x${file.result.toString(16)}`}`,
  };
}

/** Run every `.data` file of a directory, in name order. */
export function runConformanceDir(dir: string): ConformanceOutcome[] {
  const runner = new Runner();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => runConformanceText(basename(f, '.data'), readFileSync(join(dir, f), 'utf8'), runner));
}
