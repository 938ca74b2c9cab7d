/**
 * Keyrings: deterministic serials, add_key/keyctl semantics and errors, immutability, and the
 * recursive search the PKCS#7 trust check relies on.
 */
import { describe, expect, it } from 'vitest';
import {
  KEY_SPEC, KEYRING_SEARCH_MAX_DEPTH, addKey, addKeyring, advanceClock, createKeyrings, findAsymmetricKey,
  getKey, linkKey, lookupUserKey, newSessionKeyring, parseCertificate, revokeKey, setKeyTimeout, unlinkKey,
  type KeyringState,
} from '../../src/signature/index.js';
import { expectOk, key, keyBytes } from './support.js';

const RSA = keyBytes('rsa2048.cert.der');
const OTHER = keyBytes('other_rsa2048.cert.der');
const EC = keyBytes('ecp256.cert.der');
const CFG = { ecdsa: true };
const SKID = '602644a0fa8c3d8729e64f3a89f8708fa43fd41f'; // openssl x509 -ext subjectKeyIdentifier

function fresh(opts = {}): KeyringState {
  return expectOk(createKeyrings({ seed: 5, ...opts })).state;
}

function serialsOf(s: KeyringState): number[] {
  return Object.keys(s.keys).map(Number);
}

describe('serials', () => {
  it('are a pure function of the seed, positive, ≥ 3 and unique', () => {
    const build = (seed: number) => {
      let s = expectOk(createKeyrings({ seed, secondary: true, platform: true, threadKeyring: true, processKeyring: true })).state;
      for (let i = 0; i < 20; i++) s = expectOk(addKeyring(s, `r${i}`, KEY_SPEC.SESSION_KEYRING)).state;
      return s;
    };
    const a = build(42);
    expect(build(42)).toEqual(a);
    expect(serialsOf(build(43))).not.toEqual(serialsOf(a));
    const serials = serialsOf(a);
    expect(new Set(serials).size).toBe(serials.length);
    for (const n of serials) {
      expect(Number.isInteger(n)).toBe(true);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(0x7fffffff);
    }
  });
});

describe('add_key("asymmetric") like keyctl padd asymmetric "" <ring>', () => {
  it('returns a serial; the key is linked and described "<name>: <skid>"', () => {
    const s0 = fresh();
    const r = expectOk(addKey(s0, CFG, { type: 'asymmetric', payload: RSA, keyring: KEY_SPEC.SESSION_KEYRING }));
    const k = getKey(r.state, r.value);
    expect(k).toMatchObject({ type: 'asymmetric', description: `bpf-lskel-fixtures: test-only BPF lskel signing key: ${SKID}` });
    const session = getKey(r.state, r.state.session!);
    expect(session).toMatchObject({ type: 'keyring', links: [r.value] });
    // The old state is untouched and both are frozen.
    expect(getKey(s0, s0.session!)).toMatchObject({ links: [] });
    expect(Object.isFrozen(r.state)).toBe(true);
    expect(Object.isFrozen(getKey(r.state, r.state.session!))).toBe(true);
  });

  it('keeps an explicit description; adding the same description again displaces the old link', () => {
    let s = fresh();
    const a = expectOk(addKey(s, CFG, { type: 'asymmetric', payload: RSA, keyring: KEY_SPEC.SESSION_KEYRING, description: 'mine' }));
    const b = expectOk(addKey(a.state, CFG, { type: 'asymmetric', payload: OTHER, keyring: KEY_SPEC.SESSION_KEYRING, description: 'mine' }));
    s = b.state;
    expect(b.value).not.toBe(a.value);
    expect(getKey(s, s.session!)).toMatchObject({ links: [b.value] });
    expect(getKey(s, b.value)).toMatchObject({ description: 'mine' });
  });

  it('errors: not a keyring → ENOTDIR; unknown serial → ENOKEY; bad special id → EINVAL', () => {
    const a = expectOk(addKey(fresh(), CFG, { type: 'asymmetric', payload: RSA, keyring: KEY_SPEC.SESSION_KEYRING }));
    expect(addKey(a.state, CFG, { type: 'asymmetric', payload: RSA, keyring: a.value })).toMatchObject({ ok: false, errnoName: 'ENOTDIR' });
    expect(addKey(a.state, CFG, { type: 'asymmetric', payload: RSA, keyring: 12345 })).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
    expect(addKey(a.state, CFG, { type: 'asymmetric', payload: RSA, keyring: KEY_SPEC.GROUP_KEYRING })).toMatchObject({ ok: false, errnoName: 'EINVAL' });
  });

  it('payload errors: garbage or PEM → EBADMSG; EC certificate without ECDSA → ENOENT', () => {
    const s = fresh();
    expect(addKey(s, CFG, { type: 'asymmetric', payload: new Uint8Array([1, 2, 3]), keyring: KEY_SPEC.SESSION_KEYRING })).toMatchObject({ ok: false, errnoName: 'EBADMSG' });
    expect(addKey(s, CFG, { type: 'asymmetric', payload: keyBytes('rsa2048.cert.pem'), keyring: KEY_SPEC.SESSION_KEYRING })).toMatchObject({ ok: false, errnoName: 'EBADMSG' });
    expect(addKey(s, { ecdsa: false }, { type: 'asymmetric', payload: EC, keyring: KEY_SPEC.SESSION_KEYRING })).toMatchObject({ ok: false, errnoName: 'ENOENT' });
    expect(addKey(s, { ecdsa: true }, { type: 'asymmetric', payload: EC, keyring: KEY_SPEC.SESSION_KEYRING })).toMatchObject({ ok: true });
  });

  it('creates a missing thread/process/session keyring for a destination (KEY_LOOKUP_CREATE)', () => {
    const s = fresh({ sessionKeyring: false });
    expect(s.thread).toBeNull();
    const t = expectOk(addKey(s, CFG, { type: 'asymmetric', payload: RSA, keyring: KEY_SPEC.THREAD_KEYRING }));
    expect(t.state.thread).not.toBeNull();
    expect(getKey(t.state, t.state.thread!)).toMatchObject({ links: [t.value] });
    const p = expectOk(addKeyring(s, 'x', KEY_SPEC.PROCESS_KEYRING));
    expect(p.state.process).not.toBeNull();
    const ses = expectOk(addKeyring(s, 'y', KEY_SPEC.SESSION_KEYRING));
    expect(ses.state.session).not.toBeNull();
  });
});

describe('lookup_user_key (no create)', () => {
  it('resolves the special ids the caller has, refuses the others', () => {
    const s = fresh();
    expect(lookupUserKey(s, KEY_SPEC.SESSION_KEYRING)).toEqual({ ok: true, serial: s.session });
    expect(lookupUserKey(s, KEY_SPEC.USER_KEYRING)).toEqual({ ok: true, serial: s.user });
    expect(lookupUserKey(s, KEY_SPEC.USER_SESSION_KEYRING)).toEqual({ ok: true, serial: s.userSession });
    expect(lookupUserKey(s, KEY_SPEC.THREAD_KEYRING)).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
    expect(lookupUserKey(s, KEY_SPEC.PROCESS_KEYRING)).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
    expect(lookupUserKey(s, KEY_SPEC.GROUP_KEYRING)).toMatchObject({ ok: false, errnoName: 'EINVAL' });
    expect(lookupUserKey(s, KEY_SPEC.REQKEY_AUTH_KEY)).toMatchObject({ ok: false });
    expect(lookupUserKey(s, -100)).toMatchObject({ ok: false, errnoName: 'EINVAL' });
    expect(lookupUserKey(s, 0)).toMatchObject({ ok: false, errnoName: 'EINVAL' });
    expect(lookupUserKey(s, 3)).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
    const noSession = fresh({ sessionKeyring: false });
    expect(lookupUserKey(noSession, KEY_SPEC.SESSION_KEYRING)).toEqual({ ok: true, serial: noSession.userSession });
    const withAll = fresh({ threadKeyring: true, processKeyring: true });
    expect(lookupUserKey(withAll, KEY_SPEC.THREAD_KEYRING)).toEqual({ ok: true, serial: withAll.thread });
    expect(lookupUserKey(withAll, KEY_SPEC.PROCESS_KEYRING)).toEqual({ ok: true, serial: withAll.process });
  });

  it('revoked → EKEYREVOKED, expired → EKEYEXPIRED', () => {
    const r = expectOk(addKeyring(fresh(), 'r', KEY_SPEC.SESSION_KEYRING));
    const revoked = expectOk(revokeKey(r.state, r.value)).state;
    expect(lookupUserKey(revoked, r.value)).toMatchObject({ ok: false, errnoName: 'EKEYREVOKED' });
    const timed = expectOk(setKeyTimeout(r.state, r.value, 10)).state;
    expect(lookupUserKey(advanceClock(timed, 9), r.value)).toMatchObject({ ok: true });
    expect(lookupUserKey(advanceClock(timed, 10), r.value)).toMatchObject({ ok: false, errnoName: 'EKEYEXPIRED' });
    expect(lookupUserKey(advanceClock(expectOk(setKeyTimeout(timed, r.value, 0)).state, 100), r.value)).toMatchObject({ ok: true });
  });
});

describe('keyctl newring / link / unlink / revoke / new_session', () => {
  it('validates keyring descriptions', () => {
    expect(addKeyring(fresh(), '', KEY_SPEC.SESSION_KEYRING)).toMatchObject({ ok: false, errnoName: 'EINVAL' });
    expect(addKeyring(fresh(), '.builtin_trusted_keys', KEY_SPEC.SESSION_KEYRING)).toMatchObject({ ok: false, errnoName: 'EPERM' });
  });

  it('refuses cycles (EDEADLK) and nesting deeper than the search depth (ELOOP)', () => {
    let s = fresh();
    const a = expectOk(addKeyring(s, 'a', KEY_SPEC.SESSION_KEYRING));
    const b = expectOk(addKeyring(a.state, 'b', a.value));
    s = b.state;
    expect(linkKey(s, a.value, b.value)).toMatchObject({ ok: false, errnoName: 'EDEADLK' });
    expect(linkKey(s, a.value, a.value)).toMatchObject({ ok: false, errnoName: 'EDEADLK' });
    // A chain top → n1 → ... built downwards: linking `top` somewhere is refused once the
    // chain below it is deeper than KEYRING_SEARCH_MAX_DEPTH (keyring_detect_cycle's ELOOP).
    for (const [below, expected] of [[KEYRING_SEARCH_MAX_DEPTH, true], [KEYRING_SEARCH_MAX_DEPTH + 1, false]] as const) {
      let c = fresh();
      const top = expectOk(addKeyring(c, 'top', KEY_SPEC.USER_KEYRING));
      c = top.state;
      let parent = top.value;
      for (let i = 0; i < below; i++) {
        const r = expectOk(addKeyring(c, `n${i}`, parent));
        c = r.state;
        parent = r.value;
      }
      const l = linkKey(c, top.value, KEY_SPEC.SESSION_KEYRING);
      expect(l.ok).toBe(expected);
      if (!l.ok) expect(l.errnoName).toBe('ELOOP');
    }
  });

  it('unlink removes the link; unlinking what is not linked → ENOENT', () => {
    const a = expectOk(addKey(fresh(), CFG, { type: 'asymmetric', payload: RSA, keyring: KEY_SPEC.SESSION_KEYRING }));
    const u = expectOk(unlinkKey(a.state, a.value, KEY_SPEC.SESSION_KEYRING));
    expect(getKey(u.state, u.state.session!)).toMatchObject({ links: [] });
    expect(unlinkKey(u.state, a.value, KEY_SPEC.SESSION_KEYRING)).toMatchObject({ ok: false, errnoName: 'ENOENT' });
    expect(unlinkKey(a.state, a.value, a.value)).toMatchObject({ ok: false, errnoName: 'ENOTDIR' });
  });

  it('revoking a keyring clears it', () => {
    const r = expectOk(addKeyring(fresh(), 'r', KEY_SPEC.SESSION_KEYRING));
    const k = expectOk(addKey(r.state, CFG, { type: 'asymmetric', payload: RSA, keyring: r.value }));
    const rev = expectOk(revokeKey(k.state, r.value)).state;
    expect(getKey(rev, r.value)).toMatchObject({ revoked: true, links: [] });
    expect(revokeKey(rev, r.value)).toMatchObject({ ok: false, errnoName: 'EKEYREVOKED' });
  });

  it('new_session replaces the session keyring', () => {
    const s = fresh();
    const n = expectOk(newSessionKeyring(s));
    expect(n.state.session).toBe(n.value);
    expect(n.value).not.toBe(s.session);
  });

  it('state is plain data: a JSON round trip gives an equal state', () => {
    const a = expectOk(addKey(fresh({ secondary: [RSA] }), CFG, { type: 'asymmetric', payload: EC, keyring: KEY_SPEC.SESSION_KEYRING }));
    expect(JSON.parse(JSON.stringify(a.state))).toEqual(a.state);
  });
});

describe('find_asymmetric_key (recursive keyring search)', () => {
  const cert = expectOk(parseCertificate(key('rsa2048.cert.pem'))).cert;

  function nested(depth: number): { state: KeyringState; keySerial: number } {
    let s = fresh();
    let parent = s.session!;
    for (let i = 0; i < depth; i++) {
      const r = expectOk(addKeyring(s, `n${i}`, parent));
      s = r.state;
      parent = r.value;
    }
    const k = expectOk(addKey(s, CFG, { type: 'asymmetric', payload: RSA, keyring: parent }));
    return { state: k.state, keySerial: k.value };
  }

  it('finds a key by SKID or by issuer+serial id, down to the maximum depth', () => {
    for (let depth = 0; depth <= KEYRING_SEARCH_MAX_DEPTH; depth++) {
      const { state, keySerial } = nested(depth);
      expect(findAsymmetricKey(state, state.session!, SKID, null)).toMatchObject({ ok: true, key: { serial: keySerial } });
      expect(findAsymmetricKey(state, state.session!, cert.idHex, null)).toMatchObject({ ok: true, key: { serial: keySerial } });
      expect(findAsymmetricKey(state, state.session!, cert.idHex, SKID)).toMatchObject({ ok: true });
    }
  });

  it('does not descend below the maximum depth', () => {
    const { state } = nested(KEYRING_SEARCH_MAX_DEPTH + 1);
    expect(findAsymmetricKey(state, state.session!, SKID, null)).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
  });

  it('ENOKEY: unknown id, key not a keyring; EKEYREJECTED when the second id disagrees; EINVAL for an empty id', () => {
    const { state, keySerial } = nested(1);
    expect(findAsymmetricKey(state, state.session!, 'abcd', null)).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
    expect(findAsymmetricKey(state, keySerial, SKID, null)).toMatchObject({ ok: false, errnoName: 'ENOKEY' });
    expect(findAsymmetricKey(state, state.session!, cert.idHex, 'abcd')).toMatchObject({ ok: false, errnoName: 'EKEYREJECTED' });
    expect(findAsymmetricKey(state, state.session!, '', null)).toMatchObject({ ok: false, errnoName: 'EINVAL' });
  });

  it('skips revoked and expired keys and reports why', () => {
    const a = expectOk(addKey(fresh(), CFG, { type: 'asymmetric', payload: RSA, keyring: KEY_SPEC.SESSION_KEYRING }));
    const revoked = expectOk(revokeKey(a.state, a.value)).state;
    expect(findAsymmetricKey(revoked, revoked.session!, SKID, null)).toMatchObject({ ok: false, errnoName: 'EKEYREVOKED' });
    const expired = advanceClock(expectOk(setKeyTimeout(a.state, a.value, 1)).state, 1);
    expect(findAsymmetricKey(expired, expired.session!, SKID, null)).toMatchObject({ ok: false, errnoName: 'EKEYEXPIRED' });
    // A valid copy elsewhere in the tree still wins.
    const r = expectOk(addKeyring(revoked, 'spare', KEY_SPEC.SESSION_KEYRING));
    const spare = expectOk(addKey(r.state, CFG, { type: 'asymmetric', payload: RSA, keyring: r.value }));
    expect(findAsymmetricKey(spare.state, spare.state.session!, SKID, null)).toMatchObject({ ok: true, key: { serial: spare.value } });
  });
});
