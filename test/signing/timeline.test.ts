/**
 * The order of events of a signed load under each scheme (signing.md §2.2, §3.3, Appendix B), in
 * the kernel trace and in `bpfsim load --timeline/--timeline-json/--timeline-html`:
 *
 *   v6.18       signature over the insns verified → security_bpf_prog_load (loader yes, metadata
 *               no) → verifier → loader run → hash check → inner objects;
 *   hash-chain  signature over insns + map verified → hook (loader yes, metadata yes) → verifier →
 *               loader run → hash check (redundant, still there) → inner objects;
 *   v2026       hook (nothing verified yet) → signature over insns ‖ map checked inside the
 *               verifier → verifier accepts → loader run → … → inner objects.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SigningScheme } from '../../src/kernel/config.js';
import type { Trace } from '../../src/kernel/trace.js';
import type { TimelineEntry } from '../../src/kernel/timeline.js';
import { LightSkeleton, type LoadOptions } from '../../src/skeleton/light-skeleton.js';
import { signSkeleton } from '../../src/skeleton/sign.js';
import { runCli } from '../support/cli.js';
import {
  LSKEL, RSA, SCHEMES, VERSIONS, fixtureModel, indexOf, isInnerObject, isLoaderHook, isLoaderVerifier, keyPath, signerKernel,
  type Ev,
} from './support.js';

const FIXTURE = 'shared_subprog.v78.signed_rsa.lskel.h';
const tmp = mkdtempSync(join(tmpdir(), 'bpfsim-timeline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const signedModels = new Map(SCHEMES.map((s) => [s, signSkeleton(fixtureModel(FIXTURE), { key: RSA.key, cert: RSA.cert, scheme: s })]));

function load(scheme: SigningScheme, version: (typeof VERSIONS)[number], opts: LoadOptions = {}): Trace {
  const { kernel, ring } = signerKernel(version, scheme);
  const skel = LightSkeleton.open(kernel, signedModels.get(scheme)!);
  skel.setKeyringId(ring);
  skel.load(opts);
  return kernel.trace.all;
}

/** The milestones of a load, as trace indices (-1: did not happen). */
function milestones(t: Trace) {
  const sig = indexOf(t, (e) => e.type === 'signature');
  const hook = indexOf(t, isLoaderHook);
  const verifier = indexOf(t, isLoaderVerifier);
  const run = indexOf(t, (e) => e.type === 'prog_run' && e.phase === 'start' && e.prog === '__loader.prog');
  const hashCheck = indexOf(t, (e) => e.type === 'note' && e.actor === 'loader' && e.detail?.check === 'hash');
  const inner = indexOf(t, isInnerObject);
  const loadEnter = indexOf(t, (e) => e.type === 'bpf' && e.phase === 'enter' && e.caller === 'user' && e.cmdName === 'BPF_PROG_LOAD');
  return { sig, hook, verifier, run, hashCheck, inner, loadEnter };
}

describe('successful signed loads: the order of events per scheme', () => {
  for (const version of VERSIONS) {
    it(`v6.18 on ${version}: signature (insns) → hook (loader ✓, metadata ✗) → verifier → run → hash check → inner objects`, () => {
      const t = load('v6.18', version);
      const m = milestones(t);
      expect(m.loadEnter).toBeGreaterThanOrEqual(0);
      expect([m.loadEnter, m.sig, m.hook, m.verifier, m.run, m.hashCheck, m.inner]).toEqual([...[m.loadEnter, m.sig, m.hook, m.verifier, m.run, m.hashCheck, m.inner]].sort((a, b) => a - b));
      expect(m.sig).toBeGreaterThan(m.loadEnter);
      const sig = t[m.sig] as Ev<'signature'>;
      expect(sig).toMatchObject({ result: 'verified', scheme: 'v6.18', coversMaps: false });
      expect((t[m.hook] as Ev<'lsm'>).detail).toMatchObject({ loader_verified: true, metadata_verified: false });
      expect((t[m.verifier] as Ev<'verifier'>).ok).toBe(true);
      expect((t[m.hashCheck] as Ev<'note'>).detail).toMatchObject({ ok: true });
      expect(m.inner).toBeGreaterThan(m.hashCheck);
    });

    it(`hash-chain on ${version}: signature (insns + map) → hook (loader ✓, metadata ✓) → verifier → run → hash check → inner objects`, () => {
      const t = load('hash-chain', version);
      const m = milestones(t);
      const order = [m.loadEnter, m.sig, m.hook, m.verifier, m.run, m.hashCheck, m.inner];
      expect(order.every((x) => x >= 0)).toBe(true);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(t[m.sig]).toMatchObject({ result: 'verified', scheme: 'hash-chain', coversMaps: true });
      expect((t[m.hook] as Ev<'lsm'>).detail).toMatchObject({ loader_verified: true, metadata_verified: true });
    });

    it(`v2026 on ${version}: hook (nothing verified) → signature checked inside the verifier → verifier accepts → run → inner objects`, () => {
      const t = load('v2026', version);
      const m = milestones(t);
      const order = [m.loadEnter, m.hook, m.sig, m.verifier, m.run, m.inner];
      expect(order.every((x) => x >= 0)).toBe(true);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect((t[m.hook] as Ev<'lsm'>).detail).toMatchObject({ loader_verified: false, metadata_verified: false });
      expect(t[m.sig]).toMatchObject({ result: 'verified', scheme: 'v2026', coversMaps: true });
      expect((t[m.sig] as Ev<'signature'>).detail).toMatch(/inside bpf_check/);
      expect((t[m.verifier] as Ev<'verifier'>).ok).toBe(true);
    });
  }
});

describe('a tampered blob: where each scheme stops, in order', () => {
  const tamper: LoadOptions = { tamper: [{ target: 'data', offset: 1300 }] };
  it('v6.18: signature verified → hook → verifier → run → hash check fails → no inner object, retval -22', () => {
    const t = load('v6.18', '6.18.y', tamper);
    const m = milestones(t);
    expect([m.sig, m.hook, m.verifier, m.run, m.hashCheck].every((x, i, a) => x >= 0 && (i === 0 || x > a[i - 1]))).toBe(true);
    expect((t[m.hashCheck] as Ev<'note'>).detail).toMatchObject({ ok: false });
    expect(m.inner).toBe(-1);
    const end = t.find((e) => e.type === 'prog_run' && e.phase === 'end' && e.prog === '__loader.prog');
    expect(end).toMatchObject({ retval: -22 });
  });
  it('hash-chain: signature rejected inside BPF_PROG_LOAD; the hook, the verifier and the loader never run', () => {
    const t = load('hash-chain', '6.18.y', tamper);
    const m = milestones(t);
    expect(t[m.sig]).toMatchObject({ result: 'rejected', errno: 'EKEYREJECTED', coversMaps: true });
    expect([m.hook, m.verifier, m.run, m.inner]).toEqual([-1, -1, -1, -1]);
  });
  it('v2026: the hook runs first (nothing verified), then the verifier rejects the signature; the loader never runs', () => {
    const t = load('v2026', '6.18.y', tamper);
    const m = milestones(t);
    expect(m.hook).toBeGreaterThan(-1);
    expect(m.sig).toBeGreaterThan(m.hook);
    expect(t[m.sig]).toMatchObject({ result: 'rejected', errno: 'EKEYREJECTED' });
    expect(t[m.verifier]).toMatchObject({ ok: false, errno: 'EKEYREJECTED' });
    expect(m.verifier).toBeGreaterThan(m.sig);
    expect([m.run, m.inner]).toEqual([-1, -1]);
  });
});

describe('bpfsim load --timeline / --timeline-json / --timeline-html for each scheme, with a keyring', () => {
  for (const scheme of SCHEMES) {
    it(scheme, async () => {
      const file = join(tmp, `${scheme}.lskel.h`);
      const s = await runCli(['sign', join(LSKEL, FIXTURE), '--key', keyPath('rsa2048.key.pem'), '--cert', keyPath('rsa2048.cert.pem'), '--scheme', scheme, '-o', file]);
      expect(s.code, s.err).toBe(0);
      const base = ['load', file, '--scheme', scheme, '--keyring', keyPath('rsa2048.cert.pem')];
      const j = await runCli([...base, '--timeline-json']);
      expect(j.code, j.err).toBe(0);
      const entries = JSON.parse(j.out) as TimelineEntry[];
      const at = (pred: (e: TimelineEntry) => boolean) => entries.findIndex(pred);
      const sig = at((e) => e.kind === 'signature' && e.text.startsWith(`signature verified (${scheme};`));
      const hook = at((e) => e.actor === 'lsm' && e.text.startsWith('security_bpf_prog_load(prog_name=__loader.prog '));
      const verifier = at((e) => e.actor === 'verifier' && e.text.startsWith('__loader.prog: accepted'));
      const run = at((e) => e.kind === 'prog_run' && e.text === 'run __loader.prog');
      const inner = entries.findIndex((e, i) => i > run && e.kind === 'object' && e.text.startsWith('created'));
      const expectedHook = { 'v6.18': 'loader_verified=true metadata_verified=false', 'hash-chain': 'loader_verified=true metadata_verified=true', v2026: 'loader_verified=false metadata_verified=false' }[scheme];
      expect(entries[hook].text).toContain(expectedHook);
      const order = scheme === 'v2026' ? [hook, sig, verifier, run, inner] : [sig, hook, verifier, run, inner];
      expect(order.every((x) => x >= 0)).toBe(true);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(entries.some((e) => e.failed)).toBe(false);

      const text = await runCli([...base, '--timeline']);
      expect(text.code, text.err).toBe(0);
      expect(text.out).toContain(`signature verified (${scheme};`);
      const lines = text.out.split('\n');
      const li = (s: string) => lines.findIndex((l) => l.includes(s));
      expect(li('security_bpf_prog_load(prog_name=__loader.prog')).toBeGreaterThan(-1);
      expect(scheme === 'v2026'
        ? li('security_bpf_prog_load(prog_name=__loader.prog') < li('signature verified')
        : li('signature verified') < li('security_bpf_prog_load(prog_name=__loader.prog')).toBe(true);

      const html = join(tmp, `${scheme}.html`);
      const h = await runCli([...base, '--timeline-html', html]);
      expect(h.code, h.err).toBe(0);
      expect(existsSync(html)).toBe(true);
      const page = readFileSync(html, 'utf8');
      expect(page).toMatch(/^<!doctype html>/);
      expect(page).toContain('<svg');
      expect(page).toContain(`signature verified (${scheme};`);
    });
  }
});
