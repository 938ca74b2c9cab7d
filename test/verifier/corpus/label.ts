/**
 * Label the generated corpus with the real kernel and write test/verifier/corpus/labels.jsonl (one
 * case plus the kernel's answer per line). Run on a machine where bpf() works, as root:
 *
 *   npx tsx test/verifier/corpus/label.ts
 *
 * Cases whose maps the kernel refuses to create are dropped (they test nothing about the verifier).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errnoName } from '../../../src/errno.js';
import { fromHex } from '../../../src/util/hex.js';
import { mapTypeByName, progTypeByName } from '../../../src/verifier/index.js';
import { closeOracle, oracleAvailable, runOracle, type OracleCase, type OracleResult } from '../../oracle/oracle.js';
import { firstErrorLine, type CorpusCase, type KernelLabel, type LabelledCase } from './case.js';
import { LABELS_PATH } from './paths.js';
import { generateCorpus } from './templates.js';


export function toOracleCase(c: CorpusCase, logLevel = 1): OracleCase {
  return {
    id: c.id,
    progType: progTypeByName(c.prog_type) ?? -1,
    progFlags: c.prog_flags,
    ...(c.expected_attach_type !== undefined ? { expectedAttachType: c.expected_attach_type } : {}),
    insns: fromHex(c.insns),
    logLevel,
    maps: (c.maps ?? []).map((m) => ({
      type: mapTypeByName(m.type) ?? -1, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries,
      flags: m.flags, slots: m.slots,
    })),
  };
}

export function kernelLabel(r: OracleResult): KernelLabel | null {
  if (r.load.stage !== undefined && r.load.stage !== 'prog_load' && r.load.stage !== 'prog_info') return null;
  const m = /processed (\d+) insns/.exec(r.load.log);
  return {
    verdict: r.load.ok ? 'accept' : 'reject',
    errno: r.load.ok ? 0 : r.load.errno,
    errno_name: r.load.ok ? '' : errnoName(r.load.errno),
    first_error: r.load.ok ? '' : firstErrorLine(r.load.log),
    processed_insns: r.load.verifiedInsns ?? (m ? Number(m[1]) : null),
  };
}

/** Label `cases` in chunks; returns the labelled cases (dropping those the kernel could not set up). */
export async function labelCases(cases: readonly CorpusCase[], chunk = 256): Promise<LabelledCase[]> {
  const out: LabelledCase[] = [];
  for (let i = 0; i < cases.length; i += chunk) {
    const part = cases.slice(i, i + chunk);
    const results = await runOracle(part.map((c) => toOracleCase(c)));
    results.forEach((r, k) => {
      const label = kernelLabel(r);
      if (label !== null) out.push({ ...part[k], kernel: label });
    });
  }
  return out;
}

async function main(): Promise<void> {
  const avail = oracleAvailable();
  if (!avail.ok) {
    console.error(`cannot label: ${avail.reason}`);
    process.exitCode = 1;
    return;
  }
  const cases = generateCorpus();
  const labelled = await labelCases(cases);
  await closeOracle();
  writeFileSync(LABELS_PATH, labelled.map((c) => JSON.stringify(c)).join('\n') + '\n');
  const rejected = labelled.filter((c) => c.kernel.verdict === 'reject').length;
  console.log(`labelled ${labelled.length} of ${cases.length} cases (${rejected} rejected by the kernel) -> ${LABELS_PATH}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
