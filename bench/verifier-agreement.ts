/**
 * Agreement between bpfsim's verifier and Linux 6.18, per safety rule, written to
 * test/verifier/AGREEMENT.md (the work is in test/verifier/corpus/agreement-report.ts):
 *
 *   npx tsx bench/verifier-agreement.ts            # checked-in labels (+ live random programs when bpf() works)
 *   npx tsx bench/verifier-agreement.ts --no-live  # checked-in labels only
 *
 * Run it with tsx from the repository: the report reads the test corpus, which `npm run build`
 * does not compile (the module is imported by a computed specifier so that tsc leaves it out).
 */
interface ReportModule { writeAgreementReport(live: boolean): Promise<void> }

const specifier = ['..', 'test', 'verifier', 'corpus', 'agreement-report.js'].join('/');
try {
  const mod = (await import(specifier)) as ReportModule;
  await mod.writeAgreementReport(!process.argv.includes('--no-live'));
} catch (e) {
  process.stderr.write(`verifier-agreement: ${e instanceof Error ? e.message : String(e)}\n` +
    'run it from the repository with: npx tsx bench/verifier-agreement.ts\n');
  process.exitCode = 1;
}
