/**
 * Structural validation of a decoded program against the declarative rules of OP_TABLE:
 * known opcodes, reserved fields zero, registers in range, no writes to r10, well-formed ld_imm64
 * pairs, jump and call targets inside the program and not into the middle of an ld_imm64.
 *
 * These are the checks Linux makes before abstract interpretation (resolve_pseudo_ldimm64,
 * check_subprogs, the reserved-field checks at the top of each check_* function), with its
 * messages. The verifier runs them first; the interpreter's callers run them before executing.
 */
import {
  BPF_MAXINSNS, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_REG_FP, MAX_BPF_REG,
} from './constants.js';
import { Op, OP_TABLE, opsForCode, type FieldRule, type OpInfo } from './ops.js';
import type { Program } from './program.js';

export type IsaRule =
  | 'empty'
  | 'too_large'
  | 'unknown_opcode'
  | 'reserved_field'
  | 'invalid_register'
  | 'frame_pointer_write'
  | 'invalid_atomic'
  | 'invalid_ldimm64'
  | 'jump_out_of_range'
  | 'jump_into_ldimm64'
  | 'call_out_of_range';

/** A malformed program: which instruction, which rule, and Linux's message for it. */
export class IsaError extends Error {
  constructor(readonly index: number, readonly rule: IsaRule, message: string) {
    super(message);
    this.name = 'IsaError';
  }
}

export interface ValidateOptions {
  /** Largest accepted instruction count (Linux: BPF_MAXINSNS for privileged loaders). */
  readonly maxInsns?: number;
}

function fieldOk(rule: FieldRule, value: number): boolean {
  return rule === 'any' || (rule === 'zero' ? value === 0 : value >= 0 && value < MAX_BPF_REG);
}

/** The register a callx calls through: in dst (current encoding) or, if dst is 0, in imm. */
export function callxRegister(dst: number, imm: number): number {
  return dst !== 0 ? dst : imm;
}

/** Check one slot's fields against its OpInfo (the slot must not be the high half of an ld_imm64). */
function checkFields(p: Program, i: number, info: OpInfo): IsaError | null {
  const dst = p.dst[i], src = p.src[i], off = p.off[i], imm = p.imm[i];
  const reserved = () => new IsaError(i, 'reserved_field', `${info.linuxClass} uses reserved fields`);
  if (info.kind === 'callx') {
    const r = callxRegister(dst, imm);
    if (src !== 0 || off !== 0 || (dst !== 0 && imm !== 0 && imm !== dst)) return reserved();
    if (r < 0 || r >= BPF_REG_FP) return new IsaError(i, 'invalid_register', `R${r} is invalid`);
    return null;
  }
  const v = info.variant;
  // Register fields out of range are "R%d is invalid" (check_reg_arg) before other checks.
  if (info.dst === 'reg' && dst >= MAX_BPF_REG) return new IsaError(i, 'invalid_register', `R${dst} is invalid`);
  if (info.src === 'reg' && src >= MAX_BPF_REG) return new IsaError(i, 'invalid_register', `R${src} is invalid`);
  if (!fieldOk(info.dst, dst)) return reserved();
  if (v?.field !== 'src' && !fieldOk(info.src, src)) return reserved();
  if (v?.field !== 'off' && !fieldOk(info.off, off)) return reserved();
  if (v?.field !== 'imm' && !fieldOk(info.imm, imm)) return reserved();
  if (info.writesDst && dst === BPF_REG_FP) return new IsaError(i, 'frame_pointer_write', 'frame pointer is read only');
  return null;
}

/** Why no Op matched a slot: unknown opcode, bad selector (reserved field / atomic op). */
function unmatched(p: Program, i: number): IsaError {
  const code = p.code[i];
  const cands = opsForCode(code);
  const hex = code.toString(16).padStart(2, '0');
  if (cands.length === 0) return new IsaError(i, 'unknown_opcode', `unknown opcode ${hex}`);
  const c = cands[0];
  if (c.kind === 'atomic' || c.kind === 'load_acq' || c.kind === 'store_rel') {
    return new IsaError(i, 'invalid_atomic', `BPF_ATOMIC uses invalid atomic opcode ${(p.imm[i] >>> 0).toString(16).padStart(2, '0')}`);
  }
  if (c.kind === 'end') return new IsaError(i, 'reserved_field', 'BPF_END uses reserved fields');
  if (c.kind === 'call' || c.kind === 'call_local' || c.kind === 'call_kfunc') {
    return new IsaError(i, 'reserved_field', 'BPF_CALL uses reserved fields');
  }
  if (c.kind === 'may_goto') return new IsaError(i, 'reserved_field', 'invalid may_goto');
  return new IsaError(i, 'reserved_field', `${c.linuxClass} uses reserved fields`);
}

/** Target slot of a jump or local call at slot i, or null for other instructions. */
export function branchTarget(p: Program, i: number): number | null {
  switch (p.op[i] as Op) {
    case Op.JA32:
      return i + 1 + p.imm[i];
    case Op.CALL_LOCAL:
      return i + 1 + p.imm[i];
    default: {
      const k = OP_TABLE[p.op[i]].kind;
      return k === 'ja' || k === 'jmp' || k === 'may_goto' ? i + 1 + p.off[i] : null;
    }
  }
}

/** Validate a program; returns the first problem (in slot order) or null. Never throws. */
export function validate(p: Program, opts: ValidateOptions = {}): IsaError | null {
  const max = opts.maxInsns ?? BPF_MAXINSNS;
  if (p.length === 0) return new IsaError(0, 'empty', 'program has no instructions');
  if (p.length > max) return new IsaError(0, 'too_large', `program of ${p.length} insns exceeds the limit of ${max}`);
  for (let i = 0; i < p.length; i++) {
    const op = p.op[i] as Op;
    if (op === Op.INVALID) return unmatched(p, i);
    if (op === Op.LDDW_HI) return new IsaError(i, 'invalid_ldimm64', 'invalid bpf_ld_imm64 insn');
    const info = OP_TABLE[op];
    const err = checkFields(p, i, info);
    if (err) return err;
    if (op === Op.LDDW) {
      const j = i + 1;
      if (j >= p.length || p.code[j] !== 0 || p.dst[j] !== 0 || p.src[j] !== 0 || p.off[j] !== 0) {
        return new IsaError(i, 'invalid_ldimm64', 'invalid bpf_ld_imm64 insn');
      }
      // resolve_pseudo_ldimm64: pseudo sources end at BPF_PSEUDO_MAP_IDX_VALUE, and the map-pointer
      // forms (MAP_FD, MAP_IDX) have no offset in the second half.
      const src = p.src[i];
      if (src > BPF_PSEUDO_MAP_IDX_VALUE || ((src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_IDX) && p.imm[j] !== 0)) {
        return new IsaError(i, 'invalid_ldimm64', 'unrecognized bpf_ld_imm64 insn');
      }
      i++;
    }
  }
  for (let i = 0; i < p.length; i++) {
    const t = branchTarget(p, i);
    if (t === null) continue;
    if (t < 0 || t >= p.length) {
      return p.op[i] === Op.CALL_LOCAL
        ? new IsaError(i, 'call_out_of_range', 'call to invalid destination')
        : new IsaError(i, 'jump_out_of_range', `jump out of range from insn ${i} to ${t}`);
    }
    if (p.op[t] === Op.LDDW_HI) {
      return new IsaError(i, 'jump_into_ldimm64', `jump into the middle of ldimm64 insn ${t - 1}`);
    }
  }
  return null;
}
