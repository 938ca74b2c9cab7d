/**
 * The real-kernel oracle: loads and test-runs eBPF programs in the running Linux kernel through a
 * small C helper (./bpf_oracle.c), so that tests can compare bpfsim's interpreter and verifier
 * against Linux. The helper is compiled on first use with the system `cc` into ./build/
 * (gitignored) and runs as ONE long-lived process that handles any number of cases over a line
 * protocol on stdin/stdout (described at the top of the C file).
 *
 * Per case the helper creates the maps (and fills and optionally freezes them), patches each map's
 * fd into the imm of the listed ld_imm64 slots, loads the program with a verifier log that grows
 * to `log_true_size` on ENOSPC, reads `verified_insns` from bpf_prog_info, test-runs it with
 * BPF_PROG_TEST_RUN, reads back requested map elements, and closes everything.
 *
 * Where `bpf()` cannot be used (no `cc`, not root, unprivileged_bpf_disabled, seccomp, a non-Linux
 * host), {@link oracleAvailable} says why, and tests skip with that reason.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { errnoName } from '../../src/errno.js';
import { fromHex, toHex } from '../../src/util/hex.js';
import { buildCHelper, type CHelper } from '../support/c-helper.js';

export interface OracleMap {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** instruction slots whose ld_imm64 (src_reg MAP_FD or MAP_VALUE) gets this map's fd in imm */
  slots: number[];
  /** optional initial elements */
  entries?: Array<{ key: Uint8Array; value: Uint8Array }>;
  /** BPF_MAP_FREEZE the map after filling it (before the program is loaded). */
  freeze?: boolean;
  /** Keys to look up after the run; their values come back in {@link OracleResult.mapValues}. */
  readKeys?: Uint8Array[];
}

export interface OracleCase {
  id: string;
  progType: number;
  progFlags: number;
  expectedAttachType?: number;
  insns: Uint8Array;
  /** default "GPL" */
  license?: string;
  /** 0..2 (BPF_LOG_STATS = 4 may be or-ed in); default 1. With 0 the kernel writes no log. */
  logLevel?: number;
  /** Initial log buffer size (default 1 MiB); it grows to the kernel's log_true_size on ENOSPC. */
  logSize?: number;
  /** Also return the program as the verifier rewrote it (bpf_prog_info.xlated_prog_insns). */
  wantXlated?: boolean;
  maps?: OracleMap[];
  run?: {
    ctx?: Uint8Array;
    data?: Uint8Array;
    repeat?: number;
    /** data_size_out for packet programs (default: data length + 4096). */
    dataOutSize?: number;
  };
}

/** Where a failed load failed, when it was not BPF_PROG_LOAD itself. */
export type OracleStage = 'prog_load' | 'prog_info' | `map_create:${number}` | `map_update:${number}` | `map_freeze:${number}`;

export interface OracleResult {
  id: string;
  load: {
    ok: boolean;
    errno: number;
    log: string;
    /** from bpf_prog_info.verified_insns */
    verifiedInsns?: number;
    /** The kernel's log_true_size (bytes the whole log needs, including the NUL). */
    logTrueSize?: number;
    /** The instructions after the verifier's rewrites (only with `wantXlated`). */
    xlated?: Uint8Array;
    /** The step that failed (or, for ok loads, `prog_info` when bpf_prog_info could not be read). */
    stage?: OracleStage;
  };
  run?: {
    ok: boolean;
    errno: number;
    /** u32 */
    retval: number;
    ctxOut: Uint8Array;
    dataOut: Uint8Array;
  };
  /** Per map, per `readKeys` entry: the value after the run, or null when the lookup failed. */
  mapValues?: Array<Array<Uint8Array | null>>;
}

/** A case the oracle cannot send (bad field), or the helper process failing. */
export class OracleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OracleError';
  }
}

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(HERE, 'bpf_oracle.c');
const CFLAGS = ['-O2', '-Wall', '-Wextra', '-std=gnu11'];

type Availability = { ok: true } | { ok: false; reason: string };
let availability: Availability | null = null;
let binary: string | null = null;

/** Compile the helper once per source version (test/support/c-helper.ts). */
function build(): CHelper {
  return buildCHelper(SOURCE, 'bpf-oracle', CFLAGS);
}

function unprivilegedSetting(): string {
  try {
    return readFileSync('/proc/sys/kernel/unprivileged_bpf_disabled', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Whether the oracle can be used here: builds the helper (once) and probes `bpf()` by loading and
 * test-running a trivial sleepable BPF_PROG_TYPE_SYSCALL program. Set BPFSIM_ORACLE=0 to disable.
 */
export function oracleAvailable(): { ok: true } | { ok: false; reason: string } {
  if (availability !== null) return availability;
  availability = probeAvailability();
  return availability;
}

function probeAvailability(): Availability {
  if (process.env.BPFSIM_ORACLE === '0') return { ok: false, reason: 'disabled by BPFSIM_ORACLE=0' };
  if (process.platform !== 'linux') return { ok: false, reason: `bpf() needs Linux (this is ${process.platform})` };
  const built = build();
  if ('reason' in built) return { ok: false, reason: built.reason };
  const probe = spawnSync(built.path, ['--probe'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error) return { ok: false, reason: `cannot run the oracle helper: ${probe.error.message}` };
  const out = probe.stdout.trim();
  if (out === 'ok') {
    binary = built.path;
    return { ok: true };
  }
  const m = /^fail (\d+) (\S+)$/.exec(out);
  if (!m) return { ok: false, reason: `oracle probe failed: ${out || probe.stderr.trim() || `exit ${probe.status}`}` };
  const errno = Number(m[1]);
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const why = errno === 1 || errno === 13
    ? `not permitted (uid ${uid}; needs root or CAP_BPF+CAP_PERFMON; kernel.unprivileged_bpf_disabled=${unprivilegedSetting()}; or a seccomp filter)`
    : errno === 38
      ? 'not implemented (kernel without CONFIG_BPF_SYSCALL, or blocked by seccomp)'
      : 'failed';
  return { ok: false, reason: `bpf() ${m[2]} of a trivial BPF_PROG_TYPE_SYSCALL program: ${errnoName(errno)} — ${why}` };
}

// ---------------------------------------------------------------- the helper process

interface Pending {
  readonly id: string;
  readonly resolve: (r: OracleResult) => void;
  readonly reject: (e: Error) => void;
}

interface Helper {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pending: Map<number, Pending>;
  stderr: string;
  dead: Error | null;
}

let helper: Helper | null = null;
let nextSeq = 1;

function refStreams(h: Helper, on: boolean): void {
  // Idle helpers must not keep Node alive; busy ones must (the answers are awaited).
  for (const s of [h.child.stdin, h.child.stdout, h.child.stderr] as unknown as Socket[]) {
    if (on) s.ref?.(); else s.unref?.();
  }
  if (on) h.child.ref(); else h.child.unref();
}

function startHelper(path: string): Helper {
  const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const h: Helper = { child, pending: new Map(), stderr: '', dead: null };
  const fail = (e: Error): void => {
    if (h.dead === null) h.dead = e;
    for (const p of h.pending.values()) p.reject(h.dead);
    h.pending.clear();
    if (helper === h) helper = null;
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => { h.stderr = (h.stderr + s).slice(-4000); });
  child.on('error', (e) => fail(new OracleError(`oracle helper failed: ${e.message}`)));
  child.on('exit', (code, signal) => {
    fail(new OracleError(`oracle helper exited (${signal ?? `code ${code}`})${h.stderr ? `: ${h.stderr.trim()}` : ''}`));
  });
  child.stdin.on('error', (e) => fail(new OracleError(`oracle helper stdin: ${e.message}`)));
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  lines.on('line', (line) => {
    try {
      const { seq, result } = parseResponse(line, h);
      const p = h.pending.get(seq);
      if (p === undefined) throw new OracleError(`oracle answered unknown request ${seq}`);
      h.pending.delete(seq);
      if (h.pending.size === 0) refStreams(h, false);
      if (result instanceof Error) p.reject(result);
      else p.resolve({ ...result, id: p.id });
    } catch (e) {
      fail(e instanceof Error ? e : new OracleError(String(e)));
      child.kill();
    }
  });
  return h;
}

/** Stop the helper process (it is restarted by the next {@link runOracle}). */
export function closeOracle(): Promise<void> {
  const h = helper;
  helper = null;
  if (h === null || h.child.exitCode !== null) return Promise.resolve();
  refStreams(h, true); // keep Node alive until the helper has exited
  return new Promise((resolve) => {
    h.child.once('exit', () => resolve());
    h.child.stdin.end();
  });
}

// ---------------------------------------------------------------- encoding

function u32(name: string, v: number | undefined, dflt = 0): string {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new OracleError(`${name} must be a u32, got ${x}`);
  return String(x);
}

function hex(b: Uint8Array | undefined): string {
  return b === undefined || b.length === 0 ? '-' : toHex(b);
}

function encodeCase(seq: number, c: OracleCase): string {
  if (!(c.insns instanceof Uint8Array) || c.insns.length % 8 !== 0) {
    throw new OracleError(`case ${c.id}: insns must be a Uint8Array whose length is a multiple of 8`);
  }
  const maps = c.maps ?? [];
  if (maps.length > 64) throw new OracleError(`case ${c.id}: at most 64 maps`);
  const text = new TextEncoder().encode(c.license ?? 'GPL');
  if (text.includes(0)) throw new OracleError(`case ${c.id}: license contains a NUL byte`);
  // Sent NUL-terminated, so that an empty license is still a (one-byte) field.
  const license = new Uint8Array(text.length + 1);
  license.set(text);
  const f: string[] = [
    'L', String(seq), u32('progType', c.progType), u32('progFlags', c.progFlags),
    u32('expectedAttachType', c.expectedAttachType), u32('logLevel', c.logLevel, 1), u32('logSize', c.logSize),
    c.wantXlated ? '1' : '0',
    hex(license), hex(c.insns), String(maps.length),
  ];
  for (const m of maps) {
    const slots = m.slots.map((s) => u32('slot', s));
    for (const s of m.slots) {
      if (s * 8 + 8 > c.insns.length) throw new OracleError(`case ${c.id}: map slot ${s} is outside the program`);
    }
    f.push('M', u32('map type', m.type), u32('keySize', m.keySize), u32('valueSize', m.valueSize),
      u32('maxEntries', m.maxEntries), u32('map flags', m.flags), m.freeze ? '1' : '0',
      slots.length > 0 ? slots.join(',') : '-');
    const entries = m.entries ?? [];
    f.push(String(entries.length));
    for (const e of entries) f.push(hex(e.key), hex(e.value));
    const keys = m.readKeys ?? [];
    f.push(String(keys.length));
    for (const k of keys) f.push(hex(k));
  }
  if (c.run === undefined) {
    f.push('0');
  } else {
    f.push('1', hex(c.run.ctx), hex(c.run.data), u32('repeat', c.run.repeat), u32('dataOutSize', c.run.dataOutSize));
  }
  return f.join(' ') + '\n';
}

function bytesField(t: string | undefined): Uint8Array {
  if (t === undefined) throw new OracleError('truncated oracle response');
  return t === '-' ? new Uint8Array(0) : fromHex(t);
}

function num(t: string | undefined): number {
  const n = Number(t);
  if (t === undefined || !Number.isInteger(n)) throw new OracleError(`bad number in oracle response: ${t}`);
  return n;
}

function parseResponse(line: string, h: Helper): { seq: number; result: Omit<OracleResult, 'id'> | Error } {
  const t = line.split(' ');
  if (t[0] === 'E') {
    return { seq: num(t[1]), result: new OracleError(`oracle refused a request: ${t.slice(2).join(' ')}${h.stderr ? ` (${h.stderr})` : ''}`) };
  }
  if (t[0] !== 'R') throw new OracleError(`unexpected oracle output: ${line.slice(0, 200)}`);
  let k = 1;
  const seq = num(t[k++]);
  const ok = t[k++] === '1';
  const errno = num(t[k++]);
  const verifiedInsns = num(t[k++]);
  const logTrueSize = num(t[k++]);
  const log = new TextDecoder().decode(bytesField(t[k++]));
  const xlated = bytesField(t[k++]);
  const stage = t[k++];
  const load: OracleResult['load'] = { ok, errno, log, logTrueSize };
  if (xlated.length > 0) load.xlated = xlated;
  if (ok) load.verifiedInsns = verifiedInsns;
  if (stage !== undefined && stage !== '-') load.stage = stage as OracleStage;
  const result: Omit<OracleResult, 'id'> = { load };
  if (t[k++] === '1') {
    result.run = {
      ok: t[k++] === '1', errno: num(t[k++]), retval: num(t[k++]) >>> 0,
      ctxOut: bytesField(t[k++]), dataOut: bytesField(t[k++]),
    };
  }
  const nMaps = num(t[k++]);
  const values: Array<Array<Uint8Array | null>> = [];
  let any = false;
  for (let i = 0; i < nMaps; i++) {
    const n = num(t[k++]);
    const vs: Array<Uint8Array | null> = [];
    for (let j = 0; j < n; j++) {
      const v = t[k++];
      vs.push(v === '!' ? null : bytesField(v));
    }
    if (n > 0) any = true;
    values.push(vs);
  }
  if (any) result.mapValues = values;
  return { seq, result };
}

/**
 * Load (and, when `run` is given, test-run) every case in the real kernel; results come back in
 * input order. Rejects with an {@link OracleError} when the oracle is unavailable, a case is
 * malformed, or the helper dies.
 */
export async function runOracle(cases: OracleCase[]): Promise<OracleResult[]> {
  const avail = oracleAvailable();
  if (!avail.ok) throw new OracleError(`the kernel oracle is not available: ${avail.reason}`);
  // Encode everything before sending anything, so that a malformed case sends nothing.
  const first = nextSeq;
  const lines = cases.map((c, i) => encodeCase(first + i, c));
  nextSeq += cases.length;
  if (cases.length === 0) return [];
  if (helper === null || helper.dead !== null) helper = startHelper(binary!);
  const h = helper;
  refStreams(h, true);
  const promises = cases.map((c, i) => new Promise<OracleResult>((resolve, reject) => {
    h.pending.set(first + i, { id: c.id, resolve, reject });
  }));
  h.child.stdin.write(lines.join(''));
  return Promise.all(promises);
}
