/**
 * btf_parse_hdr() and btf_check_sec_info(): the header checks of BPF_BTF_LOAD, with the header dump
 * btf_verifier_log_hdr() writes to the log first.
 */
import { ERRNO } from '../../errno.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION } from './constants.js';
import type { VerifierLog } from './log.js';
import type { BtfHeader } from './raw.js';

export type HeaderResult = { ok: true; hdr: BtfHeader } | { ok: false; errno: number };

function le32(d: Uint8Array, off: number): number {
  return (d[off] | (d[off + 1] << 8) | (d[off + 2] << 16) | (d[off + 3] << 24)) >>> 0;
}

/** The kernel copies min(hdr_len, 24) header bytes into a zeroed struct btf_header. */
export function readHeader(data: Uint8Array, hdrLen: number): BtfHeader {
  const copy = new Uint8Array(BTF_HEADER_SIZE);
  copy.set(data.subarray(0, Math.min(hdrLen, BTF_HEADER_SIZE, data.length)));
  return {
    magic: copy[0] | (copy[1] << 8),
    version: copy[2],
    flags: copy[3],
    hdrLen: le32(copy, 4),
    typeOff: le32(copy, 8),
    typeLen: le32(copy, 12),
    strOff: le32(copy, 16),
    strLen: le32(copy, 20),
  };
}

/** btf_verifier_log_hdr(). */
function logHeader(log: VerifierLog, hdr: BtfHeader, dataSize: number): void {
  if (!log.needed) return;
  log.write(`magic: 0x${hdr.magic.toString(16)}\n`);
  log.write(`version: ${hdr.version}\n`);
  log.write(`flags: 0x${hdr.flags.toString(16)}\n`);
  log.write(`hdr_len: ${hdr.hdrLen}\n`);
  log.write(`type_off: ${hdr.typeOff}\n`);
  log.write(`type_len: ${hdr.typeLen}\n`);
  log.write(`str_off: ${hdr.strOff}\n`);
  log.write(`str_len: ${hdr.strLen}\n`);
  log.write(`btf_total_size: ${dataSize}\n`);
}

/** btf_sec_info_cmp(): the u32 differences are compared as int, as the kernel does. */
function secCmp(a: { off: number; len: number }, b: { off: number; len: number }): number {
  return ((a.off - b.off) | 0) || ((a.len - b.len) | 0);
}

/** btf_check_sec_info(): the type and string sections must tile the data after the header exactly. */
function checkSecInfo(log: VerifierLog, hdr: BtfHeader, dataSize: number): number {
  let secs = [{ off: hdr.typeOff, len: hdr.typeLen }, { off: hdr.strOff, len: hdr.strLen }];
  // The kernel's heapsort of two elements leaves them reversed exactly when cmp(a, b) >= 0.
  if (secCmp(secs[0], secs[1]) >= 0) secs = [secs[1], secs[0]];
  let total = 0;
  const expectedTotal = dataSize - hdr.hdrLen;
  for (const sec of secs) {
    if (expectedTotal < sec.off) {
      log.write('Invalid section offset');
      return ERRNO.EINVAL;
    }
    if (total < sec.off) {
      log.write('Unsupported section found');
      return ERRNO.EINVAL;
    }
    if (total > sec.off) {
      log.write('Section overlap found');
      return ERRNO.EINVAL;
    }
    if (expectedTotal - total < sec.len) {
      log.write('Total section length too long');
      return ERRNO.EINVAL;
    }
    total = (total + sec.len) >>> 0;
  }
  if (expectedTotal !== total) {
    log.write('Unsupported section found');
    return ERRNO.EINVAL;
  }
  return 0;
}

/** btf_parse_hdr() for a base BTF (BPF_BTF_LOAD without a base BTF). */
export function parseHeader(data: Uint8Array, log: VerifierLog): HeaderResult {
  const dataSize = data.length;
  if (dataSize < 8) {
    log.write('hdr_len not found');
    return { ok: false, errno: ERRNO.EINVAL };
  }
  const hdrLen = le32(data, 4);
  if (dataSize < hdrLen) {
    log.write('btf_header not found');
    return { ok: false, errno: ERRNO.EINVAL };
  }
  // A longer header is accepted only if everything this kernel does not know is zero.
  for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) {
    if (data[i] !== 0) {
      log.write('Unsupported btf_header');
      return { ok: false, errno: ERRNO.E2BIG };
    }
  }
  const hdr = readHeader(data, hdrLen);
  logHeader(log, hdr, dataSize);
  if (hdr.magic !== BTF_MAGIC) {
    log.write('Invalid magic');
    return { ok: false, errno: ERRNO.EINVAL };
  }
  if (hdr.version !== BTF_VERSION) {
    log.write('Unsupported version');
    return { ok: false, errno: ERRNO.ENOTSUPP };
  }
  if (hdr.flags !== 0) {
    log.write('Unsupported flags');
    return { ok: false, errno: ERRNO.ENOTSUPP };
  }
  if (dataSize === hdr.hdrLen) {
    log.write('No data');
    return { ok: false, errno: ERRNO.EINVAL };
  }
  const err = checkSecInfo(log, hdr, dataSize);
  return err ? { ok: false, errno: err } : { ok: true, hdr };
}
