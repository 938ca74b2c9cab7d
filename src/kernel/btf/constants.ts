/**
 * BTF format constants (include/uapi/linux/btf.h and kernel/bpf/btf.c), with Linux's names.
 */

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** sizeof(struct btf_header) of BTF version 1. */
export const BTF_HEADER_SIZE = 24;
/** sizeof(struct btf_type). */
export const BTF_TYPE_SIZE = 12;
/** kernel/bpf/btf.c: "16MB for 64k structs and each has 16 members and a few MB spaces for the string section". */
export const BTF_MAX_SIZE = 16 * 1024 * 1024;
/** Max number of type ids (and max type id + 1). */
export const BTF_MAX_TYPE = 0x000fffff;
/** Max offset into the string section. */
export const BTF_MAX_NAME_OFFSET = 0x00ffffff;
export const BTF_MAX_VLEN = 0xffff;
/** Bits of btf_type.info that may be set: vlen (0-15), kind (24-28), kind_flag (31). */
export const BTF_INFO_MASK = 0x9f00ffff;
/** Bits of an INT's int_data that may be set: bits (0-7), offset (16-23), encoding (24-27). */
export const BTF_INT_MASK = 0x0fffffff;
/** KSYM_NAME_LEN: identifiers and section names are at most this long, terminating NUL included. */
export const KSYM_NAME_LEN = 512;
/** Depth of the resolver's DFS stack (MAX_RESOLVE_DEPTH). */
export const MAX_RESOLVE_DEPTH = 32;
/** BITS_PER_U128: the widest INT. */
export const BITS_PER_U128 = 128;

/** BTF_KIND_* numbers. */
export const BTF_KIND = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

export type BtfKindName = Exclude<keyof typeof BTF_KIND, 'UNKN'>;
export const BTF_KIND_MAX = 19;
export const NR_BTF_KINDS = BTF_KIND_MAX + 1;

/** btf_kind_str[]: the names the kernel prints in the BTF log (index = kind number). */
export const BTF_KIND_STR: readonly string[] = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE',
  'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG',
  'ENUM64',
];

/** Kind number → name for kinds 1..19 (undefined otherwise). */
export function kindName(kind: number): BtfKindName | undefined {
  return kind >= 1 && kind <= BTF_KIND_MAX ? (BTF_KIND_STR[kind] as BtfKindName) : undefined;
}

/** BTF_INT_* encoding bits. */
export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;

/** enum btf_func_linkage. */
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;

/** BTF_VAR_* linkage. */
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;

/** Size of the per-kind data that follows struct btf_type. */
export const BTF_MEMBER_SIZE = 12; // struct btf_member / btf_enum64
export const BTF_ENUM_SIZE = 8; // struct btf_enum
export const BTF_PARAM_SIZE = 8; // struct btf_param
export const BTF_VAR_SECINFO_SIZE = 12; // struct btf_var_secinfo
export const BTF_ARRAY_SIZE = 12; // struct btf_array
