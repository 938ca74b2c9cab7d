/**
 * Interpreter benchmark: the four programs of vendor/shared/bench-programs, each checked against
 * its expected r0, timed over several runs after warm-up; prints million instructions per second
 * (median) next to the uBPF interpreter's figure from that README, as a ratio.
 *
 *   npm run bench               (after npm run build; add --runs N to change the sample count)
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDataFile } from '../src/conformance/data-file.js';
import { decode } from '../src/isa/program.js';
import { Runner } from '../src/interpreter/runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = process.env.BPFSIM_BENCH_DIR ?? join(root, 'vendor', 'shared', 'bench-programs');
const PROGRAMS = ['alu_sum', 'muldiv', 'mem_rw', 'branchy_hash'] as const;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** `| alu_sum | uBPF interpreter | 134.7 ms [...] | 223 | ...` → 223 */
function ubpfFigures(readme: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length > 5 && cells[2] === 'uBPF interpreter') out.set(cells[1], Number(cells[4].replace(/,/g, '')));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function main(): number {
  const runs = arg('--runs', 7);
  const warmup = arg('--warmup', 2);
  const ubpf = ubpfFigures(readFileSync(join(dir, 'README.md'), 'utf8'));
  const buffer = new Uint8Array(readFileSync(join(dir, 'buffer.bin')));
  const rows: string[] = [];
  const rates: number[] = [];
  let ok = true;
  rows.push(`program        r0 check   insns/run      M insn/s (median, range)      uBPF interp   ratio`);
  for (const name of PROGRAMS) {
    const prog = decode(new Uint8Array(readFileSync(join(dir, `${name}.bin`))));
    const expected = parseDataFile(readFileSync(join(dir, `${name}.data`), 'utf8')).result;
    const runner = new Runner({ budget: 2 ** 31 });
    const samples: number[] = [];
    let insns = 0;
    let good = true;
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = process.hrtime.bigint();
      const { result } = runner.run(prog, buffer);
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      if (result.status !== 'exit' || result.r0 !== expected) good = false;
      insns = result.insns;
      if (i >= warmup) samples.push(insns / dt / 1e6);
    }
    ok &&= good;
    const m = median(samples);
    rates.push(m);
    const ref = ubpf.get(name);
    rows.push(
      `${name.padEnd(14)} ${good ? 'ok        ' : 'WRONG     '} ${String(insns).padStart(10)}   ` +
      `${m.toFixed(1).padStart(7)} [${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)}]`.padEnd(30) +
      `${ref === undefined ? '      -' : String(ref).padStart(7)}       ${ref === undefined ? '-' : (m / ref).toFixed(2)}`,
    );
  }
  rows.push(`median across the four programs: ${median(rates).toFixed(1)} M instructions/s`);
  process.stdout.write(rows.join('\n') + '\n');
  return ok ? 0 : 1;
}

process.exitCode = main();
