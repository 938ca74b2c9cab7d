/**
 * `bpfsim verify`, run in-process through its commander registration with a captured CliIo:
 * raw .bin, both assembly syntaxes, BPF ELF objects, light skeletons (--prog), --json statistics,
 * --log-level, and the --jsonl batch mode of the issue.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { register } from '../../src/cli/commands/verify.js';
import { FIXTURES } from '../support/paths.js';
import { LABELS_PATH } from './corpus/paths.js';
import { expectedObjects } from './support/fixture-programs.js';

interface Run { code: number; out: string; err: string }

async function verifyCli(args: string[], stdin = ''): Promise<Run> {
  let out = '', err = '', code = 0;
  const io: CliIo = {
    out: (t) => { out += t; },
    err: (t) => { err += t; },
    readInput: async (p) => (p === '-' ? Buffer.from(stdin) : readFileSync(p)),
    lines: (p) => (async function* () {
      for (const l of (p === '-' ? stdin : readFileSync(p, 'utf8')).split('\n')) yield l;
    })(),
    setExit: (c) => { code = c; },
  };
  const program = new Command('bpfsim').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  register(program, io);
  try {
    await program.parseAsync(['verify', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode || 2;
  }
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'bpfsim-verify-'));
function file(name: string, content: string | Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('bpfsim verify <file>', () => {
  it('verifies raw .bin slots and prints the log, the stats line and the verdict', async () => {
    // r0 = 0; exit
    const r = await verifyCli([file('ok.bin', Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]))]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\nverdict: accept\n');
  });

  it('rejects with Linux\'s message and exit status 1 (conformance assembly)', async () => {
    const r = await verifyCli([file('bad.asm', 'mov %r1, 0\nldxdw %r0, [%r1]\nexit\n')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("R1 invalid mem access 'scalar'\n");
    expect(r.out).toContain("verdict: reject (EACCES): R1 invalid mem access 'scalar'\n");
  });

  it('reads kernel-syntax assembly, honours --type and prints level-2 states', async () => {
    const r = await verifyCli([file('k.s', 'r0 = *(u32 *)(r1 + 0)\nexit\n'), '--type', 'xdp', '--log-level', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('0: R1=ctx() R10=fp0\n');
    expect(r.out).toMatch(/0: \(61\) r0 = \*\(u32 \*\)\(r1 \+0\) +; R0=pkt\(r=0\) R1=ctx\(\)\n/);
  });

  it('--json prints veristat-style statistics', async () => {
    const r = await verifyCli([file('j.asm', 'mov %r0, 0\nexit\n'), '--json']);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(doc).toMatchObject({ prog_type: 'socket_filter', verdict: 'success', errno: 0, processed_insns: 2, total_states: 0, peak_states: 0, stack_depth: [0] });
    expect(typeof doc.duration_us).toBe('number');
  });

  it('verifies every program of a BPF ELF object with the kernel\'s counts', async () => {
    const r = await verifyCli([join(FIXTURES, 'obj', 'shared_subprog.bpf.o'), '--json']);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.out) as Array<{ prog: string; verdict: string; processed_insns: number }>;
    const expected = expectedObjects('shared_subprog').progs;
    expect(docs.map((d) => [d.prog, d.verdict, d.processed_insns]).sort()).toEqual(
      expected.map((p) => [p.name, 'success', p.verified_insns]).sort());
  });

  it('verifies an inner program of a light skeleton after its loader ran (--prog)', async () => {
    const r = await verifyCli([join(FIXTURES, 'lskel', 'maps_globals.v78.lskel.h'), '--prog', 'maps_prog', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { prog: string; verdict: string; processed_insns: number };
    expect(doc).toMatchObject({ prog: 'maps_prog', verdict: 'success', processed_insns: expectedObjects('maps_globals').progs[0].verified_insns });
  });

  it('without --prog verifies every inner program of a light skeleton, like an object', async () => {
    const r = await verifyCli([join(FIXTURES, 'lskel', 'shared_subprog.v78.lskel.h'), '--json']);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.out) as Array<{ prog: string; verdict: string; processed_insns: number }>;
    expect(docs.map((d) => [d.prog, d.verdict, d.processed_insns]).sort()).toEqual(
      expectedObjects('shared_subprog').progs.map((p) => [p.name, 'success', p.verified_insns]).sort());
  });

  it('bad usage and unreadable input exit with status 2 and a clear message', async () => {
    expect((await verifyCli([])).code).toBe(2);
    const t = await verifyCli([file('t.asm', 'exit\n'), '--type', 'nonsense']);
    expect(t.code).toBe(2);
    expect(t.err).toContain("unknown program type 'nonsense'");
    const p = await verifyCli([join(FIXTURES, 'obj', 'minimal.bpf.o'), '--prog', 'nope']);
    expect(p.code).toBe(2);
    expect(p.err).toContain("no program named 'nope'");
  });
});

describe('bpfsim verify --jsonl', () => {
  it('answers one line per case in order, with verdict, errno, log tail and processed count', async () => {
    const cases = [
      { id: 'ok', prog_type: 'syscall', prog_flags: 16, insns: 'b7000000000000009500000000000000' },
      // r1 = map (ld_imm64 at slot 0 gets the map's fd); *(u64 *)(r1 + 0) = 0: a map pointer is read-only.
      {
        id: 'map', prog_type: 'syscall', prog_flags: 16,
        insns: '1811000000000000' + '0000000000000000' + '7a01000000000000' + 'b700000000000000' + '9500000000000000',
        maps: [{ type: 'array', key_size: 4, value_size: 8, max_entries: 1, flags: 0, slots: [0] }],
      },
      { id: 'bad', prog_type: 'socket_filter', insns: 'b70100000000000079100000000000009500000000000000' },
    ];
    const input = cases.map((c) => JSON.stringify(c)).join('\n') + '\n{oops\n';
    const r = await verifyCli(['--jsonl', '-'], input);
    expect(r.code).toBe(1);
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(4);
    expect(out[0]).toEqual({ id: 'ok', verdict: 'accept', errno: 0, errno_name: '', log_tail: ['processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0'], processed_insns: 2 });
    expect(out[1]).toMatchObject({ id: 'map', verdict: 'reject', errno: 13, errno_name: 'EACCES' });
    expect((out[1].log_tail as string[]).join('\n')).toContain('only read from bpf_array is supported');
    expect(out[2]).toMatchObject({ id: 'bad', verdict: 'reject', errno: 13, errno_name: 'EACCES', processed_insns: 2 });
    expect(out[2].log_tail).toEqual(['1: (79) r0 = *(u64 *)(r1 +0)', "R1 invalid mem access 'scalar'", 'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0']);
    expect(out[3]).toMatchObject({ id: null, verdict: 'reject', errno: 22 });
  });

  it('answers thousands of cases in one run (no process per case)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(JSON.stringify({ id: `c${i}`, prog_type: 'socket_filter', insns: 'b7000000000000000700000001000000' + '9500000000000000' }));
    const r = await verifyCli(['--jsonl', '-'], lines.join('\n'));
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l) as { id: string; verdict: string });
    expect(out.map((o) => o.id)).toEqual(lines.map((_, i) => `c${i}`));
    expect(out.every((o) => o.verdict === 'accept')).toBe(true);
  });

  const ldMap = '1811000000000000' + '0000000000000000' + 'b700000000000000' + '9500000000000000';
  const array = { type: 'array', key_size: 4, value_size: 8, max_entries: 1, flags: 0 };

  it('a slot that is not the first half of an ld_imm64 is an error for that line, and the run goes on', async () => {
    const cases = [
      { id: 'mov', prog_type: 'socket_filter', insns: ldMap, maps: [{ ...array, slots: [2] }] },
      { id: 'second-half', prog_type: 'socket_filter', insns: ldMap, maps: [{ ...array, slots: [1] }] },
      { id: 'ok', prog_type: 'socket_filter', insns: ldMap, maps: [{ ...array, slots: [0] }] },
    ];
    const r = await verifyCli(['--jsonl', '-'], cases.map((c) => JSON.stringify(c)).join('\n'));
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out[0]).toMatchObject({ id: 'mov', verdict: 'reject', errno: 22, error: 'maps[0].slots: instruction 2 is not the first half of an ld_imm64' });
    expect(out[1]).toMatchObject({ id: 'second-half', verdict: 'reject', errno: 22, error: 'maps[0].slots: instruction 1 is not the first half of an ld_imm64' });
    expect(out[2]).toMatchObject({ id: 'ok', verdict: 'accept', processed_insns: 3 });
  });

  it('maps are created with BPF_MAP_CREATE: one Linux refuses ends its case with that errno', async () => {
    const cases = [
      { id: 'value-size-0', prog_type: 'socket_filter', insns: ldMap, maps: [{ ...array, value_size: 0, slots: [0] }] },
      { id: 'hash-too-big', prog_type: 'socket_filter', insns: ldMap, maps: [{ ...array, type: 'hash', max_entries: 4294967295, slots: [0] }] },
      { id: 'not-u32', prog_type: 'socket_filter', insns: ldMap, maps: [{ ...array, max_entries: 4294967296, slots: [0] }] },
      { id: 'ok', prog_type: 'socket_filter', insns: ldMap, maps: [{ ...array, slots: [0] }] },
    ];
    const r = await verifyCli(['--jsonl', '-'], cases.map((c) => JSON.stringify(c)).join('\n'));
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out[0]).toMatchObject({ id: 'value-size-0', verdict: 'reject', errno_name: 'EINVAL', error: 'maps[0]: BPF_MAP_CREATE failed with EINVAL' });
    expect(out[1]).toMatchObject({ id: 'hash-too-big', verdict: 'reject', errno_name: 'E2BIG' });
    expect(out[2]).toMatchObject({ id: 'not-u32', verdict: 'reject', errno_name: 'EINVAL', error: 'maps[0].max_entries must be an integer in 0..4294967295' });
    // The fds of a failed case are gone: the next case's map is fd 3 again.
    expect(out[3]).toMatchObject({ id: 'ok', verdict: 'accept' });
  });

  it('with real maps the CLI agrees with the kernel-labelled corpus (every 5th case)', async () => {
    const lines = readFileSync(LABELS_PATH, 'utf8').trim().split('\n')
      .filter((l, i) => i % 5 === 0 && !l.includes('"loops/unknown_bound') && !l.includes('"loops/may_goto_index'));
    const r = await verifyCli(['--jsonl', '-'], lines.join('\n'));
    const out = r.out.trim().split('\n').map((l) => JSON.parse(l) as { id: string; verdict: string; errno: number; processed_insns: number });
    const want = lines.map((l) => JSON.parse(l) as { id: string; kernel: { verdict: string; errno: number; processed_insns: number } });
    expect(out.length).toBe(want.length);
    const disagree = out.filter((o, i) => o.id !== want[i].id || o.verdict !== want[i].kernel.verdict || o.errno !== want[i].kernel.errno
      || o.processed_insns !== want[i].kernel.processed_insns);
    expect(disagree).toEqual([]);
  }, 60_000);
});
