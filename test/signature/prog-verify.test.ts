/**
 * BPF_PROG_LOAD's signature step: ordering and every errno. The kernel observations recorded in
 * fixtures/expected (EOPNOTSUPP kernel, 6.18.44) are replayed as data; the enabled-verification
 * outcomes follow the Linux sources (signing.md §6.1).
 */
import { describe, expect, it } from 'vitest';
import {
  BPF_SIGNATURE_MAX_SIZE, KEY_SPEC, Keyrings, addKey, addKeyring, advanceClock, bpfProgVerifySignature,
  createKeyrings, linkKey, revokeKey, setKeyTimeout, signLikeBpftool,
  type BpfProgVerifySignatureResult, type KeyringState, type SignatureConfig, type SignatureKernelVersion,
} from '../../src/signature/index.js';
import {
  FIXTURE_VM, VERIFY_ON, expectOk, expectedJson, fixtureWorld, key, keyBytes, signedSkeletons, type FixtureWorld,
} from './support.js';

const skel = signedSkeletons();
const RSA_SKEL = skel.find((s) => s.file === 'minimal.v78.signed_rsa.lskel.h')!;
const EC_SKEL = skel.find((s) => s.file === 'minimal.v78.signed_ec.lskel.h')!;
const TPROG = skel.find((s) => s.file === 'tprog.v77.signed_rsa.lskel.h')!;
const RSA = keyBytes('rsa2048.cert.der');

interface Call {
  sig?: Uint8Array | null;
  size?: number;
  readable?: boolean;
  keyringId: number;
  content?: Uint8Array;
  version?: SignatureKernelVersion;
  config?: SignatureConfig;
  keyrings: KeyringState;
}

function load(c: Call, s = RSA_SKEL): BpfProgVerifySignatureResult {
  const sig = c.sig === undefined ? s.sig : c.sig;
  return bpfProgVerifySignature({
    signature: sig,
    signatureSize: c.size ?? sig?.length ?? 0,
    readable: c.readable ?? true,
    keyringId: c.keyringId,
    content: c.content ?? s.insns,
    kernelVersion: c.version ?? '6.18.y',
    config: c.config ?? VERIFY_ON,
    keyrings: c.keyrings,
  });
}

function errnoOf(r: BpfProgVerifySignatureResult): string {
  if (!r.checked) return 'unchecked';
  return r.ok ? 'ok' : r.errnoName;
}

/** The symbolic keyring ids of expected/*.json in a fixture world. */
function resolveKeyringId(id: number | string, w: FixtureWorld): number {
  if (typeof id === 'number') return id;
  if (id.includes('signing certificate')) return w.ringWithCert;
  if (id.includes('unrelated certificate')) return w.ringWrongCert;
  if (id.includes('empty user keyring')) return w.emptyRing;
  if (id.includes('certificate key')) return w.certKey;
  throw new Error(`unknown symbolic keyring id ${id}`);
}

describe('recorded on the 6.18.44 VM (no CONFIG_SYSTEM_DATA_VERIFICATION, no ECDSA)', () => {
  for (const fixture of ['minimal', 'maps_globals', 'shared_subprog', 'ringbuf_trace', 'tprog']) {
    const data = expectedJson(fixture);
    const cases = (data.cases as any[]).filter((c) => c.setup && c.setup.signature === 'as generated');
    it(`${fixture}: ${cases.length} signed cases`, () => {
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const s = skel.find((x) => x.fixture === fixture && x.variant === c.variant)!;
        const w = fixtureWorld(keyBytes(`${s.keyName}.cert.der`), { ecdsa: false });
        const sig = s.sig.slice();
        const content = s.insns.slice();
        for (const t of c.setup.tamper ?? []) {
          if (t.target === 'signature') sig[t.offset] ^= t.from ^ t.to;
          if (t.target === 'insns') content[t.offset] ^= t.from ^ t.to;
        }
        const r = load({ sig, content, keyringId: resolveKeyringId(c.setup.keyring_id, w), config: FIXTURE_VM, keyrings: w.state }, s);
        expect(`${c.id}: ${errnoOf(r)}`).toBe(`${c.id}: ${c.outcome.errno}`);
      }
    });
  }

  it('S_adhoc_keyring_ids', () => {
    const rows = (expectedJson('minimal').cases as any[]).find((c) => c.id === 'S_adhoc_keyring_ids').rows as any[];
    for (const row of rows) {
      let w = fixtureWorld(RSA, { ecdsa: false });
      if (row.in_fresh_empty_session_keyring) w = { ...w, state: expectOk(createKeyrings({ seed: 9 })).state };
      const r = load({ keyringId: row.keyring_id, config: FIXTURE_VM, keyrings: w.state });
      expect(`${row.keyring_id_arg}: ${errnoOf(r)}`).toBe(`${row.keyring_id_arg}: ${row.errno}`);
    }
  });

  it('R_sigsize_matrix and the R_* replays of tprog (size cap, keyring, copy fault, NULL pointer)', () => {
    const cases = expectedJson('tprog').cases as any[];
    const w = fixtureWorld(keyBytes('v77_rsa2048.cert.der'), { ecdsa: false });
    for (const row of cases.find((c) => c.id === 'R_sigsize_matrix').rows) {
      const big = new Uint8Array(Math.max(row.signature_size ?? 0, TPROG.sig.length));
      big.set(TPROG.sig);
      const r = load({
        sig: row.signature === null ? null : big, size: row.signature_size ?? 0, keyringId: row.keyring_id ?? 0,
        config: FIXTURE_VM, keyrings: w.state,
      }, TPROG);
      const want = row.errno ?? 'unchecked';
      expect(`${JSON.stringify(row)} → ${errnoOf(r)}`).toBe(`${JSON.stringify(row)} → ${want}`);
    }
    const byId = (id: string) => cases.find((c) => c.id === id).observations.find((o: any) => o.step === 'BPF_PROG_LOAD (loader)').errno;
    const sessionWithCert = w.state;
    expect(errnoOf(load({ keyringId: -3, config: FIXTURE_VM, keyrings: sessionWithCert }, TPROG))).toBe(byId('R_B_sig_session_keyring'));
    expect(errnoOf(load({ keyringId: 2147483632, config: FIXTURE_VM, keyrings: sessionWithCert }, TPROG))).toBe(byId('R_C_sig_bad_keyring_serial'));
    const big = new Uint8Array(9000);
    expect(errnoOf(load({ sig: big, keyringId: -3, config: FIXTURE_VM, keyrings: sessionWithCert }, TPROG))).toBe(byId('R_D_sig_size_9000'));
    expect(errnoOf(load({ readable: false, keyringId: -3, config: FIXTURE_VM, keyrings: sessionWithCert }, TPROG))).toBe(byId('R_E_sig_badptr'));
    expect(errnoOf(load({ readable: false, keyringId: 2147483632, config: FIXTURE_VM, keyrings: sessionWithCert }, TPROG))).toBe(byId('R_E2_sig_badptr_badkeyring'));
  });
});

describe('with signature verification built in', () => {
  const w = fixtureWorld(RSA);

  it('the fixtures\' signed cases as they would go on a verifying kernel', () => {
    const want: Record<string, string> = {
      S_k0_builtin: 'ENOKEY', // builtin keyring empty
      S_k1_secondary: 'ENOKEY', // no secondary: the builtin keyring
      S_k2_platform: 'ENOKEY', // platform keyring not configured
      S_ring_with_cert: 'ok',
      S_session_with_cert: 'ok',
      S_certkey_not_keyring: 'ENOKEY', // a certificate key is not a keyring: nothing to search
      S_ring_wrong_cert: 'ENOKEY',
      S_empty_ring: 'ENOKEY',
      S_nonexistent_keyring: 'EINVAL',
      T_sig_flip: 'EKEYREJECTED',
      T_insn_flip_sig: 'EKEYREJECTED',
      T_data_flip_sig: 'ok', // the data blob is not covered by the signature
      T_noexcl_sig: 'ok', // nor is the exclusive map
    };
    const cases = (expectedJson('minimal').cases as any[]).filter((c) => c.id in want);
    expect(cases.length).toBe(Object.keys(want).length);
    for (const c of cases) {
      const sig = RSA_SKEL.sig.slice();
      const content = RSA_SKEL.insns.slice();
      for (const t of c.setup.tamper ?? []) {
        if (t.target === 'signature') sig[t.offset] ^= t.from ^ t.to;
        if (t.target === 'insns') content[t.offset] ^= t.from ^ t.to;
      }
      const r = load({ sig, content, keyringId: resolveKeyringId(c.setup.keyring_id, w), keyrings: w.state });
      expect(`${c.id}: ${errnoOf(r)}`).toBe(`${c.id}: ${want[c.id]}`);
    }
  });

  it('NULL signature pointer: nothing checked, whatever the size and keyring', () => {
    for (const keyringId of [0, -1, 12345, 3]) {
      expect(load({ sig: null, size: 100_000, keyringId, keyrings: w.state })).toEqual({ checked: false });
    }
  });

  it('reports the signer', () => {
    const r = load({ keyringId: w.ringWithCert, keyrings: w.state });
    expect(r).toEqual({
      checked: true, ok: true, keyring: { kind: 'keyring', serial: w.ringWithCert },
      signer: {
        keySerial: expect.any(Number),
        keyDescription: 'bpf-lskel-fixtures: test-only BPF lskel signing key: 602644a0fa8c3d8729e64f3a89f8708fa43fd41f',
        subject: 'O=bpf-lskel-fixtures, CN=test-only BPF lskel signing key',
        linuxName: 'bpf-lskel-fixtures: test-only BPF lskel signing key',
        skid: '602644a0fa8c3d8729e64f3a89f8708fa43fd41f',
        keyId: '602644a0fa8c3d8729e64f3a89f8708fa43fd41f',
        identifiedBy: 'skid', digest: 'sha256', algorithm: 'rsa', signedAttributes: false,
      },
    });
  });

  it('signature size cap: 6.18.y and 2026 refuse > 8192 bytes first (EINVAL); 6.18.0 has none', () => {
    const big = new Uint8Array(BPF_SIGNATURE_MAX_SIZE + 1);
    big.set(RSA_SKEL.sig);
    for (const version of ['6.18.y', '2026'] as const) {
      const r = load({ sig: big, version, keyringId: 12345, readable: false, keyrings: w.state });
      expect(r).toMatchObject({ ok: false, errnoName: 'EINVAL', stage: 'size' });
    }
    // 6.18.0: the keyring and then the bytes decide. Trailing bytes after the DER are malformed.
    expect(load({ sig: big, version: '6.18.0', keyringId: 12345, keyrings: w.state })).toMatchObject({ errnoName: 'EINVAL', stage: 'keyring' });
    expect(load({ sig: big, version: '6.18.0', keyringId: -3, keyrings: w.state })).toMatchObject({ errnoName: 'EBADMSG', stage: 'verify' });
    expect(load({ sig: new Uint8Array(70_000), version: '6.18.0', keyringId: -3, keyrings: w.state })).toMatchObject({ errno: 90, errnoName: 'EMSGSIZE' });
    expect(load({ sig: RSA_SKEL.sig, size: BPF_SIGNATURE_MAX_SIZE, version: '6.18.y', keyringId: -3, keyrings: w.state }))
      .toMatchObject({ stage: 'copy' }); // the caller claims 8192 bytes but only 375 are there
  });

  it('keyring ids: which resolve, which are EINVAL (checked before reading the signature)', () => {
    const base = expectOk(createKeyrings({ seed: 2 })).state;
    const all = expectOk(createKeyrings({ seed: 2, threadKeyring: true, processKeyring: true })).state;
    const resolves = (state: KeyringState, id: number) => load({ readable: false, keyringId: id, keyrings: state });
    for (const id of [0, 1, 2, -3, -4, -5]) expect(resolves(base, id)).toMatchObject({ stage: 'copy', errnoName: 'ENOMEM' });
    for (const id of [-1, -2, -6, -7, -8, -9, 3, 2147483632, -2147483648]) expect(resolves(base, id)).toMatchObject({ stage: 'keyring', errnoName: 'EINVAL' });
    for (const id of [-1, -2]) expect(resolves(all, id)).toMatchObject({ stage: 'copy' });
    // A key serial resolves whether or not it is a keyring.
    expect(resolves(w.state, w.certKey)).toMatchObject({ stage: 'copy' });
    // 2026 trees report the copy fault itself.
    expect(load({ readable: false, version: '2026', keyringId: 0, keyrings: base })).toMatchObject({ errnoName: 'EFAULT' });
    // A zero-length copy cannot fault.
    expect(load({ sig: new Uint8Array(0), readable: false, keyringId: 0, keyrings: base })).toMatchObject({ errnoName: 'EBADMSG', stage: 'verify' });
  });

  it('system keyrings: builtin (0), builtin+secondary (1), platform (2)', () => {
    const builtin = expectOk(createKeyrings({ builtin: [RSA] })).state;
    expect(errnoOf(load({ keyringId: 0, keyrings: builtin }))).toBe('ok');
    expect(errnoOf(load({ keyringId: 1, keyrings: builtin }))).toBe('ok'); // no secondary: builtin
    expect(errnoOf(load({ keyringId: 2, keyrings: builtin }))).toBe('ENOKEY'); // no platform keyring
    const secondary = expectOk(createKeyrings({ secondary: [RSA] })).state;
    expect(errnoOf(load({ keyringId: 0, keyrings: secondary }))).toBe('ENOKEY');
    expect(errnoOf(load({ keyringId: 1, keyrings: secondary }))).toBe('ok');
    const both = expectOk(createKeyrings({ builtin: [RSA], secondary: true })).state;
    expect(errnoOf(load({ keyringId: 1, keyrings: both }))).toBe('ok'); // secondary links builtin
    const platform = expectOk(createKeyrings({ platform: [RSA] })).state;
    expect(errnoOf(load({ keyringId: 2, keyrings: platform }))).toBe('ok');
    expect(errnoOf(load({ keyringId: 0, keyrings: platform }))).toBe('ENOKEY');
    // A malformed message fails before the platform keyring is looked at.
    expect(errnoOf(load({ sig: new Uint8Array([1, 2, 3]), keyringId: 2, keyrings: builtin }))).toBe('EBADMSG');
  });

  it('EOPNOTSUPP on a kernel without CONFIG_SYSTEM_DATA_VERIFICATION, after size, keyring and copy', () => {
    const off = { systemDataVerification: false, ecdsa: true };
    for (const sig of [new Uint8Array(0), new Uint8Array(1), RSA_SKEL.sig]) {
      expect(load({ sig, keyringId: -3, config: off, keyrings: w.state })).toMatchObject({ errnoName: 'EOPNOTSUPP', stage: 'verify' });
    }
    expect(load({ keyringId: 99, config: off, keyrings: w.state })).toMatchObject({ errnoName: 'EINVAL' });
    expect(load({ readable: false, keyringId: -3, config: off, keyrings: w.state })).toMatchObject({ errnoName: 'ENOMEM' });
  });

  it('tampered content, tampered signature, wrong key, junk', () => {
    const content = RSA_SKEL.insns.slice();
    content[content.length - 1] ^= 0x80;
    expect(errnoOf(load({ content, keyringId: -3, keyrings: w.state }))).toBe('EKEYREJECTED');
    const sig = RSA_SKEL.sig.slice();
    sig[200] ^= 0x01; // inside the RSA signature value
    expect(errnoOf(load({ sig, keyringId: -3, keyrings: w.state }))).toBe('EKEYREJECTED');
    expect(errnoOf(load({ keyringId: w.ringWrongCert, keyrings: w.state }))).toBe('ENOKEY');
    const other = expectOk(signLikeBpftool(RSA_SKEL.insns, { key: key('other_rsa2048.key.pem'), cert: key('other_rsa2048.cert.pem') }));
    expect(errnoOf(load({ sig: other.signature, keyringId: w.ringWithCert, keyrings: w.state }))).toBe('ENOKEY');
    // The session keyring also holds the unrelated certificate (in a nested keyring): it verifies.
    expect(errnoOf(load({ sig: other.signature, keyringId: -3, keyrings: w.state }))).toBe('ok');
    for (const junk of [new Uint8Array(10), new TextEncoder().encode('not a signature at all'), RSA_SKEL.sig.subarray(0, 100)]) {
      expect(errnoOf(load({ sig: junk, keyringId: -3, keyrings: w.state }))).toBe('EBADMSG');
    }
  });

  it('Linux\'s parse errors on edited fixture signatures (no openssl needed)', () => {
    // Offsets from `openssl asn1parse` of the 375-byte RSA fixture signature (each edit first
    // checks the bytes it replaces): 4 outer OID, 23 SignedData version, 30 digestAlgorithms OID,
    // 43 encapContentInfo OID (id-data), 62 SignerInfo version, 89 SignerInfo digest OID (sha256),
    // 102 signatureAlgorithm OID.
    const edit = (at: number, oid: string, bytes: number[]) => {
      const sig = RSA_SKEL.sig.slice();
      expect(Buffer.from(sig.subarray(at, at + bytes.length)).toString('hex')).toBe(oid);
      sig.set(bytes, at);
      return errnoOf(load({ sig, keyringId: -3, keyrings: w.state }));
    };
    // ContentInfo of type id-data instead of signedData → EINVAL (pkcs7_check_content_type).
    expect(edit(4, '06092a864886f70d010702', [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01])).toBe('EINVAL');
    // SignedData version 2 → EINVAL; 1 (with a version-3 SignerInfo) → EBADMSG (version mismatch).
    expect(edit(23, '020103', [0x02, 0x01, 0x02])).toBe('EINVAL');
    expect(edit(23, '020103', [0x02, 0x01, 0x01])).toBe('EBADMSG');
    // Content type id-signedData → EINVAL (pkcs7_note_content: only data and Authenticode).
    expect(edit(43, '06092a864886f70d010701', [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02])).toBe('EINVAL');
    // SignerInfo version 4 → EINVAL.
    expect(edit(62, '020103', [0x02, 0x01, 0x04])).toBe('EINVAL');
    // Digest 2.16.840.1.101.3.4.2.5 (SHA-512/224, not in the modelled kernel) → ENOPKG.
    expect(edit(89, '0609608648016503040201', [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x05])).toBe('ENOPKG');
    // Signature algorithm RSASSA-PSS (1.2.840.113549.1.1.10) → ENOPKG.
    expect(edit(102, '06092a864886f70d010101', [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a])).toBe('ENOPKG');
    // SHA-384 named by the SignerInfo only: not listed in digestAlgorithms → EBADMSG (bpfsim's
    // stricter check; Linux ignores that set and would answer EKEYREJECTED below).
    const sha384 = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    expect(edit(89, '0609608648016503040201', sha384)).toBe('EBADMSG');
    // Named in both places: the message parses, but the RSA signature's DigestInfo is SHA-256's.
    const both = RSA_SKEL.sig.slice();
    both.set(sha384, 30);
    both.set(sha384, 89);
    expect(errnoOf(load({ sig: both, keyringId: -3, keyrings: w.state }))).toBe('EKEYREJECTED');
  });

  it('the right key for the wrong signature algorithm is EKEYREJECTED', () => {
    // An ECDSA signature whose SKID names the RSA key: the key is found, the algorithms differ.
    const ecWorld = fixtureWorld(keyBytes('ecp256.cert.der'));
    const swapped = EC_SKEL.sig.slice();
    const ecSkid = Buffer.from('3a8201c59e7ff94a459f3e00839f3a887c0d830d', 'hex');
    const at = Buffer.from(swapped).indexOf(ecSkid);
    swapped.set(Buffer.from('602644a0fa8c3d8729e64f3a89f8708fa43fd41f', 'hex'), at);
    expect(errnoOf(load({ sig: swapped, keyringId: -3, keyrings: w.state }, EC_SKEL))).toBe('EKEYREJECTED');
    expect(errnoOf(load({ keyringId: -3, keyrings: ecWorld.state }, EC_SKEL))).toBe('ok');
  });

  it('no ECDSA: the EC certificate could not be added, so its signature finds no key (ENOKEY)', () => {
    const noEc = fixtureWorld(keyBytes('ecp256.cert.der'), { ecdsa: false });
    expect(noEc.certKey).toBe(-1); // add_key failed (ENOENT)
    expect(errnoOf(load({ keyringId: -3, config: { systemDataVerification: true, ecdsa: false }, keyrings: noEc.state }, EC_SKEL))).toBe('ENOKEY');
    // A keyring loaded while ECDSA was available but checked without it: verify_signature fails.
    const ecWorld = fixtureWorld(keyBytes('ecp256.cert.der'));
    expect(errnoOf(load({ keyringId: -3, config: { systemDataVerification: true, ecdsa: false }, keyrings: ecWorld.state }, EC_SKEL))).toBe('EKEYREJECTED');
  });

  it('revoked or expired keys and keyrings', () => {
    let s = w.state;
    // The certificate key inside the keyring revoked → the search reports EKEYREVOKED.
    const ring = expectOk(addKeyring(s, 'rev', KEY_SPEC.USER_KEYRING));
    const k = expectOk(addKey(ring.state, { ecdsa: true }, { type: 'asymmetric', payload: RSA, keyring: ring.value }));
    s = k.state;
    expect(errnoOf(load({ keyringId: ring.value, keyrings: s }))).toBe('ok');
    expect(errnoOf(load({ keyringId: ring.value, keyrings: expectOk(revokeKey(s, k.value)).state }))).toBe('EKEYREVOKED');
    const timed = expectOk(setKeyTimeout(s, k.value, 60)).state;
    expect(errnoOf(load({ keyringId: ring.value, keyrings: advanceClock(timed, 59) }))).toBe('ok');
    expect(errnoOf(load({ keyringId: ring.value, keyrings: advanceClock(timed, 60) }))).toBe('EKEYEXPIRED');
    // The keyring named by keyring_id revoked or expired → the lookup fails → EINVAL.
    expect(errnoOf(load({ keyringId: ring.value, keyrings: expectOk(revokeKey(s, ring.value)).state }))).toBe('EINVAL');
    expect(errnoOf(load({ keyringId: ring.value, keyrings: advanceClock(expectOk(setKeyTimeout(s, ring.value, 1)).state, 5) }))).toBe('EINVAL');
  });

  it('nested keyrings: a keyring linked into the session keyring is searched', () => {
    let s = expectOk(createKeyrings({ seed: 4 })).state;
    const outer = expectOk(addKeyring(s, 'outer', KEY_SPEC.USER_KEYRING));
    const inner = expectOk(addKeyring(outer.state, 'inner', outer.value));
    s = expectOk(addKey(inner.state, { ecdsa: true }, { type: 'asymmetric', payload: RSA, keyring: inner.value })).state;
    expect(errnoOf(load({ keyringId: -3, keyrings: s }))).toBe('ENOKEY');
    s = expectOk(linkKey(s, outer.value, KEY_SPEC.SESSION_KEYRING)).state;
    expect(errnoOf(load({ keyringId: -3, keyrings: s }))).toBe('ok');
    expect(errnoOf(load({ keyringId: -4, keyrings: s }))).toBe('ok'); // the user keyring holds `outer` too
  });

  it('the Keyrings object carries the kernel configuration', () => {
    const kr = new Keyrings({ seed: 8, systemDataVerification: true, ecdsa: false });
    const ring = kr.addKeyring('mine', KEY_SPEC.SESSION_KEYRING);
    expect(ring).toBeGreaterThan(2);
    expect(kr.addCertificate(keyBytes('ecp256.cert.der'), ring)).toBe(-2); // -ENOENT
    expect(kr.lastFailure).toMatchObject({ errnoName: 'ENOENT' });
    const serial = kr.addCertificate(RSA, ring);
    expect(serial).toBeGreaterThan(2);
    const r = bpfProgVerifySignature({
      signature: RSA_SKEL.sig, signatureSize: RSA_SKEL.sig.length, readable: true, keyringId: ring,
      content: RSA_SKEL.insns, kernelVersion: '6.18.y', keyrings: kr,
    });
    expect(r).toMatchObject({ checked: true, ok: true, signer: { keySerial: serial } });
    const before = kr.snapshot();
    expect(kr.revoke(serial)).toBe(0);
    expect(errnoOf(bpfProgVerifySignature({
      signature: RSA_SKEL.sig, signatureSize: RSA_SKEL.sig.length, readable: true, keyringId: ring,
      content: RSA_SKEL.insns, kernelVersion: '6.18.y', keyrings: kr,
    }))).toBe('EKEYREVOKED');
    kr.restore(before);
    expect(kr.key(serial)).toMatchObject({ revoked: false });
    const off = new Keyrings({ systemDataVerification: false });
    expect(bpfProgVerifySignature({
      signature: RSA_SKEL.sig, signatureSize: RSA_SKEL.sig.length, readable: true, keyringId: 0,
      content: RSA_SKEL.insns, kernelVersion: '6.18.y', keyrings: off,
    })).toMatchObject({ errnoName: 'EOPNOTSUPP' });
  });
});
