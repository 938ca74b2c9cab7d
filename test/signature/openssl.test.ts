/**
 * Interoperability with OpenSSL both ways: `openssl cms -verify` accepts bpfsim's signatures, and
 * bpfsim verifies what `openssl cms -sign` produces — bpftool's flags, signed attributes,
 * issuer+serial signers, certificates in the message — and rejects with Linux's errno what Linux
 * rejects (wrong content type, attached content, not SignedData, unsupported algorithms).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KEY_SPEC, addKey, bpfProgVerifySignature, createKeyrings, signLikeBpftool, verifyPkcs7Signature,
  type KeyringState, type Pkcs7Usage, type SignatureVerdict,
} from '../../src/signature/index.js';
import { toHex } from '../../src/util/hex.js';
import { KEYS, OPENSSL, VERIFY_ON, expectOk, key, openssl, scratch, signedSkeletons } from './support.js';

const insns = signedSkeletons().find((s) => s.file === 'minimal.v78.signed_rsa.lskel.h')!.insns;

describe.skipIf(OPENSSL === null)(`openssl interoperability (${OPENSSL ?? 'openssl missing: skipped'})`, () => {
  const tmp = scratch();
  const K = (f: string) => `${KEYS}/${f}`;
  let insnsFile = '';
  let randomContent = new Uint8Array();
  let randomFile = '';
  const extra: Record<string, { cert: string; key: string; der: Uint8Array }> = {};

  /** A throwaway self-signed certificate made by openssl (notBefore = now). */
  function makeCert(name: string, keyArgs: string[]): void {
    const keyFile = tmp.file(`${name}.key`);
    const certFile = tmp.file(`${name}.crt`);
    const r = openssl(['req', '-new', '-x509', ...keyArgs, '-nodes', '-keyout', keyFile, '-out', certFile,
      '-subj', `/O=bpfsim tests/CN=${name}`, '-days', '2', '-addext', 'subjectKeyIdentifier=hash']);
    expect(r.status, r.stderr).toBe(0);
    const der = openssl(['x509', '-in', certFile, '-outform', 'DER']);
    expect(der.status, der.stderr).toBe(0);
    extra[name] = { cert: certFile, key: keyFile, der: new Uint8Array(der.stdout) };
  }

  beforeAll(() => {
    insnsFile = tmp.file('insns.bin', insns);
    randomContent = new Uint8Array(randomBytes(1000));
    randomFile = tmp.file('random.bin', randomContent);
    makeCert('p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1']);
    makeCert('fresh-rsa', ['-newkey', 'rsa:2048']);
  });
  afterAll(() => tmp.cleanup());

  /** `openssl cms -sign` over `content` with the given signer; returns the DER message. */
  function osslSign(args: string[], signer = { cert: K('rsa2048.cert.pem'), key: K('rsa2048.key.pem') }, content = insnsFile): Uint8Array {
    const out = tmp.file(`sig-${Math.random().toString(16).slice(2)}.der`);
    const r = openssl(['cms', '-sign', '-binary', '-in', content, '-signer', signer.cert, '-inkey', signer.key, '-outform', 'DER', '-out', out, ...args]);
    expect(r.status, r.stderr).toBe(0);
    return new Uint8Array(readFileSync(out));
  }

  function ring(...certs: Uint8Array[]): KeyringState {
    let s = expectOk(createKeyrings({ seed: 11 })).state;
    for (const der of certs) s = expectOk(addKey(s, { ecdsa: true }, { type: 'asymmetric', payload: der, keyring: KEY_SPEC.SESSION_KEYRING })).state;
    return s;
  }
  const RSA = new Uint8Array(readFileSync(K('rsa2048.cert.der')));
  const EC = new Uint8Array(readFileSync(K('ecp256.cert.der')));

  function verify(sig: Uint8Array, usage: Pkcs7Usage, keyrings: KeyringState, content: Uint8Array = insns, ecdsa = true): SignatureVerdict {
    return verifyPkcs7Signature({ content, signature: sig, trusted: { kind: 'keyring', serial: keyrings.session! }, usage, config: { ecdsa }, keyrings });
  }

  describe('openssl verifies bpfsim signatures', () => {
    for (const [name, keyFile, certFile] of [['RSA', 'rsa2048.key.pem', 'rsa2048.cert.pem'], ['ECDSA P-256', 'ecp256.key.pem', 'ecp256.cert.pem']]) {
      it(`${name}: openssl cms -verify -binary -inform DER -noverify -certfile <cert>`, () => {
        for (const [content, file] of [[insns, insnsFile], [randomContent, randomFile]] as const) {
          const s = expectOk(signLikeBpftool(content, { key: key(keyFile), cert: key(certFile) }));
          const sigFile = tmp.file(`bpfsim-${name}.der`, s.signature);
          const r = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigFile, '-content', file, '-noverify', '-certfile', K(certFile), '-out', '/dev/null']);
          expect(r.status, r.stderr).toBe(0);
          expect(r.stderr).toContain('Verification successful');
          // Control: the same check fails on other content.
          const bad = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', sigFile, '-content', file === insnsFile ? randomFile : insnsFile, '-noverify', '-certfile', K(certFile), '-out', '/dev/null']);
          expect(bad.status).not.toBe(0);
        }
      });
    }
  });

  describe('bpfsim verifies openssl signatures', () => {
    const BPFTOOL_FLAGS = ['-nocerts', '-noattr', '-keyid', '-md', 'sha256'];

    it('bpftool\'s flags, RSA: byte-identical to signLikeBpftool and accepted by BPF_PROG_LOAD', () => {
      const sig = osslSign(BPFTOOL_FLAGS);
      expect(toHex(sig)).toBe(toHex(expectOk(signLikeBpftool(insns, { key: key('rsa2048.key.pem'), cert: key('rsa2048.cert.pem') })).signature));
      const r = bpfProgVerifySignature({
        signature: sig, signatureSize: sig.length, readable: true, keyringId: KEY_SPEC.SESSION_KEYRING, content: insns,
        kernelVersion: '6.18.y', config: VERIFY_ON, keyrings: ring(RSA),
      });
      expect(r).toMatchObject({ checked: true, ok: true, signer: { identifiedBy: 'skid', skid: '602644a0fa8c3d8729e64f3a89f8708fa43fd41f' } });
    });

    it('bpftool\'s flags, ECDSA P-256 and P-384', () => {
      expect(verify(osslSign(BPFTOOL_FLAGS, { cert: K('ecp256.cert.pem'), key: K('ecp256.key.pem') }), 'bpf', ring(EC)))
        .toMatchObject({ ok: true, signer: { algorithm: 'ecdsa', digest: 'sha256' } });
      const p384 = extra.p384;
      expect(verify(osslSign(['-nocerts', '-noattr', '-keyid', '-md', 'sha384'], p384), 'bpf', ring(p384.der)))
        .toMatchObject({ ok: true, signer: { algorithm: 'ecdsa', digest: 'sha384' } });
    });

    it('SHA-384 and SHA-512 digests with RSA', () => {
      for (const md of ['sha384', 'sha512']) {
        expect(verify(osslSign(['-nocerts', '-noattr', '-keyid', '-md', md]), 'bpf', ring(RSA))).toMatchObject({ ok: true, signer: { digest: md } });
      }
    });

    it('signed attributes: accepted as an unspecified signature, rejected as a BPF signature', () => {
      const sig = osslSign(['-nocerts', '-keyid', '-md', 'sha256', '-nosmimecap']);
      expect(verify(sig, 'unspecified', ring(RSA))).toMatchObject({ ok: true, signer: { signedAttributes: true } });
      expect(verify(sig, 'bpf', ring(RSA))).toMatchObject({ ok: false, errnoName: 'EKEYREJECTED', reason: expect.stringContaining('has authattrs') });
      const tampered = insns.slice();
      tampered[100] ^= 0x40;
      expect(verify(sig, 'unspecified', ring(RSA), tampered)).toMatchObject({ ok: false, errnoName: 'EKEYREJECTED', reason: expect.stringContaining("message digest doesn't match") });
    });

    it('signed attributes with S/MIME capabilities (openssl\'s default) → EKEYREJECTED', () => {
      const sig = osslSign(['-nocerts', '-keyid', '-md', 'sha256']);
      expect(verify(sig, 'unspecified', ring(RSA))).toMatchObject({ ok: false, errnoName: 'EKEYREJECTED', reason: expect.stringContaining('S/MIME Caps') });
    });

    it('signer identified by issuer and serial number', () => {
      const serial = openssl(['x509', '-in', K('rsa2048.cert.pem'), '-noout', '-serial']).stdout.toString().trim().replace('serial=', '').toLowerCase();
      const r = verify(osslSign(['-nocerts', '-noattr', '-md', 'sha256']), 'bpf', ring(RSA));
      expect(r).toMatchObject({ ok: true, signer: { identifiedBy: 'issuerSerial' } });
      if (r.ok) expect(r.signer.keyId.startsWith(serial)).toBe(true);
      // ECDSA too (Linux cannot match an EC certificate in the message, but finds the key by id).
      expect(verify(osslSign(['-noattr', '-md', 'sha256'], { cert: K('ecp256.cert.pem'), key: K('ecp256.key.pem') }), 'bpf', ring(EC)))
        .toMatchObject({ ok: true, signer: { identifiedBy: 'issuerSerial', algorithm: 'ecdsa' } });
    });

    it('PKCS#7 (openssl smime, SignedData version 1)', () => {
      const out = tmp.file('smime.der');
      const r = openssl(['smime', '-sign', '-binary', '-in', insnsFile, '-signer', K('rsa2048.cert.pem'), '-inkey', K('rsa2048.key.pem'), '-outform', 'DER', '-out', out, '-nocerts', '-noattr', '-md', 'sha256']);
      expect(r.status, r.stderr).toBe(0);
      expect(verify(new Uint8Array(readFileSync(out)), 'bpf', ring(RSA))).toMatchObject({ ok: true, signer: { identifiedBy: 'issuerSerial' } });
    });

    it('certificates included in the message', () => {
      // SKID signer: Linux never matches message certificates by SKID; the keyring decides.
      expect(verify(osslSign(['-noattr', '-keyid', '-md', 'sha256']), 'bpf', ring(RSA))).toMatchObject({ ok: true });
      // Issuer+serial signer: the message's certificate is the signer and must itself be trusted.
      const withCert = osslSign(['-noattr', '-md', 'sha256']);
      expect(verify(withCert, 'bpf', ring(RSA))).toMatchObject({ ok: true, signer: { identifiedBy: 'issuerSerial' } });
      expect(verify(withCert, 'bpf', ring())).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
      expect(verify(withCert, 'bpf', ring(new Uint8Array(readFileSync(K('other_rsa2048.cert.der')))))).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
      // With signed attributes and signingTime (a certificate valid from now).
      const fresh = extra['fresh-rsa'];
      expect(verify(osslSign(['-md', 'sha256', '-nosmimecap'], fresh), 'unspecified', ring(fresh.der)))
        .toMatchObject({ ok: true, signer: { identifiedBy: 'issuerSerial', signedAttributes: true } });
      // Tampered content is caught by the certificate in the message already.
      const t = insns.slice();
      t[0] ^= 1;
      expect(verify(withCert, 'bpf', ring(RSA), t)).toMatchObject({ ok: false, errnoName: 'EKEYREJECTED', reason: expect.stringContaining('certificate in the message') });
    });

    it('an EC certificate in the message on a kernel without ECDSA → ENOENT', () => {
      const sig = osslSign(['-noattr', '-md', 'sha256'], { cert: K('ecp256.cert.pem'), key: K('ecp256.key.pem') });
      expect(verify(sig, 'bpf', ring(RSA), insns, false)).toMatchObject({ ok: false, errnoName: 'ENOENT' });
    });

    it('content type other than id-data: EINVAL at parse; Authenticode: EBADMSG without, EKEYREJECTED with attributes', () => {
      expect(verify(osslSign(['-nocerts', '-noattr', '-keyid', '-econtent_type', '1.2.3.4']), 'bpf', ring(RSA)))
        .toMatchObject({ ok: false, errnoName: 'EINVAL', reason: expect.stringContaining('unsupported data type') });
      expect(verify(osslSign(['-nocerts', '-noattr', '-keyid', '-econtent_type', '1.3.6.1.4.1.311.2.1.4']), 'bpf', ring(RSA)))
        .toMatchObject({ ok: false, errnoName: 'EBADMSG', reason: expect.stringContaining('Authenticode requires AuthAttrs') });
      const ind = osslSign(['-nocerts', '-keyid', '-nosmimecap', '-econtent_type', '1.3.6.1.4.1.311.2.1.4']);
      for (const usage of ['bpf', 'unspecified'] as const) {
        expect(verify(ind, usage, ring(RSA))).toMatchObject({ ok: false, errnoName: 'EKEYREJECTED', reason: expect.stringContaining('not pkcs7-data') });
      }
    });

    it('attached content → EBADMSG; not SignedData → EINVAL', () => {
      expect(verify(osslSign(['-nocerts', '-noattr', '-keyid', '-nodetach']), 'bpf', ring(RSA)))
        .toMatchObject({ ok: false, errnoName: 'EBADMSG', reason: expect.stringContaining('non-detached') });
      const out = tmp.file('data.der');
      expect(openssl(['cms', '-data_create', '-binary', '-in', insnsFile, '-outform', 'DER', '-out', out]).status).toBe(0);
      expect(verify(new Uint8Array(readFileSync(out)), 'bpf', ring(RSA)))
        .toMatchObject({ ok: false, errnoName: 'EINVAL', reason: expect.stringContaining('pkcs7_signedData') });
    });

    it('unsupported digest (MD5) or public-key algorithm (RSASSA-PSS) → ENOPKG', () => {
      expect(verify(osslSign(['-nocerts', '-noattr', '-keyid', '-md', 'md5']), 'bpf', ring(RSA)))
        .toMatchObject({ ok: false, errnoName: 'ENOPKG', reason: expect.stringContaining('digest') });
      expect(verify(osslSign(['-nocerts', '-noattr', '-keyid', '-keyopt', 'rsa_padding_mode:pss']), 'bpf', ring(RSA)))
        .toMatchObject({ ok: false, errnoName: 'ENOPKG', reason: expect.stringContaining('pkey algo') });
    });
  });
});
