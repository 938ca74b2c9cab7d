/** The light-skeleton fixtures and their recorded expectations (vendor/shared/fixtures). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../support/paths.js';

export interface ExpectedLoader {
  insn_cnt: number;
  insns_size: number;
  insns_sha256: string;
  data_size: number;
  data_sha256: string;
  signature_size: number;
  signature_sha256: string | null;
  excl_prog_hash: string | null;
  embedded_data_hash: string | null;
  reads_map_excl: boolean;
  reads_map_sha: boolean;
  copies_initial_values_from_ctx: boolean;
  debug_trace_printk: boolean;
}

export interface ExpectedVariant {
  lskel: string;
  generator: { tool: string; signed: boolean; debug: boolean };
  skeleton_struct: { maps: string[]; progs: string[]; keyring_id_member: boolean };
  loader: ExpectedLoader;
  static_inner_calls: unknown[];
  loader_map_value_size: number;
  ctx_size: number;
}

export interface FixtureVariant {
  fixture: string;
  variant: string;
  /** Header file name, e.g. maps_globals.v78.signed_rsa.lskel.h. */
  file: string;
  source: string;
  expected: ExpectedVariant;
  /** The whole expected/<fixture>.json. */
  json: { cases: Array<Record<string, unknown>> };
}

function load(): FixtureVariant[] {
  const out: FixtureVariant[] = [];
  const dir = join(FIXTURES, 'expected');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const json = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    for (const [variant, v] of Object.entries<ExpectedVariant>(json.variants)) {
      const file = v.lskel.replace(/^lskel\//, '');
      out.push({
        fixture: json.fixture, variant, file, source: readFileSync(join(FIXTURES, v.lskel), 'utf8'), expected: v, json,
      });
    }
  }
  return out;
}

export const VARIANTS: readonly FixtureVariant[] = load();

export function variant(fixture: string, name: string): FixtureVariant {
  const v = VARIANTS.find((x) => x.fixture === fixture && x.variant === name);
  if (v === undefined) throw new Error(`no fixture ${fixture} ${name}`);
  return v;
}
