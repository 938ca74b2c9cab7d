/**
 * Immutable snapshots of the modelled kernel's state (immer-frozen plain data), and their diff:
 * what a test compares to prove that a failed command left everything exactly as it was, or to
 * see what a load created.
 */
import { freeze } from 'immer';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Kernel } from './kernel.js';
import type { KernelObject } from './objects.js';

export interface ObjectSnapshot {
  readonly kind: KernelObject['kind'];
  readonly id: number;
  readonly name: string;
  readonly refcnt: number;
  /** Maps: frozen flag and a digest of the value area (contents changes show up in diffs). */
  readonly frozen?: boolean;
  readonly contents?: string;
}

export interface KernelSnapshot {
  readonly fds: ReadonlyArray<{ readonly fd: number; readonly kind: string; readonly id: number | null }>;
  readonly objects: readonly ObjectSnapshot[];
  readonly memoryCharged: number;
  readonly userAllocations: number;
  readonly liveRegions: number;
  readonly traceLength: number;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function snapshotKernel(k: Kernel): KernelSnapshot {
  const objects: ObjectSnapshot[] = k.objects.all().map((o) => {
    const base = { kind: o.kind, id: o.id, name: 'name' in o ? o.name : '', refcnt: o.refcnt };
    if (o.kind !== 'map') return base;
    const area = o.map.valueArea;
    return { ...base, frozen: o.frozen, ...(area ? { contents: hex(sha256(area.bytes)).slice(0, 16) } : {}) };
  }).sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id - b.id));
  return freeze({
    fds: k.fds.list().map(([fd, e]) => ({ fd, kind: e.type === 'bpf' ? e.obj.kind : e.what, id: e.type === 'bpf' ? e.obj.id : null })),
    objects,
    memoryCharged: k.memoryCharged,
    userAllocations: k.user.count,
    // Interpreter stacks are per-VM kernel infrastructure (created on first use), not state.
    liveRegions: k.space.live().filter((r) => r.kind !== 'stack').length,
    traceLength: k.trace.length,
  }, true);
}

export type SnapshotChange =
  | { readonly what: 'fd'; readonly fd: number; readonly before: string | null; readonly after: string | null }
  | { readonly what: 'object'; readonly key: string; readonly before: ObjectSnapshot | null; readonly after: ObjectSnapshot | null }
  | { readonly what: 'counter'; readonly name: 'memoryCharged' | 'userAllocations' | 'liveRegions'; readonly before: number; readonly after: number };

/** Differences between two snapshots (the trace length is ignored: every command is traced). */
export function diffSnapshots(a: KernelSnapshot, b: KernelSnapshot): SnapshotChange[] {
  const out: SnapshotChange[] = [];
  const fdDesc = (s: KernelSnapshot) => new Map(s.fds.map((f) => [f.fd, `${f.kind}${f.id === null ? '' : `#${f.id}`}`]));
  const fa = fdDesc(a), fb = fdDesc(b);
  for (const fd of new Set([...fa.keys(), ...fb.keys()])) {
    if (fa.get(fd) !== fb.get(fd)) out.push({ what: 'fd', fd, before: fa.get(fd) ?? null, after: fb.get(fd) ?? null });
  }
  const key = (o: ObjectSnapshot) => `${o.kind}#${o.id}`;
  const oa = new Map(a.objects.map((o) => [key(o), o])), ob = new Map(b.objects.map((o) => [key(o), o]));
  for (const k of new Set([...oa.keys(), ...ob.keys()])) {
    const x = oa.get(k) ?? null, y = ob.get(k) ?? null;
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ what: 'object', key: k, before: x, after: y });
  }
  for (const name of ['memoryCharged', 'userAllocations', 'liveRegions'] as const) {
    if (a[name] !== b[name]) out.push({ what: 'counter', name, before: a[name], after: b[name] });
  }
  return out;
}
