/**
 * Small programs whose complete verifier logs (levels 1 and 2) were recorded from the real kernel
 * (record-logs.ts -> ../data/kernel-logs.json): the common rejections of the issue and the state
 * line formats (scalars with bounds, map pointers and values, stack slots, branches, calls).
 */
import {
  Add64, And64, Call, CallLocal, Exit, Ja, JEq, JGT, JNE, Label, LoadMapFd, LoadMem, Mov64, RSh64, StoreImm, StoreMem,
  R0, R1, R2, R3, R6, R10, type AsmItem,
} from '../../../src/isa/builders.js';
import { build, mapMarker, type CorpusCase } from './case.js';

const ARRAY8 = { type: 'array', key_size: 4, value_size: 8, max_entries: 1 };
const HASH16 = { type: 'hash', key_size: 4, value_size: 16, max_entries: 4 };

const lookup: AsmItem[] = [
  StoreImm(R10, -8, 0, 'W'), Mov64.reg(R2, R10), Add64.imm(R2, -8), LoadMapFd(R1, mapMarker(0)), Call(1),
];

export const LOG_PROGRAMS: readonly CorpusCase[] = [
  build('scalar_deref', 'log', 'socket_filter', [Mov64.imm(R1, 0), LoadMem(R0, R1, 0, 'DW'), Exit()]),
  build('r0_not_init', 'log', 'socket_filter', [Mov64.imm(R1, 0), Exit()]),
  build('unreachable', 'log', 'socket_filter', [Mov64.imm(R0, 0), Exit(), Mov64.imm(R0, 1), Mov64.imm(R0, 2), Mov64.imm(R0, 3), Exit()]),
  build('jump_out_of_range', 'log', 'socket_filter', [Mov64.imm(R0, 0), JEq.imm(R1, 0, 5), Exit()]),
  build('fallthrough_end', 'log', 'socket_filter', [Mov64.imm(R0, 0), Mov64.imm(R1, 1)]),
  build('r10_write', 'log', 'socket_filter', [Mov64.imm(R0, 0), StoreImm(R10, 8, 0, 'DW'), Exit()]),
  build('stack_oob', 'log', 'socket_filter', [Mov64.imm(R0, 0), StoreImm(R10, -520, 0, 'DW'), Exit()]),
  build('null_deref', 'log', 'socket_filter', [...lookup, LoadMem(R0, R0, 0, 'DW'), Exit()], [HASH16]),
  // A constant in-bounds key into an ARRAY gives a non-null value pointer (Linux >= 6.12).
  build('array_const_key', 'log', 'socket_filter', [...lookup, LoadMem(R0, R0, 0, 'DW'), Exit()], [ARRAY8]),
  build('value_oob', 'log', 'socket_filter', [...lookup, JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 4, 'DW'), Label('out'), Mov64.imm(R0, 0), Exit()], [ARRAY8]),
  build('value_ok', 'log', 'socket_filter', [...lookup, JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Label('out'), Mov64.imm(R0, 0), Exit()], [ARRAY8]),
  build('var_off_bounded', 'log', 'socket_filter', [
    ...lookup, JEq.imm(R0, 0, 'out'), Mov64.reg(R6, R0), LoadMem(R1, R6, 0, 'DW'), And64.imm(R1, 7), Add64.reg(R6, R1),
    LoadMem(R0, R6, 0, 'B'), Label('out'), Mov64.imm(R0, 0), Exit(),
  ], [HASH16]),
  build('var_off_unbounded', 'log', 'socket_filter', [
    ...lookup, JEq.imm(R0, 0, 'out'), Mov64.reg(R6, R0), LoadMem(R1, R6, 0, 'DW'), Add64.reg(R6, R1),
    LoadMem(R0, R6, 0, 'B'), Label('out'), Mov64.imm(R0, 0), Exit(),
  ], [HASH16]),
  build('branch_bounds', 'log', 'socket_filter', [
    LoadMem(R2, R1, 0, 'W'), Mov64.imm(R0, 0), JGT.imm(R2, 15, 'out'), RSh64.imm(R2, 1), JNE.imm(R2, 3, 'out'),
    Mov64.reg(R0, R2), Label('out'), Exit(),
  ]),
  build('stack_spill_fill', 'log', 'socket_filter', [
    Mov64.reg(R6, R1), StoreMem(R10, -16, R6, 'DW'), Mov64.imm(R3, 42), StoreMem(R10, -8, R3, 'DW'),
    LoadMem(R1, R10, -16, 'DW'), LoadMem(R0, R10, -8, 'DW'), Exit(),
  ]),
  build('subprog_call', 'log', 'socket_filter', [
    Mov64.imm(R1, 5), CallLocal('f'), Exit(), Label('f'), Mov64.reg(R0, R1), Add64.imm(R0, 1), Exit(),
  ]),
  build('bounded_loop', 'log', 'socket_filter', [
    Mov64.imm(R0, 0), Mov64.imm(R1, 0), Label('top'), Add64.imm(R0, 2), Add64.imm(R1, 1), JNE.imm(R1, 4, 'top'), Exit(),
  ]),
  build('infinite_loop', 'log', 'socket_filter', [Mov64.imm(R0, 0), Label('top'), JEq.imm(R0, 0, 'top'), Exit()]),
  build('self_jump', 'log', 'socket_filter', [Mov64.imm(R0, 0), Label('top'), Ja('top'), Exit()]),
  build('pointer_leak_ok', 'log', 'socket_filter', [Mov64.reg(R0, R10), Exit()]),
  build('ctx_bad_off', 'log', 'socket_filter', [LoadMem(R0, R1, 200, 'W'), Exit()]),
  build('helper_bad_arg', 'log', 'socket_filter', [Mov64.imm(R1, 0), Mov64.imm(R2, 0), Call(1), Mov64.imm(R0, 0), Exit()]),
];
