/**
 * Signing a light skeleton, as `bpftool gen skeleton -S` does for the upstream scheme and as the
 * two alternative designs would (signing.md §2.1, §3.2, §4.9, Appendix B):
 *
 * 1. the metadata hash: the kernel's hash of `__loader.map` (array_map_get_hash() over the blob
 *    as value_size = blob length, one entry, padding included) — patched into the loader's
 *    4 × ld_imm64 hash-check block wherever the loader has one (libbpf does this at the end of
 *    generation, §2.1 step 2). `v6.18` relies on that block, so it refuses loaders without it;
 *    the other schemes sign any loader (a block that is present is kept consistent so the loader's
 *    own check still passes);
 * 2. `excl_prog_hash` = SHA-256 of the final instructions (what the verifier compares with the
 *    program digest, §4.10);
 * 3. the PKCS#7 signature, exactly bpftool's CMS (detached, no attributes, SKID signer), over
 *    - `v6.18`: the instruction bytes;
 *    - `hash-chain`: hashChainFinal(insns, [map hash of the blob]), with `signature_maps = [0]`
 *      (the loader map is fd_array[0] of the loader's PROG_LOAD, §3.2 `bpftool gen skeleton -M`);
 *    - `v2026`: the instruction bytes followed by the loader map's value area (insns ‖ blob).
 *
 * The result is rendered in bpftool's header shape and parsed back, so the returned model is
 * exactly what `bpfsim load` sees when it reads the written file. RSA signatures are
 * deterministic: re-signing a bpftool-signed RSA skeleton with its own key reproduces the file.
 */
import type { SigningScheme } from '../kernel/config.js';
import { arrayMapHash, hashChainFinal, sha256Of, signedContent2026, signLikeBpftool } from '../signature/index.js';
import { toHex } from '../util/hex.js';
import { analyzeLoader, LoaderAnalysisError, patchLoaderDataHash, removeLoaderHashCheck, type LoaderHashCheck } from './loader-analysis.js';
import type { LskelGeneration, LskelModel } from './lskel-model.js';
import { LskelParseError, parseLskel } from './lskel-parse.js';
import { LskelRenderError, renderLskel } from './lskel-render.js';

export const SIGNING_SCHEMES: readonly SigningScheme[] = ['v6.18', 'hash-chain', 'v2026'];

/** Why a skeleton could not be signed. */
export type SkeletonSignErrorCode =
  /** `v6.18` needs the loader's metadata hash check (a `gen_hash` / `-S` loader). */
  | 'no-hash-check'
  /** The loader instructions cannot be analysed (not whole 8-byte slots). */
  | 'bad-loader'
  /** Key or certificate unusable (unreadable, no SKID, mismatch, unsupported type, too large). */
  | 'signer'
  /** The signed header could not be written or read back. */
  | 'render'
  | 'bad-scheme';

export class SkeletonSignError extends Error {
  readonly code: SkeletonSignErrorCode;
  /** Errno name of the underlying failure, when it has one (bpftool's sign path: EINVAL, ENOSPC). */
  readonly errno: string | null;

  constructor(code: SkeletonSignErrorCode, message: string, errno: string | null = null) {
    super(message);
    this.name = 'SkeletonSignError';
    this.code = code;
    this.errno = errno;
  }
}

export interface SignSkeletonOptions {
  /** Private key, PEM (PKCS#8, PKCS#1 RSA or SEC1 EC), unencrypted. */
  readonly key: string | Uint8Array;
  /** Signing certificate, PEM or DER; must carry a SubjectKeyIdentifier (CMS_USE_KEYID). */
  readonly cert: string | Uint8Array;
  /** Default `v6.18` (what the merged bpftool writes). */
  readonly scheme?: SigningScheme;
}

/** What a scheme's signature covers, for reports. */
export interface SignedContent {
  readonly description: string;
  readonly length: number;
  readonly sha256: Uint8Array;
}

export interface SignedSkeleton {
  /** The signed skeleton, as parsed back from {@link SignedSkeleton.text}. */
  readonly model: LskelModel;
  /** The `.lskel.h` text (bpftool's shape). */
  readonly text: string;
  readonly scheme: SigningScheme;
  /** The kernel's hash of `__loader.map` holding the blob (map->sha). */
  readonly metadataHash: Uint8Array;
  /** The loader has the §5.3 hash-check block (its immediates now hold {@link metadataHash}). */
  readonly hasHashCheck: boolean;
  /** The input loader's hash-check block was cut out (v2026: the 2026-07 loader has none). */
  readonly hashCheckRemoved: boolean;
  /** The block held a different hash before (the blob or the loader had been changed). */
  readonly hashCheckChanged: boolean;
  readonly exclProgHash: Uint8Array;
  readonly signature: Uint8Array;
  readonly signatureMaps: readonly number[] | null;
  readonly signedContent: SignedContent;
}

/** The kernel's map->sha of `__loader.map` holding `data` (value_size = data length, 1 entry). */
export function loaderMapHash(data: Uint8Array): Uint8Array {
  return arrayMapHash({ valueSize: data.length, maxEntries: 1, values: data });
}

/**
 * The bytes a scheme's PKCS#7 signature is checked over, for a loader `insns` whose blob `data`
 * sits in `__loader.map` (signing.md §2.2 7c, §3.2, Appendix B).
 */
export function schemeSignedContent(scheme: SigningScheme, insns: Uint8Array, data: Uint8Array): SignedContent & { readonly bytes: Uint8Array } {
  switch (scheme) {
    case 'v6.18':
      return content(insns, `the ${insns.length / 8} loader instructions`);
    case 'hash-chain':
      return content(hashChainFinal(insns, [loaderMapHash(data)]), 'SHA-256(SHA-256(insns) ‖ map hash of __loader.map) (signature_maps = [0])');
    case 'v2026':
      return content(signedContent2026(insns, [{ valueSize: data.length, maxEntries: 1, values: data }]), `the ${insns.length / 8} loader instructions ‖ the __loader.map value (${data.length} bytes)`);
  }
}

function content(bytes: Uint8Array, description: string): SignedContent & { readonly bytes: Uint8Array } {
  return { bytes, description, length: bytes.length, sha256: sha256Of(bytes) };
}

/** bpftool 7.1 headers cannot carry a signature: a signed copy takes the 7.8 shape (libbpf 1.8 skel_internal.h). */
function signedGeneration(g: LskelGeneration): LskelGeneration {
  return g === 'v71' ? 'v78' : g;
}

/** Sign `model` under `opts.scheme`; everything the signing computed comes back with the new model. */
export function signSkeletonDetailed(model: LskelModel, opts: SignSkeletonOptions): SignedSkeleton {
  const scheme = opts.scheme ?? 'v6.18';
  if (!SIGNING_SCHEMES.includes(scheme)) throw new SkeletonSignError('bad-scheme', `unknown signing scheme '${String(scheme)}' (v6.18, hash-chain or v2026)`);
  const data = model.loader.data;
  let hashCheck: LoaderHashCheck | null;
  try {
    hashCheck = analyzeLoader(model.loader.insns, data).hashCheck;
  } catch (e) {
    if (e instanceof LoaderAnalysisError) throw new SkeletonSignError('bad-loader', `cannot analyse the loader: ${e.message}`);
    throw e;
  }
  if (scheme === 'v6.18' && hashCheck === null) {
    throw new SkeletonSignError('no-hash-check',
      `${model.fileName ?? model.objName}: the loader has no metadata hash check, so a v6.18 signature over its instructions would not cover the data blob; ` +
      'generate it as a signed loader (bpftool gen skeleton -S, libbpf gen_hash) or sign with --scheme hash-chain or v2026');
  }
  const metadataHash = loaderMapHash(data);
  // v2026 pairs with the 2026-07 loader, which has no in-loader hash check (the kernel checks the
  // map); the other schemes keep the check, with the hash of this blob patched in.
  const insns = hashCheck === null ? model.loader.insns
    : scheme === 'v2026' ? removeLoaderHashCheck(model.loader.insns)
    : patchLoaderDataHash(model.loader.insns, metadataHash);
  const signed = schemeSignedContent(scheme, insns, data);
  const r = signLikeBpftool(signed.bytes, { key: opts.key, cert: opts.cert });
  if (!r.ok) throw new SkeletonSignError('signer', r.reason, r.errnoName);
  // bpftool's excl_prog_hash is SHA-256 of the instructions, whatever the signature covers.
  const exclProgHash = sha256Of(insns);
  const signatureMaps = scheme === 'hash-chain' ? [0] : null;
  let text: string;
  let out: LskelModel;
  try {
    text = renderLskel(model, {
      insns, signature: r.signature, exclProgHash, signatureMaps, generation: signedGeneration(model.generation),
    });
    out = parseLskel(text, model.fileName);
  } catch (e) {
    if (e instanceof LskelRenderError || e instanceof LskelParseError) throw new SkeletonSignError('render', `cannot write the signed header: ${e.message}`);
    throw e;
  }
  return {
    model: out, text, scheme, metadataHash, hasHashCheck: hashCheck !== null && scheme !== 'v2026',
    hashCheckRemoved: hashCheck !== null && scheme === 'v2026',
    hashCheckChanged: hashCheck !== null && scheme !== 'v2026' && toHex(hashCheck.embeddedHash) !== toHex(metadataHash),
    exclProgHash, signature: r.signature, signatureMaps,
    signedContent: { description: signed.description, length: signed.length, sha256: signed.sha256 },
  };
}

/** Sign `model` under `opts.scheme` (default `v6.18`) and return the signed skeleton's model. */
export function signSkeleton(model: LskelModel, opts: SignSkeletonOptions): LskelModel {
  return signSkeletonDetailed(model, opts).model;
}
