/**
 * BTF names: the string section check (btf_parse_str_sec) and the name rules of kernel/bpf/btf.c
 * (btf_name_offset_valid, btf_name_valid_identifier, btf_name_valid_section). Character classes
 * come from the kernel's own lib/ctype.c table, which classifies Latin-1 bytes 0xC0-0xFF as
 * letters and 0xA0-0xFF as printable: the kernel accepts such bytes where glibc would not.
 */
import { ERRNO } from '../../errno.js';
import { BTF_MAX_NAME_OFFSET, KSYM_NAME_LEN } from './constants.js';
import type { RawBtf } from './raw.js';

const U = 0x01, L = 0x02, D = 0x04, C = 0x08, P = 0x10, S = 0x20, X = 0x40, SP = 0x80;

/** lib/ctype.c _ctype[]. */
const CTYPE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 32; c++) t[c] = C;
  for (const c of [9, 10, 11, 12, 13]) t[c] = C | S;
  t[32] = S | SP;
  for (let c = 33; c < 48; c++) t[c] = P;
  for (let c = 48; c < 58; c++) t[c] = D;
  for (let c = 58; c < 65; c++) t[c] = P;
  for (let c = 65; c < 91; c++) t[c] = U | (c <= 70 ? X : 0);
  for (let c = 91; c < 97; c++) t[c] = P;
  for (let c = 97; c < 123; c++) t[c] = L | (c <= 102 ? X : 0);
  for (let c = 123; c < 127; c++) t[c] = P;
  t[127] = C;
  // 128-159: 0 (no class at all).
  t[160] = S | SP;
  for (let c = 161; c < 192; c++) t[c] = P;
  for (let c = 192; c < 223; c++) t[c] = U;
  t[215] = P;
  t[223] = L;
  for (let c = 224; c < 256; c++) t[c] = L;
  t[247] = P;
  return t;
})();

export const isalpha = (c: number): boolean => (CTYPE[c & 0xff] & (U | L)) !== 0;
export const isalnum = (c: number): boolean => (CTYPE[c & 0xff] & (U | L | D)) !== 0;
export const isprint = (c: number): boolean => (CTYPE[c & 0xff] & (P | U | L | D | SP)) !== 0;

/** __btf_name_char_ok(). */
function nameCharOk(c: number, first: boolean): boolean {
  return (first ? isalpha(c) : isalnum(c)) || c === 0x5f /* _ */ || c === 0x2e /* . */;
}

/** btf_name_offset_valid() for a base BTF (no split BTF here). */
export function nameOffsetValid(r: RawBtf, off: number): boolean {
  return off <= BTF_MAX_NAME_OFFSET && off < r.strLen;
}

/**
 * btf_name_valid_identifier(): [A-Za-z_.][A-Za-z0-9_.]* (kernel ctype), at most KSYM_NAME_LEN - 1
 * bytes. `off` must already be a valid offset.
 */
export function nameValidIdentifier(r: RawBtf, off: number): boolean {
  if (!nameCharOk(r.strByte(off, 0), true)) return false;
  let i = 1;
  for (; i < KSYM_NAME_LEN; i++) {
    const c = r.strByte(off, i);
    if (c === 0) return true;
    if (!nameCharOk(c, false)) return false;
  }
  return r.strByte(off, i) === 0;
}

/** btf_name_valid_section(): non-empty, printable (kernel ctype), at most KSYM_NAME_LEN - 1 bytes. */
export function nameValidSection(r: RawBtf, off: number): boolean {
  if (r.strByte(off, 0) === 0) return false;
  let i = 0;
  for (; i < KSYM_NAME_LEN; i++) {
    const c = r.strByte(off, i);
    if (c === 0) return true;
    if (!isprint(c)) return false;
  }
  return r.strByte(off, i) === 0;
}

/** __btf_name_by_offset(): what the log prints for a name offset. */
export function nameForLog(r: RawBtf, off: number): string {
  if (off === 0) return '(anon)';
  return r.str(off) ?? '(invalid-name-offset)';
}

/**
 * btf_parse_str_sec(): the string section must end the data, be non-empty, start and end with a
 * NUL, and not be longer than BTF_MAX_NAME_OFFSET + 1 bytes. Returns 0 or a negative errno.
 */
export function parseStrSec(
  data: Uint8Array,
  hdr: { hdrLen: number; strOff: number; strLen: number },
  logWrite: (msg: string) => void,
): number {
  const start = hdr.hdrLen + hdr.strOff;
  const end = start + hdr.strLen;
  if (end !== data.length) {
    logWrite('String section is not at the end');
    return -ERRNO.EINVAL;
  }
  if (!hdr.strLen || hdr.strLen - 1 > BTF_MAX_NAME_OFFSET || data[end - 1] !== 0 || data[start] !== 0) {
    logWrite('Invalid string section');
    return -ERRNO.EINVAL;
  }
  return 0;
}
