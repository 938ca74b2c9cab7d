/**
 * Programs for `bpfsim verify` that need more than bytes: a program of a BPF ELF object (relocated
 * the way libbpf relocates it: BTF-defined maps and global data become MAP_FD / MAP_VALUE
 * ld_imm64s, .text subprograms are appended, known kfuncs get BTF ids), and an inner program of a
 * light skeleton, verified after its loader ran in a modelled kernel.
 */
import { ERRNO } from '../../errno.js';
import { decode, type Program } from '../../isa/program.js';
import { Kernel } from '../../kernel/kernel.js';
import { mapDescriptor } from '../../kernel/verifier-adapter.js';
import type { Btf } from '../../kernel/btf/btf.js';
import { parseBpfObject, type BpfObjectFile, type BpfProgramSection } from '../../skeleton/elf-bpf.js';
import { LightSkeleton } from '../../skeleton/light-skeleton.js';
import { parseLskel } from '../../skeleton/lskel-parse.js';
import {
  BPF_MAP_TYPE, BPF_PROG_TYPE, type KfuncProto, type MapDescriptor, type VerifyRequest,
} from '../../verifier/index.js';

/** A verifiable program and what to print about it. */
export interface NamedRequest {
  readonly name: string;
  readonly request: Omit<VerifyRequest, 'logLevel'>;
}

export class VerifyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyInputError';
  }
}

/** libbpf section name prefixes → program type, flags, expected attach type. */
const SECTIONS: ReadonlyArray<readonly [RegExp, number, number, number]> = [
  [/^socket/, BPF_PROG_TYPE.SOCKET_FILTER, 0, 0],
  [/^(kprobe|kretprobe|uprobe|uretprobe|ksyscall|kretsyscall)(\/|$)/, BPF_PROG_TYPE.KPROBE, 0, 0],
  [/^(tc|classifier|tcx)(\/|$)/, BPF_PROG_TYPE.SCHED_CLS, 0, 0],
  [/^action(\/|$)/, BPF_PROG_TYPE.SCHED_ACT, 0, 0],
  [/^(tracepoint|tp)\//, BPF_PROG_TYPE.TRACEPOINT, 0, 0],
  [/^(raw_tracepoint|raw_tp)\//, BPF_PROG_TYPE.RAW_TRACEPOINT, 0, 0],
  [/^(raw_tracepoint\.w|raw_tp\.w)\//, BPF_PROG_TYPE.RAW_TRACEPOINT_WRITABLE, 0, 0],
  [/^xdp(\/|\.frags|$)/, BPF_PROG_TYPE.XDP, 0, 0],
  [/^perf_event/, BPF_PROG_TYPE.PERF_EVENT, 0, 0],
  [/^cgroup_skb\/egress/, BPF_PROG_TYPE.CGROUP_SKB, 0, 1],
  [/^cgroup_skb\//, BPF_PROG_TYPE.CGROUP_SKB, 0, 0],
  [/^tp_btf\//, BPF_PROG_TYPE.TRACING, 0, 23],
  [/^fentry(\.s)?\//, BPF_PROG_TYPE.TRACING, 0, 24],
  [/^fexit(\.s)?\//, BPF_PROG_TYPE.TRACING, 0, 25],
  [/^lsm(\.s)?\//, BPF_PROG_TYPE.LSM, 0, 27],
  [/^syscall/, BPF_PROG_TYPE.SYSCALL, 16, 0],
];

/** kfuncs bpfsim models, by name (BTF ids are assigned per object). */
const KNOWN_KFUNCS: ReadonlyMap<string, KfuncProto> = new Map([
  ['bpf_rcu_read_lock', { name: 'bpf_rcu_read_lock', nargs: 0, ret: 'void', rcu: 'lock' }],
  ['bpf_rcu_read_unlock', { name: 'bpf_rcu_read_unlock', nargs: 0, ret: 'void', rcu: 'unlock' }],
]);

interface ObjMap {
  readonly name: string;
  readonly desc: MapDescriptor;
}

/** The int a BTF map definition member encodes as `int (*name)[N]` (libbpf get_map_field_int). */
function mapFieldInt(btf: Btf, memberType: number): number | null {
  const ptr = btf.type(memberType);
  if (ptr?.kind !== 'PTR') return null;
  const arr = btf.type(ptr.type);
  return arr?.kind === 'ARRAY' ? arr.nelems : null;
}

function mapsOf(obj: BpfObjectFile, objName: string): ObjMap[] {
  const out: ObjMap[] = [];
  const btf = obj.btf;
  if (obj.mapsSection !== null) {
    if (btf === null) throw new VerifyInputError('.maps without BTF: cannot read the map definitions');
    const sec = btf.findByNameKind('.maps', 'DATASEC');
    const datasec = sec > 0 ? btf.type(sec) : undefined;
    if (datasec?.kind !== 'DATASEC') throw new VerifyInputError('no .maps DATASEC in BTF');
    for (const vi of datasec.vars) {
      const v = btf.type(vi.type);
      if (v?.kind !== 'VAR') continue;
      const st = btf.type(btf.skipModifiers(v.type));
      if (st?.kind !== 'STRUCT') continue;
      let mapType = 0, maxEntries = 0, flags = 0, keySize = 0, valueSize = 0;
      for (const m of st.members) {
        const n = mapFieldInt(btf, m.type);
        if (m.name === 'type' && n !== null) mapType = n;
        else if (m.name === 'max_entries' && n !== null) maxEntries = n;
        else if (m.name === 'map_flags' && n !== null) flags = n;
        else if (m.name === 'key_size' && n !== null) keySize = n;
        else if (m.name === 'value_size' && n !== null) valueSize = n;
        else if (m.name === 'key' || m.name === 'value') {
          const ptr = btf.type(m.type);
          const size = ptr?.kind === 'PTR' ? btf.resolveSize(ptr.type) : null;
          if (size !== null) { if (m.name === 'key') keySize = size; else valueSize = size; }
        }
      }
      out.push({
        name: v.name,
        desc: {
          id: out.length + 1, mapType, keySize, valueSize, maxEntries, mapFlags: flags, name: v.name,
          exclProgSha: null, frozen: false, innerMap: null,
        },
      });
    }
  }
  const prefix = objName.slice(0, 8);
  for (const d of obj.dataSections) {
    const rodata = d.kind === 'rodata';
    out.push({
      name: d.name,
      desc: {
        id: out.length + 1, mapType: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: d.size, maxEntries: 1,
        mapFlags: rodata ? 0x480 : 0x400, name: `${prefix}${d.name}`.slice(0, 15), exclProgSha: null,
        frozen: rodata, innerMap: null, ...(rodata ? { readOnlyValue: d.data.slice() } : {}),
      },
    });
  }
  return out;
}

/** Relocate one program section into a Program (libbpf bpf_object__relocate). */
function relocate(sec: BpfProgramSection, text: BpfProgramSection | null, maps: ObjMap[], kfuncIds: Map<string, number>): Program {
  const usesText = text !== null && sec.relocations.some((r) => r.target === 'subprog' && r.symbolSection === '.text');
  const bytes = new Uint8Array(sec.insns.length + (usesText && text ? text.insns.length : 0));
  bytes.set(sec.insns, 0);
  if (usesText && text) bytes.set(text.insns, sec.insns.length);
  const dv = new DataView(bytes.buffer);
  const fdOf = (name: string): number => {
    const i = maps.findIndex((m) => m.name === name);
    if (i < 0) throw new VerifyInputError(`relocation against unknown map or section '${name}'`);
    return i + 3;
  };
  const apply = (s: BpfProgramSection, base: number) => {
    for (const r of s.relocations) {
      const i = base + r.insnIndex, at = i * 8;
      const setSrc = (src: number) => { bytes[at + 1] = (bytes[at + 1] & 0x0f) | (src << 4); };
      if (r.target === 'map') {
        setSrc(1);
        dv.setInt32(at + 4, fdOf(r.symbol.name), true);
      } else if (r.target === 'global-data') {
        const addend = dv.getInt32(at + 4, true) + r.symbol.value;
        setSrc(2);
        dv.setInt32(at + 4, fdOf(r.symbolSection!), true);
        dv.setInt32(at + 12, addend, true);
      } else if (r.target === 'subprog') {
        const targetBase = r.symbolSection === '.text' ? sec.insnCnt : base;
        const target = targetBase + r.symbol.value / 8 + dv.getInt32(at + 4, true) + 1;
        if (bytes[at] === 0x85) setSrc(1);
        dv.setInt32(at + 4, target - (i + 1), true);
      } else if (r.target === 'extern') {
        if (bytes[at] !== 0x85) throw new VerifyInputError(`extern '${r.symbol.name}' (ksym) is not supported`);
        if (!KNOWN_KFUNCS.has(r.symbol.name)) throw new VerifyInputError(`kfunc '${r.symbol.name}' is not modelled`);
        let id = kfuncIds.get(r.symbol.name);
        if (id === undefined) kfuncIds.set(r.symbol.name, (id = 1000 + kfuncIds.size));
        setSrc(2);
        dv.setInt32(at + 4, id, true);
      }
    }
  };
  apply(sec, 0);
  if (usesText && text) apply(text, sec.insnCnt);
  return decode(bytes);
}

/** The programs of a BPF object (one per program section function; --prog picks by name). */
export function objectPrograms(bytes: Uint8Array, objName: string): NamedRequest[] {
  let obj: BpfObjectFile;
  try {
    obj = parseBpfObject(bytes);
  } catch (e) {
    throw new VerifyInputError(`not a BPF object: ${e instanceof Error ? e.message : String(e)}`);
  }
  const maps = mapsOf(obj, objName);
  const text = obj.programs.find((p) => p.name === '.text') ?? null;
  const kfuncIds = new Map<string, number>();
  const out: NamedRequest[] = [];
  const gpl = obj.license !== null && /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(obj.license);
  for (const sec of obj.programs) {
    if (sec.name === '.text') continue;
    const t = SECTIONS.find(([re]) => re.test(sec.name));
    const program = relocate(sec, text, maps, kfuncIds);
    const name = sec.functions[0]?.name ?? sec.name;
    out.push({
      name,
      request: {
        program, progType: t?.[1] ?? 0, progFlags: t?.[2] ?? 0, expectedAttachType: t?.[3] ?? 0,
        attachBtfId: t !== undefined && (t[1] === BPF_PROG_TYPE.TRACING || t[1] === BPF_PROG_TYPE.LSM) ? 1 : 0,
        gplCompatible: gpl,
        resolveMapFd: (fd) => maps[fd - 3]?.desc ?? { errno: ERRNO.EBADF },
        kfuncs: (id) => {
          for (const [n, i] of kfuncIds) if (i === id) return KNOWN_KFUNCS.get(n) ?? null;
          return null;
        },
      },
    });
  }
  return out;
}

/**
 * The inner programs of a light skeleton, after its loader ran in a fresh modelled kernel: each
 * loaded program is verified again with the maps the loader created (its fd_array rebuilt from the
 * skeleton's map fds). A program the kernel refused is reported with the loader's outcome.
 */
export function lskelPrograms(source: string, path: string): { programs: NamedRequest[]; loadError: string | null } {
  const model = parseLskel(source, path);
  const k = new Kernel();
  const skel = LightSkeleton.open(k, model);
  const outcome = skel.load({ stripSignature: true });
  const loadError = outcome.skelLoad === 0 ? null
    : `the skeleton did not load: ${outcome.errno ?? ''} ${outcome.errstr ?? ''} (failed at ${outcome.failedAt ?? '?'})`;
  const sdv = new DataView(skel.skel.bytes.buffer, skel.skel.bytes.byteOffset, skel.skel.bytes.byteLength);
  const mapFds = model.skeleton.maps.map((m) => sdv.getInt32(m.mapFdOffset, true));
  const programs: NamedRequest[] = [];
  for (const p of k.objects.progs.live.values()) {
    if (p.name === '__loader.prog' || p.name.startsWith('__loader')) continue;
    programs.push({
      name: p.name,
      request: {
        program: decode(p.insns), progType: p.progType, progFlags: p.progFlags, expectedAttachType: p.expectedAttachType,
        attachBtfId: p.attachBtfId, gplCompatible: p.gplCompatible, caps: k.config.caps, nrCpuIds: k.config.nrCpus,
        resolveMapFd: (fd) => {
          const e = k.fdEntry(fd);
          if (!e) return { errno: ERRNO.EBADF };
          if (e.type !== 'bpf' || e.obj.kind !== 'map') return { errno: ERRNO.EINVAL };
          return mapDescriptor(k, e.obj);
        },
        fdArray: { read: (i) => (i < mapFds.length ? mapFds[i] : 0) },
        kfuncs: (id) => k.kfuncProto(id),
      },
    });
  }
  return { programs, loadError };
}
