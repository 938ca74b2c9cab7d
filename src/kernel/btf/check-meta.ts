/**
 * Pass 1 of BTF verification (btf_check_all_metas): walk the type section record by record, check
 * each record's own fields (each kind's check_meta) and print the per-type dump lines.
 * Return convention as in the kernel: the number of bytes the record uses, or a negative errno.
 */
import { ERRNO } from '../../errno.js';
import {
  BITS_PER_U128, BTF_FUNC_GLOBAL, BTF_INFO_MASK, BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_MASK,
  BTF_INT_SIGNED, BTF_KIND as BTF_KIND_IMPORT, BTF_KIND_MAX, BTF_MAX_TYPE, BTF_TYPE_SIZE, BTF_VAR_GLOBAL_ALLOCATED,
  BTF_VAR_STATIC,
} from './constants.js';
import {
  BtfVerifierEnv, btfEnumValueStr, logMember, logTypeBasic, logTypeDetails, logVsi, memberAt,
  memberBitOffset, vlog, vsiAt,
} from './env.js';
import { bitsRoundupBytes, intBits, intEncoding, intOffset, isPowerOf2 } from './raw.js';
import { nameForLog, nameOffsetValid, nameValidIdentifier, nameValidSection } from './strings.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

const EINVAL = -ERRNO.EINVAL;
const typeIdValid = (id: number): boolean => id <= BTF_MAX_TYPE;

function metaShort(env: BtfVerifierEnv, t: number, left: number, needed: number): number {
  logTypeBasic(env, t, `meta_left:${left} meta_needed:${needed}`);
  return EINVAL;
}

function intCheckMeta(env: BtfVerifierEnv, t: number, left: number): number {
  const r = env.raw;
  if (left < 4) return metaShort(env, t, left, 4);
  if (r.vlen(t)) return (logTypeDetails(env, t, 'vlen != 0'), EINVAL);
  if (r.kflag(t)) return (logTypeDetails(env, t, 'Invalid btf_info kind_flag'), EINVAL);
  const d = r.u32(r.extra(t));
  if ((d & ~BTF_INT_MASK) !== 0) return (logTypeBasic(env, t, `Invalid int_data:${d.toString(16)}`), EINVAL);
  const nrBits = intBits(d) + intOffset(d);
  if (nrBits > BITS_PER_U128) return (logTypeDetails(env, t, `nr_bits exceeds ${BITS_PER_U128}`), EINVAL);
  if (bitsRoundupBytes(nrBits) > r.sizeOrType(t)) return (logTypeDetails(env, t, 'nr_bits exceeds type_size'), EINVAL);
  const enc = intEncoding(d);
  if (enc && enc !== BTF_INT_SIGNED && enc !== BTF_INT_CHAR && enc !== BTF_INT_BOOL) {
    logTypeDetails(env, t, 'Unsupported encoding');
    return -ERRNO.ENOTSUPP;
  }
  logTypeDetails(env, t, null);
  return 4;
}

/** btf_ref_type_check_meta(): PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG. */
function refTypeCheckMeta(env: BtfVerifierEnv, t: number): number {
  const r = env.raw;
  const kind = r.kind(t);
  if (r.vlen(t)) return (logTypeDetails(env, t, 'vlen != 0'), EINVAL);
  if (r.kflag(t) && kind !== BTF_KIND.TYPE_TAG) return (logTypeDetails(env, t, 'Invalid btf_info kind_flag'), EINVAL);
  if (!typeIdValid(r.sizeOrType(t))) return (logTypeDetails(env, t, 'Invalid type_id'), EINVAL);
  const nameOff = r.nameOff(t);
  let nameOk: boolean;
  if (kind === BTF_KIND.TYPEDEF) nameOk = nameOff !== 0 && nameValidIdentifier(r, nameOff);
  else if (kind === BTF_KIND.TYPE_TAG) nameOk = (r.str(nameOff) ?? '') !== '';
  else nameOk = nameOff === 0;
  if (!nameOk) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  logTypeDetails(env, t, null);
  return 0;
}

function fwdCheckMeta(env: BtfVerifierEnv, t: number): number {
  const r = env.raw;
  if (r.vlen(t)) return (logTypeDetails(env, t, 'vlen != 0'), EINVAL);
  if (r.sizeOrType(t)) return (logTypeDetails(env, t, 'type != 0'), EINVAL);
  if (!r.nameOff(t) || !nameValidIdentifier(r, r.nameOff(t))) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  logTypeDetails(env, t, null);
  return 0;
}

function arrayCheckMeta(env: BtfVerifierEnv, t: number, left: number): number {
  const r = env.raw;
  if (left < 12) return metaShort(env, t, left, 12);
  if (r.nameOff(t)) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  if (r.vlen(t)) return (logTypeDetails(env, t, 'vlen != 0'), EINVAL);
  if (r.kflag(t)) return (logTypeDetails(env, t, 'Invalid btf_info kind_flag'), EINVAL);
  if (r.sizeOrType(t)) return (logTypeDetails(env, t, 'size != 0'), EINVAL);
  const x = r.extra(t);
  const elem = r.u32(x);
  const index = r.u32(x + 4);
  if (!elem || !typeIdValid(elem)) return (logTypeDetails(env, t, 'Invalid elem'), EINVAL);
  if (!index || !typeIdValid(index)) return (logTypeDetails(env, t, 'Invalid index'), EINVAL);
  logTypeDetails(env, t, null);
  return 12;
}

function structCheckMeta(env: BtfVerifierEnv, t: number, left: number): number {
  const r = env.raw;
  const isUnion = r.kind(t) === BTF_KIND.UNION;
  const vlen = r.vlen(t);
  const needed = vlen * 12;
  if (left < needed) return metaShort(env, t, left, needed);
  if (r.nameOff(t) && !nameValidIdentifier(r, r.nameOff(t))) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  logTypeDetails(env, t, null);
  const structSize = r.sizeOrType(t);
  let lastOffset = 0;
  for (let i = 0; i < vlen; i++) {
    const m = memberAt(r, t, i);
    if (!nameOffsetValid(r, m.nameOff)) return (logMember(env, t, m, `Invalid member name_offset:${m.nameOff}`), EINVAL);
    if (m.nameOff && !nameValidIdentifier(r, m.nameOff)) return (logMember(env, t, m, 'Invalid name'), EINVAL);
    if (!m.type || !typeIdValid(m.type)) return (logMember(env, t, m, 'Invalid type_id'), EINVAL);
    const offset = memberBitOffset(r, t, m);
    if (isUnion && offset) return (logMember(env, t, m, 'Invalid member bits_offset'), EINVAL);
    // ">" rather than ">=": the last member may be a zero-sized array.
    if (lastOffset > offset) return (logMember(env, t, m, 'Invalid member bits_offset'), EINVAL);
    if (bitsRoundupBytes(offset) > structSize) return (logMember(env, t, m, 'Member bits_offset exceeds its struct size'), EINVAL);
    logMember(env, t, m, null);
    lastOffset = offset;
  }
  return needed;
}

/** btf_enum_check_meta() and btf_enum64_check_meta(). */
function enumCheckMeta(env: BtfVerifierEnv, t: number, left: number, is64: boolean): number {
  const r = env.raw;
  const n = r.vlen(t);
  const entry = is64 ? 12 : 8;
  const needed = n * entry;
  if (left < needed) return metaShort(env, t, left, needed);
  const size = r.sizeOrType(t);
  if (size > 8 || !isPowerOf2(size)) return (logTypeDetails(env, t, 'Unexpected size'), EINVAL);
  if (r.nameOff(t) && !nameValidIdentifier(r, r.nameOff(t))) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  logTypeDetails(env, t, null);
  const signed = r.kflag(t);
  for (let i = 0; i < n; i++) {
    const at = r.extra(t) + i * entry;
    const nameOff = r.u32(at);
    if (!nameOffsetValid(r, nameOff)) return (vlog(env, `\tInvalid name_offset:${nameOff}`), EINVAL);
    if (!nameOff || !nameValidIdentifier(r, nameOff)) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
    const val = is64 ? btfEnumValueStr(r, at, signed) : String(signed ? r.s32(at + 4) : r.u32(at + 4));
    vlog(env, `\t${nameForLog(r, nameOff)} val=${val}\n`);
  }
  return needed;
}

function funcProtoCheckMeta(env: BtfVerifierEnv, t: number, left: number): number {
  const r = env.raw;
  const needed = r.vlen(t) * 8;
  if (left < needed) return metaShort(env, t, left, needed);
  if (r.nameOff(t)) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  if (r.kflag(t)) return (logTypeDetails(env, t, 'Invalid btf_info kind_flag'), EINVAL);
  logTypeDetails(env, t, null);
  return needed;
}

function funcCheckMeta(env: BtfVerifierEnv, t: number): number {
  const r = env.raw;
  if (!r.nameOff(t) || !nameValidIdentifier(r, r.nameOff(t))) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  if (r.vlen(t) > BTF_FUNC_GLOBAL) return (logTypeDetails(env, t, 'Invalid func linkage'), EINVAL);
  if (r.kflag(t)) return (logTypeDetails(env, t, 'Invalid btf_info kind_flag'), EINVAL);
  logTypeDetails(env, t, null);
  return 0;
}

function varCheckMeta(env: BtfVerifierEnv, t: number, left: number): number {
  const r = env.raw;
  if (left < 4) return metaShort(env, t, left, 4);
  if (r.vlen(t)) return (logTypeDetails(env, t, 'vlen != 0'), EINVAL);
  if (r.kflag(t)) return (logTypeDetails(env, t, 'Invalid btf_info kind_flag'), EINVAL);
  if (!r.nameOff(t) || !nameValidIdentifier(r, r.nameOff(t))) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  const type = r.sizeOrType(t);
  if (!type || !typeIdValid(type)) return (logTypeDetails(env, t, 'Invalid type_id'), EINVAL);
  const linkage = r.u32(r.extra(t));
  if (linkage !== BTF_VAR_STATIC && linkage !== BTF_VAR_GLOBAL_ALLOCATED) {
    return (logTypeDetails(env, t, 'Linkage not supported'), EINVAL);
  }
  logTypeDetails(env, t, null);
  return 4;
}

function datasecCheckMeta(env: BtfVerifierEnv, t: number, left: number): number {
  const r = env.raw;
  const vlen = r.vlen(t);
  const needed = vlen * 12;
  if (left < needed) return metaShort(env, t, left, needed);
  const size = r.sizeOrType(t);
  if (!size) return (logTypeDetails(env, t, 'size == 0'), EINVAL);
  if (r.kflag(t)) return (logTypeDetails(env, t, 'Invalid btf_info kind_flag'), EINVAL);
  if (!r.nameOff(t) || !nameValidSection(r, r.nameOff(t))) return (logTypeDetails(env, t, 'Invalid name'), EINVAL);
  logTypeDetails(env, t, null);
  let lastEnd = 0; // u64 in the kernel: offset + size cannot wrap here
  let sum = 0;
  for (let i = 0; i < vlen; i++) {
    const vsi = vsiAt(r, t, i);
    if (!vsi.type || !typeIdValid(vsi.type)) return (logVsi(env, t, vsi, 'Invalid type_id'), EINVAL);
    if (vsi.offset < lastEnd || vsi.offset >= size) return (logVsi(env, t, vsi, 'Invalid offset'), EINVAL);
    if (!vsi.size || vsi.size > size) return (logVsi(env, t, vsi, 'Invalid size'), EINVAL);
    lastEnd = vsi.offset + vsi.size;
    if (lastEnd > size) return (logVsi(env, t, vsi, 'Invalid offset+size'), EINVAL);
    logVsi(env, t, vsi, null);
    sum += vsi.size;
  }
  if (size < sum) return (logTypeDetails(env, t, 'Invalid btf_info size'), EINVAL);
  return needed;
}

function floatCheckMeta(env: BtfVerifierEnv, t: number): number {
  const r = env.raw;
  if (r.vlen(t)) return (logTypeDetails(env, t, 'vlen != 0'), EINVAL);
  if (r.kflag(t)) return (logTypeDetails(env, t, 'Invalid btf_info kind_flag'), EINVAL);
  const size = r.sizeOrType(t);
  if (size !== 2 && size !== 4 && size !== 8 && size !== 12 && size !== 16) {
    return (logTypeDetails(env, t, 'Invalid type_size'), EINVAL);
  }
  logTypeDetails(env, t, null);
  return 0;
}

function declTagCheckMeta(env: BtfVerifierEnv, t: number, left: number): number {
  const r = env.raw;
  if (left < 4) return metaShort(env, t, left, 4);
  if ((r.str(r.nameOff(t)) ?? '') === '') return (logTypeDetails(env, t, 'Invalid value'), EINVAL);
  if (r.vlen(t)) return (logTypeDetails(env, t, 'vlen != 0'), EINVAL);
  if (r.s32(r.extra(t)) < -1) return (logTypeDetails(env, t, 'Invalid component_idx'), EINVAL);
  logTypeDetails(env, t, null);
  return 4;
}

function kindCheckMeta(env: BtfVerifierEnv, t: number, left: number): number {
  switch (env.raw.kind(t)) {
    case BTF_KIND.INT: return intCheckMeta(env, t, left);
    case BTF_KIND.PTR: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT: case BTF_KIND.TYPE_TAG:
      return refTypeCheckMeta(env, t);
    case BTF_KIND.ARRAY: return arrayCheckMeta(env, t, left);
    case BTF_KIND.STRUCT: case BTF_KIND.UNION: return structCheckMeta(env, t, left);
    case BTF_KIND.ENUM: return enumCheckMeta(env, t, left, false);
    case BTF_KIND.ENUM64: return enumCheckMeta(env, t, left, true);
    case BTF_KIND.FWD: return fwdCheckMeta(env, t);
    case BTF_KIND.FUNC: return funcCheckMeta(env, t);
    case BTF_KIND.FUNC_PROTO: return funcProtoCheckMeta(env, t, left);
    case BTF_KIND.VAR: return varCheckMeta(env, t, left);
    case BTF_KIND.DATASEC: return datasecCheckMeta(env, t, left);
    case BTF_KIND.FLOAT: return floatCheckMeta(env, t);
    case BTF_KIND.DECL_TAG: return declTagCheckMeta(env, t, left);
    default: return EINVAL; // unreachable: btf_check_meta() rejected the kind
  }
}

/** btf_check_meta(): the common fields, then the kind's own check. */
function checkMeta(env: BtfVerifierEnv, t: number, metaLeft: number): number {
  const r = env.raw;
  if (metaLeft < BTF_TYPE_SIZE) {
    vlog(env, `[${env.logTypeId}] meta_left:${metaLeft} meta_needed:${BTF_TYPE_SIZE}`);
    return EINVAL;
  }
  const info = r.info(t);
  if ((info & ~BTF_INFO_MASK) !== 0) {
    vlog(env, `[${env.logTypeId}] Invalid btf_info:${info.toString(16)}`);
    return EINVAL;
  }
  const kind = r.kind(t);
  if (kind > BTF_KIND_MAX || kind === BTF_KIND.UNKN) {
    vlog(env, `[${env.logTypeId}] Invalid kind:${kind}`);
    return EINVAL;
  }
  if (!nameOffsetValid(r, r.nameOff(t))) {
    vlog(env, `[${env.logTypeId}] Invalid name_offset:${r.nameOff(t)}`);
    return EINVAL;
  }
  const varSize = kindCheckMeta(env, t, metaLeft - BTF_TYPE_SIZE);
  return varSize < 0 ? varSize : BTF_TYPE_SIZE + varSize;
}

/**
 * btf_check_all_metas(): fills env.raw.typeOffs. Like the kernel, a type past BTF_MAX_TYPE ids is
 * logged ("Exceeded max num of types") and dropped, but the walk goes on (btf_add_type()'s error is
 * ignored by its caller).
 */
export function checkAllMetas(env: BtfVerifierEnv, typeLen: number): number {
  const r = env.raw;
  const end = r.typesStart + typeLen;
  let cur = r.typesStart;
  // Mirror btf_add_type()'s array growth to know exactly when it refuses a type.
  let typesSize = 0;
  let nrTypes = 0;
  env.logTypeId = 1;
  while (cur < end) {
    const size = checkMeta(env, cur, end - cur);
    if (size < 0) return size;
    if (nrTypes === typesSize) {
      if (typesSize === BTF_MAX_TYPE) {
        vlog(env, 'Exceeded max num of types');
        cur += size;
        env.logTypeId++;
        continue;
      }
      typesSize = Math.min(BTF_MAX_TYPE, typesSize + Math.max(typesSize >>> 2, 16));
      if (nrTypes === 0) nrTypes = 1; // the lazily added VOID
    }
    r.typeOffs.push(cur);
    nrTypes++;
    cur += size;
    env.logTypeId++;
  }
  return 0;
}
