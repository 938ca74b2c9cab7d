/**
 * `bpfsim conformance <dir>`: run every bpf_conformance `.data` file in-process; the last line is
 * `N passed, M failed`; the exit status is 0 only when none failed. Files the upstream runner skips
 * (an unknown section header) are listed as SKIP and counted in neither number.
 */
import type { Command } from 'commander';
import { runConformanceDir } from '../../conformance/run.js';
import type { CliIo } from '../io.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('conformance')
    .description('run a directory of bpf_conformance .data files')
    .argument('<dir>', 'directory holding .data files')
    .option('-v, --verbose', 'print every test, not only failures')
    .action((dir: string, opts: { verbose?: boolean }) => {
      const results = runConformanceDir(dir);
      let passed = 0, failed = 0;
      for (const r of results) {
        if (r.skipped) io.out(`SKIP ${r.name}: ${r.message}\n`);
        else if (r.passed) passed++;
        else failed++;
        if (!r.passed && !r.skipped) io.out(`FAIL ${r.name}: ${r.message ?? 'failed'}\n`);
        else if (r.passed && opts.verbose) io.out(`PASS ${r.name}\n`);
      }
      io.out(`${passed} passed, ${failed} failed\n`);
      io.setExit(failed === 0 ? 0 : 1);
    });
}
