/**
 * README's code examples are real tests: every ```ts block of README.md, cut into its top-level
 * `it(...)` blocks (or taken whole when it has none, minus the import), must appear line for line
 * (indentation aside) and contiguously in test/examples/test-authors.test.ts, so an example cannot
 * drift from the test that runs it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';

const trimmed = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const testLines = trimmed(readFileSync(join(ROOT, 'test', 'examples', 'test-authors.test.ts'), 'utf8'));

/** The example pieces: top-level it() blocks, or a whole block without its import statement. */
function pieces(): string[][] {
  const out: string[][] = [];
  for (const m of readme.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const lines = m[1].split('\n');
    const its: string[][] = [];
    let cur: string[] | null = null;
    for (const l of lines) {
      if (l.startsWith('it(')) cur = [];
      if (cur) cur.push(l);
      if (cur && l === '});') { its.push(trimmed(cur.join('\n'))); cur = null; }
    }
    if (its.length > 0) out.push(...its);
    else out.push(trimmed(m[1].replace(/^import[\s\S]*?from '[^']+';\n/m, '')));
  }
  return out;
}

function containsRun(hay: readonly string[], run: readonly string[]): boolean {
  outer: for (let i = 0; i + run.length <= hay.length; i++) {
    for (let k = 0; k < run.length; k++) if (hay[i + k] !== run[k]) continue outer;
    return true;
  }
  return false;
}

describe('README examples', () => {
  const found = pieces();
  it('has the test-author examples', () => {
    expect(found.length).toBeGreaterThanOrEqual(5);
  });
  it.each(found.map((p) => [p[0], p] as const))('%s … is in test-authors.test.ts verbatim', (_first, piece) => {
    expect(containsRun(testLines, piece)).toBe(true);
  });
});
