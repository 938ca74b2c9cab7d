/**
 * bpf_check from the kernel's side: presents the kernel's maps, fd_array and capabilities to the
 * verifier (src/verifier knows nothing of the kernel: it sees plain descriptors), takes references
 * on the maps the program uses, and — under the 2026 signing scheme — checks the signature over the
 * instructions and the fd_array maps right after process_fd_array (signing.md Appendix B).
 */
import { ERRNO, errnoName } from '../errno.js';
import type { Program } from '../isa/program.js';
import { verify, type LdImm64Patch, type MapDescriptor, type VerifyResult, type VLogWindow } from '../verifier/index.js';
import type { Kernel } from './kernel.js';
import type { BtfObject, MapObject, SignatureStatus } from './objects.js';
import { BPF_F_RDONLY_PROG, BPF_MAP_TYPE } from './uapi.js';
import { bpfProgVerifySignature } from '../signature/index.js';
import type { PendingVerifierSignature } from './signing-schemes.js';

export interface VerifierRun {
  readonly program: Program;
  readonly progType: number;
  readonly expectedAttachType: number;
  readonly progFlags: number;
  readonly attachBtfId: number;
  readonly logLevel: number;
  /** The part of the log the caller's buffer can show (see VLog): only that much is held. */
  readonly logWindow: VLogWindow;
  readonly fdArray: bigint;
  readonly fdArrayCnt: number;
  readonly isKernel: boolean;
  readonly name: string;
  readonly progBtf: BtfObject | null;
  readonly funcInfoCnt: number;
  readonly lineInfoCnt: number;
  readonly sigContext: PendingVerifierSignature | null;
  readonly gplCompatible: boolean;
}

export interface LdImm64Fixup {
  readonly slot: number;
  readonly kind: 'map' | 'map_value';
  readonly map: MapObject;
  readonly offset: number;
}

export interface VerifierOutcome {
  readonly ok: boolean;
  readonly errno: number;
  readonly log: string;
  /** log_true_size when the verifier ran (the log may be longer than {@link log} holds). */
  readonly logTrueSize?: number;
  readonly firstError?: string;
  readonly processedInsns: number;
  /** Referenced on success (the program owns one reference each); empty on failure. */
  readonly usedMaps: MapObject[];
  readonly digest: Uint8Array;
  readonly maxCtxOffset: number;
  readonly xlatedInsnCnt: number;
  readonly ldImm64: readonly LdImm64Fixup[];
  /** Context loads of packet pointers to rewrite (convert_ctx_accesses). */
  readonly ctxPointerLoads: VerifyResult['ctxPointerLoads'];
  /** Set when the 2026 scheme verified the signature inside bpf_check. */
  readonly signature?: SignatureStatus;
  readonly result: VerifyResult | null;
}

/** The verifier's view of a kernel map (plain data; see src/verifier/env.ts). */
export function mapDescriptor(k: Kernel, m: MapObject): MapDescriptor {
  const area = m.map.valueArea;
  const inner = m.map.innerMapMeta;
  // A frozen BPF_F_RDONLY_PROG map's contents are known constants to the verifier (bpf_map_direct_read).
  const readOnly = m.frozen && (m.map.mapFlags & BPF_F_RDONLY_PROG) !== 0 && area !== null;
  return {
    id: m.id, mapType: m.map.mapType, keySize: m.map.keySize, valueSize: m.map.valueSize,
    maxEntries: m.map.maxEntries, mapFlags: m.map.mapFlags, name: m.name, exclProgSha: m.exclProgSha,
    frozen: m.frozen,
    innerMap: inner ? {
      id: 0, mapType: inner.mapType, keySize: inner.keySize, valueSize: inner.valueSize, maxEntries: inner.maxEntries,
      mapFlags: inner.mapFlags, name: '', exclProgSha: null, frozen: false, innerMap: null,
    } : null,
    address: k.space.addressOf(m.map.object),
    ...(area ? { valueAddress: k.space.addressOf(area) } : {}),
    ...(readOnly ? { readOnlyValue: area.bytes.slice(0, m.map.valueSize * m.map.maxEntries) } : {}),
  };
}

function readFd(k: Kernel, base: bigint, index: number, isKernel: boolean): number | null {
  const b = k.copyFromBpfptr(base + BigInt(index * 4), 4, isKernel);
  return b ? new DataView(b.buffer, b.byteOffset).getInt32(0, true) : null;
}

function fail(errno: number, log: string, firstError: string): VerifierOutcome {
  return {
    ok: false, errno, log, firstError, processedInsns: 0, usedMaps: [], digest: new Uint8Array(32),
    maxCtxOffset: 0, xlatedInsnCnt: 0, ldImm64: [], ctxPointerLoads: [], result: null,
  };
}

/** The 2026 scheme's in-verifier signature check over insns ‖ fd_array map contents. */
function verify2026Signature(k: Kernel, r: VerifierRun, sig: PendingVerifierSignature): VerifierOutcome | SignatureStatus {
  const parts: Uint8Array[] = [new Uint8Array(r.program.length * 8)];
  // Raw instruction bytes as submitted.
  const dv = new DataView(parts[0].buffer);
  for (let i = 0; i < r.program.length; i++) {
    const b = i * 8;
    parts[0][b] = r.program.code[i];
    parts[0][b + 1] = (r.program.dst[i] & 0xf) | ((r.program.src[i] & 0xf) << 4);
    dv.setInt16(b + 2, r.program.off[i], true);
    dv.setInt32(b + 4, r.program.imm[i], true);
  }
  for (let i = 0; i < r.fdArrayCnt; i++) {
    const fd = readFd(k, r.fdArray, i, r.isKernel);
    if (fd === null) return fail(ERRNO.EFAULT, '', 'fd_array unreadable');
    const e = k.fdEntry(fd);
    if (!e) return fail(ERRNO.EBADF, `fd ${fd} is not pointing to valid bpf_map or btf\n`, `fd ${fd} is not pointing to valid bpf_map or btf`);
    if (e.type === 'bpf' && e.obj.kind === 'btf') return fail(ERRNO.EACCES, 'signed programs cannot use BTF in fd_array\n', 'BTF in a signed fd_array');
    if (e.type !== 'bpf' || e.obj.kind !== 'map') return fail(ERRNO.EINVAL, '', 'not a map');
    const m = e.obj;
    if (m.map.mapType !== BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY) return fail(ERRNO.EINVAL, 'signed programs can only use ARRAY maps in fd_array\n', 'non-ARRAY map');
    if (!m.exclProgSha) return fail(ERRNO.EPERM, 'signed programs require exclusive maps\n', 'non-exclusive map');
    if (!m.frozen) return fail(ERRNO.EPERM, 'signed programs require frozen maps\n', 'unfrozen map');
    const area = m.map.valueArea;
    if (area) parts.push(area.bytes.slice());
  }
  const content = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { content.set(p, off); off += p.length; }
  const res = bpfProgVerifySignature({
    signature: sig.signature, signatureSize: sig.signature.length, readable: true, keyringId: sig.keyringId,
    content, kernelVersion: k.config.version, keyrings: k.keyrings,
  });
  if (res.checked && !res.ok) {
    k.emit({ type: 'signature', scheme: 'v2026', result: 'rejected', keyringId: sig.keyringId, errno: errnoName(res.errno), coversMaps: true, detail: 'insns ‖ the fd_array maps, inside bpf_check' });
    return fail(res.errno, 'signature verification failed\n', 'signature verification failed');
  }
  const signer = res.checked && res.ok ? res.signer.keyDescription : '';
  k.emit({ type: 'signature', scheme: 'v2026', result: 'verified', keyringId: sig.keyringId, signer, coversMaps: true, detail: `insns ‖ ${r.fdArrayCnt} fd_array map(s), inside bpf_check` });
  return { kind: 'verified', keyringId: sig.keyringId, signer, coversMaps: true };
}

export function runVerifier(k: Kernel, r: VerifierRun): VerifierOutcome {
  let signature: SignatureStatus | undefined;
  if (r.sigContext) {
    const s = verify2026Signature(k, r, r.sigContext);
    if ('ok' in s) return s;
    signature = s;
  }
  const descriptors = new Map<MapObject, MapDescriptor>();
  const res = verify({
    program: r.program, progType: r.progType, expectedAttachType: r.expectedAttachType, progFlags: r.progFlags,
    attachBtfId: r.attachBtfId, caps: k.config.caps, logLevel: r.logLevel, logWindow: r.logWindow, gplCompatible: r.gplCompatible,
    hasBtfInfo: r.funcInfoCnt > 0 || r.lineInfoCnt > 0,
    nrCpuIds: k.config.nrCpus,
    resolveMapFd: (fd: number) => {
      const e = k.fdEntry(fd);
      if (!e) return { errno: ERRNO.EBADF };
      if (e.type !== 'bpf' || e.obj.kind !== 'map') return { errno: ERRNO.EINVAL };
      // One descriptor per map for the whole run: the verifier's __add_used_map dedups by identity,
      // and a loader references __loader.map far more than MAX_USED_MAPS (64) times (signing).
      let d = descriptors.get(e.obj);
      if (!d) { d = mapDescriptor(k, e.obj); descriptors.set(e.obj, d); }
      return d;
    },
    fdArray: r.fdArray === 0n ? null : { read: (i: number) => readFd(k, r.fdArray, i, r.isKernel) },
    // The 2026 scheme binds the signed fd_array maps in its own check above (and computes the digest
    // before binding, which 6.18 did not: signing.md §4.10); the verifier then resolves them lazily.
    fdArrayCnt: r.sigContext ? 0 : r.fdArrayCnt,
    kfuncs: (btfId: number) => k.kfuncProto(btfId),
  });
  const byId = (d: MapDescriptor): MapObject => k.objects.maps.live.get(d.id)!;
  const firstError = res.ok ? undefined : firstErrorLine(res.log);
  if (!res.ok) {
    return {
      ok: false, errno: res.errno, log: res.log, logTrueSize: res.logTrueSize, ...(firstError === undefined ? {} : { firstError }),
      processedInsns: res.stats.processedInsns, usedMaps: [], digest: res.digest,
      maxCtxOffset: res.maxCtxOffset, xlatedInsnCnt: res.xlatedInsnCnt ?? r.program.length, ldImm64: [], ctxPointerLoads: [], result: res,
    };
  }
  const usedMaps = res.usedMaps.map(byId);
  for (const m of usedMaps) k.objects.get(m);
  return {
    ok: true, errno: 0, log: res.log, logTrueSize: res.logTrueSize, processedInsns: res.stats.processedInsns, usedMaps, digest: res.digest,
    maxCtxOffset: res.maxCtxOffset, xlatedInsnCnt: res.xlatedInsnCnt ?? r.program.length,
    ldImm64: res.ldImm64.map((f: LdImm64Patch) => ({ slot: f.slot, kind: f.kind, map: byId(f.map), offset: f.offset })),
    ctxPointerLoads: res.ctxPointerLoads, ...(signature ? { signature } : {}), result: res,
  };
}

/** The line before "processed N insns ..." or the last non-empty line: what Linux users grep for. */
function firstErrorLine(log: string): string {
  const lines = log.split('\n').filter((l) => l.length > 0 && !l.startsWith('processed ') && !l.startsWith('verification time'));
  return lines.length ? lines[lines.length - 1] : '';
}
