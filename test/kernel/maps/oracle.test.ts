/**
 * bpfsim's maps against the running Linux kernel: the create table of cases.ts, random operation
 * sequences on every value-holding map type (LRU eviction included, across CPUs), and fd-map
 * scenarios. Skips with the reason where bpf() cannot be used. The helper runs pinned to one CPU at a
 * time (`cpu` ops move it), so the per-CPU parts of the LRU are compared deterministically.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CREATE_CASES } from './cases.js';
import { mapOracle } from './oracle/map-oracle.js';
import { ModelRunner, comparable, oracleLine, type Op } from './script.js';
import { FD_SCENARIOS } from './scenarios.js';
import { T, make, testEnv } from './support.js';

/** BPFSIM_MAP_ORACLE_RUNS=n multiplies the number of random cases (for soak runs). */
const RUNS = Math.max(1, Number(process.env.BPFSIM_MAP_ORACLE_RUNS ?? 1) || 1);
const o = mapOracle();
if ('reason' in o) console.warn(`[maps oracle] skipped: ${o.reason}`);
const oracle = 'oracle' in o ? o.oracle : null;
const onlineCpus = (() => {
  try {
    const s = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    return s === `0-${(oracle?.nrCpus ?? 1) - 1}` ? oracle?.nrCpus ?? 1 : 1;
  } catch {
    return 1;
  }
})();

/** Run a script on both sides and compare every result. */
function compare(ops: Op[]): void {
  const real = oracle!.run(ops.map(oracleLine)).map((l) => (l.ok ? { ok: true as const, value: l.value } : l));
  const model = new ModelRunner(testEnv({ nrCpus: oracle!.nrCpus, limit: 24 * 1024 ** 3 })).run(ops);
  const lines = ops.map((op, i) => `${oracleLine(op)} -> kernel ${comparable(op, real[i])} / bpfsim ${comparable(op, model[i])}`);
  for (let i = 0; i < ops.length; i++) {
    if (comparable(ops[i], real[i]) !== comparable(ops[i], model[i])) {
      expect.fail(`op ${i} differs:\n${lines.slice(Math.max(0, i - 40), i + 1).join('\n')}`);
    }
  }
}

describe.skipIf(!oracle)('maps vs the running kernel', () => {
  it('BPF_MAP_CREATE cases: the kernel still answers as cases.ts records', () => {
    const ops: Op[] = CREATE_CASES.map((k) => ({ op: 'create', type: k.type, key: k.key, value: k.value, max: k.max, flags: k.flags }));
    const real = oracle!.run(ops.map(oracleLine));
    const got = real.map((r) => (r.ok ? 0 : r.errno));
    expect(got).toEqual(CREATE_CASES.map((k) => k.errno));
  });

  it('which updates move a value (a program compares lookup pointers around an update): same answer', () => {
    const types = [T.BPF_MAP_TYPE_HASH, T.BPF_MAP_TYPE_ARRAY, T.BPF_MAP_TYPE_PERCPU_HASH, T.BPF_MAP_TYPE_PERCPU_ARRAY,
      T.BPF_MAP_TYPE_LRU_HASH, T.BPF_MAP_TYPE_LRU_PERCPU_HASH];
    const kernel = oracle!.run(types.map((t) => `moves ${t}`)).map((r) => (r.ok ? r.value : `err ${r.errno}`));
    const model = types.map((t) => {
      const env = testEnv({ nrCpus: oracle!.nrCpus });
      const m = make(env, { mapType: t, keySize: 4, valueSize: 8, maxEntries: 4 });
      const key = new Uint8Array(4), value = new Uint8Array(8);
      m.updateElem(key, value, 0n);
      const p1 = m.lookupElem(key);
      m.updateElem(key, value, 0n);
      return p1 !== m.lookupElem(key) ? '1' : '0';
    });
    expect(model).toEqual(kernel);
    // And what the kernel said, for the record: HASH and LRU_HASH build a new element.
    expect(kernel).toEqual(['1', '0', '0', '0', '1', '0']);
  });

  for (const s of FD_SCENARIOS) {
    it(`fd maps: ${s.name}`, () => compare([{ op: 'cpu', cpu: 0 }, ...s.ops]));
  }

  it('random create attributes: same errno', () => {
    const types = [T.BPF_MAP_TYPE_HASH, T.BPF_MAP_TYPE_ARRAY, T.BPF_MAP_TYPE_PROG_ARRAY, T.BPF_MAP_TYPE_PERCPU_HASH,
      T.BPF_MAP_TYPE_PERCPU_ARRAY, T.BPF_MAP_TYPE_LRU_HASH, T.BPF_MAP_TYPE_LRU_PERCPU_HASH, T.BPF_MAP_TYPE_RINGBUF, 0, 34, 99];
    const create = fc.record({
      type: fc.constantFrom(...types),
      key: fc.constantFrom(0, 1, 4, 8, 16),
      value: fc.constantFrom(0, 1, 4, 8, 12, 64, 32768, 32769),
      max: fc.constantFrom(0, 1, 2, 3, 4, 7, 16, 4096, 8192),
      // bits 0..15; BPF_F_TOKEN_FD (16) needs a token and is the kernel's business.
      flags: fc.oneof(fc.constantFrom(0, 1, 2, 4, 8, 16, 64, 128, 256, 384, 1024, 2048, 4096, 3, 6, 1030), fc.integer({ min: 0, max: 0xffff })),
    });
    fc.assert(fc.property(fc.array(create, { minLength: 20, maxLength: 20 }), (cs) => {
      // Close each map right away so that fd numbers stay in step whatever succeeds.
      const ops: Op[] = [];
      for (const c of cs) {
        ops.push({ op: 'create', ...c });
        ops.push({ op: 'close', fd: 3 });
      }
      compare(ops);
    }), { numRuns: 25 * RUNS });
  });

  interface Cfg { type: number; flags: number; keySize: number; valueSize: number; max: number }
  const cfgs: Array<Omit<Cfg, 'valueSize' | 'max'>> = [
    { type: T.BPF_MAP_TYPE_HASH, flags: 0, keySize: 4 },
    { type: T.BPF_MAP_TYPE_HASH, flags: 1, keySize: 8 },
    { type: T.BPF_MAP_TYPE_PERCPU_HASH, flags: 0, keySize: 4 },
    { type: T.BPF_MAP_TYPE_LRU_HASH, flags: 0, keySize: 4 },
    { type: T.BPF_MAP_TYPE_LRU_HASH, flags: 2, keySize: 4 },
    { type: T.BPF_MAP_TYPE_LRU_PERCPU_HASH, flags: 0, keySize: 4 },
    { type: T.BPF_MAP_TYPE_LRU_PERCPU_HASH, flags: 2, keySize: 8 },
    { type: T.BPF_MAP_TYPE_ARRAY, flags: 0, keySize: 4 },
    { type: T.BPF_MAP_TYPE_PERCPU_ARRAY, flags: 0, keySize: 4 },
  ];
  const percpu = (t: number) => t === T.BPF_MAP_TYPE_PERCPU_HASH || t === T.BPF_MAP_TYPE_LRU_PERCPU_HASH || t === T.BPF_MAP_TYPE_PERCPU_ARRAY;
  const isArray = (t: number) => t === T.BPF_MAP_TYPE_ARRAY || t === T.BPF_MAP_TYPE_PERCPU_ARRAY;

  const scenario = fc.record({
    cfg: fc.constantFrom(...cfgs),
    valueSize: fc.constantFrom(4, 8, 12),
    max: fc.constantFrom(1, 2, 3, 4, 8, 16, 33),
    seq: fc.array(fc.record({
      kind: fc.constantFrom('update', 'update', 'update', 'update', 'lookup', 'lookup', 'delete', 'next', 'cpu'),
      key: fc.nat(80),
      flags: fc.constantFrom(0n, 0n, 0n, 1n, 2n, 3n, 4n),
      lookupFlags: fc.constantFrom(0n, 0n, 0n, 0n, 1n, 4n),
      cpu: fc.nat(7),
      byte: fc.nat(255),
      nullKey: fc.boolean(),
    }), { minLength: 30, maxLength: 250 }),
  });

  it('random operation sequences on hash, LRU, per-CPU and array maps: same results, same contents', () => {
    fc.assert(fc.property(scenario, ({ cfg, valueSize, max, seq }) => {
      const n = oracle!.nrCpus;
      const vlen = percpu(cfg.type) ? Math.ceil(valueSize / 8) * 8 * n : valueSize;
      const domain = 2 * max + 2;
      const key = (k: number): Uint8Array => {
        const b = new Uint8Array(cfg.keySize);
        new DataView(b.buffer).setUint32(0, k % domain, true);
        return b;
      };
      const ops: Op[] = [{ op: 'cpu', cpu: 0 }, { op: 'create', type: cfg.type, key: cfg.keySize, value: valueSize, max, flags: cfg.flags }];
      for (const s of seq) {
        switch (s.kind) {
          case 'update': ops.push({ op: 'update', fd: 3, key: key(s.key), value: new Uint8Array(vlen).fill(s.byte), flags: s.flags }); break;
          case 'lookup': ops.push({ op: 'lookup', fd: 3, key: key(s.key), flags: s.lookupFlags, len: vlen }); break;
          case 'delete': ops.push({ op: 'delete', fd: 3, key: key(s.key) }); break;
          case 'next':
            ops.push(isArray(cfg.type)
              ? { op: 'next', fd: 3, key: s.nullKey ? null : key(s.key), len: cfg.keySize }
              : { op: 'keys', fd: 3, len: cfg.keySize });
            break;
          case 'cpu': ops.push({ op: 'cpu', cpu: s.cpu % onlineCpus }); break;
        }
      }
      if (!isArray(cfg.type)) ops.push({ op: 'keys', fd: 3, len: cfg.keySize });
      compare(ops);
    }), { numRuns: 150 * RUNS });
  });

  it('LRU under pressure: long insert runs across CPUs evict the same elements', () => {
    fc.assert(fc.property(
      fc.constantFrom(4, 16, 33, 100, 300),
      fc.constantFrom(0, 2),
      fc.array(fc.tuple(fc.nat(1000), fc.nat(7), fc.constantFrom(0n, 0n, 1n, 2n)), { minLength: 200, maxLength: 800 }),
      (max, flags, seq) => {
        const key = (k: number) => new Uint8Array(new Uint32Array([k % (3 * max)]).buffer);
        const ops: Op[] = [{ op: 'cpu', cpu: 0 }, { op: 'create', type: T.BPF_MAP_TYPE_LRU_HASH, key: 4, value: 8, max, flags }];
        for (const [k, c, f] of seq) {
          if (c === 7) ops.push({ op: 'cpu', cpu: k % onlineCpus });
          else if (c === 6) ops.push({ op: 'delete', fd: 3, key: key(k) });
          else ops.push({ op: 'update', fd: 3, key: key(k), value: new Uint8Array(8).fill(k & 0xff), flags: f });
          if (k % 50 === 0) ops.push({ op: 'keys', fd: 3, len: 4 });
        }
        ops.push({ op: 'keys', fd: 3, len: 4 });
        compare(ops);
      }), { numRuns: 40 * RUNS });
  });
});
