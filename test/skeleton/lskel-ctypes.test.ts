import { describe, expect, it } from 'vitest';
import { CDeclError, layoutOf, parseCDeclaration, typeName, type CType } from '../../src/skeleton/lskel-ctypes.js';
import { SourceText, tokenize } from '../../src/skeleton/lskel-tokens.js';

function decl(text: string) {
  const toks = tokenize(new SourceText(text, null)).filter((t) => t.kind !== 'eof');
  return parseCDeclaration(toks);
}

describe('parseCDeclaration', () => {
  it('reads the base types btf_dump prints, with x86-64 signedness and sizes', () => {
    const cases: Array<[string, Partial<Extract<CType, { kind: 'int' }>> & { kind: string }]> = [
      ['char c', { kind: 'int', size: 1, signed: true }],
      ['unsigned char c', { kind: 'int', size: 1, signed: false }],
      ['short s', { kind: 'int', size: 2, signed: true }],
      ['unsigned int u', { kind: 'int', size: 4, signed: false }],
      ['long l', { kind: 'int', size: 8, signed: true }],
      ['long long unsigned int x', { kind: 'int', size: 8, signed: false }],
      ['__u64 v', { kind: 'int', size: 8, signed: false }],
      ['const volatile __s16 v', { kind: 'int', size: 2, signed: true }],
      ['pid_t p', { kind: 'int', size: 4, signed: true }],
    ];
    for (const [text, want] of cases) expect(decl(text).type, text).toMatchObject(want);
    expect(decl('_Bool b').type).toEqual({ kind: 'bool' });
    expect(decl('bool b').type).toEqual({ kind: 'bool' });
    expect(layoutOf(decl('long double d').type)).toEqual({ size: 16, align: 16 });
  });

  it('builds declarator types inside out', () => {
    expect(typeName(decl('int *p[4]').type)).toBe('int * [4]');
    expect(decl('int (*p)[4]').type).toMatchObject({ kind: 'pointer', to: { kind: 'array', length: 4 } });
    expect(decl('int (*fn)(int, char *)').type).toEqual({ kind: 'pointer', to: { kind: 'function' } });
    expect(decl('short a[2][3]').type).toMatchObject({ kind: 'array', length: 2, of: { kind: 'array', length: 3 } });
    expect(layoutOf(decl('short a[2][3]').type)).toEqual({ size: 12, align: 2 });
    expect(decl('char name[16]').name).toBe('name');
  });

  it('lays out records, unions, packed and aligned structs', () => {
    expect(layoutOf(decl('struct { char c; long l; } s').type)).toEqual({ size: 16, align: 8 });
    expect(layoutOf(decl('union { int i; char b[6]; } u').type)).toEqual({ size: 8, align: 4 });
    expect(layoutOf(decl('struct { char c; long l; } __attribute__((packed)) s').type)).toEqual({ size: 9, align: 1 });
    expect(layoutOf(decl('struct { char c; } __attribute__((aligned(16))) s').type)).toEqual({ size: 16, align: 16 });
    expect(layoutOf(decl('enum e { A, B } x').type)).toEqual({ size: 4, align: 4 });
  });

  it('leaves unknowable layouts unknown', () => {
    expect(layoutOf(decl('struct task_struct t').type)).toBeNull();
    expect(layoutOf(decl('my_type_t t').type)).toBeNull();
    expect(layoutOf(decl('struct { int a: 3; int b: 5; } bits').type)).toBeNull();
    expect(layoutOf(decl('char flex[]').type)).toBeNull();
    expect(layoutOf(decl('struct task_struct *t').type)).toEqual({ size: 8, align: 8 });
  });

  it('refuses declarations that are not C', () => {
    for (const bad of ['= 5', 'int a b', 'int a[', 'long long long x', 'int a[-1]', 'struct', 'int (a']) {
      expect(() => decl(bad), bad).toThrow(CDeclError);
    }
    // A bare type is a declaration without a name; the header parser refuses it as a variable.
    expect(decl('int').name).toBeNull();
  });
});
