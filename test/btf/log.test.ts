/**
 * The BTF log buffer rules of Linux 6.18 (kernel/bpf/log.c): attribute checks, rotating versus
 * BPF_LOG_FIXED truncation, ENOSPC, btf_log_true_size, and the errors that come before the log.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/errno.js';
import { BTF_MAX_SIZE, btfLoad, type BtfLoadAttr } from '../../src/kernel/btf/index.js';
import { FIXTURE_NAMES, submittedBtf } from './fixtures.js';
import { openBtfOracle, type OracleRequest } from './oracle.js';

const good = submittedBtf('maps_globals').btf;
const load = (a: Partial<BtfLoadAttr>) =>
  btfLoad({ data: good, btfSize: good.length, logLevel: 1, logSize: 1 << 16, logBuf: 'present', ...a });
const text = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('latin1') : null);
const full = (() => {
  const r = load({});
  if (!r.ok || !r.logBytes) throw new Error('maps_globals BTF must load');
  return text(r.logBytes) as string;
})();

describe('log attributes (bpf_vlog_init)', () => {
  const bad: Array<[string, Partial<BtfLoadAttr>]> = [
    ['a buffer without a size', { logSize: 0 }],
    ['a size without a buffer', { logBuf: 'absent', logSize: 100 }],
    ['a buffer at level 0', { logLevel: 0 }],
    ['the kernel-internal level BPF_LOG_KERNEL', { logLevel: 16 }],
    ['unknown level bits', { logLevel: 0x21 }],
    ['a size above UINT_MAX >> 2', { logSize: 0x40000000 }],
  ];
  for (const [what, a] of bad) {
    it(`EINVAL for ${what}, before reading the BTF or touching the log`, () => {
      let read = false;
      const r = load({ ...a, data: () => ((read = true), good) });
      expect(r).toMatchObject({ ok: false, errno: ERRNO.EINVAL, logBytes: null, logTrueSize: null });
      expect(read).toBe(false);
    });
  }

  it('accepts a 1-byte buffer (6.4 dropped the 128-byte minimum): ENOSPC and an empty string', () => {
    const r = load({ logSize: 1 });
    expect(r).toMatchObject({ ok: false, errno: ERRNO.ENOSPC, logTrueSize: full.length + 1 });
    expect(text(r.logBytes)).toBe('');
  });

  it('accepts a level without a buffer: no log, but btf_log_true_size is reported', () => {
    const r = load({ logBuf: 'absent', logSize: 0 });
    expect(r).toMatchObject({ ok: true, logBytes: null, logTrueSize: full.length + 1 });
  });

  it('level 0 without a buffer: nothing logged, true size 0', () => {
    expect(load({ logLevel: 0, logBuf: 'absent', logSize: 0 })).toMatchObject({ ok: true, logBytes: null, logTrueSize: 0 });
  });
});

describe('errors before the log', () => {
  it(`E2BIG for btf_size > ${BTF_MAX_SIZE}, without reading or logging`, () => {
    let read = false;
    const r = load({ btfSize: BTF_MAX_SIZE + 1, data: () => ((read = true), null) });
    expect(r).toMatchObject({ ok: false, errno: ERRNO.E2BIG, logBytes: null, logTrueSize: null });
    expect(read).toBe(false);
  });

  it('EFAULT when the BTF cannot be read; the (empty) log is still finalized', () => {
    expect(load({ btfSize: good.length + 1 })).toMatchObject({ ok: false, errno: ERRNO.EFAULT, logBytes: null, logTrueSize: 0 });
    expect(load({ data: () => null })).toMatchObject({ ok: false, errno: ERRNO.EFAULT, logTrueSize: 0 });
  });

  it('the reader is asked for exactly btf_size bytes', () => {
    const sizes: number[] = [];
    const r = load({ data: (n) => (sizes.push(n), good) });
    expect(r.ok).toBe(true);
    expect(sizes).toEqual([good.length]);
  });

  it('EFAULT when the log buffer cannot be written, even for good BTF', () => {
    expect(load({ logBuf: 'fault' })).toMatchObject({ ok: false, errno: ERRNO.EFAULT, logBytes: null, logTrueSize: full.length + 1 });
  });
});

describe('truncation', () => {
  it('rotating (default): the buffer keeps the last size-1 bytes, ENOSPC fails the load', () => {
    const r = load({ logSize: 100 });
    expect(r).toMatchObject({ ok: false, errno: ERRNO.ENOSPC, logTrueSize: full.length + 1 });
    expect(text(r.logBytes)).toBe(full.slice(full.length - 99));
  });

  it('BPF_LOG_FIXED: the buffer keeps the first size-1 bytes', () => {
    const r = load({ logLevel: 1 | 8, logSize: 100 });
    expect(r).toMatchObject({ ok: false, errno: ERRNO.ENOSPC, logTrueSize: full.length + 1 });
    expect(text(r.logBytes)).toBe(full.slice(0, 99));
  });

  it('a buffer of exactly the true size holds the whole log', () => {
    const r = load({ logSize: full.length + 1 });
    expect(r.ok).toBe(true);
    expect(text(r.logBytes)).toBe(full);
  });

  it('levels 2 and BPF_LOG_STATS log the same BTF text as level 1', () => {
    expect(text(load({ logLevel: 2 }).logBytes)).toBe(full);
    expect(text(load({ logLevel: 4 }).logBytes)).toBe(full);
  });

  it('property: any size and mode gives the matching window of the full log', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: full.length + 50 }), fc.boolean(), (size, fixed) => {
        const r = load({ logSize: size, logLevel: fixed ? 9 : 1 });
        const keep = Math.min(size - 1, full.length);
        expect(text(r.logBytes)).toBe(fixed ? full.slice(0, keep) : full.slice(full.length - keep));
        expect(r.logTrueSize).toBe(full.length + 1);
        expect(r.ok ? 0 : r.errno).toBe(size > full.length ? 0 : ERRNO.ENOSPC);
      }),
    );
  });
});

const { oracle, reason } = openBtfOracle();
describe.skipIf(!oracle)(`log rules against the running kernel${oracle ? '' : ` (skipped: ${reason})`}`, () => {
  it('sizes, levels, buffers, E2BIG, EFAULT: same as Linux', () => {
    const reqs: OracleRequest[] = [];
    const bad = submittedBtf('tprog').btf.slice();
    bad[30] ^= 0x40; // a broken type record: an error log
    for (const data of [good, bad, ...FIXTURE_NAMES.map((f) => submittedBtf(f).btf)]) {
      for (const logLevel of [0, 1, 2, 4, 9, 16, 0x21]) {
        for (const logSize of [0, 1, 2, 50, 128, 1000, 1 << 16, 0x40000000]) {
          for (const logBuf of [true, false]) reqs.push({ data, logLevel, logSize, logBuf });
        }
      }
    }
    reqs.push({ data: good, btfSize: BTF_MAX_SIZE + 1, logLevel: 1, logSize: 100, logBuf: true });
    reqs.push({ data: good, btfSize: good.length + 1, logLevel: 1, logSize: 100, logBuf: true });
    reqs.push({ data: good, btfSize: 0, logLevel: 1, logSize: 100, logBuf: true });
    const kernel = oracle!(reqs);
    reqs.forEach((q, i) => {
      const r = btfLoad({ data: q.data, btfSize: q.btfSize ?? q.data.length, logLevel: q.logLevel, logSize: q.logSize, logBuf: q.logBuf ? 'present' : 'absent' });
      expect({ i, ret: r.ok ? 'ok' : -r.errno, logTrueSize: r.logTrueSize ?? 0, log: text(r.logBytes) }).toEqual({ i, ...kernel[i] });
    });
  });
});
