/**
 * One verifier test case as the JSONL batch format describes it (`bpfsim verify --jsonl`), and the
 * kernel's label for it. Cases are plain data so the corpus can be checked in, labelled once by the
 * real kernel and replayed anywhere.
 */
import { encode, fromInstructions } from '../../../src/isa/program.js';
import { resolveLabels, type AsmItem } from '../../../src/isa/builders.js';
import { toHex } from '../../../src/util/hex.js';

export interface CaseMap {
  readonly type: string;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly flags: number;
  /** ld_imm64 slots whose imm receives the map's fd. */
  readonly slots: number[];
}

export interface CorpusCase {
  readonly id: string;
  /** The safety rule the case exercises. */
  readonly category: string;
  readonly prog_type: string;
  readonly prog_flags: number;
  readonly expected_attach_type?: number;
  readonly insns: string;
  readonly maps?: CaseMap[];
}

/** What the reference kernel answered. */
export interface KernelLabel {
  readonly verdict: 'accept' | 'reject';
  readonly errno: number;
  readonly errno_name: string;
  /** The first line of Linux's error message (see firstErrorLine), '' for accepted programs. */
  readonly first_error: string;
  readonly processed_insns: number | null;
}

export interface LabelledCase extends CorpusCase {
  readonly kernel: KernelLabel;
}

/** A map to create for a case; `marker` is the placeholder fd templates put in ld_imm64 imms. */
export interface MapSpec {
  readonly type: string;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly flags?: number;
}

/** Placeholder fd of the i-th map in a template (replaced by the real fd at load time). */
export const mapMarker = (i: number): number => 0x7f00_0100 + i;

/**
 * Assemble template items (labels allowed, no validation: cases may be malformed on purpose) and
 * locate the map placeholders.
 */
export function build(
  id: string, category: string, progType: string, items: readonly AsmItem[], maps: readonly MapSpec[] = [],
  opts: { flags?: number; attach?: number; patch?: (bytes: Uint8Array) => void } = {},
): CorpusCase {
  const p = fromInstructions(resolveLabels(items));
  const slots: number[][] = maps.map(() => []);
  for (let i = 0; i < p.length; i++) {
    if (p.code[i] !== 0x18 || (p.src[i] !== 1 && p.src[i] !== 2)) continue;
    const k = p.imm[i] - mapMarker(0);
    if (k >= 0 && k < maps.length) {
      slots[k].push(i);
      p.imm[i] = 0;
    }
  }
  const bytes = encode(p);
  opts.patch?.(bytes);
  const c: CorpusCase = {
    id, category, prog_type: progType, prog_flags: opts.flags ?? 0,
    ...(opts.attach !== undefined ? { expected_attach_type: opts.attach } : {}),
    insns: toHex(bytes),
    ...(maps.length > 0 ? {
      maps: maps.map((m, i) => ({ type: m.type, key_size: m.key_size, value_size: m.value_size, max_entries: m.max_entries, flags: m.flags ?? 0, slots: slots[i] })),
    } : {}),
  };
  return c;
}

/**
 * The first line of the error message in a verifier log: the first line after the last
 * instruction line ("N: (xx) ..."), skipping state dumps, precision-tracking traces and the final
 * statistics line. For logs without instruction lines, the first line. '' when there is none.
 */
export function firstErrorLine(log: string): string {
  const lines = log.split('\n');
  let start = 0;
  for (let i = 0; i < lines.length; i++) if (/^\d+: \([0-9a-f]{2}\)/.test(lines[i])) start = i + 1;
  for (let i = start; i < lines.length; i++) {
    const l = lines[i];
    if (l === '' || /^\d+:( |$)/.test(l) || l.startsWith('mark_precise:') || l.startsWith('processed ') ||
        l.startsWith('verification time') || l.startsWith('stack depth') || l.startsWith('func#') ||
        l.startsWith('Live regs') || l.startsWith(' ') || l.startsWith('(0)') || l.startsWith('force_precise') ||
        l === 'caller:' || l === 'callee:' || l === 'returning from callee:' || l.startsWith('to caller at ') ||
        l.startsWith('frame ') || /^from \d+ to \d+/.test(l)) continue;
    return l.trim();
  }
  return '';
}
