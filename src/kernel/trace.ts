/**
 * The event trace: every bpf() command (who issued it), every LSM hook, signature check, verifier
 * run, program run and the loader's notable helper calls, in order. Immutable (immer): a test can
 * keep a reference to a trace and it never changes underneath it.
 */
import { freeze } from 'immer';

/** Who acts: the userspace process, the kernel's syscall code, an LSM hook, the verifier, a running BPF program. */
export type Actor = 'userspace' | 'kernel' | 'lsm' | 'verifier' | 'loader' | 'program';

/** A value recorded in an attr summary: pointers are written "present" / null, like the fixtures. */
export type SummaryValue = number | string | boolean | null;
export type AttrSummary = Readonly<Record<string, SummaryValue>>;

interface Base {
  readonly seq: number;
  /** Virtual time (ns). */
  readonly time: number;
  /** Nesting depth: 0 = issued by userspace, 1 = inside a program run, … */
  readonly depth: number;
}

export type TraceEvent = Base & (
  | {
    readonly type: 'bpf';
    readonly phase: 'enter' | 'exit';
    /** `user` for syscalls from the process, `loader`/`kernel` for bpf_sys_bpf re-entries (is_kernel). */
    readonly caller: 'user' | 'kernel';
    readonly cmd: number;
    readonly cmdName: string;
    readonly attrSize: number;
    readonly attr: AttrSummary;
    readonly ret?: number;
    readonly errno?: string;
    /** BPF_PROG_TEST_RUN: attr.test.retval after the run. */
    readonly retval?: number;
  }
  | { readonly type: 'close'; readonly caller: 'user' | 'kernel'; readonly fd: number; readonly ret: number; readonly errno?: string }
  | {
    readonly type: 'lsm';
    readonly hook: 'security_bpf' | 'security_bpf_map_create' | 'security_bpf_prog_load' | 'security_bpf_map' | 'security_bpf_prog' | 'security_bpf_btf';
    readonly isKernel: boolean;
    readonly ret: number;
    readonly detail: AttrSummary;
  }
  | {
    readonly type: 'signature';
    readonly scheme: string;
    /** unsigned: no signature attr (nothing checked); verified; rejected (errno). */
    readonly result: 'unsigned' | 'verified' | 'rejected';
    readonly keyringId: number;
    readonly errno?: string;
    readonly signer?: string;
    readonly coversMaps: boolean;
    readonly detail?: string;
  }
  | {
    readonly type: 'verifier';
    readonly prog: string;
    readonly progType: number;
    readonly ok: boolean;
    readonly errno?: string;
    readonly processedInsns: number;
    readonly firstError?: string;
  }
  | {
    readonly type: 'prog_run';
    readonly phase: 'start' | 'end';
    readonly prog: string;
    readonly progId: number;
    readonly progType: number;
    readonly retval?: number;
    readonly insns?: number;
    readonly fault?: string;
  }
  | { readonly type: 'helper'; readonly helper: string; readonly args: AttrSummary; readonly ret: number }
  | { readonly type: 'object'; readonly action: 'create' | 'free'; readonly kind: string; readonly id: number; readonly name: string }
  | { readonly type: 'trace_printk'; readonly text: string }
  | { readonly type: 'mmap'; readonly length: number; readonly prot: string; readonly flags: string; readonly fd: number; readonly ret: number }
  | { readonly type: 'munmap'; readonly length: number; readonly ret: number }
  | { readonly type: 'note'; readonly actor: Actor; readonly what: string; readonly detail?: AttrSummary }
);

export type TraceEventInput = TraceEvent extends infer E ? (E extends TraceEvent ? Omit<E, 'seq' | 'time' | 'depth'> : never) : never;

export type Trace = readonly TraceEvent[];

export class TraceLog {
  /** Appended in place; every event is deep-frozen when recorded. */
  private readonly events: TraceEvent[] = [];
  /** The last frozen snapshot handed out, reused until the next append. */
  private snapshot: Trace | null = null;

  append(e: TraceEventInput, time: number, depth: number): void {
    this.events.push(freeze({ ...e, seq: this.events.length, time, depth } as TraceEvent, true));
    this.snapshot = null;
  }

  /**
   * The trace so far as an immutable array: a later append never changes an array handed out
   * before it (each read after an append costs one copy; appends cost O(1)).
   */
  get all(): Trace {
    this.snapshot ??= Object.freeze(this.events.slice());
    return this.snapshot;
  }

  get length(): number {
    return this.events.length;
  }

  clear(): void {
    this.events.length = 0;
    this.snapshot = null;
  }
}
