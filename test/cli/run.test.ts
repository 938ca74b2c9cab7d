import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { FIXTURES, SHARED } from '../support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfsim-cli-'));
function file(name: string, content: string | Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('bpfsim run', () => {
  it('runs a .data file with its memory and reports r0 and the instruction count', async () => {
    const r = await runCli(['run', join(SHARED, 'conformance', 'ldxb.data')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('r0 = 0x0000000000000011');
    expect(r.out).toMatch(/instructions executed: 2\n/);
  });

  it('runs conformance-syntax and kernel-syntax assembly', async () => {
    const conf = await runCli(['run', file('a.asm', 'mov %r0, 41\nadd %r0, 1\nexit\n')]);
    expect(conf.out).toContain('r0 = 0x000000000000002a (42)');
    const kern = await runCli(['run', file('b.s', 'r0 = 40\nr0 += 2\nexit\n')]);
    expect(kern.out).toContain('r0 = 0x000000000000002a (42)');
  });

  it('runs raw .bin slots with --mem as hex and prints the memory with --json', async () => {
    // stb [%r1+0], 0x7f ; ldxb %r0, [%r1+1] ; exit
    const bin = Uint8Array.from([0x72, 0x01, 0, 0, 0x7f, 0, 0, 0, 0x71, 0x10, 1, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    const r = await runCli(['run', file('p.bin', bin), '--mem', 'aabb', '--json']);
    expect(JSON.parse(r.out)).toEqual({ r0: '0x00000000000000bb', insns_executed: 3, mem: '7fbb' });
  });

  it('reports a fault with kind, pc and a non-zero exit status', async () => {
    const r = await runCli(['run', file('f.asm', 'ldxdw %r0, [%r1]\nexit\n')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/fault: memory_access at insn 0/);
  });

  it('batch mode answers one line per case, in order, including bad input', async () => {
    const cases = [
      JSON.stringify({ id: 'a', insns: 'b7000000050000009500000000000000' }),
      JSON.stringify({ id: 'b', insns: '72010000ff00000071100000000000009500000000000000', mem: '2a2b' }),
      JSON.stringify({ id: 'c', insns: '7900000000000000' + '9500000000000000' }),
      JSON.stringify({ id: 'd', insns: 'ff00000000000000' }),
      '{not json',
    ].join('\n');
    const r = await runCli(['run', '--jsonl', '-'], cases);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual({ id: 'a', r0: '0x0000000000000005', mem: '', insns_executed: 2 });
    // stb [r1], 0xff then ldxb r0, [r1]: the store shows in the returned memory.
    expect(lines[1]).toEqual({ id: 'b', r0: '0x00000000000000ff', mem: 'ff2b', insns_executed: 3 });
    expect(lines[2]).toMatchObject({ id: 'c', error: { kind: 'memory_access', pc: 0 } });
    expect(lines[3]).toMatchObject({ id: 'd', error: { kind: 'invalid_program:unknown_opcode', pc: 0, message: 'unknown opcode ff' } });
    expect(lines[4].error.kind).toBe('bad_input');
  });
});

describe('bpfsim conformance', () => {
  it('passes the whole bundled suite and ends with the summary line', async () => {
    const r = await runCli(['conformance', join(SHARED, 'conformance')]);
    expect(r.out.trim().split('\n').at(-1)).toBe('313 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('exits non-zero when a test fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsim-conf-'));
    writeFileSync(join(dir, 'bad.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n');
    writeFileSync(join(dir, 'good.data'), '-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n');
    const r = await runCli(['conformance', dir]);
    expect(r.out).toContain('FAIL bad:');
    expect(r.out.trim().split('\n').at(-1)).toBe('1 passed, 1 failed');
    expect(r.code).toBe(1);
  });

  it('skips a file with an unknown section header, as the upstream runner does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsim-conf-'));
    writeFileSync(join(dir, 'odd.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n-- xyz\nwhatever\n');
    writeFileSync(join(dir, 'good.data'), '-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n');
    const r = await runCli(['conformance', dir]);
    expect(r.out).toContain('SKIP odd: unknown section header');
    expect(r.out.trim().split('\n').at(-1)).toBe('1 passed, 0 failed');
    expect(r.code).toBe(0);
  });
});

describe('bpfsim plugin', () => {
  it('prints r0 in hex for a program on stdin, with memory in argv[1]', async () => {
    // ldxb %r0, [%r1+1] ; exit, memory "aa  bb  " like the upstream runner passes it
    const r = await runCli(['plugin', 'aa  bb  '], '7110010000000000 9500000000000000\n');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe('bb');
  });

  it('treats an argv[1] starting with -- as an option, not memory', async () => {
    const r = await runCli(['plugin', '--some-option'], 'b700000007000000 9500000000000000\n');
    expect(r.out.trim()).toBe('7');
  });

  it('reads the runner\'s spaced hex format for the program too', async () => {
    // mov %r0, 0x11 ; add %r0, %r0 ; exit, as "b7  00  ..." pairs
    const hex = 'b7000000110000000f000000000000009500000000000000'.match(/../g)!.map((b) => `${b}  `).join('');
    expect((await runCli(['plugin'], `${hex}\n`)).out.trim()).toBe('22');
  });

  it('runs the program section of an ELF object with --elf (minimal.bpf.o: return skb->len)', async () => {
    const elf = readFileSync(join(FIXTURES, 'obj', 'minimal.bpf.o')).toString('hex');
    const r = await runCli(['plugin', 'aa  bb  cc  dd  ', '--elf'], `${elf}\n`);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe('ddccbbaa');
    const bad = await runCli(['plugin', '--elf'], 'b700000007000000 9500000000000000\n');
    expect(bad.code).not.toBe(0);
  });

  it('exits non-zero with the reason for an invalid program', async () => {
    const r = await runCli(['plugin'], 'ff00000000000000\n');
    expect(r.code).not.toBe(0);
    expect(r.out.trim()).toBe('unknown opcode ff');
  });
});
