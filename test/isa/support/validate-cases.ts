/**
 * One malformed program per validate() rule, with the message Linux's verifier prints for it
 * (kernel/bpf/verifier.c: resolve_pseudo_ldimm64, check_subprogs, check_cfg, the reserved-field
 * checks of check_alu_op / do_check / check_atomic, check_reg_arg). Shared by validate.test.ts and
 * the live kernel comparison in kernel-oracle.test.ts.
 */
import type { IsaRule } from '../../../src/isa/validate.js';

export interface InvalidCase {
  readonly name: string;
  /** The program's slots, as hex bytes. */
  readonly bytes: string;
  readonly rule: IsaRule;
  readonly index: number;
  readonly message: string;
  /**
   * What Linux reports instead, where one of its checks that validate() does not model runs
   * first (check_subprogs' "last insn is not an exit or jmp").
   */
  readonly kernel?: string;
}

const EXIT = '95 00 00 00 00 00 00 00';
const R0_0 = 'b7 00 00 00 00 00 00 00';

export const INVALID_CASES: readonly InvalidCase[] = [
  { name: 'unknown opcode', bytes: `${R0_0} 8f 00 00 00 00 00 00 00 ${EXIT}`, rule: 'unknown_opcode', index: 1, message: 'unknown opcode 8f' },
  { name: 'mov with a source register on the K form', bytes: `b7 10 00 00 00 00 00 00 ${EXIT}`, rule: 'reserved_field', index: 0, message: 'BPF_MOV uses reserved fields' },
  { name: 'add with an offset', bytes: `${R0_0} 07 00 01 00 01 00 00 00 ${EXIT}`, rule: 'reserved_field', index: 1, message: 'BPF_ALU uses reserved fields' },
  { name: 'neg with an immediate', bytes: `${R0_0} 87 00 00 00 01 00 00 00 ${EXIT}`, rule: 'reserved_field', index: 1, message: 'BPF_NEG uses reserved fields' },
  { name: 'byte swap of 8 bits', bytes: `${R0_0} d4 00 00 00 08 00 00 00 ${EXIT}`, rule: 'reserved_field', index: 1, message: 'BPF_END uses reserved fields' },
  { name: 'ldx with an immediate', bytes: `61 a0 fc ff 01 00 00 00 ${EXIT}`, rule: 'reserved_field', index: 0, message: 'BPF_LDX uses reserved fields' },
  { name: 'stx with an immediate', bytes: `${R0_0} 63 0a fc ff 01 00 00 00 ${EXIT}`, rule: 'reserved_field', index: 1, message: 'BPF_STX uses reserved fields' },
  { name: 'exit with an immediate', bytes: `${R0_0} 95 00 00 00 01 00 00 00`, rule: 'reserved_field', index: 1, message: 'BPF_EXIT uses reserved fields' },
  { name: 'goto with an immediate', bytes: `${R0_0} 05 00 00 00 01 00 00 00 ${EXIT}`, rule: 'reserved_field', index: 1, message: 'BPF_JA uses reserved fields' },
  { name: 'conditional jump K with a source register', bytes: `${R0_0} 15 10 00 00 00 00 00 00 ${EXIT}`, rule: 'reserved_field', index: 1, message: 'BPF_JMP/JMP32 uses reserved fields' },
  { name: 'helper call with a destination register', bytes: `85 01 00 00 05 00 00 00 ${R0_0} ${EXIT}`, rule: 'reserved_field', index: 0, message: 'BPF_CALL uses reserved fields' },
  { name: 'register r11', bytes: `b7 0b 00 00 00 00 00 00 ${EXIT}`, rule: 'invalid_register', index: 0, message: 'R11 is invalid' },
  { name: 'write to the frame pointer', bytes: `b7 0a 00 00 00 00 00 00 ${R0_0} ${EXIT}`, rule: 'frame_pointer_write', index: 0, message: 'frame pointer is read only' },
  { name: 'invalid atomic operation', bytes: `b7 01 00 00 00 00 00 00 7b 1a f8 ff 00 00 00 00 db 1a f8 ff 02 00 00 00 ${R0_0} ${EXIT}`, rule: 'invalid_atomic', index: 2, message: 'BPF_ATOMIC uses invalid atomic opcode 02' },
  { name: 'ld_imm64 without its second slot', bytes: `${R0_0} ${EXIT} 18 00 00 00 01 00 00 00`, rule: 'invalid_ldimm64', index: 2, message: 'invalid bpf_ld_imm64 insn', kernel: 'last insn is not an exit or jmp' },
  { name: 'ld_imm64 with pseudo source 7', bytes: `18 71 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ${EXIT}`, rule: 'invalid_ldimm64', index: 0, message: 'unrecognized bpf_ld_imm64 insn' },
  { name: 'ld_imm64 MAP_FD with an offset in its second half', bytes: `18 11 00 00 03 00 00 00 00 00 00 00 08 00 00 00 ${EXIT}`, rule: 'invalid_ldimm64', index: 0, message: 'unrecognized bpf_ld_imm64 insn' },
  { name: 'ld_imm64 whose second slot has an opcode', bytes: `18 00 00 00 01 00 00 00 07 00 00 00 00 00 00 00 ${EXIT}`, rule: 'invalid_ldimm64', index: 0, message: 'invalid bpf_ld_imm64 insn' },
  { name: 'jump past the end', bytes: `${R0_0} 05 00 05 00 00 00 00 00 ${EXIT}`, rule: 'jump_out_of_range', index: 1, message: 'jump out of range from insn 1 to 7' },
  { name: 'jump before the start', bytes: `${R0_0} 05 00 fd ff 00 00 00 00 ${EXIT}`, rule: 'jump_out_of_range', index: 1, message: 'jump out of range from insn 1 to -1' },
  { name: 'jump into an ld_imm64', bytes: `${R0_0} 15 00 01 00 00 00 00 00 18 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 ${EXIT}`, rule: 'jump_into_ldimm64', index: 1, message: 'jump into the middle of ldimm64 insn 2' },
  { name: 'local call past the end', bytes: `${R0_0} 85 10 00 00 05 00 00 00 ${EXIT}`, rule: 'call_out_of_range', index: 1, message: 'call to invalid destination' },
];
