/**
 * # src/signature — PKCS#7 signatures, X.509 certificates and keyrings
 *
 * The signature layer of bpfsim: what Linux 6.18 does between `attr.signature` arriving in
 * BPF_PROG_LOAD and the verifier starting (signing.md §2.2 step 7c, §6.1), plus the build-side
 * signer that bpftool is. A leaf: it depends on src/errno.ts and src/util/hex.ts only.
 *
 * ## The model
 * - {@link bpfProgVerifySignature} is bpf_prog_verify_signature(): NULL pointer → unchecked;
 *   (6.18.y/2026) size > 8192 → EINVAL; keyring id resolution → EINVAL; copy fault → ENOMEM
 *   (EFAULT on 2026); no CONFIG_SYSTEM_DATA_VERIFICATION → EOPNOTSUPP; then
 *   verify_pkcs7_signature() with VERIFYING_BPF_SIGNATURE.
 * - {@link verifyPkcs7Signature} is certs/system_keyring.c: {@link parsePkcs7} (pkcs7_parser.c, the
 *   decoder's element order and each action's errno), {@link pkcs7Verify} (pkcs7_verify.c: detached
 *   data, usage rules, messageDigest, signers found among the message's certificates) and
 *   {@link pkcs7ValidateTrust} (pkcs7_trust.c: the signer's key in the trusted keyring, recursive
 *   search, EKEYREJECTED when that key does not verify the signature).
 * - Keyrings ({@link KeyringState}) are plain immutable data with deterministic serials (the
 *   {@link Keyrings} object holds the current state and the kernel configuration): the system
 *   keyrings of keyring_id 0/1/2, the caller's thread/process/session/user/user-session keyrings
 *   (KEY_SPEC_*), user keyrings, nested keyrings, certificates added like
 *   `keyctl padd asymmetric "" <ring>`, revocation and expiry on a model clock.
 * - X.509 ({@link parseCertificate}) yields Linux's view: raw serial, SKID, the issuer+serial key id,
 *   the /proc/keys description, RSA or EC P-256/P-384 keys, self-signature checked at parse time.
 * - {@link signLikeBpftool} reproduces `bpftool gen skeleton -S` byte for byte for RSA keys.
 * - {@link hashChainFinal}, {@link arrayMapHash} and {@link signedContent2026} compute what the
 *   hash-chain proposal and the 2026 in-kernel scheme sign.
 * - Crypto: node:crypto for RSA PKCS#1 v1.5 and ECDSA, @noble/hashes for digests, asn1js/pkijs for
 *   ASN.1. Verification never throws and does bounded work (inputs above 65535 bytes are refused
 *   with EMSGSIZE, like lib/asn1_decoder.c).
 *
 * ## Where bpfsim differs from Linux
 * - Usage: BPF_PROG_LOAD verifies with VERIFYING_BPF_SIGNATURE, which bpfsim treats like module
 *   signatures (content type id-data, no signed attributes: EKEYREJECTED), as the kernel-patches/bpf
 *   pkcs7_verify.c read for this model does; the merged 6.18 placement of that case label could not
 *   be confirmed. `config.pkcs7Usage = 'unspecified'` models VERIFYING_UNSPECIFIED_SIGNATURE
 *   (signed attributes accepted and checked).
 * - Stricter than Linux on fields no signature covers (EBADMSG where Linux accepts): algorithm
 *   parameters other than absent/NULL, a SignedData digestAlgorithms set that does not list the
 *   signer's digest, an ecdsa-with-X algorithm disagreeing with the digest, the SEQUENCE / [2] /
 *   [3] alternatives Linux's grammar allows besides CMS's SET OF / [0] / [1], trailing bytes after
 *   the message, indefinite-length signed attributes. So every single-byte corruption of a
 *   signature is rejected.
 * - The whole BER structure is validated before the fields are interpreted; Linux's streaming
 *   decoder may report a field error (EINVAL) for a message that is also truncated further on.
 * - Certificate chains inside a message are not followed: the signer's own key must be in the
 *   keyring (or its certificate, for issuer+serial signers).
 * - No blacklist/revocation keyring, no key permissions (the BPF lookup defers them anyway), no
 *   garbage collection of expired keys, links searched in link order (Linux: assoc_array order),
 *   KEY_SPEC_SESSION_KEYRING without a session keyring resolves to the user-session keyring
 *   without installing it. Digests: SHA-1/SHA-2/SHA-3 (sm3 and streebog are ENOPKG, as on a kernel
 *   built without them). EC curves: P-256 and P-384.
 * - ECDSA off (`config.ecdsa = false`): adding an EC self-signed certificate fails with ENOENT (as
 *   recorded on 6.18.44); an ECDSA signature then finds no key (ENOKEY), or ENOENT when the
 *   message itself carries the EC certificate. Linux has no path that answers ENOPKG here.
 */
export * from './result.js';
export * from './oids.js';
export { ASN1_MAX_DATALEN, decodeBer } from './ber.js';
export { DIGEST_SIZE, digest, linuxPkeyAlgo, sha256Of, verifySignature, type PublicKeyInfo } from './crypto.js';
export * from './x509.js';
export * from './pkcs7.js';
export * from './keyring.js';
export * from './keyring-store.js';
export * from './system-keyring.js';
export * from './prog-verify.js';
export * from './content.js';
export * from './sign.js';
