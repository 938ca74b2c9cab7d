/**
 * Record the real kernel's verifier logs of ./log-programs.ts at log levels 1 and 2 into
 * ../data/kernel-logs.json (run as root where bpf() works):
 *
 *   npx tsx test/verifier/corpus/record-logs.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { closeOracle, oracleAvailable, runOracle } from '../../oracle/oracle.js';
import { toOracleCase } from './label.js';
import { LOG_PROGRAMS } from './log-programs.js';
import { KERNEL_LOGS_PATH } from './paths.js';


export interface RecordedLog {
  readonly ok: boolean;
  readonly errno: number;
  readonly log: string;
}

async function main(): Promise<void> {
  const avail = oracleAvailable();
  if (!avail.ok) {
    console.error(`cannot record: ${avail.reason}`);
    process.exitCode = 1;
    return;
  }
  const out: Record<string, Record<string, RecordedLog>> = {};
  for (const level of [1, 2]) {
    const res = await runOracle(LOG_PROGRAMS.map((c) => toOracleCase(c, level)));
    res.forEach((r, k) => {
      const id = LOG_PROGRAMS[k].id;
      (out[id] ??= {})[`level${level}`] = { ok: r.load.ok, errno: r.load.ok ? 0 : r.load.errno, log: r.load.log };
    });
  }
  await closeOracle();
  writeFileSync(KERNEL_LOGS_PATH, JSON.stringify({ _source: 'Linux 6.18.44 (reference VM), root, BPF_PROG_LOAD with log_level 1 and 2', logs: out }, null, 1) + '\n');
  console.log(`recorded ${LOG_PROGRAMS.length} programs -> ${KERNEL_LOGS_PATH}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
