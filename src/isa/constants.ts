/**
 * Raw eBPF encoding constants, named as in Linux's include/uapi/linux/bpf_common.h and bpf.h.
 * These are the only place in the tree where encoding numbers are written down; everything else
 * uses these names or the widened {@link Op} ids of ./ops.ts.
 */

// Instruction classes (code & 0x07).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Load/store sizes (code & 0x18).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Load/store modes (code & 0xe0).
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// Operand source (code & 0x08).
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** For BPF_END: convert to little endian (the source bit clear) / big endian (set). */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// ALU operations (code & 0xf0).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations (code & 0xf0).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
export const BPF_JCOND = 0xe0;

/** src_reg of a BPF_JCOND instruction: the only condition Linux defines. */
export const BPF_MAY_GOTO = 0;

// Atomic operations (imm of a BPF_STX | BPF_ATOMIC instruction).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;

// ld_imm64 pseudo sources (src_reg of BPF_LD | BPF_IMM | BPF_DW).
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// BPF_CALL sources (src_reg of BPF_JMP | BPF_CALL).
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** r0..r10; r10 is the read-only frame pointer. */
export const MAX_BPF_REG = 11;
export const BPF_REG_FP = 10;
/** Bytes of stack each frame may use (Linux MAX_BPF_STACK). */
export const MAX_BPF_STACK = 512;
/** Linux MAX_CALL_FRAMES: the main program plus seven nested bpf-to-bpf calls. */
export const MAX_CALL_FRAMES = 8;
/** Linux MAX_TAIL_CALL_CNT. */
export const MAX_TAIL_CALL_CNT = 33;
/** Linux BPF_MAXINSNS for privileged loaders (BPF_COMPLEXITY_LIMIT_INSNS is the same number). */
export const BPF_MAXINSNS = 1_000_000;
/** Bytes per instruction slot. */
export const BPF_INSN_SIZE = 8;

/** Helper id of bpf_tail_call: the interpreter treats it as a control transfer, like Linux's BPF_TAIL_CALL. */
export const BPF_FUNC_tail_call = 12;
