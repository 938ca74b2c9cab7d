import { describe, expect, it } from 'vitest';
import { decodeBlobAttr } from '../../src/skeleton/blob-attrs.js';
import { parseLskel } from '../../src/skeleton/lskel-parse.js';
import { analyzeLoader, type SysBpfCall } from '../../src/skeleton/loader-analysis.js';
import { variant } from './lskel-fixtures.js';

const v = variant('maps_globals', 'v78');
const m = parseLskel(v.source, v.file);
const blob = m.loader.data;

describe('decodeBlobAttr', () => {
  it('decodes the attr templates the inner commands of the real run used (DBG case)', () => {
    const dbg = variant('maps_globals', 'v78dbg');
    const dm = parseLskel(dbg.source, dbg.file);
    const calls = analyzeLoader(dm.loader.insns, dm.loader.data).calls
      .filter((c): c is SysBpfCall => c.kind === 'sys_bpf');
    const run = dbg.json.cases.find((c) => c.id === 'DBG') as { inner_sequence: Array<{ cmd?: string; attr_size?: number; attr?: Record<string, unknown> }> };
    const observed = run.inner_sequence.filter((s) => s.cmd !== undefined);
    expect(calls.map((c) => c.cmdName)).toEqual(observed.map((s) => s.cmd));
    calls.forEach((c, i) => {
      expect(c.attrSize).toBe(observed[i].attr_size);
      const a = decodeBlobAttr(c.cmd!, dm.loader.data, c.attrOff!, c.attrSize!) as unknown as Record<string, unknown>;
      for (const [k, want] of Object.entries(observed[i].attr ?? {})) {
        if (k.endsWith('_type_name')) continue; // names of map_type / prog_type, not attr fields
        if (k === 'flags') expect(a[k]).toBe(BigInt(want as number));
        else expect(a[k], `${observed[i].cmd}.${k}`).toBe(want);
      }
    });
  });

  it('reads a MAP_CREATE template field by field (signing.md §4.3 offsets)', () => {
    expect(decodeBlobAttr(0, blob, 2704, 72)).toEqual({
      cmd: 'BPF_MAP_CREATE', map_type: 2, key_size: 4, value_size: 8, max_entries: 4, map_flags: 0, inner_map_fd: 0,
      numa_node: 0, map_name: 'arr', map_ifindex: 0, btf_fd: 0, btf_key_type_id: 8, btf_value_type_id: 11,
      btf_vmlinux_value_type_id: 0, map_extra: 0n,
    });
  });

  it('sees zeros beyond the attr size, as the kernel does', () => {
    const a = decodeBlobAttr(0, blob, 2704, 12);
    expect(a).toMatchObject({ map_type: 2, key_size: 4, value_size: 8, max_entries: 0, map_name: '', btf_value_type_id: 0 });
  });

  it('refuses attrs outside the blob and names commands it does not decode', () => {
    expect(decodeBlobAttr(0, blob, blob.length - 8, 72)).toBeNull();
    expect(decodeBlobAttr(0, blob, -1, 4)).toBeNull();
    expect(decodeBlobAttr(0, blob, 1.5, 4)).toBeNull();
    expect(decodeBlobAttr(15, blob, 0, 16)).toEqual({ cmd: 'other', number: 15, name: 'BPF_OBJ_GET_INFO_BY_FD' });
  });
});
