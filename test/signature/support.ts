/**
 * Shared helpers of the signature tests: fixture skeletons and keys, the fixtures' keyring world,
 * and a small openssl runner (tests that need openssl skip with a message when it is missing).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../support/paths.js';
import { findCharArray } from '../../src/skeleton/c-literal.js';
import {
  KEY_SPEC, addKey, addKeyring, createKeyrings, type KeyringState,
} from '../../src/signature/index.js';

export const KEYS = join(FIXTURES, 'keys');
export const LSKEL = join(FIXTURES, 'lskel');

export function key(name: string): string {
  return readFileSync(join(KEYS, name), 'utf8');
}
export function keyBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(KEYS, name)));
}

export interface SignedSkeleton {
  readonly file: string;
  readonly fixture: string;
  readonly variant: string;
  readonly alg: 'rsa' | 'ec';
  /** Basename prefix of the key pair that signed it (rsa2048, ecp256, v77_rsa2048). */
  readonly keyName: string;
  readonly insns: Uint8Array;
  readonly sig: Uint8Array;
  readonly exclHash: Uint8Array;
}

function required(source: string, name: string, file: string): Uint8Array {
  const b = findCharArray(source, name);
  if (!b) throw new Error(`${file}: no ${name}`);
  return b;
}

/** Every signed light skeleton of the fixtures, with its loader instructions and signature. */
export function signedSkeletons(): SignedSkeleton[] {
  return readdirSync(LSKEL)
    .filter((f) => /\.signed_(rsa|ec)\.lskel\.h$/.test(f))
    .sort()
    .map((file) => {
      const source = readFileSync(join(LSKEL, file), 'utf8');
      const [fixture, ...rest] = file.replace(/\.lskel\.h$/, '').split('.');
      const variant = rest.join('.');
      const alg = variant.endsWith('signed_ec') ? 'ec' : 'rsa';
      const keyName = alg === 'ec' ? 'ecp256' : variant.startsWith('v77') ? 'v77_rsa2048' : 'rsa2048';
      return {
        file, fixture, variant, alg, keyName,
        insns: required(source, 'opts_insn', file),
        sig: required(source, 'opts_sig', file),
        exclHash: required(source, 'opts_excl_hash', file),
      };
    });
}

export function expectedJson(fixture: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, 'expected', `${fixture}.json`), 'utf8'));
}

export const VERIFY_ON = { systemDataVerification: true, ecdsa: true } as const;
export const FIXTURE_VM = { systemDataVerification: false, ecdsa: false } as const;

function ok<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`unexpected failure: ${JSON.stringify(r)}`);
  return r as Extract<T, { ok: true }>;
}

/** The keyring world of the fixtures' signed runs (fixtures/README.md §2 "Runs"). */
export interface FixtureWorld {
  readonly state: KeyringState;
  readonly ringWithCert: number;
  readonly ringWrongCert: number;
  readonly emptyRing: number;
  readonly certKey: number;
}

/**
 * A fresh session keyring holding: a keyring with the signing certificate, a keyring with the
 * unrelated certificate, an empty keyring, and the signing certificate directly.
 */
export function fixtureWorld(certDer: Uint8Array, config = { ecdsa: true }, seed = 1): FixtureWorld {
  let state = ok(createKeyrings({ seed })).state;
  const ring1 = ok(addKeyring(state, 'with-cert', KEY_SPEC.SESSION_KEYRING));
  state = ring1.state;
  const ring2 = ok(addKeyring(state, 'wrong-cert', KEY_SPEC.SESSION_KEYRING));
  state = ring2.state;
  const ring3 = ok(addKeyring(state, 'empty', KEY_SPEC.SESSION_KEYRING));
  state = ring3.state;
  const inRing = addKey(state, config, { type: 'asymmetric', payload: certDer, keyring: ring1.value });
  if (inRing.ok) state = inRing.state;
  state = ok(addKey(state, config, { type: 'asymmetric', payload: keyBytes('other_rsa2048.cert.der'), keyring: ring2.value })).state;
  const direct = addKey(state, config, { type: 'asymmetric', payload: certDer, keyring: KEY_SPEC.SESSION_KEYRING });
  if (direct.ok) state = direct.state;
  return {
    state,
    ringWithCert: ring1.value,
    ringWrongCert: ring2.value,
    emptyRing: ring3.value,
    certKey: direct.ok ? direct.value : -1,
  };
}

export { ok as expectOk };

// --- openssl -----------------------------------------------------------------------------------

export const OPENSSL: string | null = (() => {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
})();

if (OPENSSL === null) {
  console.warn('signature tests: `openssl` not found on PATH; the openssl interoperability tests are skipped');
}

export interface OpensslRun {
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export function openssl(args: readonly string[], input?: Uint8Array): OpensslRun {
  const r = spawnSync('openssl', args, { input, maxBuffer: 1 << 24 });
  return { status: r.status ?? -1, stdout: r.stdout ?? Buffer.alloc(0), stderr: (r.stderr ?? Buffer.alloc(0)).toString() };
}

/** A scratch directory removed by the returned cleanup function. */
export function scratch(): { dir: string; file(name: string, data?: Uint8Array | string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfsim-sig-'));
  return {
    dir,
    file(name, data) {
      const p = join(dir, name);
      if (data !== undefined) writeFileSync(p, data);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
