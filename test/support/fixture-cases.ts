/**
 * Replaying the harness cases of vendor/shared/fixtures/expected/*.json in bpfsim: the case's
 * set-up (keyring, signature/excl hash removed, tampering, overrides, ctx log) mapped onto the
 * LightSkeleton API, on a kernel configured like the recording VM (6.18.44, no
 * CONFIG_SYSTEM_DATA_VERIFICATION, no ECDSA).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_KERNEL } from '../../src/kernel/config.js';
import { Kernel, type KernelOptions } from '../../src/kernel/kernel.js';
import { KEY_SPEC } from '../../src/signature/index.js';
import { LightSkeleton, type LoadOptions, type LoadOutcome, type Tamper } from '../../src/skeleton/light-skeleton.js';
import { parseLskel } from '../../src/skeleton/lskel-parse.js';
import type { LskelModel } from '../../src/skeleton/lskel-model.js';
import { loadReport, type LoadReport } from '../../src/skeleton/report.js';
import { FIXTURES } from './paths.js';

export interface ExpectedCase {
  readonly id: string;
  readonly variant: string;
  readonly what: string;
  readonly setup?: {
    readonly keyring_id: number | string | null;
    readonly signature: string;
    readonly excl_prog_hash: string;
    readonly tamper: ReadonlyArray<{ target: 'insns' | 'data' | 'signature'; offset: number; from: number; to: number }> | null;
    readonly overrides: ReadonlyArray<{ what: string; map?: string; max_entries?: number; value?: string }> | null;
    readonly ctx_log_level: number;
  };
  readonly outcome?: Record<string, unknown>;
  readonly outer_sequence?: Array<Record<string, unknown>>;
  readonly inner_sequence?: Array<Record<string, unknown>>;
  readonly objects?: Record<string, unknown>;
  readonly final_fds?: { maps: Record<string, number>; progs: Record<string, number> };
  readonly open_fds_after_load?: Record<string, string>;
  readonly exercise?: { steps: Array<Record<string, unknown>> };
  readonly [k: string]: unknown;
}

export interface ExpectedFile {
  readonly fixture: string;
  readonly variants: Record<string, { lskel: string; generator: { signed: boolean; cert?: string; key?: string; alg?: string } }>;
  readonly cases: ExpectedCase[];
}

export const FIXTURE_NAMES = ['minimal', 'maps_globals', 'shared_subprog', 'ringbuf_trace', 'tprog'] as const;

export function expectedFile(name: string): ExpectedFile {
  return JSON.parse(readFileSync(join(FIXTURES, 'expected', `${name}.json`), 'utf8')) as ExpectedFile;
}

const models = new Map<string, LskelModel>();
export function model(lskelPath: string): LskelModel {
  let m = models.get(lskelPath);
  if (!m) {
    m = parseLskel(readFileSync(join(FIXTURES, lskelPath), 'utf8'), lskelPath);
    models.set(lskelPath, m);
  }
  return m;
}

/**
 * The session keyring of the recording harness: a keyring with the signing certificate, one with
 * an unrelated certificate, an empty one, and the signing certificate directly (fixtures/README.md
 * §2 "Runs"). Returns the serial each symbolic keyring id names.
 */
export function keyringWorld(k: Kernel, certPath: string | undefined): Map<string, number> {
  const cert = certPath ? new Uint8Array(readFileSync(join(FIXTURES, certPath.replace(/\.pem$/, '.der')))) : null;
  const other = new Uint8Array(readFileSync(join(FIXTURES, 'keys', 'other_rsa2048.cert.der')));
  const ses = KEY_SPEC.SESSION_KEYRING;
  const withCert = k.keyrings.addKeyring('with-cert', ses);
  if (cert) k.keyrings.addCertificate(cert, withCert);
  const wrong = k.keyrings.addKeyring('wrong-cert', ses);
  k.keyrings.addCertificate(other, wrong);
  const empty = k.keyrings.addKeyring('empty', ses);
  const certKey = cert ? k.keyrings.addCertificate(cert, ses) : -1;
  return new Map([
    ['<serial of a user keyring holding the signing certificate>', withCert],
    ['<serial of a user keyring holding an unrelated certificate>', wrong],
    ['<serial of an empty user keyring>', empty],
    ['<serial of the certificate key (type asymmetric) itself>', certKey],
  ]);
}

export interface CaseRun {
  readonly kernel: Kernel;
  readonly skel: LightSkeleton;
  readonly outcome: LoadOutcome;
  readonly report: LoadReport;
  /** The serial each symbolic keyring id of the recordings ("<serial of ...>") names in this kernel. */
  readonly serials: ReadonlyMap<string, number>;
}

/** Open, configure and load a case like the recording harness did. */
export function runCase(file: ExpectedFile, c: ExpectedCase, config: KernelOptions = FIXTURE_KERNEL): CaseRun {
  const variant = file.variants[c.variant];
  const kernel = new Kernel({ ...config });
  const m = model(variant.lskel);
  const skel = LightSkeleton.open(kernel, m);
  const s = c.setup!;
  const serials = keyringWorld(kernel, variant.generator.cert);
  if (s.keyring_id !== null && m.skeleton.keyringIdOffset !== null) {
    const id = typeof s.keyring_id === 'number' ? s.keyring_id : serials.get(s.keyring_id);
    if (id === undefined) throw new Error(`unknown symbolic keyring ${s.keyring_id}`);
    skel.setKeyringId(id);
  }
  for (const o of s.overrides ?? []) {
    if (o.map !== undefined && o.max_entries !== undefined) skel.setMaxEntries(o.map, o.max_entries);
    else if (/target_tgid/.test(o.what)) skel.setGlobal('target_tgid', kernel.config.pid);
    else {
      const mm = /(\w+)=(\d+)/.exec(o.what);
      if (!mm) throw new Error(`cannot replay override '${o.what}'`);
      skel.setGlobal(mm[1], Number(mm[2]));
    }
  }
  if (s.ctx_log_level) skel.setLog(s.ctx_log_level);
  const tamper: Tamper[] = (s.tamper ?? []).map((t) => ({ target: t.target, offset: t.offset, xor: t.from ^ t.to }));
  const opts: LoadOptions = {
    stripSignature: s.signature === 'removed',
    stripExclHash: s.excl_prog_hash === 'removed',
    tamper,
  };
  const outcome = skel.load(opts);
  return { kernel, skel, outcome, report: loadReport(kernel, skel, outcome), serials };
}

/** The harness cases bpfsim can replay (those with a set-up). */
export function replayableCases(file: ExpectedFile): ExpectedCase[] {
  return file.cases.filter((c) => c.setup !== undefined && file.variants[c.variant] !== undefined);
}

type Json = Record<string, unknown>;

/** The sections of a report (or a recorded case) that `bpfsim load --json` shares with the recordings. */
export function recordedSections(j: object): Json {
  const r = j as Json;
  return { outcome: r.outcome, outer_sequence: r.outer_sequence, inner_sequence: r.inner_sequence, objects: r.objects ?? null };
}

/**
 * Fields where bpfsim and the recording knowingly differ, and why. Everything else must be equal.
 */
export const KNOWN_DIFFERENCES = {
  /** README: "no JIT (`jited_prog_len` 0; ...)". */
  jited_bytes: 'objects.progs[].jited_bytes',
  /**
   * README: "`xlated_prog_len` is the submitted program plus bpfsim's fixups, not the kernel's
   * rewrites such as inlined map lookups, so `xlated_insns` and a program's `nr_line_info` after
   * dead-code removal can differ from Linux's".
   */
  xlated_insns: 'objects.progs[].xlated_insns',
  nr_line_info: 'objects.progs[].nr_line_info',
  /**
   * README: "the built-in vmlinux BTF has other type ids than a real kernel": the ids
   * btf_find_by_name_kind returns, and the tag of a program whose instructions carry them (the
   * loader patches them into tracing programs' kfunc calls and attach ids).
   */
  btf_find_by_name_kind_ret: 'inner_sequence[helper=btf_find_by_name_kind].ret',
  tracing_tag: 'objects.progs[prog_type=26].tag',
  /**
   * Provenance, not kernel state: the recording says its retval came from the harness because
   * strace cannot print it; bpfsim says it read attr.test.retval.
   */
  retval_source: 'outer_sequence[cmd=BPF_PROG_TEST_RUN].retval_source',
  /**
   * A gap in the recording, not a difference: where the inner sequence was inferred by a static
   * decode (tprog's late-2025 variants have no instrumented build; their `inner_sequence_source`
   * says so), the loader's BPF_MAP_UPDATE_ELEM entries name the map but carry no map_idx/purpose.
   */
  inferred_update_idx: 'inner_sequence[cmd=BPF_MAP_UPDATE_ELEM].map_idx/purpose, only where inner_sequence_source is an inference',
} as const;

const INFERRED = /^static decode of the loader; fds inferred/;

/** The four sections of a report or recording with the KNOWN_DIFFERENCES fields removed (the case decides the inferred-sequence gap). */
export function dropKnownDifferences(sections: Json, c: ExpectedCase): Json {
  const inferred = INFERRED.test(String(c.inner_sequence_source));
  const s = structuredClone(sections);
  for (const e of (s.outer_sequence as Json[] | undefined) ?? []) delete e.retval_source;
  for (const e of (s.inner_sequence as Json[] | undefined) ?? []) {
    if (e.helper === 'btf_find_by_name_kind') delete e.ret;
    if (inferred && e.cmd === 'BPF_MAP_UPDATE_ELEM') { delete e.map_idx; delete e.purpose; }
  }
  const objects = s.objects as { progs: Json[] } | null | undefined;
  for (const p of objects?.progs ?? []) {
    delete p.jited_bytes;
    delete p.xlated_insns;
    delete p.nr_line_info;
    if (p.prog_type === 26) delete p.tag;
  }
  return s;
}

