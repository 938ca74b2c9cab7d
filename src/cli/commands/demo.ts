/**
 * `bpfsim demo`: the main job on the bundled material. Loads a signed light skeleton end to end in
 * a modelled 6.18 kernel with PKCS#7 verification and the signer's certificate in a keyring, shows
 * the events in order, exercises the loaded program, shows a tampered blob being caught, then runs
 * the conformance suite and the benchmark programs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runConformanceDir } from '../../conformance/run.js';
import { parseDataFile } from '../../conformance/data-file.js';
import { decode } from '../../isa/program.js';
import { Runner } from '../../interpreter/runner.js';
import { BpfApi } from '../../kernel/api.js';
import { renderTimelineText, timeline, type TimelineEntry } from '../../kernel/timeline.js';
import { bundledShared } from '../../util/bundled.js';
import type { CliIo } from '../io.js';
import { runLoad } from './load.js';
import { hex64 } from './run.js';

/** The timeline without the routine allow-everything LSM calls and object bookkeeping. */
function essential(entries: TimelineEntry[]): TimelineEntry[] {
  return entries.filter((e) => !(e.kind === 'lsm' && !e.failed && !e.text.startsWith('security_bpf_prog_load')) && e.kind !== 'object');
}

export function register(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('load a bundled signed light skeleton end to end and show every step, then run the bundled programs')
    .option('--skip-bench', 'do not run the benchmark programs')
    .action((o: { skipBench?: boolean }) => {
      const shared = bundledShared();
      const fx = join(shared, 'fixtures');
      const lskel = join(fx, 'lskel', 'maps_globals.v78.signed_rsa.lskel.h');
      const cert = join(fx, 'keys', 'rsa2048.cert.pem');
      const source = readFileSync(lskel, 'utf8');
      io.out('== 1. A signed light skeleton, loaded in a modelled Linux 6.18 kernel ==\n');
      io.out(`   ${lskel.slice(shared.length + 1)}: RSA-signed loader; the signer's certificate is in a user keyring (keyring_id -3)\n\n`);
      const r = runLoad(lskel, source, { keyring: [cert] });
      io.out(renderTimelineText(essential(timeline(r.kernel.trace.all))));
      io.out(`\n   X__load() = ${String(r.report.outcome.skel_load)}; the skeleton received fds ${JSON.stringify(r.report.final_fds)}\n`);

      if (r.report.outcome.skel_load !== 0) { io.setExit(1); return; }
      io.out('\n== 2. Running the loaded program (BPF_PROG_TEST_RUN) ==\n');
      const api = new BpfApi(r.kernel);
      const before = { counter: r.skel.readGlobal('data.counter'), total: r.skel.readGlobal('bss.total') };
      for (let i = 0; i < 2; i++) api.testRun(r.skel.progFd('maps_prog'));
      const arr1 = api.mapLookup(r.skel.mapFd('arr'), Uint8Array.of(1, 0, 0, 0), 8);
      io.out(`   .data counter ${before.counter} -> ${r.skel.readGlobal('data.counter')}, .bss total ${before.total} -> ${r.skel.readGlobal('bss.total')}, arr[1] = ${new DataView(arr1.buffer).getBigUint64(0, true)} (2 x magic 0xC0FFEE)\n`);

      io.out('\n== 3. The same skeleton with one byte of its data blob flipped ==\n');
      const t = runLoad(lskel, source, { keyring: [cert], tamper: ['data:100'] });
      io.out(renderTimelineText(essential(timeline(t.kernel.trace.all)).filter((e) => e.kind !== 'mmap' && (e.actor !== 'userspace' || e.text.includes('PROG')))));
      io.out(`   X__load() = ${String(t.report.outcome.skel_load)} (${String(t.report.outcome.errstr)}); inner objects created: ${t.kernel.objects.progs.live.size}\n`);

      io.out('\n== 4. The bpf_conformance suite, in-process ==\n');
      const conf = runConformanceDir(join(shared, 'conformance'));
      const passed = conf.filter((c) => c.passed).length;
      const failed = conf.filter((c) => !c.passed && !c.skipped).length;
      io.out(`   ${passed} passed, ${failed} failed\n`);

      if (!o.skipBench) {
        io.out('\n== 5. The benchmark programs ==\n');
        const dir = join(shared, 'bench-programs');
        const buf = new Uint8Array(readFileSync(join(dir, 'buffer.bin')));
        // Warm the interpreter up (V8 optimizes the hot loop after it has run a while).
        for (const name of ['alu_sum_kernel', 'mem_rw_kernel', 'branchy_hash_kernel', 'muldiv_kernel']) {
          new Runner().run(decode(new Uint8Array(readFileSync(join(dir, `${name}.bin`)))), buf);
        }
        for (const name of ['alu_sum', 'muldiv', 'mem_rw', 'branchy_hash']) {
          const prog = decode(new Uint8Array(readFileSync(join(dir, `${name}.bin`))));
          const want = parseDataFile(readFileSync(join(dir, `${name}.data`), 'utf8')).result;
          const t0 = process.hrtime.bigint();
          const { result } = new Runner({ budget: 2 ** 31 }).run(prog, buf);
          const s = Number(process.hrtime.bigint() - t0) / 1e9;
          if (result.status !== 'exit') { io.out(`   ${name}: fault ${result.fault.message}\n`); continue; }
          io.out(`   ${name.padEnd(13)} r0 = ${hex64(result.r0)} ${result.r0 === want ? '(expected)' : '(WRONG)'}  ${result.insns} insns, ${(result.insns / s / 1e6).toFixed(0)} M insns/s\n`);
        }
      }
      io.setExit(r.report.outcome.skel_load === 0 && passed === conf.length ? 0 : 1);
    });
}
