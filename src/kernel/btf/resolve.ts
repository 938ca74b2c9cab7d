/**
 * Pass 2 of BTF verification (btf_check_all_types): resolve every type that refers to other types
 * with the kernel's iterative DFS (env_stack_*, max depth 32, loop detection through visit
 * states), check struct members and DATASEC entries against their resolved types, check function
 * prototypes, and record each type's resolved id and size. Messages and errnos as in
 * kernel/bpf/btf.c; functions return 0 or a negative errno.
 */
import { ERRNO } from '../../errno.js';
import { BTF_KIND as BTF_KIND_IMPORT, MAX_RESOLVE_DEPTH } from './constants.js';
import { checkMember } from './check-member.js';
import {
  BtfVerifierEnv, Phase, ResolveMode, ResolveVertex, VisitState, logMember, logTypeBasic,
  logTypeDetails, logVsi, memberAt, vsiAt,
} from './env.js';
import {
  VOID, intIsRegular, isDeclTagTarget, isModifier, isNosizeOrNull, isResolveSourceOnly,
  isStruct, needsResolve,
} from './raw.js';
import { nameOffsetValid, nameValidIdentifier } from './strings.js';
import { typeIdSize } from './type-size.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

const EINVAL = -ERRNO.EINVAL;
const E2BIG = -ERRNO.E2BIG;
const EEXIST = -ERRNO.EEXIST;
const U32_MAX = 0xffffffff;

/** env_type_is_resolve_sink(): where the current resolution mode stops following references. */
function isResolveSink(env: BtfVerifierEnv, next: number): boolean {
  const r = env.raw;
  switch (env.resolveMode) {
    case ResolveMode.TBD:
      return !needsResolve(r, next);
    case ResolveMode.PTR:
      return !isModifier(r, next) && r.kind(next) !== BTF_KIND.PTR;
    case ResolveMode.STRUCT_OR_ARRAY:
      return !isModifier(r, next) && r.kind(next) !== BTF_KIND.ARRAY && !isStruct(r, next);
  }
}

function isResolved(env: BtfVerifierEnv, id: number): boolean {
  return env.visitStates[id] === VisitState.RESOLVED;
}

function stackPush(env: BtfVerifierEnv, t: number, typeId: number): number {
  if (env.stack.length === MAX_RESOLVE_DEPTH) return E2BIG;
  if (env.visitStates[typeId] !== VisitState.NOT_VISITED) return EEXIST;
  env.visitStates[typeId] = VisitState.VISITED;
  env.stack.push({ t, typeId, nextMember: 0 });
  if (env.resolveMode === ResolveMode.TBD) {
    const k = env.raw.kind(t);
    if (k === BTF_KIND.PTR) env.resolveMode = ResolveMode.PTR;
    else if (isStruct(env.raw, t) || k === BTF_KIND.ARRAY) env.resolveMode = ResolveMode.STRUCT_OR_ARRAY;
  }
  return 0;
}

function stackSetNextMember(env: BtfVerifierEnv, next: number): void {
  env.stack[env.stack.length - 1].nextMember = next;
}

function stackPopResolved(env: BtfVerifierEnv, resolvedId: number, resolvedSize: number): void {
  const v = env.stack.pop() as ResolveVertex;
  env.resolvedSizes[v.typeId] = resolvedSize >>> 0;
  env.resolvedIds[v.typeId] = resolvedId >>> 0;
  env.visitStates[v.typeId] = VisitState.RESOLVED;
}

/** btf_type_id_resolve(): follow the recorded resolved id. */
function resolvedType(env: BtfVerifierEnv, id: number): { t: number | null; id: number } {
  const rid = env.resolvedIds[id] ?? 0;
  return { t: env.raw.byId(rid), id: rid };
}

/** btf_modifier_resolve() (TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG) and btf_ptr_resolve(). */
function refResolve(env: BtfVerifierEnv, v: ResolveVertex, isPtr: boolean): number {
  const r = env.raw;
  let nextId = r.sizeOrType(v.t);
  let next = r.byId(nextId);
  if (next === null || isResolveSourceOnly(r, next)) return (logTypeDetails(env, v.t, 'Invalid type_id'), EINVAL);
  if (!isResolveSink(env, next) && !isResolved(env, nextId)) return stackPush(env, next, nextId);
  if (isPtr && isModifier(r, next)) {
    // The modifier may have stopped at a pointer while resolving a struct/array; continue from that
    // pointer so that a pointer loop through it is still found.
    const res = resolvedType(env, nextId);
    if (res.t !== null && r.kind(res.t) === BTF_KIND.PTR && !isResolveSink(env, res.t) && !isResolved(env, res.id)) {
      return stackPush(env, res.t, res.id);
    }
  }
  const sized = typeIdSize(r, env, nextId);
  if (!sized) {
    if (isResolved(env, nextId)) {
      const res = resolvedType(env, nextId);
      next = res.t;
      nextId = res.id;
    }
    // "typedef void new_void", "const void", a pointer to a FWD or a FUNC_PROTO: fine.
    const k = next === null ? -1 : r.kind(next);
    if (next !== VOID && k !== BTF_KIND.FWD && k !== BTF_KIND.FUNC_PROTO) {
      return (logTypeDetails(env, v.t, 'Invalid type_id'), EINVAL);
    }
  } else {
    nextId = sized.id;
  }
  stackPopResolved(env, nextId, 0);
  return 0;
}

function varResolve(env: BtfVerifierEnv, v: ResolveVertex): number {
  const r = env.raw;
  const nextId = r.sizeOrType(v.t);
  const next = r.byId(nextId);
  if (next === null || isResolveSourceOnly(r, next)) return (logTypeDetails(env, v.t, 'Invalid type_id'), EINVAL);
  if (!isResolveSink(env, next) && !isResolved(env, nextId)) return stackPush(env, next, nextId);
  if (isModifier(r, next)) {
    const res = resolvedType(env, nextId);
    if (res.t !== null && r.kind(res.t) === BTF_KIND.PTR && !isResolveSink(env, res.t) && !isResolved(env, res.id)) {
      return stackPush(env, res.t, res.id);
    }
  }
  // A variable must have a concrete, sized type.
  const sized = typeIdSize(r, env, nextId);
  if (!sized) return (logTypeDetails(env, v.t, 'Invalid type_id'), EINVAL);
  stackPopResolved(env, sized.id, 0);
  return 0;
}

function arrayResolve(env: BtfVerifierEnv, v: ResolveVertex): number {
  const r = env.raw;
  const x = r.extra(v.t);
  const nelems = r.u32(x + 8);
  const indexId = r.u32(x + 4);
  const index = r.byId(indexId);
  if (isNosizeOrNull(r, index) || isResolveSourceOnly(r, index as number)) {
    return (logTypeDetails(env, v.t, 'Invalid index'), EINVAL);
  }
  if (!isResolveSink(env, index as number) && !isResolved(env, indexId)) return stackPush(env, index as number, indexId);
  const idx = typeIdSize(r, env, indexId);
  if (!idx || r.kind(idx.t) !== BTF_KIND.INT || !intIsRegular(r, idx.t)) {
    return (logTypeDetails(env, v.t, 'Invalid index'), EINVAL);
  }
  const elemId = r.u32(x);
  const elem = r.byId(elemId);
  if (isNosizeOrNull(r, elem) || isResolveSourceOnly(r, elem as number)) {
    return (logTypeDetails(env, v.t, 'Invalid elem'), EINVAL);
  }
  if (!isResolveSink(env, elem as number) && !isResolved(env, elemId)) return stackPush(env, elem as number, elemId);
  const el = typeIdSize(r, env, elemId);
  if (!el) return (logTypeDetails(env, v.t, 'Invalid elem'), EINVAL);
  if (r.kind(el.t) === BTF_KIND.INT && !intIsRegular(r, el.t)) {
    return (logTypeDetails(env, v.t, 'Invalid array of int'), EINVAL);
  }
  if (nelems && el.size > Math.floor(U32_MAX / nelems)) {
    return (logTypeDetails(env, v.t, 'Array size overflows U32_MAX'), EINVAL);
  }
  stackPopResolved(env, el.id, el.size * nelems);
  return 0;
}

function structResolve(env: BtfVerifierEnv, v: ResolveVertex): number {
  const r = env.raw;
  const kflag = r.kflag(v.t);
  // Before going on, check the member whose type the previous step pushed and resolved.
  if (v.nextMember) {
    const last = memberAt(r, v.t, v.nextMember - 1);
    if (!isResolved(env, last.type)) return EINVAL; // WARN_ON_ONCE in the kernel
    const err = checkMember(env, v.t, last, r.byId(last.type) as number, kflag);
    if (err) return err;
  }
  const vlen = r.vlen(v.t);
  for (let i = v.nextMember; i < vlen; i++) {
    const m = memberAt(r, v.t, i);
    const mt = r.byId(m.type);
    if (isNosizeOrNull(r, mt) || isResolveSourceOnly(r, mt as number)) {
      return (logMember(env, v.t, m, 'Invalid member'), EINVAL);
    }
    if (!isResolveSink(env, mt as number) && !isResolved(env, m.type)) {
      stackSetNextMember(env, i + 1);
      return stackPush(env, mt as number, m.type);
    }
    const err = checkMember(env, v.t, m, mt as number, kflag);
    if (err) return err;
  }
  stackPopResolved(env, 0, 0);
  return 0;
}

function datasecResolve(env: BtfVerifierEnv, v: ResolveVertex): number {
  const r = env.raw;
  env.resolveMode = ResolveMode.TBD;
  const vlen = r.vlen(v.t);
  for (let i = v.nextMember; i < vlen; i++) {
    const vsi = vsiAt(r, v.t, i);
    const varT = r.byId(vsi.type);
    if (varT === null || r.kind(varT) !== BTF_KIND.VAR) return (logVsi(env, v.t, vsi, 'Not a VAR kind member'), EINVAL);
    if (!isResolveSink(env, varT) && !isResolved(env, vsi.type)) {
      stackSetNextMember(env, i + 1);
      return stackPush(env, varT, vsi.type);
    }
    const sized = typeIdSize(r, env, r.sizeOrType(varT));
    if (!sized) return (logVsi(env, v.t, vsi, 'Invalid type'), EINVAL);
    if (vsi.size < sized.size) return (logVsi(env, v.t, vsi, 'Invalid size'), EINVAL);
  }
  stackPopResolved(env, 0, 0);
  return 0;
}

function declTagResolve(env: BtfVerifierEnv, v: ResolveVertex): number {
  const r = env.raw;
  const nextId = r.sizeOrType(v.t);
  let next = r.byId(nextId);
  if (next === null || !isDeclTagTarget(r, next)) return (logTypeDetails(env, v.t, 'Invalid type_id'), EINVAL);
  if (!isResolveSink(env, next) && !isResolved(env, nextId)) return stackPush(env, next, nextId);
  const componentIdx = r.s32(r.extra(v.t));
  if (componentIdx !== -1) {
    const k = r.kind(next);
    if (k === BTF_KIND.VAR || k === BTF_KIND.TYPEDEF) return (logTypeDetails(env, v.t, 'Invalid component_idx'), EINVAL);
    let vlen: number;
    if (isStruct(r, next)) {
      vlen = r.vlen(next);
    } else {
      // A FUNC: count the parameters of its prototype (already resolved, so it exists).
      next = r.byId(r.sizeOrType(next));
      vlen = next === null ? 0 : r.vlen(next);
    }
    if (componentIdx >>> 0 >= vlen) return (logTypeDetails(env, v.t, 'Invalid component_idx'), EINVAL);
  }
  stackPopResolved(env, nextId, 0);
  return 0;
}

/** btf_func_check(): a FUNC must point to a FUNC_PROTO whose typed parameters are all named. */
function funcCheck(env: BtfVerifierEnv, t: number): number {
  const r = env.raw;
  const proto = r.byId(r.sizeOrType(t));
  if (proto === null || r.kind(proto) !== BTF_KIND.FUNC_PROTO) return (logTypeDetails(env, t, 'Invalid type_id'), EINVAL);
  const n = r.vlen(proto);
  for (let i = 0; i < n; i++) {
    const at = r.extra(proto) + i * 8;
    if (!r.u32(at) && r.u32(at + 4)) return (logTypeDetails(env, t, `Invalid arg#${i + 1}`), EINVAL);
  }
  return 0;
}

function funcResolve(env: BtfVerifierEnv, v: ResolveVertex): number {
  const err = funcCheck(env, v.t);
  if (err) return err;
  stackPopResolved(env, env.raw.sizeOrType(v.t), 0);
  return 0;
}

function kindResolve(env: BtfVerifierEnv, v: ResolveVertex): number {
  switch (env.raw.kind(v.t)) {
    case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST: case BTF_KIND.RESTRICT:
    case BTF_KIND.TYPE_TAG:
      return refResolve(env, v, false);
    case BTF_KIND.PTR: return refResolve(env, v, true);
    case BTF_KIND.VAR: return varResolve(env, v);
    case BTF_KIND.ARRAY: return arrayResolve(env, v);
    case BTF_KIND.STRUCT: case BTF_KIND.UNION: return structResolve(env, v);
    case BTF_KIND.DATASEC: return datasecResolve(env, v);
    case BTF_KIND.DECL_TAG: return declTagResolve(env, v);
    case BTF_KIND.FUNC: return funcResolve(env, v);
    default:
      logTypeBasic(env, v.t, 'Unsupported resolve'); // btf_df_resolve
      return EINVAL;
  }
}

/** btf_resolve_valid(): the final sanity check of a resolution. */
function resolveValid(env: BtfVerifierEnv, t: number, typeId: number): boolean {
  const r = env.raw;
  if (!isResolved(env, typeId)) return false;
  const k = r.kind(t);
  if (isStruct(r, t) || k === BTF_KIND.DATASEC) return !env.resolvedIds[typeId] && !env.resolvedSizes[typeId];
  if (k === BTF_KIND.DECL_TAG || k === BTF_KIND.FUNC) return !!env.resolvedIds[typeId] && !env.resolvedSizes[typeId];
  if (isModifier(r, t) || k === BTF_KIND.PTR || k === BTF_KIND.VAR) {
    const res = resolvedType(env, typeId);
    return res.t !== null && !isModifier(r, res.t) && r.kind(res.t) !== BTF_KIND.VAR && r.kind(res.t) !== BTF_KIND.DATASEC;
  }
  if (k === BTF_KIND.ARRAY) {
    const x = r.extra(t);
    const el = typeIdSize(r, env, r.u32(x));
    // u32 multiplication, as in the kernel.
    return el !== null && !isModifier(r, el.t) && Math.imul(r.u32(x + 8), el.size) >>> 0 === env.resolvedSizes[typeId];
  }
  return false;
}

/** btf_resolve(). */
function resolve(env: BtfVerifierEnv, t: number, typeId: number): number {
  const saved = env.logTypeId;
  env.resolveMode = ResolveMode.TBD;
  stackPush(env, t, typeId);
  let err = 0;
  // Every step pushes a NOT_VISITED type, pops one for good, or fails: at most 2 * nrTypes steps.
  const budget = 2 * env.raw.nrTypes + 2;
  for (let step = 0; !err && env.stack.length > 0; step++) {
    if (step > budget) return -ERRNO.EFAULT; // unreachable; keeps the loop visibly bounded
    const v = env.stack[env.stack.length - 1];
    env.logTypeId = v.typeId;
    err = kindResolve(env, v);
  }
  env.logTypeId = typeId;
  if (err === E2BIG) logTypeDetails(env, t, `Exceeded max resolving depth:${MAX_RESOLVE_DEPTH}`);
  else if (err === EEXIST) logTypeDetails(env, t, 'Loop detected');
  if (!err && !resolveValid(env, t, typeId)) {
    logTypeDetails(env, t, 'Invalid resolve state');
    err = EINVAL;
  }
  env.logTypeId = saved;
  return err;
}

/** btf_func_proto_check(): return and parameter types must exist, be sized, and be resolvable. */
function funcProtoCheck(env: BtfVerifierEnv, t: number): number {
  const r = env.raw;
  const retId = r.sizeOrType(t);
  if (retId) {
    const ret = r.byId(retId);
    if (ret === null || isResolveSourceOnly(r, ret)) return (logTypeDetails(env, t, 'Invalid return type'), EINVAL);
    if (needsResolve(r, ret) && !isResolved(env, retId)) {
      const err = resolve(env, ret, retId);
      if (err) return err;
    }
    if (!typeIdSize(r, env, retId)) return (logTypeDetails(env, t, 'Invalid return type'), EINVAL);
  }
  let n = r.vlen(t);
  if (!n) return 0;
  const arg = (i: number) => ({ nameOff: r.u32(r.extra(t) + i * 8), type: r.u32(r.extra(t) + i * 8 + 4) });
  // The last parameter may be the vararg marker: type 0 and no name.
  if (!arg(n - 1).type) {
    if (arg(n - 1).nameOff) return (logTypeDetails(env, t, `Invalid arg#${n}`), EINVAL);
    n--;
  }
  for (let i = 0; i < n; i++) {
    const a = arg(i);
    const at = r.byId(a.type);
    if (at === null || isResolveSourceOnly(r, at)) return (logTypeDetails(env, t, `Invalid arg#${i + 1}`), EINVAL);
    if (a.nameOff && (!nameOffsetValid(r, a.nameOff) || !nameValidIdentifier(r, a.nameOff))) {
      return (logTypeDetails(env, t, `Invalid arg#${i + 1}`), EINVAL);
    }
    if (needsResolve(r, at) && !isResolved(env, a.type)) {
      const err = resolve(env, at, a.type);
      if (err) return err;
    }
    if (!typeIdSize(r, env, a.type)) return (logTypeDetails(env, t, `Invalid arg#${i + 1}`), EINVAL);
  }
  return 0;
}

/** btf_check_all_types(). */
export function checkAllTypes(env: BtfVerifierEnv): number {
  const r = env.raw;
  const n = r.nrTypes;
  env.resolvedSizes = new Uint32Array(n);
  env.resolvedIds = new Uint32Array(n);
  env.visitStates = new Uint8Array(n);
  env.phase = Phase.CHECK_TYPE;
  for (let id = 1; id < n; id++) {
    const t = r.typeOffs[id];
    env.logTypeId = id;
    if (needsResolve(r, t) && !isResolved(env, id)) {
      const err = resolve(env, t, id);
      if (err) return err;
    }
    if (r.kind(t) === BTF_KIND.FUNC_PROTO) {
      const err = funcProtoCheck(env, t);
      if (err) return err;
    }
  }
  return 0;
}
