/**
 * `bpfsim conformance <dir>`: run every bpf_conformance `.data` file in-process; the last line is
 * `N passed, M failed`; the exit status is 0 only when none failed.
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
      let passed = 0;
      for (const r of results) {
        if (r.passed) passed++;
        if (!r.passed) io.out(`FAIL ${r.name}: ${r.message ?? 'failed'}\n`);
        else if (opts.verbose) io.out(`PASS ${r.name}\n`);
      }
      const failed = results.length - passed;
      io.out(`${passed} passed, ${failed} failed\n`);
      io.setExit(failed === 0 ? 0 : 1);
    });
}
