/**
 * Driver for bpf-map-oracle.c: runs a script of map commands against the running kernel's bpf(2)
 * (test/kernel/maps uses it as a differential oracle). The helper is compiled with the system `cc`
 * into the OS temp directory on first use. Where it cannot be built or bpf() is not permitted,
 * {@link mapOracle} says why and the tests skip with that reason.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoName } from '../../../../src/errno.js';
import { buildCHelper } from '../../../support/c-helper.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'bpf-map-oracle.c');

export type OracleLine = { ok: true; value: string } | { ok: false; errno: number };

export interface MapOracle {
  /** Run one script (one process: fds are per script); one result per command line. */
  run(lines: string[]): OracleLine[];
  /** The kernel's num_possible_cpus(). */
  readonly nrCpus: number;
}

let cached: { oracle: MapOracle } | { reason: string } | null = null;

function possibleCpus(): number {
  const s = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  let n = 0;
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a + 1;
  }
  return n;
}

function build(): string | { reason: string } {
  const h = buildCHelper(SOURCE, 'map-oracle', ['-O1', '-Wall']);
  return 'path' in h ? h.path : h;
}

function parse(line: string): OracleLine {
  const m = /^(ok|err)(?: (\S+))?$/.exec(line.trim());
  if (!m) throw new Error(`map oracle: unexpected output line ${JSON.stringify(line)}`);
  return m[1] === 'ok' ? { ok: true, value: m[2] ?? '' } : { ok: false, errno: Number(m[2]) };
}

/** The oracle, or why it cannot be used here. BPFSIM_ORACLE=0 disables it. */
export function mapOracle(): { oracle: MapOracle } | { reason: string } {
  if (cached) return cached;
  cached = probe();
  return cached;
}

function probe(): { oracle: MapOracle } | { reason: string } {
  if (process.env.BPFSIM_ORACLE === '0') return { reason: 'disabled by BPFSIM_ORACLE=0' };
  if (process.platform !== 'linux') return { reason: `bpf() needs Linux (this is ${process.platform})` };
  const bin = build();
  if (typeof bin !== 'string') return bin;
  const run = (lines: string[]): OracleLine[] => {
    const r = spawnSync(bin, [], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    const out = r.stdout.split('\n').filter((l) => l.length > 0);
    if (out.length !== lines.length) throw new Error(`map oracle: ${lines.length} commands, ${out.length} results (${r.stderr})`);
    return out.map(parse);
  };
  let first: OracleLine;
  try {
    [first] = run(['probe']);
  } catch (e) {
    return { reason: `cannot run the map oracle: ${(e as Error).message}` };
  }
  if (!first.ok) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    return { reason: `BPF_MAP_CREATE of a 1-entry array failed with ${errnoName(first.errno)} (uid ${uid}; needs root or CAP_BPF)` };
  }
  return { oracle: { run, nrCpus: possibleCpus() } };
}
