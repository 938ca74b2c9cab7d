/**
 * struct btf_verifier_env: the state of one BTF verification, and the log helpers that print
 * types the way kernel/bpf/btf.c does (__btf_verifier_log_type, btf_verifier_log_member,
 * btf_verifier_log_vsi and each kind's log_details).
 */
import { BTF_KIND as BTF_KIND_IMPORT, BTF_KIND_STR, MAX_RESOLVE_DEPTH } from './constants.js';
import type { VerifierLog } from './log.js';
import { type RawBtf, intBits, intEncoding, intOffset } from './raw.js';
import { nameForLog } from './strings.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

export const enum Phase {
  CHECK_META = 0,
  CHECK_TYPE = 1,
}

export const enum VisitState {
  NOT_VISITED = 0,
  VISITED = 1,
  RESOLVED = 2,
}

export const enum ResolveMode {
  TBD = 0,
  PTR = 1,
  STRUCT_OR_ARRAY = 2,
}

export interface ResolveVertex {
  t: number;
  typeId: number;
  nextMember: number;
}

/** A struct/union member as the checks see it (a copy, so a resolved type id can be substituted). */
export interface Member {
  nameOff: number;
  type: number;
  offset: number;
}

export interface BtfVerifierEnv {
  readonly raw: RawBtf;
  readonly log: VerifierLog;
  logTypeId: number;
  phase: Phase;
  visitStates: Uint8Array;
  resolvedIds: Uint32Array;
  resolvedSizes: Uint32Array;
  readonly stack: ResolveVertex[];
  resolveMode: ResolveMode;
}

export function newEnv(raw: RawBtf, log: VerifierLog): BtfVerifierEnv {
  return {
    raw, log, logTypeId: 0, phase: Phase.CHECK_META,
    visitStates: new Uint8Array(0), resolvedIds: new Uint32Array(0), resolvedSizes: new Uint32Array(0),
    stack: [], resolveMode: ResolveMode.TBD,
  };
}

export const MAX_STACK = MAX_RESOLVE_DEPTH;

/** btf_verifier_log(). */
export function vlog(env: BtfVerifierEnv, msg: string): void {
  if (env.log.needed) env.log.write(msg);
}

export function btfEnumValueStr(r: RawBtf, at: number, signed: boolean): string {
  const lo = BigInt(r.u32(at + 4));
  const hi = BigInt(r.u32(at + 8));
  const v = (hi << 32n) | lo;
  return (signed ? BigInt.asIntN(64, v) : v).toString();
}

/** Each kind's log_details(). */
export function logDetails(env: BtfVerifierEnv, t: number): void {
  const r = env.raw;
  const x = r.extra(t);
  switch (r.kind(t)) {
    case BTF_KIND.INT: {
      const d = r.u32(x);
      const enc = intEncoding(d);
      const encStr = enc === 0 ? '(none)' : enc === 1 ? 'SIGNED' : enc === 2 ? 'CHAR' : enc === 4 ? 'BOOL' : 'UNKN';
      vlog(env, `size=${r.sizeOrType(t)} bits_offset=${intOffset(d)} nr_bits=${intBits(d)} encoding=${encStr}`);
      return;
    }
    case BTF_KIND.PTR: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT: case BTF_KIND.TYPE_TAG: case BTF_KIND.FUNC:
      vlog(env, `type_id=${r.sizeOrType(t)}`);
      return;
    case BTF_KIND.ARRAY:
      vlog(env, `type_id=${r.u32(x)} index_type_id=${r.u32(x + 4)} nr_elems=${r.u32(x + 8)}`);
      return;
    case BTF_KIND.STRUCT: case BTF_KIND.UNION: case BTF_KIND.ENUM: case BTF_KIND.ENUM64:
    case BTF_KIND.DATASEC:
      vlog(env, `size=${r.sizeOrType(t)} vlen=${r.vlen(t)}`);
      return;
    case BTF_KIND.FWD:
      vlog(env, r.kflag(t) ? 'union' : 'struct');
      return;
    case BTF_KIND.FUNC_PROTO: {
      const n = r.vlen(t);
      vlog(env, `return=${r.sizeOrType(t)} args=(`);
      const argType = (i: number) => r.u32(x + i * 8 + 4);
      const argName = (i: number) => nameForLog(r, r.u32(x + i * 8));
      if (n === 0) {
        vlog(env, 'void');
      } else if (n === 1 && argType(0) === 0) {
        vlog(env, 'vararg');
      } else {
        vlog(env, `${argType(0)} ${argName(0)}`);
        for (let i = 1; i < n - 1; i++) vlog(env, `, ${argType(i)} ${argName(i)}`);
        if (n > 1) {
          if (argType(n - 1)) vlog(env, `, ${argType(n - 1)} ${argName(n - 1)}`);
          else vlog(env, ', vararg');
        }
      }
      vlog(env, ')');
      return;
    }
    case BTF_KIND.VAR:
      vlog(env, `type_id=${r.sizeOrType(t)} linkage=${r.u32(x)}`);
      return;
    case BTF_KIND.FLOAT:
      vlog(env, `size=${r.sizeOrType(t)}`);
      return;
    case BTF_KIND.DECL_TAG:
      vlog(env, `type=${r.sizeOrType(t)} component_idx=${r.s32(x)}`);
      return;
    default:
      return;
  }
}

/**
 * __btf_verifier_log_type(): "[id] KIND name[ details][ msg]\n". `msg` null is the kernel's NULL
 * fmt (the per-type dump line of the CHECK_META phase).
 */
export function logType(env: BtfVerifierEnv, t: number, details: boolean, msg: string | null): void {
  if (!env.log.needed) return;
  const r = env.raw;
  vlog(env, `[${env.logTypeId}] ${BTF_KIND_STR[r.kind(t)]} ${nameForLog(r, r.nameOff(t))}${details ? ' ' : ''}`);
  if (details) logDetails(env, t);
  if (msg) {
    vlog(env, ' ');
    vlog(env, msg);
  }
  vlog(env, '\n');
}

/** btf_verifier_log_type(): with the kind's details. */
export const logTypeDetails = (env: BtfVerifierEnv, t: number, msg: string | null): void => logType(env, t, true, msg);
/** btf_verifier_log_basic(): without details (used before the kind-specific data is known to exist). */
export const logTypeBasic = (env: BtfVerifierEnv, t: number, msg: string | null): void => logType(env, t, false, msg);

/** Read member `i` of a struct/union record. */
export function memberAt(r: RawBtf, t: number, i: number): Member {
  const at = r.extra(t) + i * 12;
  return { nameOff: r.u32(at), type: r.u32(at + 4), offset: r.u32(at + 8) };
}

/** btf_verifier_log_member(). */
export function logMember(env: BtfVerifierEnv, structT: number, m: Member, msg: string | null): void {
  if (!env.log.needed) return;
  const r = env.raw;
  // The CHECK_META phase already printed the struct; later phases name it again.
  if (env.phase !== Phase.CHECK_META) logTypeDetails(env, structT, null);
  const name = nameForLog(r, m.nameOff);
  if (r.kflag(structT)) {
    vlog(env, `\t${name} type_id=${m.type} bitfield_size=${m.offset >>> 24} bits_offset=${m.offset & 0xffffff}`);
  } else {
    vlog(env, `\t${name} type_id=${m.type} bits_offset=${m.offset}`);
  }
  if (msg) {
    vlog(env, ' ');
    vlog(env, msg);
  }
  vlog(env, '\n');
}

export interface VarSecinfo {
  type: number;
  offset: number;
  size: number;
}

export function vsiAt(r: RawBtf, t: number, i: number): VarSecinfo {
  const at = r.extra(t) + i * 12;
  return { type: r.u32(at), offset: r.u32(at + 4), size: r.u32(at + 8) };
}

/** btf_verifier_log_vsi(). */
export function logVsi(env: BtfVerifierEnv, datasecT: number, vsi: VarSecinfo, msg: string | null): void {
  if (!env.log.needed) return;
  if (env.phase !== Phase.CHECK_META) logTypeDetails(env, datasecT, null);
  vlog(env, `\t type_id=${vsi.type} offset=${vsi.offset} size=${vsi.size}`);
  if (msg) {
    vlog(env, ' ');
    vlog(env, msg);
  }
  vlog(env, '\n');
}

/** __btf_member_bit_offset(). */
export function memberBitOffset(r: RawBtf, structT: number, m: Member): number {
  return r.kflag(structT) ? m.offset & 0xffffff : m.offset;
}

