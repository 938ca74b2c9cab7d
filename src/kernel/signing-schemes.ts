/**
 * The signature step of BPF_PROG_LOAD under each signing scheme (signing.md §2.2 step 7c, §3,
 * Appendix B):
 *
 * - `v6.18`: PKCS#7 over the raw instruction bytes, before security_bpf_prog_load; the metadata
 *   map is checked later by the loader itself (map->sha vs the embedded hash).
 * - `hash-chain`: with signature_maps_size > 0, PKCS#7 over H(H(insns) ‖ h[0]) where h chains the
 *   array-map hashes of fd_array[signature_maps[k]] (computed now, overwriting map->sha) — still
 *   before the LSM hook, so the hook sees loader *and* metadata verified.
 * - `v2026`: the check moves into bpf_check (after process_fd_array): the signature covers
 *   insns ‖ contents of the frozen, exclusive ARRAY maps of fd_array[0..fd_array_cnt). At the LSM
 *   hook nothing is verified yet ("pending").
 */
import { ERRNO, errnoName } from '../errno.js';
import type { AttrOf } from './attr.js';
import { PROG_LOAD_ATTR } from './attr.js';
import type { SysCtx } from './cmd/index.js';
import type { Kernel } from './kernel.js';
import type { MapObject, SignatureStatus } from './objects.js';
import { BPF_MAP_TYPE } from './uapi.js';
import { bpfProgVerifySignature, hashChainFinal } from '../signature/index.js';

/** What the 2026 scheme must check inside the verifier, after process_fd_array. */
export interface PendingVerifierSignature {
  readonly signature: Uint8Array;
  readonly keyringId: number;
}

export interface SignatureStep {
  /** Non-zero: the load fails with this errno now. */
  readonly errno: number;
  readonly status: SignatureStatus;
  readonly verifierCheck: PendingVerifierSignature | null;
}

type ProgLoadAttr = AttrOf<typeof PROG_LOAD_ATTR>;

function readSignature(k: Kernel, a: ProgLoadAttr, ctx: SysCtx): Uint8Array | null {
  return k.copyFromBpfptr(a.signature, a.signature_size, ctx.isKernel);
}

/** Run bpf_prog_verify_signature over `content`, recording the outcome in the trace. */
function check(k: Kernel, a: ProgLoadAttr, ctx: SysCtx, content: Uint8Array, coversMaps: boolean, detail: string): SignatureStep {
  const sig = readSignature(k, a, ctx);
  // attr.signature != 0 here: an unreadable buffer is still a signature (ENOMEM after the keyring
  // lookup), never "unsigned".
  const r = bpfProgVerifySignature({
    signature: sig ?? new Uint8Array(0), signatureSize: a.signature_size, readable: sig !== null, keyringId: a.keyring_id,
    content, kernelVersion: k.config.version, keyrings: k.keyrings,
  });
  const scheme = k.config.scheme;
  if (!r.checked) return { errno: 0, status: { kind: 'unsigned' }, verifierCheck: null };
  if (!r.ok) {
    k.emit({ type: 'signature', scheme, result: 'rejected', keyringId: a.keyring_id, errno: errnoName(r.errno), coversMaps, detail });
    return { errno: r.errno, status: { kind: 'unsigned' }, verifierCheck: null };
  }
  k.emit({ type: 'signature', scheme, result: 'verified', keyringId: a.keyring_id, signer: r.signer.keyDescription, coversMaps, detail });
  return { errno: 0, status: { kind: 'verified', keyringId: a.keyring_id, signer: r.signer.keyDescription, coversMaps }, verifierCheck: null };
}

/** The map behind fd_array[index] (EFAULT when unreadable, EBADF/EINVAL for a bad fd). */
export function fdArrayMap(k: Kernel, fdArray: bigint, index: number, isKernel: boolean): MapObject | number {
  const b = k.copyFromBpfptr(fdArray + BigInt(index * 4), 4, isKernel);
  if (!b) return -ERRNO.EFAULT;
  const fd = new DataView(b.buffer, b.byteOffset).getInt32(0, true);
  const e = k.fdEntry(fd);
  if (!e) return -ERRNO.EBADF;
  if (e.type !== 'bpf' || e.obj.kind !== 'map') return -ERRNO.EINVAL;
  return e.obj;
}

export function verifySignatureStep(k: Kernel, a: ProgLoadAttr, insns: Uint8Array, ctx: SysCtx): SignatureStep {
  if (a.signature === 0n) {
    if (k.config.scheme === 'hash-chain' && a.signature_maps_size) {
      // Without a signature the chain is never computed (the patch keys everything on attr->signature).
    }
    return { errno: 0, status: { kind: 'unsigned' }, verifierCheck: null };
  }
  switch (k.config.scheme) {
    case 'v6.18':
      return check(k, a, ctx, insns, false, 'the instructions');
    case 'hash-chain': {
      if (!a.signature_maps_size) return check(k, a, ctx, insns, false, 'the instructions (no signature_maps)');
      const idxBytes = k.copyFromBpfptr(a.signature_maps, a.signature_maps_size * 4, ctx.isKernel);
      if (!idxBytes) return { errno: ERRNO.EFAULT, status: { kind: 'unsigned' }, verifierCheck: null };
      const dv = new DataView(idxBytes.buffer, idxBytes.byteOffset);
      const hashes: Uint8Array[] = [];
      for (let i = 0; i < a.signature_maps_size; i++) {
        const m = fdArrayMap(k, a.fd_array, dv.getInt32(i * 4, true), ctx.isKernel);
        if (typeof m === 'number') return { errno: -m, status: { kind: 'unsigned' }, verifierCheck: null };
        if (m.map.mapType !== BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY) return { errno: ERRNO.EINVAL, status: { kind: 'unsigned' }, verifierCheck: null };
        hashes.push(m.map.computeHash());
      }
      return check(k, a, ctx, hashChainFinal(insns, hashes), true, `H(H(insns) ‖ chain of ${hashes.length} map hash(es))`);
    }
    case 'v2026': {
      const sig = readSignature(k, a, ctx);
      if (!sig) return { errno: ERRNO.ENOMEM, status: { kind: 'unsigned' }, verifierCheck: null };
      return { errno: 0, status: { kind: 'pending', keyringId: a.keyring_id }, verifierCheck: { signature: sig, keyringId: a.keyring_id } };
    }
  }
}
