/**
 * A C tokenizer for the subset bpftool writes into light-skeleton headers, and a cursor that
 * matches token templates against it. Whitespace and comments are insignificant (a header that was
 * re-indented still parses); preprocessor lines are single tokens; adjacent string literals are one
 * token carrying the decoded bytes.
 *
 * Templates are written in C with three capture sigils: `$name` matches an identifier, `%name` a
 * number, `@name` a string literal. Everything else must match token for token.
 */
import { CLiteralError, decodeCStringLiterals } from './c-literal.js';
import { LskelParseError } from './lskel-errors.js';

export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'directive' | 'capture' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier, number or punctuator text; a directive's text with comments removed and blanks collapsed. */
  readonly text: string;
  /** Source offsets [start, end). */
  readonly start: number;
  readonly end: number;
  /** The decoded bytes of a string literal (adjacent literals concatenated, no trailing NUL). */
  readonly bytes?: Uint8Array;
}

/** A source text with its line index, to turn offsets into 1-based line/column. */
export class SourceText {
  private readonly lineStarts: number[] = [0];
  constructor(readonly text: string, readonly fileName: string | null) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }

  error(offset: number, expected: string, found: string): LskelParseError {
    const { line, column } = this.position(offset);
    return new LskelParseError(this.fileName, line, column, expected, found);
  }
}

const MULTI_PUNCT = ['...', '->', '==', '!=', '<=', '>=', '&&', '||', '++', '--', '<<', '>>', '+=', '-='];
const SINGLE_PUNCT = new Set('{}()[];,*&-+/<>=!?:.~|^%');

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

function describeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code >= 0x20 && code < 0x7f ? `'${c}'` : `character U+${code.toString(16).padStart(4, '0')}`;
}

/**
 * Tokenize `src`. In template mode `$x`, `%x` and `@x` are capture tokens and `#` is not special.
 * Every loop advances by at least one character, so tokenizing always terminates.
 */
export function tokenize(src: SourceText, templateMode = false): Token[] {
  const text = src.text;
  const out: Token[] = [];
  let i = 0;
  let lineHasToken = false;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (c === 10) lineHasToken = false;
      i++;
      continue;
    }
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) throw src.error(i, 'the end of this comment (`*/`)', 'end of file');
      for (let k = i; k < close; k++) if (text.charCodeAt(k) === 10) lineHasToken = false;
      i = close + 2;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? n : eol;
      continue;
    }
    const start = i;
    if (c === 35 /* # */ && !templateMode && !lineHasToken) {
      // A preprocessor line (with backslash-newline continuations) is one token.
      let j = i;
      while (j < n && text.charCodeAt(j) !== 10) {
        if (text.charCodeAt(j) === 92 && text.charCodeAt(j + 1) === 10) j += 2;
        else j++;
      }
      const body = text
        .slice(i, j)
        .replace(/\\\n/g, ' ')
        .replace(/\/\*[\s\S]*?\*\//g, ' ')
        .replace(/\/\/.*$/, '')
        .replace(/\s+/g, ' ')
        .replace(/^# /, '#')
        .trim();
      out.push({ kind: 'directive', text: body, start, end: j });
      i = j;
      continue;
    }
    lineHasToken = true;
    if (templateMode && (c === 36 || c === 37 || c === 64) && isIdentStart(text.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      out.push({ kind: 'capture', text: text.slice(i, j), start, end: j });
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      out.push({ kind: 'ident', text: text.slice(i, j), start, end: j });
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      out.push({ kind: 'number', text: text.slice(i, j), start, end: j });
      i = j;
      continue;
    }
    if (c === 34 /* " */) {
      let decoded: { bytes: Uint8Array; end: number };
      try {
        decoded = decodeCStringLiterals(text, i);
      } catch (e) {
        if (e instanceof CLiteralError) throw src.error(i, 'a well-formed C string literal', e.message);
        throw e;
      }
      let end = decoded.end;
      while (end > i && isSpace(text.charCodeAt(end - 1))) end--;
      for (let k = i; k < end; k++) if (text.charCodeAt(k) === 10) lineHasToken = true;
      out.push({ kind: 'string', text: text.slice(i, end), start, end, bytes: decoded.bytes });
      i = end;
      continue;
    }
    const multi = MULTI_PUNCT.find((p) => text.startsWith(p, i));
    if (multi !== undefined) {
      out.push({ kind: 'punct', text: multi, start, end: i + multi.length });
      i += multi.length;
      continue;
    }
    const ch = text[i];
    if (SINGLE_PUNCT.has(ch)) {
      out.push({ kind: 'punct', text: ch, start, end: i + 1 });
      i++;
      continue;
    }
    throw src.error(i, 'a C token', describeChar(ch));
  }
  out.push({ kind: 'eof', text: '', start: n, end: n });
  return out;
}

/** How a token is named in error messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'end of file';
    case 'string': return 'a string literal';
    case 'directive': return `\`${t.text}\``;
    default: return `\`${t.text}\``;
  }
}

const TEMPLATE_CACHE = new Map<string, readonly Token[]>();
const TEMPLATE_CACHE_LIMIT = 4096;

function compileTemplate(template: string): readonly Token[] {
  let toks = TEMPLATE_CACHE.get(template);
  if (toks === undefined) {
    toks = tokenize(new SourceText(template, '<template>'), true).filter((t) => t.kind !== 'eof');
    if (TEMPLATE_CACHE.size >= TEMPLATE_CACHE_LIMIT) TEMPLATE_CACHE.clear();
    TEMPLATE_CACHE.set(template, toks);
  }
  return toks;
}

/** The tokens a template captured, by name (without the sigil). */
export class Captures {
  constructor(private readonly src: SourceText, private readonly map: ReadonlyMap<string, Token>) {}

  token(name: string): Token {
    const t = this.map.get(name);
    if (t === undefined) throw new Error(`template has no capture named ${name}`);
    return t;
  }
  ident(name: string): string {
    return this.token(name).text;
  }
  /** A captured number as a non-negative safe integer (decimal, or hex with 0x). */
  num(name: string): number {
    const t = this.token(name);
    const v = /^0x[0-9a-f]+$/i.test(t.text) ? parseInt(t.text, 16) : /^[0-9]+$/.test(t.text) ? Number(t.text) : NaN;
    if (!Number.isSafeInteger(v)) throw this.src.error(t.start, 'a decimal integer', `\`${t.text}\``);
    return v;
  }
  bytes(name: string): Uint8Array {
    const b = this.token(name).bytes;
    if (b === undefined) throw new Error(`capture ${name} is not a string literal`);
    return b;
  }
}

/** A position in a token list, matching templates and reporting mismatches as LskelParseError. */
export class TokenCursor {
  private pos = 0;
  constructor(readonly src: SourceText, private readonly toks: readonly Token[]) {}

  peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)];
  }
  next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  get atEnd(): boolean {
    return this.peek().kind === 'eof';
  }
  /** True if the next token is the identifier or punctuator `text`. */
  at(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'ident' || t.kind === 'punct' || t.kind === 'number') && t.text === text;
  }
  error(expected: string, at: Token = this.peek()): LskelParseError {
    return this.src.error(at.start, expected, describeToken(at));
  }

  /** Match `template` here and advance past it, or throw at the first token that differs. */
  match(template: string): Captures {
    const r = this.matchAt(template);
    if (r instanceof LskelParseError) throw r;
    return r;
  }

  /** Match `template` here if possible; on a mismatch stay put and return null. */
  tryMatch(template: string): Captures | null {
    const r = this.matchAt(template);
    return r instanceof LskelParseError ? null : r;
  }

  private matchAt(template: string): Captures | LskelParseError {
    const tpl = compileTemplate(template);
    const caps = new Map<string, Token>();
    let p = this.pos;
    for (const want of tpl) {
      const got = this.toks[Math.min(p, this.toks.length - 1)];
      let ok: boolean;
      let expected: string;
      if (want.kind === 'capture') {
        const sigil = want.text[0];
        const kind: TokenKind = sigil === '$' ? 'ident' : sigil === '%' ? 'number' : 'string';
        ok = got.kind === kind;
        expected = kind === 'ident' ? 'an identifier' : kind === 'number' ? 'a number' : 'a string literal';
        if (ok) caps.set(want.text.slice(1), got);
      } else {
        ok = got.kind === want.kind && got.text === want.text;
        expected = `\`${want.text}\``;
      }
      if (!ok) return this.src.error(got.start, `${expected} (in \`${template}\`)`, describeToken(got));
      p++;
    }
    this.pos = p;
    return new Captures(this.src, caps);
  }

  /** The tokens up to (not including) the next `;` at bracket depth 0, consuming the `;`. */
  takeDeclaration(): Token[] {
    const out: Token[] = [];
    const stack: string[] = [];
    const closer: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') throw this.error('`;` ending the declaration');
      if (t.kind === 'punct') {
        if (t.text === ';' && stack.length === 0) {
          this.next();
          return out;
        }
        if (t.text in closer) stack.push(closer[t.text]);
        else if (t.text === ')' || t.text === ']' || t.text === '}') {
          if (stack.pop() !== t.text) throw this.error('a balanced declaration');
        }
      } else if (t.kind === 'directive') {
        throw this.error('a declaration');
      }
      out.push(this.next());
    }
  }
}
