/**
 * The kernel oracle itself: loading, logs (grown on ENOSPC), verified_insns, maps (creation,
 * initial elements, fd patching, freezing, read-back), test runs of syscall and packet programs,
 * batching and ordering, malformed cases, and the reasons it gives when bpf() is unavailable.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/errno.js';
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '../../src/isa/constants.js';
import { Op } from '../../src/isa/ops.js';
import { assembleInstructions, type Instruction } from '../../src/isa/program.js';
import { BPF_F_SLEEPABLE, BPF_PROG_TYPE_SYSCALL } from '../../src/testing/syscall-programs.js';
import { OracleError, oracleAvailable, runOracle, type OracleCase } from './oracle.js';

const avail = oracleAvailable();
if (!avail.ok) console.warn(`[oracle] skipped: the kernel oracle is unavailable: ${avail.reason}`);

const BPF_PROG_TYPE_SOCKET_FILTER = 1;
const BPF_PROG_TYPE_XDP = 6;
const BPF_MAP_TYPE_ARRAY = 2;
const BPF_F_RDONLY = 1 << 3;
const BPF_FUNC_map_lookup_elem = 1;
const XDP_PASS = 2;

const I = (op: Op, dst: number, src = 0, off = 0, imm = 0): Instruction => ({ op, dst, src, off, imm });
const ldMap = (dst: number, pseudo: number, valueOffset = 0): Instruction =>
  ({ op: Op.LDDW, dst, src: pseudo, off: 0, imm: 0, imm64: BigInt(valueOffset) << 32n });
const insns = (list: Instruction[]): Uint8Array => assembleInstructions(list);

function syscallCase(id: string, list: Instruction[], extra: Partial<OracleCase> = {}): OracleCase {
  return { id, progType: BPF_PROG_TYPE_SYSCALL, progFlags: BPF_F_SLEEPABLE, insns: insns(list), ...extra };
}

function u64le(bytes: Uint8Array, off: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(off, true);
}

describe('oracle availability', () => {
  const script = (url: string): string => `
    import { oracleAvailable, runOracle } from ${JSON.stringify(url)};
    const a = oracleAvailable();
    let err = '';
    try { await runOracle([]); } catch (e) { err = e.name; }
    console.log(JSON.stringify({ a, err }));`;
  const oracleUrl = pathToFileURL(new URL('./oracle.ts', import.meta.url).pathname).href;
  const child = (env: NodeJS.ProcessEnv, prefix: string[] = []): { a: { ok: boolean; reason?: string }; err: string } => {
    const cmd = [...prefix, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script(oracleUrl)];
    const out = spawnSync(cmd[0], cmd.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
    expect(out.status, out.stderr).toBe(0);
    return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { a: { ok: boolean; reason?: string }; err: string };
  };

  it('builds the helper wherever a C compiler exists (a compile error is a bug, not a reason to skip)', () => {
    expect(avail.ok || !/^cc failed/.test(avail.reason), avail.ok ? '' : avail.reason).toBe(true);
  });

  it('reports a reason, and runOracle rejects with an OracleError, when disabled', () => {
    const { a, err } = child({ BPFSIM_ORACLE: '0' });
    expect(a).toEqual({ ok: false, reason: 'disabled by BPFSIM_ORACLE=0' });
    expect(err).toBe('OracleError');
  });

  const canDropPrivileges = avail.ok && process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
  if (!canDropPrivileges) console.warn('[oracle] not checking the unprivileged reason: needs a working oracle, root and setpriv');
  it.skipIf(!canDropPrivileges)('explains EPERM for an unprivileged user', () => {
    const { a, err } = child({}, ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
    expect(a.ok).toBe(false);
    expect(a.reason).toMatch(/EPERM.*not permitted \(uid 65534/);
    expect(err).toBe('OracleError');
  });
});

describe.skipIf(!avail.ok)('the kernel oracle', () => {
  it('loads and test-runs a syscall program: retval is the low 32 bits of r0, the context comes back', async () => {
    const ctx = new Uint8Array(16);
    new DataView(ctx.buffer).setBigUint64(0, 41n, true);
    const [r] = await runOracle([syscallCase('add', [
      I(Op.LDX_DW, 2, 1, 0), I(Op.ADD64_K, 2, 0, 0, 1), I(Op.STX_DW, 1, 2, 8),
      I(Op.MOV64_K, 0, 0, 0, -2), I(Op.EXIT, 0),
    ], { run: { ctx } })]);
    expect(r.id).toBe('add');
    expect(r.load).toMatchObject({ ok: true, errno: 0, verifiedInsns: 5 });
    expect(r.run).toMatchObject({ ok: true, errno: 0, retval: 0xfffffffe });
    expect(u64le(r.run!.ctxOut, 0)).toBe(41n);
    expect(u64le(r.run!.ctxOut, 8)).toBe(42n);
  });

  it('returns the errno and the verifier log of a rejected program', async () => {
    const [r] = await runOracle([syscallCase('uninit', [I(Op.EXIT, 0)], { run: { ctx: new Uint8Array(8) } })]);
    expect(r.load.ok).toBe(false);
    expect(r.load.errno).toBe(ERRNO.EACCES);
    expect(r.load.stage).toBe('prog_load');
    expect(r.load.log).toContain('R0 !read_ok');
    expect(r.run).toBeUndefined();
  });

  it('writes no log at log level 0', async () => {
    const [r] = await runOracle([syscallCase('quiet', [I(Op.EXIT, 0)], { logLevel: 0 })]);
    expect(r.load).toMatchObject({ ok: false, errno: ERRNO.EACCES, log: '' });
  });

  it('passes the license: GPL-only helpers need a GPL-compatible one', async () => {
    // bpf_ktime_get_ns (5) is available to any license; bpf_get_current_task (35) is GPL-only.
    const list = [I(Op.CALL, 0, 0, 0, 35), I(Op.EXIT, 0)];
    const [gpl, proprietary, empty] = await runOracle([
      syscallCase('gpl', list), syscallCase('proprietary', list, { license: 'Proprietary' }), syscallCase('empty', list, { license: '' }),
    ]);
    expect(gpl.load.ok, gpl.load.log).toBe(true);
    for (const r of [proprietary, empty]) {
      expect(r.load.ok).toBe(false);
      expect(r.load.log).toContain('cannot call GPL-restricted function');
    }
  });

  it('refuses a non-sleepable syscall program with Linux’s message', async () => {
    const [r] = await runOracle([{ ...syscallCase('awake', [I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0)]), progFlags: 0 }]);
    expect(r.load).toMatchObject({ ok: false, errno: ERRNO.EINVAL });
    expect(r.load.log).toContain('Syscall programs can only be sleepable');
  });

  it('grows a too-small log buffer to the size the kernel asks for', async () => {
    const body = Array.from({ length: 30 }, (_, k) => I(Op.ADD64_K, 0, 0, 0, k));
    const [r] = await runOracle([syscallCase('long-log', [I(Op.MOV64_K, 0, 0, 0, 0), ...body, I(Op.EXIT, 0)], { logLevel: 2, logSize: 128 })]);
    expect(r.load.ok).toBe(true);
    expect(r.load.log.length).toBeGreaterThan(1000);
    expect(r.load.log).toContain('processed 32 insns');
    expect(r.load.logTrueSize).toBe(r.load.log.length + 1);
  });

  it('returns the program as the verifier rewrote it when asked', async () => {
    const list = [I(Op.MOV64_K, 0, 0, 0, 3), I(Op.EXIT, 0)];
    const [r] = await runOracle([syscallCase('xlated', list, { wantXlated: true })]);
    expect(Array.from(r.load.xlated ?? [])).toEqual(Array.from(insns(list)));
  });

  it('creates maps, fills them, patches their fds into ld_imm64 slots and reads values back', async () => {
    const key = (k: number): Uint8Array => new Uint8Array([k, 0, 0, 0]);
    const value = (v: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return b; };
    // Map 0 through BPF_PSEUDO_MAP_VALUE (element 0, offset 0; Linux allows direct value access
    // only to single-element arrays): r0 = ++*value.
    // Map 1 through BPF_PSEUDO_MAP_FD and bpf_map_lookup_elem(key 1): *value = 7.
    const list = [
      ldMap(6, BPF_PSEUDO_MAP_VALUE), // slots 0-1
      I(Op.LDX_DW, 0, 6, 0), I(Op.ADD64_K, 0, 0, 0, 1), I(Op.STX_DW, 6, 0, 0), I(Op.MOV64_X, 7, 0),
      I(Op.ST_W, 10, 0, -4, 1), I(Op.MOV64_X, 2, 10), I(Op.ADD64_K, 2, 0, 0, -4),
      ldMap(1, BPF_PSEUDO_MAP_FD), // slots 9-10
      I(Op.CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
      I(Op.JEQ_K, 0, 0, 1, 0), I(Op.ST_DW, 0, 0, 0, 7),
      I(Op.MOV64_X, 0, 7), I(Op.EXIT, 0),
    ];
    const map = { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0 };
    const [r] = await runOracle([syscallCase('maps', list, {
      maps: [
        { ...map, maxEntries: 1, slots: [0], entries: [{ key: key(0), value: value(41n) }], readKeys: [key(0), key(1)] },
        { ...map, slots: [9], readKeys: [key(0), key(1)] },
      ],
      run: { ctx: new Uint8Array(8) },
    })]);
    expect(r.load.ok, r.load.log).toBe(true);
    expect(r.run?.retval).toBe(42);
    expect(r.mapValues?.[0].map((v) => (v === null ? null : u64le(v, 0)))).toEqual([42n, null]);
    expect(r.mapValues?.[1].map((v) => (v === null ? null : u64le(v, 0)))).toEqual([0n, 7n]);
  });

  it('reports which setup step failed', async () => {
    const ok = [I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0)];
    const map = { keySize: 4, valueSize: 8, maxEntries: 1, slots: [] as number[] };
    const [badType, badEntry, noFreeze, frozen] = await runOracle([
      syscallCase('bad-type', ok, { maps: [{ ...map, type: 9999, flags: 0 }] }),
      syscallCase('bad-entry', ok, { maps: [{ ...map, type: BPF_MAP_TYPE_ARRAY, flags: 0, entries: [{ key: new Uint8Array([9, 0, 0, 0]), value: new Uint8Array(8) }] }] }),
      // A map user space may only read (BPF_F_RDONLY) cannot be frozen: EPERM.
      syscallCase('no-freeze', ok, { maps: [{ ...map, type: BPF_MAP_TYPE_ARRAY, flags: BPF_F_RDONLY, freeze: true }] }),
      syscallCase('frozen', ok, { maps: [{ ...map, type: BPF_MAP_TYPE_ARRAY, flags: 0, freeze: true }] }),
    ]);
    expect(badType.load).toMatchObject({ ok: false, errno: ERRNO.EINVAL, stage: 'map_create:0' });
    expect(badEntry.load).toMatchObject({ ok: false, errno: ERRNO.E2BIG, stage: 'map_update:0' });
    expect(noFreeze.load).toMatchObject({ ok: false, errno: ERRNO.EPERM, stage: 'map_freeze:0' });
    expect(frozen.load.ok).toBe(true);
  });

  it('test-runs packet programs with data in and data out', async () => {
    const data = Uint8Array.from({ length: 64 }, (_, k) => k);
    const [skb, xdp] = await runOracle([
      // socket filter: return skb->len
      { id: 'skb', progType: BPF_PROG_TYPE_SOCKET_FILTER, progFlags: 0, insns: insns([I(Op.LDX_W, 0, 1, 0), I(Op.EXIT, 0)]), run: { data } },
      { id: 'xdp', progType: BPF_PROG_TYPE_XDP, progFlags: 0, insns: insns([I(Op.MOV64_K, 0, 0, 0, XDP_PASS), I(Op.EXIT, 0)]), run: { data, repeat: 3 } },
    ]);
    expect(skb.load.ok, skb.load.log).toBe(true);
    // The kernel pulls the Ethernet header (ETH_HLEN = 14) before a socket filter runs.
    expect(skb.run).toMatchObject({ ok: true, retval: 64 - 14 });
    expect(skb.run!.dataOut).toHaveLength(64);
    expect(Array.from(skb.run!.dataOut.subarray(14))).toEqual(Array.from(data.subarray(14)));
    expect(xdp.run).toMatchObject({ ok: true, retval: XDP_PASS });
    expect(Array.from(xdp.run!.dataOut)).toEqual(Array.from(data));
  });

  it('reports a failed test run with its errno (a syscall program takes no repeat count)', async () => {
    const [r] = await runOracle([syscallCase('repeat', [I(Op.MOV64_K, 0, 0, 0, 0), I(Op.EXIT, 0)], { run: { ctx: new Uint8Array(8), repeat: 2 } })]);
    expect(r.load.ok).toBe(true);
    expect(r.run).toMatchObject({ ok: false, errno: ERRNO.EINVAL });
  });

  it('answers batches in input order, also when batches overlap', async () => {
    const batch = (tag: string, n: number): OracleCase[] => Array.from({ length: n }, (_, k) =>
      syscallCase(`${tag}${k}`, [I(Op.MOV64_K, 0, 0, 0, k), I(Op.EXIT, 0)], { logLevel: 0, run: {} }));
    const [a, b] = await Promise.all([runOracle(batch('a', 300)), runOracle(batch('b', 200))]);
    expect(a.map((r) => r.id)).toEqual(batch('a', 300).map((c) => c.id));
    expect(a.map((r) => r.run?.retval)).toEqual(Array.from({ length: 300 }, (_, k) => k));
    expect(b.map((r) => r.run?.retval)).toEqual(Array.from({ length: 200 }, (_, k) => k));
    expect(await runOracle([])).toEqual([]);
  });

  it('rejects malformed cases with an OracleError and keeps working', async () => {
    const bad = { ...syscallCase('odd', [I(Op.EXIT, 0)]), insns: new Uint8Array(7) };
    await expect(runOracle([bad])).rejects.toBeInstanceOf(OracleError);
    await expect(runOracle([syscallCase('slot', [I(Op.EXIT, 0)], { maps: [{ type: 2, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, slots: [5] }] })]))
      .rejects.toThrow(/slot 5 is outside the program/);
    await expect(runOracle([syscallCase('neg', [I(Op.EXIT, 0)], { logSize: -1 })])).rejects.toThrow(/logSize must be a u32/);
    const [r] = await runOracle([syscallCase('after', [I(Op.MOV64_K, 0, 0, 0, 9), I(Op.EXIT, 0)], { run: {} })]);
    expect(r.run?.retval).toBe(9);
  });
});
