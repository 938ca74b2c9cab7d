/**
 * The tamper classes compare-schemes runs against a signed light skeleton, and where in a given
 * skeleton each probe pokes (signing.md §6.1–§6.5, fixtures/README.md §3.2–§3.3). Pure functions
 * of the model: which loader byte to flip, which blob byte, which `.rodata` global and which map
 * to override through the ctx, and which blob byte the TOCTOU probe rewrites.
 */
import { BPF_CMD, BPF_MAP_TYPE } from '../kernel/uapi.js';
import { decodeBlobAttr } from './blob-attrs.js';
import { analyzeLoader, type LoaderAnalysis } from './loader-analysis.js';
import type { LskelModel } from './lskel-model.js';

export type TamperClass =
  | 'baseline'
  | 'insn-byte'
  | 'blob-byte'
  | 'blob-fd-slot'
  | 'signature-byte'
  | 'wrong-key'
  | 'keyring-unresolvable'
  | 'keyring-empty'
  | 'unfrozen-map'
  | 'non-exclusive-map'
  | 'initial-value-override'
  | 'max-entries-override'
  | 'second-program'
  | 'toctou-rewrite';

export interface TamperClassInfo {
  readonly id: TamperClass;
  /** Short row label. */
  readonly title: string;
  /** What the probe does, one sentence. */
  readonly what: string;
}

export const TAMPER_CLASSES: readonly TamperClassInfo[] = [
  { id: 'baseline', title: 'no tampering', what: 'the signed skeleton as written, signer certificate in the selected keyring' },
  { id: 'insn-byte', title: 'loader instruction byte', what: 'one byte of opts_insn flipped after signing' },
  { id: 'blob-byte', title: 'blob byte', what: 'one byte of opts_data (the metadata) flipped after signing' },
  { id: 'blob-fd-slot', title: 'blob fd_array slot', what: 'the blob\'s fd_array slot of map 0 set to 1 after signing: the loader\'s CLEANUP closes the fds it finds there' },
  { id: 'signature-byte', title: 'signature byte', what: 'one byte of opts_sig flipped (inside the RSA/ECDSA signature value)' },
  { id: 'wrong-key', title: 'wrong key', what: 'signed by a key whose certificate is in no keyring' },
  { id: 'keyring-unresolvable', title: 'keyring id unresolvable', what: 'skel->keyring_id names no key or keyring' },
  { id: 'keyring-empty', title: 'empty keyring', what: 'skel->keyring_id names an empty user keyring' },
  { id: 'unfrozen-map', title: 'unfrozen map', what: 'userspace skips BPF_MAP_FREEZE of __loader.map' },
  { id: 'non-exclusive-map', title: 'non-exclusive map', what: '__loader.map created without excl_prog_hash' },
  { id: 'initial-value-override', title: 'ctx initial_value override', what: 'a .rodata global changed in the skeleton before load (ctx initial_value)' },
  { id: 'max-entries-override', title: 'ctx max_entries override', what: 'skel->maps.<m>.max_entries set before load' },
  { id: 'second-program', title: 'second program uses the map', what: 'after the load, another program referencing __loader.map (via BPF_MAP_GET_FD_BY_ID) is loaded' },
  { id: 'toctou-rewrite', title: 'TOCTOU rewrite', what: 'map left unfrozen, hashed, then rewritten before BPF_PROG_LOAD' },
];

export function tamperClassInfo(id: TamperClass): TamperClassInfo {
  const t = TAMPER_CLASSES.find((x) => x.id === id);
  if (!t) throw new RangeError(`unknown tamper class '${String(id)}'`);
  return t;
}

/** libbpf's blob starts with the fd_array: MAX_FD_ARRAY_SZ (320) ints (signing.md §4.12). */
const FD_ARRAY_BYTES = 320 * 4;
/** btf_size in the BPF_BTF_LOAD attr (signing.md §4.3). */
const BTF_LOAD_BTF_SIZE_OFF = 16;
/** insn 4 of the prologue is `r3 = 0` (signing.md §5.1); its imm is at byte 4·8 + 4. */
const PROLOGUE_INSN4_IMM = 4 * 8 + 4;

export interface BlobPoke {
  readonly offset: number;
  readonly what: string;
}

export interface GlobalOverride {
  /** Section-qualified name (`rodata.magic`). */
  readonly name: string;
  /** The build-time value (from the skeleton's initial data). */
  readonly original: bigint;
  readonly override: bigint;
}

export interface MaxEntriesOverride {
  readonly map: string;
  readonly original: number;
  readonly override: number;
}

export interface ToctouPoke extends BlobPoke {
  /** The global whose build-time value sits at `offset` in the blob, when there is one. */
  readonly global: { readonly name: string; readonly rewritten: bigint } | null;
}

/** A blob byte and the XOR that makes the u32 at a CLEANUP fd slot name a given fd. */
export interface FdSlotPoke extends BlobPoke {
  readonly xor: number;
  readonly fd: number;
}

export interface ProbePlan {
  readonly insn: BlobPoke;
  readonly blob: BlobPoke;
  /** Null when the loader's CLEANUP closes no blob fd slots (an object without maps). */
  readonly fdSlot: FdSlotPoke | null;
  readonly rodataGlobal: GlobalOverride | null;
  readonly maxEntries: MaxEntriesOverride | null;
  readonly toctou: ToctouPoke;
}

function readLe(bytes: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = Math.min(size, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i] ?? 0);
  return v;
}

function safeAnalysis(m: LskelModel): LoaderAnalysis | null {
  try { return analyzeLoader(m.loader.insns, m.loader.data); } catch { return null; }
}

/** The only occurrence of `needle` in `hay`, or -1 (none, or ambiguous). */
function uniqueIndexOf(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0 || needle.length > hay.length) return -1;
  let found = -1;
  for (let i = 0; i + needle.length <= hay.length; i++) {
    let k = 0;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) {
      if (found >= 0) return -1;
      found = i;
    }
  }
  return found;
}

function rodataGlobal(m: LskelModel): GlobalOverride | null {
  const ro = m.globals.find((g) => g.ident === 'rodata');
  const init = m.internalMaps.find((x) => x.ident === 'rodata');
  if (!ro || !init) return null;
  const v = ro.members.find((x) => !x.padding && x.size > 0 && x.size <= 8);
  if (!v) return null;
  const original = readLe(init.initialData, v.offset, v.size);
  // 1234: the value the fixtures' harness wrote (fixtures/README.md §3.3); a 1-byte global gets
  // another value that fits.
  const override = v.size < 2 ? original ^ 0x5an : original === 1234n ? 4321n : 1234n;
  return { name: `rodata.${v.name}`, original, override };
}

function maxEntriesTarget(m: LskelModel, a: LoaderAnalysis | null): MaxEntriesOverride | null {
  if (!a) return null;
  const internal = new Set(m.internalMaps.map((x) => x.ident));
  for (const c of a.calls) {
    if (c.kind !== 'sys_bpf' || c.cmd !== BPF_CMD.BPF_MAP_CREATE || c.attrOff === null || c.attrSize === null) continue;
    const attr = decodeBlobAttr(c.cmd, m.loader.data, c.attrOff, c.attrSize);
    if (!attr || attr.cmd !== 'BPF_MAP_CREATE') continue;
    if (attr.map_type !== BPF_MAP_TYPE.BPF_MAP_TYPE_HASH && attr.map_type !== BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY) continue;
    const desc = m.skeleton.maps.find((d) => !internal.has(d.name) && d.name.slice(0, 15) === attr.map_name);
    if (!desc) continue;
    // 99: the value the fixtures' harness wrote (fixtures/README.md §3.3).
    return { map: desc.name, original: attr.max_entries, override: attr.max_entries === 99 ? 98 : 99 };
  }
  return null;
}

/**
 * A blob byte whose rewrite is visible after a successful load: the build-time value of an
 * internal-map global, when the loader takes global data from the blob (libbpf 1.8 signed loaders
 * ignore ctx initial values); otherwise the last fd_array slot, which no command reads.
 */
function toctouTarget(m: LskelModel, a: LoaderAnalysis | null): ToctouPoke {
  const data = m.loader.data;
  if (a && !a.copiesInitialValuesFromCtx) {
    const order = [...m.internalMaps].sort((x, y) => Number(y.readonly) - Number(x.readonly));
    for (const im of order) {
      const g = m.globals.find((x) => x.ident === im.ident);
      if (!g) continue;
      const at = uniqueIndexOf(data, im.initialData);
      if (at < 0) continue;
      const v = g.members.find((x) => !x.padding && x.size <= 8 && im.initialData.subarray(x.offset, x.offset + x.size).some((b) => b !== 0));
      if (!v) continue;
      const rel = v.offset + im.initialData.subarray(v.offset, v.offset + v.size).findIndex((b) => b !== 0);
      const rewritten = readLe(im.initialData, v.offset, v.size) ^ (1n << BigInt(8 * (rel - v.offset)));
      return { offset: at + rel, what: `blob[${at + rel}]: build-time value of ${im.ident}.${v.name}`, global: { name: `${im.ident}.${v.name}`, rewritten } };
    }
  }
  const off = data.length >= FD_ARRAY_BYTES ? FD_ARRAY_BYTES - 1 : data.length - 1;
  return { offset: off, what: `blob[${off}]: an fd_array byte no command reads`, global: null };
}

/**
 * The loader's CLEANUP closes, for every map i of the object, the fd it finds in the blob's
 * fd_array slot i (signing.md §5.2) — a slot that is still the blob's own (attacker-controlled,
 * unverified under v6.18) content when the hash check fails. Slot 0 (map 0) is set to 1: the
 * process's stdout.
 */
function fdSlotTarget(m: LskelModel): FdSlotPoke | null {
  const d = m.loader.data;
  if (m.skeleton.maps.length === 0 || d.length < 4 || d[1] !== 0 || d[2] !== 0 || d[3] !== 0) return null;
  return { offset: 0, xor: d[0] ^ 1, fd: 1, what: 'blob[0]: fd_array slot of map 0, 0 → 1 (the process\'s stdout)' };
}

/** Where each probe pokes in `m` (a signed skeleton: all schemes share insns length, blob and globals). */
export function probePlan(m: LskelModel): ProbePlan {
  const a = safeAnalysis(m);
  const insnOff = m.loader.insns.length > PROLOGUE_INSN4_IMM ? PROLOGUE_INSN4_IMM : 0;
  const btf = a?.calls.find((c) => c.kind === 'sys_bpf' && c.cmd === BPF_CMD.BPF_BTF_LOAD && c.attrOff !== null);
  const btfOff = btf && btf.kind === 'sys_bpf' && btf.attrOff !== null ? btf.attrOff + BTF_LOAD_BTF_SIZE_OFF : null;
  const blob: BlobPoke = btfOff !== null && btfOff < m.loader.data.length
    ? { offset: btfOff, what: `blob[${btfOff}]: low byte of btf_size in the BPF_BTF_LOAD attr` }
    : { offset: m.loader.data.length - 1, what: `blob[${m.loader.data.length - 1}]: last blob byte` };
  return {
    insn: { offset: insnOff, what: `insns[${insnOff}]: ${insnOff === PROLOGUE_INSN4_IMM ? 'imm of insn 4 (r3 = 0 → 1)' : 'first byte'}` },
    blob,
    fdSlot: fdSlotTarget(m),
    rodataGlobal: rodataGlobal(m),
    maxEntries: maxEntriesTarget(m, a),
    toctou: toctouTarget(m, a),
  };
}
