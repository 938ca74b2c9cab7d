/**
 * Batch verification cases (the `bpfsim verify --jsonl` format): one JSON object per case with the
 * program as hex and the maps to create, one result object per case. Map fds are handed out from 3
 * in the order the maps are listed; each map's fd is written into the imm of the ld_imm64 at each of
 * its `slots` (MAP_FD or, with a value offset in the second half, MAP_VALUE).
 *
 * Maps are created by a {@link BatchMapFactory} when the caller has a kernel (the CLI creates them
 * with BPF_MAP_CREATE in the modelled kernel, so impossible maps fail with Linux's errno); without
 * one they are plain descriptors the verifier trusts.
 *
 * Input: {"id": "...", "prog_type": "syscall", "prog_flags": 16, "insns": "<hex>",
 *         "maps": [{"type": "array", "key_size": 4, "value_size": 8, "max_entries": 1, "flags": 0, "slots": [3]}]}
 * Output: {"id": "...", "verdict": "accept"|"reject", "errno": N, "errno_name": "EACCES",
 *          "log_tail": [...], "processed_insns": N}
 */
import { ERRNO, errnoName } from '../errno.js';
import { Op } from '../isa/ops.js';
import { decode, ProgramLengthError } from '../isa/program.js';
import { HexError, fromHex } from '../util/hex.js';
import type { MapDescriptor, VerifyResult } from './env.js';
import { mapTypeByName, progTypeByName } from './kernel-names.js';
import { verify } from './verify.js';

export interface BatchMap {
  readonly type: string | number;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly flags?: number;
  readonly slots?: readonly number[];
}

export interface BatchCase {
  readonly id: string;
  readonly prog_type: string | number;
  readonly prog_flags?: number;
  readonly expected_attach_type?: number;
  readonly attach_btf_id?: number;
  readonly insns: string;
  readonly maps?: readonly BatchMap[];
  readonly log_level?: number;
}

export interface BatchResult {
  /** The case's id; null when the line has none (not an object, or invalid JSON). */
  readonly id: string | null;
  readonly verdict: 'accept' | 'reject';
  readonly errno: number;
  readonly errno_name: string;
  readonly log_tail: string[];
  readonly processed_insns: number;
  /** Present when the case itself is malformed (not a verifier verdict). */
  readonly error?: string;
}

/** A malformed batch case, or one whose maps cannot be created: what is wrong, and the errno. */
export class BatchCaseError extends Error {
  constructor(message: string, readonly errno: number = ERRNO.EINVAL) {
    super(message);
    this.name = 'BatchCaseError';
  }
}

/**
 * Creates a case's maps (the i-th gets fd 3 + i) and drops them after the case. `create` returns
 * the verifier's view of the new map, or the errno BPF_MAP_CREATE failed with.
 */
export interface BatchMapFactory {
  create(m: BatchMap, mapType: number, index: number): MapDescriptor | { readonly errno: number };
  release(): void;
}

/** Without a kernel: the map as described, trusted. */
function describedMap(m: BatchMap, mapType: number, index: number): MapDescriptor {
  return {
    id: index + 1, mapType, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries,
    mapFlags: m.flags ?? 0, name: '', exclProgSha: null, frozen: false, innerMap: null,
  };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isU32 = (v: unknown): v is number => isInt(v) && v >= 0 && v <= 0xffffffff;

/** Validate the shape of a parsed JSON case (throws BatchCaseError). */
export function parseBatchCase(v: unknown): BatchCase {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BatchCaseError('case must be a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' && !isInt(o.id)) throw new BatchCaseError('"id" must be a string');
  if (typeof o.prog_type !== 'string' && !isInt(o.prog_type)) throw new BatchCaseError('"prog_type" must be a name or a number');
  if (typeof o.insns !== 'string') throw new BatchCaseError('"insns" must be a hex string');
  for (const k of ['prog_flags', 'expected_attach_type', 'attach_btf_id', 'log_level'] as const) {
    if (o[k] !== undefined && !isInt(o[k])) throw new BatchCaseError(`"${k}" must be an integer`);
  }
  if (o.maps !== undefined && !Array.isArray(o.maps)) throw new BatchCaseError('"maps" must be an array');
  const maps = (o.maps as unknown[] | undefined)?.map((m, i) => {
    if (typeof m !== 'object' || m === null) throw new BatchCaseError(`maps[${i}] must be an object`);
    const mm = m as Record<string, unknown>;
    if (typeof mm.type !== 'string' && !isInt(mm.type)) throw new BatchCaseError(`maps[${i}].type must be a name or a number`);
    // u32 fields of union bpf_attr.
    for (const k of ['key_size', 'value_size', 'max_entries'] as const) {
      if (!isU32(mm[k])) throw new BatchCaseError(`maps[${i}].${k} must be an integer in 0..4294967295`);
    }
    if (mm.flags !== undefined && !isU32(mm.flags)) throw new BatchCaseError(`maps[${i}].flags must be an integer in 0..4294967295`);
    if (mm.slots !== undefined && (!Array.isArray(mm.slots) || !mm.slots.every(isInt))) {
      throw new BatchCaseError(`maps[${i}].slots must be an array of instruction indexes`);
    }
    return mm as unknown as BatchMap;
  });
  return { ...(o as unknown as BatchCase), id: String(o.id), ...(maps ? { maps } : {}) };
}

/**
 * The verify request a case describes (throws BatchCaseError for a malformed case or a map that
 * cannot be created).
 */
export function caseRequest(c: BatchCase, logLevel: number, factory?: BatchMapFactory): Parameters<typeof verify>[0] {
  const progType = typeof c.prog_type === 'number' ? c.prog_type : progTypeByName(c.prog_type);
  if (progType === null) throw new BatchCaseError(`unknown prog_type "${c.prog_type}"`);
  let bytes: Uint8Array;
  try {
    bytes = fromHex(c.insns);
  } catch (e) {
    throw new BatchCaseError(`insns: ${e instanceof HexError ? e.message : String(e)}`);
  }
  let program;
  try {
    program = decode(bytes);
  } catch (e) {
    if (e instanceof ProgramLengthError) throw new BatchCaseError(e.message);
    throw e;
  }
  // Each map's fd goes into the imm of the ld_imm64s at its slots: the first half of one, nothing else.
  (c.maps ?? []).forEach((m, i) => {
    for (const slot of m.slots ?? []) {
      if (slot < 0 || slot >= program.length) throw new BatchCaseError(`maps[${i}].slots: ${slot} is not an instruction`);
      if (program.op[slot] !== Op.LDDW) throw new BatchCaseError(`maps[${i}].slots: instruction ${slot} is not the first half of an ld_imm64`);
      program.imm[slot] = 3 + i;
    }
  });
  const maps: MapDescriptor[] = (c.maps ?? []).map((m, i) => {
    const mapType = typeof m.type === 'number' ? m.type : mapTypeByName(m.type);
    if (mapType === null) throw new BatchCaseError(`maps[${i}]: unknown map type "${m.type}"`);
    if (!factory) return describedMap(m, mapType, i);
    const d = factory.create(m, mapType, i);
    if (!('mapType' in d)) throw new BatchCaseError(`maps[${i}]: BPF_MAP_CREATE failed with ${errnoName(d.errno)}`, d.errno);
    return d;
  });
  return {
    program, progType, progFlags: c.prog_flags ?? 0, expectedAttachType: c.expected_attach_type ?? 0,
    attachBtfId: c.attach_btf_id ?? 0, logLevel,
    resolveMapFd: (fd) => maps[fd - 3] ?? { errno: ERRNO.EBADF },
  };
}

/** The last `n` non-empty lines of a log. */
export function logTail(log: string, n: number): string[] {
  return log.split('\n').filter((l) => l.length > 0).slice(-n);
}

/** Verify one case. Malformed cases give a result with `error` set (never throws). */
export function runBatchCase(
  raw: unknown, opts: { tailLines?: number; logLevel?: number; maps?: BatchMapFactory } = {},
): BatchResult & { result?: VerifyResult } {
  let c: BatchCase;
  try {
    c = parseBatchCase(raw);
    const req = caseRequest(c, c.log_level ?? opts.logLevel ?? 1, opts.maps);
    const r = verify(req);
    return {
      id: c.id, verdict: r.ok ? 'accept' : 'reject', errno: r.errno, errno_name: r.ok ? '' : errnoName(r.errno),
      log_tail: logTail(r.log, opts.tailLines ?? 3), processed_insns: r.stats.processedInsns, result: r,
    };
  } catch (e) {
    const id = typeof raw === 'object' && raw !== null && 'id' in raw ? String((raw as { id: unknown }).id) : null;
    const msg = e instanceof Error ? e.message : String(e);
    const errno = e instanceof BatchCaseError ? e.errno : ERRNO.EINVAL;
    return { id, verdict: 'reject', errno, errno_name: errnoName(errno), log_tail: [], processed_insns: 0, error: msg };
  } finally {
    opts.maps?.release();
  }
}
