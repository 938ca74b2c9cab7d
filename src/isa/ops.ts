/**
 * The widened opcode set: every distinct eBPF operation gets its own {@link Op} id, so that
 * variants Linux selects through `off` (signed div/mod, movsx), `imm` (atomics, byte swaps) or
 * `src` (calls, ld_imm64 pseudo sources are *not* split: they share one operation) are separate
 * names (the cilium/ebpf idea). Decoding maps a raw slot to its Op once; the interpreter and the
 * verifier switch over Op, never over raw bytes.
 *
 * {@link OP_TABLE} is the declarative description of each Op (the uBPF idea): its raw opcode
 * byte, which field selects it, and what every other field must hold. ./validate.ts checks
 * programs against it; the assembler, disassembler and builders read names from it.
 */
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ,
  BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT,
  BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD,
  BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_RSH, BPF_ST,
  BPF_STORE_REL, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
} from './constants.js';

export const enum Op {
  INVALID = 0,
  // ALU64
  ADD64_K, ADD64_X, SUB64_K, SUB64_X, MUL64_K, MUL64_X, DIV64_K, DIV64_X, SDIV64_K, SDIV64_X,
  OR64_K, OR64_X, AND64_K, AND64_X, LSH64_K, LSH64_X, RSH64_K, RSH64_X, NEG64,
  MOD64_K, MOD64_X, SMOD64_K, SMOD64_X, XOR64_K, XOR64_X, MOV64_K, MOV64_X, ARSH64_K, ARSH64_X,
  MOVSX8_64, MOVSX16_64, MOVSX32_64,
  // ALU (32-bit, zero-extending)
  ADD32_K, ADD32_X, SUB32_K, SUB32_X, MUL32_K, MUL32_X, DIV32_K, DIV32_X, SDIV32_K, SDIV32_X,
  OR32_K, OR32_X, AND32_K, AND32_X, LSH32_K, LSH32_X, RSH32_K, RSH32_X, NEG32,
  MOD32_K, MOD32_X, SMOD32_K, SMOD32_X, XOR32_K, XOR32_X, MOV32_K, MOV32_X, ARSH32_K, ARSH32_X,
  MOVSX8_32, MOVSX16_32,
  // Byte order
  LE16, LE32, LE64, BE16, BE32, BE64, BSWAP16, BSWAP32, BSWAP64,
  // ld_imm64 (two slots; the second slot decodes as LDDW_HI) and the legacy packet loads
  LDDW, LDDW_HI, LD_ABS_B, LD_ABS_H, LD_ABS_W, LD_IND_B, LD_IND_H, LD_IND_W,
  // Loads and stores
  LDX_B, LDX_H, LDX_W, LDX_DW, LDXS_B, LDXS_H, LDXS_W,
  ST_B, ST_H, ST_W, ST_DW, STX_B, STX_H, STX_W, STX_DW,
  // Atomics
  ATOMIC32_ADD, ATOMIC32_OR, ATOMIC32_AND, ATOMIC32_XOR,
  ATOMIC32_FETCH_ADD, ATOMIC32_FETCH_OR, ATOMIC32_FETCH_AND, ATOMIC32_FETCH_XOR,
  ATOMIC32_XCHG, ATOMIC32_CMPXCHG,
  ATOMIC64_ADD, ATOMIC64_OR, ATOMIC64_AND, ATOMIC64_XOR,
  ATOMIC64_FETCH_ADD, ATOMIC64_FETCH_OR, ATOMIC64_FETCH_AND, ATOMIC64_FETCH_XOR,
  ATOMIC64_XCHG, ATOMIC64_CMPXCHG,
  LOAD_ACQ_B, LOAD_ACQ_H, LOAD_ACQ_W, LOAD_ACQ_DW,
  STORE_REL_B, STORE_REL_H, STORE_REL_W, STORE_REL_DW,
  // Jumps (64-bit compare)
  JA, JA32,
  JEQ_K, JEQ_X, JGT_K, JGT_X, JGE_K, JGE_X, JSET_K, JSET_X, JNE_K, JNE_X,
  JSGT_K, JSGT_X, JSGE_K, JSGE_X, JLT_K, JLT_X, JLE_K, JLE_X, JSLT_K, JSLT_X, JSLE_K, JSLE_X,
  // Jumps (32-bit compare)
  JEQ32_K, JEQ32_X, JGT32_K, JGT32_X, JGE32_K, JGE32_X, JSET32_K, JSET32_X, JNE32_K, JNE32_X,
  JSGT32_K, JSGT32_X, JSGE32_K, JSGE32_X, JLT32_K, JLT32_X, JLE32_K, JLE32_X, JSLT32_K, JSLT32_X,
  JSLE32_K, JSLE32_X,
  // Calls and exit
  CALL, CALL_LOCAL, CALL_KFUNC, CALLX, EXIT, MAY_GOTO,
  /** One past the last id: the size of per-Op lookup tables. */
  COUNT,
}

export type AluName =
  | 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'smod' | 'xor'
  | 'mov' | 'arsh';
export type JmpName =
  | 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';
export type AtomicName =
  | 'add' | 'or' | 'and' | 'xor' | 'fetch_add' | 'fetch_or' | 'fetch_and' | 'fetch_xor' | 'xchg'
  | 'cmpxchg';

/** What an operation is, for code that treats a family alike (assembler, verifier, generators). */
export type OpKind =
  | 'alu' | 'neg' | 'movsx' | 'end' | 'lddw' | 'lddw_hi' | 'ld_abs' | 'ld_ind' | 'ldx' | 'ldxs' | 'st'
  | 'stx' | 'atomic' | 'load_acq' | 'store_rel' | 'ja' | 'ja32' | 'jmp' | 'call' | 'call_local'
  | 'call_kfunc' | 'callx' | 'exit' | 'may_goto';

/**
 * What a field other than the selecting one must hold: `zero`, `any` value, or `reg` (a register
 * number 0..10).
 */
export type FieldRule = 'zero' | 'any' | 'reg';

export interface OpInfo {
  readonly op: Op;
  readonly kind: OpKind;
  /** Raw opcode byte. */
  readonly code: number;
  /** Which field (besides `code`) selects this Op, and its value. */
  readonly variant: { readonly field: 'off' | 'imm' | 'src'; readonly value: number } | null;
  readonly dst: FieldRule;
  readonly src: FieldRule;
  readonly off: FieldRule;
  readonly imm: FieldRule;
  /** The instruction writes its dst register (so dst = r10 is refused: "frame pointer is read only"). */
  readonly writesDst: boolean;
  /** 64-bit semantics: ALU64, 64-bit compares, 64-bit atomics. */
  readonly wide: boolean;
  /** `K` (immediate operand) or `X` (register operand) for ALU and conditional jumps. */
  readonly source: 'K' | 'X' | null;
  /** Memory access width in bytes, or the byte-swap / sign-extension width in bits for END/MOVSX. */
  readonly size: number;
  readonly alu: AluName | null;
  readonly jmp: JmpName | null;
  readonly atomic: AtomicName | null;
  /** Linux's name of the instruction class, used in "uses reserved fields" messages. */
  readonly linuxClass: string;
  /** Mnemonic in the bpf_conformance assembler syntax. */
  readonly mnemonic: string;
}

type Spec = Partial<OpInfo> & Pick<OpInfo, 'op' | 'kind' | 'code' | 'mnemonic' | 'linuxClass'>;

function entry(s: Spec): OpInfo {
  return {
    variant: null, dst: 'reg', src: 'zero', off: 'zero', imm: 'zero', writesDst: false, wide: false,
    source: null, size: 0, alu: null, jmp: null, atomic: null, ...s,
  };
}

const ALU_OPS: ReadonlyArray<readonly [AluName, number, number | null]> = [
  ['add', BPF_ADD, null], ['sub', BPF_SUB, null], ['mul', BPF_MUL, null], ['div', BPF_DIV, 0],
  ['sdiv', BPF_DIV, 1], ['or', BPF_OR, null], ['and', BPF_AND, null], ['lsh', BPF_LSH, null],
  ['rsh', BPF_RSH, null], ['mod', BPF_MOD, 0], ['smod', BPF_MOD, 1], ['xor', BPF_XOR, null],
  ['mov', BPF_MOV, null], ['arsh', BPF_ARSH, null],
];
const JMP_OPS: ReadonlyArray<readonly [JmpName, number]> = [
  ['jeq', BPF_JEQ], ['jgt', BPF_JGT], ['jge', BPF_JGE], ['jset', BPF_JSET], ['jne', BPF_JNE],
  ['jsgt', BPF_JSGT], ['jsge', BPF_JSGE], ['jlt', BPF_JLT], ['jle', BPF_JLE], ['jslt', BPF_JSLT],
  ['jsle', BPF_JSLE],
];
const ATOMIC_OPS: ReadonlyArray<readonly [AtomicName, number, string]> = [
  ['add', BPF_ADD, 'lock add'], ['or', BPF_OR, 'lock or'], ['and', BPF_AND, 'lock and'],
  ['xor', BPF_XOR, 'lock xor'],
  ['fetch_add', BPF_ADD | BPF_FETCH, 'lock fetch add'], ['fetch_or', BPF_OR | BPF_FETCH, 'lock fetch or'],
  ['fetch_and', BPF_AND | BPF_FETCH, 'lock fetch and'], ['fetch_xor', BPF_XOR | BPF_FETCH, 'lock fetch xor'],
  ['xchg', BPF_XCHG, 'lock xchg'], ['cmpxchg', BPF_CMPXCHG, 'lock cmpxchg'],
];
const SIZES: ReadonlyArray<readonly [number, number, string]> = [
  [1, BPF_B, 'b'], [2, BPF_H, 'h'], [4, BPF_W, 'w'], [8, BPF_DW, 'dw'],
];

function buildTable(): OpInfo[] {
  const t: OpInfo[] = [];
  let op = Op.ADD64_K as number;
  const next = (): Op => op++ as Op;

  for (const [cls, wide] of [[BPF_ALU64, true], [BPF_ALU, false]] as const) {
    const sfx = wide ? '' : '32';
    for (const [alu, code, offVariant] of ALU_OPS) {
      for (const [source, srcBit] of [['K', BPF_K], ['X', BPF_X]] as const) {
        t.push(entry({
          op: next(), kind: 'alu', code: code | srcBit | cls, mnemonic: alu + sfx,
          linuxClass: alu === 'mov' ? 'BPF_MOV' : 'BPF_ALU', alu, source, wide, writesDst: true,
          variant: offVariant === null ? null : { field: 'off', value: offVariant },
          src: source === 'X' ? 'reg' : 'zero', imm: source === 'K' ? 'any' : 'zero',
          off: offVariant === null ? 'zero' : 'any',
        }));
      }
      // NEG sits between RSH and MOD, as in the opcode space.
      if (alu === 'rsh') {
        t.push(entry({
          op: next(), kind: 'neg', code: BPF_NEG | BPF_K | cls, mnemonic: 'neg' + sfx,
          linuxClass: 'BPF_NEG', wide, writesDst: true,
        }));
      }
    }
    const movsxWidths = wide ? [8, 16, 32] : [8, 16];
    for (const bits of movsxWidths) {
      t.push(entry({
        op: next(), kind: 'movsx', code: BPF_MOV | BPF_X | cls, mnemonic: `movsx${bits}${wide ? 64 : 32}`,
        linuxClass: 'BPF_MOV', variant: { field: 'off', value: bits }, src: 'reg', wide, source: 'X',
        size: bits, writesDst: true, alu: 'mov',
      }));
    }
  }
  for (const [name, cls, srcBit] of [['le', BPF_ALU, BPF_TO_LE], ['be', BPF_ALU, BPF_TO_BE], ['bswap', BPF_ALU64, BPF_TO_LE]] as const) {
    for (const bits of [16, 32, 64]) {
      t.push(entry({
        op: next(), kind: 'end', code: BPF_END | srcBit | cls, mnemonic: `${name}${bits}`,
        linuxClass: 'BPF_END', variant: { field: 'imm', value: bits }, size: bits, writesDst: true,
        wide: cls === BPF_ALU64,
      }));
    }
  }
  t.push(entry({
    op: next(), kind: 'lddw', code: BPF_LD | BPF_IMM | BPF_DW, mnemonic: 'lddw',
    linuxClass: 'BPF_LD', src: 'any', imm: 'any', writesDst: true, size: 8,
  }));
  t.push(entry({ op: next(), kind: 'lddw_hi', code: 0, mnemonic: '.lddw_hi', linuxClass: 'BPF_LD', dst: 'zero', imm: 'any' }));
  for (const [kind, mode] of [['ld_abs', BPF_ABS], ['ld_ind', BPF_IND]] as const) {
    for (const [size, sz, s] of SIZES.slice(0, 3)) {
      t.push(entry({
        op: next(), kind, code: BPF_LD | mode | sz, mnemonic: `${kind === 'ld_abs' ? 'ldabs' : 'ldind'}${s}`,
        linuxClass: 'BPF_LD_[ABS|IND]', dst: 'zero', src: kind === 'ld_ind' ? 'reg' : 'zero', imm: 'any',
        size,
      }));
    }
  }
  for (const [size, sz, s] of SIZES) {
    t.push(entry({
      op: next(), kind: 'ldx', code: BPF_LDX | BPF_MEM | sz, mnemonic: `ldx${s}`, linuxClass: 'BPF_LDX',
      src: 'reg', off: 'any', size, writesDst: true,
    }));
  }
  for (const [size, sz, s] of SIZES.slice(0, 3)) {
    t.push(entry({
      op: next(), kind: 'ldxs', code: BPF_LDX | BPF_MEMSX | sz, mnemonic: `ldxs${s}`, linuxClass: 'BPF_LDX',
      src: 'reg', off: 'any', size, writesDst: true,
    }));
  }
  for (const [size, sz, s] of SIZES) {
    t.push(entry({
      op: next(), kind: 'st', code: BPF_ST | BPF_MEM | sz, mnemonic: `st${s}`, linuxClass: 'BPF_ST',
      off: 'any', imm: 'any', size,
    }));
  }
  for (const [size, sz, s] of SIZES) {
    t.push(entry({
      op: next(), kind: 'stx', code: BPF_STX | BPF_MEM | sz, mnemonic: `stx${s}`, linuxClass: 'BPF_STX',
      src: 'reg', off: 'any', size,
    }));
  }
  for (const [size, sz] of [[4, BPF_W], [8, BPF_DW]] as const) {
    for (const [atomic, imm, mn] of ATOMIC_OPS) {
      t.push(entry({
        op: next(), kind: 'atomic', code: BPF_STX | BPF_ATOMIC | sz, mnemonic: size === 4 ? `${mn}32` : mn,
        linuxClass: 'BPF_ATOMIC', variant: { field: 'imm', value: imm }, src: 'reg', off: 'any', size,
        wide: size === 8, atomic,
      }));
    }
  }
  for (const [kind, imm] of [['load_acq', BPF_LOAD_ACQ], ['store_rel', BPF_STORE_REL]] as const) {
    for (const [size, sz, s] of SIZES) {
      t.push(entry({
        op: next(), kind, code: BPF_STX | BPF_ATOMIC | sz,
        mnemonic: `${kind === 'load_acq' ? 'ldacq' : 'strel'}${s}`, linuxClass: 'BPF_ATOMIC',
        variant: { field: 'imm', value: imm }, src: 'reg', off: 'any', size, wide: size === 8,
        writesDst: kind === 'load_acq',
      }));
    }
  }
  t.push(entry({
    op: next(), kind: 'ja', code: BPF_JMP | BPF_JA, mnemonic: 'ja', linuxClass: 'BPF_JA', dst: 'zero',
    off: 'any',
  }));
  t.push(entry({
    op: next(), kind: 'ja32', code: BPF_JMP32 | BPF_JA, mnemonic: 'ja32', linuxClass: 'BPF_JA',
    dst: 'zero', imm: 'any',
  }));
  for (const [cls, wide] of [[BPF_JMP, true], [BPF_JMP32, false]] as const) {
    for (const [jmp, code] of JMP_OPS) {
      for (const [source, srcBit] of [['K', BPF_K], ['X', BPF_X]] as const) {
        t.push(entry({
          op: next(), kind: 'jmp', code: code | srcBit | cls, mnemonic: wide ? jmp : `${jmp}32`,
          linuxClass: 'BPF_JMP/JMP32', jmp, source, wide, off: 'any',
          src: source === 'X' ? 'reg' : 'zero', imm: source === 'K' ? 'any' : 'zero',
        }));
      }
    }
  }
  t.push(entry({
    op: next(), kind: 'call', code: BPF_JMP | BPF_CALL, mnemonic: 'call', linuxClass: 'BPF_CALL',
    variant: { field: 'src', value: 0 }, dst: 'zero', imm: 'any',
  }));
  t.push(entry({
    op: next(), kind: 'call_local', code: BPF_JMP | BPF_CALL, mnemonic: 'call local', linuxClass: 'BPF_CALL',
    variant: { field: 'src', value: BPF_PSEUDO_CALL }, dst: 'zero', imm: 'any',
  }));
  t.push(entry({
    op: next(), kind: 'call_kfunc', code: BPF_JMP | BPF_CALL, mnemonic: 'call runtime', linuxClass: 'BPF_CALL',
    variant: { field: 'src', value: BPF_PSEUDO_KFUNC_CALL }, dst: 'zero', imm: 'any', off: 'any',
  }));
  // callx: the register is in dst (LLVM >= 17, the conformance assembler) or in imm (older
  // encodings); ./validate.ts accepts either, see callxRegister().
  t.push(entry({
    op: next(), kind: 'callx', code: BPF_JMP | BPF_CALL | BPF_X, mnemonic: 'callx', linuxClass: 'BPF_CALL',
    imm: 'any',
  }));
  t.push(entry({
    op: next(), kind: 'exit', code: BPF_JMP | BPF_EXIT, mnemonic: 'exit', linuxClass: 'BPF_EXIT', dst: 'zero',
  }));
  t.push(entry({
    op: next(), kind: 'may_goto', code: BPF_JMP | BPF_JCOND, mnemonic: 'may_goto', linuxClass: 'BPF_JCOND',
    variant: { field: 'src', value: 0 }, dst: 'zero', off: 'any',
  }));
  if (op !== Op.COUNT) throw new Error(`OP_TABLE out of step with enum Op: ${op} != ${Op.COUNT}`);
  return t;
}

/** Indexed by Op; OP_TABLE[0] describes Op.INVALID. */
export const OP_TABLE: readonly OpInfo[] = [
  entry({ op: Op.INVALID, kind: 'exit', code: -1, mnemonic: '.invalid', linuxClass: 'unknown' }),
  ...buildTable(),
];

/** Candidate Ops per raw opcode byte; more than one where a field selects the variant. */
const BY_CODE: ReadonlyArray<readonly OpInfo[]> = (() => {
  const m: OpInfo[][] = Array.from({ length: 256 }, () => []);
  for (const info of OP_TABLE) if (info.op !== Op.INVALID && info.kind !== 'lddw_hi') m[info.code].push(info);
  return m;
})();

/** The OpInfo candidates sharing a raw opcode byte (empty for an unknown opcode). */
export function opsForCode(code: number): readonly OpInfo[] {
  return BY_CODE[code & 0xff];
}

/**
 * The Op of one raw slot, or Op.INVALID when no operation has this opcode and selector value.
 * Only the opcode and the selecting field are looked at; the other fields are ./validate.ts's job.
 */
export function opOf(code: number, src: number, off: number, imm: number): Op {
  const cands = BY_CODE[code & 0xff];
  // A plain form (no selector) shares its opcode with selected variants only for MOV_X / MOVSX;
  // a matching variant wins, otherwise the plain form (whose reserved fields validate.ts checks).
  let plain = Op.INVALID;
  for (const c of cands) {
    const v = c.variant;
    if (v === null) plain = c.op;
    else if ((v.field === 'off' ? off : v.field === 'imm' ? imm : src) === v.value) return c.op;
  }
  return plain;
}

/** OpInfo lookup by mnemonic, for assemblers. */
export function opByMnemonic(mnemonic: string, source: 'K' | 'X' | null): OpInfo | undefined {
  return OP_TABLE.find((i) => i.mnemonic === mnemonic && (source === null || i.source === null || i.source === source));
}

export function opInfo(op: Op): OpInfo {
  return OP_TABLE[op];
}
