/**
 * Driver for bpf-cmd-oracle.c: runs {@link Script}s of raw bpf(2) calls in the running kernel and
 * returns each call's result. The helper is compiled with the system `cc` into the OS temp
 * directory on first use (one binary per source version). Where it cannot be built or bpf() is not
 * permitted, {@link cmdOracle} says why, and the tests print that and skip.
 */
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoName } from '../../../../src/errno.js';
import { encodeScript, type Script } from '../script.js';
import { buildCHelper } from '../../../support/c-helper.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'bpf-cmd-oracle.c');

export interface CmdOracle {
  /** Every script in one helper process; per script, one result (value or -errno) per step. */
  run(scripts: readonly Script[]): number[][];
}

let cached: { oracle: CmdOracle } | { reason: string } | null = null;

function build(): string | { reason: string } {
  const h = buildCHelper(SOURCE, 'cmd-oracle', ['-O1', '-Wall', '-Wextra', '-std=gnu11']);
  return 'path' in h ? h.path : h;
}

function runScripts(bin: string, scripts: readonly Script[]): number[][] {
  if (scripts.length === 0) return [];
  const input = scripts.map((s, i) => encodeScript(i, s)).join('\n') + '\n';
  const r = spawnSync(bin, [], { input, encoding: 'utf8', timeout: 300_000, maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  if (lines.length !== scripts.length) {
    throw new Error(`cmd oracle: ${scripts.length} scripts, ${lines.length} answers (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
  }
  return lines.map((line, i) => {
    const t = line.split(' ');
    if (t[0] === 'E') throw new Error(`cmd oracle refused script ${scripts[i].id}: ${t.slice(2).join(' ')}`);
    if (t[0] !== 'R' || Number(t[1]) !== i) throw new Error(`cmd oracle: unexpected answer ${JSON.stringify(line.slice(0, 200))}`);
    return t.slice(2).map(Number);
  });
}

/** The oracle, or why it cannot be used here. BPFSIM_ORACLE=0 disables it. */
export function cmdOracle(): { oracle: CmdOracle } | { reason: string } {
  if (cached) return cached;
  cached = probe();
  return cached;
}

function probe(): { oracle: CmdOracle } | { reason: string } {
  if (process.env.BPFSIM_ORACLE === '0') return { reason: 'disabled by BPFSIM_ORACLE=0' };
  if (process.platform !== 'linux') return { reason: `bpf() needs Linux (this is ${process.platform})` };
  // The expectations (errnos, CHECK_ATTR boundaries, 6.18.y backports) are those of Linux 6.18.y.
  if (!/^6\.18\./.test(release())) return { reason: `the differential compares with Linux 6.18.y; this kernel is ${release()}` };
  const bin = build();
  if (typeof bin !== 'string') return bin;
  const p = spawnSync(bin, ['--probe'], { encoding: 'utf8', timeout: 30_000 });
  if (p.error) return { reason: `cannot run the command oracle: ${p.error.message}` };
  const out = p.stdout.trim();
  if (out !== 'ok') {
    const m = /^fail (\d+)$/.exec(out);
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    return {
      reason: m
        ? `BPF_MAP_CREATE of a 1-element array failed with ${errnoName(Number(m[1]))} (uid ${uid}; the oracle needs root or CAP_BPF+CAP_PERFMON+CAP_NET_ADMIN)`
        : `command oracle probe failed: ${out || p.stderr.trim() || `exit ${p.status}`}`,
    };
  }
  return { oracle: { run: (scripts) => runScripts(bin, scripts) } };
}
