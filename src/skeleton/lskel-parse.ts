/**
 * Parse a bpftool light-skeleton header (`bpftool gen skeleton -L [-S]`, bpftool 7.1 / 7.7 / 7.8)
 * into an {@link LskelModel}.
 *
 * The header is matched token by token against the shapes bpftool's gen.c writes (`gen_trace`,
 * `codegen_datasecs`, `codegen_attach_detach`, `codegen_destroy`, `codegen_asserts`), in order, so
 * every part of the file is accounted for and anything else is an {@link LskelParseError} pointing
 * at the first token that does not fit. Whitespace and comments are not significant.
 */
import { alignUp, CDeclError, layoutOf, parseCDeclaration, typeName, type CType } from './lskel-ctypes.js';
import {
  deepFreeze, loadAndRunProfile, type GlobalDataStruct, type GlobalVar, type InternalMapInit,
  type KeyringIdSource, type LskelAttach, type LskelGeneration, type LskelLoader, type LskelModel, type LskelSizeAssert,
  type SkeletonLayout,
} from './lskel-model.js';
import { SourceText, TokenCursor, tokenize, type Token } from './lskel-tokens.js';
import { loaderCallsTracePrintk } from './loader-analysis.js';

export { LskelParseError } from './lskel-errors.js';

/** Sizes of the libbpf skel_internal.h structs on x86-64 (signing.md §4.6). */
const LOADER_CTX_SIZE = 24;
const MAP_DESC_SIZE = 16;
const PROG_DESC_SIZE = 4;
const BPF_INSN_SIZE = 8;

const ALIGNED_8 = '__attribute__((__aligned__(8)))';

interface DatasecDecl {
  readonly text: string;
  readonly tokens: readonly Token[];
}
interface Datasec {
  readonly ident: string;
  readonly structName: string;
  readonly decls: readonly DatasecDecl[];
  readonly at: Token;
}
interface OpenMap {
  readonly ident: string;
  readonly data: Uint8Array;
  readonly mmapSize: number;
  readonly at: Token;
}
interface FinalizeMap {
  readonly ident: string;
  readonly mmapSize: number;
  readonly writable: boolean;
  readonly at: Token;
}

/** Parse `source` (the text of a `.lskel.h`); `fileName` is kept in the model and named in errors. */
export function parseLskel(source: string, fileName: string | null = null): LskelModel {
  const src = new SourceText(source, fileName);
  const c = new TokenCursor(src, tokenize(src));
  return new HeaderParser(c).parse();
}

class HeaderParser {
  private obj = '';
  private casts: boolean | null = null;
  private style: 'inline' | 'arrays' | null = null;

  constructor(private readonly c: TokenCursor) {}

  private directive(expected: string, exact: boolean): string {
    const t = this.c.peek();
    const ok = t.kind === 'directive' && (exact ? t.text === expected : t.text.startsWith(expected));
    if (!ok) throw this.c.error(`\`${expected}${exact ? '' : '...'}\``);
    this.c.next();
    return t.text.slice(expected.length).trim();
  }

  private lookahead(...texts: string[]): boolean {
    return texts.every((t, k) => {
      const tok = this.c.peek(k);
      return tok.kind !== 'string' && tok.kind !== 'directive' && tok.text === t;
    });
  }

  private setStyle(style: 'inline' | 'arrays', at: Token): void {
    if (this.style !== null && this.style !== style) {
      throw this.c.src.error(at.start, `the ${this.style === 'inline' ? 'inline-literal (bpftool 7.1)' : 'static-array'} style used earlier`, `the ${style} style`);
    }
    this.style = style;
  }

  /** `(__typeof__(skel->m))` where bpftool 7.8 writes it, nothing where earlier versions do not. */
  private typeofCast(ident: string): void {
    if (this.casts) this.c.match(`(__typeof__(skel->${ident}))`);
  }

  parse(): LskelModel {
    const c = this.c;
    const guard = this.directive('#ifndef ', false);
    this.directive(`#define ${guard}`, true);
    this.directive('#include <bpf/skel_internal.h>', true);
    const st = this.skeletonStruct();
    const attach = this.attachDetach(st.progs);
    const freed = this.destroy(st.progs, st.maps);
    const opened = this.open();
    const loadTok = c.peek();
    const { loader, finalized } = this.load();
    this.openAndLoad();
    const asserts = c.at('__attribute__') ? this.assertFn() : null;
    this.directive('#endif', false);
    if (!c.atEnd) throw c.error('end of file');

    if (st.keyringMember !== (loader.signature !== null)) {
      throw c.src.error(
        st.keyringMember ? st.keyringTok.start : loadTok.start,
        st.keyringMember ? 'a signature in X__load() for the `keyring_id` member' : 'a `__s32 keyring_id;` member in the signed skeleton',
        st.keyringMember ? 'an unsigned X__load()' : 'none',
      );
    }
    // X__load() always sets the style (arrays or inline literals); casts were decided in X__open().
    const generation: LskelGeneration = this.style === 'inline' ? 'v71' : this.casts ? 'v78' : 'v77';
    const skeleton = skeletonLayout(this.obj, st.maps, st.progs, attach, st.keyringMember, st.datasecs.map((d) => d.ident));
    const globals = st.datasecs.map((d) => globalStruct(c.src, d, st.maps, asserts ?? []));
    for (const a of asserts ?? []) {
      const g = globals.find((x) => x.ident === a.section);
      if (g === undefined || !g.members.some((v) => !v.padding && v.name === a.name)) {
        throw c.src.error(a.at.start, `an assert on a variable of the skeleton's global-data structs`, `s->${a.section}->${a.name}`);
      }
    }
    const internalMaps = internalMapInits(c.src, skeleton, st.datasecs, opened, finalized, freed, st.maps);
    const keyringId: KeyringIdSource = skeleton.keyringIdOffset === null
      ? { kind: 'zero' } : { kind: 'skeleton_member', offset: skeleton.keyringIdOffset };

    return deepFreeze<LskelModel>({
      fileName: c.src.fileName,
      objName: this.obj,
      headerGuard: guard,
      generation,
      signed: loader.signature !== null,
      debug: loaderCallsTracePrintk(loader.insns),
      loader: { ...loader, keyringId },
      skeleton,
      globals,
      internalMaps,
      asserts: asserts === null ? null : asserts.map(({ section, name, size }) => ({ section, name, size })),
      runtime: loadAndRunProfile(generation),
    });
  }

  /** `struct <obj> { ctx; maps; progs; links; [keyring_id;] <datasec pointers> };` (do_skeleton). */
  private skeletonStruct() {
    const c = this.c;
    this.obj = c.match('struct $obj {').ident('obj');
    c.match('struct bpf_loader_ctx ctx;');
    const maps: string[] = [];
    const mapToks: Token[] = [];
    if (this.lookahead('struct', '{', 'struct', 'bpf_map_desc')) {
      c.match('struct {');
      do {
        mapToks.push(c.peek(2));
        maps.push(c.match('struct bpf_map_desc $m;').ident('m'));
      } while (c.at('struct'));
      c.match('} maps;');
    }
    if (!this.lookahead('struct', '{', 'struct', 'bpf_prog_desc')) {
      throw c.error('`struct { struct bpf_prog_desc ... } progs;` (a light skeleton needs at least one program)');
    }
    const progs: string[] = [];
    const progToks: Token[] = [];
    c.match('struct {');
    do {
      progToks.push(c.peek(2));
      progs.push(c.match('struct bpf_prog_desc $p;').ident('p'));
    } while (c.at('struct'));
    c.match('} progs;');
    c.match('struct {');
    for (const p of progs) c.match(`int ${p}_fd;`);
    c.match('} links;');
    checkUnique(c, maps, mapToks, 'map');
    checkUnique(c, progs, progToks, 'program');
    const keyringTok = c.peek();
    const keyringMember = c.tryMatch('__s32 keyring_id;') !== null;
    const datasecs: Datasec[] = [];
    while (c.at('struct')) datasecs.push(this.datasec());
    checkUnique(c, datasecs.map((d) => d.ident), datasecs.map((d) => d.at), 'global-data struct');
    c.match('};');
    return { maps, progs, keyringMember, keyringTok, datasecs };
  }

  /** `X__<prog>__attach()` per program, `X__attach()`, `X__detach()` (codegen_attach_detach). */
  private attachDetach(progs: readonly string[]): LskelAttach[] {
    const c = this.c;
    const o = this.obj;
    const attach: LskelAttach[] = [];
    for (const p of progs) {
      c.match(`static inline int ${o}__${p}__attach(struct ${o} *skel) {
        int prog_fd = skel->progs.${p}.prog_fd; int fd =`);
      attach.push(this.attachExpr());
      c.match(`; if (fd > 0) skel->links.${p}_fd = fd; return fd; }`);
    }
    c.match(`static inline int ${o}__attach(struct ${o} *skel) { int ret = 0;`);
    for (const p of progs) c.match(`ret = ret < 0 ? ret : ${o}__${p}__attach(skel);`);
    c.match(`return ret < 0 ? ret : 0; }`);
    c.match(`static inline void ${o}__detach(struct ${o} *skel) {`);
    for (const p of progs) c.match(`skel_closenz(skel->links.${p}_fd);`);
    c.match('}');
    return attach;
  }

  /** `X__destroy()` (codegen_destroy): which maps have mmapped data, and its size. */
  private destroy(progs: readonly string[], maps: readonly string[]): Map<string, { size: number; at: Token }> {
    const c = this.c;
    const o = this.obj;
    c.match(`static void ${o}__destroy(struct ${o} *skel) { if (!skel) return; ${o}__detach(skel);`);
    for (const p of progs) c.match(`skel_closenz(skel->progs.${p}.prog_fd);`);
    const freed = new Map<string, { size: number; at: Token }>();
    for (const m of maps) {
      const at = c.peek();
      const f = c.tryMatch(`skel_free_map_data(skel->${m}, skel->maps.${m}.initial_value, %sz);`);
      if (f !== null) freed.set(m, { size: f.num('sz'), at });
      c.match(`skel_closenz(skel->maps.${m}.map_fd);`);
    }
    c.match('skel_free(skel); }');
    return freed;
  }

  /** `X__open()`: allocation, `ctx.sz`, and the initial data of every mmapable internal map. */
  private open(): OpenMap[] {
    const c = this.c;
    const o = this.obj;
    c.match(`static inline struct ${o} * ${o}__open(void) { struct ${o} *skel; skel =`);
    this.casts = c.tryMatch(`(struct ${o} *)`) !== null;
    c.match('skel_alloc(sizeof(*skel)); if (!skel) goto cleanup;');
    const ptr = this.casts ? '(char *)' : '(void *)';
    c.match(`skel->ctx.sz = ${ptr}&skel->links - ${ptr}skel;`);
    const opened: OpenMap[] = [];
    while (!c.at('return')) opened.push(this.openMap());
    c.match(`return skel; cleanup: ${o}__destroy(skel); return NULL; }`);
    return opened;
  }

  /** `X__load()`: the opts of bpf_load_and_run() and the finalization of the internal maps. */
  private load(): { loader: LoaderParts; finalized: FinalizeMap[] } {
    const c = this.c;
    const o = this.obj;
    c.match(`static inline int ${o}__load(struct ${o} *skel) { struct bpf_load_and_run_opts opts = {}; int err;`);
    const loader = c.at('static') ? this.loadArrays() : this.loadInline();
    c.match('err = bpf_load_and_run(&opts); if (err < 0) return err;');
    const finalized: FinalizeMap[] = [];
    while (c.at('skel')) finalized.push(this.finalizeMap());
    c.match('return 0; }');
    return { loader, finalized };
  }

  private openAndLoad(): void {
    const o = this.obj;
    this.c.match(`static inline struct ${o} * ${o}__open_and_load(void) { struct ${o} *skel;
      skel = ${o}__open(); if (!skel) return NULL;
      if (${o}__load(skel)) { ${o}__destroy(skel); return NULL; } return skel; }`);
  }

  /** `X__assert()` with one `_Static_assert` per global variable (codegen_asserts). */
  private assertFn(): Array<LskelSizeAssert & { at: Token }> {
    const c = this.c;
    const o = this.obj;
    c.match(`__attribute__((unused)) static void ${o}__assert(struct ${o} *s __attribute__((unused))) {`);
    this.directive('#ifdef __cplusplus', true);
    this.directive('#define _Static_assert static_assert', true);
    this.directive('#endif', true);
    const asserts: Array<LskelSizeAssert & { at: Token }> = [];
    while (c.at('_Static_assert')) {
      const at = c.peek();
      const m = c.match('_Static_assert(sizeof(s->$sec->$var) == %size, @msg);');
      const name = m.ident('var');
      const msg = Buffer.from(m.bytes('msg')).toString('latin1');
      if (msg !== `unexpected size of '${name}'`) {
        throw c.src.error(m.token('msg').start, `"unexpected size of '${name}'"`, JSON.stringify(msg));
      }
      asserts.push({ section: m.ident('sec'), name, size: m.num('size'), at });
    }
    this.directive('#ifdef __cplusplus', true);
    this.directive('#undef _Static_assert', true);
    this.directive('#endif', true);
    c.match('}');
    return asserts;
  }

  /** `struct <obj>__<sec> { decls } *<sec>;` (codegen_datasec_def). */
  private datasec(): Datasec {
    const c = this.c;
    const at = c.peek(1);
    const structName = c.match('struct $s {').ident('s');
    const prefix = `${this.obj}__`;
    if (!structName.startsWith(prefix) || structName.length === prefix.length) {
      throw c.src.error(at.start, `a global-data struct named \`${prefix}<section>\``, `\`${structName}\``);
    }
    const ident = structName.slice(prefix.length);
    const decls: DatasecDecl[] = [];
    while (!c.at('}')) {
      const toks = c.takeDeclaration();
      if (toks.length === 0) throw c.error('a member declaration');
      decls.push({ text: c.src.text.slice(toks[0].start, toks[toks.length - 1].end), tokens: toks });
    }
    c.match(`} *${ident};`);
    return { ident, structName, decls, at };
  }

  private attachExpr(): LskelAttach {
    const c = this.c;
    if (c.tryMatch('skel_raw_tracepoint_open(NULL, prog_fd)')) return { kind: 'raw_tracepoint_open', tracepoint: null };
    const tp = c.tryMatch('skel_raw_tracepoint_open(@tp, prog_fd)');
    if (tp) return { kind: 'raw_tracepoint_open', tracepoint: Buffer.from(tp.bytes('tp')).toString('latin1') };
    if (c.tryMatch('skel_link_create(prog_fd, 0, BPF_TRACE_ITER)')) return { kind: 'link_create', attachType: 'BPF_TRACE_ITER' };
    if (c.tryMatch('((void)prog_fd, 0)')) return { kind: 'none' };
    throw c.error('`skel_raw_tracepoint_open(...)`, `skel_link_create(prog_fd, 0, BPF_TRACE_ITER)` or `((void)prog_fd, 0)`');
  }

  /** One internal map's initial data in X__open() (arrays style for 7.7/7.8, inline for 7.1). */
  private openMap(): OpenMap {
    const c = this.c;
    const at = c.peek();
    if (c.at('{')) {
      this.setStyle('arrays', at);
      const m = c.match(`{ static const char data[] ${ALIGNED_8} = @data; skel->$m =`);
      const ident = m.ident('m');
      this.typeofCast(ident);
      const s = c.match(`skel_prep_map_data((void *)data, %sz, sizeof(data) - 1);
        if (!skel->${ident}) goto cleanup;
        skel->maps.${ident}.initial_value = (__u64) (long) skel->${ident}; }`);
      return { ident, data: m.bytes('data').slice(), mmapSize: s.num('sz'), at: m.token('m') };
    }
    this.setStyle('inline', at);
    if (this.casts) throw c.error('a `{ static const char data[] ... }` block (bpftool 7.8)');
    const m = c.match('skel->$m = skel_prep_map_data((void *)@data, %sz, %len);');
    const ident = m.ident('m');
    c.match(`if (!skel->${ident}) goto cleanup; skel->maps.${ident}.initial_value = (__u64) (long) skel->${ident};`);
    const data = m.bytes('data');
    if (m.num('len') !== data.length) {
      throw c.src.error(m.token('len').start, `${data.length} (the length of the initial-data literal)`, String(m.num('len')));
    }
    return { ident, data: data.slice(), mmapSize: m.num('sz'), at: m.token('m') };
  }

  /** X__load() of bpftool 7.7/7.8: the `static const char opts_*[]` arrays. */
  private loadArrays(): LoaderParts {
    const c = this.c;
    this.setStyle('arrays', c.peek());
    const d = c.match(`static const char opts_data[] ${ALIGNED_8} = @data;
      static const char opts_insn[] ${ALIGNED_8} = @insn;`);
    let signature: Uint8Array | null = null;
    let exclProgHash: Uint8Array | null = null;
    let signatureMaps: number[] | null = null;
    const sig = c.tryMatch(`static const char opts_sig[] ${ALIGNED_8} = @sig;
      static const char opts_excl_hash[] ${ALIGNED_8} = @excl;`);
    if (sig !== null) {
      signature = sig.bytes('sig').slice();
      exclProgHash = sig.bytes('excl').slice();
      let declared: number[] | null = null;
      if (c.at('static')) {
        const n = c.match(`static const int opts_signature_maps[%n] ${ALIGNED_8} = {`);
        declared = [];
        while (!c.at('}')) {
          if (declared.length > 0) c.match(',');
          declared.push(c.match('%v').num('v'));
        }
        c.match('};');
        if (declared.length !== n.num('n')) {
          throw c.src.error(n.token('n').start, `${declared.length} (the initializer's length)`, String(n.num('n')));
        }
      }
      c.match(`opts.signature = (void *)opts_sig; opts.signature_sz = sizeof(opts_sig) - 1;
        opts.excl_prog_hash = (void *)opts_excl_hash; opts.excl_prog_hash_sz = sizeof(opts_excl_hash) - 1;
        opts.keyring_id = skel->keyring_id;`);
      if (declared !== null) {
        const at = c.peek();
        const n = c.match('opts.signature_maps = (void *)opts_signature_maps; opts.signature_maps_sz = %n;').num('n');
        if (n !== declared.length) throw c.src.error(at.start, `opts.signature_maps_sz = ${declared.length}`, String(n));
        signatureMaps = declared;
      } else if (c.tryMatch('opts.signature_maps = (void *)NULL; opts.signature_maps_sz = 0;') !== null) {
        signatureMaps = [];
      }
    }
    c.match(`opts.ctx = (struct bpf_loader_ctx *)skel;
      opts.data_sz = sizeof(opts_data) - 1; opts.data = (void *)opts_data;
      opts.insns_sz = sizeof(opts_insn) - 1; opts.insns = (void *)opts_insn;`);
    const insns = d.bytes('insn');
    checkInsnLength(c, insns, d.token('insn'));
    return { insns: insns.slice(), data: d.bytes('data').slice(), signature, exclProgHash, signatureMaps };
  }

  /** X__load() of bpftool 7.1: sizes as numbers, blob and loader as inline literals. */
  private loadInline(): LoaderParts {
    const c = this.c;
    this.setStyle('inline', c.peek());
    const m = c.match(`opts.ctx = (struct bpf_loader_ctx *)skel;
      opts.data_sz = %dsz; opts.data = (void *)@data;
      opts.insns_sz = %isz; opts.insns = (void *)@insns;`);
    const data = m.bytes('data');
    const insns = m.bytes('insns');
    if (m.num('dsz') !== data.length) throw c.src.error(m.token('dsz').start, `${data.length} (the blob literal's length)`, String(m.num('dsz')));
    if (m.num('isz') !== insns.length) throw c.src.error(m.token('isz').start, `${insns.length} (the loader literal's length)`, String(m.num('isz')));
    checkInsnLength(c, insns, m.token('insns'));
    return { insns: insns.slice(), data: data.slice(), signature: null, exclProgHash: null, signatureMaps: null };
  }

  private finalizeMap(): FinalizeMap {
    const c = this.c;
    const m = c.match('skel->$m =');
    const ident = m.ident('m');
    this.typeofCast(ident);
    const s = c.match(`skel_finalize_map_data(&skel->maps.${ident}.initial_value, %sz, PROT_READ`);
    const writable = c.tryMatch('| PROT_WRITE') !== null;
    c.match(`, skel->maps.${ident}.map_fd); if (!skel->${ident}) return -ENOMEM;`);
    return { ident, mmapSize: s.num('sz'), writable, at: m.token('m') };
  }
}

/** What X__load() puts into bpf_load_and_run_opts, before keyring_id is resolved to a member. */
type LoaderParts = Omit<LskelLoader, 'keyringId'>;

function checkInsnLength(c: TokenCursor, insns: Uint8Array, at: Token): void {
  if (insns.length % BPF_INSN_SIZE !== 0) {
    throw c.src.error(at.start, `loader instructions in whole 8-byte slots`, `${insns.length} bytes`);
  }
}

function checkUnique(c: TokenCursor, names: readonly string[], toks: readonly Token[], what: string): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) throw c.src.error(toks[i].start, `a ${what} name not used before`, `\`${n}\``);
    seen.add(n);
  });
}

/** The skeleton struct as the x86-64 C compiler lays it out (signing.md §4.6). */
function skeletonLayout(
  obj: string, maps: readonly string[], progs: readonly string[], attach: readonly LskelAttach[],
  keyringMember: boolean, dataIdents: readonly string[],
): SkeletonLayout {
  let off = LOADER_CTX_SIZE;
  const mapsOffset = maps.length > 0 ? off : null;
  const mapDescs = maps.map((name, index) => {
    const o = LOADER_CTX_SIZE + MAP_DESC_SIZE * index;
    return { name, index, offset: o, mapFdOffset: o, maxEntriesOffset: o + 4, initialValueOffset: o + 8 };
  });
  off += MAP_DESC_SIZE * maps.length;
  const progsOffset = off;
  off += PROG_DESC_SIZE * progs.length;
  const linksOffset = off;
  const progDescs = progs.map((name, index) => ({
    name, index, progFdOffset: progsOffset + PROG_DESC_SIZE * index, linkFdOffset: linksOffset + 4 * index,
    attach: attach[index],
  }));
  off += 4 * progs.length;
  let keyringIdOffset: number | null = null;
  if (keyringMember) {
    keyringIdOffset = off;
    off += 4;
  }
  const dataPointers = dataIdents.map((ident) => {
    off = alignUp(off, 8);
    const p = { ident, offset: off };
    off += 8;
    return p;
  });
  return {
    structName: obj, size: alignUp(off, 8), align: 8, ctxOffset: 0, ctxStructSize: 24, mapsOffset,
    maps: mapDescs, progsOffset, progs: progDescs, linksOffset, ctxSize: linksOffset, keyringIdOffset, dataPointers,
  };
}

function largestPow2Divisor(n: number, cap: number): number {
  let a = 1;
  while (a < cap && n % (a * 2) === 0) a *= 2;
  return a;
}

/** Lay out `struct <obj>__<sec>` with C rules, taking sizes bpftool asserts where the type is opaque. */
function globalStruct(
  src: SourceText, d: Datasec, maps: readonly string[], asserts: ReadonlyArray<LskelSizeAssert & { at: Token }>,
): GlobalDataStruct {
  let off = 0;
  let align = 1;
  const members: GlobalVar[] = [];
  const seen = new Set<string>();
  for (const decl of d.decls) {
    let field: { name: string | null; type: CType; bits: number | null };
    try {
      field = parseCDeclaration(decl.tokens);
    } catch (e) {
      if (e instanceof CDeclError) {
        const at = e.at ?? decl.tokens[decl.tokens.length - 1];
        throw src.error(at.start, e.expected, at.kind === 'eof' ? 'end of declaration' : `\`${at.text}\``);
      }
      throw e;
    }
    if (field.name === null || field.bits !== null) {
      throw src.error(decl.tokens[0].start, 'a named global variable', `\`${decl.text}\``);
    }
    if (seen.has(field.name)) throw src.error(decl.tokens[0].start, 'a variable name not used before', `\`${field.name}\``);
    seen.add(field.name);
    const padding = /^__pad[0-9]+$/.test(field.name);
    const asserted = asserts.find((a) => a.section === d.ident && a.name === field.name)?.size ?? null;
    const l = layoutOf(field.type);
    let size: number;
    let a: number;
    if (l !== null) {
      if (asserted !== null && asserted !== l.size) {
        throw src.error(decl.tokens[0].start, `a ${asserted}-byte variable (as its _Static_assert says)`, `\`${decl.text}\` (${l.size} bytes on x86-64)`);
      }
      size = l.size;
      a = l.align;
    } else {
      if (asserted === null) {
        throw src.error(decl.tokens[0].start, 'a type whose size is known (or a _Static_assert giving it)', `\`${decl.text}\``);
      }
      // The header does not define the type: assume the natural alignment of its size, capped at
      // 4 like bpftool does when it decides where to insert __pad members (codegen_datasec_def).
      size = asserted;
      a = largestPow2Divisor(size, 4);
    }
    off = alignUp(off, a);
    align = Math.max(align, a);
    members.push({
      name: field.name, declaration: decl.text, type: field.type, typeName: typeName(field.type), offset: off,
      size, align: a, padding, assertedSize: asserted,
    });
    off += size;
  }
  const mapIndex = maps.indexOf(d.ident);
  return {
    ident: d.ident, structName: d.structName, mapIndex: mapIndex >= 0 ? mapIndex : null,
    size: alignUp(off, align), align, members,
  };
}

/** Join X__open(), X__load() finalization and X__destroy() for the mmapable internal maps. */
function internalMapInits(
  src: SourceText, skel: SkeletonLayout, datasecs: readonly Datasec[], opened: readonly OpenMap[],
  finalized: readonly FinalizeMap[], freed: ReadonlyMap<string, { size: number; at: Token }>, maps: readonly string[],
): InternalMapInit[] {
  const out: InternalMapInit[] = [];
  opened.forEach((o, i) => {
    const mapIndex = maps.indexOf(o.ident);
    if (mapIndex < 0) throw src.error(o.at.start, 'the name of a map in `maps`', `\`${o.ident}\``);
    if (!datasecs.some((d) => d.ident === o.ident)) throw src.error(o.at.start, 'a map with a global-data struct pointer', `\`${o.ident}\``);
    if (out.some((x) => x.ident === o.ident)) throw src.error(o.at.start, 'each internal map prepared once', `\`${o.ident}\` again`);
    if (o.data.length > o.mmapSize) throw src.error(o.at.start, `at most ${o.mmapSize} bytes of initial data`, `${o.data.length}`);
    const f = finalized[i];
    if (f === undefined || f.ident !== o.ident) {
      const at = f?.at ?? null;
      throw at === null
        ? src.error(o.at.start, `a skel_finalize_map_data() for \`${o.ident}\` in X__load()`, 'none')
        : src.error(at.start, `\`skel->${o.ident}\` (X__load() finalizes maps in X__open() order)`, `\`skel->${f.ident}\``);
    }
    if (f.mmapSize !== o.mmapSize) throw src.error(f.at.start, `mmap size ${o.mmapSize} (as in X__open())`, String(f.mmapSize));
    const fr = freed.get(o.ident);
    if (fr === undefined) throw src.error(o.at.start, `a skel_free_map_data() for \`${o.ident}\` in X__destroy()`, 'none');
    if (fr.size !== o.mmapSize) throw src.error(fr.at.start, `mmap size ${o.mmapSize} (as in X__open())`, String(fr.size));
    out.push({
      ident: o.ident, mapIndex, initialData: o.data, mmapSize: o.mmapSize,
      prot: f.writable ? 'PROT_READ | PROT_WRITE' : 'PROT_READ', readonly: !f.writable,
      initialValueOffset: skel.maps[mapIndex].initialValueOffset,
    });
  });
  if (finalized.length > opened.length) {
    const f = finalized[opened.length];
    throw src.error(f.at.start, 'no more skel_finalize_map_data() than X__open() prepared', `\`skel->${f.ident}\``);
  }
  for (const [ident, fr] of freed) {
    if (!opened.some((o) => o.ident === ident)) throw src.error(fr.at.start, 'skel_free_map_data() only for maps X__open() prepared', `\`${ident}\``);
  }
  return out;
}
