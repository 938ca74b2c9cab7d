/**
 * The library API as a test author uses it; README's "Testing your loaders" section quotes these
 * tests verbatim, so they must stay short and readable.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BpfApi, BPF_CMD, BPF_MAP_TYPE, BPF_PROG_TYPE, BPF_F_SLEEPABLE, ERRNO, KEY_SPEC, Kernel, LightSkeleton,
  assembleKernelProgram, diffSnapshots, parseLskel, timeline, verify,
} from '../../src/index.js';
import { FIXTURES } from '../support/paths.js';

const lskel = (name: string) => parseLskel(readFileSync(join(FIXTURES, 'lskel', name), 'utf8'));
const cert = readFileSync(join(FIXTURES, 'keys', 'rsa2048.cert.der'));

describe('testing loaders with bpfsim', () => {
  it('loads a signed skeleton with its certificate in a keyring, in the right order', () => {
    const kernel = new Kernel();                                   // Linux 6.18.y, root, PKCS#7 on
    const ring = kernel.keyrings.addKeyring('test', KEY_SPEC.SESSION_KEYRING);
    kernel.keyrings.addCertificate(cert, ring);

    const skel = LightSkeleton.open(kernel, lskel('maps_globals.v78.signed_rsa.lskel.h'));
    skel.setKeyringId(KEY_SPEC.SESSION_KEYRING);
    expect(skel.load().skelLoad).toBe(0);

    const steps = timeline(kernel.trace.all).map((e) => e.text);
    const at = (re: RegExp) => steps.findIndex((s) => re.test(s));
    expect(at(/^signature verified/)).toBeGreaterThan(0);
    expect(at(/^signature verified/)).toBeLessThan(at(/^security_bpf_prog_load\(prog_name=__loader\.prog/));
    expect(at(/^security_bpf_prog_load\(prog_name=__loader\.prog/)).toBeLessThan(at(/^__loader\.prog: accepted/));
    expect(at(/^__loader\.prog: accepted/)).toBeLessThan(at(/^hash check: map->sha matches/));
    expect(at(/^hash check/)).toBeLessThan(at(/^maps_prog: accepted/));
    expect(skel.mapFd('arr')).toBeGreaterThan(0);
  });

  it('injects a fault into the N-th bpf() command and checks the loader cleans up', () => {
    const kernel = new Kernel();
    const before = kernel.snapshot();
    // Fail the loader's first inner BPF_MAP_CREATE, as if the kernel were out of memory.
    kernel.injectFault({ match: (cmd, isKernel) => isKernel && cmd === BPF_CMD.BPF_MAP_CREATE, errno: ERRNO.ENOMEM });
    const skel = LightSkeleton.open(kernel, lskel('maps_globals.v78.lskel.h'));
    const outcome = skel.load();
    expect(outcome).toMatchObject({ failedAt: 'loader retval', loaderRetval: -ERRNO.ENOMEM, errstr: 'error returned by loader prog' });
    skel.destroy();
    kernel.settle();                       // __loader.map outlives the sleepable loader briefly
    expect(diffSnapshots(before, kernel.snapshot())).toEqual([]);
  });

  it('fails each bpf() command of a load in turn (the N-th) and nothing leaks', () => {
    const count = new Kernel();
    LightSkeleton.open(count, lskel('maps_globals.v78.lskel.h')).load();
    const commands = count.trace.all.filter((e) => e.type === 'bpf' && e.phase === 'enter').length;
    expect(commands).toBeGreaterThan(10);                         // user and loader commands alike
    for (let n = 1; n <= commands; n++) {
      const kernel = new Kernel();
      const before = kernel.snapshot();
      kernel.injectFault({ nth: n, errno: ERRNO.ENOMEM });
      const skel = LightSkeleton.open(kernel, lskel('maps_globals.v78.lskel.h'));
      expect(skel.load().skelLoad).toBe(-ERRNO.ENOMEM);
      skel.destroy();
      kernel.settle();
      expect(diffSnapshots(before, kernel.snapshot())).toEqual([]);
    }
  });

  it('denies unsigned loaders with an LSM policy on security_bpf_prog_load', () => {
    const kernel = new Kernel();
    kernel.lsm.register('security_bpf_prog_load', (ctx) =>
      !ctx.isKernel && ctx.progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SYSCALL && !ctx.insnsVerified ? -ERRNO.EPERM : 0);
    const skel = LightSkeleton.open(kernel, lskel('minimal.v78.lskel.h'));
    expect(skel.load()).toMatchObject({ skelLoad: -ERRNO.EPERM, failedAt: 'outer BPF_PROG_LOAD', errstr: 'failed to load loader prog' });
  });

  it('runs a hand-written program against a map through the typed bpf() API', () => {
    const kernel = new Kernel();
    const bpf = new BpfApi(kernel);
    const map = bpf.mapCreate({ type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'counts' });
    const prog = assembleKernelProgram(`
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = map[fd:${map}]
      call bpf_map_lookup_elem#1
      if r0 == 0 goto out
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
    out:
      r0 = 0
      exit
    `);
    const { fd } = bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SYSCALL, flags: BPF_F_SLEEPABLE, insns: prog });
    for (let i = 0; i < 3; i++) expect(bpf.testRun(fd).retval).toBe(0);
    const value = bpf.mapLookup(map, Uint8Array.of(0, 0, 0, 0), 8);
    expect(new DataView(value.buffer).getBigUint64(0, true)).toBe(3n);
  });

  it('reports the verifier\'s reason for a rejected program with Linux\'s errno and message', () => {
    const bpf = new BpfApi(new Kernel());
    const prog = assembleKernelProgram('r1 = 0\nr0 = *(u64 *)(r1 + 0)\nexit');
    expect(() => bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, insns: prog }))
      .toThrow(expect.objectContaining({ errno: ERRNO.EACCES, message: "R1 invalid mem access 'scalar'" }));
  });

  it('verifies a program on its own and reads Linux\'s log and statistics', () => {
    const noMaps = () => ({ errno: ERRNO.EBADF });
    const prog = assembleKernelProgram('r0 = *(u32 *)(r1 + 0)\nif r0 > 10 goto +1\nr0 = 0\nexit');
    const ok = verify({ program: prog, progType: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, logLevel: 1, resolveMapFd: noMaps });
    expect(ok.ok).toBe(true);
    expect(ok.stats.processedInsns).toBe(5);          // as Linux 6.18: 4 on the fall-through path, the exit again when taken
    expect(ok.log).toMatch(/^processed 5 insns \(limit 1000000\) max_states_per_insn 0 total_states 0/m);

    const bad = verify({ program: assembleKernelProgram('exit'), progType: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, logLevel: 1, resolveMapFd: noMaps });
    expect(bad.errno).toBe(ERRNO.EACCES);
    expect(bad.log.split('\n')).toContain('R0 !read_ok');
  });
});
