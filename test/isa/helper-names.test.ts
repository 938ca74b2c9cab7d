/**
 * The helper name table against Linux's own list: the `__BPF_FUNC_MAPPER` of the system's
 * <linux/bpf.h> (ids implicit in 6.1's header, explicit `FN(name, id, ##ctx)` from 6.2 on), and the
 * ids the project's design notes and fixtures rely on.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { BPF_FUNC_MAX_ID, helperId, helperName } from '../../src/isa/helper-names.js';

const HEADER = '/usr/include/linux/bpf.h';
const skip = existsSync(HEADER) ? undefined : `${HEADER} is not installed (Debian package linux-libc-dev)`;
if (skip !== undefined) console.warn(`helper table header comparison skipped: ${skip}`);

/** [name, id] pairs of the header's mapper macro. */
function headerHelpers(): Array<[string, number]> {
  const text = readFileSync(HEADER, 'utf8');
  const start = text.indexOf('FN(unspec');
  const end = text.indexOf('/* */', start);
  const body = text.slice(start, end);
  const out: Array<[string, number]> = [];
  for (const m of body.matchAll(/FN\(([a-z0-9_]+)(?:,\s*(\d+))?/g)) out.push([m[1], m[2] === undefined ? out.length : Number(m[2])]);
  return out;
}

describe('helper names', () => {
  it.skipIf(skip !== undefined)('match every helper of the system header', () => {
    const list = headerHelpers();
    expect(list.length).toBeGreaterThan(200);
    for (const [name, id] of list) {
      expect(helperName(id)).toBe(`bpf_${name}`);
      expect(helperId(name)).toBe(id);
    }
  });

  it('has the ids the design and fixtures use', () => {
    expect(BPF_FUNC_MAX_ID).toBe(212);
    expect([1, 2, 5, 12, 14, 131, 132, 166, 167, 211].map(helperName)).toEqual([
      'bpf_map_lookup_elem', 'bpf_map_update_elem', 'bpf_ktime_get_ns', 'bpf_tail_call', 'bpf_get_current_pid_tgid',
      'bpf_ringbuf_reserve', 'bpf_ringbuf_submit', 'bpf_sys_bpf', 'bpf_btf_find_by_name_kind', 'bpf_cgrp_storage_delete',
    ]);
    expect(helperName(212)).toBeUndefined();
    expect(helperName(-1)).toBeUndefined();
    expect(helperId('bpf_sys_bpf')).toBe(166);
    expect(helperId('sys_bpf')).toBe(166);
    expect(helperId('no_such_helper')).toBeUndefined();
  });
});
