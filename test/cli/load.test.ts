/**
 * `bpfsim load` and `bpfsim demo` through the command runner (test/support/cli.ts), each flag
 * asserted by what it does; plus the flags' refusals of nonsense, and stdout closing early (EPIPE)
 * through a real process.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfApi } from '../../src/kernel/api.js';
import { Btf, BtfBuilder, defaultVmlinuxBtf } from '../../src/kernel/btf/index.js';
import { runLoad } from '../../src/cli/commands/load.js';
import { expectedFile } from '../support/fixture-cases.js';
import { FIXTURES } from '../support/paths.js';
import { runCli } from '../support/cli.js';

const lskel = (name: string) => join(FIXTURES, 'lskel', `${name}.lskel.h`);
const V78 = lskel('maps_globals.v78');
const SIGNED = lskel('maps_globals.v78.signed_rsa');
const CERT = join(FIXTURES, 'keys', 'rsa2048.cert.pem');
const tmp = mkdtempSync(join(tmpdir(), 'bpfsim-load-'));
const recorded = (fixture: string, id: string) => expectedFile(fixture).cases.find((c) => c.id === id)!;

/** Parsed JSON, read field by field. */
type Json = Record<string, any>;
async function loadJson(...args: string[]): Promise<{ code: number; json: Json; err: string }> {
  const r = await runCli(['load', ...args, '--json']);
  return { code: r.code, json: JSON.parse(r.out) as Json, err: r.err };
}

describe('bpfsim load (text)', () => {
  it('prints the outcome, the timeline and the object table', async () => {
    const r = await runCli(['load', V78]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('maps_globals (v78) on kernel 6.18.y, scheme v6.18');
    expect(lines[1]).toBe('loaded: X__load() = 0');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/^timeline$/)).toBeGreaterThan(1);
    expect(at(/bpf\(BPF_PROG_LOAD, prog_name=__loader\.prog/)).toBeGreaterThan(at(/^timeline$/));
    expect(at(/^objects$/)).toBeGreaterThan(at(/X__load\(\) = 0: the skeleton holds fds/));
    expect(r.out).toMatch(/^ {2}map {2}arr +BPF_MAP_TYPE_ARRAY +key 4 value 8 entries 4$/m);
    expect(r.out).toMatch(/^ {2}map {2}maps_glo\.rodata +BPF_MAP_TYPE_ARRAY +key 4 value 4 entries 1 frozen$/m);
    expect(r.out).toMatch(/^ {2}prog maps_prog +BPF_PROG_TYPE_SYSCALL +56 insns, tag [0-9a-f]{16}, maps arr, maps_glo\.rodata, maps_glo\.data, htab, maps_glo\.bss$/m);
    expect(r.out).toContain('fds: {"maps":{"arr":6,"htab":7,"maps_glo.data":8,"maps_glo.rodata":9,"maps_glo.bss":10},"progs":{"maps_prog":11}}');
  });

  it('states a failure, its errno and where it happened, with exit status 1', async () => {
    const r = await runCli(['load', SIGNED]); // signed, keyring_id 0: the builtin keyring lacks the signer
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[1]).toBe('failed: X__load() = -126 (ENOKEY) at outer BPF_PROG_LOAD: failed to load loader prog');
  });
});

describe('bpfsim load flags', () => {
  it('--json: one document whose sections are the recorded U78 ones, extras under "bpfsim"', async () => {
    const { code, json } = await loadJson(V78, '--no-pkcs7', '--no-ecdsa');
    expect(code).toBe(0);
    expect(Object.keys(json)).toEqual(['schema', 'fixture', 'outcome', 'outer_sequence', 'inner_sequence', 'objects', 'open_fds_after_load', 'final_fds', 'bpfsim']);
    const u78 = recorded('maps_globals', 'U78');
    expect(json.outcome).toEqual(u78.outcome);
    expect(json.outer_sequence.map((e: Json) => Object.keys(e))).toEqual(u78.outer_sequence!.map((e) => Object.keys(e)));
    expect(json.inner_sequence).toEqual(u78.inner_sequence);
    expect(json.bpfsim.full_attrs.outer[0]).toMatchObject({ map_name: '__loader.map', btf_fd: 0, inner_map_fd: 0 });
  });

  it('--tamper data:<off> on the unsigned v78 skeleton gives the recorded U78_data_flip outcome', async () => {
    const c = recorded('maps_globals', 'U78_data_flip');
    const t = c.setup!.tamper![0];
    expect(t.from ^ t.to).toBe(1); // the CLI's default xor
    const { code, json } = await loadJson(V78, '--tamper', `data:${t.offset}`, '--log-level', '1');
    expect(code).toBe(1);
    expect(json.outcome).toEqual(c.outcome);
    expect(json.objects).toBeNull();
  });

  it('--tamper insns:<off> with an explicit xor changes the loader the kernel sees', async () => {
    const { json } = await loadJson(V78, '--tamper', 'insns:0:0xff');
    // insn 0's opcode byte XOR 0xff is no valid instruction: the outer PROG_LOAD is refused.
    expect(json.outcome).toMatchObject({ skel_load: -22, errno: 'EINVAL', failed_at: 'outer BPF_PROG_LOAD' });
  });

  it('--set changes a global the exercised program uses', () => {
    const source = readFileSync(V78, 'utf8');
    const exercise = (set: string[]) => {
      const r = runLoad(V78, source, { set });
      expect(r.report.outcome.skel_load).toBe(0);
      new BpfApi(r.kernel).testRun(r.skel.progFd('maps_prog'));
      return { total: r.skel.readGlobal('bss.total'), magic: r.skel.readGlobal('rodata.magic') };
    };
    expect(exercise([])).toEqual({ total: 0xc0ffeen, magic: 0xc0ffeen }); // total += magic
    expect(exercise(['magic=5'])).toEqual({ total: 5n, magic: 5n });
    expect(exercise(['rodata.magic=0xffffffff'])).toEqual({ total: 0xffffffffn, magic: 0xffffffffn });
  });

  it('--max-entries shows in the object table and in the inner BPF_MAP_CREATE', async () => {
    const text = await runCli(['load', V78, '--max-entries', 'htab=99']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^ {2}map {2}htab +BPF_MAP_TYPE_HASH +key 4 value 16 entries 99$/m);
    const { json } = await loadJson(V78, '--max-entries', 'htab=99');
    expect(json.objects.maps.find((m: Json) => m.name === 'htab').max_entries).toBe(99);
    const create = json.inner_sequence.find((e: Json) => e.cmd === 'BPF_MAP_CREATE' && e.attr.map_name === 'htab');
    expect(create).toMatchObject({ attr: { max_entries: 99 }, map_idx: 1, runtime_patched: [expect.stringMatching(/^max_entries \(from ctx map_desc/)] });
  });

  it('--no-signature loads a signed skeleton unsigned (the recorded S_nosig run)', async () => {
    const c = recorded('maps_globals', 'S_nosig');
    const { code, json } = await loadJson(SIGNED, '--no-signature');
    expect(code).toBe(0);
    expect(json.outcome).toEqual(c.outcome);
    const load = json.outer_sequence.find((e: Json) => e.cmd === 'BPF_PROG_LOAD');
    expect(load.attr).toEqual(c.outer_sequence!.find((e) => e.cmd === 'BPF_PROG_LOAD')!.attr);
    expect(load.attr).toMatchObject({ signature: null, signature_size: 0 });
  });

  it('--keyring with PKCS#7 verifies the signature; --no-pkcs7 refuses it like the recording VM (EOPNOTSUPP)', async () => {
    const ok = await loadJson(SIGNED, '--keyring', CERT);
    expect(ok.code).toBe(0);
    expect(ok.json.outer_sequence.find((e: Json) => e.cmd === 'BPF_PROG_LOAD').attr).toMatchObject({ signature: 'present', signature_size: 375, keyring_id: -3 });
    const off = await loadJson(SIGNED, '--keyring', CERT, '--no-pkcs7');
    expect(off.code).toBe(1);
    expect(off.json.outcome).toEqual(recorded('maps_globals', 'S_ring_with_cert').outcome);
    expect(off.json.bpfsim.kernel).toEqual({ version: '6.18.y', scheme: 'v6.18', pkcs7: false, ecdsa: true });
  });

  it('--kernel selects the modelled kernel version (header and JSON) and refuses unknown ones', async () => {
    // (What the versions change — e.g. 6.18.y's EPERM for the hash of an unfrozen map — needs a
    // misbehaving loader the CLI cannot ask for; test/signing covers it through the API.)
    const r = await runCli(['load', V78, '--kernel', '6.18.0']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('maps_globals (v78) on kernel 6.18.0, scheme v6.18');
    expect((await loadJson(V78, '--kernel', '2026', '--scheme', 'v2026')).json.bpfsim.kernel).toMatchObject({ version: '2026', scheme: 'v2026' });
    const bad = await runCli(['load', V78, '--kernel', '5.10']);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('bpfsim: --kernel must be 6.18.0, 6.18.y or 2026\n');
  });

  it('--vmlinux: the loader\'s btf_find_by_name_kind searches the given BTF file', async () => {
    const tprog = lskel('tprog.v77');
    const lookups = (j: Json) => j.inner_sequence.filter((e: Json) => e.helper === 'btf_find_by_name_kind');
    // The built-in BTF, written to a file: same ids as without the flag, and the load succeeds.
    const builtinFile = join(tmp, 'builtin.btf');
    writeFileSync(builtinFile, defaultVmlinuxBtf().bytes);
    const plain = await loadJson(tprog);
    const viaFile = await loadJson(tprog, '--vmlinux', builtinFile);
    expect(viaFile.code).toBe(0);
    expect(lookups(viaFile.json)).toEqual(lookups(plain.json));
    expect(lookups(plain.json).length).toBe(3);
    // A BTF with nothing the loader looks for: every lookup is -ENOENT and the loader gives up.
    const b = new BtfBuilder();
    b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 });
    const tinyFile = join(tmp, 'tiny.btf');
    writeFileSync(tinyFile, b.encode());
    const tiny = await loadJson(tprog, '--vmlinux', tinyFile);
    expect(tiny.code).toBe(1);
    expect(lookups(tiny.json)[0]).toMatchObject({ name: 'btf_trace_sys_enter', ret: -2 });
    expect(tiny.json.outcome).toMatchObject({ failed_at: 'loader retval', loader_retval: -2 });
    // Not BTF at all: a clear error.
    const junk = join(tmp, 'junk.btf');
    writeFileSync(junk, 'not btf');
    const r = await runCli(['load', tprog, '--vmlinux', junk]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^bpfsim: .+\n$/);
  });

  const SYS_BTF = '/sys/kernel/btf/vmlinux';
  const sysReadable = (() => { try { accessSync(SYS_BTF, constants.R_OK); return true; } catch { return false; } })();
  if (!sysReadable) console.log(`--vmlinux ${SYS_BTF} test skipped: ${SYS_BTF} is not readable on this machine`);
  it.skipIf(!sysReadable)(`--vmlinux ${SYS_BTF}: the lookups return the running kernel's type ids`, async () => {
    const real = Btf.parse(new Uint8Array(readFileSync(SYS_BTF)));
    const { json } = await loadJson(lskel('tprog.v77'), '--vmlinux', SYS_BTF);
    const lookups = json.inner_sequence.filter((e: Json) => e.helper === 'btf_find_by_name_kind');
    expect(lookups.length).toBe(3);
    for (const l of lookups) {
      const id = real.findByNameKind(l.name, l.btf_kind);
      expect(l.ret).toBe(id > 0 ? id : -2);
    }
  });
});

describe('bpfsim load refuses nonsense', () => {
  const refused = async (args: string[], message: string | RegExp) => {
    const r = await runCli(['load', ...args]);
    expect(r.code).not.toBe(0);
    expect(r.out).toBe('');
    if (typeof message === 'string') expect(r.err).toBe(`bpfsim: ${message}\n`);
    else expect(r.err).toMatch(message);
  };

  it('--set outside the variable\'s type, on an unknown global, or not an integer', async () => {
    await refused([V78, '--set', 'magic=99999999999999'], '--set magic=99999999999999: out of range for __u32 (0..4294967295)');
    await refused([V78, '--set', 'magic=-1'], '--set magic=-1: out of range for __u32 (0..4294967295)');
    await refused([V78, '--set', 'magic=4294967296'], '--set magic=4294967296: out of range for __u32 (0..4294967295)');
    await refused([V78, '--set', 'magic=12abc'], "--set magic: '12abc' is not an integer");
    await refused([V78, '--set', 'nosuch=1'], /^bpfsim: --set nosuch: no global variable 'nosuch' in maps_globals \(globals: .*rodata\.magic.*\)\n$/);
    await refused([V78, '--set', 'magic='], "--set expects name=value, got 'magic='");
  });

  it('--set accepts the whole range of a signed variable, negative values included', async () => {
    // counter is an `int` in .data.
    expect((await runCli(['load', V78, '--set', 'counter=-1'])).code).toBe(0);
    expect((await runCli(['load', V78, '--set', 'counter=-2147483648'])).code).toBe(0);
    await refused([V78, '--set', 'counter=2147483648'], '--set counter=2147483648: out of range for int (-2147483648..2147483647)');
  });

  it('--tamper of a missing signature, past the end, or with a no-op xor', async () => {
    await refused([V78, '--tamper', 'signature:0'], '--tamper signature:0: maps_globals is not signed (no signature to tamper with)');
    await refused([SIGNED, '--no-signature', '--tamper', 'signature:0'], '--tamper signature:0: the signature is removed by --no-signature');
    await refused([V78, '--tamper', 'data:4160'], '--tamper data:4160: offset past the end of the data (4160 bytes, offsets 0..4159)');
    await refused([SIGNED, '--tamper', 'signature:375'], '--tamper signature:375: offset past the end of the signature (375 bytes, offsets 0..374)');
    await refused([V78, '--tamper', 'insns:99999999'], /^bpfsim: --tamper insns:99999999: offset past the end of the insns \(\d+ bytes/);
    await refused([V78, '--tamper', 'data:1:0'], '--tamper data:1:0: xor 0 would change nothing');
    await refused([V78, '--tamper', 'data:1:256'], '--tamper data:1:256: xor: 256 is out of range (0..255)');
    await refused([V78, '--tamper', 'data:-1'], '--tamper data:-1: offset: \'-1\' is not a non-negative integer');
    await refused([V78, '--tamper', 'code:1'], "--tamper expects insns|data|signature:<offset>[:<xor>], got 'code:1'");
  });

  it('--max-entries of an unknown map, 0, or not a number', async () => {
    await refused([V78, '--max-entries', 'nosuch=5'], '--max-entries nosuch: no map \'nosuch\' in maps_globals (maps: arr, htab, data, rodata, bss)');
    await refused([V78, '--max-entries', 'htab=0'], '--max-entries htab=0: 0 means "no override" to the loader; give at least 1');
    await refused([V78, '--max-entries', 'htab=lots'], "--max-entries htab: 'lots' is not a non-negative integer");
    await refused([V78, '--max-entries', 'htab=4294967296'], '--max-entries htab: 4294967296 is out of range (0..4294967295)');
  });

  it('--keyring-id on an unsigned skeleton or out of __s32, --log-level and --seed not numbers', async () => {
    await refused([V78, '--keyring-id', '5'], '--keyring-id: maps_globals is not a signed skeleton (no keyring_id member)');
    await refused([SIGNED, '--keyring-id', '4294967296'], '--keyring-id 4294967296: out of range for __s32');
    await refused([SIGNED, '--keyring-id', 'x'], "--keyring-id: 'x' is not an integer");
    await refused([V78, '--log-level', 'high'], "--log-level: 'high' is not a non-negative integer");
    await refused([V78, '--seed', '-3'], "--seed: '-3' is not a non-negative integer");
  });
});

describe('bpfsim demo', () => {
  it('shows the events in order: signature, LSM hook, verifier, loader run, hash check, inner objects', async () => {
    const r = await runCli(['demo', '--skip-bench']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const end = lines.findIndex((l) => l.startsWith('== 2.'));
    const step1 = lines.slice(0, end);
    const at = (re: RegExp) => {
      const i = step1.findIndex((l) => re.test(l));
      expect(i, `no line matching ${re}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      at(/kernel +signature verified \(v6\.18; keyring -3; key bpf-lskel-fixtures/),
      at(/lsm +security_bpf_prog_load\(prog_name=__loader\.prog .*loader_verified=true/),
      at(/verifier +__loader\.prog: accepted/),
      at(/kernel +→ loader +run __loader\.prog/),
      at(/loader +hash check: map->sha matches the embedded H_meta/),
      at(/loader +→ kernel +sys_bpf\(BPF_BTF_LOAD/),
      at(/loader +→ kernel +sys_bpf\(BPF_MAP_CREATE, map_name=arr/),
      at(/loader +→ kernel +sys_bpf\(BPF_PROG_LOAD, prog_name=maps_prog/),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(order.length);
    expect(r.out).toContain('X__load() = 0; the skeleton received fds {"maps":{"arr":6,"htab":7,"maps_glo.data":8,"maps_glo.rodata":9,"maps_glo.bss":10},"progs":{"maps_prog":11}}');
    // Running the program twice: arr[1] = 2 x magic.
    expect(r.out).toContain(`.data counter 7 -> 9, .bss total 0 -> ${2 * 0xc0ffee}, arr[1] = ${2 * 0xc0ffee} (2 x magic 0xC0FFEE)`);
    // The tampered blob is caught by the loader's hash check, before any inner object.
    expect(r.out).toMatch(/X__load\(\) = -22 \(error returned by loader prog\); inner objects created: 0/);
    expect(r.out).toContain('313 passed, 0 failed');
  });
});

describe('stdout closed early', () => {
  it('`bpfsim load ... | true` ends quietly (no EPIPE stack trace) with the command\'s status', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'support', 'cli-entry.ts'), 'load', V78, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first write
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
  });
});
