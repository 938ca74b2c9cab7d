import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseLskel, LskelParseError } from '../../src/skeleton/lskel-parse.js';
import { renderLskel } from '../../src/skeleton/lskel-render.js';
import type { LskelModel } from '../../src/skeleton/lskel-model.js';
import { VARIANTS, variant } from './lskel-fixtures.js';

/** Characters that matter to the tokenizer, plus some that C does not have. */
const NASTY = ['"', '\\', '\n', '{', '}', '(', ')', ';', '/', '*', '#', '\'', 'x', '0', '9', ' ', '\t', '\0', 'é', '`', '$', '@'];

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; ch: string }
  | { kind: 'delete_lines'; line: number; count: number }
  | { kind: 'duplicate_line'; line: number }
  | { kind: 'insert'; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), ch: fc.oneof(fc.constantFrom(...NASTY), fc.string({ minLength: 1, maxLength: 1 })) }),
  fc.record({ kind: fc.constant('delete_lines' as const), line: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('duplicate_line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
);

function apply(src: string, m: Mutation): string {
  switch (m.kind) {
    case 'truncate':
      return src.slice(0, m.at % (src.length + 1));
    case 'flip': {
      const at = m.at % src.length;
      return src.slice(0, at) + m.ch + src.slice(at + 1);
    }
    case 'delete_lines': {
      const lines = src.split('\n');
      const at = m.line % lines.length;
      lines.splice(at, m.count);
      return lines.join('\n');
    }
    case 'duplicate_line': {
      const lines = src.split('\n');
      const at = m.line % lines.length;
      lines.splice(at, 0, lines[at]);
      return lines.join('\n');
    }
    case 'insert': {
      const at = m.at % (src.length + 1);
      return src.slice(0, at) + m.text + src.slice(at);
    }
  }
}

/** Parse, returning the model or the LskelParseError; anything else thrown fails the property. */
function tryParse(src: string): LskelModel | LskelParseError {
  try {
    return parseLskel(src, 'fuzz.lskel.h');
  } catch (e) {
    if (e instanceof LskelParseError) return e;
    throw e;
  }
}

describe('parseLskel on mutated fixture headers', () => {
  it('either parses (and then round-trips through renderLskel) or throws LskelParseError', () => {
    fc.assert(fc.property(fc.nat(VARIANTS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (k, muts) => {
      const src = muts.reduce(apply, VARIANTS[k].source);
      const r = tryParse(src);
      if (r instanceof LskelParseError) {
        expect(r.line).toBeGreaterThanOrEqual(1);
        expect(r.column).toBeGreaterThanOrEqual(1);
        expect(r.expected.length).toBeGreaterThan(0);
        return;
      }
      // An accepted mutant (a changed literal byte, extra blanks, a comment) is still a header the
      // renderer writes canonically and the parser reads back to the same model.
      expect(parseLskel(renderLskel(r), 'fuzz.lskel.h')).toEqual(r);
    }), { numRuns: 300 });
  });

  it('survives hostile declarations in the global-data structs', () => {
    const base = variant('maps_globals', 'v78').source;
    const hostile = [
      `int ${'('.repeat(5000)}x${')'.repeat(5000)}`,
      `int ${'*'.repeat(5000)}x`,
      `int x${'[1]'.repeat(5000)}`,
      `${'struct { '.repeat(3000)}int a;${' } b;'.repeat(2999)} } x`,
      'int x[99999999999999999999]',
      'struct { int a: 3; } x',
      'unknown_t x',
      'long long long x',
    ];
    for (const decl of hostile) {
      const r = tryParse(base.replace('\t\tint counter;\n', `\t\t${decl};\n`));
      expect(r).toBeInstanceOf(LskelParseError);
    }
  });

  it('accepts a type it cannot lay out when bpftool asserts its size', () => {
    const base = variant('maps_globals', 'v78').source;
    const m = parseLskel(base.replace('\t\tint counter;\n', '\t\tmy_counter_t counter;\n'));
    expect(m.globals[0].members[0]).toMatchObject({ name: 'counter', typeName: 'my_counter_t', size: 4, offset: 0, assertedSize: 4 });
  });
});
