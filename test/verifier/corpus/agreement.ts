/**
 * Agreement between bpfsim's verifier and the kernel's labels: per case, and summed per category.
 * Used by corpus.test.ts (thresholds) and bench/verifier-agreement.ts (the AGREEMENT.md table).
 */
import { readFileSync } from 'node:fs';
import { ERRNO } from '../../../src/errno.js';
import { runBatchCase } from '../../../src/verifier/batch.js';
import { firstErrorLine, type KernelLabel, type LabelledCase } from './case.js';
import { LABELS_PATH } from './paths.js';

export interface CaseOutcome {
  readonly id: string;
  readonly category: string;
  readonly kernel: KernelLabel;
  readonly verdict: 'accept' | 'reject';
  readonly errno: number;
  readonly firstError: string;
  readonly processedInsns: number;
}

export interface CategoryAgreement {
  readonly category: string;
  readonly cases: number;
  readonly kernelRejects: number;
  readonly verdictAgree: number;
  readonly errnoAgree: number;
  /** Of the cases both reject: the same first error line. */
  readonly bothReject: number;
  readonly firstLineAgree: number;
  /** Kernel rejects with EACCES (memory safety): bpfsim must never accept these. */
  readonly eaccesRejects: number;
  readonly eaccesAccepted: number;
  /** Of the cases with the same verdict and a kernel count: the same processed-instruction count. */
  readonly processedComparable: number;
  readonly processedAgree: number;
}

export function loadLabels(path = LABELS_PATH): LabelledCase[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LabelledCase);
}

/** Verify one labelled case with bpfsim (log level 1, as the labels were recorded). */
export function runCase(c: LabelledCase): CaseOutcome {
  const r = runBatchCase(c, { logLevel: 1, tailLines: 0 });
  return {
    id: c.id, category: c.category, kernel: c.kernel, verdict: r.verdict, errno: r.errno,
    firstError: r.result !== undefined ? (r.verdict === 'reject' ? firstErrorLine(r.result.log) : '') : (r.error ?? ''),
    processedInsns: r.processed_insns,
  };
}

export function summarise(outcomes: readonly CaseOutcome[]): CategoryAgreement[] {
  const by = new Map<string, CaseOutcome[]>();
  for (const o of outcomes) {
    let l = by.get(o.category);
    if (l === undefined) by.set(o.category, (l = []));
    l.push(o);
  }
  const rows = [...by.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([category, os]) => summariseOne(category, os));
  rows.push(summariseOne('all', outcomes));
  return rows;
}

function summariseOne(category: string, os: readonly CaseOutcome[]): CategoryAgreement {
  let kernelRejects = 0, verdictAgree = 0, errnoAgree = 0, bothReject = 0, firstLineAgree = 0;
  let eaccesRejects = 0, eaccesAccepted = 0, processedComparable = 0, processedAgree = 0;
  for (const o of os) {
    const k = o.kernel;
    if (k.verdict === 'reject') kernelRejects++;
    if (o.verdict === k.verdict) verdictAgree++;
    if (o.errno === k.errno) errnoAgree++;
    if (k.verdict === 'reject' && o.verdict === 'reject') {
      bothReject++;
      if (o.firstError === k.first_error) firstLineAgree++;
    }
    if (k.verdict === 'reject' && k.errno === ERRNO.EACCES) {
      eaccesRejects++;
      if (o.verdict === 'accept') eaccesAccepted++;
    }
    if (o.verdict === k.verdict && k.processed_insns !== null) {
      processedComparable++;
      if (o.processedInsns === k.processed_insns) processedAgree++;
    }
  }
  return {
    category, cases: os.length, kernelRejects, verdictAgree, errnoAgree, bothReject, firstLineAgree,
    eaccesRejects, eaccesAccepted, processedComparable, processedAgree,
  };
}

const pct = (a: number, b: number): string => (b === 0 ? '—' : `${((100 * a) / b).toFixed(1)}%`);

/** The agreement table as Markdown. */
export function agreementMarkdown(rows: readonly CategoryAgreement[]): string {
  const out = [
    '| category | cases | kernel rejects | verdict | errno | first error line (both reject) | EACCES rejects accepted by bpfsim | processed insns |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const name = r.category === 'all' ? '**all**' : r.category;
    out.push(`| ${name} | ${r.cases} | ${r.kernelRejects} | ${pct(r.verdictAgree, r.cases)} | ${pct(r.errnoAgree, r.cases)} | ` +
      `${pct(r.firstLineAgree, r.bothReject)} | ${r.eaccesAccepted} of ${r.eaccesRejects} | ${pct(r.processedAgree, r.processedComparable)} |`);
  }
  return out.join('\n') + '\n';
}
