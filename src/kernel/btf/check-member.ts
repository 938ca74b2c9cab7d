/**
 * Each kind's check_member / check_kflag_member (kernel/bpf/btf.c): is a struct/union member of
 * this type placed inside the struct, aligned, and a sane bitfield? Called while resolving the
 * struct (pass 2), with the member's type already resolved. Returns 0 or a negative errno.
 */
import { ERRNO } from '../../errno.js';
import { BITS_PER_U128, BTF_KIND as BTF_KIND_IMPORT } from './constants.js';
import { BtfVerifierEnv, Member, logMember, logTypeBasic } from './env.js';
import { bitsRoundupBytes, intBits, intIsRegular, intOffset } from './raw.js';
import { PTR_SIZE, typeIdSize } from './type-size.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

const EINVAL = -ERRNO.EINVAL;
const U32_MAX = 0xffffffff;
const u32 = (x: number): number => x >>> 0;

function fail(env: BtfVerifierEnv, s: number, m: Member, msg: string): number {
  logMember(env, s, m, msg);
  return EINVAL;
}

function intCheckMember(env: BtfVerifierEnv, s: number, m: Member, mt: number): number {
  const r = env.raw;
  const d = r.u32(r.extra(mt));
  let bitsOff = m.offset;
  if (U32_MAX - bitsOff < intOffset(d)) return fail(env, s, m, 'bits_offset exceeds U32_MAX');
  bitsOff += intOffset(d);
  const bytesOffset = Math.floor(bitsOff / 8);
  const nrCopyBits = intBits(d) + (bitsOff % 8);
  if (nrCopyBits > BITS_PER_U128) return fail(env, s, m, 'nr_copy_bits exceeds 128');
  const structSize = r.sizeOrType(s);
  if (structSize < bytesOffset || structSize - bytesOffset < bitsRoundupBytes(nrCopyBits)) {
    return fail(env, s, m, 'Member exceeds struct_size');
  }
  return 0;
}

function intCheckKflagMember(env: BtfVerifierEnv, s: number, m: Member, mt: number): number {
  const r = env.raw;
  if (!intIsRegular(r, mt)) return fail(env, s, m, 'Invalid member base type');
  const d = r.u32(r.extra(mt));
  let nrBits = m.offset >>> 24;
  const bitsOff = m.offset & 0xffffff;
  if (!nrBits) {
    if (bitsOff % 8) return fail(env, s, m, 'Invalid member offset');
    nrBits = intBits(d);
  } else if (nrBits > intBits(d)) {
    return fail(env, s, m, 'Invalid member bitfield_size');
  }
  const bytesOffset = Math.floor(bitsOff / 8);
  const nrCopyBits = nrBits + (bitsOff % 8);
  if (nrCopyBits > BITS_PER_U128) return fail(env, s, m, 'nr_copy_bits exceeds 128');
  const structSize = r.sizeOrType(s);
  if (structSize < bytesOffset || structSize - bytesOffset < bitsRoundupBytes(nrCopyBits)) {
    return fail(env, s, m, 'Member exceeds struct_size');
  }
  return 0;
}

function ptrCheckMember(env: BtfVerifierEnv, s: number, m: Member): number {
  if (m.offset % 8) return fail(env, s, m, 'Member is not byte aligned');
  if (u32(env.raw.sizeOrType(s) - Math.floor(m.offset / 8)) < PTR_SIZE) return fail(env, s, m, 'Member exceeds struct_size');
  return 0;
}

function arrayCheckMember(env: BtfVerifierEnv, s: number, m: Member): number {
  if (m.offset % 8) return fail(env, s, m, 'Member is not byte aligned');
  // An ARRAY member was resolved just before, so its resolved size is known.
  const arraySize = typeIdSize(env.raw, env, m.type)?.size ?? 0;
  if (u32(env.raw.sizeOrType(s) - Math.floor(m.offset / 8)) < arraySize) return fail(env, s, m, 'Member exceeds struct_size');
  return 0;
}

/** btf_struct_check_member() and btf_enum_check_member() (same rule: byte aligned, inside). */
function sizedCheckMember(env: BtfVerifierEnv, s: number, m: Member, mt: number): number {
  if (m.offset % 8) return fail(env, s, m, 'Member is not byte aligned');
  if (u32(env.raw.sizeOrType(s) - Math.floor(m.offset / 8)) < env.raw.sizeOrType(mt)) {
    return fail(env, s, m, 'Member exceeds struct_size');
  }
  return 0;
}

function enumCheckKflagMember(env: BtfVerifierEnv, s: number, m: Member): number {
  const bitsOff = m.offset & 0xffffff;
  let nrBits = m.offset >>> 24;
  const intBitsize = 32;
  if (!nrBits) {
    if (bitsOff % 8) return fail(env, s, m, 'Member is not byte aligned');
    nrBits = intBitsize;
  } else if (nrBits > intBitsize) {
    return fail(env, s, m, 'Invalid member bitfield_size');
  }
  if (env.raw.sizeOrType(s) < bitsRoundupBytes(bitsOff + nrBits)) return fail(env, s, m, 'Member exceeds struct_size');
  return 0;
}

function floatCheckMember(env: BtfVerifierEnv, s: number, m: Member, mt: number): number {
  const size = env.raw.sizeOrType(mt);
  // Only the least alignment any architecture needs: min(sizeof(void *), size).
  const alignBits = Math.min(PTR_SIZE, size) * 8;
  if (m.offset % alignBits) return fail(env, s, m, 'Member is not properly aligned');
  if (Math.floor(m.offset / 8) + size > env.raw.sizeOrType(s)) return fail(env, s, m, 'Member exceeds struct_size');
  return 0;
}

function modifierCheckMember(env: BtfVerifierEnv, s: number, m: Member, kflag: boolean): number {
  const sized = typeIdSize(env.raw, env, m.type);
  if (!sized) return fail(env, s, m, 'Invalid member');
  // The member is checked (and logged) with the resolved type id.
  return checkMember(env, s, { ...m, type: sized.id }, sized.t, kflag);
}

/** btf_generic_check_kflag_member(): no bitfield, then the plain check. */
function genericCheckKflagMember(env: BtfVerifierEnv, s: number, m: Member, mt: number): number {
  if (m.offset >>> 24) return fail(env, s, m, 'Invalid member bitfield_size');
  return checkMember(env, s, m, mt, false);
}

/** Dispatch on the member type's kind: check_kflag_member when `kflag`, else check_member. */
export function checkMember(env: BtfVerifierEnv, s: number, m: Member, mt: number, kflag: boolean): number {
  switch (env.raw.kind(mt)) {
    case BTF_KIND.INT:
      return kflag ? intCheckKflagMember(env, s, m, mt) : intCheckMember(env, s, m, mt);
    case BTF_KIND.PTR:
      return kflag ? genericCheckKflagMember(env, s, m, mt) : ptrCheckMember(env, s, m);
    case BTF_KIND.ARRAY:
      return kflag ? genericCheckKflagMember(env, s, m, mt) : arrayCheckMember(env, s, m);
    case BTF_KIND.STRUCT: case BTF_KIND.UNION:
      return kflag ? genericCheckKflagMember(env, s, m, mt) : sizedCheckMember(env, s, m, mt);
    case BTF_KIND.ENUM: case BTF_KIND.ENUM64:
      return kflag ? enumCheckKflagMember(env, s, m) : sizedCheckMember(env, s, m, mt);
    case BTF_KIND.FLOAT:
      return kflag ? genericCheckKflagMember(env, s, m, mt) : floatCheckMember(env, s, m, mt);
    case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST: case BTF_KIND.RESTRICT:
    case BTF_KIND.TYPE_TAG:
      return modifierCheckMember(env, s, m, kflag);
    default:
      // btf_df_check_member / btf_df_check_kflag_member
      logTypeBasic(env, s, kflag ? 'Unsupported check_kflag_member' : 'Unsupported check_member');
      return EINVAL;
  }
}
