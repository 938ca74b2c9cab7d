/**
 * The C types of global variables as bpftool prints them in a light skeleton's
 * `struct <obj>__<sec> { ... } *<sec>;` (libbpf's btf_dump output), and their size and alignment
 * on x86-64 (LP64, gcc/clang): what the C compiler would compute for the skeleton user.
 *
 * Only declarations are parsed (no expressions beyond integer array lengths). A type the header
 * does not define (a typedef from vmlinux.h, a named struct without a body, a struct with bitfields)
 * has an unknown layout; the parser then falls back to the size bpftool asserts with
 * `_Static_assert` for that variable.
 */
import type { Token } from './lskel-tokens.js';

export type CType =
  | { readonly kind: 'void' }
  | { readonly kind: 'int'; readonly name: string; readonly size: number; readonly signed: boolean }
  | { readonly kind: 'bool' }
  | { readonly kind: 'float'; readonly name: string; readonly size: number }
  | { readonly kind: 'pointer'; readonly to: CType }
  | { readonly kind: 'array'; readonly of: CType; readonly length: number | null }
  | { readonly kind: 'function' }
  | {
      readonly kind: 'record';
      readonly union: boolean;
      readonly tag: string | null;
      /** null when the header names the struct without defining it here. */
      readonly members: readonly CField[] | null;
      readonly packed: boolean;
      readonly alignOverride: number | null;
      readonly hasBitfields: boolean;
    }
  | { readonly kind: 'enum'; readonly tag: string | null }
  /** A typedef name this module does not know. */
  | { readonly kind: 'named'; readonly name: string };

export interface CField {
  readonly name: string | null;
  readonly type: CType;
  /** Width of a bitfield member, null for an ordinary one. */
  readonly bits: number | null;
}

export interface CLayout {
  readonly size: number;
  readonly align: number;
}

/** A declaration that is not C this module understands, with the token where it went wrong. */
export class CDeclError extends Error {
  constructor(readonly at: Token | null, readonly expected: string) {
    super(`expected ${expected}`);
    this.name = 'CDeclError';
  }
}

/** Fixed-size typedefs that BPF programs and the kernel UAPI use (linux/types.h, stdint.h, vmlinux.h). */
const TYPEDEFS: ReadonlyMap<string, CType> = (() => {
  const m = new Map<string, CType>();
  for (const [bits, size] of [[8, 1], [16, 2], [32, 4], [64, 8]] as const) {
    for (const n of [`__u${bits}`, `u${bits}`, `uint${bits}_t`, `__be${bits}`, `__le${bits}`, `__wsum${bits}`])
      m.set(n, { kind: 'int', name: n, size, signed: false });
    for (const n of [`__s${bits}`, `s${bits}`, `int${bits}_t`]) m.set(n, { kind: 'int', name: n, size, signed: true });
  }
  m.delete('__be8');
  m.delete('__le8');
  for (const n of ['__wsum8', '__wsum16', '__wsum64']) m.delete(n);
  m.set('__wsum', { kind: 'int', name: '__wsum', size: 4, signed: false });
  m.set('__sum16', { kind: 'int', name: '__sum16', size: 2, signed: false });
  for (const n of ['size_t', 'uintptr_t', '__kernel_size_t', '__kernel_ulong_t', 'ulong'])
    m.set(n, { kind: 'int', name: n, size: 8, signed: false });
  for (const n of ['ssize_t', 'intptr_t', 'ptrdiff_t', 'off_t', 'loff_t', 'time64_t', '__kernel_long_t'])
    m.set(n, { kind: 'int', name: n, size: 8, signed: true });
  for (const n of ['pid_t', '__kernel_pid_t', 'uid_t', 'gid_t', 'key_serial_t'])
    m.set(n, { kind: 'int', name: n, size: 4, signed: n.includes('pid') || n === 'key_serial_t' });
  m.set('__u128', { kind: 'int', name: '__u128', size: 16, signed: false });
  m.set('__s128', { kind: 'int', name: '__s128', size: 16, signed: true });
  m.set('bool', { kind: 'bool' });
  return m;
})();

const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '__restrict', '_Atomic', 'static', 'extern', 'register']);
const BASE_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'signed', 'unsigned', 'float', 'double', '_Bool', '__int128']);

/** x86-64 size and alignment of `t`, or null when it cannot be known from the header alone. */
export function layoutOf(t: CType): CLayout | null {
  switch (t.kind) {
    case 'void':
    case 'function':
      return null;
    case 'bool':
      return { size: 1, align: 1 };
    case 'int':
    case 'float':
      return { size: t.size, align: t.size };
    case 'pointer':
      return { size: 8, align: 8 };
    case 'enum':
      return { size: 4, align: 4 };
    case 'named':
      return null;
    case 'array': {
      const e = layoutOf(t.of);
      if (e === null || t.length === null) return null;
      return { size: e.size * t.length, align: e.align };
    }
    case 'record': {
      if (t.members === null || t.hasBitfields) return null;
      let size = 0;
      let align = 1;
      for (const f of t.members) {
        const l = layoutOf(f.type);
        if (l === null) return null;
        const a = t.packed ? 1 : l.align;
        align = Math.max(align, a);
        if (t.union) size = Math.max(size, l.size);
        else size = alignUp(size, a) + l.size;
      }
      if (t.alignOverride !== null) align = Math.max(align, t.alignOverride);
      return { size: alignUp(size, align), align };
    }
  }
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** The C spelling of a type, for messages and for the model (`__u32`, `char [16]`, `struct foo *`). */
export function typeName(t: CType): string {
  switch (t.kind) {
    case 'void': return 'void';
    case 'int':
    case 'float':
    case 'named': return t.name;
    case 'bool': return '_Bool';
    case 'pointer': return `${typeName(t.to)} *`;
    case 'array': return `${typeName(t.of)} [${t.length ?? ''}]`;
    case 'function': return 'function';
    case 'enum': return `enum ${t.tag ?? '<anonymous>'}`;
    case 'record': return `${t.union ? 'union' : 'struct'} ${t.tag ?? '<anonymous>'}`;
  }
}

/** Nesting limit for declarators and member lists: deeper input is refused rather than recursed into. */
const MAX_DEPTH = 32;

/** Parse one declaration (the tokens before its `;`): `__u32 magic`, `char name[16]`, `struct { int a; } s`. */
export function parseCDeclaration(toks: readonly Token[], depth = 0): CField {
  if (depth > MAX_DEPTH) throw new CDeclError(toks[0] ?? null, `at most ${MAX_DEPTH} levels of nested declarations`);
  const p = new DeclParser(toks, depth);
  const field = p.declaration();
  if (!p.done) throw new CDeclError(p.peek(), '`;` after the declarator');
  return field;
}

class DeclParser {
  private i = 0;
  constructor(private readonly toks: readonly Token[], private readonly depth: number) {}

  get done(): boolean {
    return this.i >= this.toks.length;
  }
  peek(): Token | null {
    return this.toks[this.i] ?? null;
  }
  private is(text: string): boolean {
    const t = this.peek();
    return t !== null && t.kind !== 'string' && t.text === text;
  }
  private expect(text: string): void {
    if (!this.is(text)) throw new CDeclError(this.peek(), `\`${text}\``);
    this.i++;
  }

  declaration(): CField {
    const base = this.specifiers();
    if (this.done) return { name: null, type: base.type, bits: null };
    const d = this.declarator();
    let bits: number | null = null;
    if (this.is(':')) {
      // A bitfield: the layout of the enclosing record is then left to the compiler (unknown here).
      this.i++;
      bits = this.integer();
    }
    this.attributes();
    return { name: d.name, type: d.wrap(base.type), bits };
  }

  /** Declaration specifiers: qualifiers, one base type (words, a typedef name or a tagged type). */
  private specifiers(): { type: CType } {
    const words: string[] = [];
    let type: CType | null = null;
    for (;;) {
      const t = this.peek();
      if (t === null || t.kind !== 'ident') break;
      if (QUALIFIERS.has(t.text)) {
        this.i++;
      } else if (t.text === '__attribute__') {
        this.attributes();
      } else if (BASE_WORDS.has(t.text) && type === null) {
        words.push(t.text);
        this.i++;
      } else if ((t.text === 'struct' || t.text === 'union' || t.text === 'enum') && type === null && words.length === 0) {
        this.i++;
        type = this.tagged(t.text);
      } else if (type === null && words.length === 0) {
        this.i++;
        type = TYPEDEFS.get(t.text) ?? { kind: 'named', name: t.text };
      } else {
        break;
      }
    }
    if (type !== null) return { type };
    if (words.length === 0) throw new CDeclError(this.peek(), 'a type');
    return { type: baseType(words, this.toks[this.i - 1]) };
  }

  private tagged(keyword: string): CType {
    let tag: string | null = null;
    this.attributes();
    const t = this.peek();
    if (t !== null && t.kind === 'ident') {
      tag = t.text;
      this.i++;
    }
    if (keyword === 'enum') {
      if (this.is('{')) this.skipBalanced();
      return { kind: 'enum', tag };
    }
    let members: CField[] | null = null;
    let hasBitfields = false;
    if (this.is('{')) {
      this.i++;
      members = [];
      while (!this.is('}')) {
        if (this.done) throw new CDeclError(null, '`}` closing the member list');
        const start = this.i;
        let depth = 0;
        while (!this.done && !(depth === 0 && this.is(';'))) {
          if (this.is('{')) depth++;
          if (this.is('}')) {
            if (depth === 0) break;
            depth--;
          }
          this.i++;
        }
        if (!this.is(';')) throw new CDeclError(this.peek(), '`;` after a member');
        const member = parseCDeclaration(this.toks.slice(start, this.i), this.depth + 1);
        if (member.bits !== null) hasBitfields = true;
        members.push(member);
        this.i++;
      }
      this.i++;
    } else if (tag === null) {
      throw new CDeclError(this.peek(), 'a tag or a member list');
    }
    const attrs = this.attributes();
    return {
      kind: 'record', union: keyword === 'union', tag, members, packed: attrs.packed,
      alignOverride: attrs.aligned, hasBitfields,
    };
  }

  /** Zero or more `__attribute__((...))`; only packed and aligned(N) change a layout. */
  private attributes(): { packed: boolean; aligned: number | null } {
    let packed = false;
    let aligned: number | null = null;
    while (this.is('__attribute__')) {
      this.i++;
      const start = this.i;
      this.skipBalanced();
      const words = this.toks.slice(start, this.i).map((t) => t.text);
      if (words.includes('packed') || words.includes('__packed__')) packed = true;
      const ai = words.findIndex((w) => w === 'aligned' || w === '__aligned__');
      if (ai >= 0 && words[ai + 1] === '(' && /^[0-9]+$/.test(words[ai + 2] ?? '')) aligned = Number(words[ai + 2]);
    }
    return { packed, aligned };
  }

  private skipBalanced(): void {
    const open = this.peek();
    if (open === null || (open.text !== '(' && open.text !== '{' && open.text !== '[')) {
      throw new CDeclError(open, '`(`');
    }
    let depth = 0;
    do {
      const t = this.peek();
      if (t === null) throw new CDeclError(null, 'a closing bracket');
      if (t.kind === 'punct' && (t.text === '(' || t.text === '{' || t.text === '[')) depth++;
      if (t.kind === 'punct' && (t.text === ')' || t.text === '}' || t.text === ']')) depth--;
      this.i++;
    } while (depth > 0);
  }

  private integer(): number {
    const t = this.peek();
    if (t === null || t.kind !== 'number' || !/^[0-9]+$/.test(t.text) || Number(t.text) > 0x7fffffff) {
      throw new CDeclError(t, 'a decimal integer below 2^31');
    }
    this.i++;
    return Number(t.text);
  }

  /** A declarator: the name and how it derives its type from the base type (inside out). */
  private declarator(nesting = 0): { name: string | null; wrap: (t: CType) => CType } {
    if (nesting > MAX_DEPTH) throw new CDeclError(this.peek(), `at most ${MAX_DEPTH} nested declarators`);
    let pointers = 0;
    while (this.is('*')) {
      this.i++;
      if (++pointers > MAX_DEPTH) throw new CDeclError(this.peek(), `at most ${MAX_DEPTH} levels of pointers`);
      while (this.peek()?.kind === 'ident' && QUALIFIERS.has(this.peek()!.text)) this.i++;
    }
    let name: string | null = null;
    let inner: (t: CType) => CType = (t) => t;
    const t = this.peek();
    if (t !== null && t.kind === 'ident' && !QUALIFIERS.has(t.text)) {
      name = t.text;
      this.i++;
    } else if (this.is('(')) {
      this.i++;
      const d = this.declarator(nesting + 1);
      this.expect(')');
      name = d.name;
      inner = d.wrap;
    }
    const suffixes: Array<(t: CType) => CType> = [];
    for (;;) {
      if (suffixes.length > MAX_DEPTH) throw new CDeclError(this.peek(), `at most ${MAX_DEPTH} array dimensions`);
      if (this.is('[')) {
        this.i++;
        let length: number | null = null;
        if (!this.is(']')) length = this.integer();
        this.expect(']');
        suffixes.push((e) => ({ kind: 'array', of: e, length }));
      } else if (this.is('(')) {
        this.skipBalanced();
        suffixes.push(() => ({ kind: 'function' }));
      } else {
        break;
      }
    }
    return {
      name,
      wrap: (base) => {
        let ty = base;
        for (let k = 0; k < pointers; k++) ty = { kind: 'pointer', to: ty };
        for (let k = suffixes.length - 1; k >= 0; k--) ty = suffixes[k](ty);
        return inner(ty);
      },
    };
  }
}

function baseType(words: readonly string[], at: Token | undefined): CType {
  const count = (w: string) => words.filter((x) => x === w).length;
  const unsigned = count('unsigned') > 0;
  const longs = count('long');
  const name = words.join(' ');
  if (count('void')) return { kind: 'void' };
  if (count('_Bool')) return { kind: 'bool' };
  if (count('float')) return { kind: 'float', name, size: 4 };
  if (count('double')) return { kind: 'float', name, size: longs > 0 ? 16 : 8 };
  if (count('__int128')) return { kind: 'int', name, size: 16, signed: !unsigned };
  if (count('char')) return { kind: 'int', name, size: 1, signed: !unsigned };
  if (count('short')) return { kind: 'int', name, size: 2, signed: !unsigned };
  if (longs > 2) throw new CDeclError(at ?? null, 'at most two `long`');
  if (longs > 0) return { kind: 'int', name, size: 8, signed: !unsigned };
  return { kind: 'int', name, size: 4, signed: !unsigned };
}
