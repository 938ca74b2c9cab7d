/**
 * compare-schemes: sign one light skeleton under each signing scheme (./sign.ts), load it on each
 * kernel version with PKCS#7 verification enabled and the signer's certificate in the selected
 * keyring, and run every tamper class of ./tamper-probes.ts against it. For each run it records
 * where the tampering was caught (signing.md §2.2: the outer BPF_PROG_LOAD signature step, another
 * outer command, the verifier, the loader's return value, an inner command — or not at all), what
 * `security_bpf_prog_load` had been told about the loader by then (the trace's LSM event), and how
 * many inner objects the loader created.
 *
 * Pairing (signing.md §3.2, Appendix B): `v6.18` signs the loader with its metadata hash check;
 * `hash-chain` signs the same loader with the chained signature (`signature_maps = [0]`); `v2026`
 * signs insns ‖ map and the modelled kernel checks the map inside the verifier; its loader is the
 * 2026-07 one, without the map->sha check (./sign.ts cuts it out), so the skeleton asks for no
 * hash. Other in-loader checks stay as libbpf generated them (a 1.8 loader still checks map->excl).
 */
import type { KernelVersion, SigningScheme } from '../kernel/config.js';
import { Kernel, type KernelOptions } from '../kernel/kernel.js';
import { BpfApi } from '../kernel/api.js';
import { encodeAttr, FD_BY_ID_ATTR } from '../kernel/attr.js';
import { BPF_CMD, BPF_PROG_TYPE } from '../kernel/uapi.js';
import type { Trace, TraceEvent } from '../kernel/trace.js';
import { KernelError, errnoName } from '../errno.js';
import { assembleBytes, Exit, LoadMapFd, Mov64, R0, R1 } from '../isa/builders.js';
import { KEY_SPEC, looksLikeDer, pemToDer } from '../signature/index.js';
import { toHex } from '../util/hex.js';
import { LightSkeleton, type LoadOptions, type LoadOutcome } from './light-skeleton.js';
import type { LskelModel } from './lskel-model.js';
import { SIGNING_SCHEMES, signSkeletonDetailed, SkeletonSignError, type SignedSkeleton } from './sign.js';
import { probePlan, TAMPER_CLASSES, type ProbePlan, type TamperClass } from './tamper-probes.js';
import { throwawaySigner } from './throwaway-signer.js';

export const KERNEL_VERSIONS: readonly KernelVersion[] = ['6.18.0', '6.18.y', '2026'];

/** Where a tampering was stopped. */
export type CaughtAt =
  /** BPF_PROG_LOAD's signature step (before security_bpf_prog_load and the verifier). */
  | { readonly step: 'outer-signature'; readonly errno: string; readonly detail: string }
  /** Another outer bpf() of bpf_load_and_run (e.g. the hash request on an unfrozen map). */
  | { readonly step: 'outer-command'; readonly cmd: string; readonly errno: string }
  /** bpf_check rejected the program (2026 signature check, exclusive-map digest, …). */
  | { readonly step: 'verifier'; readonly prog: string; readonly errno: string; readonly message: string }
  /** The loader's own check returned an error through attr.test.retval. */
  | { readonly step: 'loader-retval'; readonly retval: number; readonly errno: string; readonly check: 'hash' | 'excl' | null }
  /** An inner command of the loader failed; its errno came back as the loader's retval. */
  | { readonly step: 'inner-command'; readonly cmd: string; readonly errno: string; readonly retval: number }
  | { readonly step: 'not-caught' };

/** What the loader's security_bpf_prog_load hook had been told (null fields: the hook never ran). */
export type LsmSeen =
  | { readonly reached: false }
  | { readonly reached: true; readonly loaderVerified: boolean; readonly metadataVerified: boolean };

export type ProbeResult =
  | { readonly kind: 'n/a'; readonly reason: string }
  | {
    readonly kind: 'ran';
    readonly caught: CaughtAt;
    readonly lsm: LsmSeen;
    /** Maps, programs and BTF objects the loader created (bpf_sys_bpf), whether or not they survived. */
    readonly innerObjects: number;
    /** X__load()'s return value. */
    readonly skelLoad: number;
    /**
     * Fds the process had before X__open() that were gone after X__destroy() (e.g. closed by the
     * loader's CLEANUP from a tampered fd_array slot), with what they were.
     */
    readonly closedFds: ReadonlyArray<{ readonly fd: number; readonly what: string }>;
    /** What the probe changed when it was not caught (override applied/ignored, rewritten data used). */
    readonly effect: string | null;
  };

export interface ComparisonCell {
  readonly tamper: TamperClass;
  readonly scheme: SigningScheme;
  readonly version: KernelVersion;
  /** What exactly was done (offsets, values). */
  readonly probe: string;
  readonly result: ProbeResult;
}

export type SchemeSigning =
  | { readonly scheme: SigningScheme; readonly ok: true; readonly signedContent: string; readonly signatureSize: number; readonly exclProgHash: string; readonly metadataHash: string; readonly signatureMaps: readonly number[] | null }
  | { readonly scheme: SigningScheme; readonly ok: false; readonly reason: string };

export interface SchemeComparison {
  readonly fileName: string | null;
  readonly objName: string;
  readonly generation: string;
  readonly schemes: readonly SigningScheme[];
  readonly versions: readonly KernelVersion[];
  readonly tampers: readonly TamperClass[];
  readonly signing: readonly SchemeSigning[];
  readonly cells: readonly ComparisonCell[];
}

export interface Signer {
  readonly key: string | Uint8Array;
  readonly cert: string | Uint8Array;
}

export interface CompareOptions extends Signer {
  /** Signer whose certificate is not trusted (wrong-key probe); a throwaway one is generated when absent. */
  readonly wrongSigner?: Signer;
  readonly schemes?: readonly SigningScheme[];
  readonly versions?: readonly KernelVersion[];
  readonly tampers?: readonly TamperClass[];
  /** Extra kernel options (vmlinux BTF, kallsyms, seed); version/scheme/PKCS#7 are set per run. */
  readonly kernel?: Omit<KernelOptions, 'version' | 'scheme' | 'systemDataVerification' | 'keyrings'>;
}

function certDer(cert: string | Uint8Array): Uint8Array {
  if (cert instanceof Uint8Array && looksLikeDer(cert)) return cert;
  const text = typeof cert === 'string' ? cert : Buffer.from(cert).toString('latin1');
  const der = pemToDer(text);
  if (!der) throw new SkeletonSignError('signer', 'the certificate is neither DER nor a PEM CERTIFICATE block');
  return der;
}

// ------------------------------------------------------------------ reading a load's trace

function window(trace: Trace, o: LoadOutcome): Trace {
  return trace.slice(o.traceFrom, o.traceTo);
}

function loaderHook(events: Trace): LsmSeen {
  const e = events.find((x) => x.type === 'lsm' && x.hook === 'security_bpf_prog_load' && !x.isKernel && x.detail.prog_name === '__loader.prog');
  if (!e || e.type !== 'lsm') return { reached: false };
  return { reached: true, loaderVerified: e.detail.loader_verified === true, metadataVerified: e.detail.metadata_verified === true };
}

function innerObjectCount(events: Trace): number {
  return events.filter((e) => e.type === 'object' && e.action === 'create' && e.depth > 0).length;
}

function loaderCheckFailed(events: Trace): 'hash' | 'excl' | null {
  for (const e of events) {
    if (e.type === 'note' && e.actor === 'loader' && e.detail?.ok === false) {
      if (e.detail.check === 'hash' || e.detail.check === 'excl') return e.detail.check;
    }
  }
  return null;
}

/** Where a skeleton load was stopped, from its outcome and its slice of the trace. */
export function caughtAt(o: LoadOutcome, events: Trace): CaughtAt {
  if (o.failedAt === null) return { step: 'not-caught' };
  const errno = o.errno ?? errnoName(o.bpfLoadAndRun);
  if (o.failedAt === 'loader retval') {
    const retval = o.loaderRetval ?? o.bpfLoadAndRun;
    const inner = [...events].reverse().find((e): e is Extract<TraceEvent, { type: 'bpf' }> =>
      e.type === 'bpf' && e.phase === 'exit' && e.caller === 'kernel' && (e.ret ?? 0) < 0);
    const check = loaderCheckFailed(events);
    if (check === null && inner && inner.ret === retval) return { step: 'inner-command', cmd: inner.cmdName, errno: errnoName(retval), retval };
    return { step: 'loader-retval', retval, errno: errnoName(retval), check };
  }
  const cmd = o.failedAt.replace(/^outer /, '');
  if (cmd === 'BPF_PROG_LOAD') {
    const v = events.find((e) => e.type === 'verifier' && e.depth === 0 && e.prog === '__loader.prog' && !e.ok);
    if (v && v.type === 'verifier') return { step: 'verifier', prog: v.prog, errno, message: v.firstError ?? '' };
    const s = events.find((e) => e.type === 'signature' && e.depth === 0 && e.result === 'rejected');
    if (s && s.type === 'signature') return { step: 'outer-signature', errno, detail: s.detail ?? '' };
  }
  return { step: 'outer-command', cmd, errno };
}

// ------------------------------------------------------------------ one probe

interface Prepared {
  readonly signed: SignedSkeleton;
  readonly wrong: SignedSkeleton | null;
}

/** A key serial that names nothing in this kernel (keyring lookup → EINVAL). */
function unusedSerial(k: Kernel): number {
  for (let s = 0x3eadbeef; s > 0x3eadbeef - 1000; s--) if (k.keyrings.key(s) === null) return s;
  throw new Error('no unused key serial found');
}

/** The second-program probe: fetch __loader.map by id and load a program that references it. */
function secondProgram(k: Kernel, events: Trace): CaughtAt | string {
  const created = events.find((e) => e.type === 'object' && e.action === 'create' && e.kind === 'map' && e.name === '__loader.map');
  if (!created || created.type !== 'object') return 'no __loader.map was created';
  const fd = k.bpfBytes(BPF_CMD.BPF_MAP_GET_FD_BY_ID, encodeAttr(FD_BY_ID_ATTR, { id: created.id }, 12));
  if (fd < 0) return `BPF_MAP_GET_FD_BY_ID(${created.id}) failed: ${errnoName(fd)}`;
  try {
    const prog = new BpfApi(k).progLoad({
      type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, name: 'intruder', logLevel: 1,
      insns: assembleBytes([LoadMapFd(R1, fd), Mov64.imm(R0, 0), Exit()]),
    });
    k.close(prog.fd);
    return { step: 'not-caught' };
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    return { step: 'verifier', prog: 'intruder', errno: e.errnoName, message: e.message };
  } finally {
    k.close(fd);
  }
}

/** Small values in decimal (1234, like the fixtures' harness), others in hex (0xc0ffee). */
function showValue(v: bigint): string {
  return v <= 9999n ? v.toString() : `0x${v.toString(16)}`;
}

function runProbe(
  prep: Prepared, plan: ProbePlan, scheme: SigningScheme, version: KernelVersion, tamper: TamperClass,
  cert: Uint8Array, base: CompareOptions['kernel'],
): ComparisonCell {
  const cell = (probe: string, result: ProbeResult): ComparisonCell => ({ tamper, scheme, version, probe, result });
  const na = (reason: string) => cell('-', { kind: 'n/a', reason });
  const model = tamper === 'wrong-key' ? prep.wrong?.model : prep.signed.model;
  if (!model) return na('no untrusted signer');
  const k = new Kernel({ ...base, version, scheme, systemDataVerification: true });
  const ring = k.keyrings.addKeyring('bpfsim-signer', KEY_SPEC.SESSION_KEYRING);
  const added = ring < 0 ? ring : k.keyrings.addCertificate(cert, ring);
  if (added < 0) throw new SkeletonSignError('signer', `cannot add the signer's certificate to a keyring: ${k.keyrings.lastFailure?.reason ?? errnoName(added)}`);
  let keyringId = ring;
  let probe = 'keyring_id: a user keyring holding the signer\'s certificate';
  const opts: { -readonly [K in keyof LoadOptions]: LoadOptions[K] } = {};
  const sig = model.loader.signature!;
  switch (tamper) {
    case 'baseline':
      break;
    case 'second-program':
      probe = 'after the load: BPF_MAP_GET_FD_BY_ID(__loader.map), then BPF_PROG_LOAD of a socket filter with ld_imm64 MAP_FD of it';
      break;
    case 'insn-byte':
      opts.tamper = [{ target: 'insns', offset: plan.insn.offset }];
      probe = `${plan.insn.what}, ^0x01`;
      break;
    case 'blob-byte':
      opts.tamper = [{ target: 'data', offset: plan.blob.offset }];
      probe = `${plan.blob.what}, ^0x01`;
      break;
    case 'blob-fd-slot':
      if (!plan.fdSlot) return na('the object has no maps: the loader\'s CLEANUP closes no blob fd slots');
      opts.tamper = [{ target: 'data', offset: plan.fdSlot.offset, xor: plan.fdSlot.xor }];
      probe = plan.fdSlot.what;
      break;
    case 'signature-byte':
      opts.tamper = [{ target: 'signature', offset: sig.length - 1 }];
      probe = `opts_sig[${sig.length - 1}] (last byte of the signature value), ^0x01`;
      break;
    case 'wrong-key':
      probe = 'signed by an untrusted key; the keyring holds the expected signer only';
      break;
    case 'keyring-unresolvable':
      keyringId = unusedSerial(k);
      probe = `keyring_id ${keyringId} (no such key)`;
      break;
    case 'keyring-empty':
      keyringId = k.keyrings.addKeyring('bpfsim-empty', KEY_SPEC.SESSION_KEYRING);
      probe = 'keyring_id: an empty user keyring';
      break;
    case 'unfrozen-map':
      opts.skipFreeze = true;
      probe = 'no BPF_MAP_FREEZE of __loader.map';
      break;
    case 'non-exclusive-map':
      opts.stripExclHash = true;
      probe = 'BPF_MAP_CREATE without excl_prog_hash';
      break;
    case 'initial-value-override':
      if (!plan.rodataGlobal) return na('the skeleton has no .rodata global');
      probe = `${plan.rodataGlobal.name} = ${showValue(plan.rodataGlobal.override)} (build time ${showValue(plan.rodataGlobal.original)})`;
      break;
    case 'max-entries-override':
      if (!plan.maxEntries) return na('the skeleton has no HASH/ARRAY map of its own');
      probe = `maps.${plan.maxEntries.map}.max_entries = ${plan.maxEntries.override} (build time ${plan.maxEntries.original})`;
      break;
    case 'toctou-rewrite':
      opts.skipFreeze = true;
      opts.rewriteDataAfterHash = [{ target: 'data', offset: plan.toctou.offset }];
      probe = `no freeze; after the hash request ${plan.toctou.what} ^0x01`;
      break;
  }
  const fdsBefore = fdNames(k);
  const skel = LightSkeleton.open(k, model);
  let result: Omit<Extract<ProbeResult, { kind: 'ran' }>, 'closedFds'>;
  try {
    skel.setKeyringId(keyringId);
    if (tamper === 'initial-value-override' && plan.rodataGlobal) skel.setGlobal(plan.rodataGlobal.name, plan.rodataGlobal.override);
    if (tamper === 'max-entries-override' && plan.maxEntries) skel.setMaxEntries(plan.maxEntries.map, plan.maxEntries.override);
    const outcome = skel.load(opts);
    const events = window(k.trace.all, outcome);
    let caught = caughtAt(outcome, events);
    let effect: string | null = null;
    if (outcome.skelLoad === 0) {
      if (tamper === 'initial-value-override' && plan.rodataGlobal) {
        const now = skel.readGlobal(plan.rodataGlobal.name);
        effect = now === plan.rodataGlobal.override
          ? `override applied: ${plan.rodataGlobal.name} = ${showValue(now)}`
          : `override ignored: ${plan.rodataGlobal.name} = ${showValue(now)}`;
      } else if (tamper === 'max-entries-override' && plan.maxEntries) {
        const e = k.fdEntry(skel.mapFd(plan.maxEntries.map));
        const n = e?.type === 'bpf' && e.obj.kind === 'map' ? e.obj.map.maxEntries : null;
        effect = n === plan.maxEntries.override ? `override applied: max_entries ${n}` : `override ignored: max_entries ${String(n)}`;
      } else if (tamper === 'toctou-rewrite') {
        const g = plan.toctou.global;
        effect = g
          ? `loaded from the rewritten blob: ${g.name} = ${showValue(skel.readGlobal(g.name))} (rewritten ${showValue(g.rewritten)})`
          : `loaded from the rewritten blob: blob[${plan.toctou.offset}] changed after map->sha was computed`;
      } else if (tamper === 'second-program') {
        const r = secondProgram(k, events);
        if (typeof r === 'string') effect = r;
        else caught = r;
      }
    }
    result = { kind: 'ran', caught, lsm: loaderHook(events), innerObjects: innerObjectCount(events), skelLoad: outcome.skelLoad, effect };
  } finally {
    skel.destroy();
    k.settle();
  }
  const after = fdNames(k);
  const closedFds = [...fdsBefore].filter(([fd]) => !after.has(fd)).map(([fd, what]) => ({ fd, what }));
  return cell(probe, { ...result, closedFds });
}

/** The process's open fds and what each is. */
function fdNames(k: Kernel): Map<number, string> {
  return new Map(k.fds.list().map(([fd, e]) => [fd, e.type === 'bpf' ? `${e.obj.kind} #${e.obj.id}` : e.what]));
}

// ------------------------------------------------------------------ the comparison

function signingSummary(scheme: SigningScheme, s: SignedSkeleton | SkeletonSignError): SchemeSigning {
  if (s instanceof SkeletonSignError) return { scheme, ok: false, reason: s.message };
  return {
    scheme, ok: true, signedContent: s.signedContent.description, signatureSize: s.signature.length,
    exclProgHash: toHex(s.exclProgHash), metadataHash: toHex(s.metadataHash), signatureMaps: s.signatureMaps,
  };
}

function trySign(model: LskelModel, signer: Signer, scheme: SigningScheme): SignedSkeleton | SkeletonSignError {
  try {
    return signSkeletonDetailed(model, { key: signer.key, cert: signer.cert, scheme });
  } catch (e) {
    if (e instanceof SkeletonSignError && e.code === 'no-hash-check') return e;
    throw e;
  }
}

/** Run every (tamper class × scheme × kernel version) probe against `model`. */
export function compareSchemes(model: LskelModel, opts: CompareOptions): SchemeComparison {
  const schemes = opts.schemes ?? SIGNING_SCHEMES;
  const versions = opts.versions ?? KERNEL_VERSIONS;
  const tampers = opts.tampers ?? TAMPER_CLASSES.map((t) => t.id);
  const cert = certDer(opts.cert);
  const wrongSigner = tampers.includes('wrong-key') ? opts.wrongSigner ?? throwawaySigner() : null;
  const signing: SchemeSigning[] = [];
  const prepared = new Map<SigningScheme, { prep: Prepared; plan: ProbePlan } | SkeletonSignError>();
  for (const scheme of schemes) {
    const signed = trySign(model, opts, scheme);
    signing.push(signingSummary(scheme, signed));
    if (signed instanceof SkeletonSignError) {
      prepared.set(scheme, signed);
      continue;
    }
    const wrongSigned = wrongSigner ? trySign(model, wrongSigner, scheme) : null;
    const prep: Prepared = { signed, wrong: wrongSigned instanceof SkeletonSignError ? null : wrongSigned };
    prepared.set(scheme, { prep, plan: probePlan(signed.model) });
  }
  // Tamper-major order: the schemes' answers to one probe sit next to each other.
  const cells: ComparisonCell[] = [];
  for (const tamper of tampers) {
    for (const scheme of schemes) {
      const p = prepared.get(scheme)!;
      for (const version of versions) {
        cells.push(p instanceof SkeletonSignError
          ? { tamper, scheme, version, probe: '-', result: { kind: 'n/a', reason: p.code === 'no-hash-check' ? `not signable under ${scheme}: the loader has no metadata hash check` : p.message } }
          : runProbe(p.prep, p.plan, scheme, version, tamper, cert, opts.kernel));
      }
    }
  }
  return {
    fileName: model.fileName, objName: model.objName, generation: model.generation, schemes, versions, tampers, signing, cells,
  };
}
