/**
 * Signing like `bpftool gen skeleton -S -k key.pem -i cert.pem` (bpftool sign.c,
 * signing.md §4.9): OpenSSL CMS_sign with CMS_NOCERTS | CMS_BINARY | CMS_DETACHED and a signer
 * added with CMS_NOSMIMECAP | CMS_USE_KEYID | CMS_NOATTR, SHA-256, DER output. The result is:
 * ContentInfo(signedData) → SignedData v3 { digestAlgorithms {sha256}, encapContentInfo id-data
 * without content, no certificates, SignerInfo v3 { [0] SKID, sha256,
 * rsaEncryption+NULL | ecdsa-with-SHA256, signature } }. RSA PKCS#1 v1.5 is deterministic, so RSA
 * output is byte-identical to bpftool's; ECDSA output is randomized.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { exclProgHash } from './content.js';
import { OID } from './oids.js';
import { failure, type Failure } from './result.js';
import { parseCertificate } from './x509.js';
import { toHex } from '../util/hex.js';

/** bpftool's MAX_SIG_SIZE: larger output fails the build (ENOSPC). */
export const BPFTOOL_MAX_SIG_SIZE = 4096;

export interface BpftoolSignOptions {
  /** Private key, PEM (PKCS#8, PKCS#1 RSA or SEC1 EC), unencrypted. */
  readonly key: string | Uint8Array;
  /** Signing certificate, PEM or DER (auto-detected like bpftool). Must carry a SubjectKeyIdentifier. */
  readonly cert: string | Uint8Array;
}

export type BpftoolSignResult =
  | { readonly ok: true; readonly signature: Uint8Array; readonly exclProgHash: Uint8Array }
  | Failure;

/**
 * Sign `content` (the loader instruction bytes) the way bpftool does and compute excl_prog_hash.
 * Failures (unreadable key or certificate, no SKID, key/certificate mismatch, unsupported key
 * type, output over 4096 bytes) come back as values with the errno bpftool's sign path would use.
 */
export function signLikeBpftool(content: Uint8Array, opts: BpftoolSignOptions): BpftoolSignResult {
  try {
    return sign(content, opts);
  } catch (e) {
    return failure('EINVAL', `signing failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function sign(content: Uint8Array, opts: BpftoolSignOptions): BpftoolSignResult {
  const cert = parseCertificate(opts.cert, { ecdsa: true });
  if (!cert.ok) return failure('EINVAL', `cannot read certificate: ${cert.reason}`);
  if (cert.cert.skidHex === null) return failure('EINVAL', 'certificate has no subjectKeyIdentifier (CMS_USE_KEYID needs one)');

  let key: KeyObject;
  try {
    key = createPrivateKey(typeof opts.key === 'string' ? opts.key : Buffer.from(opts.key));
  } catch (e) {
    return failure('EINVAL', `cannot read private key: ${e instanceof Error ? e.message : String(e)}`);
  }
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (toHex(new Uint8Array(spki)) !== cert.cert.publicKey.spkiHex) {
    return failure('EINVAL', 'private key does not match certificate');
  }

  let signatureAlgorithm: pkijs.AlgorithmIdentifier;
  let signature: Uint8Array;
  if (key.asymmetricKeyType === 'rsa') {
    signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() });
    signature = new Uint8Array(nodeSign('sha256', content, key));
  } else if (key.asymmetricKeyType === 'ec') {
    signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 });
    signature = new Uint8Array(nodeSign('sha256', content, { key, dsaEncoding: 'der' }));
  } else {
    return failure('EINVAL', `unsupported key type ${key.asymmetricKeyType ?? '?'}`);
  }

  const skid = Buffer.from(cert.cert.skidHex, 'hex');
  const signerInfo = new pkijs.SignerInfo({
    version: 3,
    sid: new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: skid }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
    signatureAlgorithm,
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const signedData = new pkijs.SignedData({
    version: 3,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  const der = new Uint8Array(contentInfo.toSchema().toBER(false));
  if (der.length > BPFTOOL_MAX_SIG_SIZE) return failure('ENOSPC', `signature is ${der.length} bytes, more than MAX_SIG_SIZE ${BPFTOOL_MAX_SIG_SIZE}`);
  return { ok: true, signature: der, exclProgHash: exclProgHash(content) };
}
