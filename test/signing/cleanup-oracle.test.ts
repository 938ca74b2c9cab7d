/**
 * The running Linux kernel as the oracle for the v6.18 loader's error path: a signed loader whose
 * blob is tampered fails its hash check, and its CLEANUP (signing.md §5.2) then closes whatever
 * fds the blob's fd_array slots name — in the loading process. oracle/loader-cleanup.c replays
 * bpf_load_and_run() with the real bpf() (the loader loaded without its signature, as root may:
 * fixtures/README.md §3.2) and reports the retval and whether fds 1 and 2 survived; bpfsim must
 * agree. Skips with the reason when cc, root or bpf() is not available.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import { LightSkeleton } from '../../src/skeleton/light-skeleton.js';
import { ROOT } from '../support/paths.js';
import { fixtureModel } from './support.js';
import { buildCHelper } from '../support/c-helper.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfsim-cleanup-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(): { bin: string | null; reason: string } {
  if (process.platform !== 'linux') return { bin: null, reason: 'not Linux' };
  const built = buildCHelper(join(ROOT, 'test', 'signing', 'oracle', 'loader-cleanup.c'), 'loader-cleanup');
  return 'path' in built ? { bin: built.path, reason: '' } : { bin: null, reason: built.reason };
}

interface Outcome { readonly retval: number; readonly fd1: 'open' | 'closed'; readonly fd2: 'open' | 'closed' }

function realKernel(bin: string, file: string, offset: number, xor: number): Outcome | string {
  const m = fixtureModel(file);
  const base = join(dir, file);
  writeFileSync(`${base}.insns`, m.loader.insns);
  writeFileSync(`${base}.data`, m.loader.data);
  writeFileSync(`${base}.excl`, m.loader.exclProgHash!);
  const r = spawnSync(bin, [`${base}.insns`, `${base}.data`, `${base}.excl`, String(m.skeleton.ctxSize), String(offset), String(xor)], { encoding: 'utf8' });
  const line = r.stdout.trim();
  const ok = /^ok retval=(-?\d+) fd1=(open|closed) fd2=(open|closed)$/.exec(line);
  if (!ok) return line.startsWith('skip ') ? line.slice(5) : `unexpected oracle output: ${line} ${r.stderr}`;
  return { retval: Number(ok[1]), fd1: ok[2] as Outcome['fd1'], fd2: ok[3] as Outcome['fd2'] };
}

function simulated(file: string, offset: number, xor: number): Outcome {
  const k = new Kernel({ version: '6.18.y', scheme: 'v6.18' });
  const skel = LightSkeleton.open(k, fixtureModel(file));
  const o = skel.load({ stripSignature: true, tamper: xor ? [{ target: 'data', offset, xor }] : [] });
  const state = (fd: number) => (k.fds.get(fd) ? 'open' : 'closed') as Outcome['fd1'];
  return { retval: o.loaderRetval ?? Number.NaN, fd1: state(1), fd2: state(2) };
}

const oracle = build();
const probe = oracle.bin ? realKernel(oracle.bin, 'shared_subprog.v78.signed_rsa.lskel.h', 0, 1) : oracle.reason;
const available = typeof probe !== 'string';
const reason = typeof probe === 'string' ? probe : '';

describe.skipIf(!available)(`the loader's CLEANUP on a tampered blob, bpfsim vs the running kernel${available ? '' : ` (skipped: ${reason})`}`, () => {
  const cases: Array<[string, number, number, string]> = [
    ['shared_subprog.v78.signed_rsa.lskel.h', 0, 1, 'fd_array slot 0 → 1: closes stdout'],
    ['shared_subprog.v78.signed_rsa.lskel.h', 0, 2, 'fd_array slot 0 → 2: closes stderr'],
    ['shared_subprog.v78.signed_rsa.lskel.h', 0, 4, 'fd_array slot 0 → 4: the loader program\'s own fd'],
    ['shared_subprog.v78.signed_rsa.lskel.h', 4, 1, 'fd_array slot 1: beyond the object\'s one map, not closed'],
    ['maps_globals.v78.signed_rsa.lskel.h', 16, 2, 'fd_array slot 4 (map 4 of 5) → 2: closes stderr'],
    ['maps_globals.v78.signed_rsa.lskel.h', 2688, 1, 'a byte of the BTF_LOAD attr: hash check fails, nothing closed'],
  ];
  for (const [file, offset, xor, what] of cases) {
    it(`${file} blob[${offset}]^${xor}: ${what}`, () => {
      const real = realKernel(oracle.bin!, file, offset, xor);
      expect(typeof real === 'string' ? real : null).toBeNull();
      expect(simulated(file, offset, xor)).toEqual(real);
      expect((real as Outcome).retval).toBe(-22);
    });
  }
});
