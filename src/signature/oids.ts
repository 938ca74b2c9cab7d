/**
 * Object identifiers the signature layer recognises (dotted form, as asn1js and pkijs spell them).
 * Names follow Linux's include/linux/oid_registry.h where Linux has one.
 */

export const OID = {
  // PKCS#7 / CMS content types
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  /** Authenticode SpcIndirectDataContent: the only other content type Linux's parser accepts. */
  msIndirectData: '1.3.6.1.4.1.311.2.1.4',
  // Signed (authenticated) attributes
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  smimeCapabilites: '1.2.840.113549.1.9.15',
  msSpOpusInfo: '1.3.6.1.4.1.311.2.1.12',
  msStatementType: '1.3.6.1.4.1.311.2.1.11',
  // Digests
  md5: '1.2.840.113549.2.5',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha3_256: '2.16.840.1.101.3.4.2.8',
  sha3_384: '2.16.840.1.101.3.4.2.9',
  sha3_512: '2.16.840.1.101.3.4.2.10',
  // Public-key and signature algorithms
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  sha224WithRSAEncryption: '1.2.840.113549.1.1.14',
  idEcPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha224: '1.2.840.10045.4.3.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  ed25519: '1.3.101.112',
  // X.509 names and extensions
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationUnitName: '2.5.4.11',
  emailAddress: '1.2.840.113549.1.9.1',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
} as const;

/** The digests bpfsim's modelled crypto layer implements (node:crypto / @noble/hashes names). */
export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'sha3-256' | 'sha3-384' | 'sha3-512';

/**
 * Digest OID → hash, as pkcs7_sig_note_digest_algo() maps them. Linux also knows sm3 and
 * streebog; the modelled kernel is built without them, which Linux reports the same way (ENOPKG).
 * md4/md5 were dropped from the kernel's list long ago (ENOPKG).
 */
export const DIGEST_BY_OID: ReadonlyMap<string, HashName> = new Map<string, HashName>([
  [OID.sha1, 'sha1'],
  [OID.sha224, 'sha224'],
  [OID.sha256, 'sha256'],
  [OID.sha384, 'sha384'],
  [OID.sha512, 'sha512'],
  [OID.sha3_256, 'sha3-256'],
  [OID.sha3_384, 'sha3-384'],
  [OID.sha3_512, 'sha3-512'],
]);

export const OID_BY_DIGEST: Readonly<Record<HashName, string>> = {
  sha1: OID.sha1, sha224: OID.sha224, sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512,
  'sha3-256': OID.sha3_256, 'sha3-384': OID.sha3_384, 'sha3-512': OID.sha3_512,
};

/** The hash an `ecdsa-with-*` signature algorithm names (used for bpfsim's consistency check). */
export const ECDSA_SIG_HASH: ReadonlyMap<string, HashName> = new Map<string, HashName>([
  [OID.ecdsaWithSha1, 'sha1'],
  [OID.ecdsaWithSha224, 'sha224'],
  [OID.ecdsaWithSha256, 'sha256'],
  [OID.ecdsaWithSha384, 'sha384'],
  [OID.ecdsaWithSha512, 'sha512'],
]);

/** X.509 certificate signature algorithms x509_note_sig_algo() accepts (others: ENOPKG). */
export const CERT_SIG_ALGS: ReadonlyMap<string, { readonly pkey: 'rsa' | 'ecdsa'; readonly hash: HashName }> = new Map([
  [OID.sha1WithRSAEncryption, { pkey: 'rsa', hash: 'sha1' }],
  [OID.sha224WithRSAEncryption, { pkey: 'rsa', hash: 'sha224' }],
  [OID.sha256WithRSAEncryption, { pkey: 'rsa', hash: 'sha256' }],
  [OID.sha384WithRSAEncryption, { pkey: 'rsa', hash: 'sha384' }],
  [OID.sha512WithRSAEncryption, { pkey: 'rsa', hash: 'sha512' }],
  [OID.ecdsaWithSha1, { pkey: 'ecdsa', hash: 'sha1' }],
  [OID.ecdsaWithSha224, { pkey: 'ecdsa', hash: 'sha224' }],
  [OID.ecdsaWithSha256, { pkey: 'ecdsa', hash: 'sha256' }],
  [OID.ecdsaWithSha384, { pkey: 'ecdsa', hash: 'sha384' }],
  [OID.ecdsaWithSha512, { pkey: 'ecdsa', hash: 'sha512' }],
] as const);
