/**
 * The BPF verifier log (kernel/bpf/log.c, struct bpf_verifier_log) as the BTF loader uses it.
 *
 * Messages are "binary strings": one char per byte (char codes 0-255), because BTF names are raw
 * bytes and the kernel copies them into the log as they are. Linux semantics modelled here:
 * - bpf_vlog_init(): the attributes must be sane (buffer and size both given or both absent, no
 *   buffer without a level, no unknown level bits, size <= UINT_MAX >> 2), else EINVAL. Linux 6.4
 *   dropped the old "size >= 128" rule, so a 1-byte buffer is valid on 6.18.
 * - bpf_verifier_vlog(): each call formats into a 1024-byte kernel buffer (vscnprintf), so one call
 *   adds at most 1023 bytes. Without BPF_LOG_FIXED the log rotates (the buffer ends up holding the
 *   last len_total - 1 bytes); with it, it keeps the first len_total - 1 bytes.
 * - len_max (reported as log_true_size) is the longest the log ever was, NUL included.
 * - bpf_vlog_finalize(): ENOSPC when the log did not fit, EFAULT when the buffer could not be written.
 * - bpf_verifier_log_needed() is just `level != 0` since 6.4 (len_max is tracked even with no buffer).
 */
import { ERRNO } from '../../errno.js';

import { BPF_LOG_FIXED, BPF_LOG_LEVEL1, BPF_LOG_LEVEL2, BPF_LOG_STATS } from '../../verifier/log.js';

export { BPF_LOG_FIXED, BPF_LOG_LEVEL1, BPF_LOG_LEVEL2, BPF_LOG_STATS };
export const BPF_LOG_MASK = BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2 | BPF_LOG_STATS | BPF_LOG_FIXED;
/** BPF_VERIFIER_TMP_LOG_SIZE: the kernel formats each message into a buffer this big. */
export const BPF_VERIFIER_TMP_LOG_SIZE = 1024;
const UINT_MAX = 0xffffffff;

/** Where the caller's log buffer stands: none given, a writable one, or one the kernel cannot write. */
export type LogBufState = 'absent' | 'present' | 'fault';

export interface VerifierLogAttr {
  level: number;
  size: number;
  buf: LogBufState;
}

export interface FinalizedLog {
  /** 0, or the errno bpf_vlog_finalize() returns (ENOSPC, EFAULT). */
  errno: number;
  /** len_max: bytes needed to hold the whole log with its NUL (0 when nothing was logged). */
  trueSize: number;
  /**
   * The bytes the kernel leaves in the user buffer before the terminating NUL, or null when it never
   * wrote to the buffer (no buffer, level 0, or nothing logged).
   */
  bytes: Uint8Array | null;
}

/** bpf_verifier_log_attr_valid(). */
export function verifierLogAttrValid(a: VerifierLogAttr): boolean {
  const hasBuf = a.buf !== 'absent';
  if (hasBuf !== (a.size !== 0)) return false;
  if (hasBuf && a.level === 0) return false;
  if ((a.level & ~BPF_LOG_MASK) !== 0) return false;
  if (a.size > UINT_MAX >>> 2) return false;
  return true;
}

export class VerifierLog {
  readonly level: number;
  private readonly lenTotal: number;
  private bufState: LogBufState;
  /**
   * What the user buffer can end up holding: with BPF_LOG_FIXED the first len_total - 1 bytes, else
   * (rotating) the last len_total - 1 bytes. Only that much is kept, so a huge log costs no memory.
   */
  private head = '';
  private tail: string[] = [];
  private tailLen = 0;
  private endPos = 0;
  private lenMax = 0;
  private touched = false;

  /** Callers check {@link verifierLogAttrValid} first (bpf_vlog_init). */
  constructor(attr: VerifierLogAttr) {
    this.level = attr.level >>> 0;
    this.lenTotal = attr.size >>> 0;
    this.bufState = attr.buf;
  }

  /** bpf_verifier_log_needed(). */
  get needed(): boolean {
    return this.level !== 0;
  }

  private get fixed(): boolean {
    return (this.level & BPF_LOG_FIXED) !== 0;
  }

  /** bpf_verifier_vlog() with an already formatted (binary string) message. */
  write(msg: string): void {
    if (!this.needed) return;
    // vscnprintf() into the 1024-byte kbuf: at most 1023 bytes of the message survive.
    const s = msg.length > BPF_VERIFIER_TMP_LOG_SIZE - 1 ? msg.slice(0, BPF_VERIFIER_TMP_LOG_SIZE - 1) : msg;
    const n = s.length + 1; // with the terminating NUL
    this.lenMax = Math.max(this.lenMax, Math.min(this.endPos + n, UINT_MAX));
    if (this.bufState !== 'absent' && this.lenTotal > 0) {
      // Fixed mode writes only while end_pos < len_total; rotating mode always writes.
      if (!this.fixed || this.endPos < this.lenTotal) {
        this.touched = true;
        // copy_to_user() into an unwritable buffer fails and the kernel drops the buffer.
        if (this.bufState === 'fault') this.bufState = 'absent';
      }
      const keep = this.lenTotal - 1;
      if (this.fixed) {
        if (this.head.length < keep) this.head += s.slice(0, keep - this.head.length);
      } else {
        this.tail.push(s);
        this.tailLen += s.length;
        if (this.tailLen > 2 * keep + BPF_VERIFIER_TMP_LOG_SIZE) {
          const joined = this.tail.join('');
          const last = joined.slice(joined.length - keep);
          this.tail = [last];
          this.tailLen = last.length;
        }
      }
    }
    this.endPos += n - 1;
  }

  /**
   * The whole log needed `trueSize` bytes (with the NUL) though only its visible part was written
   * here (the verifier holds no more than the buffer can show): len_max as Linux counts it.
   */
  noteTrueSize(trueSize: number): void {
    this.lenMax = Math.max(this.lenMax, Math.min(trueSize, UINT_MAX));
  }

  /** bpf_vlog_finalize(). */
  finalize(): FinalizedLog {
    if (this.level === 0) return { errno: 0, trueSize: 0, bytes: null };
    const trueSize = this.lenMax;
    // "!!log->ubuf != !!log->len_total": the buffer was dropped after a failed copy.
    if (this.lenTotal !== 0 && this.bufState === 'absent') return { errno: ERRNO.EFAULT, trueSize, bytes: null };
    if (this.bufState === 'absent') return { errno: 0, trueSize, bytes: null };
    let bytes: Uint8Array | null = null;
    if (this.touched && this.bufState === 'present') {
      const keep = this.lenTotal - 1;
      let view: string;
      if (this.fixed) {
        view = this.head;
      } else {
        const joined = this.tail.join('');
        view = joined.length > keep ? joined.slice(joined.length - keep) : joined;
      }
      bytes = binaryToBytes(view);
    }
    const errno = this.lenMax > this.lenTotal ? ERRNO.ENOSPC : 0;
    return { errno, trueSize, bytes };
  }
}

/** Binary string → bytes. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Bytes → binary string (one char per byte). */
export function bytesToBinary(b: Uint8Array): string {
  let s = '';
  const CHUNK = 8192;
  for (let i = 0; i < b.length; i += CHUNK) s += String.fromCharCode(...b.subarray(i, i + CHUNK));
  return s;
}
