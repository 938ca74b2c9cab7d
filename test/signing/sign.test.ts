/**
 * The signing tool (src/skeleton/sign.ts, `bpfsim sign`): bpftool's output reproduced byte for
 * byte, the metadata hash computed and patched into the loader, exclusive hash and signature over
 * what each scheme says is signed (checked against independent SHA-256 computations and
 * `openssl cms -verify`), and every signed skeleton loading on the kernel of its scheme.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/util/hex.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { LightSkeleton } from '../../src/skeleton/light-skeleton.js';
import { analyzeLoader, removeLoaderHashCheck } from '../../src/skeleton/loader-analysis.js';
import { parseLskel } from '../../src/skeleton/lskel-parse.js';
import { renderLskel } from '../../src/skeleton/lskel-render.js';
import { schemeSignedContent, signSkeleton, signSkeletonDetailed, SkeletonSignError } from '../../src/skeleton/sign.js';
import { runCli } from '../support/cli.js';
import { OPENSSL, openssl } from '../signature/support.js';
import {
  LSKEL, OTHER, RSA, SCHEMES, fixtureModel, keyNameOf, keyPath, lskelSource, padded8, sha256, signedRsaFixtures, signer,
  signerKernel,
} from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfsim-signing-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Bytes `what` of a C char array in a header, via the model (parseLskel is tested elsewhere). */
function loaderOf(text: string) {
  return parseLskel(text, null).loader;
}

describe('re-signing a bpftool-signed RSA skeleton with its own key', () => {
  const files = signedRsaFixtures();
  it('covers every signed_rsa fixture (bpftool 7.7 and 7.8, release and debug loaders)', () => {
    expect(files).toHaveLength(9);
  });
  for (const file of files) {
    it(`${file}: reproduces bpftool's file byte for byte`, () => {
      const s = signer(keyNameOf(file));
      const r = signSkeletonDetailed(fixtureModel(file), { key: s.key, cert: s.cert, scheme: 'v6.18' });
      expect(r.text).toBe(lskelSource(file));
      expect(r.hasHashCheck).toBe(true);
      expect(r.hashCheckChanged).toBe(false);
    });
  }

  it('through the CLI, to standard output and to a file (-o), with a DER certificate', async () => {
    const file = 'shared_subprog.v78.signed_rsa.lskel.h';
    const args = ['sign', join(LSKEL, file), '--key', keyPath('rsa2048.key.pem'), '--cert', keyPath('rsa2048.cert.der')];
    const r = await runCli(args);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(lskelSource(file));
    const out = join(tmp, 'resigned.lskel.h');
    const r2 = await runCli([...args, '-o', out]);
    expect(r2.code, r2.err).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(lskelSource(file));
    expect(r2.out).toMatch(/signed \(v6\.18\), 375-byte signature over the 224 loader instructions/);
  });
});

describe('v6.18 needs the loader\'s metadata hash check', () => {
  for (const file of ['minimal.v78.lskel.h', 'minimal.v71.lskel.h', 'tprog.v77.lskel.h', 'maps_globals.v78dbg.lskel.h']) {
    it(`${file} (an unsigned-generation loader) is refused with a clear error`, () => {
      let err: unknown = null;
      try {
        signSkeleton(fixtureModel(file), { key: RSA.key, cert: RSA.cert, scheme: 'v6.18' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SkeletonSignError);
      expect((err as SkeletonSignError).code).toBe('no-hash-check');
      expect((err as SkeletonSignError).message).toMatch(/no metadata hash check.*bpftool gen skeleton -S.*hash-chain or v2026/);
    });
  }

  it('the CLI exits 1 with that message', async () => {
    const r = await runCli(['sign', join(LSKEL, 'minimal.v78.lskel.h'), '--key', keyPath('rsa2048.key.pem'), '--cert', keyPath('rsa2048.cert.pem')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^bpfsim: .*minimal\.v78\.lskel\.h: the loader has no metadata hash check/);
  });
});

describe('what each scheme signs (independent SHA-256)', () => {
  const m = fixtureModel('minimal.v78.signed_rsa.lskel.h');
  const insns = m.loader.insns;
  const blob = padded8(m.loader.data);
  it('v6.18: the raw instruction bytes', () => {
    expect(toHex(schemeSignedContent('v6.18', insns, m.loader.data).bytes)).toBe(toHex(insns));
  });
  it('hash-chain: SHA-256(SHA-256(insns) ‖ SHA-256(map value area))', () => {
    expect(toHex(schemeSignedContent('hash-chain', insns, m.loader.data).bytes)).toBe(toHex(sha256(sha256(insns), sha256(blob))));
  });
  it('v2026: insns ‖ map value area', () => {
    const c = schemeSignedContent('v2026', insns, m.loader.data).bytes;
    expect(c.length).toBe(insns.length + blob.length);
    expect(toHex(c)).toBe(toHex(insns) + toHex(blob));
  });
  it('a blob whose size is not a multiple of 8 is hashed with the zero padding the array map has', () => {
    const data = m.loader.data.subarray(0, 2845);
    expect(toHex(schemeSignedContent('hash-chain', insns, data).bytes)).toBe(toHex(sha256(sha256(insns), sha256(padded8(data)))));
  });
});

describe('v2026 pairs with the 2026-07 loader: no in-loader hash check, no hash request', () => {
  for (const file of ['maps_globals.v78.signed_rsa.lskel.h', 'tprog.v77.signed_rsa.lskel.h', 'ringbuf_trace.v78dbg.signed_rsa.lskel.h']) {
    it(`${file}: the check is cut out, jumps still land, and the kernel's map check alone guards the blob`, () => {
      const src = fixtureModel(file);
      const before = analyzeLoader(src.loader.insns, src.loader.data);
      expect(before.hashCheck).not.toBeNull();
      const key = signer(keyNameOf(file));
      const out = signSkeleton(src, { key: key.key, cert: key.cert, scheme: 'v2026' });
      expect(out.loader.insns.length).toBe(src.loader.insns.length - 28 * 8);
      const after = analyzeLoader(out.loader.insns, out.loader.data);
      expect(after.hashCheck).toBeNull();
      expect(after.readsMapSha).toBe(false);

      // The same inner objects as the v6.18 load of the bpftool-signed original, without
      // OBJ_GET_INFO_BY_FD or a hash check.
      const innerOf = (kernel: Kernel) => kernel.trace.all.flatMap((e) =>
        e.type === 'bpf' && e.phase === 'exit' && e.caller === 'kernel' ? [`${e.cmdName} ${(e.ret ?? 0) >= 0 ? 'ok' : e.errno}`] : []);
      const ref = signerKernel('6.18.y', 'v6.18', key.certDer);
      const refSkel = LightSkeleton.open(ref.kernel, src);
      refSkel.setKeyringId(ref.ring);
      expect(refSkel.load().skelLoad).toBe(0);

      const { kernel, ring } = signerKernel('2026', 'v2026', key.certDer);
      const skel = LightSkeleton.open(kernel, out);
      skel.setKeyringId(ring);
      expect(skel.load().skelLoad).toBe(0);
      const outer = kernel.trace.all.flatMap((e) => (e.type === 'bpf' && e.phase === 'enter' && e.caller === 'user' ? [e.cmdName] : []));
      expect(outer).not.toContain('BPF_OBJ_GET_INFO_BY_FD');
      expect(kernel.trace.all.some((e) => e.type === 'note' && e.detail?.check === 'hash')).toBe(false);
      expect(innerOf(kernel)).toEqual(innerOf(ref.kernel));

      // A blob byte flipped after signing is now caught by the kernel, in the verifier.
      const { kernel: k2, ring: r2 } = signerKernel('2026', 'v2026', key.certDer);
      const t = LightSkeleton.open(k2, out);
      t.setKeyringId(r2);
      expect(t.load({ tamper: [{ target: 'data', offset: 100, xor: 1 }] })).toMatchObject({ failedAt: 'outer BPF_PROG_LOAD', errno: 'EKEYREJECTED' });
    });
  }
});

describe('hash-chain and v2026 sign any loader', () => {
  for (const file of ['minimal.v78.lskel.h', 'minimal.v71.lskel.h', 'shared_subprog.v78.lskel.h', 'minimal.v78.signed_rsa.lskel.h']) {
    for (const scheme of ['hash-chain', 'v2026'] as const) {
      it(`${file} under ${scheme}: header, exclusive hash, signature and a successful load`, () => {
        const src = fixtureModel(file);
        const r = signSkeletonDetailed(src, { key: RSA.key, cert: RSA.cert, scheme });
        const out = r.model;
        expect(out.signed).toBe(true);
        // bpftool 7.1 cannot write signed headers: the copy takes the 7.8 shape.
        expect(out.generation).toBe(src.generation === 'v71' ? 'v78' : src.generation);
        expect(out.loader.data).toEqual(src.loader.data);
        // Unsigned loaders are signed as they are; a hash-check block already holds the right hash
        // (hash-chain) or is cut out (v2026: the 2026-07 loader has none).
        const hadCheck = analyzeLoader(src.loader.insns, src.loader.data).hashCheck !== null;
        expect(toHex(out.loader.insns)).toBe(toHex(scheme === 'v2026' && hadCheck ? removeLoaderHashCheck(src.loader.insns) : src.loader.insns));
        expect(r.hashCheckRemoved).toBe(scheme === 'v2026' && hadCheck);
        expect(toHex(out.loader.exclProgHash!)).toBe(toHex(sha256(out.loader.insns)));
        expect(out.loader.signatureMaps).toEqual(scheme === 'hash-chain' ? [0] : null);
        expect(r.text.includes('opts_signature_maps[1] __attribute__((__aligned__(8))) = {0};')).toBe(scheme === 'hash-chain');
        expect(r.text.includes('opts.signature_maps_sz = 1;')).toBe(scheme === 'hash-chain');
        expect(parseLskel(r.text, file).loader.signature).toEqual(r.signature);

        const { kernel, ring } = signerKernel('6.18.y', scheme);
        const skel = LightSkeleton.open(kernel, out);
        skel.setKeyringId(ring);
        const o = skel.load();
        expect(o.errno).toBeNull();
        expect(o.skelLoad).toBe(0);
        const sig = kernel.trace.all.filter((e) => e.type === 'signature');
        expect(sig.map((e) => e.type === 'signature' && e.result)).toEqual(['verified']);
      });
    }
  }
});

describe.skipIf(OPENSSL === null)(`openssl cms -verify accepts each scheme's signature over the independently computed content (${OPENSSL ?? 'openssl missing'})`, () => {
  const m = fixtureModel('shared_subprog.v78.signed_rsa.lskel.h');
  for (const scheme of SCHEMES) {
    it(scheme, () => {
      const r = signSkeletonDetailed(m, { key: RSA.key, cert: RSA.cert, scheme });
      const insns = r.model.loader.insns;
      const blob = padded8(r.model.loader.data);
      const content = scheme === 'v6.18' ? insns
        : scheme === 'hash-chain' ? sha256(sha256(insns), sha256(blob))
          : Uint8Array.from([...insns, ...blob]);
      const sigFile = join(tmp, `${scheme}.sig.der`);
      const contentFile = join(tmp, `${scheme}.content`);
      writeFileSync(sigFile, r.signature);
      writeFileSync(contentFile, content);
      const ok = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigFile, '-content', contentFile, '-noverify', '-certfile', keyPath('rsa2048.cert.pem'), '-out', '/dev/null']);
      expect(ok.status, ok.stderr).toBe(0);
      // The same signature over the plain instructions fails for the two schemes that sign more.
      writeFileSync(contentFile, Uint8Array.from([...insns, 0]));
      const bad = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigFile, '-content', contentFile, '-noverify', '-certfile', keyPath('rsa2048.cert.pem'), '-out', '/dev/null']);
      expect(bad.status).not.toBe(0);
    });
  }
});

describe('v6.18: the metadata hash is computed and patched into the loader', () => {
  const base = fixtureModel('minimal.v78.signed_rsa.lskel.h');
  /** The skeleton with blob byte `off` changed and the old loader/signature kept. */
  function withBlobByte(off: number, xor: number) {
    const data = base.loader.data.slice();
    data[off] ^= xor;
    return parseLskel(renderLskel(base, { data }), 'changed.lskel.h');
  }

  it('after a blob change: new embedded hash = SHA-256 of the blob, only the 8 immediates change, and it loads', () => {
    const changed = withBlobByte(1279, 0x5a);
    const r = signSkeletonDetailed(changed, { key: RSA.key, cert: RSA.cert, scheme: 'v6.18' });
    expect(r.hashCheckChanged).toBe(true);
    const a = analyzeLoader(r.model.loader.insns, r.model.loader.data);
    expect(toHex(a.hashCheck!.embeddedHash)).toBe(toHex(sha256(changed.loader.data)));
    expect(toHex(r.metadataHash)).toBe(toHex(sha256(changed.loader.data)));
    expect(toHex(r.model.loader.exclProgHash!)).toBe(toHex(sha256(r.model.loader.insns)));
    // Only the imm fields of the four ld_imm64 pairs of the hash check differ.
    const immBytes = new Set<number>();
    for (const d of a.hashCheck!.dwords) for (const slot of [d.immSlot, d.immSlot + 1]) for (let b = 4; b < 8; b++) immBytes.add(slot * 8 + b);
    const diff: number[] = [];
    base.loader.insns.forEach((v, i) => { if (r.model.loader.insns[i] !== v) diff.push(i); });
    expect(diff.length).toBeGreaterThan(0);
    expect(diff.every((i) => immBytes.has(i))).toBe(true);

    const { kernel, ring } = signerKernel('6.18.y', 'v6.18');
    const skel = LightSkeleton.open(kernel, r.model);
    skel.setKeyringId(ring);
    expect(skel.load().skelLoad).toBe(0);
  });

  it('control: the same blob change under the old signature and loader is caught by the hash check (retval -22)', () => {
    const { kernel, ring } = signerKernel('6.18.y', 'v6.18');
    const skel = LightSkeleton.open(kernel, withBlobByte(1279, 0x5a));
    skel.setKeyringId(ring);
    const o = skel.load();
    expect(o.failedAt).toBe('loader retval');
    expect(o.loaderRetval).toBe(-22);
  });

  it('property: for any blob byte change, the re-signed loader\'s signature verifies and its hash check passes', () => {
    fc.assert(fc.property(fc.nat({ max: base.loader.data.length - 1 }), fc.integer({ min: 1, max: 255 }), (off, xor) => {
      const r = signSkeletonDetailed(withBlobByte(off, xor), { key: RSA.key, cert: RSA.cert, scheme: 'v6.18' });
      const { kernel, ring } = signerKernel('6.18.y', 'v6.18');
      const skel = LightSkeleton.open(kernel, r.model);
      skel.setKeyringId(ring);
      skel.load();
      const t = kernel.trace.all;
      const sig = t.find((e) => e.type === 'signature');
      const check = t.find((e) => e.type === 'note' && e.detail?.check === 'hash');
      skel.destroy();
      return sig?.type === 'signature' && sig.result === 'verified' && check?.type === 'note' && check.detail?.ok === true;
    }), { numRuns: 8, seed: 0x5161 });
  });
});

describe('ECDSA signers', () => {
  const ec = signer('ecp256');
  for (const scheme of SCHEMES) {
    it(`${scheme}: a P-256 signature verifies and the skeleton loads`, () => {
      const m = signSkeleton(fixtureModel('minimal.v78.signed_rsa.lskel.h'), { key: ec.key, cert: ec.certDer, scheme });
      expect(m.loader.signature!.length).toBeGreaterThan(150);
      expect(m.loader.signature!.length).toBeLessThan(190);
      const { kernel, ring } = signerKernel('2026', scheme, ec.certDer);
      const skel = LightSkeleton.open(kernel, m);
      skel.setKeyringId(ring);
      expect(skel.load().skelLoad).toBe(0);
    });
  }
});

describe('bad signer input', () => {
  const m = fixtureModel('minimal.v78.signed_rsa.lskel.h');
  it('a key that does not match the certificate: SkeletonSignError signer/EINVAL', () => {
    let err: unknown = null;
    try { signSkeleton(m, { key: OTHER.key, cert: RSA.cert }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SkeletonSignError);
    expect(err).toMatchObject({ code: 'signer', errno: 'EINVAL' });
    expect((err as Error).message).toMatch(/does not match/);
  });
  it('garbage instead of a certificate or a key', () => {
    expect(() => signSkeleton(m, { key: RSA.key, cert: 'not a certificate' })).toThrow(SkeletonSignError);
    expect(() => signSkeleton(m, { key: 'not a key', cert: RSA.cert })).toThrow(/cannot read private key/);
  });
  it('an unknown scheme', () => {
    expect(() => signSkeleton(m, { key: RSA.key, cert: RSA.cert, scheme: 'v5' as never })).toThrow(/unknown signing scheme 'v5'/);
  });
  it('the CLI rejects an unknown --scheme and a missing --key', async () => {
    const file = join(LSKEL, 'minimal.v78.signed_rsa.lskel.h');
    const r = await runCli(['sign', file, '--key', keyPath('rsa2048.key.pem'), '--cert', keyPath('rsa2048.cert.pem'), '--scheme', 'v5']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--scheme must be one of v6\.18, hash-chain, v2026/);
    const r2 = await runCli(['sign', file, '--cert', keyPath('rsa2048.cert.pem')]);
    expect(r2.code).not.toBe(0);
    expect(r2.err).toMatch(/--key/);
  });
});

describe('bpfsim sign --json', () => {
  it('reports the hashes and signature that are in the written header', async () => {
    const out = join(tmp, 'hc.lskel.h');
    const r = await runCli(['sign', join(LSKEL, 'minimal.v78.lskel.h'), '--key', keyPath('rsa2048.key.pem'), '--cert', keyPath('rsa2048.cert.pem'), '--scheme', 'hash-chain', '-o', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    const written = loaderOf(readFileSync(out, 'utf8'));
    const src = fixtureModel('minimal.v78.lskel.h').loader;
    expect(j).toMatchObject({
      scheme: 'hash-chain', obj_name: 'minimal', generation: 'v78', insn_cnt: src.insns.length / 8, data_size: src.data.length,
      hash_check: 'none', metadata_hash: toHex(sha256(padded8(src.data))), excl_prog_hash: toHex(sha256(src.insns)),
      signature: toHex(written.signature!), signature_size: written.signature!.length, signature_maps: [0], output: out,
      signed_content: { length: 32, sha256: toHex(sha256(sha256(sha256(src.insns), sha256(padded8(src.data))))) },
    });
    expect(j.lskel).toBeUndefined();
    const r2 = await runCli(['sign', join(LSKEL, 'minimal.v78.lskel.h'), '--key', keyPath('rsa2048.key.pem'), '--cert', keyPath('rsa2048.cert.pem'), '--scheme', 'v2026', '--json']);
    expect(r2.code, r2.err).toBe(0);
    const j2 = JSON.parse(r2.out) as { lskel: string; signature: string };
    expect(toHex(loaderOf(j2.lskel).signature!)).toBe(j2.signature);
  });
});
