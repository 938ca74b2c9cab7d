/**
 * `bpfsim sign <x.lskel.h> --key <pem> --cert <pem|der> [--scheme …] [-o out] [--json]`: sign a
 * light skeleton the way `bpftool gen skeleton -S` does (or as the hash-chain proposal / the 2026
 * in-kernel scheme would), writing a `.lskel.h` in bpftool's shape (see src/skeleton/sign.ts).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { SigningScheme } from '../../kernel/config.js';
import { toHex } from '../../util/hex.js';
import { parseLskel } from '../../skeleton/lskel-parse.js';
import { SIGNING_SCHEMES, signSkeletonDetailed, type SignedSkeleton } from '../../skeleton/sign.js';
import type { CliIo } from '../io.js';

export interface SignCliOptions {
  key: string;
  cert: string;
  scheme?: string;
  output?: string;
  json?: boolean;
}

export function parseScheme(s: string | undefined): SigningScheme {
  const v = s ?? 'v6.18';
  if (!(SIGNING_SCHEMES as readonly string[]).includes(v)) throw new Error(`--scheme must be one of ${SIGNING_SCHEMES.join(', ')}, got '${v}'`);
  return v as SigningScheme;
}

/** The --json document. */
export function signReport(input: string, output: string | null, s: SignedSkeleton): Record<string, unknown> {
  const m = s.model;
  return {
    input, output, scheme: s.scheme, obj_name: m.objName, generation: m.generation,
    insn_cnt: m.loader.insns.length / 8, data_size: m.loader.data.length,
    metadata_hash: toHex(s.metadataHash),
    hash_check: s.hasHashCheck ? (s.hashCheckChanged ? 'patched (changed)' : 'patched (unchanged)') : s.hashCheckRemoved ? 'removed (v2026: the kernel checks the map)' : 'none',
    excl_prog_hash: toHex(s.exclProgHash),
    signed_content: { description: s.signedContent.description, length: s.signedContent.length, sha256: toHex(s.signedContent.sha256) },
    signature_size: s.signature.length, signature: toHex(s.signature), signature_maps: s.signatureMaps,
    ...(output === null ? { lskel: s.text } : {}),
  };
}

export function register(program: Command, io: CliIo): void {
  program
    .command('sign')
    .description('sign a light skeleton (.lskel.h) like bpftool gen skeleton -S, under a signing scheme')
    .argument('<lskel>', 'bpftool light skeleton header (signed or unsigned)')
    .requiredOption('--key <pem>', 'private key, PEM')
    .requiredOption('--cert <pem|der>', 'signing certificate, PEM or DER (needs a subjectKeyIdentifier)')
    .option('--scheme <scheme>', `signing scheme: ${SIGNING_SCHEMES.join(' | ')}`, 'v6.18')
    .option('-o, --output <file>', 'write the signed header to this file (default: standard output)')
    .option('--json', 'print what was signed (hashes, signature, and the header unless -o) as JSON')
    .action(async (path: string, o: SignCliOptions) => {
      const scheme = parseScheme(o.scheme);
      const model = parseLskel((await io.readInput(path)).toString('utf8'), path);
      const key = (await io.readInput(o.key)).toString('latin1');
      const cert = new Uint8Array(await io.readInput(o.cert));
      const s = signSkeletonDetailed(model, { key, cert, scheme });
      if (o.output) writeFileSync(o.output, s.text);
      if (o.json) io.out(JSON.stringify(signReport(path, o.output ?? null, s), null, 2) + '\n');
      else if (!o.output) io.out(s.text);
      else io.out(`${o.output}: ${model.objName} signed (${scheme}), ${s.signature.length}-byte signature over ${s.signedContent.description}\n`);
    });
}
