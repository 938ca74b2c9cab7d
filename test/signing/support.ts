/**
 * Shared helpers of the signing tests: the fixture skeletons and their keys, a kernel with the
 * signer's certificate in a user keyring (PKCS#7 verification enabled), and trace queries.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelVersion, SigningScheme } from '../../src/kernel/config.js';
import { Kernel } from '../../src/kernel/kernel.js';
import type { Trace, TraceEvent } from '../../src/kernel/trace.js';
import { KEY_SPEC } from '../../src/signature/index.js';
import type { LskelModel } from '../../src/skeleton/lskel-model.js';
import { parseLskel } from '../../src/skeleton/lskel-parse.js';
import { FIXTURES } from '../support/paths.js';

export const KEYS = join(FIXTURES, 'keys');
export const LSKEL = join(FIXTURES, 'lskel');
export const SCHEMES: readonly SigningScheme[] = ['v6.18', 'hash-chain', 'v2026'];
export const VERSIONS: readonly KernelVersion[] = ['6.18.0', '6.18.y', '2026'];

export const keyPath = (name: string): string => join(KEYS, name);
export const keyText = (name: string): string => readFileSync(keyPath(name), 'utf8');
export const keyBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(keyPath(name)));

export function lskelSource(file: string): string {
  return readFileSync(join(LSKEL, file), 'utf8');
}

const models = new Map<string, LskelModel>();
export function fixtureModel(file: string): LskelModel {
  let m = models.get(file);
  if (!m) {
    m = parseLskel(lskelSource(file), file);
    models.set(file, m);
  }
  return m;
}

/** The key pair that signed a fixture (fixtures/README.md §2). */
export function keyNameOf(file: string): string {
  if (file.includes('signed_ec')) return 'ecp256';
  return file.startsWith('tprog.v77') ? 'v77_rsa2048' : 'rsa2048';
}

export interface Signer { readonly key: string; readonly cert: Uint8Array; readonly certDer: Uint8Array; readonly name: string }
export function signer(name: string): Signer {
  return { key: keyText(`${name}.key.pem`), cert: keyBytes(`${name}.cert.pem`), certDer: keyBytes(`${name}.cert.der`), name };
}
export const RSA = signer('rsa2048');
export const OTHER = signer('other_rsa2048');

/** Every bpftool-signed RSA skeleton of the fixtures. */
export function signedRsaFixtures(): string[] {
  return readdirSync(LSKEL).filter((f) => f.endsWith('.signed_rsa.lskel.h')).sort();
}

/** A kernel with PKCS#7 verification on and `certDer` in a user keyring linked to the session keyring. */
export function signerKernel(version: KernelVersion, scheme: SigningScheme, certDer: Uint8Array = RSA.certDer): { kernel: Kernel; ring: number } {
  const kernel = new Kernel({ version, scheme, systemDataVerification: true });
  const ring = kernel.keyrings.addKeyring('signer', KEY_SPEC.SESSION_KEYRING);
  if (ring < 0) throw new Error(`addKeyring: ${ring}`);
  const r = kernel.keyrings.addCertificate(certDer, ring);
  if (r < 0) throw new Error(`addCertificate: ${kernel.keyrings.lastFailure?.reason ?? r}`);
  return { kernel, ring };
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** The blob as the kernel stores it in __loader.map: value_size rounded up to 8, zero padded. */
export function padded8(b: Uint8Array): Uint8Array {
  const out = new Uint8Array((b.length + 7) & ~7);
  out.set(b);
  return out;
}

export type Ev<T extends TraceEvent['type']> = Extract<TraceEvent, { type: T }>;

/** Index of the first event (within `trace`) matching `pred`, or -1. */
export function indexOf(trace: Trace, pred: (e: TraceEvent) => boolean): number {
  return trace.findIndex(pred);
}

export const isLoaderHook = (e: TraceEvent): e is Ev<'lsm'> =>
  e.type === 'lsm' && e.hook === 'security_bpf_prog_load' && !e.isKernel && e.detail.prog_name === '__loader.prog';
export const isLoaderVerifier = (e: TraceEvent): e is Ev<'verifier'> => e.type === 'verifier' && e.prog === '__loader.prog';
export const isInnerObject = (e: TraceEvent): boolean => e.type === 'object' && e.action === 'create' && e.depth > 0;
