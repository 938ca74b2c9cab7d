/**
 * Type-feedback priming for the interpreter loop.
 *
 * V8 optimizes `execute` from the type feedback gathered while it ran in the bytecode interpreter.
 * If the first programs a process runs touch only a few operations, or only small values, the
 * optimized loop is specialized to them and deoptimizes as soon as another program takes an
 * unseen `case` or a sum leaves the small-integer range; after a few such round trips the loop can
 * stay unoptimized for a long time (measured: 185 → 15 M instructions/s). Running one program that
 * executes every operation, with small and with large register values, before the loop gets hot
 * gives TurboFan complete feedback up front. It costs well under a millisecond, once per process.
 */
import { BPF_PSEUDO_CALL } from '../isa/constants.js';
import { Op, OP_TABLE } from '../isa/ops.js';
import { fromInstructions, type Instruction, type Program } from '../isa/program.js';

const R0 = 0, R2 = 2, R3 = 3, R4 = 4, R10 = 10;

function ins(op: Op, f: Partial<Instruction> = {}): Instruction {
  const info = OP_TABLE[op];
  const v = info.variant;
  const base: Instruction = { op, dst: 0, src: 0, off: 0, imm: 0, ...f };
  if (v === null) return base;
  return v.field === 'off' ? { ...base, off: v.value } : v.field === 'imm' ? { ...base, imm: v.value } : { ...base, src: v.value };
}

/**
 * One straight-line program with every operation the hot loop implements (helpers: id 1; a local
 * call into a two-instruction subprogram). r1..r3 hold the values the caller chose; r4 points
 * into the stack.
 */
function primingProgram(): Program {
  const body: Instruction[] = [];
  body.push(ins(Op.MOV64_X, { dst: R4, src: R10 }), ins(Op.ADD64_K, { dst: R4, imm: -64 }));
  for (const info of OP_TABLE) {
    const op = info.op;
    switch (info.kind) {
      case 'alu': case 'movsx':
        if (info.source === 'K') {
          const shift = info.alu === 'lsh' || info.alu === 'rsh' || info.alu === 'arsh';
          body.push(ins(op, { dst: R0, imm: shift ? 3 : 0x7ffffff1 }));
        } else {
          body.push(ins(op, { dst: R0, src: info.alu === 'mov' ? R2 : R3 }));
        }
        break;
      case 'neg': case 'end':
        body.push(ins(op, { dst: R0 }));
        break;
      case 'ldx': case 'ldxs': case 'load_acq':
        body.push(ins(op, { dst: R0, src: R4, off: 8 }));
        break;
      case 'st':
        body.push(ins(op, { dst: R4, off: 16, imm: -5 }));
        break;
      case 'stx': case 'store_rel': case 'atomic':
        body.push(ins(op, { dst: R4, src: R2, off: 24 }));
        break;
      case 'jmp':
        body.push(ins(op, info.source === 'K' ? { dst: R2, imm: 0x7ffffff0 } : { dst: R2, src: R3 }));
        break;
      case 'ja': case 'may_goto': case 'ja32':
        body.push(ins(op));
        break;
      case 'lddw':
        body.push({ ...ins(op, { dst: R0 }), imm64: 0x8000000180000001n });
        break;
      case 'call':
        body.push(ins(op, { imm: 1 }));
        break;
      default:
        break; // calls through registers, kfuncs, packet loads and exit are primed separately
    }
  }
  // call local +1 (skipping the main program's exit) into: r0 = 0; exit.
  body.push(ins(Op.CALL_LOCAL, { src: BPF_PSEUDO_CALL, imm: 1 }), ins(Op.EXIT), ins(Op.MOV64_K, { dst: R0 }), ins(Op.EXIT));
  return fromInstructions(body);
}

let primed = false;

/** Prime `run` (a function running a program with r1..r3 preset) with small and large values. */
export function primeInterpreter(run: (p: Program, r1: number, r2: number, r3: number) => void): void {
  if (primed) return;
  primed = true;
  const p = primingProgram();
  for (const [a, b, c] of [[1, 2, 3], [-1, 0x7fffffff, -0x80000000], [0x40000001, -7, 0x12345678]] as const) {
    for (let i = 0; i < 4; i++) run(p, a, b, c);
  }
}
