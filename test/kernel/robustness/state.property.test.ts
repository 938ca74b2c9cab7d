/**
 * A failed bpf() leaves the kernel exactly as it was. fast-check throws random commands at a kernel
 * holding one object of every kind (test/kernel/commands/world.ts): garbage attrs, structured
 * mutations of valid ones, sizes from 0 to 2^32-1, pointers to nothing, to user buffers, to kernel
 * memory, fds of every kind. For each call:
 *  - nothing escapes Kernel.bpf but its return value (no JS exception);
 *  - the result is 0, an open fd, or minus an errno Linux's bpf() returns;
 *  - after a failure, kernel.snapshot() is unchanged by diffSnapshots (fds, objects with their ids
 *    and refcounts, charged memory, user allocations, live regions).
 * And: failed creations consume no ids (Linux allocates ids only once an object is complete).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRNO, errnoName } from '../../../src/errno.js';
import { BPF_CMD } from '../../../src/kernel/uapi.js';
import { diffSnapshots } from '../../../src/kernel/snapshot.js';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { BASES, Rng, mutate } from '../commands/corpus.js';
import { runBpfStep, type BpfStep, type ModelAddresses } from '../commands/script.js';
import { FD_CHOICES, ORACLE_KERNEL, WORLD, mapCreateStep, modelWorld, progLoadStep, retImm } from '../commands/world.js';
import { FUZZ_SEED, scaled } from '../commands/scale.js';

/** The errnos Linux 6.18's bpf(2) can return (bpf(2), kernel/bpf/*.c, the signature path). */
const LINUX_BPF_ERRNOS: ReadonlySet<number> = new Set([
  'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'ENXIO', 'E2BIG', 'EBADF', 'EAGAIN', 'ENOMEM', 'EACCES', 'EFAULT', 'EBUSY',
  'EEXIST', 'ENODEV', 'EINVAL', 'EMFILE', 'ENOSPC', 'ERANGE', 'ELOOP', 'EPROTO', 'EBADMSG', 'EOVERFLOW', 'EBADFD',
  'EOPNOTSUPP', 'ENOTSUPP', 'ENOKEY', 'EKEYEXPIRED', 'EKEYREVOKED', 'EKEYREJECTED', 'ENOPKG',
].map((n) => ERRNO[n as keyof typeof ERRNO]));

const C = BPF_CMD;
const IMPLEMENTED = [
  C.BPF_MAP_CREATE, C.BPF_MAP_LOOKUP_ELEM, C.BPF_MAP_UPDATE_ELEM, C.BPF_MAP_DELETE_ELEM, C.BPF_MAP_GET_NEXT_KEY,
  C.BPF_PROG_LOAD, C.BPF_PROG_TEST_RUN, C.BPF_PROG_GET_NEXT_ID, C.BPF_MAP_GET_NEXT_ID, C.BPF_PROG_GET_FD_BY_ID,
  C.BPF_MAP_GET_FD_BY_ID, C.BPF_OBJ_GET_INFO_BY_FD, C.BPF_RAW_TRACEPOINT_OPEN, C.BPF_BTF_LOAD, C.BPF_BTF_GET_FD_BY_ID,
  C.BPF_MAP_FREEZE, C.BPF_BTF_GET_NEXT_ID, C.BPF_LINK_CREATE, C.BPF_LINK_GET_FD_BY_ID, C.BPF_LINK_GET_NEXT_ID,
];

/** Small: a failing call must not make bpfsim allocate much either. */
const KERNEL = { ...ORACLE_KERNEL, memoryLimit: 64 << 20 };

/** Where a pointer written into an attr or a buffer points. */
type PtrSpec =
  | { readonly kind: 'null' }
  | { readonly kind: 'small'; readonly v: number }
  | { readonly kind: 'unmapped'; readonly off: number }
  | { readonly kind: 'user'; readonly buf: number; readonly off: number }
  | { readonly kind: 'kernel'; readonly region: number; readonly off: number }
  | { readonly kind: 'random'; readonly v: bigint };

const ptrArb: fc.Arbitrary<PtrSpec> = fc.oneof(
  fc.constant({ kind: 'null' as const }),
  fc.record({ kind: fc.constant('small' as const), v: fc.integer({ min: 1, max: 0x10000 }) }),
  fc.record({ kind: fc.constant('unmapped' as const), off: fc.nat(0xffff) }),
  fc.record({ kind: fc.constant('user' as const), buf: fc.nat(3), off: fc.oneof(fc.constant(0), fc.nat(300)) }),
  fc.record({ kind: fc.constant('kernel' as const), region: fc.nat(), off: fc.nat(256) }),
  fc.record({ kind: fc.constant('random' as const), v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
);

interface GarbageCall {
  readonly mode: 'garbage';
  readonly cmd: number;
  readonly attr: Uint8Array;
  readonly size: number;
  /** 8-byte pointers written into the attr at these offsets. */
  readonly ptrs: ReadonlyArray<{ readonly off: number; readonly to: PtrSpec }>;
  /** fds written as u32 at these offsets. */
  readonly fds: ReadonlyArray<{ readonly off: number; readonly fd: number }>;
  readonly bufs: readonly Uint8Array[];
  readonly attrAt: 'user' | 'null' | 'unmapped' | 'kernel';
}

interface MutatedCall {
  readonly mode: 'mutated';
  readonly base: number;
  readonly seed: number;
}

const sizeArb = (len: number) => fc.oneof(
  { weight: 4, arbitrary: fc.constant(len) },
  { weight: 2, arbitrary: fc.nat(300) },
  { weight: 1, arbitrary: fc.constantFrom(0, 4096, 4097, 0xffffffff) },
  { weight: 1, arbitrary: fc.nat({ max: 0xffffffff }) },
);

const garbageArb: fc.Arbitrary<GarbageCall> = fc.record({
  cmd: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...IMPLEMENTED) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 64 }) }, { weight: 1, arbitrary: fc.integer() }),
  attr: fc.uint8Array({ maxLength: 200 }),
  ptrs: fc.array(fc.record({ slot: fc.nat(20), to: ptrArb }), { maxLength: 4 }),
  fds: fc.array(fc.record({ slot: fc.nat(49), fd: fc.constantFrom(...FD_CHOICES) }), { maxLength: 3 }),
  bufs: fc.array(fc.uint8Array({ maxLength: 512 }), { minLength: 4, maxLength: 4 }),
  attrAt: fc.constantFrom('user', 'user', 'user', 'user', 'null', 'unmapped', 'kernel'),
}).chain((r) => sizeArb(r.attr.length).map((size) => {
  // Zero runs are likelier to pass the early checks; keep half of the attrs mostly zero.
  return {
    mode: 'garbage' as const, cmd: r.cmd, attr: r.attr, size, attrAt: r.attrAt, bufs: r.bufs,
    ptrs: r.ptrs.map((p) => ({ off: p.slot * 8, to: p.to })).filter((p) => p.off + 8 <= r.attr.length),
    fds: r.fds.map((f) => ({ off: f.slot * 4, fd: f.fd })).filter((f) => f.off + 4 <= r.attr.length),
  };
}));

const mutatedArb: fc.Arbitrary<MutatedCall> = fc.record({
  mode: fc.constant('mutated' as const), base: fc.nat(BASES.length - 1), seed: fc.nat(),
});

const callArb = fc.oneof(garbageArb, mutatedArb);

function ptrValue(k: Kernel, p: PtrSpec, addr: ModelAddresses, bufs: readonly bigint[]): bigint {
  switch (p.kind) {
    case 'null': return 0n;
    case 'small': return BigInt(p.v);
    case 'unmapped': return addr.unmapped + BigInt(p.off);
    case 'user': return bufs[p.buf] + BigInt(p.off);
    case 'kernel': {
      const regions = k.space.live().filter((r) => r.kernel);
      return regions[p.region % regions.length].base + BigInt(p.off);
    }
    case 'random': return p.v;
  }
}

/** BPF_PROG_TEST_RUN's repeat: a huge one runs the program that often, as in Linux (too slow here). */
function clampRepeat(cmd: number, attr: Uint8Array): void {
  if (cmd === C.BPF_PROG_TEST_RUN && attr.length >= 36) new DataView(attr.buffer, attr.byteOffset).setUint32(32, attr[32] & 0x3, true);
}

/** Issue the call in bpfsim; returns bpf()'s result. Buffers are allocated before `before` is taken. */
function issue(k: Kernel, addr: ModelAddresses, c: GarbageCall | MutatedCall, check: (run: () => number) => number): number {
  if (c.mode === 'mutated') {
    const { step } = mutate(new Rng(c.seed), BASES[c.base]);
    clampRepeat(step.cmd, step.attr);
    return check(() => runBpfStep(k, addr, step));
  }
  const user = c.bufs.map((b) => k.user.alloc(b, { name: 'fuzz buffer' }));
  const attr = c.attr.slice();
  const dv = new DataView(attr.buffer);
  for (const p of c.ptrs) dv.setBigUint64(p.off, BigInt.asUintN(64, ptrValue(k, p.to, addr, user.map((u) => u.addr))), true);
  for (const f of c.fds) dv.setInt32(f.off, f.fd, true);
  clampRepeat(c.cmd, attr);
  const a = k.user.alloc(attr, { name: 'fuzz attr' });
  try {
    const at = c.attrAt === 'user' ? a.addr : c.attrAt === 'null' ? 0n : c.attrAt === 'unmapped' ? addr.unmapped : addr.kernel;
    return check(() => k.bpf(c.cmd, at, c.size));
  } finally {
    k.user.free(a.addr);
    for (const u of user) k.user.free(u.addr);
  }
}

describe('a failed bpf() changes nothing', () => {
  it('random commands: no exception, Linux errnos only, and an unchanged kernel after every failure', () => {
    let world = modelWorld(KERNEL);
    let failures = 0;
    let successes = 0;
    const seen = new Set<number>();
    fc.assert(fc.property(callArb, (c) => {
      const { k, addr } = world;
      k.trace.clear(); // not kernel state; it would only grow
      let ret = 0;
      issue(k, addr, c, (run) => {
        const before = k.snapshot();
        try {
          ret = run();
        } catch (e) {
          throw new Error(`Kernel.bpf threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        }
        expect(Number.isInteger(ret)).toBe(true);
        if (ret < 0) {
          expect(LINUX_BPF_ERRNOS.has(-ret), `errno ${errnoName(ret)} (${-ret}) is not one bpf() returns`).toBe(true);
          expect(diffSnapshots(before, k.snapshot())).toEqual([]);
        }
        return ret;
      });
      if (ret < 0) {
        failures++;
        seen.add(-ret);
      } else {
        successes++;
        // A success may change anything (a new fd, a frozen map, a value): start again from a clean world.
        world = modelWorld(KERNEL);
      }
    }), { numRuns: scaled(1500), seed: FUZZ_SEED });
    // The property held over both outcomes, and over many different errnos.
    expect(failures).toBeGreaterThan(successes);
    expect(successes).toBeGreaterThan(10);
    expect(seen.size).toBeGreaterThan(8);
  });

  it('failed creations consume no ids: the next map, program or BTF gets the next id', () => {
    fc.assert(fc.property(fc.array(fc.oneof(garbageArb, mutatedArb), { minLength: 1, maxLength: 8 }), (calls) => {
      const { k, addr } = modelWorld(KERNEL);
      const created = (fd: number) => {
        const e = k.fdEntry(fd);
        return e?.type === 'bpf' ? e.obj.id : -1;
      };
      const firstMap = created(runBpfStep(k, addr, mapCreateStep(2, 4, 4, 1, 'a')));
      const maxIds = () => ({
        prog: Math.max(0, ...k.objects.progs.live.keys()), btf: Math.max(0, ...k.objects.btfs.live.keys()),
      });
      const ids = maxIds();
      let allFailed = true;
      for (const c of calls) {
        k.trace.clear();
        const ret = issue(k, addr, c, (run) => run());
        if (ret >= 0) allFailed = false;
      }
      fc.pre(allFailed);
      const nextMap = created(runBpfStep(k, addr, mapCreateStep(2, 4, 4, 1, 'b')));
      expect(nextMap).toBe(firstMap + 1);
      // Programs and BTF objects: the next ones get the ids right after the world's.
      expect(created(runBpfStep(k, addr, progLoadStep(1, retImm(0), 'p')))).toBe(ids.prog + 1);
      expect(created(runBpfStep(k, addr, WORLD.find((st): st is BpfStep => st.type === 'bpf' && st.cmd === C.BPF_BTF_LOAD)!))).toBe(ids.btf + 1);
    }), { numRuns: scaled(150), seed: FUZZ_SEED + 1 });
  });
});
