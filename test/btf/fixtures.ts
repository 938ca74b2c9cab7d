/**
 * The BTF the fixture loaders submit with BPF_BTF_LOAD, taken from each light skeleton's data blob
 * (libbpf finalizes the object's .BTF before putting it there: DATASEC sizes, VAR offsets, extern
 * FUNC linkage, .ksyms placeholders), and the raw .BTF sections of the objects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCharArray } from '../../src/skeleton/c-literal.js';
import { FIXTURES } from '../support/paths.js';

export const FIXTURE_NAMES = ['minimal', 'maps_globals', 'shared_subprog', 'ringbuf_trace', 'tprog'] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

export const unsignedVariant = (f: FixtureName): string => (f === 'tprog' ? 'v77' : 'v78');

export function loaderData(f: FixtureName, variant = unsignedVariant(f)): Uint8Array {
  const src = readFileSync(join(FIXTURES, 'lskel', `${f}.${variant}.lskel.h`), 'utf8');
  const data = findCharArray(src, 'opts_data');
  if (!data) throw new Error(`no opts_data in ${f}.${variant}`);
  return data;
}

export interface ExpectedJson {
  variants: Record<string, { static_inner_calls: Array<Record<string, unknown>> }>;
  cases: Array<{
    id: string;
    variant: string;
    setup: { tamper: Array<{ target: string; offset: number; from: number; to: number; inside: string }> | null; ctx_log_level?: number };
    outcome: { ctx_log?: string[]; loader_retval?: number };
    inner_sequence?: Array<Record<string, unknown>>;
  }>;
}

export function expectedJson(f: FixtureName): ExpectedJson {
  return JSON.parse(readFileSync(join(FIXTURES, 'expected', `${f}.json`), 'utf8')) as ExpectedJson;
}

/** The offset of the BTF blob inside the loader data: the one BTF header whose sizes add up to `btfSize`. */
export function findBtfInBlob(data: Uint8Array, btfSize: number): number {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const hits: number[] = [];
  for (let i = 0; i + 24 <= data.length; i++) {
    if (dv.getUint16(i, true) !== 0xeb9f || data[i + 2] !== 1 || dv.getUint32(i + 4, true) !== 24) continue;
    if (24 + dv.getUint32(i + 16, true) + dv.getUint32(i + 20, true) === btfSize) hits.push(i);
  }
  if (hits.length !== 1) throw new Error(`expected one BTF of ${btfSize} bytes in the blob, found ${hits.length}`);
  return hits[0];
}

/** The submitted BTF of a fixture (unsigned variant) and where it sits in the blob. */
export function submittedBtf(f: FixtureName): { blob: Uint8Array; offset: number; btf: Uint8Array; btfSize: number } {
  const exp = expectedJson(f);
  const call = exp.variants[unsignedVariant(f)].static_inner_calls.find((c) => c.cmd === 'BPF_BTF_LOAD');
  const btfSize = (call?.fields as { btf_size: number }).btf_size;
  const blob = loaderData(f);
  const offset = findBtfInBlob(blob, btfSize);
  return { blob, offset, btf: blob.slice(offset, offset + btfSize), btfSize };
}

/** The .BTF section of obj/<f>.bpf.o, read with a minimal independent ELF64 walk. */
export function objectBtfSection(f: FixtureName): Uint8Array {
  const o = readFileSync(join(FIXTURES, 'obj', `${f}.bpf.o`));
  const shoff = Number(o.readBigUInt64LE(0x28));
  const shnum = o.readUInt16LE(0x3c);
  const shstrndx = o.readUInt16LE(0x3e);
  const sh = (i: number) => shoff + i * 64;
  const strOff = Number(o.readBigUInt64LE(sh(shstrndx) + 24));
  for (let i = 0; i < shnum; i++) {
    const nameOff = o.readUInt32LE(sh(i));
    const end = o.indexOf(0, strOff + nameOff);
    if (o.toString('latin1', strOff + nameOff, end) === '.BTF') {
      const off = Number(o.readBigUInt64LE(sh(i) + 24));
      const size = Number(o.readBigUInt64LE(sh(i) + 32));
      return new Uint8Array(o.subarray(off, off + size));
    }
  }
  throw new Error(`no .BTF in ${f}`);
}
