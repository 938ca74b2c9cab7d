/**
 * PKCS#7 / CMS SignedData as Linux's crypto/asymmetric_keys handles it:
 *  - {@link parsePkcs7}: pkcs7_parser.c (pkcs7_parse_message and its ASN.1 actions, in the order
 *    the decoder meets the elements, each with the errno Linux's action returns);
 *  - {@link pkcs7Verify}: pkcs7_verify.c (usage rules, content/attribute digests, signers found in
 *    the message's own certificates);
 *  - {@link pkcs7ValidateTrust}: pkcs7_trust.c (find the signer's key in the trusted keyring and
 *    verify the signature with it).
 * The keyring itself is abstracted as a {@link KeySearch} so this module stays independent of how
 * keyrings are stored.
 */
import {
  CLASS_CONTEXT, TAG, algorithmOf, childrenOf, contentOf, decodeBer, isTag, isUniversal, oidFromContent,
  oidOf, primitiveBytes, rawOf, sequenceOf, type Node,
} from './ber.js';
import { DIGEST_SIZE, digest, verifySignature } from './crypto.js';
import { DIGEST_BY_OID, ECDSA_SIG_HASH, OID, type HashName } from './oids.js';
import { failure, type Failure } from './result.js';
import { ERRNO } from '../errno.js';
import { equalBytes, parseCertificateDer, type X509Cert } from './x509.js';
import { toHex } from '../util/hex.js';

export type SignerIdentifier =
  | { readonly kind: 'skid'; readonly skidHex: string }
  | { readonly kind: 'issuerSerial'; readonly serialHex: string; readonly issuerHex: string };

export interface SignedAttributes {
  /** The attributes re-tagged as SET OF (0x31): what the signature covers [RFC 5652 §5.4]. */
  readonly der: Uint8Array;
  readonly contentType: string;
  readonly messageDigest: Uint8Array;
  /** signingTime, ms since the epoch, when present. */
  readonly signingTime: number | null;
}

export interface Pkcs7SignerInfo {
  /** 1-based, like sinfo->index. */
  readonly index: number;
  readonly version: 1 | 3;
  readonly sid: SignerIdentifier;
  /**
   * sinfo->sig->auth_ids[0] as hex: SKID (version 3) or serial ‖ issuer content octets
   * (version 1) — chosen by the version, as pkcs7_note_signed_info() does. Empty when the
   * identifier the version calls for is missing; such a signer then matches no key.
   */
  readonly authIdHex: string;
  readonly digest: HashName;
  /** Linux's sig->pkey_algo: "rsa" or "ecdsa". */
  readonly pkeyAlgo: 'rsa' | 'ecdsa';
  readonly signatureAlgorithm: string;
  readonly signedAttrs: SignedAttributes | null;
  readonly signature: Uint8Array;
}

export interface Pkcs7Message {
  readonly version: 1 | 3;
  readonly digestAlgorithms: readonly string[];
  /** OID_data or OID_msIndirectData: the only two pkcs7_note_content() accepts. */
  readonly dataType: string;
  /** Encapsulated content, or null when detached. */
  readonly content: Uint8Array | null;
  readonly certs: readonly X509Cert[];
  readonly signerInfos: readonly Pkcs7SignerInfo[];
  readonly haveAuthattrs: boolean;
}

export type ParseResult = { readonly ok: true; readonly msg: Pkcs7Message } | Failure;

export interface Pkcs7Env {
  /** ECDSA crypto available (certificates carried in the message are parsed like add_key's). */
  readonly ecdsa: boolean;
}

/**
 * pkcs7_parse_message(). Malformed BER → EBADMSG (EMSGSIZE above 65535 bytes); ContentInfo not
 * signedData, unsupported SignedData/SignerInfo version, content type other than data/
 * Authenticode, no or inconsistent signed attributes → EINVAL; unsupported digest or public-key
 * algorithm → ENOPKG; disallowed or repeated signed attributes → EKEYREJECTED; missing required
 * attributes, version mismatch → EBADMSG.
 *
 * bpfsim is stricter than Linux where the signature does not reach (all EBADMSG): algorithm
 * parameters must be absent or NULL, the SignedData digestAlgorithms must list each signer's
 * digest, an ecdsa-with-<hash> signature algorithm must name the signer's digest, and only the
 * CMS encodings are accepted (SET OF for digestAlgorithms and signerInfos, [0] certificates,
 * [1] crls and unsigned attributes; Linux also takes the SEQUENCE / [2] / [3] alternatives).
 * Linux ignores these fields, so it accepts a message corrupted there; bpfsim rejects every
 * single-byte corruption.
 */
export function parsePkcs7(bytes: Uint8Array, env: Pkcs7Env): ParseResult {
  try {
    return parse(bytes, env);
  } catch (e) {
    return failure('EBADMSG', `PKCS#7: undecodable (${e instanceof Error ? e.message : String(e)})`);
  }
}

function parse(bytes: Uint8Array, env: Pkcs7Env): ParseResult {
  const dec = decodeBer(bytes, 'PKCS#7');
  if (!dec.ok) return dec;
  const ci = sequenceOf(dec.root);
  if (!ci || ci.length < 1 || ci.length > 2) return failure('EBADMSG', 'PKCS#7: ContentInfo is not SEQUENCE { contentType, [0] content }');
  const ciType = oidOf(ci[0]);
  if (!ciType) return failure('EBADMSG', 'PKCS#7: ContentInfo.contentType is not an OID');
  // pkcs7_check_content_type()
  if (ciType !== OID.signedData) return failure('EINVAL', `PKCS#7: only support pkcs7_signedData type (got ${ciType})`);
  if (ci.length < 2) return failure('EINVAL', 'PKCS#7: no SignedData, hence no signer (inconsistently supplied authAttrs)');
  const explicit = ci[1];
  const inner = isTag(explicit, CLASS_CONTEXT, 0) ? childrenOf(explicit) : null;
  if (!inner || inner.length !== 1) return failure('EBADMSG', 'PKCS#7: content is not [0] EXPLICIT SignedData');
  const sd = sequenceOf(inner[0]);
  if (!sd || sd.length < 4) return failure('EBADMSG', 'PKCS#7: SignedData is not a SEQUENCE of at least 4 elements');

  let i = 0;
  // pkcs7_note_signeddata_version()
  const version = versionOf(sd[i++]);
  if (version === 'not an INTEGER') return failure('EBADMSG', 'PKCS#7: SignedData version is not an INTEGER');
  if (version !== 1 && version !== 3) return failure('EINVAL', 'PKCS#7: unsupported SignedData version');

  // digestAlgorithms: only noted (pkcs7_note_OID) by Linux.
  const daNode = sd[i++];
  // Linux also accepts a SEQUENCE OF here (daSequence); CMS says SET OF, and so does bpfsim.
  const das = isUniversal(daNode, TAG.SET) ? childrenOf(daNode) : null;
  if (!das) return failure('EBADMSG', 'PKCS#7: digestAlgorithms is not a SET');
  const digestAlgorithms: string[] = [];
  const daParams: Array<'absent' | 'null' | 'other'> = [];
  for (const d of das) {
    const alg = algorithmOf(d);
    if (!alg) return failure('EBADMSG', 'PKCS#7: malformed digest AlgorithmIdentifier');
    digestAlgorithms.push(alg.oid);
    daParams.push(alg.params);
  }

  // contentInfo → pkcs7_note_content() / pkcs7_note_data()
  const eci = sequenceOf(sd[i++]);
  if (!eci || eci.length < 1 || eci.length > 2) return failure('EBADMSG', 'PKCS#7: malformed encapContentInfo');
  const dataType = oidOf(eci[0]);
  if (!dataType) return failure('EBADMSG', 'PKCS#7: encapContentInfo.contentType is not an OID');
  if (dataType !== OID.data && dataType !== OID.msIndirectData) {
    return failure('EINVAL', `PKCS#7: unsupported data type ${dataType}`);
  }
  let content: Uint8Array | null = null;
  if (eci.length === 2) {
    const wrapped = isTag(eci[1], CLASS_CONTEXT, 0) ? childrenOf(eci[1]) : null;
    if (!wrapped || wrapped.length !== 1) return failure('EBADMSG', 'PKCS#7: eContent is not [0] EXPLICIT');
    content = contentOf(wrapped[0]);
  }

  // certificates [0] IMPLICIT → pkcs7_extract_cert() for each (Linux also takes [2] certSequence).
  const certs: X509Cert[] = [];
  if (i < sd.length && isTag(sd[i], CLASS_CONTEXT, 0)) {
    const list = childrenOf(sd[i++]);
    if (!list) return failure('EBADMSG', 'PKCS#7: certificates is not constructed');
    for (const c of list) {
      if (!isUniversal(c, TAG.SEQUENCE)) return failure('EBADMSG', 'PKCS#7: certificate does not begin with a SEQUENCE tag');
      const parsed = parseCertificateDer(rawOf(c), env);
      if (!parsed.ok) return parsed;
      certs.push(parsed.cert);
    }
  }
  // crls [1]: not used by Linux (which also takes [3] crlSequence).
  if (i < sd.length && isTag(sd[i], CLASS_CONTEXT, 1)) i++;

  const siNode = sd[i++];
  if (!siNode || i !== sd.length) return failure('EBADMSG', 'PKCS#7: unexpected elements in SignedData');
  const sis = isUniversal(siNode, TAG.SET) ? childrenOf(siNode) : null; // Linux: SET or SEQUENCE
  if (!sis) return failure('EBADMSG', 'PKCS#7: signerInfos is not a SET');

  const signerInfos: Pkcs7SignerInfo[] = [];
  const strictChecks: Array<() => Failure | null> = [];
  for (const s of sis) {
    const r = parseSignerInfo(s, version, dataType, signerInfos.length + 1);
    if (!r.ok) return r;
    signerInfos.push(r.sinfo);
    strictChecks.push(r.strict);
  }

  // pkcs7_check_authattrs()
  if (signerInfos.length === 0) return failure('EINVAL', 'PKCS#7: no SignerInfo (inconsistently supplied authAttrs)');
  const haveAuthattrs = signerInfos[0].signedAttrs !== null;
  if (signerInfos.some((s) => (s.signedAttrs !== null) !== haveAuthattrs)) {
    return failure('EINVAL', 'PKCS#7: inconsistently supplied authAttrs');
  }

  // bpfsim's stricter checks on fields Linux ignores (see the function comment).
  if (daParams.some((p) => p === 'other')) return failure('EBADMSG', 'PKCS#7: digestAlgorithms parameters must be absent or NULL');
  for (const s of signerInfos) {
    if (!digestAlgorithms.some((oid) => DIGEST_BY_OID.get(oid) === s.digest)) {
      return failure('EBADMSG', `PKCS#7: SignedData.digestAlgorithms does not list signer ${s.index}'s digest ${s.digest}`);
    }
  }
  for (const check of strictChecks) {
    const f = check();
    if (f) return f;
  }

  return {
    ok: true,
    msg: { version, digestAlgorithms, dataType, content, certs, signerInfos, haveAuthattrs },
  };
}

/**
 * A version INTEGER as Linux reads it: exactly one content octet (`if (vlen != 1) goto unsupported`,
 * EINVAL). Another tag is the ASN.1 decoder's tag mismatch (EBADMSG) before any action runs.
 */
function versionOf(node: Node | undefined): number | null | 'not an INTEGER' {
  if (!node || !isUniversal(node, TAG.INTEGER) || node.idBlock.isConstructed) return 'not an INTEGER';
  const b = contentOf(node);
  return b.length === 1 ? b[0] : null;
}

type SignerInfoResult = { ok: true; sinfo: Pkcs7SignerInfo; strict: () => Failure | null } | Failure;

function parseSignerInfo(node: Node, msgVersion: 1 | 3, dataType: string, index: number): SignerInfoResult {
  const k = sequenceOf(node);
  if (!k || k.length < 5) return failure('EBADMSG', `PKCS#7: SignerInfo ${index} is not a SEQUENCE of at least 5 elements`);
  let i = 0;
  // pkcs7_note_signerinfo_version()
  const v = versionOf(k[i++]);
  if (v === 'not an INTEGER') return failure('EBADMSG', `PKCS#7: SignerInfo ${index} version is not an INTEGER`);
  if (v !== 1 && v !== 3) return failure('EINVAL', 'PKCS#7: unsupported SignerInfo version');
  if ((v === 1 && msgVersion !== 1) || (v === 3 && msgVersion === 1)) {
    return failure('EBADMSG', 'PKCS#7: SignedData-SignerInfo version mismatch');
  }

  // sid: IssuerAndSerialNumber or [0] IMPLICIT SubjectKeyIdentifier.
  const sidNode = k[i++];
  let sid: SignerIdentifier;
  if (isTag(sidNode, CLASS_CONTEXT, 0) && !sidNode.idBlock.isConstructed) {
    sid = { kind: 'skid', skidHex: toHex(primitiveBytes(sidNode) ?? new Uint8Array()) };
  } else {
    const ias = sequenceOf(sidNode);
    if (!ias || ias.length !== 2 || !isUniversal(ias[0], TAG.SEQUENCE) || !isUniversal(ias[1], TAG.INTEGER)) {
      return failure('EBADMSG', `PKCS#7: SignerInfo ${index} sid is neither issuerAndSerialNumber nor [0] subjectKeyIdentifier`);
    }
    sid = { kind: 'issuerSerial', issuerHex: toHex(contentOf(ias[0])), serialHex: toHex(contentOf(ias[1])) };
  }

  // pkcs7_sig_note_digest_algo()
  const dAlg = algorithmOf(k[i++]);
  if (!dAlg) return failure('EBADMSG', `PKCS#7: SignerInfo ${index} digestAlgorithm malformed`);
  const hash = DIGEST_BY_OID.get(dAlg.oid);
  if (!hash) return failure('ENOPKG', `PKCS#7: unsupported digest algo ${dAlg.oid}`);

  // authenticatedAttributes [0] IMPLICIT SET OF → pkcs7_sig_note_authenticated_attr() per value,
  // then pkcs7_sig_note_set_of_authattrs().
  let signedAttrs: SignedAttributes | null = null;
  if (isTag(k[i], CLASS_CONTEXT, 0) && k[i].idBlock.isConstructed) {
    const r = parseSignedAttributes(k[i++], dataType);
    if (!r.ok) return r;
    signedAttrs = r.attrs;
  } else if (isTag(k[i], CLASS_CONTEXT, 2)) {
    return failure('EBADMSG', 'PKCS#7: [2] EXPLICIT authenticatedAttributes not supported by bpfsim');
  }

  // pkcs7_sig_note_pkey_algo()
  const sAlg = algorithmOf(k[i++]);
  if (!sAlg) return failure('EBADMSG', `PKCS#7: SignerInfo ${index} signatureAlgorithm malformed`);
  let pkeyAlgo: 'rsa' | 'ecdsa';
  if (sAlg.oid === OID.rsaEncryption) pkeyAlgo = 'rsa';
  else if (ECDSA_SIG_HASH.has(sAlg.oid)) pkeyAlgo = 'ecdsa';
  else return failure('ENOPKG', `PKCS#7: unsupported pkey algo ${sAlg.oid}`);

  const sigNode = k[i++];
  const signature = sigNode && isUniversal(sigNode, TAG.OCTET_STRING) ? primitiveBytes(sigNode) : null;
  if (!signature) return failure('EBADMSG', `PKCS#7: SignerInfo ${index} signature is not a primitive OCTET STRING`);

  // unauthenticatedAttributes [1] IMPLICIT: ignored (Linux also skips a [3] EXPLICIT form).
  if (i < k.length && isTag(k[i], CLASS_CONTEXT, 1)) i++;
  if (i !== k.length) return failure('EBADMSG', `PKCS#7: unexpected elements in SignerInfo ${index}`);

  // pkcs7_note_signed_info()
  if (dataType === OID.msIndirectData && !signedAttrs) return failure('EBADMSG', 'PKCS#7: Authenticode requires AuthAttrs');
  const authIdHex = v === 3
    ? (sid.kind === 'skid' ? sid.skidHex : '')
    : (sid.kind === 'issuerSerial' ? sid.serialHex + sid.issuerHex : '');

  const strict = (): Failure | null => {
    if (dAlg.params === 'other' || sAlg.params === 'other') {
      return failure('EBADMSG', `PKCS#7: SignerInfo ${index} algorithm parameters must be absent or NULL`);
    }
    const ecHash = ECDSA_SIG_HASH.get(sAlg.oid);
    if (ecHash && ecHash !== hash) {
      return failure('EBADMSG', `PKCS#7: SignerInfo ${index} signs with ${sAlg.oid} but digests with ${hash}`);
    }
    return null;
  };

  return {
    ok: true,
    sinfo: { index, version: v, sid, authIdHex, digest: hash, pkeyAlgo, signatureAlgorithm: sAlg.oid, signedAttrs, signature },
    strict,
  };
}

function parseSignedAttributes(node: Node, dataType: string): { ok: true; attrs: SignedAttributes } | Failure {
  const seen = new Set<string>();
  let contentType: string | null = null;
  let messageDigest: Uint8Array | null = null;
  let signingTime: number | null = null;
  for (const attr of childrenOf(node) ?? []) {
    const pair = sequenceOf(attr);
    const type = pair && pair.length === 2 ? oidOf(pair[0]) : null;
    const values = pair && pair.length === 2 && isUniversal(pair[1], TAG.SET) ? childrenOf(pair[1]) : null;
    if (!type || !values) return failure('EBADMSG', 'PKCS#7: malformed authenticated attribute');
    for (const value of values) {
      const once = (): Failure | null => {
        if (seen.has(type)) return failure('EKEYREJECTED', 'PKCS#7: repeated/multivalue AuthAttrs not permitted');
        seen.add(type);
        return null;
      };
      switch (type) {
        case OID.contentType: {
          const f = once();
          if (f) return f;
          const ct = value.idBlock.isConstructed ? null : oidFromContent(contentOf(value));
          if (ct !== dataType) return failure('EBADMSG', `PKCS#7: mismatch between global data type (${dataType}) and sinfo content type (${ct ?? '?'})`);
          contentType = ct;
          break;
        }
        case OID.signingTime: {
          const f = once();
          if (f) return f;
          const t = decodeTime(value);
          if (t === null) return failure('EBADMSG', 'PKCS#7: invalid signingTime');
          signingTime = t;
          break;
        }
        case OID.messageDigest: {
          const f = once();
          if (f) return f;
          if (!isUniversal(value, TAG.OCTET_STRING) || value.idBlock.isConstructed) return failure('EBADMSG', 'PKCS#7: messageDigest is not an OCTET STRING');
          messageDigest = primitiveBytes(value);
          break;
        }
        case OID.smimeCapabilites: {
          const f = once();
          if (f) return f;
          if (dataType !== OID.msIndirectData) return failure('EKEYREJECTED', 'PKCS#7: S/MIME Caps only allowed with Authenticode');
          break;
        }
        case OID.msSpOpusInfo:
        case OID.msStatementType: {
          const f = once();
          if (f) return f;
          if (dataType !== OID.msIndirectData) return failure('EKEYREJECTED', 'PKCS#7: Authenticode AuthAttrs only allowed with Authenticode');
          break;
        }
        default:
          break;
      }
    }
  }
  if (contentType === null || messageDigest === null) return failure('EBADMSG', 'PKCS#7: missing required AuthAttr');
  const raw = rawOf(node);
  if (node.lenBlock.isIndefiniteForm) return failure('EBADMSG', 'PKCS#7: signed attributes must be DER (definite length)');
  // "We need to switch the 'CONT 0' to a 'SET OF' when we digest"
  const der = raw.slice();
  der[0] = 0x31;
  return { ok: true, attrs: { der, contentType, messageDigest, signingTime } };
}

function decodeTime(node: Node): number | null {
  if (node.idBlock.isConstructed) return null;
  const s = Buffer.from(contentOf(node)).toString('latin1');
  let m: RegExpExecArray | null;
  if (isUniversal(node, TAG.UTC_TIME) && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    return Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  if (isUniversal(node, TAG.GENERALIZED_TIME) && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  return null;
}

// --- pkcs7_verify() ----------------------------------------------------------------------------

/**
 * The `enum key_being_used_for` value passed to pkcs7_verify().
 * - 'bpf' (VERIFYING_BPF_SIGNATURE): content type must be id-data and there must be no signed
 *   attributes (Linux groups it with module signatures: kernel-patches/bpf pkcs7_verify.c);
 * - 'unspecified' (VERIFYING_UNSPECIFIED_SIGNATURE): content type must be id-data, signed
 *   attributes allowed (then the messageDigest must match and the signature covers them).
 */
export type Pkcs7Usage = 'bpf' | 'unspecified';

/** Per-signer state pkcs7_verify() leaves for the trust check. */
export interface VerifiedSignerInfo {
  readonly sinfo: Pkcs7SignerInfo;
  /** The bytes the signature is over: the content, or the signed attributes as a SET. */
  readonly signedBytes: Uint8Array;
  /** The signer's certificate from the message (matched by issuer+serial id), if any. */
  readonly signer: X509Cert | null;
}

export type VerifyOneResult = { readonly ok: true; readonly signers: readonly VerifiedSignerInfo[] } | Failure;

/**
 * pkcs7_supply_detached_data() + pkcs7_verify(): the message must not carry content (EBADMSG),
 * usage rules (EKEYREJECTED), messageDigest checks (EBADMSG on a size mismatch, EKEYREJECTED on a
 * value mismatch), and a signer certificate carried in the message must verify the signature
 * (EKEYREJECTED) within its validity when a signingTime is present (EKEYREJECTED).
 */
export function pkcs7Verify(msg: Pkcs7Message, content: Uint8Array, usage: Pkcs7Usage): VerifyOneResult {
  if (msg.content !== null) return failure('EBADMSG', 'PKCS#7: signature with non-detached data');
  if (msg.dataType !== OID.data) {
    return failure('EKEYREJECTED', `PKCS#7: invalid ${usage === 'bpf' ? 'bpf' : 'unspecified'} sig (not pkcs7-data)`);
  }
  if (usage === 'bpf' && msg.haveAuthattrs) return failure('EKEYREJECTED', 'PKCS#7: invalid bpf sig (has authattrs)');

  const signers: VerifiedSignerInfo[] = [];
  for (const sinfo of msg.signerInfos) {
    // pkcs7_digest()
    let signedBytes = content;
    if (sinfo.signedAttrs) {
      const md = digest(sinfo.digest, content);
      const attrs = sinfo.signedAttrs;
      if (attrs.messageDigest.length !== DIGEST_SIZE[sinfo.digest]) {
        return failure('EBADMSG', `PKCS#7: sig ${sinfo.index}: invalid digest size (${attrs.messageDigest.length})`);
      }
      if (!equalBytes(md, attrs.messageDigest)) return failure('EKEYREJECTED', `PKCS#7: sig ${sinfo.index}: message digest doesn't match`);
      signedBytes = attrs.der;
    }
    // pkcs7_find_key(): only certificates whose issuer+serial id equals auth_ids[0] and whose
    // pkey_algo string equals the signature's ("rsa" == "rsa"; "ecdsa-nist-p256" != "ecdsa").
    const signer = msg.certs.find((c) => c.idHex === sinfo.authIdHex && c.pkeyAlgo === sinfo.pkeyAlgo) ?? null;
    if (signer) {
      const t = sinfo.signedAttrs?.signingTime ?? null;
      if (t !== null && (t < signer.notBefore || t > signer.notAfter)) {
        return failure('EKEYREJECTED', 'PKCS#7: message signed outside of X.509 validity window');
      }
      if (!verifySignature(signer.publicKey, sinfo.digest, signedBytes, sinfo.signature)) {
        return failure('EKEYREJECTED', `PKCS#7: sig ${sinfo.index}: signature does not verify with the certificate in the message`);
      }
    }
    signers.push({ sinfo, signedBytes, signer });
  }
  return { ok: true, signers };
}

// --- pkcs7_validate_trust() --------------------------------------------------------------------

export interface TrustedKey {
  readonly serial: number;
  readonly description: string;
  readonly cert: X509Cert;
}

/**
 * find_asymmetric_key(keyring, id_0, id_1): the first asymmetric key whose ids match, or
 * ENOKEY / EKEYREVOKED / EKEYEXPIRED as the keyring search reports it.
 */
export type KeySearch = (id0: string | null, id1: string | null) => { readonly ok: true; readonly key: TrustedKey } | Failure;

export interface TrustResult {
  readonly ok: true;
  readonly sinfo: Pkcs7SignerInfo;
  readonly key: TrustedKey;
}

/**
 * pkcs7_validate_trust(): for each signer, look for its certificate (if the message carried it) or
 * its identifier in the trusted keyring and verify the signature with the trusted key. A key that
 * does not verify → EKEYREJECTED; nothing found → ENOKEY; a search that skipped a revoked or expired
 * key reports EKEYREVOKED / EKEYEXPIRED.
 *
 * Simplification: a non-self-signed signer certificate in the message is not chained further
 * (Linux would also look for its issuer's key); the signer's own key must be in the keyring.
 */
export function pkcs7ValidateTrust(signers: readonly VerifiedSignerInfo[], search: KeySearch, env: Pkcs7Env): TrustResult | Failure {
  const none = failure('ENOKEY', 'PKCS#7: signature not signed with a trusted key');
  let found: TrustResult | null = null;
  for (const s of signers) {
    const r = validateTrustOne(s, search, env);
    if (r.ok) {
      found ??= r;
      continue;
    }
    if (r.errno === ERRNO.ENOKEY) continue;
    return r;
  }
  return found ?? none;
}

function validateTrustOne(s: VerifiedSignerInfo, search: KeySearch, env: Pkcs7Env): TrustResult | Failure {
  let key: TrustedKey | null = null;
  if (s.signer) {
    const r = search(s.signer.idHex, s.signer.skidHex);
    if (r.ok) key = r.key;
    else if (s.signer.selfSigned) return failure('ENOKEY', 'PKCS#7: unknown self-signed certificate');
  }
  if (!key) {
    // "As a last resort, see if we have a trusted public key that matches the signed info directly."
    const r = search(s.sinfo.authIdHex === '' ? null : s.sinfo.authIdHex, null);
    if (!r.ok) return r;
    key = r.key;
  }
  // verify_signature(key, sig): any failure is reported as EKEYREJECTED.
  const pub = key.cert.publicKey;
  if (pub.algorithm !== s.sinfo.pkeyAlgo) {
    return failure('EKEYREJECTED', `PKCS#7: key ${key.serial} is ${key.cert.pkeyAlgo}, the signature is ${s.sinfo.pkeyAlgo}`);
  }
  if (pub.algorithm === 'ecdsa' && !env.ecdsa) {
    return failure('EKEYREJECTED', `PKCS#7: no ECDSA crypto to verify with key ${key.serial}`);
  }
  if (!verifySignature(pub, s.sinfo.digest, s.signedBytes, s.sinfo.signature)) {
    return failure('EKEYREJECTED', `PKCS#7: signature does not verify with key ${key.serial} (${key.description})`);
  }
  return { ok: true, sinfo: s.sinfo, key };
}
