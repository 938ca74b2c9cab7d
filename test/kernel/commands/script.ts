/**
 * Scripts of raw bpf(2) calls that run the same way in bpfsim and in the real kernel (through
 * ./oracle/bpf-cmd-oracle.c): attr bytes as they are, user buffers they point to, and relocations
 * that patch addresses and object ids into the attr or a buffer once the buffers have addresses.
 *
 * Addresses are abstract here ("buffer 2 + 8", "an unmapped user address", "a kernel address") and
 * each side makes them concrete: a bpfsim user allocation / the helper's guarded mmap; bpfsim's
 * never-used region slot 0 / a PROT_NONE page; a live bpfsim kernel region / 0xffffffff81000000.
 */
import type { Kernel } from '../../../src/kernel/kernel.js';
import type { Region } from '../../../src/interpreter/memory.js';
import { toHex } from '../../../src/util/hex.js';

/** Where a pointer points. `add` is a byte offset from there. */
export type PtrTo =
  | { readonly to: 'buf'; readonly buf: number; readonly add?: number }
  | { readonly to: 'null'; readonly value?: number }
  | { readonly to: 'unmapped'; readonly add?: number }
  | { readonly to: 'kernel'; readonly add?: number };

/** A value patched into the attr (`target: 'attr'`) or into buffer `target` at byte `off`. */
export type Reloc =
  | { readonly target: 'attr' | number; readonly off: number; readonly ptr: PtrTo }
  /** u32: the id of the object behind `fd` (plus `add`); `btf` objects keep it elsewhere in their info. */
  | { readonly target: 'attr' | number; readonly off: number; readonly idOfFd: number; readonly btf?: boolean; readonly add?: number };

export interface BpfStep {
  readonly type: 'bpf';
  readonly cmd: number;
  /** The size argument of bpf(2) (u32; may differ from attr.length). */
  readonly size: number;
  readonly attr: Uint8Array;
  /** Where the attr pointer points (default: the attr buffer). */
  readonly attrAt?: 'buf' | 'null' | 'unmapped' | 'kernel';
  /** User buffers: bytes, or a length of zero bytes. */
  readonly bufs?: ReadonlyArray<Uint8Array | number>;
  readonly relocs?: readonly Reloc[];
}

export type Step = BpfStep | { readonly type: 'close'; readonly fd: number } | { readonly type: 'open_devnull' };

export interface Script {
  readonly id: string;
  readonly steps: readonly Step[];
}

/** One line of the helper's protocol (see the C file). */
export function encodeScript(seq: number, s: Script): string {
  const out: string[] = ['S', String(seq), String(s.steps.length)];
  const bytes = (b: Uint8Array | number) => (typeof b === 'number' ? `z${b}` : b.length === 0 ? '-' : toHex(b));
  for (const st of s.steps) {
    if (st.type === 'close') { out.push('C', String(st.fd)); continue; }
    if (st.type === 'open_devnull') { out.push('O'); continue; }
    const at = { buf: 'b', null: 'n', unmapped: 'u', kernel: 'k' }[st.attrAt ?? 'buf'];
    out.push('B', String(st.cmd), String(st.size >>> 0), at, bytes(st.attr));
    const bufs = st.bufs ?? [];
    out.push(String(bufs.length), ...bufs.map(bytes));
    const rels = st.relocs ?? [];
    out.push(String(rels.length));
    for (const r of rels) {
      const target = r.target === 'attr' ? 'a' : String(r.target);
      if ('idOfFd' in r) {
        out.push(`${target},${r.off},${r.btf ? 'j' : 'i'},${r.idOfFd},${r.add ?? 0}`);
        continue;
      }
      const p = r.ptr;
      switch (p.to) {
        case 'buf': out.push(`${target},${r.off},b,${p.buf},${p.add ?? 0}`); break;
        case 'null': out.push(`${target},${r.off},n,0,${p.value ?? 0}`); break;
        case 'unmapped': out.push(`${target},${r.off},u,0,${p.add ?? 0}`); break;
        case 'kernel': out.push(`${target},${r.off},k,0,${p.add ?? 0}`); break;
      }
    }
  }
  return out.join(' ');
}

/** bpfsim's concrete addresses for the abstract ones. */
export interface ModelAddresses {
  /** Slot 0 of the region table is never used, so nothing is ever mapped at hi = 0x7f000000. */
  readonly unmapped: bigint;
  /** A live kernel region (user pointers into it must fault). */
  readonly kernel: bigint;
}

/** Map the kernel region that stands for "a kernel address" (do it before taking snapshots). */
export function modelAddresses(k: Kernel): ModelAddresses & { readonly region: Region } {
  const region = k.mapKernel(new Uint8Array(1 << 16), 'kernel_object', 'oracle: some kernel memory');
  return { unmapped: 0x7f000000_00000000n, kernel: region.base, region };
}

function idOf(k: Kernel, fd: number): number {
  const e = k.fdEntry(fd);
  return e?.type === 'bpf' ? e.obj.id : 0;
}

/** Run one bpf step in bpfsim: allocate, relocate, call, free. Returns bpf()'s result. */
export function runBpfStep(k: Kernel, addr: ModelAddresses, st: BpfStep): number {
  const attrBuf = k.user.alloc(st.attr, { name: 'attr' });
  const bufs = (st.bufs ?? []).map((b, i) => k.user.alloc(b, { name: `buf${i}` }));
  try {
    for (const r of st.relocs ?? []) {
      const target = r.target === 'attr' ? attrBuf.bytes : bufs[r.target].bytes;
      const dv = new DataView(target.buffer, target.byteOffset, target.byteLength);
      if ('idOfFd' in r) {
        const id = idOf(k, r.idOfFd);
        dv.setUint32(r.off, id === 0 ? 0 : (id + (r.add ?? 0)) >>> 0, true);
        continue;
      }
      const p = r.ptr;
      const v = p.to === 'buf' ? bufs[p.buf].addr + BigInt(p.add ?? 0)
        : p.to === 'null' ? BigInt(p.value ?? 0)
          : p.to === 'unmapped' ? addr.unmapped + BigInt(p.add ?? 0)
            : addr.kernel + BigInt(p.add ?? 0);
      dv.setBigUint64(r.off, BigInt.asUintN(64, v), true);
    }
    const at = st.attrAt ?? 'buf';
    const ptr = at === 'buf' ? attrBuf.addr : at === 'null' ? 0n : at === 'unmapped' ? addr.unmapped : addr.kernel;
    return k.bpf(st.cmd, ptr, st.size);
  } finally {
    for (const b of bufs) k.user.free(b.addr);
    k.user.free(attrBuf.addr);
  }
}

/** Run a script in bpfsim; one result per step, like the helper's answer. */
export function runInModel(k: Kernel, addr: ModelAddresses, s: Script): number[] {
  return s.steps.map((st) => {
    if (st.type === 'close') return k.close(st.fd);
    if (st.type === 'open_devnull') {
      const fd = k.fds.install({ type: 'other', what: '/dev/null' });
      return fd < 0 ? -24 : fd;
    }
    return runBpfStep(k, addr, st);
  });
}
