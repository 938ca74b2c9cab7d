/**
 * OP_TABLE looked up by the features the kernel/LLVM syntax spells (operator, width, operand kind,
 * access size), for the assembler. One key function describes an entry; the index is built from
 * OP_TABLE once, so that no opcode number appears here.
 */
import { OP_TABLE, Op, type AluName, type AtomicName, type JmpName, type OpInfo } from './ops.js';
import { ALU_OPERATOR, JMP_OPERATOR, LOCK_OPERATOR } from './syntax-tables.js';

function keyOf(info: OpInfo): string | undefined {
  switch (info.kind) {
    case 'alu': return `alu/${info.alu}/${info.wide}/${info.source}`;
    case 'jmp': return `jmp/${info.jmp}/${info.wide}/${info.source}`;
    case 'neg': return `neg/${info.wide}`;
    case 'movsx': return `movsx/${info.wide}/${info.size}`;
    case 'end': return `end/${info.mnemonic}`;
    case 'atomic': return `atomic/${info.atomic}/${info.size}`;
    case 'ld_abs': case 'ld_ind': case 'ldx': case 'ldxs': case 'st': case 'stx': case 'load_acq': case 'store_rel':
      return `${info.kind}/${info.size}`;
    default: return undefined;
  }
}

const INDEX: ReadonlyMap<string, OpInfo> = (() => {
  const m = new Map<string, OpInfo>();
  for (const info of OP_TABLE) {
    if (info.op === Op.INVALID) continue;
    const k = keyOf(info);
    if (k !== undefined) m.set(k, info);
  }
  return m;
})();

function invert<K extends string>(table: Readonly<Partial<Record<K, string>>>): ReadonlyMap<string, K> {
  return new Map(Object.entries(table).map(([k, v]) => [v as string, k as K]));
}

/** `+=` → add, `s/=` → sdiv, `=` → mov. */
export const ALU_BY_OPERATOR = invert<AluName>(ALU_OPERATOR);
/** `==` → jeq, `&` → jset. */
export const JMP_BY_OPERATOR = invert<JmpName>(JMP_OPERATOR);
/** `+=` → add for `lock *(u64 *)(...) += r2`. */
export const LOCK_BY_OPERATOR = invert<AtomicName>(LOCK_OPERATOR);

export const aluOp = (alu: AluName, wide: boolean, source: 'K' | 'X') => INDEX.get(`alu/${alu}/${wide}/${source}`);
export const jmpOp = (jmp: JmpName, wide: boolean, source: 'K' | 'X') => INDEX.get(`jmp/${jmp}/${wide}/${source}`);
export const negOp = (wide: boolean) => INDEX.get(`neg/${wide}`);
export const movsxOp = (wide: boolean, bits: number) => INDEX.get(`movsx/${wide}/${bits}`);
/** `be16`, `le64`, `bswap32`: the OP_TABLE mnemonic is the spelling. */
export const endOp = (name: string) => INDEX.get(`end/${name}`);
export const atomicOp = (atomic: AtomicName, size: number) => INDEX.get(`atomic/${atomic}/${size}`);
export type SizedKind = 'ld_abs' | 'ld_ind' | 'ldx' | 'ldxs' | 'st' | 'stx' | 'load_acq' | 'store_rel';
export const sizedOp = (kind: SizedKind, size: number) => INDEX.get(`${kind}/${size}`);
