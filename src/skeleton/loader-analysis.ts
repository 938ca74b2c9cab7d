/**
 * Static analysis of a light-skeleton loader program (libbpf gen_loader output, signing.md §5):
 * the prologue, the CLEANUP block, the signed loader's checks of `map->excl` and of `map->sha`
 * against the 4 embedded hash dwords, reads through the loader-map pointer, and every helper call
 * with the arguments that are static (sys_bpf command, attr offset in the blob and size; the name
 * strings passed to btf_find_by_name_kind / kallsyms_lookup_name; trace_printk formats).
 *
 * Arguments are recovered with a forward constant propagation over the instruction list (the
 * loader is straight-line code whose only backward jumps go to CLEANUP), so an argument set up
 * before a branch (copy_from_user vs probe_read_kernel) is still known at the call.
 *
 * Never throws on instruction content; only a length that is not whole 8-byte slots is refused.
 */
import { BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE } from '../isa/constants.js';
import { Op, OP_TABLE } from '../isa/ops.js';
import { decode, ProgramLengthError, type Program } from '../isa/program.js';
import { branchTarget } from '../isa/validate.js';
import { BPF_FUNC, cmdName, mapTypeName, progTypeName } from '../kernel/uapi.js';
import { decodeBlobAttr } from './blob-attrs.js';

export class LoaderAnalysisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoaderAnalysisError';
  }
}

/** Loader stack frame (signing.md §4.12): btf_fd at fp-136, inner_map_fd at fp-132, prog fds after. */
const LOADER_STACK_SIZE = 136;
/** `struct bpf_loader_ctx` size: map descs start here (signing.md §4.6). */
const LOADER_CTX_SIZE = 24;
const MAP_DESC_SIZE = 16;
const MAP_DESC_INITIAL_VALUE = 8;
/** `struct bpf_map` field offsets the signed loaders read (signing.md §4.5, fixtures README §3.2). */
const MAP_SHA_OFFSET = 0;
const MAP_EXCL_OFFSET = 32;
const EINVAL = 22;

/** The first 7 slots: keep ctx in r6, zero the stack with probe_read_kernel(fp-136, 136, NULL), jump over CLEANUP. */
export interface LoaderPrologue {
  readonly start: 0;
  readonly end: number;
  readonly stackSize: number;
  /** The `ja` over CLEANUP and where it lands (the first slot of the body). */
  readonly skipSlot: number;
  readonly skipTarget: number;
}

/** The common error exit: close stack-held fds, close map fds in the blob's fd_array, return r7. */
export interface LoaderCleanup {
  readonly start: number;
  /** One past the `exit`. */
  readonly end: number;
  /**
   * Frame-pointer offsets whose fds it closes: btf_fd (-136), inner_map_fd (-132), then one
   * prog_fd slot per program of the object as libbpf counted them at generation time
   * (`obj->nr_programs`, which includes static subprograms, so there can be more slots than
   * programs loaded).
   */
  readonly stackFdOffsets: readonly number[];
  /** Blob offsets of the fd_array slots it closes (4·map_idx, one per map of the object). */
  readonly mapFdSlots: readonly number[];
}

/** libbpf 1.8 signed loaders: `if (*(u32 *)(map + 32) != 1) return -EINVAL` (map->excl). */
export interface LoaderExclCheck {
  readonly start: number;
  readonly end: number;
  readonly readSlot: number;
  readonly jumpSlot: number;
  readonly jumpTarget: number;
}

/** One of the 4 blocks comparing `map->sha` dword i with an ld_imm64 constant. */
export interface HashCheckDword {
  readonly index: number;
  readonly start: number;
  /** The `r2 = *(u64 *)(r1 + 8i)` read of map->sha. */
  readonly readSlot: number;
  /** The ld_imm64 `r3 = <dword>`: insn[0].imm at this slot (low half), insn[1].imm at slot + 1 (high). */
  readonly immSlot: number;
  readonly value: bigint;
  readonly jumpSlot: number;
  readonly jumpTarget: number;
}

/** The metadata hash check of signed loaders (signing.md §5.3): 4 × 7 slots. */
export interface LoaderHashCheck {
  readonly start: number;
  readonly end: number;
  readonly dwords: readonly HashCheckDword[];
  /** The 32-byte hash the loader expects `map->sha` to be (dword i = bytes [8i, 8i+8), little endian). */
  readonly embeddedHash: Uint8Array;
  /**
   * The mismatch branch lands on CLEANUP's second slot instead of its first: the 6.18-era libbpf
   * off-by-one (signing.md §5.3), fixed in libbpf 1.8.
   */
  readonly jumpsPastCleanupEntry: boolean;
}

/** A load through the loader-map pointer (ld_imm64 BPF_PSEUDO_MAP_IDX): a read of `struct bpf_map`. */
export interface MapPointerRead {
  readonly slot: number;
  readonly offset: number;
  readonly size: number;
}

interface CallBase {
  readonly slot: number;
  readonly helper: number;
}

/** `bpf_sys_bpf(cmd, BLOB + attrOff, attrSize)`; a field is null where the argument is not static. */
export interface SysBpfCall extends CallBase {
  readonly kind: 'sys_bpf';
  readonly cmd: number | null;
  readonly cmdName: string | null;
  /** Offset of the attr in the blob (the MAP_IDX_VALUE ld_imm64's insn[1].imm). */
  readonly attrOff: number | null;
  readonly attrSize: number | null;
}

/** A helper that takes a name string from the blob (btf_find_by_name_kind, kallsyms_lookup_name). */
export interface NameLookupCall extends CallBase {
  readonly kind: 'btf_find_by_name_kind' | 'kallsyms_lookup_name';
  readonly nameOff: number | null;
  readonly nameSize: number | null;
  readonly name: string | null;
  /** r3: the BTF kind (btf_find_by_name_kind) or the flags (kallsyms_lookup_name). */
  readonly arg3: number | null;
  /** r4: the flags (btf_find_by_name_kind). */
  readonly arg4: number | null;
}

/** copy_from_user / probe_read_kernel(dst, size, src). */
export interface CopyCall extends CallBase {
  readonly kind: 'copy_from_user' | 'probe_read_kernel';
  readonly dstBlobOff: number | null;
  readonly dstStackOff: number | null;
  readonly size: number | null;
  /** `ctx.map_desc[i].initial_value` when the source is a caller-supplied initial value. */
  readonly srcInitialValueOfMap: number | null;
  /** The source is the constant NULL (the prologue's stack zeroing). */
  readonly srcIsNull: boolean;
}

export interface TracePrintkCall extends CallBase {
  readonly kind: 'trace_printk';
  readonly fmtOff: number | null;
  readonly fmtSize: number | null;
  /** The format string without its trailing NUL. */
  readonly fmt: string | null;
}

export interface OtherCall extends CallBase {
  readonly kind: 'sys_close' | 'other';
}

export type LoaderCall = SysBpfCall | NameLookupCall | CopyCall | TracePrintkCall | OtherCall;

export interface LoaderAnalysis {
  readonly insnSlots: number;
  readonly prologue: LoaderPrologue | null;
  readonly cleanup: LoaderCleanup | null;
  readonly exclCheck: LoaderExclCheck | null;
  readonly hashCheck: LoaderHashCheck | null;
  readonly mapPointerReads: readonly MapPointerRead[];
  /** Every helper call, in slot order. */
  readonly calls: readonly LoaderCall[];
  readonly readsMapExcl: boolean;
  readonly readsMapSha: boolean;
  /** The loader copy_from_user()s caller-supplied initial values (honours ctx overrides). */
  readonly copiesInitialValuesFromCtx: boolean;
  /** Instrumented loader (generated with a log level): bpf_trace_printk after inner commands. */
  readonly debug: boolean;
}

/** Abstract register values of the propagation. */
type Val =
  | { readonly k: 'unknown' }
  | { readonly k: 'const'; readonly v: bigint }
  | { readonly k: 'ctx' }
  | { readonly k: 'ctx_field'; readonly off: number }
  | { readonly k: 'fp'; readonly off: number }
  | { readonly k: 'blob'; readonly off: number }
  | { readonly k: 'map' };

const UNKNOWN: Val = { k: 'unknown' };
type Regs = Val[];

function sameVal(a: Val, b: Val): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'const': return a.v === (b as typeof a).v;
    case 'ctx_field':
    case 'fp':
    case 'blob': return a.off === (b as typeof a).off;
    default: return true;
  }
}

function merge(states: readonly Regs[]): Regs {
  if (states.length === 0) return new Array<Val>(11).fill(UNKNOWN);
  const out = states[0].slice();
  for (const s of states.slice(1)) for (let r = 0; r < 11; r++) if (!sameVal(out[r], s[r])) out[r] = UNKNOWN;
  return out;
}

function num(v: Val): number | null {
  if (v.k !== 'const') return null;
  const n = BigInt.asIntN(64, v.v);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}

/** Slot of the target of the jump at `i`, or null when slot i is not a jump. */
function jumpTarget(p: Program, i: number): number | null {
  const kind = OP_TABLE[p.op[i]].kind;
  if (kind === 'ja' || kind === 'jmp' || kind === 'may_goto') return i + 1 + p.off[i];
  if (kind === 'ja32') return i + 1 + p.imm[i];
  return null;
}

function endsFlow(p: Program, i: number): boolean {
  const kind = OP_TABLE[p.op[i]].kind;
  return kind === 'ja' || kind === 'ja32' || kind === 'exit';
}

function decodeLoader(insns: Uint8Array): Program {
  try {
    return decode(insns);
  } catch (e) {
    if (e instanceof ProgramLengthError) throw new LoaderAnalysisError(e.message);
    throw e;
  }
}

/**
 * True if the loader calls bpf_trace_printk anywhere: libbpf generated it with a log level and it
 * prints one line per inner command.
 */
export function loaderCallsTracePrintk(insns: Uint8Array): boolean {
  const p = decodeLoader(insns);
  for (let i = 0; i < p.length; i++) if (p.op[i] === Op.CALL && p.imm[i] === BPF_FUNC.trace_printk) return true;
  return false;
}

/** Analyze loader `insns` whose data blob is `data` (used to read attr templates and name strings). */
export function analyzeLoader(insns: Uint8Array, data: Uint8Array): LoaderAnalysis {
  const p = decodeLoader(insns);
  const n = p.length;

  // Which slots are entered by a backward jump (only CLEANUP in gen_loader output).
  const backTargets = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (p.op[i] === Op.LDDW_HI) continue;
    const t = jumpTarget(p, i);
    if (t !== null && t <= i) backTargets.add(t);
  }

  const pending = new Map<number, Regs[]>();
  const calls: LoaderCall[] = [];
  const mapReads: MapPointerRead[] = [];
  let regs: Regs = new Array<Val>(11).fill(UNKNOWN);
  regs[1] = { k: 'ctx' };
  regs[10] = { k: 'fp', off: 0 };
  let fallsThrough = true;
  for (let i = 0; i < n; i++) {
    const op = p.op[i];
    if (op === Op.LDDW_HI) continue;
    const incoming: Regs[] = [];
    if (fallsThrough) incoming.push(regs);
    const pend = pending.get(i);
    if (pend !== undefined) {
      incoming.push(...pend);
      pending.delete(i);
    }
    if (backTargets.has(i) || incoming.length === 0) incoming.push(new Array<Val>(11).fill(UNKNOWN));
    regs = incoming.length === 1 ? incoming[0].slice() : merge(incoming);
    regs[10] = { k: 'fp', off: 0 };

    step(p, i, regs, data, calls, mapReads);

    const t = jumpTarget(p, i);
    if (t !== null && t > i && t < n) {
      const list = pending.get(t) ?? [];
      list.push(regs.slice());
      pending.set(t, list);
    }
    fallsThrough = !endsFlow(p, i);
  }

  const prologue = findPrologue(p);
  const cleanup = prologue === null ? null : findCleanup(p, prologue.skipTarget);
  const exclCheck = findExclCheck(p);
  const hashCheck = findHashCheck(p, cleanup);
  const readsMapExcl = mapReads.some((r) => r.offset === MAP_EXCL_OFFSET);
  const readsMapSha = mapReads.some((r) => r.offset >= MAP_SHA_OFFSET && r.offset < MAP_SHA_OFFSET + 32);
  return {
    insnSlots: n,
    prologue,
    cleanup,
    exclCheck,
    hashCheck,
    mapPointerReads: mapReads,
    calls,
    readsMapExcl,
    readsMapSha,
    copiesInitialValuesFromCtx: calls.some((c) => c.kind === 'copy_from_user' && c.srcInitialValueOfMap !== null),
    debug: calls.some((c) => c.kind === 'trace_printk'),
  };
}

/** Transfer function of slot i: update `regs`, record calls and map-pointer reads. */
function step(p: Program, i: number, regs: Regs, data: Uint8Array, calls: LoaderCall[], mapReads: MapPointerRead[]): void {
  const op = p.op[i] as Op;
  const info = OP_TABLE[op];
  const dst = p.dst[i];
  const src = p.src[i];
  // Register fields are 4 bits; r11..r15 do not exist (the verifier refuses them), read them as
  // unknown and drop writes to them.
  const get = (r: number): Val => (r <= 10 ? regs[r] : UNKNOWN);
  const set = (r: number, v: Val): void => {
    if (r <= 10) regs[r] = v;
  };
  switch (op) {
    case Op.MOV64_X:
      set(dst, get(src));
      return;
    case Op.MOV64_K:
      set(dst, { k: 'const', v: BigInt(p.imm[i]) });
      return;
    case Op.MOV32_K:
      set(dst, { k: 'const', v: BigInt(p.imm[i] >>> 0) });
      return;
    case Op.ADD64_K: {
      const v = get(dst);
      const imm = p.imm[i];
      if (v.k === 'fp' || v.k === 'blob') set(dst, { ...v, off: v.off + imm });
      else if (v.k === 'const') set(dst, { k: 'const', v: BigInt.asIntN(64, v.v + BigInt(imm)) });
      else set(dst, UNKNOWN);
      return;
    }
    case Op.LDDW: {
      const hi = i + 1 < p.length ? p.imm[i + 1] : 0;
      if (src === 0) set(dst, { k: 'const', v: BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(p.imm[i] >>> 0)) });
      else if (src === BPF_PSEUDO_MAP_IDX && p.imm[i] === 0) set(dst, { k: 'map' });
      else if (src === BPF_PSEUDO_MAP_IDX_VALUE && p.imm[i] === 0) set(dst, { k: 'blob', off: hi });
      else set(dst, UNKNOWN);
      return;
    }
    case Op.CALL:
      calls.push(describeCall(i, p.imm[i], regs, data));
      for (let r = 0; r <= 5; r++) regs[r] = UNKNOWN;
      return;
    default:
      break;
  }
  if (info.kind === 'ldx' || info.kind === 'ldxs') {
    const base = get(src);
    if (base.k === 'map') mapReads.push({ slot: i, offset: p.off[i], size: info.size });
    set(dst, base.k === 'ctx' ? { k: 'ctx_field', off: p.off[i] } : UNKNOWN);
    return;
  }
  if (info.kind === 'atomic') {
    // Fetching atomics write their source register (cmpxchg: r0).
    set(src, UNKNOWN);
    regs[0] = UNKNOWN;
    return;
  }
  if (info.kind === 'call_local' || info.kind === 'call_kfunc' || info.kind === 'callx') {
    for (let r = 0; r <= 5; r++) regs[r] = UNKNOWN;
    return;
  }
  if (info.writesDst) set(dst, UNKNOWN);
}

function blobString(data: Uint8Array, off: number | null, size: number | null): string | null {
  if (off === null || size === null || off < 0 || size < 0 || off + size > data.length) return null;
  let s = '';
  for (let k = off; k < off + size; k++) {
    if (data[k] === 0) break;
    s += String.fromCharCode(data[k]);
  }
  return s;
}

function blobOff(v: Val): number | null {
  return v.k === 'blob' ? v.off : null;
}

function describeCall(slot: number, helper: number, r: Regs, data: Uint8Array): LoaderCall {
  switch (helper) {
    case BPF_FUNC.sys_bpf: {
      const cmd = num(r[1]);
      return {
        kind: 'sys_bpf', slot, helper, cmd, cmdName: cmd === null ? null : cmdName(cmd), attrOff: blobOff(r[2]),
        attrSize: num(r[3]),
      };
    }
    case BPF_FUNC.btf_find_by_name_kind:
    case BPF_FUNC.kallsyms_lookup_name: {
      const nameOff = blobOff(r[1]);
      const nameSize = num(r[2]);
      return {
        kind: helper === BPF_FUNC.btf_find_by_name_kind ? 'btf_find_by_name_kind' : 'kallsyms_lookup_name',
        slot, helper, nameOff, nameSize, name: blobString(data, nameOff, nameSize), arg3: num(r[3]), arg4: num(r[4]),
      };
    }
    case BPF_FUNC.copy_from_user:
    case BPF_FUNC.probe_read_kernel: {
      const s = r[3];
      let srcInitialValueOfMap: number | null = null;
      if (s.k === 'ctx_field') {
        const rel = s.off - LOADER_CTX_SIZE - MAP_DESC_INITIAL_VALUE;
        if (rel >= 0 && rel % MAP_DESC_SIZE === 0) srcInitialValueOfMap = rel / MAP_DESC_SIZE;
      }
      return {
        kind: helper === BPF_FUNC.copy_from_user ? 'copy_from_user' : 'probe_read_kernel', slot, helper,
        dstBlobOff: blobOff(r[1]), dstStackOff: r[1].k === 'fp' ? r[1].off : null, size: num(r[2]),
        srcInitialValueOfMap, srcIsNull: num(s) === 0,
      };
    }
    case BPF_FUNC.trace_printk: {
      const fmtOff = blobOff(r[1]);
      const fmtSize = num(r[2]);
      return { kind: 'trace_printk', slot, helper, fmtOff, fmtSize, fmt: blobString(data, fmtOff, fmtSize) };
    }
    case BPF_FUNC.sys_close:
      return { kind: 'sys_close', slot, helper };
    default:
      return { kind: 'other', slot, helper };
  }
}

function isMov64K(p: Program, i: number, dst: number, imm?: number): boolean {
  return i < p.length && p.op[i] === Op.MOV64_K && p.dst[i] === dst && (imm === undefined || p.imm[i] === imm);
}
function isMov64X(p: Program, i: number, dst: number, src: number): boolean {
  return i < p.length && p.op[i] === Op.MOV64_X && p.dst[i] === dst && p.src[i] === src;
}
function isLddw(p: Program, i: number, dst: number, pseudo: number): boolean {
  return i + 1 < p.length && p.op[i] === Op.LDDW && p.dst[i] === dst && p.src[i] === pseudo;
}
function isCall(p: Program, i: number, helper: number): boolean {
  return i < p.length && p.op[i] === Op.CALL && p.imm[i] === helper;
}

function findPrologue(p: Program): LoaderPrologue | null {
  const ok =
    isMov64X(p, 0, 6, 1) && isMov64X(p, 1, 1, 10) && p.op[2] === Op.ADD64_K && p.dst[2] === 1 &&
    isMov64K(p, 3, 2) && p.imm[2] === -p.imm[3] && isMov64K(p, 4, 3, 0) &&
    isCall(p, 5, BPF_FUNC.probe_read_kernel) && p.op[6] === Op.JA;
  if (!ok) return null;
  const skipTarget = 7 + p.off[6];
  if (skipTarget <= 7 || skipTarget > p.length) return null;
  return { start: 0, end: 7, stackSize: p.imm[3], skipSlot: 6, skipTarget };
}

/** CLEANUP spans [7, skipTarget) and ends with `r0 = r7; exit`. */
function findCleanup(p: Program, end: number): LoaderCleanup | null {
  const start = 7;
  if (!(end >= start + 2 && isMov64X(p, end - 2, 0, 7) && p.op[end - 1] === Op.EXIT)) return null;
  const stackFdOffsets: number[] = [];
  const mapFdSlots: number[] = [];
  for (let i = start; i < end; i++) {
    if (p.op[i] === Op.LDX_W && p.dst[i] === 1 && p.src[i] === 10) stackFdOffsets.push(p.off[i]);
    if (isLddw(p, i, 0, BPF_PSEUDO_MAP_IDX_VALUE)) mapFdSlots.push(p.imm[i + 1]);
  }
  if (stackFdOffsets.length < 2 || stackFdOffsets[0] !== -LOADER_STACK_SIZE) return null;
  return { start, end, stackFdOffsets, mapFdSlots };
}

function findExclCheck(p: Program): LoaderExclCheck | null {
  for (let s = 0; s + 5 <= p.length; s++) {
    if (
      isLddw(p, s, 1, BPF_PSEUDO_MAP_IDX) && p.imm[s] === 0 &&
      p.op[s + 2] === Op.LDX_W && p.dst[s + 2] === 2 && p.src[s + 2] === 1 && p.off[s + 2] === MAP_EXCL_OFFSET &&
      isMov64K(p, s + 3, 7, -EINVAL) &&
      p.op[s + 4] === Op.JNE_K && p.dst[s + 4] === 2 && p.imm[s + 4] === 1
    ) {
      return { start: s, end: s + 5, readSlot: s + 2, jumpSlot: s + 4, jumpTarget: s + 5 + p.off[s + 4] };
    }
  }
  return null;
}

function hashDwordAt(p: Program, s: number, index: number): HashCheckDword | null {
  const ok =
    isLddw(p, s, 1, BPF_PSEUDO_MAP_IDX) && p.imm[s] === 0 &&
    p.op[s + 2] === Op.LDX_DW && p.dst[s + 2] === 2 && p.src[s + 2] === 1 && p.off[s + 2] === 8 * index &&
    isLddw(p, s + 3, 3, 0) &&
    isMov64K(p, s + 5, 7, -EINVAL) &&
    p.op[s + 6] === Op.JNE_X && p.dst[s + 6] === 2 && p.src[s + 6] === 3;
  if (!ok) return null;
  const value = (BigInt(p.imm[s + 4] >>> 0) << 32n) | BigInt(p.imm[s + 3] >>> 0);
  return { index, start: s, readSlot: s + 2, immSlot: s + 3, value, jumpSlot: s + 6, jumpTarget: s + 7 + p.off[s + 6] };
}

function findHashCheck(p: Program, cleanup: LoaderCleanup | null): LoaderHashCheck | null {
  for (let s = 0; s + 28 <= p.length; s++) {
    const first = hashDwordAt(p, s, 0);
    if (first === null) continue;
    const dwords = [first];
    for (let k = 1; k < 4; k++) {
      const d = hashDwordAt(p, s + 7 * k, k);
      if (d === null) break;
      dwords.push(d);
    }
    if (dwords.length !== 4) continue;
    const embeddedHash = new Uint8Array(32);
    const dv = new DataView(embeddedHash.buffer);
    dwords.forEach((d, k) => dv.setBigUint64(8 * k, d.value, true));
    return {
      start: s, end: s + 28, dwords, embeddedHash,
      jumpsPastCleanupEntry: cleanup !== null && dwords.every((d) => d.jumpTarget === cleanup.start + 1),
    };
  }
  return null;
}

/**
 * Patch a new blob hash into a signed loader (what libbpf does at the end of generation, signing.md
 * §2.1 step 2): dword i = bytes [8i, 8i+8) of `digest` read as a little-endian u64; its low 32 bits
 * become insn[0].imm and its high 32 bits insn[1].imm of the i-th ld_imm64. Returns a new array.
 */
export function patchLoaderDataHash(insns: Uint8Array, digest: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new LoaderAnalysisError(`a SHA-256 digest is 32 bytes, got ${digest.length}`);
  const check = findHashCheck(decodeLoader(insns), null);
  if (check === null) throw new LoaderAnalysisError('the loader has no metadata hash check (not a signed loader)');
  const out = insns.slice();
  const src = new DataView(digest.buffer, digest.byteOffset, 32);
  const dst = new DataView(out.buffer);
  for (const d of check.dwords) {
    dst.setUint32(d.immSlot * 8 + 4, src.getUint32(8 * d.index, true), true);
    dst.setUint32((d.immSlot + 1) * 8 + 4, src.getUint32(8 * d.index + 4, true), true);
  }
  return out;
}

/**
 * The loader without its metadata hash check: what libbpf generates since 2026-07 (debb5e82,
 * signing.md Appendix B), where the kernel verifies the map inside bpf_check and the skeleton no
 * longer asks for map->sha. The 28 slots of the check are cut out and every jump across them is
 * re-aimed (a jump into the cut lands on the instruction that followed it). Returns a new array;
 * a loader without the check comes back unchanged.
 */
export function removeLoaderHashCheck(insns: Uint8Array): Uint8Array {
  const p = decodeLoader(insns);
  const check = findHashCheck(p, null);
  if (check === null) return insns.slice();
  const cut = check.end - check.start;
  const newIndex = (slot: number): number => (slot < check.start ? slot : slot < check.end ? check.start : slot - cut);
  const out = new Uint8Array(insns.length - 8 * cut);
  const dv = new DataView(out.buffer);
  for (let i = 0, o = 0; i < p.length; i++) {
    if (i >= check.start && i < check.end) continue;
    out.set(insns.subarray(8 * i, 8 * i + 8), 8 * o);
    const t = branchTarget(p, i);
    if (t !== null) {
      const rel = newIndex(t) - o - 1;
      // gotol and local calls keep their displacement in imm, every other jump in off.
      if (p.op[i] === Op.JA32 || p.op[i] === Op.CALL_LOCAL) dv.setInt32(8 * o + 4, rel, true);
      else {
        if (rel < -32768 || rel > 32767) throw new LoaderAnalysisError(`jump at slot ${i} out of range after removing the hash check`);
        dv.setInt16(8 * o + 2, rel, true);
      }
    }
    o++;
  }
  return out;
}

/** An entry of `variants.<v>.static_inner_calls` in fixtures/expected/*.json. */
export type StaticInnerCall =
  | { readonly insn: number; readonly map_ptr_read_offset: number; readonly size: number }
  | {
      readonly insn: number;
      readonly cmd: string;
      readonly attr_off: number;
      readonly attr_size: number;
      readonly fields: Readonly<Record<string, number | string>>;
    }
  | { readonly insn: number; readonly helper: 'copy_from_user' }
  | { readonly insn: number; readonly helper: 'btf_find_by_name_kind' | 'kallsyms_lookup_name'; readonly name: string };

function safeNumber(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** The static fields of an inner command's attr, as fixtures/expected lists them. */
function staticFields(cmd: number, data: Uint8Array, off: number, size: number): Record<string, number | string> {
  const a = decodeBlobAttr(cmd, data, off, size);
  if (a === null) return {};
  switch (a.cmd) {
    case 'BPF_BTF_LOAD':
      return { btf_size: a.btf_size };
    case 'BPF_MAP_CREATE':
      return {
        map_type: a.map_type, map_type_name: mapTypeName(a.map_type), key_size: a.key_size, value_size: a.value_size,
        max_entries: a.max_entries, map_flags: a.map_flags, map_name: a.map_name, btf_key_type_id: a.btf_key_type_id,
        btf_value_type_id: a.btf_value_type_id,
      };
    case 'BPF_MAP_UPDATE_ELEM':
    case 'BPF_MAP_DELETE_ELEM':
    case 'BPF_MAP_LOOKUP_ELEM':
      return { flags: safeNumber(a.flags) };
    case 'BPF_PROG_LOAD':
      return {
        prog_type: a.prog_type, prog_type_name: progTypeName(a.prog_type), insn_cnt: a.insn_cnt, prog_name: a.prog_name,
        prog_flags: a.prog_flags, expected_attach_type: a.expected_attach_type, kern_version: a.kern_version,
        func_info_cnt: a.func_info_cnt, func_info_rec_size: a.func_info_rec_size, line_info_cnt: a.line_info_cnt,
        line_info_rec_size: a.line_info_rec_size, core_relo_cnt: a.core_relo_cnt,
      };
    default:
      return {};
  }
}

/**
 * The loader's statically known inner calls in the shape of fixtures/expected `static_inner_calls`:
 * map-pointer reads, sys_bpf calls with their attr templates' static fields, btf_find_by_name_kind
 * and kallsyms_lookup_name with their names, and copy_from_user of caller initial values.
 */
export function staticInnerCalls(a: LoaderAnalysis, data: Uint8Array): StaticInnerCall[] {
  const out: StaticInnerCall[] = a.mapPointerReads.map((r) => ({ insn: r.slot, map_ptr_read_offset: r.offset, size: r.size }));
  for (const c of a.calls) {
    if (c.kind === 'sys_bpf' && c.cmd !== null && c.attrOff !== null && c.attrSize !== null) {
      out.push({
        insn: c.slot, cmd: c.cmdName ?? String(c.cmd), attr_off: c.attrOff, attr_size: c.attrSize,
        fields: staticFields(c.cmd, data, c.attrOff, c.attrSize),
      });
    } else if ((c.kind === 'btf_find_by_name_kind' || c.kind === 'kallsyms_lookup_name') && c.name !== null) {
      out.push({ insn: c.slot, helper: c.kind, name: c.name });
    } else if (c.kind === 'copy_from_user' && c.srcInitialValueOfMap !== null) {
      out.push({ insn: c.slot, helper: 'copy_from_user' });
    }
  }
  return out.sort((x, y) => x.insn - y.insn);
}
