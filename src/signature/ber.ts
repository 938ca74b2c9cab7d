/**
 * BER decoding for the signature layer: a bounded structural pre-check shaped like Linux's
 * lib/asn1_decoder.c limits, then asn1js for the actual tree, plus small typed accessors over it.
 */
import * as asn1js from 'asn1js';
import { EMSGSIZE, failure, type Failure } from './result.js';

/** lib/asn1_decoder.c: `if (datalen > 65535) return -EMSGSIZE;` */
export const ASN1_MAX_DATALEN = 65535;
/**
 * Nesting limit of the pre-check. Linux's decoder keeps a 10-deep constructed-element stack for
 * the parts its grammar descends into (a CMS message needs 8) and skips ANY values without
 * descending; 32 accepts every real message and stops pathological nesting before asn1js's
 * recursive decoder sees it.
 */
const MAX_DEPTH = 32;

export type Node = asn1js.AsnType;

export type Decoded = { readonly ok: true; readonly root: Node } | Failure;

/**
 * Decode one BER element that must span `bytes` exactly. Malformed input, long-form tags (Linux:
 * "long tags not supported"), more than two length octets, excessive nesting or trailing bytes →
 * EBADMSG; more than 65535 bytes → EMSGSIZE, like asn1_ber_decoder().
 */
export function decodeBer(bytes: Uint8Array, what: string): Decoded {
  if (bytes.length > ASN1_MAX_DATALEN) return failure(EMSGSIZE, `${what}: ${bytes.length} bytes exceed the ASN.1 decoder's 65535`);
  const pre = preCheck(bytes);
  if (pre !== null) return failure('EBADMSG', `${what}: ${pre}`);
  let decoded: ReturnType<typeof asn1js.fromBER>;
  try {
    decoded = asn1js.fromBER(bytes);
  } catch (e) {
    return failure('EBADMSG', `${what}: undecodable (${String(e)})`);
  }
  if (decoded.offset === -1 || decoded.result.error) {
    return failure('EBADMSG', `${what}: ${decoded.result.error || 'undecodable'}`);
  }
  if (decoded.offset !== bytes.length) {
    return failure('EBADMSG', `${what}: ${bytes.length - decoded.offset} trailing bytes after the outer element`);
  }
  return { ok: true, root: decoded.result };
}

/**
 * Iterative TLV walk: every length fits its parent, tags are single-octet, depth is bounded.
 * Returns null when the structure is sound, else a description of the first problem.
 * Each step consumes at least two bytes, so the loop runs at most bytes.length / 2 times.
 */
function preCheck(bytes: Uint8Array): string | null {
  if (bytes.length < 2) return 'data overrun (fewer than 2 bytes)';
  // Ends of the open constructed elements; -1 = indefinite length (closed by an EOC).
  const ends: number[] = [];
  let pos = 0;
  let first = true;
  for (let guard = 0; guard <= bytes.length; guard++) {
    while (ends.length > 0 && ends[ends.length - 1] === pos) ends.pop();
    if (ends.length === 0 && !first) return pos === bytes.length ? null : 'trailing bytes after the outer element';
    first = false;
    const top = ends.length > 0 ? ends[ends.length - 1] : bytes.length;
    if (top !== -1 && pos >= top) return `element at ${pos} overruns its container`;
    if (top === -1 && pos + 1 < bytes.length && bytes[pos] === 0 && bytes[pos + 1] === 0) {
      pos += 2; // end-of-contents of an indefinite-length element
      ends.pop();
      continue;
    }
    if (pos + 2 > bytes.length) return `data overrun at ${pos}`;
    const tag = bytes[pos];
    if ((tag & 0x1f) === 0x1f) return `long tag at ${pos} not supported`;
    const constructed = (tag & 0x20) !== 0;
    let len = bytes[pos + 1];
    let hdr = 2;
    if (len === 0x80) {
      if (!constructed) return `indefinite length on a primitive element at ${pos}`;
      ends.push(-1);
      if (ends.length > MAX_DEPTH) return 'nesting too deep';
      pos += 2;
      continue;
    }
    if (len > 0x80) {
      const n = len - 0x80;
      if (n > 2) return `length of ${n} octets at ${pos} too long`;
      if (pos + 2 + n > bytes.length) return `data overrun in length at ${pos}`;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[pos + 2 + i];
      hdr += n;
    }
    const end = pos + hdr + len;
    const limit = nearestDefiniteEnd(ends, bytes.length);
    if (end > limit) return `element at ${pos} (length ${len}) overruns its container`;
    if (constructed) {
      ends.push(end);
      if (ends.length > MAX_DEPTH) return 'nesting too deep';
      pos += hdr;
    } else {
      pos = end;
    }
  }
  return 'structure walk did not terminate';
}

function nearestDefiniteEnd(ends: readonly number[], total: number): number {
  for (let i = ends.length - 1; i >= 0; i--) if (ends[i] !== -1) return ends[i];
  return total;
}

// --- accessors ---------------------------------------------------------------------------------

export const CLASS_UNIVERSAL = 1;
export const CLASS_CONTEXT = 3;

export const TAG = {
  INTEGER: 2, BIT_STRING: 3, OCTET_STRING: 4, NULL: 5, OID: 6, UTF8: 12, SEQUENCE: 16, SET: 17,
  UTC_TIME: 23, GENERALIZED_TIME: 24,
} as const;

export function isTag(node: Node, tagClass: number, tagNumber: number): boolean {
  return node.idBlock.tagClass === tagClass && node.idBlock.tagNumber === tagNumber;
}

export function isUniversal(node: Node, tagNumber: number): boolean {
  return isTag(node, CLASS_UNIVERSAL, tagNumber);
}

/** Children of a constructed node (SEQUENCE, SET, [n] constructed), else null. */
export function childrenOf(node: Node): readonly Node[] | null {
  if (!node.idBlock.isConstructed) return null;
  const vb = (node as unknown as { valueBlock?: { value?: unknown } }).valueBlock;
  return Array.isArray(vb?.value) ? (vb.value as Node[]) : null;
}

/** Children of a universal SEQUENCE/SET, else null. */
export function sequenceOf(node: Node, tagNumber: number = TAG.SEQUENCE): readonly Node[] | null {
  return isUniversal(node, tagNumber) ? childrenOf(node) : null;
}

/** The dotted OID of an OBJECT IDENTIFIER node, else null. */
export function oidOf(node: Node | undefined): string | null {
  if (!node || !(node instanceof asn1js.ObjectIdentifier)) return null;
  const s = node.valueBlock.toString();
  return s.length > 0 ? s : null;
}

/** The bytes exactly as they appeared in the input (header + content). */
export function rawOf(node: Node): Uint8Array {
  const v = node.valueBeforeDecodeView;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** The content octets as they appeared in the input (header and any end-of-contents removed). */
export function contentOf(node: Node): Uint8Array {
  const raw = rawOf(node);
  const hdr = node.idBlock.blockLength + node.lenBlock.blockLength;
  const eoc = node.lenBlock.isIndefiniteForm ? 2 : 0;
  return raw.subarray(hdr, Math.max(hdr, raw.length - eoc));
}

/** Content octets of a primitive node (OCTET STRING, INTEGER, [n] IMPLICIT primitive). */
export function primitiveBytes(node: Node): Uint8Array | null {
  if (node.idBlock.isConstructed) return null;
  return contentOf(node);
}

/**
 * AlgorithmIdentifier → { oid, params } where params is 'absent', 'null' or 'other'.
 * Null when the node is not SEQUENCE { OID, [ANY] }.
 */
export function algorithmOf(node: Node | undefined): { readonly oid: string; readonly params: 'absent' | 'null' | 'other' } | null {
  if (!node) return null;
  const kids = sequenceOf(node);
  if (!kids || kids.length < 1 || kids.length > 2) return null;
  const oid = oidOf(kids[0]);
  if (!oid) return null;
  if (kids.length === 1) return { oid, params: 'absent' };
  const p = kids[1];
  const isNull = isUniversal(p, TAG.NULL) && !p.idBlock.isConstructed && contentOf(p).length === 0;
  return { oid, params: isNull ? 'null' : 'other' };
}

/** Dotted OID from raw content octets (for attribute values Linux looks up with look_up_OID()). */
export function oidFromContent(content: Uint8Array): string | null {
  if (content.length === 0 || (content[content.length - 1] & 0x80) !== 0) return null;
  const arcs: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) return null;
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs[0];
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}
