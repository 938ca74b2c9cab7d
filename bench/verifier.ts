/**
 * Verifier benchmark: processed instructions per second on
 *  - the fixtures' programs (every light-skeleton loader and every inner program of obj/*.bpf.o),
 *  - the generated agreement corpus (test/verifier/corpus/labels.jsonl, read as data),
 *  - the `_kernel` bench programs of vendor/shared/bench-programs, verified the way the kernel
 *    baseline verified them (a SYSCALL program whose r1 points at a map value holding the buffer,
 *    r2 = its length), next to the kernel's own time for the same programs.
 *
 *   npm run bench:verifier -- [--runs N] [--json] [--only fixtures|corpus|kernel] [--program NAME_kernel]
 *
 * The kernel figures (processed instructions and BPF_PROG_LOAD wall time at log level 0) were
 * measured on the reference VM (Linux 6.18, 2 vCPU EPYC Zen 4) through test/oracle with the very
 * programs built here; bpfsim's processed counts must equal them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { objectPrograms } from '../src/cli/commands/verify-inputs.js';
import { LoadMapValue, Mov64, resolveLabels } from '../src/isa/builders.js';
import { decode, fromInstructions, toInstructions } from '../src/isa/program.js';
import { findCharArray } from '../src/skeleton/c-literal.js';
import { runBatchCase } from '../src/verifier/batch.js';
import { verify, type MapDescriptor, type VerifyRequest } from '../src/verifier/index.js';

/** The repository root: the first ancestor holding vendor/shared (works from bench/ and dist/bench/). */
function findRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 6; k++) {
    if (existsSync(join(d, 'vendor', 'shared'))) return d;
    d = resolve(d, '..');
  }
  if (existsSync(join(process.cwd(), 'vendor', 'shared'))) return process.cwd();
  throw new Error('cannot find the repository root (vendor/shared): run from the repository');
}

const ROOT = findRoot();
const SHARED = process.env.BPFSIM_SHARED ?? join(ROOT, 'vendor', 'shared');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Job { readonly name: string; readonly request: VerifyRequest }

function mapDesc(id: number, mapType: number, keySize: number, valueSize: number, maxEntries: number, extra: Partial<MapDescriptor> = {}): MapDescriptor {
  return { id, mapType, keySize, valueSize, maxEntries, mapFlags: 0, name: '', exclProgSha: null, frozen: false, innerMap: null, ...extra };
}

function fixtureJobs(): Job[] {
  const jobs: Job[] = [];
  const lskel = join(SHARED, 'fixtures', 'lskel');
  for (const f of readdirSync(lskel).sort()) {
    const src = readFileSync(join(lskel, f), 'utf8');
    const insn = findCharArray(src, 'opts_insn');
    const data = findCharArray(src, 'opts_data');
    if (insn === null || data === null) continue;
    const excl = findCharArray(src, 'opts_excl_hash') !== null ? new Uint8Array(createHash('sha256').update(insn).digest()) : null;
    const map = mapDesc(1, 2, 4, data.length, 1, { name: '__loader.map', exclProgSha: excl, frozen: true });
    jobs.push({
      name: `loader ${f.replace(/\.lskel\.h$/, '')}`,
      request: {
        program: decode(insn), progType: 31, progFlags: 16, logLevel: 0,
        resolveMapFd: (fd) => (fd === 3 ? map : { errno: 9 }), fdArray: { read: (i) => (i === 0 ? 3 : 0) },
      },
    });
  }
  const objDir = join(SHARED, 'fixtures', 'obj');
  for (const f of readdirSync(objDir).sort()) {
    if (!f.endsWith('.bpf.o')) continue;
    for (const p of objectPrograms(new Uint8Array(readFileSync(join(objDir, f))), f.replace(/\.bpf\.o$/, ''))) {
      jobs.push({ name: `inner ${f.replace(/\.bpf\.o$/, '')}/${p.name}`, request: { ...p.request, logLevel: 0 } });
    }
  }
  return jobs;
}

/** The kernel baseline of the `_kernel` programs (see the file comment). */
const KERNEL_BASELINE: ReadonlyArray<{ name: string; len: number; processed: number; ms: number }> = [
  { name: 'alu_sum_kernel', len: 4096, processed: 300_006, ms: 218 },
  { name: 'muldiv_kernel', len: 4096, processed: 640_007, ms: 221 },
  { name: 'mem_rw_kernel', len: 4096, processed: 384_255, ms: 141 },
  { name: 'branchy_hash_kernel', len: 2048, processed: 121_371, ms: 141 },
];

function benchJob(name: string, len: number): Job {
  const dir = join(SHARED, 'bench-programs');
  const body = toInstructions(decode(new Uint8Array(readFileSync(join(dir, `${name}.bin`)))));
  // r1 = &buffer map value (fd 3, offset 0); r2 = length; then the program unchanged.
  const program = fromInstructions([...resolveLabels([LoadMapValue(1, 3, 0), Mov64.imm(2, len)]), ...body]);
  const map = mapDesc(1, 2, 4, len, 1, { name: 'buffer' });
  return { name, request: { program, progType: 31, progFlags: 16, logLevel: 0, resolveMapFd: (fd) => (fd === 3 ? map : { errno: 9 }) } };
}

interface Measured { processed: number; ms: number; ok: boolean }

/** Median of `runs` timed rounds after `warmup` untimed ones; `firstMs` is the first round's time. */
function measure(jobs: readonly Job[], runs: number, warmup = 1): Measured & { perJob: Measured[]; firstMs: number } {
  const perJob: Measured[] = jobs.map(() => ({ processed: 0, ms: 0, ok: true }));
  const samples: number[] = [];
  let firstMs = -1;
  let processed = 0;
  let ok = true;
  for (let run = 1 - warmup; run <= runs; run++) {
    const t0 = performance.now();
    let n = 0;
    jobs.forEach((j, k) => {
      const s = performance.now();
      const r = verify(j.request);
      const dt = performance.now() - s;
      n += r.stats.processedInsns;
      if (!r.ok) ok = false;
      if (run > 0) perJob[k] = { processed: r.stats.processedInsns, ms: perJob[k].ms + dt / runs, ok: r.ok };
    });
    // Warm-up rounds (run <= 0) let V8 optimise and are not counted.
    if (firstMs < 0) firstMs = performance.now() - t0;
    if (run > 0) samples.push(performance.now() - t0);
    processed = n;
  }
  return { processed, ms: median(samples), ok, perJob, firstMs };
}

const rate = (insns: number, ms: number): string => `${(insns / ms / 1000).toFixed(2)} M insn/s`;

function main(): number {
  const runs = arg('--runs', 5);
  const json = process.argv.includes('--json');
  const report: Record<string, unknown> = {};
  let failed = false;
  // --only PART times one part (fixtures, corpus or kernel); the others are skipped.
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : null;
  const want = (part: string): boolean => only === null || only === part;

  // Fixtures.
  const fixtures = want('fixtures') ? fixtureJobs() : [];
  const fx = want('fixtures') ? measure(fixtures, runs, arg('--warmup', 15)) : { processed: 0, ms: 0, ok: true, perJob: [] };
  if (!fx.ok) failed = true;
  report.fixtures = { programs: fixtures.length, processed_insns: fx.processed, ms: fx.ms, insns_per_s: Math.round(fx.processed / fx.ms * 1000) };

  // Corpus (read as data; the 1M-limit loop cases are timed separately).
  const labelsPath = join(ROOT, 'test', 'verifier', 'corpus', 'labels.jsonl');
  const cases = want('corpus') && existsSync(labelsPath) ? readFileSync(labelsPath, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { id: string; kernel: { processed_insns: number | null } }) : [];
  const light = cases.filter((c) => (c.kernel.processed_insns ?? 0) <= 100_000);
  const heavy = cases.filter((c) => (c.kernel.processed_insns ?? 0) > 100_000);
  const timeCases = (list: typeof cases): Measured => {
    let processed = 0;
    const t0 = performance.now();
    for (const c of list) processed += runBatchCase(c, { logLevel: 0, tailLines: 0 }).processed_insns;
    return { processed, ms: performance.now() - t0, ok: true };
  };
  if (light.length > 0) timeCases(light.slice(0, 500)); // warm-up
  const cl = timeCases(light);
  const ch = timeCases(heavy);
  report.corpus = {
    cases: light.length, processed_insns: cl.processed, ms: cl.ms, insns_per_s: Math.round(cl.processed / cl.ms * 1000),
    cases_per_s: Math.round(light.length / cl.ms * 1000),
    limit_cases: heavy.length, limit_processed_insns: ch.processed, limit_ms: ch.ms, limit_insns_per_s: Math.round(ch.processed / ch.ms * 1000),
  };

  // The `_kernel` bench programs next to the kernel.
  const benchRows: Array<Record<string, unknown>> = [];
  // --program NAME times one `_kernel` program (e.g. under --cpu-prof).
  const progAt = process.argv.indexOf('--program');
  const kernelJobs = KERNEL_BASELINE.filter((b) => progAt < 0 || b.name === process.argv[progAt + 1]);
  for (const b of want('kernel') ? kernelJobs : []) {
    const m = measure([benchJob(b.name, b.len)], Math.max(1, Math.min(runs, 3)));
    const same = m.processed === b.processed;
    if (!m.ok || !same) failed = true;
    benchRows.push({
      program: b.name, processed_insns: m.processed, kernel_processed_insns: b.processed, same_count: same,
      ms: Number(m.ms.toFixed(1)), first_run_ms: Number(m.firstMs.toFixed(1)), kernel_ms: b.ms, insns_per_s: Math.round(m.processed / m.ms * 1000),
      kernel_insns_per_s: Math.round(b.processed / b.ms * 1000), speed_vs_kernel: Number((b.ms / m.ms).toFixed(2)),
    });
  }
  report.kernel_bench_programs = benchRows;

  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const out: string[] = [];
    if (want('fixtures')) {
      out.push(`fixtures: ${fixtures.length} programs, ${fx.processed} processed insns in ${fx.ms.toFixed(1)} ms (median of ${runs}): ${rate(fx.processed, fx.ms)}`);
      for (let k = 0; k < fixtures.length; k++) {
        const j = fx.perJob[k];
        out.push(`  ${fixtures[k].name.padEnd(48)} ${String(j.processed).padStart(6)} insns ${j.ms.toFixed(2).padStart(8)} ms ${j.ok ? '' : 'REJECTED'}`);
      }
    }
    if (want('corpus')) {
      out.push(`corpus: ${light.length} cases, ${cl.processed} processed insns in ${cl.ms.toFixed(0)} ms: ${rate(cl.processed, cl.ms)}, ${Math.round(light.length / cl.ms * 1000)} cases/s`);
      out.push(`corpus (1M-limit loop cases): ${heavy.length} cases, ${ch.processed} processed insns in ${ch.ms.toFixed(0)} ms: ${rate(ch.processed, ch.ms)}`);
    }
    if (want('kernel')) out.push('_kernel bench programs (SYSCALL, r1 = map value buffer):');
    if (want('kernel')) out.push('  program               processed  (kernel)     bpfsim ms  kernel ms   bpfsim rate       kernel rate       speed vs kernel');
    for (const r of benchRows) {
      out.push(`  ${String(r.program).padEnd(21)} ${String(r.processed_insns).padStart(9)}  (${r.same_count ? 'same' : `kernel ${r.kernel_processed_insns}`}) ` +
        `${String(r.ms).padStart(11)} ${String(r.kernel_ms).padStart(10)}   ${rate(r.processed_insns as number, r.ms as number).padEnd(17)} ` +
        `${rate(r.kernel_processed_insns as number, r.kernel_ms as number).padEnd(17)} ${r.speed_vs_kernel}x   (first run ${r.first_run_ms} ms)`);
    }
    if (want('kernel')) out.push('  (bpfsim ms: median after a warm-up run; "first run" includes V8 compiling the verifier, which a fresh process pays once)');
    process.stdout.write(out.join('\n') + '\n');
  }
  return failed ? 1 : 0;
}

process.exitCode = main();
