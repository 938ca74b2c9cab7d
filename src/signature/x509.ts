/**
 * X.509 certificates as Linux's asymmetric key type sees them (crypto/asymmetric_keys/
 * x509_cert_parser.c, x509_public_key.c): subject/issuer, raw serial, SubjectKeyIdentifier, the
 * key ids the keyring matches on, the public key (RSA, EC P-256/P-384), validity, and the
 * self-signature check done at parse time. The result is plain data so keyrings can hold it.
 */
import * as pkijs from 'pkijs';
import {
  CLASS_CONTEXT, TAG, childrenOf, contentOf, decodeBer, isTag, oidOf, primitiveBytes, sequenceOf,
  type Node,
} from './ber.js';
import { importSpki, linuxPkeyAlgo, verifySignature, type PublicKeyInfo } from './crypto.js';
import { CERT_SIG_ALGS, OID } from './oids.js';
import { failure, type Failure } from './result.js';
import { toHex } from '../util/hex.js';

export interface X509Cert {
  /** The certificate, DER, hex. */
  readonly derHex: string;
  /** RFC 4514-style distinguished names in certificate order ("O=bpf-lskel-fixtures, CN=..."). */
  readonly subject: string;
  readonly issuer: string;
  /**
   * The name Linux fabricates from CN / O / emailAddress (x509_fabricate_name()); it starts the
   * key's description in /proc/keys.
   */
  readonly linuxName: string;
  /** Serial number: the INTEGER's content octets, hex (Linux's raw_serial). */
  readonly serialHex: string;
  /** SubjectKeyIdentifier, hex, or null when the certificate has none. */
  readonly skidHex: string | null;
  /**
   * Linux's cert->id: asymmetric_key_generate_id(raw_serial, raw_issuer) = serial content octets
   * followed by the issuer Name's content octets, hex. A SignerInfo identified by issuer and
   * serial carries the same id.
   */
  readonly idHex: string;
  /** AuthorityKeyIdentifier as Linux keeps it (auth_ids[1] = keyIdentifier, auth_ids[0] = issuer+serial id). */
  readonly akidKeyIdHex: string | null;
  readonly akidIssuerSerialIdHex: string | null;
  readonly publicKey: PublicKeyInfo;
  /** Linux's pkey_algo for the key: "rsa", "ecdsa-nist-p256", "ecdsa-nist-p384". */
  readonly pkeyAlgo: string;
  /** Validity, milliseconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Subject == issuer, any AKID matches, and the self-signature verified. */
  readonly selfSigned: boolean;
  /** What add_key(2) proposes as the key description: "<linuxName>: <skid or serial hex>". */
  readonly description: string;
}

export type CertResult = { readonly ok: true; readonly cert: X509Cert } | Failure;

export interface CertParseOptions {
  /** The kernel has ECDSA crypto (needed to check an EC certificate's self-signature). */
  readonly ecdsa: boolean;
}

/**
 * bpftool's read_x509(): a file whose first two bytes are 0x30 0x81..0x84 is DER, anything else
 * is read as PEM.
 */
export function looksLikeDer(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x30 && bytes[1] >= 0x81 && bytes[1] <= 0x84;
}

/**
 * The DER of the first `-----BEGIN <label>-----` block of a PEM text, or null when there is none
 * or its base64 body is not valid base64.
 */
export function pemToDer(text: string, label = 'CERTIFICATE'): Uint8Array | null {
  const begin = `-----BEGIN ${label}-----`;
  const start = text.indexOf(begin);
  if (start < 0) return null;
  const end = text.indexOf(`-----END ${label}-----`, start + begin.length);
  if (end < 0) return null;
  const body = text.slice(start + begin.length, end).replace(/\s+/g, '');
  if (body.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) return null;
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/**
 * Read a certificate the way bpftool does (PEM or DER, auto-detected) and parse it.
 * Not PEM and not DER → EBADMSG.
 */
export function parseCertificate(input: Uint8Array | string, opts: CertParseOptions = { ecdsa: true }): CertResult {
  let der: Uint8Array | null;
  if (typeof input === 'string') der = pemToDer(input);
  else if (looksLikeDer(input)) der = input;
  else der = pemToDer(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1'));
  if (!der) return failure('EBADMSG', 'neither a DER certificate nor a PEM CERTIFICATE block');
  return parseCertificateDer(der, opts);
}

/**
 * x509_cert_parse(): what the kernel does with an add_key("asymmetric") payload or a certificate
 * carried in a PKCS#7 message. Errors as Linux reports them: not X.509 → EBADMSG; unsupported key,
 * curve or signature algorithm → ENOPKG; signatureAlgorithm ≠ tbsCertificate.signature → EINVAL;
 * a self-signed certificate whose signature does not verify → EKEYREJECTED; an EC self-signed
 * certificate on a kernel without ECDSA → ENOENT (crypto_alloc_sig fails; what add_key returned on
 * the fixtures' VM).
 */
export function parseCertificateDer(der: Uint8Array, opts: CertParseOptions): CertResult {
  try {
    return parseDer(der, opts);
  } catch (e) {
    return failure('EBADMSG', `X.509: undecodable certificate (${e instanceof Error ? e.message : String(e)})`);
  }
}

function parseDer(der: Uint8Array, opts: CertParseOptions): CertResult {
  const dec = decodeBer(der, 'X.509');
  if (!dec.ok) return dec;
  let cert: pkijs.Certificate;
  try {
    cert = new pkijs.Certificate({ schema: dec.root });
  } catch (e) {
    return failure('EBADMSG', `X.509: not a certificate (${e instanceof Error ? e.message : String(e)})`);
  }
  const top = sequenceOf(dec.root);
  const tbsKids = top && top[0] ? sequenceOf(top[0]) : null;
  if (!tbsKids) return failure('EBADMSG', 'X.509: no tbsCertificate');
  const v = isTag(tbsKids[0], CLASS_CONTEXT, 0) ? 1 : 0;
  const [serialNode, , issuerNode, , subjectNode] = tbsKids.slice(v, v + 5);
  if (!serialNode || !issuerNode || !subjectNode) return failure('EBADMSG', 'X.509: truncated tbsCertificate');

  // Signature algorithm: x509_note_sig_algo() knows RSA PKCS#1 and ECDSA with SHA-1/2.
  const sigAlg = cert.signatureAlgorithm.algorithmId;
  if (cert.signature.algorithmId !== sigAlg) {
    return failure('EINVAL', `X.509: signatureAlgorithm (${sigAlg}) differs from tbsCertificate.signature (${cert.signature.algorithmId})`);
  }
  const sigInfo = CERT_SIG_ALGS.get(sigAlg);
  if (!sigInfo) return failure('ENOPKG', `X.509: unsupported signature algorithm ${sigAlg}`);

  const pub = publicKeyOf(cert);
  if (!pub.ok) return pub;
  const publicKey = pub.key;

  // Extensions Linux uses: SubjectKeyIdentifier and AuthorityKeyIdentifier.
  let skid: Uint8Array | null = null;
  let akidKeyId: Uint8Array | null = null;
  let akidIssuerSerialId: string | null = null;
  for (const ext of cert.extensions ?? []) {
    const value = new Uint8Array(ext.extnValue.valueBlock.valueHexView);
    if (ext.extnID === OID.subjectKeyIdentifier) {
      // x509_process_extension(): the value must be a short-form OCTET STRING.
      if (value.length < 2 || value[0] !== TAG.OCTET_STRING || value[1] !== value.length - 2) {
        return failure('EBADMSG', 'X.509: malformed subjectKeyIdentifier');
      }
      skid = value.slice(2);
    } else if (ext.extnID === OID.authorityKeyIdentifier) {
      const akid = parseAkid(value);
      if (!akid) return failure('EBADMSG', 'X.509: malformed authorityKeyIdentifier');
      akidKeyId = akid.keyId;
      akidIssuerSerialId = akid.issuerSerialId;
    }
  }

  const serial = primitiveBytes(serialNode) ?? new Uint8Array();
  const rawIssuer = contentOf(issuerNode);
  const rawSubject = contentOf(subjectNode);
  const idHex = toHex(serial) + toHex(rawIssuer);
  const skidHex = skid ? toHex(skid) : null;
  const akidKeyIdHex = akidKeyId ? toHex(akidKeyId) : null;

  // x509_check_for_self_signed().
  let selfSigned = false;
  if (equalBytes(rawSubject, rawIssuer)) {
    let candidate = true;
    if (akidKeyIdHex !== null || akidIssuerSerialId !== null) {
      const a = akidKeyIdHex !== null && akidKeyIdHex === skidHex;
      const b = akidIssuerSerialId !== null && akidIssuerSerialId === idHex;
      if (!a && !b) candidate = false;
      else if (a !== b && akidKeyIdHex !== null && akidIssuerSerialId !== null) {
        return failure('EKEYREJECTED', 'X.509: self-signed certificate with a half-matching authorityKeyIdentifier');
      }
    }
    if (candidate) {
      if (publicKey.algorithm === 'ecdsa' && !opts.ecdsa) {
        return failure('ENOENT', 'X.509: no ECDSA crypto in this kernel to check the self-signature (crypto_alloc_sig)');
      }
      if (sigInfo.pkey !== publicKey.algorithm) {
        return failure('EKEYREJECTED', 'X.509: self-signature algorithm does not match the key');
      }
      const tbs = new Uint8Array(cert.tbsView);
      const sig = new Uint8Array(cert.signatureValue.valueBlock.valueHexView);
      if (!verifySignature(publicKey, sigInfo.hash, tbs, sig)) {
        return failure('EKEYREJECTED', 'X.509: self-signature does not verify');
      }
      selfSigned = true;
    }
  }

  const linuxName = fabricateName(subjectNode);
  const described = skid ?? serial;
  return {
    ok: true,
    cert: {
      derHex: toHex(der),
      subject: distinguishedName(subjectNode),
      issuer: distinguishedName(issuerNode),
      linuxName,
      serialHex: toHex(serial),
      skidHex,
      idHex,
      akidKeyIdHex,
      akidIssuerSerialIdHex: akidIssuerSerialId,
      publicKey,
      pkeyAlgo: linuxPkeyAlgo(publicKey),
      notBefore: cert.notBefore.value.getTime(),
      notAfter: cert.notAfter.value.getTime(),
      selfSigned,
      description: `${linuxName}: ${toHex(described)}`,
    },
  };
}

function publicKeyOf(cert: pkijs.Certificate): { ok: true; key: PublicKeyInfo } | Failure {
  const spkiInfo = cert.subjectPublicKeyInfo;
  const spki = new Uint8Array(spkiInfo.toSchema().toBER(false));
  const alg = spkiInfo.algorithm.algorithmId;
  if (alg === OID.rsaEncryption) {
    const k = importSpki(spki);
    const bits = k?.asymmetricKeyDetails?.modulusLength;
    if (!k || !bits) return failure('EBADMSG', 'X.509: malformed RSA public key');
    return { ok: true, key: { algorithm: 'rsa', bits, spkiHex: toHex(spki) } };
  }
  if (alg === OID.idEcPublicKey) {
    const curveOid = oidOf(spkiInfo.algorithm.algorithmParams as Node | undefined);
    const curve = curveOid === OID.prime256v1 ? 'P-256' : curveOid === OID.secp384r1 ? 'P-384' : null;
    if (!curve) return failure('ENOPKG', `X.509: unsupported elliptic curve ${curveOid ?? '(none)'}`);
    if (!importSpki(spki)) return failure('EBADMSG', 'X.509: malformed EC public key');
    return { ok: true, key: { algorithm: 'ecdsa', curve, spkiHex: toHex(spki) } };
  }
  return failure('ENOPKG', `X.509: unsupported public key algorithm ${alg}`);
}

/**
 * AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL,
 * authorityCertIssuer [1] GeneralNames OPTIONAL, authorityCertSerialNumber [2] INTEGER OPTIONAL }.
 * Linux builds auth_ids[0] from serial + the directoryName's content, auth_ids[1] from keyIdentifier.
 */
function parseAkid(value: Uint8Array): { keyId: Uint8Array | null; issuerSerialId: string | null } | null {
  const dec = decodeBer(value, 'AKID');
  if (!dec.ok) return null;
  const kids = sequenceOf(dec.root);
  if (!kids) return null;
  let keyId: Uint8Array | null = null;
  let issuer: Uint8Array | null = null;
  let serial: Uint8Array | null = null;
  for (const k of kids) {
    if (isTag(k, CLASS_CONTEXT, 0)) keyId = primitiveBytes(k);
    else if (isTag(k, CLASS_CONTEXT, 2)) serial = primitiveBytes(k);
    else if (isTag(k, CLASS_CONTEXT, 1)) {
      const dirName = (childrenOf(k) ?? []).find((g) => isTag(g, CLASS_CONTEXT, 4));
      const name = dirName ? childrenOf(dirName)?.[0] : undefined;
      if (name) issuer = contentOf(name);
    }
  }
  return { keyId, issuerSerialId: issuer && serial ? toHex(serial) + toHex(issuer) : null };
}

const SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  [OID.commonName, 'CN'], [OID.organizationName, 'O'], [OID.organizationUnitName, 'OU'],
  [OID.countryName, 'C'], [OID.localityName, 'L'], [OID.stateOrProvinceName, 'ST'],
  [OID.emailAddress, 'emailAddress'],
]);

/** Each (type, value) of a Name in order: Name ::= SEQUENCE OF SET OF SEQUENCE { type, value }. */
function nameAttributes(name: Node): Array<{ type: string; value: Uint8Array }> {
  const out: Array<{ type: string; value: Uint8Array }> = [];
  for (const rdn of sequenceOf(name) ?? []) {
    for (const atv of sequenceOf(rdn, TAG.SET) ?? []) {
      const pair = sequenceOf(atv);
      const type = pair ? oidOf(pair[0]) : null;
      if (pair && type && pair[1] && !pair[1].idBlock.isConstructed) out.push({ type, value: contentOf(pair[1]) });
    }
  }
  return out;
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function distinguishedName(name: Node): string {
  return nameAttributes(name).map((a) => `${SHORT_NAMES.get(a.type) ?? a.type}=${text(a.value)}`).join(', ');
}

/**
 * x509_fabricate_name(): CN alone when there is no O or when CN starts with O (or shares its
 * first 7 characters), "O: CN" otherwise; else O, else emailAddress, else "". The last occurrence
 * of each attribute wins, as in x509_extract_name_segment().
 */
function fabricateName(name: Node): string {
  let cn: Uint8Array | null = null;
  let o: Uint8Array | null = null;
  let email: Uint8Array | null = null;
  for (const a of nameAttributes(name)) {
    if (a.type === OID.commonName) cn = a.value;
    else if (a.type === OID.organizationName) o = a.value;
    else if (a.type === OID.emailAddress) email = a.value;
  }
  if (cn && cn.length > 0 && o && o.length > 0) {
    if (cn.length >= o.length && equalBytes(cn.subarray(0, o.length), o)) return text(cn);
    if (cn.length >= 7 && o.length >= 7 && equalBytes(cn.subarray(0, 7), o.subarray(0, 7))) return text(cn);
    return `${text(o)}: ${text(cn)}`;
  }
  if (cn && cn.length > 0) return text(cn);
  if (o && o.length > 0) return text(o);
  if (email && email.length > 0) return text(email);
  return '';
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The certificate's DER bytes. */
export function certDer(cert: X509Cert): Uint8Array {
  return new Uint8Array(Buffer.from(cert.derHex, 'hex'));
}
