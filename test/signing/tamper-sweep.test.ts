/**
 * Tamper sweep: flip bytes of a signed skeleton's loader instructions, data blob and signature,
 * under each signing scheme, and check that each flip is caught at the step the scheme promises
 * with the errno Linux gives (signing.md §2.2 7c/7e/7f/9, §3.3, §6.1, §6.4, §6.5, Appendix B),
 * that no inner object is created, and that after X__destroy() and the RCU grace period the
 * kernel's fds, objects, memory and user allocations are exactly as before the load — with one
 * exception Linux has too: under v6.18 the failing loader's CLEANUP closes whatever process fds
 * the tampered blob's fd_array slots name (a flip of blob[4·i], i < nr_maps, that makes it 1 or 2
 * closes stdout or stderr). The sweep checks exactly those fds were closed, then reopens them.
 *
 *   scheme      insns byte                    blob byte                          signature byte
 *   v6.18       PROG_LOAD signature EKEYREJ.  loader retval -22 (hash check)     PROG_LOAD signature <errno>
 *   hash-chain  PROG_LOAD signature EKEYREJ.  PROG_LOAD signature EKEYREJECTED   PROG_LOAD signature <errno>
 *   v2026       verifier EKEYREJECTED         verifier EKEYREJECTED              verifier <errno>
 *
 * The signature errno depends on the field the byte lies in. The fields come from `openssl
 * asn1parse` (not from bpfsim's parser) and the errno per field from the actions of Linux's
 * crypto/asymmetric_keys/pkcs7.asn1 (see `linuxErrnoForField`): tag and length octets → EBADMSG
 * (the ASN.1 decoder), ContentInfo type / versions / encapsulated content type → EINVAL, digest and
 * public-key algorithm OIDs → ENOPKG, the signer's SubjectKeyIdentifier → ENOKEY, the signature
 * value → EKEYREJECTED. Where Linux ignores a field (the SignedData digestAlgorithms set, the
 * NULL algorithm parameters) bpfsim refuses the corruption with EBADMSG, as README's "Differences
 * from Linux" says. Random masks (the fast-check part) are held to the field's errno where one bit
 * flip and any mask agree (identifier, value), otherwise to the set of structural errnos.
 *
 * CI: every byte of the signature, the loader instructions and the blob of the smallest fixture,
 * plus fast-check random offsets and masks. `BPFSIM_SWEEP=full`: the same on every signed RSA
 * fixture.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SigningScheme } from '../../src/kernel/config.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { diffSnapshots, type KernelSnapshot } from '../../src/kernel/snapshot.js';
import { parseCertificate } from '../../src/signature/index.js';
import { LightSkeleton, type TamperTarget } from '../../src/skeleton/light-skeleton.js';
import type { LskelModel } from '../../src/skeleton/lskel-model.js';
import { signSkeleton } from '../../src/skeleton/sign.js';
import { fromHex } from '../../src/util/hex.js';
import { OPENSSL, openssl } from '../signature/support.js';
import {
  RSA, SCHEMES, fixtureModel, isInnerObject, isLoaderHook, isLoaderVerifier, signedRsaFixtures, signerKernel, type Ev,
} from './support.js';

const FULL = process.env.BPFSIM_SWEEP === 'full';
/** BPFSIM_SWEEP_ONLY=<substring>: restrict the full sweep to some fixtures (for running it in parts). */
const ONLY = process.env.BPFSIM_SWEEP_ONLY;
const SWEPT = FULL ? signedRsaFixtures().filter((f) => !ONLY || f.includes(ONLY)) : ['minimal.v78.signed_rsa.lskel.h'];
const RANDOM_RUNS = 40;

const SKID = fromHex(((): string => {
  const c = parseCertificate(RSA.certDer, { ecdsa: true });
  if (!c.ok || !c.cert.skidHex) throw new Error('fixture certificate without SKID');
  return c.cert.skidHex;
})());
/** RSA-2048: the signature value is the last 256 bytes of bpftool's CMS (an OCTET STRING at the end). */
const RSA_SIG_VALUE_LEN = 256;
const STRUCTURE_ERRNOS = new Set(['EBADMSG', 'EINVAL', 'ENOPKG']);

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

interface Asn1Element { readonly off: number; readonly hl: number; readonly len: number; readonly depth: number; readonly name: string }

/** The DER elements of `der` as `openssl asn1parse` reports them. */
function asn1Elements(der: Uint8Array): Asn1Element[] {
  const r = openssl(['asn1parse', '-inform', 'DER'], der);
  if (r.status !== 0) throw new Error(`openssl asn1parse failed: ${r.stderr}`);
  return r.stdout.toString().split('\n').filter((l: string) => l.trim()).map((line: string) => {
    const m = /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:prim|cons):\s*([^:]*?)\s*(?::|$)/.exec(line);
    if (!m) throw new Error(`unexpected asn1parse line: ${line}`);
    return { off: Number(m[1]), depth: Number(m[2]), hl: Number(m[3]), len: Number(m[4]), name: m[5] };
  });
}

/**
 * For each byte of a bpftool-shaped CMS message (RSA, SKID signer, no signed attributes), the errno
 * a one-bit flip there earns, from the action Linux's pkcs7.asn1 attaches to the field.
 */
function asn1FieldErrnos(sig: Uint8Array): string[] {
  const els = asn1Elements(sig);
  const out: string[] = new Array<string>(sig.length);
  let algorithmOids = 0;
  for (const e of els) {
    for (let i = e.off; i < e.off + e.hl; i++) out[i] = 'EBADMSG'; // tag and length octets: the decoder
    if (e.len === 0 || e.name === 'SEQUENCE' || e.name === 'SET' || e.name === 'cont [ 0 ]' && e.depth < 5) continue;
    const field = linuxErrnoForField(e, e.name === 'OBJECT' && e.depth === 6 ? algorithmOids++ : 0);
    for (let i = e.off + e.hl; i < e.off + e.hl + e.len; i++) out[i] = field;
  }
  const missing = out.findIndex((x) => x === undefined);
  if (missing >= 0) throw new Error(`byte ${missing} of the signature is in no classified field`);
  return out;
}

function linuxErrnoForField(e: Asn1Element, nthAlgorithmOid: number): string {
  switch (`${e.name}@${e.depth}`) {
    case 'OBJECT@1': return 'EINVAL'; // pkcs7_check_content_type: only signedData
    case 'INTEGER@3': return 'EINVAL'; // pkcs7_note_signeddata_version: 1 or 3
    case 'OBJECT@5': return 'EBADMSG'; // digestAlgorithms: Linux only notes the OID; bpfsim is stricter
    case 'OBJECT@4': return 'EINVAL'; // pkcs7_note_content: data (or Authenticode) only
    case 'INTEGER@5': return 'EINVAL'; // pkcs7_note_signerinfo_version
    case 'cont [ 0 ]@5': return 'ENOKEY'; // pkcs7_sig_note_skid: no key with that id
    case 'OBJECT@6': return nthAlgorithmOid === 0 || nthAlgorithmOid === 1 ? 'ENOPKG' : 'unclassified'; // digest, then pkey algo
    case 'OCTET STRING@5': return 'EKEYREJECTED'; // pkcs7_sig_note_signature: the RSA value
    default: return 'unclassified';
  }
}

type Step = 'outer-signature' | 'verifier' | 'loader-retval';

/** What each scheme promises for a flipped byte of `target` (the table above). */
function promised(scheme: SigningScheme, target: TamperTarget): Step {
  if (scheme === 'v2026') return 'verifier';
  if (scheme === 'v6.18' && target === 'data') return 'loader-retval';
  return 'outer-signature';
}

interface Sweeper {
  readonly kernel: Kernel;
  /** The keyring holding the signer's certificate (skel->keyring_id). */
  readonly ring: number;
  readonly model: LskelModel;
  /** Run one flip; returns a description of every way it deviated from the promise ([] = as promised). */
  flip(target: TamperTarget, offset: number, xor: number): string[];
  /** errnos seen per target, for the summary. */
  readonly seen: Map<string, number>;
}

function sweeper(file: string, scheme: SigningScheme): Sweeper {
  const model = signSkeleton(fixtureModel(file), { key: RSA.key, cert: RSA.cert, scheme });
  const { kernel, ring } = signerKernel('6.18.y', scheme);
  const sig = model.loader.signature!;
  const skidAt = indexOfBytes(sig, SKID);
  if (skidAt < 0) throw new Error('SKID not found in the signature');
  const seen = new Map<string, number>();
  // Warm-up: an untampered load must succeed. It also creates the VM stack of the first program
  // run, which the kernel keeps for its lifetime, so it does not show up in the first flip's diff.
  {
    const skel = LightSkeleton.open(kernel, model);
    skel.setKeyringId(ring);
    const o = skel.load();
    if (o.skelLoad !== 0) throw new Error(`${file} signed under ${scheme} does not load: ${String(o.errno)} at ${String(o.failedAt)}`);
    skel.destroy();
    kernel.settle();
  }

  // Without openssl (warned about by ../signature/support.ts) structural bytes get the looser check.
  const fieldErrno = OPENSSL !== null ? asn1FieldErrnos(sig) : null;
  /** The errno Linux gives for a signature with byte `offset` XORed with `xor` (see the header comment). */
  function signatureErrno(offset: number, xor: number): string | string[] {
    if (offset >= skidAt && offset < skidAt + SKID.length) return 'ENOKEY';
    if (offset >= sig.length - RSA_SIG_VALUE_LEN) return 'EKEYREJECTED';
    return xor === 0x01 && fieldErrno !== null ? fieldErrno[offset] : [...STRUCTURE_ERRNOS];
  }

  function flip(target: TamperTarget, offset: number, xor: number): string[] {
    const where = `${scheme} ${target}[${offset}]^0x${xor.toString(16)}`;
    const bad: string[] = [];
    const before = kernel.snapshot();
    kernel.trace.clear();
    const skel = LightSkeleton.open(kernel, model);
    skel.setKeyringId(ring);
    const o = skel.load({ tamper: [{ target, offset, xor }] });
    const t = kernel.trace.all;
    const step = promised(scheme, target);
    const want = target === 'signature' ? signatureErrno(offset, xor) : step === 'loader-retval' ? 'EINVAL' : 'EKEYREJECTED';
    const okErrno = Array.isArray(want) ? want.includes(o.errno ?? '') : o.errno === want;
    if (!okErrno) bad.push(`${where}: errno ${String(o.errno)}, want ${String(want)}`);
    seen.set(`${target} ${o.errno}`, (seen.get(`${target} ${o.errno}`) ?? 0) + 1);
    const hook = t.find(isLoaderHook);
    const verifier = t.find(isLoaderVerifier);
    const sigEv = t.find((e): e is Ev<'signature'> => e.type === 'signature');
    switch (step) {
      case 'outer-signature':
        if (o.failedAt !== 'outer BPF_PROG_LOAD') bad.push(`${where}: failed at ${String(o.failedAt)}`);
        if (sigEv?.result !== 'rejected' || sigEv.errno !== o.errno) bad.push(`${where}: no matching signature rejection`);
        if (hook || verifier) bad.push(`${where}: the LSM hook or the verifier ran`);
        break;
      case 'verifier':
        if (o.failedAt !== 'outer BPF_PROG_LOAD') bad.push(`${where}: failed at ${String(o.failedAt)}`);
        if (!hook || hook.detail.loader_verified !== false || hook.detail.metadata_verified !== false) bad.push(`${where}: hook missing or saw something verified`);
        if (!verifier || verifier.ok || verifier.errno !== o.errno) bad.push(`${where}: verifier did not reject with ${String(o.errno)}`);
        if (!sigEv || sigEv.result !== 'rejected' || (hook && t.indexOf(sigEv) < t.indexOf(hook))) bad.push(`${where}: signature not rejected after the hook`);
        break;
      case 'loader-retval': {
        if (o.failedAt !== 'loader retval' || o.loaderRetval !== -22) bad.push(`${where}: failed at ${String(o.failedAt)} retval ${String(o.loaderRetval)}`);
        if (!hook || hook.detail.loader_verified !== true || hook.detail.metadata_verified !== false) bad.push(`${where}: hook missing or wrong status`);
        if (!verifier?.ok) bad.push(`${where}: the loader was not verified`);
        const check = t.find((e) => e.type === 'note' && e.detail?.check === 'hash');
        if (check?.type !== 'note' || check.detail?.ok !== false) bad.push(`${where}: the loader's hash check did not fail`);
        break;
      }
    }
    if (t.some(isInnerObject)) bad.push(`${where}: an inner object was created`);
    skel.destroy();
    kernel.settle();
    const expectClosed = step === 'loader-retval' ? cleanupCloses(model, target, offset, xor, before) : [];
    const diff = diffSnapshots(before, kernel.snapshot());
    const unexpected = diff.filter((d) => !(d.what === 'fd' && d.after === null && expectClosed.some((c) => c.fd === d.fd)));
    if (unexpected.length) bad.push(`${where}: state changed: ${JSON.stringify(unexpected)}`);
    for (const c of expectClosed) {
      if (!diff.some((d) => d.what === 'fd' && d.fd === c.fd && d.after === null)) bad.push(`${where}: CLEANUP did not close fd ${c.fd}`);
      // Give the process its stdio back (dup2) for the next flip.
      if (kernel.fds.get(c.fd) === undefined && kernel.fds.install({ type: 'other', what: c.what }) !== c.fd) bad.push(`${where}: cannot reopen fd ${c.fd}`);
    }
    return bad;
  }
  return { kernel, ring, model, flip, seen };
}

/**
 * The process fds a v6.18 loader closes when its hash check fails on a tampered blob: CLEANUP
 * closes, for each map i of the object, the fd in the blob's fd_array slot i (u32 at 4·i,
 * "if fd <= 0 skip", signing.md §5.2) — the unverified blob's own bytes, since the loader has
 * created nothing yet. Only fds the process had before the load matter after X__destroy() (the
 * loader map and program fds 3 and 4 are closed by bpf_load_and_run anyway).
 */
function cleanupCloses(model: LskelModel, target: TamperTarget, offset: number, xor: number, before: KernelSnapshot): Array<{ fd: number; what: string }> {
  if (target !== 'data') return [];
  const data = model.loader.data.slice();
  data[offset] ^= xor;
  const dv = new DataView(data.buffer);
  const out: Array<{ fd: number; what: string }> = [];
  for (let i = 0; i < model.skeleton.maps.length; i++) {
    const fd = dv.getInt32(4 * i, true);
    const had = before.fds.find((f) => f.fd === fd);
    if (fd > 0 && had && !out.some((o) => o.fd === fd)) out.push({ fd, what: had.kind });
  }
  return out;
}

for (const file of SWEPT) {
  describe(`${file}${FULL ? ' (full sweep)' : ''}`, () => {
    for (const scheme of SCHEMES) {
      describe(scheme, () => {
        // Built in beforeAll so that a skeleton that does not load fails its own tests, not the file.
        let s: Sweeper;
        let m: LskelModel;
        beforeAll(() => {
          s = sweeper(file, scheme);
          m = s.model;
        });

        it('every signature byte is caught at the promised step', () => {
          const bad: string[] = [];
          for (let i = 0; i < m.loader.signature!.length; i++) bad.push(...s.flip('signature', i, 0x01));
          expect(bad).toEqual([]);
          // Every region of the message was hit: identifier, value and structure errors.
          const errnos = [...s.seen.keys()].filter((k) => k.startsWith('signature ')).map((k) => k.slice(10));
          expect(errnos).toEqual(expect.arrayContaining(['ENOKEY', 'EKEYREJECTED', 'EBADMSG', 'EINVAL', 'ENOPKG']));
        });

        it('every loader instruction byte is caught at the promised step', () => {
          const bad: string[] = [];
          for (let i = 0; i < m.loader.insns.length; i++) bad.push(...s.flip('insns', i, 0x01));
          expect(bad).toEqual([]);
        });

        it('every blob byte is caught at the promised step', () => {
          const bad: string[] = [];
          for (let i = 0; i < m.loader.data.length; i++) bad.push(...s.flip('data', i, 0x01));
          expect(bad).toEqual([]);
        }, 180_000);

        if (!FULL) {
          it('random offsets and masks of insns, blob and signature (fast-check)', () => {
            const target = fc.constantFrom<TamperTarget>('insns', 'data', 'signature');
            fc.assert(fc.property(target, fc.nat(), fc.integer({ min: 1, max: 255 }), (tg, n, xor) => {
              const len = tg === 'insns' ? m.loader.insns.length : tg === 'data' ? m.loader.data.length : m.loader.signature!.length;
              const bad = s.flip(tg, n % len, xor);
              if (bad.length) throw new Error(bad.join('\n'));
            }), { numRuns: RANDOM_RUNS, seed: 0x7a3b });
          });
        }
      });
    }
  });
}

describe('v6.18: the failing loader\'s CLEANUP runs on the unverified blob (shared_subprog, one map)', () => {
  // fd_array slot 0 = 1..8: stdout, stderr, the loader's own map and program fds (3, 4), and fds
  // that do not exist. Only the process's pre-existing fds stay closed; the loader program keeps
  // running when its own fd is closed (the test run holds a reference).
  for (const scheme of SCHEMES) {
    it(`${scheme}: ${scheme === 'v6.18' ? 'closes exactly the process fds the tampered slot names' : 'the loader never runs, nothing is closed'}`, () => {
      const s = sweeper('shared_subprog.v78.signed_rsa.lskel.h', scheme);
      const bad: string[] = [];
      for (let fd = 1; fd <= 8; fd++) bad.push(...s.flip('data', 0, fd));
      expect(bad).toEqual([]);
      expect(s.kernel.fds.list().map(([fd, e]) => [fd, e.type === 'other' ? e.what : e.obj.kind])).toEqual([[0, 'stdin'], [1, 'stdout'], [2, 'stderr']]);
    });
  }

  it('v6.18: fd 1 really is closed by the loader (sys_close from inside the run), not by userspace', () => {
    const s = sweeper('shared_subprog.v78.signed_rsa.lskel.h', 'v6.18');
    s.kernel.trace.clear();
    const { kernel } = s;
    const skel = LightSkeleton.open(kernel, s.model);
    skel.setKeyringId(s.ring);
    const o = skel.load({ tamper: [{ target: 'data', offset: 0, xor: 1 }] });
    expect(o.loaderRetval).toBe(-22);
    const closes = kernel.trace.all.filter((e) => e.type === 'close');
    expect(closes.map((e) => e.type === 'close' && [e.caller, e.fd, e.ret, e.depth])).toEqual([
      ['kernel', 1, 0, 1], // CLEANUP's sys_close, inside the loader run
      ['user', 3, 0, 0], ['user', 4, 0, 0], // bpf_load_and_run closes the loader map and program
    ]);
    skel.destroy();
  });
});
