/**
 * X.509 parsing checked against openssl's own reading of the same certificates, plus the errors
 * Linux's certificate parser gives for certificates it cannot use.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { looksLikeDer, parseCertificate, parseCertificateDer, pemToDer } from '../../src/signature/index.js';
import { KEYS, OPENSSL, key, keyBytes, openssl, scratch } from './support.js';

const CERTS = ['rsa2048', 'ecp256', 'other_rsa2048', 'v77_rsa2048'];

describe('X.509 from PEM or DER', () => {
  it('detects DER the way bpftool does (0x30 0x81..0x84)', () => {
    expect(looksLikeDer(keyBytes('rsa2048.cert.der'))).toBe(true);
    expect(looksLikeDer(keyBytes('rsa2048.cert.pem'))).toBe(false);
    expect(looksLikeDer(new Uint8Array([0x30, 0x80]))).toBe(false);
    expect(looksLikeDer(new Uint8Array([0x30, 0x85]))).toBe(false);
    expect(looksLikeDer(new Uint8Array([0x30]))).toBe(false);
  });

  for (const name of CERTS) {
    it(`${name}: PEM, DER and PEM bytes give the same certificate`, () => {
      const fromPem = parseCertificate(key(`${name}.cert.pem`));
      const fromDer = parseCertificate(keyBytes(`${name}.cert.der`));
      const fromPemBytes = parseCertificate(keyBytes(`${name}.cert.pem`));
      expect(fromPem.ok).toBe(true);
      expect(fromDer).toEqual(fromPem);
      expect(fromPemBytes).toEqual(fromPem);
    });
  }

  it('rejects input that is neither (EBADMSG)', () => {
    expect(parseCertificate('hello')).toMatchObject({ ok: false, errnoName: 'EBADMSG' });
    expect(parseCertificate(new Uint8Array([0x30, 0x82, 0x01]))).toMatchObject({ ok: false, errnoName: 'EBADMSG' });
    expect(parseCertificate('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n')).toMatchObject({ ok: false, errnoName: 'EBADMSG' });
    expect(pemToDer('-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----')).toBeNull();
    const der = keyBytes('rsa2048.cert.der');
    expect(parseCertificateDer(der.subarray(0, der.length - 1), { ecdsa: true })).toMatchObject({ ok: false, errnoName: 'EBADMSG' });
    expect(parseCertificateDer(new Uint8Array([...der, 0]), { ecdsa: true })).toMatchObject({ ok: false, errnoName: 'EBADMSG' });
  });
});

describe.skipIf(OPENSSL === null)('X.509 fields agree with openssl', () => {
  for (const name of CERTS) {
    it(name, () => {
      const file = `${KEYS}/${name}.cert.pem`;
      const o = openssl(['x509', '-in', file, '-noout', '-serial', '-ext', 'subjectKeyIdentifier', '-startdate', '-enddate', '-subject']);
      expect(o.status, o.stderr).toBe(0);
      const text = o.stdout.toString();
      const serial = /serial=([0-9A-F]+)/.exec(text)![1].toLowerCase();
      const skid = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text)![1].replace(/:/g, '').toLowerCase();
      const notBefore = Date.parse(/notBefore=(.*)/.exec(text)![1]);
      const notAfter = Date.parse(/notAfter=(.*)/.exec(text)![1]);
      const subject = /subject=(.*)/.exec(text)![1].replace(/ = /g, '=');
      const c = parseCertificate(key(`${name}.cert.pem`));
      expect(c.ok).toBe(true);
      if (!c.ok) return;
      expect(c.cert.serialHex).toBe(serial);
      expect(c.cert.skidHex).toBe(skid);
      expect(c.cert.notBefore).toBe(notBefore);
      expect(c.cert.notAfter).toBe(notAfter);
      expect(c.cert.subject).toBe(subject);
      expect(c.cert.issuer).toBe(subject);
      expect(c.cert.selfSigned).toBe(true);
      expect(c.cert.description).toBe(`${c.cert.linuxName}: ${skid}`);
      const pub = openssl(['x509', '-in', file, '-noout', '-pubkey']).stdout;
      const spki = openssl(['pkey', '-pubin', '-outform', 'DER'], pub).stdout.toString('hex');
      expect(c.cert.publicKey.spkiHex).toBe(spki);
    });
  }

  it('describes keys like Linux: "O: CN" unless CN repeats O; CN alone; O alone', () => {
    expect(parseCertificate(key('rsa2048.cert.pem'))).toMatchObject({ ok: true, cert: { linuxName: 'bpf-lskel-fixtures: test-only BPF lskel signing key', publicKey: { algorithm: 'rsa', bits: 2048 } } });
    expect(parseCertificate(key('v77_rsa2048.cert.pem'))).toMatchObject({ ok: true, cert: { linuxName: 'bpf-lskel-test' } });
    expect(parseCertificate(key('ecp256.cert.pem'))).toMatchObject({ ok: true, cert: { pkeyAlgo: 'ecdsa-nist-p256', publicKey: { algorithm: 'ecdsa', curve: 'P-256' } } });
  });

  describe('generated certificates', () => {
    const tmp = scratch();
    const made: Record<string, Uint8Array> = {};
    function make(name: string, args: string[], subj: string, ext: string[] = ['-addext', 'subjectKeyIdentifier=hash']): void {
      const crt = tmp.file(`${name}.crt`);
      const r = openssl(['req', '-new', '-x509', ...args, '-nodes', '-keyout', tmp.file(`${name}.key`), '-out', crt, '-subj', subj, '-days', '1', ...ext]);
      expect(r.status, r.stderr).toBe(0);
      made[name] = new Uint8Array(openssl(['x509', '-in', crt, '-outform', 'DER']).stdout);
    }
    beforeAll(() => {
      make('cn-prefix', ['-newkey', 'rsa:1024'], '/O=Acme/CN=Acme signing key');
      make('seven', ['-newkey', 'rsa:1024'], '/O=Example Org/CN=Example signing');
      make('o-only', ['-newkey', 'rsa:1024'], '/O=Only Org');
      make('email', ['-newkey', 'rsa:1024'], '/emailAddress=a@b.c');
      make('noskid', ['-newkey', 'rsa:1024'], '/CN=noskid', ['-addext', 'subjectKeyIdentifier=none']);
      make('p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1'], '/CN=p384');
      make('p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp521r1'], '/CN=p521');
      make('ed25519', ['-newkey', 'ed25519'], '/CN=ed');
    });
    afterAll(() => tmp.cleanup());

    it('fabricates names like x509_fabricate_name()', () => {
      expect(parseCertificateDer(made['cn-prefix'], { ecdsa: true })).toMatchObject({ ok: true, cert: { linuxName: 'Acme signing key' } });
      expect(parseCertificateDer(made.seven, { ecdsa: true })).toMatchObject({ ok: true, cert: { linuxName: 'Example signing' } });
      expect(parseCertificateDer(made['o-only'], { ecdsa: true })).toMatchObject({ ok: true, cert: { linuxName: 'Only Org' } });
      expect(parseCertificateDer(made.email, { ecdsa: true })).toMatchObject({ ok: true, cert: { linuxName: 'a@b.c' } });
    });

    it('describes a certificate without SKID by its serial', () => {
      const c = parseCertificateDer(made.noskid, { ecdsa: true });
      expect(c.ok).toBe(true);
      if (c.ok) {
        expect(c.cert.skidHex).toBeNull();
        expect(c.cert.description).toBe(`noskid: ${c.cert.serialHex}`);
      }
    });

    it('accepts P-384, refuses other curves and key types (ENOPKG)', () => {
      expect(parseCertificateDer(made.p384, { ecdsa: true })).toMatchObject({ ok: true, cert: { pkeyAlgo: 'ecdsa-nist-p384' } });
      expect(parseCertificateDer(made.p521, { ecdsa: true })).toMatchObject({ ok: false, errnoName: 'ENOPKG' });
      expect(parseCertificateDer(made.ed25519, { ecdsa: true })).toMatchObject({ ok: false, errnoName: 'ENOPKG' });
    });
  });
});

describe('certificate checks done at parse time', () => {
  it('a self-signed certificate whose signature is corrupted → EKEYREJECTED', () => {
    const der = keyBytes('rsa2048.cert.der').slice();
    der[der.length - 5] ^= 0x01; // inside the signature value
    expect(parseCertificateDer(der, { ecdsa: true })).toMatchObject({ ok: false, errnoName: 'EKEYREJECTED' });
  });

  it('an EC self-signed certificate without ECDSA crypto → ENOENT (add_key on the fixtures\' VM)', () => {
    expect(parseCertificateDer(keyBytes('ecp256.cert.der'), { ecdsa: false })).toMatchObject({ ok: false, errnoName: 'ENOENT' });
    expect(parseCertificateDer(keyBytes('rsa2048.cert.der'), { ecdsa: false })).toMatchObject({ ok: true });
  });

  it('returns plain data (JSON round trip)', () => {
    const c = parseCertificate(readFileSync(`${KEYS}/v77_rsa2048.cert.pem`, 'utf8'));
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });
});
