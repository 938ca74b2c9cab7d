/**
 * The typed BTF model: one discriminated union member per BTF kind, with names decoded (UTF-8)
 * and ids instead of raw offsets. `kind` uses the kernel's spelling (btf_kind_str).
 */

export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitsOffset: number;
  /** Bitfield width in bits (only with kind_flag set; 0 = not a bitfield). */
  bitfieldSize: number;
}

export interface BtfParam {
  name: string;
  /** 0 for the vararg marker (`...`). */
  type: number;
}

export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

export type BtfModifierKind = 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG';

export type BtfType =
  | { kind: 'INT'; id: number; name: string; size: number; encoding: number; bitsOffset: number; nrBits: number }
  | { kind: 'PTR'; id: number; name: string; type: number }
  | { kind: 'ARRAY'; id: number; name: string; type: number; indexType: number; nelems: number }
  | { kind: 'STRUCT' | 'UNION'; id: number; name: string; size: number; members: BtfMember[] }
  | { kind: 'ENUM'; id: number; name: string; size: number; signed: boolean; values: Array<{ name: string; value: number }> }
  | { kind: 'ENUM64'; id: number; name: string; size: number; signed: boolean; values: Array<{ name: string; value: bigint }> }
  | { kind: 'FWD'; id: number; name: string; union: boolean }
  /** `attr` is the kind_flag of a TYPE_TAG (an attribute rather than a C type tag). */
  | { kind: BtfModifierKind; id: number; name: string; type: number; attr?: boolean }
  | { kind: 'FUNC'; id: number; name: string; type: number; linkage: number }
  | { kind: 'FUNC_PROTO'; id: number; name: string; returnType: number; params: BtfParam[] }
  | { kind: 'VAR'; id: number; name: string; type: number; linkage: number }
  | { kind: 'DATASEC'; id: number; name: string; size: number; vars: BtfVarSecinfo[] }
  | { kind: 'FLOAT'; id: number; name: string; size: number }
  | { kind: 'DECL_TAG'; id: number; name: string; type: number; componentIdx: number; attr: boolean };

/** A type as given to the encoder: ids are implied by the position (first = 1). */
export type BtfTypeSpec = BtfType extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

/** Type id 0. */
export const BTF_VOID_ID = 0;
