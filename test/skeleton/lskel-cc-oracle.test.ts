/**
 * The C compiler as oracle: every fixture header is compiled (x86-64, the system `cc`) against a
 * stub <bpf/skel_internal.h>, then its X__open() and X__load() run with a bpf_load_and_run() that
 * only records its opts. The struct offsets and sizes the compiler chose, the bytes the header's
 * literals really hold and what X__load() passes must be what parseLskel's model says.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLskel } from '../../src/skeleton/lskel-parse.js';
import type { LskelModel } from '../../src/skeleton/lskel-model.js';
import { VARIANTS, variant } from './lskel-fixtures.js';

const HAVE_CC = spawnSync('cc', ['--version']).status === 0;
if (!HAVE_CC) console.warn('lskel-cc-oracle: no `cc` on this machine; the C-compiler oracle tests are skipped');

/** A stand-in for libbpf's skel_internal.h: the real structs, helpers that only record. */
const SKEL_INTERNAL = `
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32;
typedef unsigned long long __u64; typedef signed char __s8; typedef short __s16; typedef int __s32;
typedef long long __s64;
struct bpf_map_desc { int map_fd; __u32 max_entries; __u64 __attribute__((aligned(8))) initial_value; };
struct bpf_prog_desc { int prog_fd; };
struct bpf_loader_ctx { __u32 sz; __u32 flags; __u32 log_level; __u32 log_size; __u64 log_buf; };
struct bpf_load_and_run_opts {
  struct bpf_loader_ctx *ctx; const void *data; const void *insns; __u32 data_sz; __u32 insns_sz;
  const char *errstr; void *signature; __u32 signature_sz; __s32 keyring_id; void *excl_prog_hash;
  __u32 excl_prog_hash_sz; const int *signature_maps; __u32 signature_maps_sz;
};
enum { BPF_TRACE_ITER = 28 };
static struct bpf_load_and_run_opts last_opts;
static int nfinal; static int final_prot[16]; static size_t final_sz[16];
static inline void *skel_alloc(size_t sz) { return calloc(1, sz); }
static inline void skel_free(const void *p) { free((void *)p); }
static inline int skel_closenz(int fd) { (void)fd; return 0; }
static inline void *skel_prep_map_data(const void *val, size_t mmap_sz, size_t val_sz) {
  void *p = calloc(1, mmap_sz); memcpy(p, val, val_sz); return p;
}
static inline void *skel_finalize_map_data(__u64 *init_val, size_t mmap_sz, int flags, int fd) {
  (void)fd; final_prot[nfinal] = flags; final_sz[nfinal++] = mmap_sz; return (void *)(long)*init_val;
}
static inline void skel_free_map_data(void *p, __u64 addr, size_t sz) { (void)p; (void)addr; (void)sz; }
static inline int skel_raw_tracepoint_open(const char *name, int prog_fd) { (void)name; (void)prog_fd; return 0; }
static inline int skel_link_create(int prog_fd, int target_fd, int t) { (void)prog_fd; (void)target_fd; (void)t; return 0; }
static inline int bpf_load_and_run(struct bpf_load_and_run_opts *opts) { last_opts = *opts; return 0; }
static unsigned fnv(const void *p, size_t n) {
  const unsigned char *b = p; unsigned h = 2166136261u;
  for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 16777619u; }
  return h;
}
`;

function fnv(b: Uint8Array): number {
  let h = 2166136261;
  for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
  return h >>> 0;
}

/** main.c printing, as JSON, what the compiler and the generated functions produce. */
function harness(m: LskelModel): string {
  const o = m.objName;
  const out: string[] = [];
  const p = (key: string, fmt: string, expr: string) => out.push(`  printf("\\"${key}\\":${fmt},", ${expr});`);
  p('size', '%zu', `sizeof(struct ${o})`);
  p('links', '%zu', `offsetof(struct ${o}, links)`);
  p('progs', '%zu', `offsetof(struct ${o}, progs)`);
  for (const d of m.skeleton.maps) p(`map.${d.name}`, '%zu', `offsetof(struct ${o}, maps.${d.name})`);
  for (const d of m.skeleton.progs) {
    p(`prog.${d.name}`, '%zu', `offsetof(struct ${o}, progs.${d.name})`);
    p(`link.${d.name}`, '%zu', `offsetof(struct ${o}, links.${d.name}_fd)`);
  }
  if (m.signed) p('keyring_id', '%zu', `offsetof(struct ${o}, keyring_id)`);
  for (const g of m.globals) {
    p(`ptr.${g.ident}`, '%zu', `offsetof(struct ${o}, ${g.ident})`);
    p(`struct.${g.ident}`, '%zu', `sizeof(struct ${g.structName})`);
    for (const v of g.members) {
      p(`off.${g.ident}.${v.name}`, '%zu', `offsetof(struct ${g.structName}, ${v.name})`);
      p(`sz.${g.ident}.${v.name}`, '%zu', `sizeof(((struct ${g.structName} *)0)->${v.name})`);
    }
  }
  out.push(`  struct ${o} *skel = ${o}__open();`);
  p('ctx_sz', '%u', 'skel->ctx.sz');
  for (const im of m.internalMaps) {
    p(`init.${im.ident}`, '%u', `fnv(skel->${im.ident}, ${im.initialData.length})`);
    p(`iv.${im.ident}`, '%d', `skel->maps.${im.ident}.initial_value == (__u64)(long)skel->${im.ident}`);
  }
  if (m.signed) out.push('  skel->keyring_id = -1234;');
  out.push(`  int err = ${o}__load(skel);`);
  p('err', '%d', 'err');
  p('opts_ctx_is_skel', '%d', '(void *)last_opts.ctx == (void *)skel');
  p('data_sz', '%u', 'last_opts.data_sz');
  p('data', '%u', 'fnv(last_opts.data, last_opts.data_sz)');
  p('insns_sz', '%u', 'last_opts.insns_sz');
  p('insns', '%u', 'fnv(last_opts.insns, last_opts.insns_sz)');
  p('sig_sz', '%u', 'last_opts.signature_sz');
  p('sig', '%u', 'last_opts.signature ? fnv(last_opts.signature, last_opts.signature_sz) : 0');
  p('excl_sz', '%u', 'last_opts.excl_prog_hash_sz');
  p('excl', '%u', 'last_opts.excl_prog_hash ? fnv(last_opts.excl_prog_hash, last_opts.excl_prog_hash_sz) : 0');
  p('keyring', '%d', 'last_opts.keyring_id');
  out.push('  for (int i = 0; i < nfinal; i++) printf("\\"final.%d\\":[%d,%zu],", i, final_prot[i], final_sz[i]);');
  return `#include <stdio.h>\n#include "skel.h"\nint main(void)\n{\n  printf("{");\n${out.join('\n')}\n  printf("\\"end\\":0}\\n");\n  return 0;\n}\n`;
}

type CcResult = Record<string, number | number[]>;

/** `prelude` is appended to the stub skel_internal.h (typedefs the header expects from elsewhere). */
function compileAndRun(header: string, m: LskelModel, prelude = ''): CcResult {
  const dir = mkdtempSync(join(tmpdir(), 'lskel-cc-'));
  try {
    mkdirSync(join(dir, 'bpf'));
    writeFileSync(join(dir, 'bpf', 'skel_internal.h'), SKEL_INTERNAL + prelude);
    writeFileSync(join(dir, 'skel.h'), header);
    writeFileSync(join(dir, 'main.c'), harness(m));
    const cc = spawnSync('cc', ['-O0', '-w', '-I', dir, '-o', join(dir, 'main'), join(dir, 'main.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc failed:\n${cc.stderr}`);
    const run = spawnSync(join(dir, 'main'), { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`harness failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as CcResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the model predicts for every key the harness prints. */
function predicted(m: LskelModel): CcResult {
  const r: CcResult = {
    size: m.skeleton.size, links: m.skeleton.linksOffset, progs: m.skeleton.progsOffset, ctx_sz: m.skeleton.ctxSize,
  };
  for (const d of m.skeleton.maps) r[`map.${d.name}`] = d.offset;
  for (const d of m.skeleton.progs) {
    r[`prog.${d.name}`] = d.progFdOffset;
    r[`link.${d.name}`] = d.linkFdOffset;
  }
  if (m.skeleton.keyringIdOffset !== null) r.keyring_id = m.skeleton.keyringIdOffset;
  for (const g of m.globals) {
    r[`ptr.${g.ident}`] = m.skeleton.dataPointers.find((x) => x.ident === g.ident)!.offset;
    r[`struct.${g.ident}`] = g.size;
    for (const v of g.members) {
      r[`off.${g.ident}.${v.name}`] = v.offset;
      r[`sz.${g.ident}.${v.name}`] = v.size;
    }
  }
  for (const im of m.internalMaps) {
    r[`init.${im.ident}`] = fnv(im.initialData);
    r[`iv.${im.ident}`] = 1;
  }
  Object.assign(r, {
    err: 0, opts_ctx_is_skel: 1, data_sz: m.loader.data.length, data: fnv(m.loader.data),
    insns_sz: m.loader.insns.length, insns: fnv(m.loader.insns), sig_sz: m.loader.signature?.length ?? 0,
    sig: m.loader.signature === null ? 0 : fnv(m.loader.signature), excl_sz: m.loader.exclProgHash?.length ?? 0,
    excl: m.loader.exclProgHash === null ? 0 : fnv(m.loader.exclProgHash),
    keyring: m.loader.keyringId.kind === 'skeleton_member' ? -1234 : 0,
  });
  m.internalMaps.forEach((im, i) => {
    r[`final.${i}`] = [im.readonly ? 1 : 3, im.mmapSize]; // PROT_READ = 1, PROT_WRITE = 2
  });
  r.end = 0;
  return r;
}

describe.skipIf(!HAVE_CC)('the C compiler agrees with the model', () => {
  for (const v of VARIANTS) {
    it(`${v.file}`, () => {
      const m = parseLskel(v.source, v.file);
      expect(compileAndRun(v.source, m)).toEqual(predicted(m));
    });
  }

  it('lays out padded and nested global-data members like the compiler', () => {
    const src = variant('maps_globals', 'v78.signed_rsa').source
      .replace('\t\t__u32 magic;\n', [
        '\t\tchar tag;', '\t\tchar __pad0[7];', '\t\t__u64 big;', '\t\tshort arr[3];', '\t\tstruct {',
        '\t\t\tint a;', '\t\t\tchar b;', '\t\t} inner;', '\t\tunsigned char flags;', '\t\tlong double ld;',
        '\t\tint (*fp)(int);', '\t\tunion {', '\t\t\tint i;', '\t\t\tchar bytes[6];', '\t\t} u;', '\t\tmy_opaque_t opaque;', '',
      ].join('\n'))
      .replace(`\t_Static_assert(sizeof(s->rodata->magic) == 4, "unexpected size of 'magic'");\n`,
        `\t_Static_assert(sizeof(s->rodata->big) == 8, "unexpected size of 'big'");\n\t_Static_assert(sizeof(s->rodata->opaque) == 4, "unexpected size of 'opaque'");\n`);
    const m = parseLskel(src);
    const rodata = m.globals.find((g) => g.ident === 'rodata')!;
    expect(rodata.members.map((x) => x.name)).toEqual(['tag', '__pad0', 'big', 'arr', 'inner', 'flags', 'ld', 'fp', 'u', 'opaque']);
    expect(rodata.members.find((x) => x.name === '__pad0')?.padding).toBe(true);
    // The model knows my_opaque_t only through its _Static_assert.
    expect(rodata.members.find((x) => x.name === 'opaque')).toMatchObject({ typeName: 'my_opaque_t', size: 4, assertedSize: 4 });
    expect(compileAndRun(src, m, 'typedef int my_opaque_t;\n')).toEqual(predicted(m));
  });
});
