/**
 * `bpfsim compare-schemes <x.lskel.h> --key <pem> --cert <pem|der>`: sign the skeleton under each
 * signing scheme and run every tamper class on each kernel version, printing where each was
 * caught, what the loader's security_bpf_prog_load hook had seen, and whether inner objects were
 * created (src/skeleton/scheme-compare.ts). `--json` and `--markdown` for machines and docs.
 */
import type { Command } from 'commander';
import type { KernelVersion, SigningScheme } from '../../kernel/config.js';
import { loadVmlinuxFile } from '../../kernel/vmlinux.js';
import { parseLskel } from '../../skeleton/lskel-parse.js';
import { compareSchemes, KERNEL_VERSIONS, type CompareOptions } from '../../skeleton/scheme-compare.js';
import { renderComparisonMarkdown, renderComparisonText } from '../../skeleton/scheme-compare-render.js';
import { TAMPER_CLASSES, type TamperClass } from '../../skeleton/tamper-probes.js';
import type { CliIo } from '../io.js';
import { parseScheme } from './sign.js';

export interface CompareCliOptions {
  key: string;
  cert: string;
  wrongKey?: string;
  wrongCert?: string;
  scheme?: string[];
  kernel?: string[];
  tamper?: string[];
  vmlinux?: string;
  json?: boolean;
  markdown?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function parseVersion(v: string): KernelVersion {
  if (!(KERNEL_VERSIONS as readonly string[]).includes(v)) throw new Error(`--kernel must be one of ${KERNEL_VERSIONS.join(', ')}, got '${v}'`);
  return v as KernelVersion;
}

function parseTamper(v: string): TamperClass {
  const t = TAMPER_CLASSES.find((x) => x.id === v);
  if (!t) throw new Error(`--tamper must be one of ${TAMPER_CLASSES.map((x) => x.id).join(', ')}, got '${v}'`);
  return t.id;
}

export function register(program: Command, io: CliIo): void {
  program
    .command('compare-schemes')
    .description('sign a light skeleton under each signing scheme and show where each kind of tampering is caught, per kernel version')
    .argument('<lskel>', 'bpftool light skeleton header')
    .requiredOption('--key <pem>', 'private key, PEM')
    .requiredOption('--cert <pem|der>', 'signing certificate, PEM or DER (added to the selected keyring)')
    .option('--wrong-key <pem>', 'an untrusted key for the wrong-key probe (default: a throwaway key generated now)')
    .option('--wrong-cert <pem|der>', 'its certificate')
    .option('--scheme <scheme>', 'only this scheme (repeatable; default: v6.18, hash-chain, v2026)', collect)
    .option('--kernel <version>', 'only this kernel version (repeatable; default: 6.18.0, 6.18.y, 2026)', collect)
    .option('--tamper <class>', `only this tamper class (repeatable): ${TAMPER_CLASSES.map((t) => t.id).join(', ')}`, collect)
    .option('--vmlinux <btf>', 'vmlinux BTF file instead of the built-in one')
    .option('--json', 'print the comparison as JSON')
    .option('--markdown', 'print the comparison as Markdown')
    .action(async (path: string, o: CompareCliOptions) => {
      if ((o.wrongKey === undefined) !== (o.wrongCert === undefined)) throw new Error('--wrong-key and --wrong-cert go together');
      const model = parseLskel((await io.readInput(path)).toString('utf8'), path);
      const opts: CompareOptions = {
        key: (await io.readInput(o.key)).toString('latin1'),
        cert: new Uint8Array(await io.readInput(o.cert)),
        ...(o.wrongKey && o.wrongCert ? {
          wrongSigner: { key: (await io.readInput(o.wrongKey)).toString('latin1'), cert: new Uint8Array(await io.readInput(o.wrongCert)) },
        } : {}),
        ...(o.scheme?.length ? { schemes: o.scheme.map((s): SigningScheme => parseScheme(s)) } : {}),
        ...(o.kernel?.length ? { versions: o.kernel.map(parseVersion) } : {}),
        ...(o.tamper?.length ? { tampers: o.tamper.map(parseTamper) } : {}),
        ...(o.vmlinux ? { kernel: { vmlinux: loadVmlinuxFile(o.vmlinux) } } : {}),
      };
      const c = compareSchemes(model, opts);
      if (o.json) io.out(JSON.stringify(c, null, 2) + '\n');
      else if (o.markdown) io.out(renderComparisonMarkdown(c));
      else io.out(renderComparisonText(c));
    });
}
