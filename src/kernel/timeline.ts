/**
 * The trace as a timeline a person reads: one entry per step, each with the actor that performs
 * it (userspace, kernel, LSM hook, verifier, loader program), as text, JSON, or a self-contained
 * HTML page with an SVG sequence diagram.
 */
import type { Trace, TraceEvent } from './trace.js';

export type TimelineActor = 'userspace' | 'kernel' | 'lsm' | 'verifier' | 'loader' | 'program';

export interface TimelineEntry {
  readonly seq: number;
  readonly timeNs: number;
  readonly actor: TimelineActor;
  /** Who the step is addressed to, for the diagram's arrow (null: a note on the actor's lifeline). */
  readonly to: TimelineActor | null;
  readonly kind: TraceEvent['type'];
  readonly text: string;
  /** A failed step (negative return, rejection, denial). */
  readonly failed: boolean;
}

export const TIMELINE_ACTORS: readonly TimelineActor[] = ['userspace', 'kernel', 'lsm', 'verifier', 'loader', 'program'];

function attrText(a: Readonly<Record<string, unknown>>, keys: readonly string[]): string {
  return keys.filter((k) => a[k] !== undefined && a[k] !== null && a[k] !== 0 && a[k] !== '').map((k) => `${k}=${String(a[k])}`).join(' ');
}

const SHOW: Readonly<Record<string, readonly string[]>> = {
  BPF_MAP_CREATE: ['map_name', 'map_type_name', 'key_size', 'value_size', 'max_entries', 'map_flags', 'excl_prog_hash'],
  BPF_MAP_UPDATE_ELEM: ['map_fd'],
  BPF_MAP_FREEZE: ['map_fd'],
  BPF_OBJ_GET_INFO_BY_FD: ['bpf_fd', 'info_len'],
  BPF_PROG_LOAD: ['prog_name', 'prog_type_name', 'insn_cnt', 'signature', 'signature_size', 'keyring_id', 'fd_array_cnt'],
  BPF_PROG_TEST_RUN: ['prog_fd', 'ctx_size_in'],
  BPF_BTF_LOAD: ['btf_size'],
  BPF_RAW_TRACEPOINT_OPEN: ['name', 'prog_fd'],
};

/** One trace event as a timeline entry, or null for events the timeline leaves out. */
export function timelineEntry(e: TraceEvent, loaderNames: ReadonlySet<string>, running: string | null): TimelineEntry | null {
  const base = { seq: e.seq, timeNs: e.time, kind: e.type };
  const inProg: TimelineActor = running !== null && loaderNames.has(running) ? 'loader' : 'program';
  switch (e.type) {
    case 'bpf': {
      const from: TimelineActor = e.caller === 'user' ? 'userspace' : inProg;
      const args = attrText(e.attr, SHOW[e.cmdName] ?? []);
      if (e.phase === 'enter') {
        return { ...base, actor: from, to: 'kernel', text: `${e.caller === 'user' ? 'bpf' : 'sys_bpf'}(${e.cmdName}${args ? ', ' + args : ''})`, failed: false };
      }
      const r = e.ret ?? 0;
      const what = r < 0 ? `-${e.errno}` : e.cmdName.match(/CREATE|LOAD|OPEN|GET_FD/) ? `fd ${r}` : String(r);
      return { ...base, actor: 'kernel', to: from, text: `${e.cmdName} → ${what}${e.retval !== undefined ? ` (retval ${e.retval})` : ''}`, failed: r < 0 };
    }
    case 'close':
      // A program's bpf_sys_close shows as its helper event.
      return e.caller === 'user' ? { ...base, actor: 'userspace', to: 'kernel', text: `close(${e.fd}) → ${e.ret}`, failed: e.ret < 0 } : null;
    case 'lsm': {
      const d = attrText(e.detail, Object.keys(e.detail));
      return { ...base, actor: 'lsm', to: null, text: `${e.hook}(${d}${e.isKernel ? ', is_kernel' : ''}) → ${e.ret === 0 ? 'allow' : `deny ${e.ret}`}`, failed: e.ret !== 0 };
    }
    case 'signature':
      return {
        ...base, actor: 'kernel', to: null, failed: e.result === 'rejected',
        text: e.result === 'verified'
          ? `signature verified (${e.scheme}; keyring ${e.keyringId}; key ${e.signer ?? '?'}) over ${e.detail ?? 'the instructions'}`
          : `signature rejected: ${e.errno} (${e.scheme}; keyring ${e.keyringId})`,
      };
    case 'verifier':
      return {
        ...base, actor: 'verifier', to: null, failed: !e.ok,
        text: e.ok ? `${e.prog}: accepted, processed ${e.processedInsns} insns` : `${e.prog}: rejected ${e.errno}: ${e.firstError ?? ''}`,
      };
    case 'prog_run':
      return e.phase === 'start'
        ? { ...base, actor: 'kernel', to: loaderNames.has(e.prog) ? 'loader' : 'program', text: `run ${e.prog}`, failed: false }
        : { ...base, actor: loaderNames.has(e.prog) ? 'loader' : 'program', to: 'kernel', text: e.fault ? `${e.prog} faulted: ${e.fault}` : `${e.prog} returned ${e.retval} (${e.insns} insns)`, failed: e.fault !== undefined || (e.retval ?? 0) < 0 };
    case 'helper':
      return { ...base, actor: inProg, to: null, text: `${e.helper}(${attrText(e.args, Object.keys(e.args))}) → ${e.ret}`, failed: e.ret < 0 };
    case 'trace_printk':
      return { ...base, actor: inProg, to: null, text: `trace_printk: ${e.text}`, failed: false };
    case 'note':
      return { ...base, actor: e.actor, to: null, text: e.what, failed: /return -|reject|not /.test(e.what) && e.detail?.ok === false };
    case 'mmap':
      return { ...base, actor: 'userspace', to: 'kernel', text: `mmap(${e.length}, ${e.prot}, ${e.flags}, fd ${e.fd}) → ${e.ret}`, failed: e.ret < 0 };
    case 'munmap':
      return { ...base, actor: 'userspace', to: 'kernel', text: `munmap(${e.length})`, failed: false };
    case 'object':
      return { ...base, actor: 'kernel', to: null, text: `${e.action === 'create' ? 'created' : 'freed'} ${e.kind} #${e.id} ${e.name}`, failed: false };
  }
}

/** The timeline of trace events [from, to). Programs named in `loaderNames` show as the loader actor. */
export function timeline(trace: Trace, from = 0, to = trace.length, loaderNames: ReadonlySet<string> = new Set(['__loader.prog'])): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const running: string[] = [];
  for (const e of trace.slice(from, to)) {
    if (e.type === 'prog_run' && e.phase === 'start') running.push(e.prog);
    const t = timelineEntry(e, loaderNames, running.at(-1) ?? null);
    if (e.type === 'prog_run' && e.phase === 'end') running.pop();
    if (t) out.push(t);
  }
  return out;
}

export function renderTimelineText(entries: readonly TimelineEntry[]): string {
  const w = Math.max(...TIMELINE_ACTORS.map((a) => a.length));
  return entries.map((e) => `${String(e.seq).padStart(4)}  ${((e.timeNs - (entries[0]?.timeNs ?? 0)) / 1000).toFixed(1).padStart(8)}µs  ${e.actor.padEnd(w)}  ${e.to && e.to !== e.actor ? `→ ${e.to.padEnd(w)}  ` : ' '.repeat(w + 4)}${e.failed ? '✗ ' : ''}${e.text}`).join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A self-contained HTML page: an SVG sequence diagram with one lifeline per actor. */
export function renderTimelineHtml(entries: readonly TimelineEntry[], title: string): string {
  const actors = TIMELINE_ACTORS.filter((a) => entries.some((e) => e.actor === a || e.to === a));
  const colW = 190, rowH = 26, top = 60, left = 20;
  const x = (a: TimelineActor) => left + actors.indexOf(a) * colW + colW / 2;
  const height = top + entries.length * rowH + 40;
  const width = left * 2 + actors.length * colW;
  const parts: string[] = [];
  for (const a of actors) {
    parts.push(`<line x1="${x(a)}" y1="${top - 10}" x2="${x(a)}" y2="${height - 20}" class="life"/>`);
    parts.push(`<rect x="${x(a) - 70}" y="10" width="140" height="30" rx="6" class="actor"/><text x="${x(a)}" y="30" class="aname">${esc(a)}</text>`);
  }
  entries.forEach((e, i) => {
    const y = top + i * rowH + rowH / 2;
    const cls = e.failed ? 'fail' : e.kind === 'signature' || (e.kind === 'note' && e.actor === 'loader') ? 'key' : 'ok';
    const label = `${e.text.length > 96 ? e.text.slice(0, 93) + '…' : e.text}`;
    if (e.to && e.to !== e.actor) {
      const x1 = x(e.actor), x2 = x(e.to);
      parts.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" class="arrow ${cls}" marker-end="url(#head)"/>`);
      parts.push(`<text x="${Math.min(x1, x2) + 6}" y="${y - 4}" class="msg ${cls}"><title>${esc(e.text)}</title>${esc(label)}</text>`);
    } else {
      parts.push(`<circle cx="${x(e.actor)}" cy="${y}" r="4" class="dot ${cls}"/>`);
      parts.push(`<text x="${x(e.actor) + 8}" y="${y + 4}" class="msg ${cls}"><title>${esc(e.text)}</title>${esc(label)}</text>`);
    }
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px} .life{stroke:#bbb;stroke-dasharray:4 4} .actor{fill:#eef3fb;stroke:#6a8bc4}
.aname{text-anchor:middle;font-weight:600;font-size:13px} .msg{font-size:11px;font-family:ui-monospace,monospace}
.arrow{stroke-width:1.5} .ok{stroke:#444;fill:#222} .fail{stroke:#c0392b;fill:#c0392b} .key{stroke:#1e7e34;fill:#1e7e34}
text.ok{stroke:none} text.fail{stroke:none} text.key{stroke:none}
</style></head><body>
<h1>${esc(title)}</h1>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#444"/></marker></defs>
${parts.join('\n')}
</svg></body></html>
`;
}
