/**
 * What gets signed or hashed besides plain instruction bytes:
 *  - the array-map hash (`map->sha`, BPF_OBJ_GET_INFO_BY_FD, signing.md §4.5 / §2.2 step 6a);
 *  - the hash-chain proposal's signed digest (signing.md §3.2);
 *  - the 2026 in-kernel scheme's signed content (signing.md Appendix B);
 *  - bpftool's excl_prog_hash.
 */
import { sha256Of } from './crypto.js';

/** Thrown for sizes that cannot describe an array map or a hash chain (caller bugs, not kernel input). */
export class SignatureContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureContentError';
  }
}

export const SHA256_DIGEST_SIZE = 32;

/** An ARRAY map's contents: `values` holds the elements either packed (value_size each) or as the
 * kernel stores them (round_up(value_size, 8) each, padding included). */
export interface ArrayMapContents {
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly values: Uint8Array;
}

/** round_up(value_size, 8): the element stride of struct bpf_array. */
export function arrayElemSize(valueSize: number): number {
  return (valueSize + 7) & ~7;
}

/**
 * The value area as struct bpf_array holds it: max_entries elements of round_up(value_size, 8)
 * bytes, padding zero. Accepts packed (value_size × max_entries) or already-strided input.
 */
export function arrayMapValueArea(map: ArrayMapContents): Uint8Array {
  const { valueSize, maxEntries, values } = map;
  if (!Number.isInteger(valueSize) || valueSize <= 0 || !Number.isInteger(maxEntries) || maxEntries <= 0) {
    throw new SignatureContentError(`array map needs value_size > 0 and max_entries > 0 (got ${valueSize}, ${maxEntries})`);
  }
  const elem = arrayElemSize(valueSize);
  if (values.length === elem * maxEntries) return values;
  if (values.length !== valueSize * maxEntries) {
    throw new SignatureContentError(
      `array map contents are ${values.length} bytes; expected ${valueSize * maxEntries} (packed) or ${elem * maxEntries} (strided)`,
    );
  }
  const area = new Uint8Array(elem * maxEntries);
  for (let i = 0; i < maxEntries; i++) area.set(values.subarray(i * valueSize, (i + 1) * valueSize), i * elem);
  return area;
}

/**
 * The kernel's array map hash (array_map_get_hash()): SHA-256 over round_up(value_size, 8) ×
 * max_entries bytes of the value area, padding included.
 */
export function arrayMapHash(map: ArrayMapContents): Uint8Array {
  return sha256Of(arrayMapValueArea(map));
}

/**
 * The hash-chain proposal's signed content (Blaise Boscaccy, 2025; signing.md §3.2), for maps
 * m[0..n-1] listed by signature_maps:
 *   h[n-1] = Hmap(m[n-1]);  h[k] = SHA256(h[k+1] ‖ Hmap(m[k]));  final = SHA256(SHA256(insns) ‖ h[0]).
 * The PKCS#7 signature is then checked over the 32 bytes of `final`. With no maps the proposal
 * signs the instructions themselves, so an empty list is rejected here.
 */
export function hashChainFinal(insns: Uint8Array, mapHashes: readonly Uint8Array[]): Uint8Array {
  if (mapHashes.length === 0) {
    throw new SignatureContentError('a hash chain needs at least one map (signature_maps_size 0 signs the instructions)');
  }
  mapHashes.forEach((h, i) => {
    if (h.length !== SHA256_DIGEST_SIZE) throw new SignatureContentError(`map hash ${i} is ${h.length} bytes, not 32`);
  });
  let h = mapHashes[mapHashes.length - 1];
  const buf = new Uint8Array(2 * SHA256_DIGEST_SIZE);
  for (let k = mapHashes.length - 2; k >= 0; k--) {
    buf.set(h, 0);
    buf.set(mapHashes[k], SHA256_DIGEST_SIZE);
    h = sha256Of(buf);
  }
  buf.set(sha256Of(insns), 0);
  buf.set(h, SHA256_DIGEST_SIZE);
  return sha256Of(buf);
}

/**
 * The 2026 scheme's signed content (libbpf debb5e82 and the matching kernel check inside
 * bpf_check(); signing.md Appendix B): the instruction bytes followed, in fd_array order, by the
 * contents of each frozen, exclusive ARRAY map bound through fd_array. A map's contents are taken
 * as its value area — round_up(value_size, 8) × max_entries bytes, zero padding included, the same
 * bytes the map hash covers. For the light-skeleton loader map (one element; the blob's size is a
 * multiple of 8) that is exactly the data blob. (Whether the kernel includes the padding of other
 * maps could not be confirmed from source; only the loader map occurs in practice.)
 */
export function signedContent2026(insns: Uint8Array, maps: readonly ArrayMapContents[]): Uint8Array {
  const areas = maps.map(arrayMapValueArea);
  const out = new Uint8Array(insns.length + areas.reduce((n, a) => n + a.length, 0));
  out.set(insns, 0);
  let off = insns.length;
  for (const a of areas) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

/** bpftool's excl_prog_hash: SHA-256 of the loader instruction bytes. */
export function exclProgHash(insns: Uint8Array): Uint8Array {
  return sha256Of(insns);
}
