/**
 * bpf_prog_verify_signature() (kernel/bpf/syscall.c) and the kfunc it calls,
 * bpf_verify_pkcs7_signature() (kernel/bpf/helpers.c): the signature step of BPF_PROG_LOAD
 * (signing.md §2.2 step 7c, §6.1), in Linux's order.
 */
import type { KeyringState } from './keyring.js';
import { lookupUserKey } from './keyring.js';
import { Keyrings } from './keyring-store.js';
import type { Pkcs7Usage } from './pkcs7.js';
import { failure, type Failure } from './result.js';
import { verifyPkcs7Signature, type Signer, type TrustedKeys } from './system-keyring.js';

/** The kernel variants whose signature step differs (same spelling as src/kernel's KernelVersion). */
export type SignatureKernelVersion = '6.18.0' | '6.18.y' | '2026';

/** The slice of the kernel configuration the signature step depends on. */
export interface SignatureConfig {
  /**
   * CONFIG_SYSTEM_DATA_VERIFICATION. false: bpf_verify_pkcs7_signature() is a stub returning
   * EOPNOTSUPP, reached after the size cap, the keyring lookup and the copy (the fixtures' VM).
   */
  readonly systemDataVerification: boolean;
  /** ECDSA crypto built in (the fixtures' VM: no). */
  readonly ecdsa: boolean;
  /**
   * Usage passed to verify_pkcs7_signature(). Default 'bpf' (VERIFYING_BPF_SIGNATURE: id-data,
   * no signed attributes). 'unspecified' models the earlier VERIFYING_UNSPECIFIED_SIGNATURE.
   */
  readonly pkcs7Usage?: Pkcs7Usage;
}

/** KMALLOC_MAX_CACHE_SIZE on x86-64: the 6.18.y signature size cap (upstream ea1535e28bb3). */
export const BPF_SIGNATURE_MAX_SIZE = 8192;

interface BpfProgVerifySignatureBase {
  /** The bytes at attr.signature, or null when attr.signature is 0 (an unsigned load). */
  readonly signature: Uint8Array | null;
  /** attr.signature_size (u32). */
  readonly signatureSize: number;
  /** Whether the user buffer can be copied (false: copy fault). */
  readonly readable: boolean;
  /** attr.keyring_id (s32). */
  readonly keyringId: number;
  /** What the signature covers: the instruction bytes as submitted (or the hash-chain digest). */
  readonly content: Uint8Array;
  readonly kernelVersion: SignatureKernelVersion;
}

/**
 * The keyrings come either as a {@link Keyrings} object, which carries the kernel configuration
 * (then `config` may be omitted), or as a bare {@link KeyringState} with an explicit `config`.
 */
export type BpfProgVerifySignatureInput = BpfProgVerifySignatureBase & (
  | { readonly config: SignatureConfig; readonly keyrings: KeyringState | Keyrings }
  | { readonly config?: undefined; readonly keyrings: Keyrings }
);

export type BpfSignatureStage = 'size' | 'keyring' | 'copy' | 'verify';

export type BpfProgVerifySignatureResult =
  | { readonly checked: false }
  | { readonly checked: true; readonly ok: true; readonly signer: Signer; readonly keyring: TrustedKeys }
  | {
    readonly checked: true;
    readonly ok: false;
    readonly errno: number;
    readonly errnoName: string;
    readonly reason: string;
    /** Which step failed (for traces): size cap, keyring lookup, copy, PKCS#7 verification. */
    readonly stage: BpfSignatureStage;
  };

function fail(stage: BpfSignatureStage, f: Failure): BpfProgVerifySignatureResult {
  return { checked: true, ok: false, errno: f.errno, errnoName: f.errnoName, reason: f.reason, stage };
}

/**
 * The keyring a BPF_PROG_LOAD keyring_id selects. 0, 1, 2 (system_keyring_id_check() on the id
 * widened to u64) are the builtin, builtin+secondary and platform keyrings; anything else goes
 * through bpf_lookup_user_key() → lookup_user_key(id, 0, KEY_DEFER_PERM_CHECK), whose every
 * failure (no such serial, no thread/process keyring, revoked/expired key, bad special id) the
 * caller sees as EINVAL.
 */
export function resolveBpfKeyring(keyrings: KeyringState, keyringId: number): { ok: true; trusted: TrustedKeys } | Failure {
  const id = keyringId | 0;
  if (id === 0) return { ok: true, trusted: { kind: 'builtin' } };
  if (id === 1) return { ok: true, trusted: { kind: 'secondary' } };
  if (id === 2) return { ok: true, trusted: { kind: 'platform' } };
  const r = lookupUserKey(keyrings, id);
  if (!r.ok) return failure('EINVAL', `keyring_id ${id} does not resolve: ${r.errnoName} (${r.reason})`);
  return { ok: true, trusted: { kind: 'keyring', serial: r.serial } };
}

/**
 * BPF_PROG_LOAD's signature step:
 *  1. attr.signature == 0 → nothing is checked (whatever signature_size and keyring_id say);
 *  2. (6.18.y, 2026) signature_size > 8192 → EINVAL;
 *  3. keyring_id does not resolve → EINVAL (before the signature bytes are read);
 *  4. the signature cannot be copied → ENOMEM (6.18: kvmemdup_bpfptr's error read as ENOMEM,
 *     observed on 6.18.44); 2026 trees return the copy error itself, EFAULT;
 *  5. no CONFIG_SYSTEM_DATA_VERIFICATION → EOPNOTSUPP (even for 0- or 1-byte signatures);
 *  6. verify_pkcs7_signature(content, signature, keyring, VERIFYING_BPF_SIGNATURE).
 * Bounded: the PKCS#7 work is limited by the message size (≤ 65535 bytes, else EMSGSIZE).
 */
export function bpfProgVerifySignature(input: BpfProgVerifySignatureInput): BpfProgVerifySignatureResult {
  if (input.signature === null) return { checked: false };
  const keyrings = input.keyrings instanceof Keyrings ? input.keyrings.state : input.keyrings;
  const config = input.config ?? (input.keyrings as Keyrings).config;
  const size = input.signatureSize >>> 0;
  if (input.kernelVersion !== '6.18.0' && size > BPF_SIGNATURE_MAX_SIZE) {
    return fail('size', failure('EINVAL', `signature_size ${size} > KMALLOC_MAX_CACHE_SIZE (${BPF_SIGNATURE_MAX_SIZE})`));
  }
  const ring = resolveBpfKeyring(keyrings, input.keyringId);
  if (!ring.ok) return fail('keyring', ring);
  if (size > 0 && (!input.readable || input.signature.length < size)) {
    return input.kernelVersion === '2026'
      ? fail('copy', failure('EFAULT', `cannot copy ${size} signature bytes from user memory`))
      : fail('copy', failure('ENOMEM', `cannot copy ${size} signature bytes from user memory (reported as ENOMEM)`));
  }
  if (!config.systemDataVerification) {
    return fail('verify', failure('EOPNOTSUPP', 'bpf_verify_pkcs7_signature: kernel built without CONFIG_SYSTEM_DATA_VERIFICATION'));
  }
  // bpf_verify_pkcs7_signature(): a user keyring's deferred permission check is key_validate();
  // in this synchronous model the lookup above already rejected revoked/expired keys.
  const verdict = verifyPkcs7Signature({
    content: input.content,
    signature: input.signature.subarray(0, size),
    trusted: ring.trusted,
    usage: config.pkcs7Usage ?? 'bpf',
    config: { ecdsa: config.ecdsa },
    keyrings,
  });
  if (!verdict.ok) return fail('verify', verdict);
  return { checked: true, ok: true, signer: verdict.signer, keyring: ring.trusted };
}
