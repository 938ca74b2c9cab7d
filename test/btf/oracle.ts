/**
 * The running kernel as a differential oracle for BPF_BTF_LOAD: builds oracle/btf-load.c with the
 * system `cc` and feeds it batches of requests. {@link openBtfOracle} says why when the oracle is
 * unavailable (no cc, not Linux, bpf() not permitted), so tests can skip with that message.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import { buildCHelper } from '../support/c-helper.js';

export interface OracleRequest {
  data: Uint8Array;
  /** attr.btf_size; defaults to data.length (a larger value makes the kernel fault). */
  btfSize?: number;
  logLevel: number;
  logSize: number;
  logBuf: boolean;
}

export interface OracleResponse {
  /** 'ok' (an fd was returned) or minus the errno. */
  ret: 'ok' | number;
  logTrueSize: number;
  /** The log buffer up to its NUL as a binary string, or null when the kernel left it untouched. */
  log: string | null;
}

export type BtfOracle = (reqs: readonly OracleRequest[]) => OracleResponse[];

let cached: { oracle: BtfOracle | null; reason: string } | undefined;

export function openBtfOracle(): { oracle: BtfOracle | null; reason: string } {
  if (cached) return cached;
  cached = open();
  return cached;
}

function open(): { oracle: BtfOracle | null; reason: string } {
  if (process.platform !== 'linux') return { oracle: null, reason: 'not Linux' };
  // Built once per version of the source into a shared cache path (parallel test files race
  // harmlessly: each builds to its own name and renames into place).
  const built = buildCHelper(join(ROOT, 'test', 'btf', 'oracle', 'btf-load.c'), 'btf-oracle');
  if ('reason' in built) return { oracle: null, reason: built.reason };
  const bin = built.path;
  const oracle: BtfOracle = (reqs) => {
    const parts: Buffer[] = [];
    for (const r of reqs) {
      const h = Buffer.alloc(20);
      h.writeUInt32LE(r.data.length, 0);
      h.writeUInt32LE((r.btfSize ?? r.data.length) >>> 0, 4);
      h.writeUInt32LE(r.logLevel >>> 0, 8);
      h.writeUInt32LE(r.logSize >>> 0, 12);
      h.writeUInt32LE(r.logBuf ? 1 : 0, 16);
      parts.push(h, Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
    }
    const run = spawnSync(bin, { input: Buffer.concat(parts), maxBuffer: 1 << 30 });
    if (run.status !== 0) throw new Error(`btf oracle exited with ${run.status}: ${run.stderr}`);
    const out = run.stdout;
    const res: OracleResponse[] = [];
    let p = 0;
    for (let i = 0; i < reqs.length; i++) {
      const ret = out.readInt32LE(p);
      const logTrueSize = out.readUInt32LE(p + 4);
      const len = out.readUInt32LE(p + 8);
      p += 12;
      let log: string | null = null;
      if (len !== 0xffffffff) {
        log = out.subarray(p, p + len).toString('latin1');
        p += len;
      }
      res.push({ ret: ret >= 0 ? 'ok' : ret, logTrueSize, log });
    }
    return res;
  };
  // Probe: is BPF_BTF_LOAD permitted here? (An empty blob gets EINVAL when it is, EPERM when not.)
  const probe = oracle([{ data: new Uint8Array(0), logLevel: 0, logSize: 0, logBuf: false }])[0];
  if (probe.ret === -1) return { oracle: null, reason: 'bpf(BPF_BTF_LOAD) is not permitted (EPERM): run as root' };
  if (probe.ret === -38) return { oracle: null, reason: 'bpf() is not available (ENOSYS)' };
  return { oracle, reason: '' };
}
