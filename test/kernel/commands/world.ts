/**
 * The "world" every command script starts from: one object of each kind the commands take, created
 * with raw bpf(2) calls in a fixed order, so the fds are the same numbers in bpfsim and in Linux
 * (lowest free fd, stdio taking 0–2). Mutated commands then refer to these fds by number.
 */
import { encodeAttr, BTF_LOAD_ATTR, MAP_CREATE_ATTR, MAP_ELEM_ATTR, MAP_FREEZE_ATTR, PROG_LOAD_ATTR, RAW_TP_OPEN_ATTR, TEST_RUN_ATTR, offsetofend } from '../../../src/kernel/attr.js';
import { readFileSync } from 'node:fs';
import { FIXTURE_KERNEL } from '../../../src/kernel/config.js';
import { Kernel, type KernelOptions } from '../../../src/kernel/kernel.js';
import { BPF_CMD, BPF_F_SLEEPABLE, BPF_MAP_TYPE, BPF_PROG_TYPE } from '../../../src/kernel/uapi.js';
import { modelAddresses, runBpfStep, type BpfStep, type ModelAddresses, type Step } from './script.js';

const C = BPF_CMD;
const M = BPF_MAP_TYPE;
const P = BPF_PROG_TYPE;

/** The world's fds. */
export const FD = {
  ARRAY: 3, HASH: 4, FROZEN: 5, PROG_ARRAY: 6, ARRAY_OF_MAPS: 7, PERCPU_ARRAY: 8,
  SOCKET_FILTER: 9, SYSCALL: 10, XDP: 11, RAW_TP: 12, BTF: 13, LINK: 14, DEVNULL: 15,
  /** Never opened. */
  CLOSED: 40,
} as const;

/** What each world step returns (the fd, or 0), in order. */
export const WORLD_RESULTS: readonly number[] = [3, 4, 0, 5, 0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0];

/** Values for an fd field: every kind of object, stdio, never-opened, negative and huge numbers. */
export const FD_CHOICES: readonly number[] = [
  FD.ARRAY, FD.HASH, FD.FROZEN, FD.PROG_ARRAY, FD.ARRAY_OF_MAPS, FD.PERCPU_ARRAY, FD.SOCKET_FILTER,
  FD.SYSCALL, FD.XDP, FD.RAW_TP, FD.BTF, FD.LINK, FD.DEVNULL, FD.CLOSED, 0, 1, 2, -1, 0x7fffffff, 1024,
];

export const MAP_CREATE_SIZE = offsetofend(MAP_CREATE_ATTR, 'excl_prog_hash_size');
export const PROG_LOAD_SIZE = offsetofend(PROG_LOAD_ATTR, 'keyring_id');

/** `r0 = imm; exit`. */
export function retImm(imm: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
  new DataView(b.buffer).setInt32(4, imm, true);
  b[8] = 0x95; // BPF_JMP | BPF_EXIT
  return b;
}

export const GPL = new TextEncoder().encode('GPL\0');

/**
 * A minimal valid BTF: one `int` (signed, 32 bits). Header (24 bytes), one INT type (16 bytes),
 * strings "\0int\0".
 */
export const INT_BTF: Uint8Array = (() => {
  const b = new Uint8Array(24 + 16 + 5);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 0xeb9f, true); b[2] = 1; b[3] = 0; dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true); dv.setUint32(12, 16, true); dv.setUint32(16, 16, true); dv.setUint32(20, 5, true);
  dv.setUint32(24, 1, true); dv.setUint32(28, 0x01000000, true); dv.setUint32(32, 4, true); dv.setUint32(36, 0x01000020, true);
  b.set([0, 0x69, 0x6e, 0x74, 0], 40);
  return b;
})();

export function mapCreateStep(type: number, keySize: number, valueSize: number, maxEntries: number, name: string, extra: Record<string, number> = {}): BpfStep {
  return {
    type: 'bpf', cmd: C.BPF_MAP_CREATE, size: MAP_CREATE_SIZE,
    attr: encodeAttr(MAP_CREATE_ATTR, { map_type: type, key_size: keySize, value_size: valueSize, max_entries: maxEntries, map_name: name, ...extra }, MAP_CREATE_SIZE),
  };
}

export function progLoadStep(type: number, insns: Uint8Array, name: string, flags = 0): BpfStep {
  return {
    type: 'bpf', cmd: C.BPF_PROG_LOAD, size: PROG_LOAD_SIZE,
    attr: encodeAttr(PROG_LOAD_ATTR, { prog_type: type, insn_cnt: insns.length / 8, prog_name: name, prog_flags: flags }, PROG_LOAD_SIZE),
    bufs: [insns, GPL],
    relocs: [{ target: 'attr', off: 8, ptr: { to: 'buf', buf: 0 } }, { target: 'attr', off: 16, ptr: { to: 'buf', buf: 1 } }],
  };
}

function elemStep(cmd: number, fd: number, key: Uint8Array, value: Uint8Array): BpfStep {
  return {
    type: 'bpf', cmd, size: 32, attr: encodeAttr(MAP_ELEM_ATTR, { map_fd: fd }, 32), bufs: [key, value],
    relocs: [{ target: 'attr', off: 8, ptr: { to: 'buf', buf: 0 } }, { target: 'attr', off: 16, ptr: { to: 'buf', buf: 1 } }],
  };
}

/** The raw tracepoint the world's link is attached to (rare, so the attached program seldom runs). */
export const WORLD_TP = 'sched_process_exec';

export const WORLD: readonly Step[] = [
  mapCreateStep(M.BPF_MAP_TYPE_ARRAY, 4, 8, 4, 'arr'),
  mapCreateStep(M.BPF_MAP_TYPE_HASH, 4, 8, 4, 'hash'),
  elemStep(C.BPF_MAP_UPDATE_ELEM, FD.HASH, new Uint8Array(4), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
  mapCreateStep(M.BPF_MAP_TYPE_ARRAY, 4, 8, 1, 'frozen'),
  { type: 'bpf', cmd: C.BPF_MAP_FREEZE, size: 4, attr: encodeAttr(MAP_FREEZE_ATTR, { map_fd: FD.FROZEN }, 4) },
  mapCreateStep(M.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 'progs'),
  mapCreateStep(M.BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 'outer', { inner_map_fd: FD.ARRAY }),
  mapCreateStep(M.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2, 'pcpu'),
  progLoadStep(P.BPF_PROG_TYPE_SOCKET_FILTER, retImm(0), 'sf'),
  progLoadStep(P.BPF_PROG_TYPE_SYSCALL, retImm(0), 'sys', BPF_F_SLEEPABLE),
  progLoadStep(P.BPF_PROG_TYPE_XDP, retImm(2), 'xdp'),
  progLoadStep(P.BPF_PROG_TYPE_RAW_TRACEPOINT, retImm(0), 'rawtp'),
  {
    type: 'bpf', cmd: C.BPF_BTF_LOAD, size: offsetofend(BTF_LOAD_ATTR, 'btf_token_fd'),
    attr: encodeAttr(BTF_LOAD_ATTR, { btf_size: INT_BTF.length }, offsetofend(BTF_LOAD_ATTR, 'btf_token_fd')),
    bufs: [INT_BTF], relocs: [{ target: 'attr', off: 0, ptr: { to: 'buf', buf: 0 } }],
  },
  {
    type: 'bpf', cmd: C.BPF_RAW_TRACEPOINT_OPEN, size: 16,
    attr: encodeAttr(RAW_TP_OPEN_ATTR, { prog_fd: FD.RAW_TP }, 16),
    bufs: [new TextEncoder().encode(`${WORLD_TP}\0`)], relocs: [{ target: 'attr', off: 0, ptr: { to: 'buf', buf: 0 } }],
  },
  { type: 'open_devnull' },
  // One program run, so that bpfsim's interpreter has its stack before any test (a later run that
  // fails after running the program must not look like a change of kernel state).
  { type: 'bpf', cmd: C.BPF_PROG_TEST_RUN, size: 80, attr: encodeAttr(TEST_RUN_ATTR, { prog_fd: FD.SYSCALL }, 80) },
];

/** This machine's possible CPUs (num_possible_cpus: per-CPU value sizes, test-run CPU numbers). */
function possibleCpus(): number {
  try {
    let n = 0;
    for (const part of readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a + 1;
    }
    return n > 0 ? n : 2;
  } catch {
    return 2;
  }
}

/**
 * The kernel the differential runs against is this machine's: 6.18.y built without
 * CONFIG_SYSTEM_DATA_VERIFICATION, like the fixtures' VM (signing.md §0, fixtures/README.md),
 * with this machine's number of possible CPUs.
 */
export const ORACLE_KERNEL: KernelOptions = { ...FIXTURE_KERNEL, nrCpus: possibleCpus() };

/** A bpfsim kernel with the world built (and its addresses); throws if the world does not build. */
export function modelWorld(opts: KernelOptions = ORACLE_KERNEL): { k: Kernel; addr: ModelAddresses } {
  const k = new Kernel(opts);
  const addr = modelAddresses(k);
  WORLD.forEach((st, i) => {
    let r: number;
    if (st.type === 'bpf') {
      r = runBpfStep(k, addr, st);
    } else if (st.type === 'open_devnull') {
      r = k.fds.install({ type: 'other', what: '/dev/null' });
    } else {
      r = k.close(st.fd);
    }
    if (r !== WORLD_RESULTS[i]) throw new Error(`world step ${i} returned ${r}, expected ${WORLD_RESULTS[i]}`);
  });
  return { k, addr };
}
