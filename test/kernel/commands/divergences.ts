/**
 * Where bpfsim and Linux 6.18 give different results for the same raw bpf(2) call, and why. Each
 * rule is narrow (it names the command, the attr condition and the two results it allows), so a new
 * modelling bug is not hidden by an old explanation. README's "Differences from Linux" lists these.
 */
import { BPF_CMD, BPF_PROG_TYPE } from '../../../src/kernel/uapi.js';
import { ERRNO } from '../../../src/errno.js';
import type { BpfStep } from './script.js';
import { MODELLED_MAP_TYPES } from '../../../src/kernel/maps/create.js';

export interface Divergence {
  readonly rule: string;
  readonly why: string;
}

const C = BPF_CMD;
const P = BPF_PROG_TYPE;

/** The attr bytes the kernel sees: min(size, attr length), zero-extended. */
function seen(st: BpfStep): DataView {
  const n = Math.min(st.size >>> 0, st.attr.length, 168);
  const b = new Uint8Array(168);
  b.set(st.attr.subarray(0, n));
  return new DataView(b.buffer);
}

function attrPtrRelocs(st: BpfStep): Array<{ off: number; live: boolean }> {
  return (st.relocs ?? []).filter((r) => r.target === 'attr' && 'ptr' in r).map((r) => ({
    off: r.off,
    live: 'ptr' in r && r.ptr.to !== 'null',
  }));
}

const ID_CMDS: ReadonlySet<number> = new Set([
  C.BPF_MAP_GET_FD_BY_ID, C.BPF_PROG_GET_FD_BY_ID, C.BPF_BTF_GET_FD_BY_ID, C.BPF_LINK_GET_FD_BY_ID,
  C.BPF_MAP_GET_NEXT_ID, C.BPF_PROG_GET_NEXT_ID, C.BPF_BTF_GET_NEXT_ID, C.BPF_LINK_GET_NEXT_ID,
]);

/**
 * Program types whose load of `r0 = 0; exit` Linux and bpfsim judge differently for reasons outside
 * the bpf() command layer: attach-target validation in the verifier (check_attach_btf_id against
 * this kernel's vmlinux BTF ids, which bpfsim's built-in vmlinux BTF does not share; struct_ops;
 * freplace needing a target program; LSM hooks) and a program type this kernel is built without.
 */
export const PROG_TYPE_GAPS: Readonly<Record<number, string>> = {
  [P.BPF_PROG_TYPE_LIRC_MODE2]: 'this kernel is built without CONFIG_BPF_LIRC_MODE2 (find_prog_type: EINVAL); bpfsim knows every 6.18 type',
  [P.BPF_PROG_TYPE_TRACING]: 'attach_btf_id names a vmlinux BTF type: bpfsim has its own small vmlinux BTF, so ids mean different functions',
  [P.BPF_PROG_TYPE_STRUCT_OPS]: 'check_struct_ops_btf_id (ENOTSUPP without a struct_ops type) is not modelled by bpfsim\'s verifier',
  [P.BPF_PROG_TYPE_EXT]: 'freplace programs need a target program (EPERM / EINVAL in check_attach_btf_id); not modelled by bpfsim\'s verifier',
  [P.BPF_PROG_TYPE_LSM]: 'LSM programs are checked against the kernel\'s LSM hooks (EPERM here); not modelled by bpfsim\'s verifier',
};

/** The buffer an attr pointer at `off` points to (with its offset applied), if it is one of the step's. */
function bufferAt(st: BpfStep, off: number): Uint8Array | null {
  const r = (st.relocs ?? []).find((x) => x.target === 'attr' && x.off === off && 'ptr' in x);
  if (!r || !('ptr' in r) || r.ptr.to !== 'buf') return null;
  const b = st.bufs?.[r.ptr.buf];
  if (b === undefined) return null;
  const bytes = typeof b === 'number' ? new Uint8Array(b) : b;
  return bytes.subarray(Math.min(bytes.length, r.ptr.add ?? 0));
}

export function explain(st: BpfStep, real: number, model: number): Divergence | null {
  const a = seen(st);
  const size = st.size >>> 0;

  // A size that cuts a pointer: Linux user addresses are below 2^47, so their top bytes are zero
  // and a cut pointer still points where it did; bpfsim's user addresses are 0x7f00xxxx_xxxxxxxx.
  if (attrPtrRelocs(st).some((p) => p.live && size > p.off && size < p.off + 8)) {
    return { rule: 'pointer-cut-by-size', why: 'bpfsim user addresses use all 64 bits; a size that cuts a pointer keeps a Linux user address valid' };
  }
  if (st.cmd === C.BPF_OBJ_GET_INFO_BY_FD && size >= 8) {
    const infoLen = a.getUint32(4, true);
    const infoTarget = (st.relocs ?? []).find((r) => r.target === 'attr' && r.off === 8 && 'ptr' in r && r.ptr.to === 'buf');
    const buf = infoTarget && 'ptr' in infoTarget && infoTarget.ptr.to === 'buf' ? infoTarget.ptr.buf : -1;
    if ((st.relocs ?? []).some((r) => r.target === buf && 'ptr' in r && r.ptr.to !== 'null' && infoLen > r.off && infoLen < r.off + 8)) {
      return { rule: 'pointer-cut-by-info_len', why: 'an info_len that cuts a pointer inside the info struct: as for pointer-cut-by-size' };
    }
  }

  // Ids: Linux's are system-wide (other programs' objects exist, and ids keep growing), bpfsim's
  // start at 1 in each kernel. Only ids taken from the world's objects mean the same in both.
  if (ID_CMDS.has(st.cmd)) {
    const idReloc = (st.relocs ?? []).some((r) => r.target === 'attr' && r.off === 0 && 'idOfFd' in r) && size >= 4;
    const id = size >= 4 ? a.getUint32(0, true) : a.getUint32(0, true) & ((1 << (8 * size)) - 1);
    const enoent = -ERRNO.ENOENT;
    if (!idReloc && id > 0 && id < 0x7ffffffe && (real === enoent || model === enoent)) {
      return { rule: 'id-space', why: `id ${id} is some other object in Linux's system-wide id space and none in bpfsim's` };
    }
  }

  // Network devices: bpfsim has one, lo (ifindex 1); this machine has others.
  if (st.cmd === C.BPF_PROG_TEST_RUN && model === -ERRNO.ENODEV) {
    const ctx = bufferAt(st, 48);
    const dv = ctx ? new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength) : null;
    if (dv && ((dv.byteLength >= 16 && dv.getUint32(12, true) > 1) || (dv.byteLength >= 44 && dv.getUint32(40, true) > 1))) {
      return { rule: 'only-lo', why: 'the context names a network device other than lo, the only one bpfsim has' };
    }
  }
  // No JIT: bpfsim reports jited_prog_len 0 and writes no JIT image, ksyms or func lens, where
  // Linux copies them to the pointers the caller gave (EFAULT for bad ones).
  if (st.cmd === C.BPF_OBJ_GET_INFO_BY_FD && real === -ERRNO.EFAULT && model >= 0 && size >= 8) {
    const info = bufferAt(st, 8);
    const len = Math.min(a.getUint32(4, true), info?.length ?? 0);
    const dv = info ? new DataView(info.buffer, info.byteOffset, info.byteLength) : null;
    // Pointer-valued relocations inside the buffer count as non-zero bytes there.
    const infoReloc = (st.relocs ?? []).find((x) => x.target === 'attr' && x.off === 8 && 'ptr' in x);
    const infoBuf = infoReloc && 'ptr' in infoReloc && infoReloc.ptr.to === 'buf' ? infoReloc.ptr.buf : -1;
    const relocated = (off: number) => (st.relocs ?? []).some((x) => x.target === infoBuf && x.off < off + 4 && x.off + 8 > off &&
      !('ptr' in x && x.ptr.to === 'null' && !x.ptr.value));
    const nz = (off: number) => dv !== null && off + 4 <= len && (dv.getUint32(off, true) !== 0 || relocated(off));
    if (nz(16) || nz(104) || nz(108) || nz(168)) return { rule: 'no-jit', why: 'bpfsim has no JIT: jited_prog_len, nr_jited_ksyms and nr_jited_func_lens ask for nothing it writes' };
  }

  // Map types bpfsim does not implement are EINVAL (as an unknown type is in Linux).
  if (st.cmd === C.BPF_MAP_CREATE && model === -ERRNO.EINVAL && !MODELLED_MAP_TYPES.has(a.getUint32(0, true))) {
    return { rule: 'map-type-not-modelled', why: `map type ${a.getUint32(0, true)} is not modelled by bpfsim (EINVAL)` };
  }

  if (st.cmd === C.BPF_PROG_LOAD && size >= 4) {
    const type = a.getUint32(0, true);
    if (type in PROG_TYPE_GAPS) return { rule: `prog-type-${type}`, why: PROG_TYPE_GAPS[type] };
  }
  return null;
}
