/**
 * BPF_BTF_LOAD's BTF verification: btf_parse() in kernel/bpf/btf.c, from the attr fields to either
 * a verified {@link Btf} or an errno, with exactly the log the kernel writes into the caller's
 * btf_log_buf and the btf_log_true_size it reports.
 *
 * Order (as in Linux 6.18): btf_size > BTF_MAX_SIZE → E2BIG; bad log attributes → EINVAL (neither
 * touches the log nor btf_log_true_size); copy the data (unreadable → EFAULT); header; string
 * section; pass 1 (per-type meta checks and dump); pass 2 (resolve); type-tag chains; finalize the
 * log (truncation → ENOSPC, which also fails an otherwise good load; unwritable buffer → EFAULT).
 *
 * Simplification: btf_parse_struct_metas() / btf_check_and_fixup_fields() (special fields such as
 * bpf_spin_lock, bpf_list_head, kptrs in program BTF) are not modelled; Linux can reject such BTF
 * with an errno and no log line, bpfsim accepts it.
 */
import { ERRNO } from '../../errno.js';
import { BTF_MAX_SIZE } from './constants.js';
import { Btf } from './btf.js';
import { checkAllMetas } from './check-meta.js';
import { newEnv, vlog, type BtfVerifierEnv } from './env.js';
import { parseHeader } from './header.js';
import { VerifierLog, verifierLogAttrValid, type LogBufState } from './log.js';
import { RawBtf } from './raw.js';
import { checkAllTypes } from './resolve.js';
import { parseStrSec } from './strings.js';
import { checkTypeTags } from './type-tags.js';

export interface BtfLoadAttr {
  /**
   * The readable memory at attr.btf (the kernel reads its first `btfSize` bytes; fewer → EFAULT),
   * or a reader the kernel calls once with `btfSize` (after the size and log checks), returning null
   * when that memory cannot be read.
   */
  data: Uint8Array | ((size: number) => Uint8Array | null);
  /** attr.btf_size (u32). */
  btfSize: number;
  /** attr.btf_log_level, attr.btf_log_size. */
  logLevel: number;
  logSize: number;
  /** Whether attr.btf_log_buf points somewhere, and whether the kernel can write there. */
  logBuf: LogBufState;
}

interface LogOutcome {
  /** The log text (UTF-8 decoded; '' when the buffer was not written). */
  log: string;
  /** What ends up in the user's log buffer before its NUL, or null when the kernel did not write it. */
  logBytes: Uint8Array | null;
  /** The value written to attr.btf_log_true_size, or null when the kernel does not write it. */
  logTrueSize: number | null;
}

export type BtfLoadResult =
  | ({ ok: true; btf: Btf } & LogOutcome)
  | ({ ok: false; errno: number } & LogOutcome);

const utf8 = new TextDecoder('utf-8');

function failNoLog(errno: number): BtfLoadResult {
  return { ok: false, errno, log: '', logBytes: null, logTrueSize: null };
}

/** btf_parse_type_sec(). */
function parseTypeSec(env: BtfVerifierEnv, typeOff: number, typeLen: number): number {
  if (typeOff & 3) {
    vlog(env, 'Unaligned type_off');
    return -ERRNO.EINVAL;
  }
  if (!typeLen) {
    vlog(env, 'No type found');
    return -ERRNO.EINVAL;
  }
  const err = checkAllMetas(env, typeLen);
  return err || checkAllTypes(env);
}

export function btfLoad(attr: BtfLoadAttr): BtfLoadResult {
  const btfSize = attr.btfSize >>> 0;
  if (btfSize > BTF_MAX_SIZE) return failNoLog(ERRNO.E2BIG);
  const logAttr = { level: attr.logLevel >>> 0, size: attr.logSize >>> 0, buf: attr.logBuf };
  if (!verifierLogAttrValid(logAttr)) return failNoLog(ERRNO.EINVAL);
  const log = new VerifierLog(logAttr);

  const finish = (errno: number, btf: Btf | null): BtfLoadResult => {
    const fin = log.finalize();
    const out: LogOutcome = {
      log: fin.bytes ? utf8.decode(fin.bytes) : '',
      logBytes: fin.bytes,
      logTrueSize: fin.trueSize,
    };
    const err = fin.errno || errno;
    if (err || !btf) return { ok: false, errno: err || ERRNO.EINVAL, ...out };
    return { ok: true, btf, ...out };
  };

  const data = typeof attr.data === 'function' ? attr.data(btfSize) : attr.data;
  if (data === null || data.length < btfSize) return finish(ERRNO.EFAULT, null);
  // The kernel verifies its own copy: later changes to the caller's memory do not matter.
  const copy = data.slice(0, btfSize);

  const hdr = parseHeader(copy, log);
  if (!hdr.ok) return finish(hdr.errno, null);
  const write = (m: string) => log.write(m);
  let err = parseStrSec(copy, hdr.hdr, write);
  if (err) return finish(-err, null);
  const raw = new RawBtf(copy, hdr.hdr);
  const env = newEnv(raw, log);
  err = parseTypeSec(env, hdr.hdr.typeOff, hdr.hdr.typeLen);
  if (err) return finish(-err, null);
  err = checkTypeTags(env);
  if (err) return finish(-err, null);
  const btf = new Btf(raw, hdr.hdr, { resolvedIds: env.resolvedIds, resolvedSizes: env.resolvedSizes });
  return finish(0, btf);
}
