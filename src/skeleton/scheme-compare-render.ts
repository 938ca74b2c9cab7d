/**
 * compare-schemes output: a plain-text table (one line per tamper class × scheme × kernel), and a
 * Markdown table (one row per tamper class, one column per scheme). The JSON form
 * is the {@link SchemeComparison} itself.
 */
import type { CaughtAt, ComparisonCell, LsmSeen, SchemeComparison } from './scheme-compare.js';
import { tamperClassInfo } from './tamper-probes.js';

/** "where it was caught" as a short phrase. */
export function caughtText(c: CaughtAt): string {
  switch (c.step) {
    case 'outer-signature': return `PROG_LOAD signature: ${c.errno}`;
    case 'outer-command': return `outer ${c.cmd}: ${c.errno}`;
    case 'verifier': return c.prog === '__loader.prog' ? `verifier: ${c.errno}` : `verifier (${c.prog}): ${c.errno}`;
    case 'loader-retval': return `loader retval ${c.retval}${c.check ? ` (${c.check} check)` : ''}`;
    case 'inner-command': return `inner ${c.cmd}: ${c.errno}`;
    case 'not-caught': return 'not caught';
  }
}

/** What security_bpf_prog_load was told about __loader.prog. */
export function lsmText(l: LsmSeen): string {
  if (!l.reached) return 'not reached';
  return `loader ${l.loaderVerified ? 'yes' : 'no'}, metadata ${l.metadataVerified ? 'yes' : 'no'}`;
}

/** "closed the process's fd 1 (stdout)", or '' when the load closed none of the process's fds. */
export function closedText(closed: ReadonlyArray<{ readonly fd: number; readonly what: string }>): string {
  if (closed.length === 0) return '';
  return `closed the process's ${closed.map((c) => `fd ${c.fd} (${c.what})`).join(', ')}`;
}

function compactLsm(l: LsmSeen): string {
  if (!l.reached) return 'hook not reached';
  return `hook: L${l.loaderVerified ? '✓' : '✗'} M${l.metadataVerified ? '✓' : '✗'}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** One line per cell, aligned columns. */
export function renderComparisonText(c: SchemeComparison): string {
  const head = ['tamper', 'scheme', 'kernel', 'caught at', 'LSM hook saw (verified)', 'inner objs', 'note'];
  const rows: string[][] = c.cells.map((x) => {
    const t = tamperClassInfo(x.tamper).title;
    if (x.result.kind === 'n/a') return [t, x.scheme, x.version, 'n/a', '', '', x.result.reason];
    const r = x.result;
    const notes = [r.effect ?? (r.caught.step === 'verifier' ? r.caught.message : ''), closedText(r.closedFds)].filter((n) => n !== '');
    return [t, x.scheme, x.version, caughtText(r.caught), lsmText(r.lsm), String(r.innerObjects), notes.join('; ')];
  });
  const widths = head.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : pad(v, widths[i]))).join('  ').trimEnd();
  const out = [`${c.fileName ?? c.objName} (${c.generation}): signing schemes × kernel versions, PKCS#7 verification on, signer certificate in the selected keyring`];
  for (const s of c.signing) out.push(s.ok ? `  ${s.scheme}: signature (${s.signatureSize} bytes) over ${s.signedContent}` : `  ${s.scheme}: not signed: ${s.reason}`);
  out.push('', line(head), line(head.map((_, i) => '-'.repeat(widths[i]))));
  let prev = '';
  for (const [i, r] of rows.entries()) {
    const key = c.cells[i].tamper;
    if (prev && key !== prev) out.push('');
    prev = key;
    out.push(line(r));
  }
  return out.join('\n') + '\n';
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function markdownOutcome(x: ComparisonCell): string {
  if (x.result.kind === 'n/a') return 'n/a';
  const r = x.result;
  const effect = r.effect ? ` (${r.effect.replace(/:.*/, '')})` : '';
  const caught = r.caught.step === 'not-caught' ? `**not caught**${effect}` : caughtText(r.caught);
  const closed = closedText(r.closedFds);
  return `${caught} · ${compactLsm(r.lsm)} · ${r.innerObjects} inner obj${r.innerObjects === 1 ? '' : 's'}${closed ? ` · **${closed}**` : ''}`;
}

/** One scheme's answers to one probe: versions with the same outcome share a line. */
function markdownCell(cells: readonly ComparisonCell[], versions: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const x of cells) {
    const text = markdownOutcome(x);
    groups.set(text, [...(groups.get(text) ?? []), x.version]);
  }
  if (groups.size === 1) return mdEscape([...groups.keys()][0]);
  return mdEscape([...groups].map(([text, vs]) => `${vs.length === versions.length ? '' : `${vs.join(', ')}: `}${text}`).join('<br>'));
}

/**
 * The comparison as Markdown: one row per tamper class, one column per scheme; each cell says, per
 * kernel version (versions with the same outcome share a line), where the probe was caught, what
 * the loader's LSM hook had been told (L = loader instructions verified, M = metadata verified) and
 * how many inner objects the loader created.
 */
export function renderComparisonMarkdown(c: SchemeComparison, opts: { readonly heading?: string } = {}): string {
  const out: string[] = [];
  const name = c.fileName === null ? c.objName : c.fileName.split('/').pop() ?? c.fileName;
  out.push(`${opts.heading ?? '###'} \`${name}\` (${c.generation})`, '');
  for (const s of c.signing) {
    out.push(s.ok
      ? `- **${s.scheme}**: ${s.signatureSize}-byte signature over ${mdEscape(s.signedContent)}`
      : `- **${s.scheme}**: not signed — ${mdEscape(s.reason)}`);
  }
  out.push('', `| tamper | ${c.schemes.join(' | ')} |`, `|---|${c.schemes.map(() => '---').join('|')}|`);
  for (const tamper of c.tampers) {
    const row = c.schemes.map((scheme) => markdownCell(c.cells.filter((x) => x.tamper === tamper && x.scheme === scheme), c.versions));
    out.push(`| **${tamperClassInfo(tamper).title}** | ${row.join(' | ')} |`);
  }
  out.push('');
  const probes = new Map<string, string>();
  for (const x of c.cells) if (x.probe !== '-' && !probes.has(x.tamper)) probes.set(x.tamper, x.probe);
  out.push('Probes:', '');
  for (const tamper of c.tampers) {
    const info = tamperClassInfo(tamper);
    const p = probes.get(tamper);
    out.push(`- *${info.title}*: ${mdEscape(info.what)}${p ? ` — \`${p}\`` : ''}.`);
  }
  const effects = c.cells.filter((x) => x.result.kind === 'ran' && x.result.effect);
  if (effects.length) {
    out.push('', 'Effects of probes that were not caught:', '');
    const seen = new Set<string>();
    for (const x of effects) {
      if (x.result.kind !== 'ran' || !x.result.effect) continue;
      const key = `${x.tamper}|${x.result.effect}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const where = c.cells.filter((y) => y.tamper === x.tamper && y.result.kind === 'ran' && y.result.effect === (x.result.kind === 'ran' ? x.result.effect : null))
        .map((y) => `${y.scheme} on ${y.version}`);
      const all = where.length === c.schemes.length * c.versions.length;
      out.push(`- *${tamperClassInfo(x.tamper).title}* (${all ? 'every scheme and kernel' : where.join(', ')}): ${mdEscape(x.result.effect)}`);
    }
  }
  return out.join('\n') + '\n';
}
