/**
 * The modelled kernel crypto layer: digests (@noble/hashes) and public-key signature
 * verification (node:crypto: RSA PKCS#1 v1.5 and ECDSA with DER-encoded (r, s), Linux's "pkcs1"
 * and "x962" encodings).
 */
import { constants, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { sha3_256, sha3_384, sha3_512 } from '@noble/hashes/sha3.js';
import type { HashName } from './oids.js';
import { toHex } from '../util/hex.js';

const DIGESTS: Readonly<Record<HashName, (data: Uint8Array) => Uint8Array>> = {
  sha1, sha224, sha256, sha384, sha512, 'sha3-256': sha3_256, 'sha3-384': sha3_384, 'sha3-512': sha3_512,
};

export function digest(hash: HashName, data: Uint8Array): Uint8Array {
  return DIGESTS[hash](data);
}

export function sha256Of(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/** Digest sizes, for the messageDigest length check of pkcs7_digest(). */
export const DIGEST_SIZE: Readonly<Record<HashName, number>> = {
  sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64, 'sha3-256': 32, 'sha3-384': 48, 'sha3-512': 64,
};

/** A public key as the keyring stores it: plain data (SubjectPublicKeyInfo DER in hex). */
export type PublicKeyInfo =
  | { readonly algorithm: 'rsa'; readonly bits: number; readonly spkiHex: string }
  | { readonly algorithm: 'ecdsa'; readonly curve: 'P-256' | 'P-384'; readonly spkiHex: string };

/**
 * Linux's pkey_algo string for a key ("rsa", "ecdsa-nist-p256", ...). pkcs7_find_key() compares
 * it with the SignerInfo's pkey_algo ("rsa" / "ecdsa") using strcmp.
 */
export function linuxPkeyAlgo(key: PublicKeyInfo): string {
  return key.algorithm === 'rsa' ? 'rsa' : key.curve === 'P-256' ? 'ecdsa-nist-p256' : 'ecdsa-nist-p384';
}

// KeyObjects are immutable; importing one costs more than a verification, so keep a few.
const KEY_CACHE = new Map<string, KeyObject>();
const KEY_CACHE_MAX = 64;

function keyObject(spkiHex: string): KeyObject | null {
  const hit = KEY_CACHE.get(spkiHex);
  if (hit) return hit;
  try {
    const k = createPublicKey({ key: Buffer.from(spkiHex, 'hex'), format: 'der', type: 'spki' });
    if (KEY_CACHE.size >= KEY_CACHE_MAX) KEY_CACHE.delete(KEY_CACHE.keys().next().value as string);
    KEY_CACHE.set(spkiHex, k);
    return k;
  } catch {
    return null;
  }
}

/** Import SubjectPublicKeyInfo DER; null when node:crypto cannot use it. */
export function importSpki(spki: Uint8Array): KeyObject | null {
  return keyObject(toHex(spki));
}

/**
 * Verify `signature` over `data` (hashed with `hash`) with `key`. Never throws: any malformed
 * signature or key is simply "does not verify", as public_key_verify_signature() reports it.
 */
export function verifySignature(key: PublicKeyInfo, hash: HashName, data: Uint8Array, signature: Uint8Array): boolean {
  const k = keyObject(key.spkiHex);
  if (!k) return false;
  try {
    return key.algorithm === 'rsa'
      ? nodeVerify(hash, data, { key: k, padding: constants.RSA_PKCS1_PADDING }, signature)
      : nodeVerify(hash, data, { key: k, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
