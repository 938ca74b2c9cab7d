/**
 * docs/scheme-comparison.md is generated: every block between
 *   <!-- BEGIN compare-schemes <fixture file> -->  and  <!-- END compare-schemes -->
 * must equal what `bpfsim compare-schemes <fixture> --key … --cert … --wrong-key other_rsa2048
 * --markdown` prints now. `BPFSIM_WRITE_DOCS=1` rewrites the blocks instead of checking them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSchemes } from '../../src/skeleton/scheme-compare.js';
import { renderComparisonMarkdown } from '../../src/skeleton/scheme-compare-render.js';
import { ROOT } from '../support/paths.js';
import { OTHER, fixtureModel, keyNameOf, signer } from './support.js';

const DOC = join(ROOT, 'docs', 'scheme-comparison.md');
const BLOCK = /<!-- BEGIN compare-schemes (\S+) -->\n([\s\S]*?)<!-- END compare-schemes -->/g;
const WRITE = process.env.BPFSIM_WRITE_DOCS === '1';

function generate(file: string): string {
  const s = signer(keyNameOf(file));
  return renderComparisonMarkdown(compareSchemes(fixtureModel(file), { key: s.key, cert: s.cert, wrongSigner: { key: OTHER.key, cert: OTHER.cert } }), { heading: '###' });
}

describe('docs/scheme-comparison.md', () => {
  const text = readFileSync(DOC, 'utf8');
  const blocks = [...text.matchAll(BLOCK)].map((m) => ({ file: m[1], body: m[2] }));

  it('has generated tables for the 6.18-era loader and the libbpf 1.8 loader', () => {
    expect(blocks.map((b) => b.file)).toEqual(['tprog.v77.signed_rsa.lskel.h', 'maps_globals.v78.signed_rsa.lskel.h']);
  });

  if (WRITE) {
    it('is rewritten (BPFSIM_WRITE_DOCS=1)', () => {
      const out = text.replace(BLOCK, (_m, file: string) => `<!-- BEGIN compare-schemes ${file} -->\n${generate(file)}<!-- END compare-schemes -->`);
      writeFileSync(DOC, out);
      expect(readFileSync(DOC, 'utf8')).toBe(out);
    });
  } else {
    for (const b of blocks) {
      it(`${b.file}: the table is what compare-schemes prints now`, () => {
        expect(b.body).toBe(generate(b.file));
      });
    }
  }

  it('README quotes the 6.18-era loader\'s table as generated', () => {
    const table = (md: string) => md.slice(md.indexOf('| tamper | v6.18 | hash-chain | v2026 |')).split('\n\n')[0];
    const tprog = blocks.find((b) => b.file === 'tprog.v77.signed_rsa.lskel.h')!;
    expect(table(readFileSync(join(ROOT, 'README.md'), 'utf8'))).toBe(table(tprog.body));
  });
});
