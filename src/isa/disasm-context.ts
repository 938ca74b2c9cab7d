/**
 * What a per-syntax instruction printer gets besides the instruction itself: how to spell a
 * branch target (relative or a label), and the options that change spellings. The printers
 * (./disasm-kernel.ts, ./disasm-llvm.ts, ./disasm-conformance.ts) are tables keyed by
 * {@link OpKind}, so that a family of operations is printed by one rule driven by its OP_TABLE entry.
 */
import type { OpInfo, OpKind } from './ops.js';
import type { Instruction } from './program.js';

export interface FormatContext {
  /** Slot index of the instruction being printed. */
  readonly slot: number;
  /** Label for the slot `rel + 1` after this one, or undefined to print the relative offset. */
  label(rel: number): string | undefined;
  /** Kernel syntax: the helper name printed in `call <name>#<id>`. */
  helperName(id: number): string | undefined;
  /** Kernel syntax: the kfunc name printed in `call <name>#<btf_id>`. */
  kfuncName(btfId: number, off: number): string | undefined;
  /** Kernel syntax: print pseudo map immediates as bpftool's `map[id:N]` rather than `map[fd:N]`. */
  readonly mapIds: boolean;
  /** LLVM syntax: LLVM ≥ 18 hex immediates. */
  readonly hex: boolean;
  /** LLVM syntax: ` <sym+0x..>` annotation for the byte address of a branch target. */
  annotate(targetSlot: number): string;
}

/** One instruction as printed, or undefined when this syntax cannot spell its exact fields. */
export type Printer = (ins: Instruction, info: OpInfo, ctx: FormatContext) => string | undefined;

export type PrinterTable = Readonly<Record<Exclude<OpKind, 'lddw_hi'>, Printer>>;
