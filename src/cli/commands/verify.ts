/**
 * `bpfsim verify <file>`: run bpfsim's verifier on a program the way Linux 6.18's BPF_PROG_LOAD
 * verifies it for a privileged loader, print the verifier log (levels 1 and 2 in the kernel's
 * format) and the verdict, or veristat-style statistics with `--json`.
 *
 * Inputs: raw `.bin` instruction slots, assembly in either syntax, conformance `.data` files, BPF
 * ELF objects (`.o`, one program per section, `--prog` picks one), and light skeletons
 * (`.lskel.h --prog <name>`: the inner program, verified after the loader ran in a modelled
 * kernel). `--jsonl <file|->` verifies a batch, one JSON case per line (see src/verifier/batch.ts).
 *
 * Exit status: 0 all verified, 1 a program was rejected, 2 bad usage or input.
 */
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { errnoName } from '../../errno.js';
import { kernelMapFactory } from '../../kernel/batch-maps.js';
import { runBatchCase } from '../../verifier/batch.js';
import {
  MAX_LOG_CHARS, progTypeByName, progTypeName, verify, type VerifyRequest, type VerifyResult,
} from '../../verifier/index.js';
import type { CliIo } from '../io.js';
import { readProgram } from '../program-input.js';
import { VerifyInputError, lskelPrograms, objectPrograms, type NamedRequest } from './verify-inputs.js';

export interface VerifyCliOptions {
  type?: string;
  flags?: string;
  attach?: string;
  logLevel?: string;
  json?: boolean;
  jsonl?: string;
  prog?: string;
  tail?: string;
}

/** The last line of the error message of a rejected program ('' when accepted). */
export function errorLine(r: VerifyResult): string {
  if (r.ok) return '';
  const lines = r.log.split('\n').filter((l) => l.length > 0 && !l.startsWith('processed ') &&
    !l.startsWith('verification time') && !l.startsWith('stack depth'));
  return lines.length > 0 ? lines[lines.length - 1] : '';
}

/** veristat-style statistics of one verification. */
export function statsJson(file: string, name: string, req: Pick<VerifyRequest, 'progType'>, r: VerifyResult): Record<string, unknown> {
  return {
    file, prog: name, prog_type: progTypeName(req.progType) ?? req.progType,
    verdict: r.ok ? 'success' : 'failure', errno: r.errno, errno_name: r.ok ? '' : errnoName(r.errno),
    error: errorLine(r), duration_us: Math.round(r.stats.durationNs / 1000),
    processed_insns: r.stats.processedInsns, total_states: r.stats.totalStates, peak_states: r.stats.peakStates,
    max_states_per_insn: r.stats.maxStatesPerInsn, mark_read: r.stats.markRead, stack_depth: r.stats.stackDepth,
    max_ctx_offset: r.maxCtxOffset,
  };
}

function intOpt(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new VerifyInputError(`${name} must be an integer, got '${v}'`);
  return n;
}

/** The programs a file holds, with the request fields the file itself decides. */
function programsOf(path: string, bytes: Buffer, o: VerifyCliOptions): NamedRequest[] {
  const ext = extname(path).toLowerCase();
  if (path.endsWith('.lskel.h')) {
    const { programs, loadError } = lskelPrograms(bytes.toString('utf8'), path);
    if (programs.length === 0) throw new VerifyInputError(loadError ?? 'the skeleton loaded no programs');
    return programs;
  }
  if (ext === '.o' || (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46)) {
    return objectPrograms(new Uint8Array(bytes), basename(path).replace(/\.bpf\.o$|\.o$/, ''));
  }
  const input = readProgram(path, bytes);
  return [{
    name: basename(path),
    request: { program: input.program, progType: 0, resolveMapFd: () => ({ errno: 9 }) },
  }];
}

function applyOptions(req: NamedRequest['request'], o: VerifyCliOptions): VerifyRequest {
  let progType = req.progType;
  if (o.type !== undefined) {
    const t = progTypeByName(o.type);
    if (t === null) throw new VerifyInputError(`unknown program type '${o.type}'`);
    progType = t;
  }
  if (progType === 0) progType = 1; // socket_filter, the type every loader may use
  const flags = o.flags !== undefined ? intOpt(o.flags, '--flags', 0) : req.progFlags ?? (progType === 31 ? 16 : 0);
  const level = intOpt(o.logLevel, '--log-level', 1);
  if (level < 0 || level > 7) throw new VerifyInputError('--log-level must be 0, 1 or 2 (bit 4 adds statistics)');
  return {
    ...req, progType, progFlags: flags,
    expectedAttachType: o.attach !== undefined ? intOpt(o.attach, '--attach', 0) : req.expectedAttachType ?? 0,
    logLevel: level,
  };
}

async function runBatch(io: CliIo, path: string, o: VerifyCliOptions): Promise<void> {
  const tail = intOpt(o.tail, '--tail', 3);
  // Each case's maps are created with BPF_MAP_CREATE in one modelled kernel (and closed after it).
  const maps = kernelMapFactory();
  let rejected = false;
  for await (const line of io.lines(path)) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      io.out(JSON.stringify({ id: null, verdict: 'reject', errno: 22, errno_name: 'EINVAL', log_tail: [], processed_insns: 0, error: `invalid JSON: ${(e as Error).message}` }) + '\n');
      rejected = true;
      continue;
    }
    const r = runBatchCase(parsed, { tailLines: tail, maps });
    if (r.verdict === 'reject') rejected = true;
    const { result: _omit, ...out } = r;
    void _omit;
    io.out(JSON.stringify(out) + '\n');
  }
  io.setExit(rejected ? 1 : 0);
}

export async function runVerify(io: CliIo, file: string | undefined, o: VerifyCliOptions): Promise<void> {
  try {
    if (o.jsonl !== undefined) {
      await runBatch(io, o.jsonl, o);
      return;
    }
    if (file === undefined) {
      io.err('bpfsim verify: a program file (or --jsonl) is required\n');
      io.setExit(2);
      return;
    }
    let programs = programsOf(file, await io.readInput(file), o);
    if (o.prog !== undefined) {
      programs = programs.filter((p) => p.name === o.prog);
      if (programs.length === 0) throw new VerifyInputError(`no program named '${o.prog}' in ${file}`);
    }
    let allOk = true;
    const docs: Array<Record<string, unknown>> = [];
    for (const p of programs) {
      const req = applyOptions(p.request, o);
      const r = verify(req);
      allOk &&= r.ok;
      if (o.json) {
        docs.push(statsJson(file, p.name, req, r));
        continue;
      }
      if (programs.length > 1) io.out(`== ${p.name} (${progTypeName(req.progType) ?? req.progType})\n`);
      if (r.logDropped > 0) {
        io.err(`bpfsim verify: the log is ${r.logTrueSize - 1} bytes; only its last ${r.log.length} are shown (a rotating log buffer of ${MAX_LOG_CHARS} bytes)\n`);
      }
      io.out(r.log);
      io.out(r.ok ? 'verdict: accept\n' : `verdict: reject (${errnoName(r.errno)}): ${errorLine(r)}\n`);
    }
    if (o.json) io.out(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n');
    io.setExit(allOk ? 0 : 1);
  } catch (e) {
    io.err(`bpfsim verify: ${e instanceof Error ? e.message : String(e)}\n`);
    io.setExit(2);
  }
}

export function register(program: Command, io: CliIo): void {
  program
    .command('verify')
    .description('verify a program like Linux 6.18 does for a privileged loader (raw .bin, assembly, .data, .o, .lskel.h --prog)')
    .argument('[file]', 'program file')
    .option('--type <prog_type>', 'program type (Linux name without BPF_PROG_TYPE_, e.g. xdp, syscall; default socket_filter)')
    .option('--flags <n>', 'prog_flags (default BPF_F_SLEEPABLE for syscall programs)')
    .option('--attach <n>', 'expected_attach_type')
    .option('--log-level <n>', 'verifier log level: 0, 1 (default) or 2; add 4 for statistics')
    .option('--prog <name>', 'the program to verify in an object or light skeleton')
    .option('--json', 'print veristat-style statistics as JSON instead of the log')
    .option('--jsonl <file|->', 'batch mode: one JSON case per line in, one JSON verdict per line out')
    .option('--tail <n>', 'log lines per case in --jsonl output (default 3)')
    .action(async (file: string | undefined, o: VerifyCliOptions) => runVerify(io, file, o));
}
