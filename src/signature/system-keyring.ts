/**
 * verify_pkcs7_signature() / verify_pkcs7_message_sig() (certs/system_keyring.c): parse the
 * message, check it internally (pkcs7_verify), pick the trusted keyring (builtin, secondary,
 * platform or a user keyring) and validate the signer against it (pkcs7_validate_trust).
 */
import { findAsymmetricKey, type KeyringState } from './keyring.js';
import type { HashName } from './oids.js';
import { parsePkcs7, pkcs7ValidateTrust, pkcs7Verify, type Pkcs7Usage } from './pkcs7.js';
import { failure, type Failure } from './result.js';

/**
 * Which keys are trusted: the `trusted_keys` argument of verify_pkcs7_signature().
 * - builtin: NULL → .builtin_trusted_keys;
 * - secondary: VERIFY_USE_SECONDARY_KEYRING → .secondary_trusted_keys, or the builtin keyring when
 *   CONFIG_SECONDARY_TRUSTED_KEYRING is off;
 * - platform: VERIFY_USE_PLATFORM_KEYRING → .platform, ENOKEY when not configured;
 * - keyring: a user key/keyring serial (searched recursively; a non-keyring finds nothing).
 */
export type TrustedKeys =
  | { readonly kind: 'builtin' }
  | { readonly kind: 'secondary' }
  | { readonly kind: 'platform' }
  | { readonly kind: 'keyring'; readonly serial: number };

/** Who signed, as established by a successful verification. */
export interface Signer {
  /** Serial of the trusted key whose certificate verified the signature. */
  readonly keySerial: number;
  /** That key's description ("<linuxName>: <skid hex>", as /proc/keys shows it). */
  readonly keyDescription: string;
  /** The certificate's subject distinguished name. */
  readonly subject: string;
  /** The name Linux derives from CN/O/email. */
  readonly linuxName: string;
  /** The certificate's SubjectKeyIdentifier, hex (null if none). */
  readonly skid: string | null;
  /**
   * The key id the SignerInfo named (auth_ids[0]), hex: the SKID for version-3 signers, serial ‖
   * issuer for version-1 (issuer+serial) signers.
   */
  readonly keyId: string;
  readonly identifiedBy: 'skid' | 'issuerSerial';
  readonly digest: HashName;
  readonly algorithm: 'rsa' | 'ecdsa';
  /** Whether the signature covered signed attributes rather than the content itself. */
  readonly signedAttributes: boolean;
}

export type SignatureVerdict = { readonly ok: true; readonly signer: Signer } | Failure;

export interface Pkcs7VerifyRequest {
  /** The detached content (for BPF: the instruction bytes as submitted). */
  readonly content: Uint8Array;
  /** The DER PKCS#7 message. */
  readonly signature: Uint8Array;
  readonly trusted: TrustedKeys;
  /** Default 'unspecified' (VERIFYING_UNSPECIFIED_SIGNATURE); BPF_PROG_LOAD uses 'bpf'. */
  readonly usage?: Pkcs7Usage;
  readonly config: { readonly ecdsa: boolean };
  readonly keyrings: KeyringState;
}

/**
 * verify_pkcs7_signature(). Never throws; the errno is the one the first failing Linux step
 * returns (see parsePkcs7, pkcs7Verify, pkcs7ValidateTrust for the catalogue).
 */
export function verifyPkcs7Signature(req: Pkcs7VerifyRequest): SignatureVerdict {
  try {
    return verify(req);
  } catch (e) {
    // Defensive: every path above reports failures as values; this is for the unforeseen.
    return failure('EBADMSG', `PKCS#7: unexpected failure (${e instanceof Error ? e.message : String(e)})`);
  }
}

function verify(req: Pkcs7VerifyRequest): SignatureVerdict {
  const env = { ecdsa: req.config.ecdsa };
  const parsed = parsePkcs7(req.signature, env);
  if (!parsed.ok) return parsed;
  const checked = pkcs7Verify(parsed.msg, req.content, req.usage ?? 'unspecified');
  if (!checked.ok) return checked;
  // is_key_on_revocation_list(): bpfsim models no blacklist keyring, so nothing is revoked here.
  const ring = trustedKeyring(req.keyrings, req.trusted);
  if (!ring.ok) return ring;
  const trust = pkcs7ValidateTrust(checked.signers, (id0, id1) => findAsymmetricKey(req.keyrings, ring.serial, id0, id1), env);
  if (!trust.ok) return trust;
  const { sinfo, key } = trust;
  return {
    ok: true,
    signer: {
      keySerial: key.serial,
      keyDescription: key.description,
      subject: key.cert.subject,
      linuxName: key.cert.linuxName,
      skid: key.cert.skidHex,
      keyId: sinfo.authIdHex,
      identifiedBy: sinfo.sid.kind,
      digest: sinfo.digest,
      algorithm: sinfo.pkeyAlgo,
      signedAttributes: sinfo.signedAttrs !== null,
    },
  };
}

function trustedKeyring(state: KeyringState, trusted: TrustedKeys): { ok: true; serial: number } | Failure {
  switch (trusted.kind) {
    case 'builtin':
      return { ok: true, serial: state.builtin };
    case 'secondary':
      return { ok: true, serial: state.secondary ?? state.builtin };
    case 'platform':
      return state.platform === null
        ? failure('ENOKEY', 'PKCS#7 platform keyring is not available')
        : { ok: true, serial: state.platform };
    case 'keyring':
      return { ok: true, serial: trusted.serial };
  }
}
