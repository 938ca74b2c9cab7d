/**
 * What a bpftool light-skeleton header (`bpftool gen skeleton -L [-S]`) says, as data: the loader
 * program, its data blob, the signature material, the C layout of the skeleton struct the loader
 * receives as its ctx, the global-data structs, and what `X__open()` / `X__load()` do before and
 * after `bpf_load_and_run()`. Produced by ./lskel-parse.ts, rendered back by ./lskel-render.ts.
 *
 * All objects are frozen. Byte strings are Uint8Arrays owned by the model (typed arrays cannot be
 * frozen): treat them as read-only.
 */
import type { CType } from './lskel-ctypes.js';

/**
 * The header shape, derived from its text (not its file name):
 * - `v71`: bpftool 7.1 / libbpf 1.1 — loader and blob inline (`opts.insns = (void *)"..."`);
 * - `v77`: the late-2025 bpftool 7.7 — `static const char opts_data[]`/`opts_insn[]` arrays, without
 *   the C++ casts (older releases that already used arrays have the same shape);
 * - `v78`: bpftool 7.8 — as v77 plus the casts (`(struct X *)skel_alloc(...)`, `(char *)&skel->links`,
 *   `(__typeof__(skel->rodata))skel_prep_map_data(...)`).
 */
export type LskelGeneration = 'v71' | 'v77' | 'v78';

/** How a program is attached by the generated `X__<prog>__attach()`. */
export type LskelAttach =
  /** `skel_raw_tracepoint_open("<tp>", prog_fd)` (raw_tp; the name's bytes as latin1) or `(NULL, prog_fd)` (tp_btf, fentry, lsm, …). */
  | { readonly kind: 'raw_tracepoint_open'; readonly tracepoint: string | null }
  /** `skel_link_create(prog_fd, 0, BPF_TRACE_ITER)` (iterators). */
  | { readonly kind: 'link_create'; readonly attachType: 'BPF_TRACE_ITER' }
  /** `((void)prog_fd, 0)`: bpftool cannot auto-attach this program type. */
  | { readonly kind: 'none' };

/** `struct bpf_map_desc <name>` in the skeleton's `maps` (signing.md §4.6). */
export interface LskelMapDesc {
  readonly name: string;
  /** map_idx in the loader ctx. */
  readonly index: number;
  /** Offset of the desc in the skeleton struct (= 24 + 16·index). */
  readonly offset: number;
  readonly mapFdOffset: number;
  readonly maxEntriesOffset: number;
  readonly initialValueOffset: number;
}

/** `struct bpf_prog_desc <name>` in `progs`, its `int <name>_fd` in `links`, and how it attaches. */
export interface LskelProgDesc {
  readonly name: string;
  readonly index: number;
  /** Offset of `prog_fd` in the skeleton struct (= 24 + 16·nr_maps + 4·index). */
  readonly progFdOffset: number;
  /** Offset of `links.<name>_fd`. */
  readonly linkFdOffset: number;
  readonly attach: LskelAttach;
}

/** A pointer member `struct <obj>__<ident> { ... } *<ident>;` of the skeleton struct. */
export interface LskelDataPointer {
  readonly ident: string;
  readonly offset: number;
}

/** The skeleton struct as the x86-64 C compiler lays it out. */
export interface SkeletonLayout {
  readonly structName: string;
  /** `sizeof(struct <obj>)`. */
  readonly size: number;
  readonly align: number;
  /** `struct bpf_loader_ctx ctx` at 0, 24 bytes. */
  readonly ctxOffset: 0;
  readonly ctxStructSize: 24;
  /** Offset of `maps` (null when the object has no maps: bpftool then omits the member). */
  readonly mapsOffset: number | null;
  readonly maps: readonly LskelMapDesc[];
  readonly progsOffset: number;
  readonly progs: readonly LskelProgDesc[];
  readonly linksOffset: number;
  /** `skel->ctx.sz = offsetof(links)`: the loader's `ctx_size_in` for BPF_PROG_TEST_RUN. */
  readonly ctxSize: number;
  /** `__s32 keyring_id` (signed skeletons), or null. */
  readonly keyringIdOffset: number | null;
  readonly dataPointers: readonly LskelDataPointer[];
}

/** One member of a global-data struct: a variable, or a `char __padN[K]` bpftool inserted. */
export interface GlobalVar {
  readonly name: string;
  /** The declaration as written in the header, without indentation and `;` (e.g. `__u32 magic`). */
  readonly declaration: string;
  readonly type: CType;
  /** C spelling of the type (`__u32`, `char [4]`). */
  readonly typeName: string;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** A `__padN` array bpftool emitted to keep the BTF offsets (not a variable of the program). */
  readonly padding: boolean;
  /** Size from the header's `_Static_assert(sizeof(s-><sec>-><var>) == N, ...)`, or null. */
  readonly assertedSize: number | null;
}

/** `struct <obj>__<ident>` (`.rodata`, `.data`, `.bss`, `.kconfig`, `.data.foo`, …). */
export interface GlobalDataStruct {
  /** Section identifier = member name = map identifier (`rodata`, `data_foo`). */
  readonly ident: string;
  readonly structName: string;
  /** Index of the map with the same identifier in `skeleton.maps`, or null if there is none. */
  readonly mapIndex: number | null;
  /** `sizeof(struct <obj>__<ident>)` on x86-64. */
  readonly size: number;
  readonly align: number;
  readonly members: readonly GlobalVar[];
}

/**
 * An mmapable internal map as `X__open()` prepares it (`skel_prep_map_data`: an anonymous
 * mmap of `mmapSize` bytes holding a copy of `initialData`, whose address goes into
 * `maps.<ident>.initial_value`) and `X__load()` finalizes it (`skel_finalize_map_data`: the map fd
 * mmapped over it with `prot`).
 */
export interface InternalMapInit {
  readonly ident: string;
  readonly mapIndex: number;
  readonly initialData: Uint8Array;
  readonly mmapSize: number;
  /** `PROT_READ` for BPF_F_RDONLY_PROG maps (.rodata, .kconfig), `PROT_READ | PROT_WRITE` otherwise. */
  readonly prot: 'PROT_READ' | 'PROT_READ | PROT_WRITE';
  readonly readonly: boolean;
  /** Skeleton offset of the `maps.<ident>.initial_value` it sets. */
  readonly initialValueOffset: number;
}

/** Where `opts.keyring_id` comes from in `X__load()`. */
export type KeyringIdSource =
  /** Unsigned headers leave opts zeroed: keyring_id 0. */
  | { readonly kind: 'zero' }
  /** `opts.keyring_id = skel->keyring_id;` (0 unless the application sets it). */
  | { readonly kind: 'skeleton_member'; readonly offset: number };

/** The loader and what `X__load()` puts into `struct bpf_load_and_run_opts`. */
export interface LskelLoader {
  readonly insns: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array | null;
  readonly exclProgHash: Uint8Array | null;
  readonly keyringId: KeyringIdSource;
  /**
   * The unmerged "hash chain" bpftool patch (signing.md §3.2) also writes
   * `opts.signature_maps[_sz]`: `[0]` with `-M`, `[]` without. Null for upstream bpftool.
   */
  readonly signatureMaps: readonly number[] | null;
}

/** An `_Static_assert(sizeof(s-><section>-><name>) == <size>, ...)` line of `X__assert()`. */
export interface LskelSizeAssert {
  readonly section: string;
  readonly name: string;
  readonly size: number;
}

/**
 * The userspace half of `bpf_load_and_run()` in the skel_internal.h that goes with this header
 * shape (what the reference runs used; fixtures/README.md §3.2): attr sizes of the outer bpf()
 * calls and whether the loader map is frozen and hashed. The header only includes
 * `<bpf/skel_internal.h>`, so this is the libbpf of the generating bpftool (1.1 for v71, 1.7 for
 * v77, 1.8 for v78), not something the text itself proves.
 */
export interface LoadAndRunProfile {
  readonly libbpf: '1.1' | '1.7' | '1.8';
  /** BPF_MAP_CREATE of `__loader.map`: 72 (offsetofend map_extra) or 92 (… excl_prog_hash_size). */
  readonly mapCreateAttrSize: 72 | 92;
  readonly mapUpdateAttrSize: 32;
  readonly freezesLoaderMap: boolean;
  /** BPF_OBJ_GET_INFO_BY_FD with a hash request (info_len 104), populating `map->sha`. */
  readonly requestsLoaderMapHash: boolean;
  /** BPF_PROG_LOAD of `__loader.prog`: 128 (offsetofend fd_array) or 168 (… keyring_id). */
  readonly progLoadAttrSize: 128 | 168;
  readonly testRunAttrSize: 80;
}

/**
 * A parsed header. Besides what the fields say, every bpftool header does the same two things the
 * replay needs: `X__open()` sets `ctx.sz = skeleton.ctxSize` in the zeroed struct, and `X__load()`
 * passes the skeleton itself as `opts.ctx` (the struct starts with `struct bpf_loader_ctx`).
 */
export interface LskelModel {
  readonly fileName: string | null;
  /** The object name: struct name and function prefix (`maps_globals`). */
  readonly objName: string;
  readonly headerGuard: string;
  readonly generation: LskelGeneration;
  /** `opts_sig` present (bpftool -S). */
  readonly signed: boolean;
  /** The loader was generated with a log level: it calls bpf_trace_printk after inner commands. */
  readonly debug: boolean;
  readonly loader: LskelLoader;
  readonly skeleton: SkeletonLayout;
  readonly globals: readonly GlobalDataStruct[];
  /** In `X__open()` order (= map order). */
  readonly internalMaps: readonly InternalMapInit[];
  /** The `_Static_assert`s of `X__assert()`; null when the header has no X__assert() (object without BTF). */
  readonly asserts: readonly LskelSizeAssert[] | null;
  readonly runtime: LoadAndRunProfile;
}

/** The bpf_load_and_run profile of a header shape (see {@link LoadAndRunProfile}). */
export function loadAndRunProfile(generation: LskelGeneration): LoadAndRunProfile {
  if (generation === 'v71') {
    return {
      libbpf: '1.1', mapCreateAttrSize: 72, mapUpdateAttrSize: 32, freezesLoaderMap: false,
      requestsLoaderMapHash: false, progLoadAttrSize: 128, testRunAttrSize: 80,
    };
  }
  return {
    libbpf: generation === 'v77' ? '1.7' : '1.8', mapCreateAttrSize: 92, mapUpdateAttrSize: 32,
    freezesLoaderMap: true, requestsLoaderMapHash: true, progLoadAttrSize: 168, testRunAttrSize: 80,
  };
}

/** Find a global variable by name (`magic`) or section-qualified name (`rodata.magic`). */
export function findGlobal(
  model: LskelModel,
  name: string,
): { readonly struct: GlobalDataStruct; readonly variable: GlobalVar } | null {
  const dot = name.indexOf('.');
  const section = dot >= 0 ? name.slice(0, dot) : null;
  const varName = dot >= 0 ? name.slice(dot + 1) : name;
  for (const s of model.globals) {
    if (section !== null && s.ident !== section) continue;
    const v = s.members.find((m) => !m.padding && m.name === varName);
    if (v !== undefined) return { struct: s, variable: v };
  }
  return null;
}

/** Deep-freeze plain objects and arrays (typed arrays cannot be frozen and are left as they are). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
