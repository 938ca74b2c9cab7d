/**
 * `bpfsim load <x.lskel.h>`: open and load a light skeleton in a fresh modelled kernel, exactly as
 * its generation's bpf_load_and_run does, and print the outcome, the timeline and the object
 * table. `--json` prints one document in the schema of the fixtures' expected/ recordings, so it
 * can be diffed against a real-kernel run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_CONFIG, type KernelVersion, type SigningScheme } from '../../kernel/config.js';
import { Kernel, type KernelOptions } from '../../kernel/kernel.js';
import { renderTimelineHtml, renderTimelineText, timeline } from '../../kernel/timeline.js';
import { loadVmlinuxFile } from '../../kernel/vmlinux.js';
import { KEY_SPEC, looksLikeDer, pemToDer } from '../../signature/index.js';
import { LightSkeleton, type Tamper, type TamperTarget } from '../../skeleton/light-skeleton.js';
import { parseLskel } from '../../skeleton/lskel-parse.js';
import { findGlobal, type LskelModel } from '../../skeleton/lskel-model.js';
import { loadReport, type LoadReport } from '../../skeleton/report.js';
import type { CliIo } from '../io.js';

export interface LoadCliOptions {
  json?: boolean;
  timeline?: boolean;
  timelineJson?: boolean;
  timelineHtml?: string;
  vmlinux?: string;
  signature?: boolean;
  exclHash?: boolean;
  tamper?: string[];
  set?: string[];
  maxEntries?: string[];
  keyring?: string[];
  builtinKey?: string[];
  keyringId?: string;
  scheme?: string;
  kernel?: string;
  pkcs7?: boolean;
  ecdsa?: boolean;
  logLevel?: string;
  attach?: boolean;
  seed?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A non-negative decimal or 0x-hex integer, or an error naming the flag. */
function parseUint(s: string, what: string, max: number): number {
  if (!/^(\d+|0x[0-9a-f]+)$/i.test(s)) throw new Error(`${what}: '${s}' is not a non-negative integer`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n > max) throw new Error(`${what}: ${s} is out of range (0..${max})`);
  return n;
}

function parseTamper(s: string): Tamper {
  const m = /^(insns|data|signature):([^:]+)(?::([^:]+))?$/i.exec(s);
  if (!m) throw new Error(`--tamper expects insns|data|signature:<offset>[:<xor>], got '${s}'`);
  const offset = parseUint(m[2], `--tamper ${s}: offset`, Number.MAX_SAFE_INTEGER);
  const xor = m[3] === undefined ? undefined : parseUint(m[3], `--tamper ${s}: xor`, 0xff);
  if (xor === 0) throw new Error(`--tamper ${s}: xor 0 would change nothing`);
  return { target: m[1].toLowerCase() as TamperTarget, offset, ...(xor !== undefined ? { xor } : {}) };
}

/** Check each tamper against what this skeleton loads (an offset past the end, or a signature that is not there). */
function checkTamper(t: Tamper, model: LskelModel, stripSignature: boolean): void {
  const bytes = t.target === 'insns' ? model.loader.insns : t.target === 'data' ? model.loader.data : model.loader.signature;
  if (t.target === 'signature' && (!bytes || bytes.length === 0)) throw new Error(`--tamper signature:${t.offset}: ${model.objName} is not signed (no signature to tamper with)`);
  if (t.target === 'signature' && stripSignature) throw new Error(`--tamper signature:${t.offset}: the signature is removed by --no-signature`);
  if (t.offset >= bytes!.length) throw new Error(`--tamper ${t.target}:${t.offset}: offset past the end of the ${t.target} (${bytes!.length} bytes, offsets 0..${bytes!.length - 1})`);
}

function parseAssign(s: string, what: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0 || i === s.length - 1) throw new Error(`${what} expects name=value, got '${s}'`);
  return [s.slice(0, i), s.slice(i + 1)];
}

/** `--set name=value`: the value must be an integer that fits the variable's C type. */
function globalValue(model: LskelModel, name: string, text: string): bigint {
  const g = findGlobal(model, name);
  if (!g) {
    const known = model.globals.flatMap((s) => s.members.filter((m) => !m.padding).map((m) => `${s.ident}.${m.name}`));
    throw new Error(`--set ${name}: no global variable '${name}' in ${model.objName}${known.length ? ` (globals: ${known.join(', ')})` : ' (it has no globals)'}`);
  }
  const v = g.variable;
  if (!/^-?(\d+|0x[0-9a-f]+)$/i.test(text)) throw new Error(`--set ${name}: '${text}' is not an integer`);
  const n = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
  let lo: bigint;
  let hi: bigint;
  const t = v.type;
  if (t.kind === 'int' || t.kind === 'enum') {
    const bits = BigInt(8 * v.size);
    const signed = t.kind === 'int' ? t.signed : true;
    lo = signed ? -(1n << (bits - 1n)) : 0n;
    hi = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  } else if (t.kind === 'bool') {
    lo = 0n; hi = 1n;
  } else {
    throw new Error(`--set ${name}: '${v.declaration}' is not an integer variable`);
  }
  if (n < lo || n > hi) throw new Error(`--set ${name}=${text}: out of range for ${v.typeName} (${lo}..${hi})`);
  return n;
}

/** A certificate file (PEM or DER, detected like bpftool does) as DER. */
function certDer(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  if (looksLikeDer(bytes)) return bytes;
  const der = pemToDer(Buffer.from(bytes).toString('latin1'));
  if (!der) throw new Error(`${path}: neither a DER certificate nor a PEM CERTIFICATE block`);
  return der;
}

/** Build the kernel a load runs on from the CLI options. */
export function kernelFromOptions(o: LoadCliOptions): Kernel {
  const version = (o.kernel ?? DEFAULT_CONFIG.version) as KernelVersion;
  if (!['6.18.0', '6.18.y', '2026'].includes(version)) throw new Error(`--kernel must be 6.18.0, 6.18.y or 2026`);
  const scheme = (o.scheme ?? DEFAULT_CONFIG.scheme) as SigningScheme;
  if (!['v6.18', 'hash-chain', 'v2026'].includes(scheme)) throw new Error(`--scheme must be v6.18, hash-chain or v2026`);
  const opts: KernelOptions = {
    version, scheme, systemDataVerification: o.pkcs7 !== false, ecdsa: o.ecdsa !== false,
    ...(o.seed !== undefined ? { seed: parseUint(o.seed, '--seed', 0xffffffff) } : {}),
    ...(o.vmlinux ? { vmlinux: loadVmlinuxFile(o.vmlinux) } : {}),
    keyrings: { builtin: (o.builtinKey ?? []).map(certDer) },
  };
  const k = new Kernel(opts);
  if (o.keyring?.length) {
    const ring = k.keyrings.addKeyring('bpfsim', KEY_SPEC.SESSION_KEYRING);
    for (const p of o.keyring) {
      const r = k.keyrings.addCertificate(certDer(p), ring);
      if (r < 0) throw new Error(`adding ${p} to the keyring failed: ${k.keyrings.lastFailure?.reason ?? r}`);
    }
  }
  return k;
}

export interface LoadRun {
  readonly kernel: Kernel;
  readonly skel: LightSkeleton;
  readonly report: LoadReport;
}

/** Everything `bpfsim load` does up to (and including) X__load and, optionally, X__attach. */
export function runLoad(path: string, source: string, o: LoadCliOptions): LoadRun {
  const k = kernelFromOptions(o);
  const model = parseLskel(source, path);
  const skel = LightSkeleton.open(k, model);
  if (o.keyringId !== undefined && !/^-?\d+$/.test(o.keyringId)) throw new Error(`--keyring-id: '${o.keyringId}' is not an integer`);
  const keyringId = o.keyringId !== undefined ? Number(o.keyringId) : null;
  if (keyringId !== null && (keyringId < -(2 ** 31) || keyringId > 2 ** 31 - 1)) throw new Error(`--keyring-id ${o.keyringId}: out of range for __s32`);
  if (model.skeleton.keyringIdOffset !== null) {
    skel.setKeyringId(keyringId ?? (o.keyring?.length ? KEY_SPEC.SESSION_KEYRING : 0));
  } else if (keyringId !== null) {
    throw new Error(`--keyring-id: ${model.objName} is not a signed skeleton (no keyring_id member)`);
  }
  for (const s of o.set ?? []) {
    const [name, v] = parseAssign(s, '--set');
    skel.setGlobal(name, globalValue(model, name, v));
  }
  for (const s of o.maxEntries ?? []) {
    const [name, v] = parseAssign(s, '--max-entries');
    if (!model.skeleton.maps.some((m) => m.name === name)) {
      throw new Error(`--max-entries ${name}: no map '${name}' in ${model.objName} (maps: ${model.skeleton.maps.map((m) => m.name).join(', ') || 'none'})`);
    }
    const n = parseUint(v, `--max-entries ${name}`, 0xffffffff);
    if (n === 0) throw new Error(`--max-entries ${name}=0: 0 means "no override" to the loader; give at least 1`);
    skel.setMaxEntries(name, n);
  }
  if (o.logLevel !== undefined) {
    const level = parseUint(o.logLevel, '--log-level', 0xffffffff);
    if (level) skel.setLog(level);
  }
  const stripSignature = o.signature === false;
  const tamper = (o.tamper ?? []).map(parseTamper);
  for (const t of tamper) checkTamper(t, model, stripSignature);
  const outcome = skel.load({ stripSignature, stripExclHash: o.exclHash === false, tamper });
  if (o.attach && outcome.skelLoad === 0) skel.attach();
  return { kernel: k, skel, report: loadReport(k, skel, outcome) };
}

function printHuman(io: CliIo, r: LoadRun, o: LoadCliOptions): void {
  const out = r.report.outcome;
  io.out(`${r.skel.model.objName} (${r.skel.model.generation}${r.skel.model.signed ? ', signed' : ''}) on kernel ${r.kernel.config.version}, scheme ${r.kernel.config.scheme}\n`);
  io.out(out.skel_load === 0 ? 'loaded: X__load() = 0\n' : `failed: X__load() = ${String(out.skel_load)} (${String(out.errno)}) at ${String(out.failed_at)}: ${String(out.errstr)}\n`);
  io.out('\ntimeline\n');
  io.out(renderTimelineText(timeline(r.kernel.trace.all)));
  if (r.report.objects) {
    io.out('\nobjects\n');
    for (const m of r.report.objects.maps) io.out(`  map  ${String(m.name).padEnd(18)} ${String(m.map_type_name).padEnd(24)} key ${m.key_size} value ${m.value_size} entries ${m.max_entries}${m.frozen ? ' frozen' : ''}\n`);
    for (const p of r.report.objects.progs) io.out(`  prog ${String(p.name).padEnd(18)} ${String(p.prog_type_name).padEnd(24)} ${p.insn_cnt_loaded} insns, tag ${p.tag}, maps ${(p.maps_used as string[]).join(', ') || '-'}\n`);
    for (const t of r.report.objects.transient) io.out(`  transient ${String(t.name)} (kept alive for an RCU tasks-trace grace period)\n`);
  }
  if (r.report.final_fds) io.out(`\nfds: ${JSON.stringify(r.report.final_fds)}\n`);
  if (out.ctx_log && (out.ctx_log as string[]).length) io.out(`\nctx log:\n  ${(out.ctx_log as string[]).join('\n  ')}\n`);
  void o;
}

export function loadOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print the load report as one JSON document (fixtures expected/ schema)')
    .option('--timeline', 'print only the ordered events with their actors')
    .option('--timeline-json', 'print the timeline as JSON')
    .option('--timeline-html <file>', 'write the timeline as a self-contained HTML sequence diagram')
    .option('--vmlinux <btf>', 'vmlinux BTF file (e.g. /sys/kernel/btf/vmlinux) instead of the built-in one')
    .option('--no-signature', 'load with the signature removed (signature = NULL, size 0)')
    .option('--no-excl-hash', 'create __loader.map without excl_prog_hash')
    .option('--tamper <target:offset[:xor]>', 'flip a byte of insns, data or signature before loading (repeatable)', collect)
    .option('--set <global=value>', 'set a global variable before load, as skel->rodata->x = v (repeatable)', collect)
    .option('--max-entries <map=n>', 'override a map\'s max_entries in the ctx (repeatable)', collect)
    .option('--keyring <cert>', 'add a certificate (PEM or DER) to a keyring in the session keyring (repeatable)', collect)
    .option('--builtin-key <cert>', 'compile a certificate into the builtin trusted keyring (keyring id 0) (repeatable)', collect)
    .option('--keyring-id <n>', 'skel->keyring_id (default: -3 with --keyring, else 0)')
    .option('--scheme <scheme>', 'signing scheme: v6.18 | hash-chain | v2026', 'v6.18')
    .option('--kernel <version>', 'kernel version: 6.18.0 | 6.18.y | 2026', '6.18.y')
    .option('--no-pkcs7', 'model a kernel without CONFIG_SYSTEM_DATA_VERIFICATION (every resolvable keyring: EOPNOTSUPP)')
    .option('--no-ecdsa', 'model a kernel without ECDSA support')
    .option('--log-level <n>', 'ctx log level for the verifier/BTF logs')
    .option('--attach', 'also run X__attach()')
    .option('--seed <n>', 'seed of the kernel PRNG');
}

export function register(program: Command, io: CliIo): void {
  loadOptions(program
    .command('load')
    .description('load a light skeleton (.lskel.h) in a modelled Linux 6.18 kernel and show what happened')
    .argument('<lskel>', 'bpftool light skeleton header'))
    .action(async (path: string, o: LoadCliOptions) => {
      const r = runLoad(path, (await io.readInput(path)).toString('utf8'), o);
      if (o.timelineHtml) writeFileSync(o.timelineHtml, renderTimelineHtml(timeline(r.kernel.trace.all), `bpfsim load ${path}`));
      if (o.json) io.out(JSON.stringify(r.report, null, 2) + '\n');
      else if (o.timelineJson) io.out(JSON.stringify(timeline(r.kernel.trace.all), null, 2) + '\n');
      else if (o.timeline) io.out(renderTimelineText(timeline(r.kernel.trace.all)));
      else printHuman(io, r, o);
      io.setExit(r.report.outcome.skel_load === 0 ? 0 : 1);
    });
}
