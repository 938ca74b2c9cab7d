/**
 * Parser for bpf_conformance `.data` test files (format: ../shared/conformance/README.md §2).
 */
import { assembleConformanceProgram } from '../isa/asm-conformance.js';
import { decode, type Program } from '../isa/program.js';

export interface DataFile {
  /** Assembly text of the `-- asm` section (comments removed). */
  readonly asm: string;
  /** Raw slots from `-- raw`, when present (used instead of the assembly). */
  readonly raw: Uint8Array | null;
  /** Input memory from `-- mem`, or null when absent. */
  readonly mem: Uint8Array | null;
  /** Expected r0 (unsigned 64-bit), or null. */
  readonly result: bigint | null;
  /** Expected error message, or null. */
  readonly error: string | null;
  /** True if the upstream runner would skip the file (an unknown section header). */
  readonly skipped: boolean;
}

export class DataFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFileError';
  }
}

type Section = 'asm' | 'result' | 'mem' | 'raw' | 'ignored' | 'error' | null;

function sectionOf(header: string): Exclude<Section, null> | 'unknown' {
  if (header.includes('asm')) return 'asm';
  if (header.includes('result')) return 'result';
  if (header.includes('mem')) return 'mem';
  if (header.includes('raw')) return 'raw';
  if (header.includes('no register offset')) return 'ignored';
  if (header.includes(' c')) return 'ignored';
  if (header.includes('error')) return 'error';
  return 'unknown';
}

export function parseDataFile(text: string): DataFile {
  const parts: Record<'asm' | 'result' | 'mem' | 'raw' | 'error', string[]> = { asm: [], result: [], mem: [], raw: [], error: [] };
  const seen = new Set<string>();
  let section: Section = null;
  let skipped = false;
  for (const rawLine of text.split('\n')) {
    let line = rawLine.replace(/\r$/, '');
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    if (line.includes('--')) {
      const s = sectionOf(line);
      if (s === 'unknown') { skipped = true; section = 'ignored'; continue; }
      section = s;
      if (s !== 'ignored') seen.add(s);
      continue;
    }
    if (line.trim() === '' || section === null || section === 'ignored') continue;
    parts[section].push(line);
  }
  const last = (xs: string[]) => (xs.length ? xs[xs.length - 1].trim() : null);
  let mem: Uint8Array | null = null;
  if (seen.has('mem')) {
    const toks = parts.mem.join(' ').trim().split(/\s+/).filter(Boolean);
    mem = new Uint8Array(toks.length);
    toks.forEach((t, i) => {
      if (!/^[0-9a-f]{1,2}$/i.test(t)) throw new DataFileError(`bad memory byte '${t}'`);
      mem![i] = parseInt(t, 16);
    });
  }
  let raw: Uint8Array | null = null;
  if (seen.has('raw')) {
    const toks = parts.raw.join(' ').trim().split(/\s+/).filter(Boolean);
    raw = new Uint8Array(toks.length * 8);
    const dv = new DataView(raw.buffer);
    toks.forEach((t, i) => {
      let v: bigint;
      try { v = BigInt(t); } catch { throw new DataFileError(`bad raw slot '${t}'`); }
      dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true);
    });
  }
  let result: bigint | null = null;
  const r = last(parts.result);
  if (r !== null) {
    try {
      result = BigInt.asUintN(64, r.includes('0x') ? BigInt(r.slice(r.indexOf('0x'))) : BigInt(r));
    } catch {
      throw new DataFileError(`bad result '${r}'`);
    }
  }
  return { asm: parts.asm.join('\n'), raw, mem, result, error: last(parts.error), skipped };
}

/** The program of a data file: its raw section if any, else its assembled text. */
export function programOf(f: DataFile): Program {
  return f.raw !== null ? decode(f.raw) : assembleConformanceProgram(f.asm);
}
