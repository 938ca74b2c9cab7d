/**
 * The verifier log (Linux kernel/bpf/log.c): a text buffer that can be cut back to an earlier
 * position (bpf_vlog_reset: at log level 1 the log of a path that verified is discarded when the
 * next pending branch is popped), and the printers of register and stack state used by the
 * per-instruction lines ("0: R1=ctx() R10=fp0", "; R0=scalar(smin=0,smax=umax=0xffffffff,...)").
 */
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, regStr, type Reg } from './regs.js';
import { allocatedStack, type FuncState, type VState } from './state.js';
import { U64, hex64, tnumIsConst, tnumIsUnknown, tnumStr } from './tnum.js';

export const BPF_LOG_LEVEL1 = 1;
export const BPF_LOG_LEVEL2 = 2;
export const BPF_LOG_STATS = 4;
/** Keep the start of the log instead of rotating (the buffer shows the first log_size - 1 bytes). */
export const BPF_LOG_FIXED = 8;

/**
 * Most log text bpfsim holds for one verification (chars = bytes: the log is ASCII): libbpf's
 * default log buffer (BPF_LOG_BUF_SIZE, 16 MiB). A level-2 log of a program that runs into the
 * 1,000,000-instruction limit is gigabytes; Linux only ever keeps log_size - 1 bytes of it, and so
 * does VLog (see {@link VLogWindow}), never more than this.
 */
export const MAX_LOG_CHARS = 16 << 20;
/** Small pieces are joined into one flat string every this many (memory: one object per block). */
const PIECES_PER_BLOCK = 1024;

/**
 * Which part of the log is worth keeping: the end (Linux's default rotating log, which leaves the
 * last log_size - 1 bytes in the buffer) or the start (BPF_LOG_FIXED), and how much.
 */
export interface VLogWindow {
  readonly keep: 'tail' | 'head';
  readonly chars: number;
}

/** What a buffer of `size` bytes (with the NUL) shows of a log written at `level`. */
export function logWindowFor(level: number, size: number): VLogWindow {
  return { keep: (level & BPF_LOG_FIXED) !== 0 ? 'head' : 'tail', chars: Math.max(size - 1, 0) };
}

/**
 * The log buffer: append-only pieces with truncation back to a byte position (bpf_vlog_reset).
 * Positions count every byte ever written (log->end_pos); only a window of them is held:
 * [startPos, endPos) in tail mode, [0, min(endPos, chars)) in head mode. lenMax is the largest
 * end position reached (log->len_max without the NUL), which decides ENOSPC as in Linux even
 * when a later reset shortened the log.
 */
export class VLog {
  private pieces: string[] = [];
  private ends: number[] = [];
  /** First live piece (pieces before it were dropped off the front in tail mode). */
  private first = 0;
  /** Pieces from here on have not been joined into a block yet. */
  private unjoined = 0;
  /** Position of the first byte held (tail mode). */
  startPos = 0;
  /** Total length written so far (log->end_pos). */
  endPos = 0;
  lenMax = 0;
  private readonly window: VLogWindow;

  constructor(readonly level: number, window: Partial<VLogWindow> = {}) {
    this.window = { keep: window.keep ?? 'tail', chars: Math.max(0, Math.min(window.chars ?? MAX_LOG_CHARS, MAX_LOG_CHARS)) };
  }

  get enabled(): boolean {
    return this.level !== 0;
  }

  get level2(): boolean {
    return (this.level & BPF_LOG_LEVEL2) !== 0;
  }

  verbose(s: string): void {
    if (this.level === 0 || s.length === 0) return;
    const start = this.endPos;
    this.endPos += s.length;
    if (this.endPos > this.lenMax) this.lenMax = this.endPos;
    if (this.window.keep === 'head') {
      // Only the first `chars` bytes are kept; the rest is counted.
      if (start >= this.window.chars) return;
      if (this.endPos > this.window.chars) s = s.slice(0, this.window.chars - start);
      this.pieces.push(s);
      this.ends.push(start + s.length);
      if (this.pieces.length - this.unjoined >= PIECES_PER_BLOCK) this.joinBlock();
      return;
    }
    this.pieces.push(s);
    this.ends.push(this.endPos);
    if (this.pieces.length - this.unjoined >= PIECES_PER_BLOCK) this.joinBlock();
    if (this.endPos - this.startPos > this.window.chars) this.dropFront(this.endPos - this.window.chars);
  }

  /** Join the pieces written since the last block into one flat string. */
  private joinBlock(): void {
    const from = Math.max(this.unjoined, this.first);
    if (from >= this.pieces.length) { this.unjoined = this.pieces.length; return; }
    const block = this.pieces.slice(from).join('');
    const end = this.ends[this.ends.length - 1];
    this.pieces.length = from;
    this.ends.length = from;
    this.pieces.push(block);
    this.ends.push(end);
    this.unjoined = this.pieces.length;
  }

  /** Tail mode: forget the bytes before position `pos`. */
  private dropFront(pos: number): void {
    while (this.first < this.pieces.length && this.ends[this.first] <= pos) this.first++;
    if (this.first < this.pieces.length) {
      const pieceStart = this.ends[this.first] - this.pieces[this.first].length;
      if (pieceStart < pos) this.pieces[this.first] = this.pieces[this.first].slice(pos - pieceStart);
    }
    this.startPos = pos;
    if (this.first > 4096 && this.first * 2 > this.pieces.length) {
      this.pieces = this.pieces.slice(this.first);
      this.ends = this.ends.slice(this.first);
      this.unjoined = Math.max(0, this.unjoined - this.first);
      this.first = 0;
    }
  }

  /** bpf_vlog_reset: forget everything written after `pos`. */
  reset(pos: number): void {
    if (this.level === 0 || pos >= this.endPos) return;
    this.endPos = pos;
    if (pos <= this.startPos) {
      // Everything held came after `pos`: the log is empty from there on (Linux moves start_pos too).
      this.pieces = [];
      this.ends = [];
      this.first = 0;
      this.unjoined = 0;
      this.startPos = pos;
      return;
    }
    while (this.pieces.length > this.first) {
      const last = this.pieces.length - 1;
      const end = this.ends[last];
      const start = end - this.pieces[last].length;
      if (start >= pos) {
        this.pieces.pop();
        this.ends.pop();
        continue;
      }
      if (end > pos) {
        this.pieces[last] = this.pieces[last].slice(0, pos - start);
        this.ends[last] = pos;
      }
      break;
    }
    if (this.unjoined > this.pieces.length) this.unjoined = this.pieces.length;
  }

  /** The bytes held: all of the log unless it outgrew its window (then see {@link startPos}). */
  text(): string {
    const t = this.pieces.slice(this.first).join('');
    this.pieces = [t];
    this.ends = [this.window.keep === 'head' ? t.length : this.endPos];
    this.first = 0;
    this.unjoined = 1;
    return t;
  }

  /** Whether bytes were dropped (the log outgrew its window at some point). */
  get truncated(): boolean {
    return this.lenMax > this.window.chars;
  }
}

/** Linux log.c: UNUM_MAX_DECIMAL = U16_MAX, SNUM_{MIN,MAX}_DECIMAL = S16_{MIN,MAX}. */
function isUnumDecimal(n: bigint): boolean {
  return n <= 0xffffn;
}

function isSnumDecimal(n: bigint): boolean {
  return n >= -0x8000n && n <= 0x7fffn;
}

/** verbose_unum: decimal up to U16_MAX, else %#llx. */
export function unum(n: bigint): string {
  return isUnumDecimal(n) ? n.toString() : hex64(n);
}

/** verbose_snum: decimal in [S16_MIN, S16_MAX], else %#llx of the 64-bit pattern. */
export function snum(n: bigint): string {
  return isSnumDecimal(n) ? n.toString() : hex64(n);
}

function scalarRanges(r: Reg, parts: string[]): void {
  const s32v = (v: number): bigint => (isSnumDecimal(BigInt(v)) ? BigInt(v) : BigInt(v >>> 0));
  const mm: Array<{ name: string; val: bigint; omit: boolean }> = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64 },
    { name: 'smin32', val: s32v(r.s32min), omit: r.s32min === S32_MIN },
    { name: 'smax32', val: s32v(r.s32max), omit: r.s32max === S32_MAX },
    { name: 'umin32', val: BigInt(r.u32min), omit: r.u32min === 0 },
    { name: 'umax32', val: BigInt(r.u32max), omit: r.u32max === U32_MAX },
  ];
  // The kernel compares the raw u64 values; a signed field holds its value sign-extended.
  const raw = (m: { name: string; val: bigint }): bigint => BigInt.asUintN(64, m.val);
  for (let i = 0; i < mm.length; i++) {
    const m1 = mm[i];
    if (m1.omit) continue;
    const neg1 = m1.name[0] === 's' && BigInt.asIntN(64, raw(m1)) < 0n;
    let s = `${m1.name}=`;
    for (let j = i + 2; j < mm.length; j += 2) {
      const m2 = mm[j];
      if (m2.omit || raw(m2) !== raw(m1)) continue;
      const neg2 = m2.name[0] === 's' && BigInt.asIntN(64, raw(m2)) < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      s += `${m2.name}=`;
    }
    s += m1.name[0] === 's' ? snum(BigInt.asIntN(64, raw(m1))) : unum(raw(m1));
    parts.push(s);
  }
}

/** print_reg_state: the text after "R1=". */
export function regStateStr(r: Reg, frameno: number): string {
  if (r.type === 'scalar' && tnumIsConst(r.varOff)) {
    return (r.precise ? 'P' : '') + snum(BigInt.asIntN(64, r.varOff.value));
  }
  let out = (r.type === 'scalar' && r.precise ? 'P' : '') + regStr(r);
  if (r.type === 'fp') {
    if (r.frameno !== frameno) out += `[${r.frameno}]`;
    if (tnumIsConst(r.varOff)) return out + snum(BigInt.asIntN(64, r.varOff.value) + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id !== 0) {
    parts.push(`id=${r.id & 0x7fffffff}` + ((r.id & 0x80000000) !== 0 ? (r.off >= 0 ? `+${r.off}` : `${r.off}`) : ''));
  }
  if (r.refObjId !== 0) parts.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'map_key') && r.map !== null) {
    if (r.map.name !== '') parts.push(`map=${r.map.name}`);
    parts.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.type !== 'scalar' && r.off !== 0) parts.push(`off=${r.off}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') parts.push(`r=${unum(BigInt.asUintN(64, BigInt(r.range)))}`);
  if (r.type === 'mem') parts.push(`sz=${unum(BigInt(r.memSize))}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value !== 0n) parts.push(`imm=${snum(BigInt.asIntN(64, r.varOff.value))}`);
  } else {
    scalarRanges(r, parts);
    if (!tnumIsUnknown(r.varOff)) parts.push(`var_off=${tnumStr(r.varOff)}`);
  }
  return `${out}(${parts.join(',')})`;
}

/** Which registers / stack slots the current instruction touched (Linux's "scratched" marks). */
export class Scratch {
  regs = 0;
  slots: Set<number> = new Set();
  all = true;

  reg(n: number): void {
    this.regs |= 1 << n;
  }

  slot(spi: number): void {
    this.slots.add(spi);
  }

  clear(): void {
    this.regs = 0;
    this.slots.clear();
    this.all = false;
  }

  markAll(): void {
    this.all = true;
  }

  get any(): boolean {
    return this.all || this.regs !== 0 || this.slots.size > 0;
  }
}

function frameStr(f: FuncState, printAll: boolean, scratch: Scratch | null): string {
  let s = '';
  for (let i = 0; i < 11; i++) {
    const r = f.regs[i];
    if (r.type === 'not_init') continue;
    if (!printAll && scratch !== null && !scratch.all && (scratch.regs & (1 << i)) === 0) continue;
    s += ` R${i}=${regStateStr(r, f.frameno)}`;
  }
  const n = allocatedStack(f) / 8;
  for (let spi = 0; spi < n; spi++) {
    if (!printAll && scratch !== null && !scratch.all && !scratch.slots.has(spi)) continue;
    const slot = f.stack[spi];
    if (slot.types === '????????') continue;
    const off = -(spi + 1) * 8;
    if (slot.types.charCodeAt(7) === 114) {
      // A spilled register: the types of the bytes before the spill, then the register.
      const k = slot.types.indexOf('r');
      s += ` fp${off}=${slot.types.slice(0, k)}${regStateStr(slot.spilled, f.frameno)}`;
    } else {
      s += ` fp${off}=${slot.types}`;
    }
  }
  return s;
}

/** print_verifier_state for frame `frameno` (ends with a newline). */
export function verifierStateStr(st: VState, frameno: number, printAll: boolean, scratch: Scratch | null): string {
  const f = st.frames[frameno];
  let s = f.frameno !== 0 ? ` frame${f.frameno}:` : '';
  s += frameStr(f, printAll, scratch);
  if (st.refs.length > 0) s += ` refs=${st.refs.map((r) => r.id).join(',')}`;
  return s + '\n';
}

/** vlog_alignment: pad so that the state after an instruction starts at a column multiple of 8. */
export function vlogAlignment(pos: number): number {
  const BPF_LOG_MIN_ALIGNMENT = 8, BPF_LOG_ALIGNMENT = 40;
  const v = Math.max(pos + BPF_LOG_MIN_ALIGNMENT / 2, BPF_LOG_ALIGNMENT);
  return Math.ceil(v / BPF_LOG_MIN_ALIGNMENT) * BPF_LOG_MIN_ALIGNMENT - pos - 1;
}

/** The final statistics line. */
export function statsLine(processed: number, limit: number, maxStates: number, total: number, peak: number, markRead: number): string {
  return `processed ${processed} insns (limit ${limit}) max_states_per_insn ${maxStates} total_states ${total} peak_states ${peak} mark_read ${markRead}\n`;
}
