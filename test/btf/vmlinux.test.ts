/**
 * vmlinux BTF: the built-in default (valid kernel BTF holding every name the fixture loaders look
 * up) and the real /sys/kernel/btf/vmlinux of this machine (parsed, indexed, and compared with the
 * default: same kinds for the same names, same uapi context layouts).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/errno.js';
import {
  BTF_KIND, Btf, SYS_VMLINUX_BTF, bpfBtfFindByNameKind, btfLoad, buildDefaultVmlinux, defaultVmlinuxBtf,
  loadVmlinuxBtf, type BtfType,
} from '../../src/kernel/btf/index.js';
import { FIXTURE_NAMES, expectedJson } from './fixtures.js';
import { openBtfOracle } from './oracle.js';

/** Every (name, kind) a fixture loader passes to bpf_btf_find_by_name_kind, from the expectations. */
const lookedUp = (() => {
  const out = new Map<string, number>();
  for (const f of FIXTURE_NAMES) {
    const exp = expectedJson(f);
    const calls = [
      ...Object.values(exp.variants).flatMap((v) => v.static_inner_calls),
      ...exp.cases.flatMap((c) => c.inner_sequence ?? []),
    ];
    for (const c of calls) {
      if (c.helper === 'btf_find_by_name_kind' && typeof c.name === 'string') out.set(c.name, c.btf_kind as number);
    }
  }
  return out;
})();

const CTX_STRUCTS = ['__sk_buff', 'xdp_md', 'bpf_raw_tracepoint_args', 'pt_regs'];

describe('the built-in default vmlinux BTF', () => {
  const btf = defaultVmlinuxBtf();

  it('passes the kernel BTF checks', () => {
    const bytes = buildDefaultVmlinux().encode();
    const r = btfLoad({ data: bytes, btfSize: bytes.length, logLevel: 1, logSize: 1 << 16, logBuf: 'present' });
    if (!r.ok) throw new Error(r.log);
    expect(r.btf.nrTypes).toBe(btf.nrTypes);
  });

  it(`holds every name the fixture loaders look up (${[...lookedUp.keys()].join(', ')})`, () => {
    expect(lookedUp.size).toBeGreaterThanOrEqual(3);
    for (const [name, kind] of lookedUp) {
      const id = btf.findByNameKind(name, kind);
      expect(id, name).toBeGreaterThan(0);
      expect(btf.kindOf(id)).toBe(kind);
    }
  });

  it('btf_trace_sys_enter is a typedef of a pointer to void(void *, struct pt_regs *, long)', () => {
    const td = btf.type(btf.findByNameKind('btf_trace_sys_enter', 'TYPEDEF'));
    if (td?.kind !== 'TYPEDEF') throw new Error('no typedef');
    const ptr = btf.type(td.type);
    if (ptr?.kind !== 'PTR') throw new Error('not a pointer');
    const proto = btf.funcProto(ptr.type);
    expect(proto?.returnType).toBe(0);
    expect(proto?.params.map((p) => btf.kindOf(p.type))).toEqual([BTF_KIND.PTR, BTF_KIND.PTR, BTF_KIND.INT]);
    expect(btf.nameOf(btf.skipModifiers((btf.type(proto!.params[1].type) as { type: number }).type))).toBe('pt_regs');
  });

  it('the kfuncs are static void(void) FUNCs tagged bpf_kfunc', () => {
    for (const name of ['bpf_rcu_read_lock', 'bpf_rcu_read_unlock']) {
      const id = btf.findByNameKind(name, 'FUNC');
      expect(btf.type(id)).toMatchObject({ kind: 'FUNC', linkage: 0 });
      expect(btf.funcProto(id)).toMatchObject({ returnType: 0, params: [], variadic: false });
      const tags = [...btf.types()].filter((t) => t.kind === 'DECL_TAG' && t.type === id);
      expect(tags.map((t) => t.name)).toEqual(['bpf_kfunc']);
    }
  });

  it('bpf_map: sha[32] at 0 and excl at 32; bpf_array embeds it first', () => {
    const map = btf.findByNameKind('bpf_map', 'STRUCT');
    expect(btf.member(map, 'sha')).toMatchObject({ bitsOffset: 0 });
    expect(btf.resolveSize(btf.member(map, 'sha')!.type)).toBe(32);
    expect(btf.member(map, 'excl')).toMatchObject({ bitsOffset: 256 });
    const array = btf.findByNameKind('bpf_array', 'STRUCT');
    expect(btf.member(array, 'map')).toMatchObject({ type: map, bitsOffset: 0 });
  });
});

describe('bpf_btf_find_by_name_kind (helper 167)', () => {
  const btf = defaultVmlinuxBtf();
  const z = (s: string) => new TextEncoder().encode(`${s}\0`);
  it('finds by NUL-terminated name and kind', () => {
    const n = z('bpf_rcu_read_lock');
    expect(bpfBtfFindByNameKind(btf, n, n.length, BTF_KIND.FUNC, 0)).toBe(btf.findByNameKind('bpf_rcu_read_lock', 'FUNC'));
    expect(bpfBtfFindByNameKind(btf, n, n.length, BTF_KIND.TYPEDEF, 0)).toBe(-ERRNO.ENOENT);
  });
  it('EINVAL for flags, a size <= 1, or no NUL at name[size - 1]', () => {
    const n = z('bpf_rcu_read_lock');
    expect(bpfBtfFindByNameKind(btf, n, n.length, BTF_KIND.FUNC, 1)).toBe(-ERRNO.EINVAL);
    expect(bpfBtfFindByNameKind(btf, n, 1, BTF_KIND.FUNC, 0)).toBe(-ERRNO.EINVAL);
    expect(bpfBtfFindByNameKind(btf, n, n.length - 1, BTF_KIND.FUNC, 0)).toBe(-ERRNO.EINVAL);
  });
  it('the name ends at its first NUL', () => {
    const n = new Uint8Array([...z('xdp_md'), 0x41, 0]);
    expect(bpfBtfFindByNameKind(btf, n, n.length, BTF_KIND.STRUCT, 0)).toBe(btf.findByNameKind('xdp_md', 'STRUCT'));
  });
});

const { oracle, reason } = openBtfOracle();
describe.skipIf(!oracle)(`default vmlinux against the running kernel${oracle ? '' : ` (skipped: ${reason})`}`, () => {
  it('Linux accepts it as BTF_LOAD input with the same log', () => {
    const bytes = buildDefaultVmlinux().encode();
    const [k] = oracle!([{ data: bytes, logLevel: 1, logSize: 1 << 16, logBuf: true }]);
    const r = btfLoad({ data: bytes, btfSize: bytes.length, logLevel: 1, logSize: 1 << 16, logBuf: 'present' });
    expect(k.ret).toBe('ok');
    expect(Buffer.from(r.logBytes!).toString('latin1')).toBe(k.log);
  });
});

const haveVmlinux = existsSync(SYS_VMLINUX_BTF);
describe.skipIf(!haveVmlinux)(`the real ${SYS_VMLINUX_BTF}${haveVmlinux ? '' : ' (skipped: file absent on this machine)'}`, () => {
  const real = haveVmlinux ? loadVmlinuxBtf() : (null as unknown as Btf);
  const def = defaultVmlinuxBtf();

  it('parses: tens of thousands of types', () => {
    expect(real.nrTypes).toBeGreaterThan(10_000);
    expect(real.type(1)).toBeDefined();
  });

  it('every name of the default vmlinux resolves to the same kind in the real one', () => {
    const named = [...def.types()].filter((t) => t.name && t.kind !== 'DECL_TAG');
    for (const t of named) {
      // A FWD in the small BTF stands for the struct/union the real kernel defines in full.
      const kind = t.kind === 'FWD' ? (t.union ? BTF_KIND.UNION : BTF_KIND.STRUCT) : BTF_KIND[t.kind];
      const id = real.findByNameKind(t.name, kind);
      expect(id, `${t.kind} ${t.name}`).toBeGreaterThan(0);
    }
    for (const [name, kind] of lookedUp) expect(real.kindOf(real.findByNameKind(name, kind))).toBe(kind);
  });

  const layout = (btf: Btf, name: string) => {
    const t = btf.type(btf.findByNameKind(name, 'STRUCT')) as Extract<BtfType, { members: unknown }>;
    return {
      size: t.size,
      members: t.members.map((m) => ({ name: m.name, bitsOffset: m.bitsOffset, size: btf.resolveSize(m.type), kind: btf.kindOf(btf.skipModifiers(m.type)) })),
    };
  };
  for (const name of CTX_STRUCTS) {
    it(`struct ${name}: same members, offsets, sizes and kinds`, () => expect(layout(def, name)).toEqual(layout(real, name)));
  }

  it('struct bpf_map / bpf_array: the fields the signed loader reads are where Linux has them', () => {
    for (const [s, m] of [['bpf_map', 'sha'], ['bpf_map', 'excl'], ['bpf_map', 'ops'], ['bpf_array', 'map'], ['bpf_array', 'elem_size']]) {
      const pick = (b: Btf) => {
        const id = b.findByNameKind(s, 'STRUCT');
        const mm = b.member(id, m)!;
        return { structSize: b.resolveSize(id), bitsOffset: mm.bitsOffset, size: b.resolveSize(mm.type) };
      };
      expect(pick(def), `${s}.${m}`).toEqual(pick(real));
    }
  });

  it('btf_trace_sys_enter: the same prototype shape', () => {
    const shape = (b: Btf) => {
      const td = b.type(b.findByNameKind('btf_trace_sys_enter', 'TYPEDEF')) as { type: number };
      const proto = b.funcProto((b.type(td.type) as { type: number }).type)!;
      return { ret: proto.returnType, params: proto.params.map((p) => [b.kindOf(p.type), b.resolveSize(p.type)]) };
    };
    expect(shape(def)).toEqual(shape(real));
  });

  it('the index agrees with a linear scan (btf_find_by_name_kind) on a sample of types', () => {
    const n = real.nrTypes;
    for (let id = 1; id < n; id += Math.floor(n / 200)) {
      const k = real.kindOf(id);
      const name = real.nameOf(id);
      let first = -1;
      for (let j = 1; j <= id; j++) {
        if (real.kindOf(j) === k && real.nameOf(j) === name) {
          first = j;
          break;
        }
      }
      expect(real.findByNameKind(name, k)).toBe(first);
    }
  });
});
