/**
 * Linux keys and keyrings as plain immutable data (security/keys/, certs/system_keyring.c):
 * serials, the special keyring ids (KEY_SPEC_*), the system trusted keyrings, add_key /
 * keyctl link / unlink / revoke / timeout, and the recursive keyring search the PKCS#7 trust
 * check uses. Every operation returns a new {@link KeyringState} (immer), so the kernel can
 * snapshot and restore it freely.
 */
import { freeze, produce, type Draft } from 'immer';
import type { KeySearch, TrustedKey } from './pkcs7.js';
import { failure, type Failure } from './result.js';
import { parseCertificateDer, type X509Cert } from './x509.js';

/** include/uapi/linux/keyctl.h */
export const KEY_SPEC = {
  THREAD_KEYRING: -1,
  PROCESS_KEYRING: -2,
  SESSION_KEYRING: -3,
  USER_KEYRING: -4,
  USER_SESSION_KEYRING: -5,
  GROUP_KEYRING: -6,
  REQKEY_AUTH_KEY: -7,
  REQUESTOR_KEYRING: -8,
} as const;

/** KEYRING_SEARCH_MAX_DEPTH: how many keyrings below the searched one a search descends. */
export const KEYRING_SEARCH_MAX_DEPTH = 6;

interface KeyCommon {
  readonly serial: number;
  readonly description: string;
  readonly revoked: boolean;
  /** Expiry on the model clock (seconds), or null for none. */
  readonly expiry: number | null;
}

export interface AsymmetricKey extends KeyCommon {
  readonly type: 'asymmetric';
  readonly cert: X509Cert;
}

export interface Keyring extends KeyCommon {
  readonly type: 'keyring';
  /** Serials of the linked keys, in link order. */
  readonly links: readonly number[];
}

export type Key = AsymmetricKey | Keyring;

export interface KeyringState {
  readonly keys: { readonly [serial: number]: Key };
  /** .builtin_trusted_keys (keyring_id 0). */
  readonly builtin: number;
  /** .secondary_trusted_keys (keyring_id 1), null when CONFIG_SECONDARY_TRUSTED_KEYRING is off. */
  readonly secondary: number | null;
  /** .platform (keyring_id 2), null when CONFIG_INTEGRITY_PLATFORM_KEYRING is off. */
  readonly platform: number | null;
  /** The caller's thread / process / session keyrings (null: the process has none). */
  readonly thread: number | null;
  readonly process: number | null;
  readonly session: number | null;
  /** The caller's user keyring and user-session keyring (always exist). */
  readonly user: number;
  readonly userSession: number;
  /** Model clock, seconds; key expiry is compared with it. */
  readonly now: number;
  /** State of the serial generator (splitmix32): serials are a pure function of the seed. */
  readonly rng: number;
}

export interface KeyringConfig {
  /** ECDSA crypto available (else an EC certificate cannot be added: ENOENT). */
  readonly ecdsa: boolean;
}

export type KeyOp<T> = { readonly ok: true; readonly state: KeyringState; readonly value: T } | Failure;

export interface CreateKeyringsOptions {
  /** Seed of serial allocation (default 1). */
  readonly seed?: number;
  /** Initial model clock in seconds (default 0). */
  readonly now?: number;
  /** DER certificates compiled into .builtin_trusted_keys (default: none, like the fixtures' VM). */
  readonly builtin?: readonly Uint8Array[];
  /** Configure .secondary_trusted_keys (true, or its initial certificates). Default: not configured. */
  readonly secondary?: boolean | readonly Uint8Array[];
  /** Configure .platform (true, or its certificates). Default: not configured. */
  readonly platform?: boolean | readonly Uint8Array[];
  /** The caller has a thread / process keyring (default false: KEY_SPEC_THREAD/PROCESS resolve to nothing). */
  readonly threadKeyring?: boolean;
  readonly processKeyring?: boolean;
  /** The caller has a session keyring (default true). */
  readonly sessionKeyring?: boolean;
}

/**
 * A fresh keyring world. Serials are allocated in a fixed order (system keyrings, user keyrings,
 * session/process/thread keyrings, then certificates), so equal options give equal states.
 */
export function createKeyrings(opts: CreateKeyringsOptions = {}, config: KeyringConfig = { ecdsa: true }): KeyOp<null> {
  const keys: Record<number, Key> = {};
  const s = {
    keys, builtin: 0, secondary: null as number | null, platform: null as number | null,
    thread: null as number | null, process: null as number | null, session: null as number | null,
    user: 0, userSession: 0, now: opts.now ?? 0, rng: (opts.seed ?? 1) >>> 0,
  };
  const ring = (description: string): number => {
    const serial = allocSerial(s);
    keys[serial] = { type: 'keyring', serial, description, revoked: false, expiry: null, links: [] };
    return serial;
  };
  s.builtin = ring('.builtin_trusted_keys');
  if (opts.secondary) {
    s.secondary = ring('.secondary_trusted_keys');
    // The secondary keyring has the builtin keyring linked into it, so id 1 searches both.
    linksOf(keys, s.secondary).push(s.builtin);
  }
  if (opts.platform) s.platform = ring('.platform');
  s.user = ring('_uid.0');
  s.userSession = ring('_uid_ses.0');
  if (opts.sessionKeyring ?? true) s.session = ring('_ses');
  if (opts.processKeyring) s.process = ring('_pid');
  if (opts.threadKeyring) s.thread = ring('_tid');

  const addAll = (target: number, certs: boolean | readonly Uint8Array[] | undefined): Failure | null => {
    if (!Array.isArray(certs)) return null;
    for (const der of certs as readonly Uint8Array[]) {
      const parsed = parseCertificateDer(der, config);
      if (!parsed.ok) return parsed;
      const serial = allocSerial(s);
      keys[serial] = { type: 'asymmetric', serial, description: parsed.cert.description, revoked: false, expiry: null, cert: parsed.cert };
      linksOf(keys, target).push(serial);
    }
    return null;
  };
  const f = addAll(s.builtin, opts.builtin)
    ?? (s.secondary !== null ? addAll(s.secondary, opts.secondary) : null)
    ?? (s.platform !== null ? addAll(s.platform, opts.platform) : null);
  if (f) return f;
  return { ok: true, state: freeze(s as KeyringState, true), value: null };
}

/** The (still mutable) link list of a keyring being built. */
function linksOf(keys: Record<number, Key>, serial: number): number[] {
  return (keys[serial] as Keyring).links as number[];
}

// --- serials -----------------------------------------------------------------------------------

function nextU32(s: { rng: number }): number {
  s.rng = (s.rng + 0x9e3779b9) >>> 0;
  let z = s.rng;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * key_alloc_serial(): a random positive serial of at least 3; on a collision, the next free one
 * upwards (wrapping to 3). Both loops are bounded (draws; number of existing keys).
 */
function allocSerial(s: { rng: number; keys: { readonly [serial: number]: Key } }): number {
  let serial = 3;
  for (let tries = 0; tries < 64; tries++) {
    const r = nextU32(s) >>> 1;
    if (r >= 3) {
      serial = r;
      break;
    }
  }
  const n = Object.keys(s.keys).length;
  for (let i = 0; i <= n && s.keys[serial] !== undefined; i++) serial = serial >= 0x7fffffff ? 3 : serial + 1;
  return serial;
}

// --- lookups -----------------------------------------------------------------------------------

export function getKey(state: KeyringState, serial: number): Key | null {
  return state.keys[serial] ?? null;
}

function isExpired(state: KeyringState, key: Key): boolean {
  return key.expiry !== null && state.now >= key.expiry;
}

/** key_validate(): revoked → EKEYREVOKED, expired → EKEYEXPIRED. */
function keyValidate(state: KeyringState, key: Key): Failure | null {
  if (key.revoked) return failure('EKEYREVOKED', `key ${key.serial} has been revoked`);
  if (isExpired(state, key)) return failure('EKEYEXPIRED', `key ${key.serial} has expired`);
  return null;
}

/**
 * lookup_user_key() without KEY_LOOKUP_CREATE: the serial a keyring id names, or its error.
 * KEY_SPEC_SESSION_KEYRING without a session keyring yields the user-session keyring (Linux also
 * installs it as the session keyring; this pure lookup does not).
 */
export function lookupUserKey(state: KeyringState, id: number): { ok: true; serial: number } | Failure {
  let serial: number | null;
  switch (id) {
    case KEY_SPEC.THREAD_KEYRING:
      serial = state.thread;
      if (serial === null) return failure('ENOKEY', 'the caller has no thread keyring');
      break;
    case KEY_SPEC.PROCESS_KEYRING:
      serial = state.process;
      if (serial === null) return failure('ENOKEY', 'the caller has no process keyring');
      break;
    case KEY_SPEC.SESSION_KEYRING:
      serial = state.session ?? state.userSession;
      break;
    case KEY_SPEC.USER_KEYRING:
      serial = state.user;
      break;
    case KEY_SPEC.USER_SESSION_KEYRING:
      serial = state.userSession;
      break;
    case KEY_SPEC.REQKEY_AUTH_KEY:
    case KEY_SPEC.REQUESTOR_KEYRING:
      return failure('ENOKEY', `keyring id ${id} needs a request_key authorisation the caller does not have`);
    default:
      if (id < 1) return failure('EINVAL', `invalid key id ${id}`);
      serial = id;
  }
  const key = state.keys[serial];
  if (!key) return failure('ENOKEY', `no key with serial ${serial}`);
  const bad = keyValidate(state, key);
  return bad ?? { ok: true, serial };
}

/** lookup_user_key() with KEY_LOOKUP_CREATE: creates a missing thread/process/session keyring. */
function lookupOrCreate(d: Draft<KeyringState>, id: number): number | Failure {
  const make = (description: string): number => {
    const serial = allocSerial(d);
    d.keys[serial] = { type: 'keyring', serial, description, revoked: false, expiry: null, links: [] };
    return serial;
  };
  if (id === KEY_SPEC.THREAD_KEYRING && d.thread === null) d.thread = make('_tid');
  if (id === KEY_SPEC.PROCESS_KEYRING && d.process === null) d.process = make('_pid');
  if (id === KEY_SPEC.SESSION_KEYRING && d.session === null) d.session = make('_ses');
  const r = lookupUserKey(d as KeyringState, id);
  return r.ok ? r.serial : r;
}

// --- add_key / keyctl --------------------------------------------------------------------------

export interface AddKeyRequest {
  /** add_key(2)'s `type`. */
  readonly type: 'asymmetric';
  /** Description; "" or absent lets the key type propose one ("<name>: <skid>"). */
  readonly description?: string;
  /** The payload: a DER X.509 certificate (what `keyctl padd asymmetric "" <ring> < cert.der` sends). */
  readonly payload: Uint8Array;
  /** Destination keyring id (serial or KEY_SPEC_*). */
  readonly keyring: number;
}

/**
 * add_key("asymmetric", desc, payload, ring): returns the new key's serial. Errors: bad destination
 * (EINVAL/ENOKEY/EKEYREVOKED/EKEYEXPIRED from the lookup, ENOTDIR when it is not a keyring), then
 * the certificate's own errors (EBADMSG, ENOPKG, EKEYREJECTED, ENOENT without ECDSA). A key with the
 * same description already linked in the destination is displaced, as the keyring's index does.
 */
export function addKey(state: KeyringState, config: KeyringConfig, req: AddKeyRequest): KeyOp<number> {
  let out: number | Failure = 0;
  const next = produce(state, (d) => {
    const dest = lookupOrCreate(d, req.keyring);
    if (typeof dest !== 'number') return void (out = dest);
    const ring = d.keys[dest];
    if (ring.type !== 'keyring') return void (out = failure('ENOTDIR', `key ${dest} is not a keyring`));
    const parsed = parseCertificateDer(req.payload, config);
    if (!parsed.ok) return void (out = parsed);
    const serial = allocSerial(d);
    const description = req.description ? req.description : parsed.cert.description;
    d.keys[serial] = { type: 'asymmetric', serial, description, revoked: false, expiry: null, cert: parsed.cert };
    linkInto(d, ring, serial);
    out = serial;
  });
  return typeof out === 'number' ? { ok: true, state: next, value: out } : out;
}

/**
 * add_key("keyring", desc, NULL, 0, ring) (`keyctl newring`): a new empty keyring linked into
 * `keyring`. Empty description → EINVAL; a description starting with '.' is reserved to the
 * kernel → EPERM.
 */
export function addKeyring(state: KeyringState, description: string, keyring: number): KeyOp<number> {
  if (description.length === 0) return failure('EINVAL', 'a keyring needs a description');
  if (description.startsWith('.')) return failure('EPERM', 'keyring descriptions starting with "." are reserved');
  let out: number | Failure = 0;
  const next = produce(state, (d) => {
    const dest = lookupOrCreate(d, keyring);
    if (typeof dest !== 'number') return void (out = dest);
    const ring = d.keys[dest];
    if (ring.type !== 'keyring') return void (out = failure('ENOTDIR', `key ${dest} is not a keyring`));
    const serial = allocSerial(d);
    d.keys[serial] = { type: 'keyring', serial, description, revoked: false, expiry: null, links: [] };
    linkInto(d, ring, serial);
    out = serial;
  });
  return typeof out === 'number' ? { ok: true, state: next, value: out } : out;
}

/** keyctl new_session / join_session_keyring(NULL): a fresh anonymous session keyring. */
export function newSessionKeyring(state: KeyringState): KeyOp<number> {
  let serial = 0;
  const next = produce(state, (d) => {
    serial = allocSerial(d);
    d.keys[serial] = { type: 'keyring', serial, description: '_ses', revoked: false, expiry: null, links: [] };
    d.session = serial;
  });
  return { ok: true, state: next, value: serial };
}

/**
 * keyctl link: link key `serial` into `keyring`. Not a keyring → ENOTDIR; linking a keyring into
 * itself or into one of its descendants → EDEADLK; linking a keyring whose own nesting is deeper
 * than the search depth → ELOOP.
 */
export function linkKey(state: KeyringState, serial: number, keyring: number): KeyOp<null> {
  let out: Failure | null = null;
  const next = produce(state, (d) => {
    const dest = lookupOrCreate(d, keyring);
    if (typeof dest !== 'number') return void (out = dest);
    const src = lookupOrCreate(d, serial);
    if (typeof src !== 'number') return void (out = src);
    const ring = d.keys[dest];
    if (ring.type !== 'keyring') return void (out = failure('ENOTDIR', `key ${dest} is not a keyring`));
    const key = d.keys[src];
    if (key.type === 'keyring') {
      if (src === dest || reachable(d as KeyringState, src, dest)) {
        return void (out = failure('EDEADLK', `linking keyring ${src} into ${dest} would make a cycle`));
      }
      // keyring_detect_cycle() searches the linked keyring's subtree with
      // KEYRING_SEARCH_DETECT_TOO_DEEP: a subtree deeper than the search depth is refused.
      if (depthBelow(d as KeyringState, src) > KEYRING_SEARCH_MAX_DEPTH) {
        return void (out = failure('ELOOP', `keyring ${src} is nested too deep to be linked`));
      }
    }
    linkInto(d, ring, src);
  });
  return out ?? { ok: true, state: next, value: null };
}

/** keyctl unlink: not a keyring → ENOTDIR; not linked there → ENOENT. */
export function unlinkKey(state: KeyringState, serial: number, keyring: number): KeyOp<null> {
  const dest = lookupUserKey(state, keyring);
  if (!dest.ok) return dest;
  const ring = state.keys[dest.serial];
  if (ring.type !== 'keyring') return failure('ENOTDIR', `key ${dest.serial} is not a keyring`);
  if (!ring.links.includes(serial)) return failure('ENOENT', `key ${serial} is not linked in ${dest.serial}`);
  const next = produce(state, (d) => {
    const r = d.keys[dest.serial] as Draft<Keyring>;
    r.links = r.links.filter((s) => s !== serial);
  });
  return { ok: true, state: next, value: null };
}

/** keyctl revoke: the key stops being usable; revoking a keyring also clears it (keyring_revoke()). */
export function revokeKey(state: KeyringState, serial: number): KeyOp<null> {
  const r = lookupUserKey(state, serial);
  if (!r.ok) return r;
  const next = produce(state, (d) => {
    const k = d.keys[r.serial];
    k.revoked = true;
    if (k.type === 'keyring') k.links = [];
  });
  return { ok: true, state: next, value: null };
}

/** keyctl timeout: expire `seconds` from now on the model clock (0 = never). */
export function setKeyTimeout(state: KeyringState, serial: number, seconds: number): KeyOp<null> {
  const r = lookupUserKey(state, serial);
  if (!r.ok) return r;
  if (!Number.isFinite(seconds) || seconds < 0) return failure('EINVAL', `bad timeout ${seconds}`);
  const next = produce(state, (d) => {
    d.keys[r.serial].expiry = seconds === 0 ? null : d.now + seconds;
  });
  return { ok: true, state: next, value: null };
}

/** Move the model clock forward (keys with an expiry at or before the new time are expired). */
export function advanceClock(state: KeyringState, seconds: number): KeyringState {
  if (!Number.isFinite(seconds) || seconds <= 0) return state;
  return produce(state, (d) => {
    d.now += seconds;
  });
}

/** Link `serial` into `ring`, displacing a key of the same type and description (assoc_array index). */
function linkInto(d: Draft<KeyringState>, ring: Draft<Keyring>, serial: number): void {
  const key = d.keys[serial];
  ring.links = ring.links.filter((s) => {
    if (s === serial) return false;
    const other = d.keys[s];
    return !(other && other.type === key.type && other.description === key.description);
  });
  ring.links.push(serial);
}

function keyringChildren(state: KeyringState, serial: number): number[] {
  const k = state.keys[serial];
  return k && k.type === 'keyring' ? k.links.filter((s) => state.keys[s]?.type === 'keyring') : [];
}

/** Is `target` reachable from keyring `from` through nested keyrings? (Bounded by the number of keys.) */
function reachable(state: KeyringState, from: number, target: number): boolean {
  const seen = new Set<number>();
  const todo = [from];
  while (todo.length > 0) {
    const s = todo.pop() as number;
    if (s === target) return true;
    if (seen.has(s)) continue;
    seen.add(s);
    todo.push(...keyringChildren(state, s));
  }
  return false;
}

/** Longest chain of keyrings below `serial` (bounded: stops counting past the search depth). */
function depthBelow(state: KeyringState, serial: number, seen: Set<number> = new Set()): number {
  if (seen.has(serial) || seen.size > KEYRING_SEARCH_MAX_DEPTH + 1) return 0;
  seen.add(serial);
  let best = 0;
  for (const c of keyringChildren(state, serial)) best = Math.max(best, 1 + depthBelow(state, c, seen));
  seen.delete(serial);
  return best;
}

// --- keyring_search / find_asymmetric_key ------------------------------------------------------

/**
 * find_asymmetric_key(keyring, id_0, id_1, NULL, partial=false): search `keyring` and the keyrings
 * nested in it (depth-first, keys of a keyring before its nested keyrings, at most
 * KEYRING_SEARCH_MAX_DEPTH levels) for an asymmetric key whose cert id or SKID equals id_0 (else
 * id_1). Revoked and expired asymmetric keys are skipped, and the search reports EKEYREVOKED /
 * EKEYEXPIRED if it finds nothing else (keyring_search_iterator() records the last skipped key's
 * reason). A `keyring` that is not a keyring (ENOTDIR) or an empty result (EAGAIN) read as ENOKEY.
 * When both ids are given, the key found by id_0 must carry id_1 as its SKID, else EKEYREJECTED.
 *
 * Simplifications: links are visited in link order (Linux: assoc_array order); nested keyrings
 * are searched even when expired (Linux leaves those to the garbage collector).
 */
export function findAsymmetricKey(state: KeyringState, keyring: number, id0: string | null, id1: string | null): ReturnType<KeySearch> {
  const lookup = id0 ?? id1;
  // asymmetric_key_hex_to_key_id("") fails: an empty id never reaches the search.
  if (lookup === null || lookup === '') return failure('EINVAL', 'empty asymmetric key id');
  const root = state.keys[keyring];
  if (!root || root.type !== 'keyring') return failure('ENOKEY', `key ${keyring} is not a keyring (ENOTDIR, hidden as ENOKEY)`);

  let result: Failure = failure('ENOKEY', `no key with id ${lookup} in keyring ${keyring}`);
  let found: { key: AsymmetricKey } | null = null;
  const seen = new Set<number>();
  const search = (ring: Keyring, depth: number): void => {
    seen.add(ring.serial);
    for (const s of ring.links) {
      const k = state.keys[s];
      if (!k || k.type !== 'asymmetric') continue;
      if (k.revoked) {
        result = failure('EKEYREVOKED', `skipped revoked key ${k.serial} searching keyring ${keyring}`);
        continue;
      }
      if (isExpired(state, k)) {
        result = failure('EKEYEXPIRED', `skipped expired key ${k.serial} searching keyring ${keyring}`);
        continue;
      }
      if (k.cert.idHex === lookup || k.cert.skidHex === lookup) {
        found = { key: k };
        return;
      }
    }
    if (depth >= KEYRING_SEARCH_MAX_DEPTH) return;
    for (const s of ring.links) {
      const k = state.keys[s];
      if (!k || k.type !== 'keyring' || seen.has(s)) continue;
      search(k, depth + 1);
      if (found) return;
    }
  };
  search(root, 0);
  const hit = found as { key: AsymmetricKey } | null;
  if (!hit) return result;
  if (id0 !== null && id1 !== null && hit.key.cert.skidHex !== id1) {
    return failure('EKEYREJECTED', `key ${hit.key.serial} matches the first id but not the second`);
  }
  const key: TrustedKey = { serial: hit.key.serial, description: hit.key.description, cert: hit.key.cert };
  return { ok: true, key };
}

/** The {@link KeySearch} over one keyring of `state`. */
export function keyringSearch(state: KeyringState, keyring: number): KeySearch {
  return (id0, id1) => findAsymmetricKey(state, keyring, id0, id1);
}
