import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errnoName } from '../../../src/errno.js';
import { PERM_W } from '../../../src/interpreter/memory.js';
import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
  expectKind, ringbufOfAddress,
} from '../../../src/kernel/maps/index.js';
import { T, errnoOf, make, peek, poke, readU32, testEnv } from './support.js';

const E = (f: () => unknown) => errnoName(errnoOf(f));

function ring(size = 4096) {
  const env = testEnv();
  const rb = expectKind(make(env, { mapType: T.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: size }), 'ringbuf');
  return { env, rb };
}

const fill = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i) & 0xff);

describe('BPF_MAP_TYPE_RINGBUF', () => {
  it('records are 8-byte aligned after an 8-byte header (len with the busy bit, pg_off)', () => {
    const { env, rb } = ring();
    const a = rb.reserve(5, 0n);
    expect(a).not.toBe(0n);
    expect(a - rb.data.base).toBe(8n);
    // While reserved: len | BPF_RINGBUF_BUSY_BIT; pg_off counts pages from struct bpf_ringbuf (3 meta pages).
    expect(readU32(peek(env, rb.data.base, 4))).toBe((5 | 0x80000000) >>> 0);
    expect(readU32(peek(env, rb.data.base + 4n, 4))).toBe(3);
    expect(env.space.resolve(a, 5, PERM_W)).not.toBeNull();
    poke(env, a, Uint8Array.from([1, 2, 3, 4, 5]));
    expect(rb.positions).toEqual({ consumer: 0, producer: 16, pending: 0 });
    expect(rb.consume()).toEqual([]);
    expect(rb.submit(a, 0n)).toBe(true);
    expect(readU32(peek(env, rb.data.base, 4))).toBe(5);
    const b = rb.reserve(1, 0n);
    expect(b - a).toBe(16n);
    rb.discard(b, 0n);
    expect(readU32(peek(env, rb.data.base + 16n, 4))).toBe((1 | 0x40000000) >>> 0);
    expect(rb.consume()).toEqual([Uint8Array.from([1, 2, 3, 4, 5])]);
    expect(rb.positions.consumer).toBe(32);
  });

  it('the consumer stops at an uncommitted record and delivers in reservation order', () => {
    const { env, rb } = ring();
    const r1 = rb.reserve(4, 0n), r2 = rb.reserve(4, 0n), r3 = rb.reserve(4, 0n);
    poke(env, r1, Uint8Array.from([1, 1, 1, 1]));
    poke(env, r2, Uint8Array.from([2, 2, 2, 2]));
    poke(env, r3, Uint8Array.from([3, 3, 3, 3]));
    rb.submit(r2, 0n);
    rb.submit(r3, 0n);
    expect(rb.consume()).toEqual([]);
    rb.submit(r1, 0n);
    expect(rb.consume().map((r) => r[0])).toEqual([1, 2, 3]);
    expect(rb.consume()).toEqual([]);
  });

  it('submit and discard only accept live reservations of this ring', () => {
    const { rb } = ring();
    const r = rb.reserve(8, 0n);
    expect(rb.submit(r + 8n, 0n)).toBe(false);
    expect(rb.submit(r, 0n)).toBe(true);
    expect(rb.submit(r, 0n)).toBe(false);
    expect(rb.discard(r, 0n)).toBe(false);
    expect(rb.submit(0n, 0n)).toBe(false);
  });

  it('reserve refuses flags, oversized records and a full ring; output reports EINVAL / EAGAIN', () => {
    const { rb } = ring(4096);
    expect(rb.reserve(8, 1n)).toBe(0n);
    expect(rb.reserve(4096, 0n)).toBe(0n);
    expect(rb.reserve(2n ** 40n, 0n)).toBe(0n);
    expect(rb.output(new Uint8Array(4), 4n)).toBe(-22);
    // The producer may run at most size - 1 bytes ahead of the consumer: 4088 + 8 = 4096 does not fit.
    expect(rb.reserve(4088, 0n)).toBe(0n);
    const big = rb.reserve(4080, 0n);
    expect(big).not.toBe(0n);
    expect(rb.output(new Uint8Array(1), 0n)).toBe(-11);
    rb.submit(big, 0n);
    expect(rb.output(new Uint8Array(1), 0n)).toBe(-11);
    expect(rb.consume()).toHaveLength(1);
    expect(rb.output(Uint8Array.from([9]), 0n)).toBe(0);
    expect(rb.consume()).toEqual([Uint8Array.from([9])]);
  });

  it('query: available data, ring size, consumer and producer positions', () => {
    const { rb } = ring(8192);
    rb.output(new Uint8Array(10), 0n);
    expect(rb.query(BigInt(BPF_RB_AVAIL_DATA))).toBe(24n);
    expect(rb.query(BigInt(BPF_RB_RING_SIZE))).toBe(8192n);
    expect(rb.query(BigInt(BPF_RB_PROD_POS))).toBe(24n);
    expect(rb.query(BigInt(BPF_RB_CONS_POS))).toBe(0n);
    rb.consume();
    expect(rb.query(BigInt(BPF_RB_CONS_POS))).toBe(24n);
    expect(rb.query(BigInt(BPF_RB_AVAIL_DATA))).toBe(0n);
    expect(rb.query(99n)).toBe(0n);
  });

  it('wakeups: when the consumer waits on the record, unless BPF_RB_NO_WAKEUP; always with BPF_RB_FORCE_WAKEUP', () => {
    const { rb } = ring();
    rb.output(new Uint8Array(1), 0n); // consumer at 0 = this record
    expect(rb.wakeups).toBe(1);
    rb.output(new Uint8Array(1), 0n); // consumer still at the first record
    expect(rb.wakeups).toBe(1);
    rb.output(new Uint8Array(1), BigInt(BPF_RB_FORCE_WAKEUP));
    expect(rb.wakeups).toBe(2);
    rb.consume();
    rb.output(new Uint8Array(1), BigInt(BPF_RB_NO_WAKEUP));
    expect(rb.wakeups).toBe(2);
  });

  it('records wrap around the end of the ring and stay contiguous for the program', () => {
    const { env, rb } = ring(4096);
    let seed = 0;
    for (let round = 0; round < 40; round++) {
      const sizes = [1000, 333, 1500, 7];
      const addrs = sizes.map((n) => rb.reserve(n, 0n));
      const datas = sizes.map((n) => fill(n, ++seed));
      addrs.forEach((a, i) => {
        if (a === 0n) return;
        // The whole record is one writable range, even across the end of the ring.
        expect(env.space.resolve(a, sizes[i], PERM_W)).not.toBeNull();
        poke(env, a, datas[i]);
      });
      addrs.forEach((a) => a !== 0n && rb.submit(a, 0n));
      const expected = datas.filter((_, i) => addrs[i] !== 0n);
      expect(rb.consume()).toEqual(expected);
    }
    expect(rb.positions.producer).toBeGreaterThan(3 * 4096);
  });

  it('the syscall side has no elements: ENOTSUPP', () => {
    const { rb } = ring();
    const empty = new Uint8Array(0);
    expect(E(() => rb.lookup(empty, 0n))).toBe('ENOTSUPP');
    expect(E(() => rb.lookup(empty, 8n))).toBe('EINVAL');
    expect(E(() => rb.update(empty, empty, 0n))).toBe('ENOTSUPP');
    expect(E(() => rb.delete(empty))).toBe('ENOTSUPP');
    expect(E(() => rb.getNextKey(null))).toBe('ENOTSUPP');
    expect(rb.lookupElem(empty)).toBe(0n);
    expect(rb.updateElem(empty, empty, 0n)).toBe(-524);
  });

  it('helpers find the ring of a record pointer', () => {
    const { env, rb } = ring();
    const other = ring().rb;
    const r = rb.reserve(16, 0n);
    expect(ringbufOfAddress(env.space, r)).toBe(rb);
    expect(ringbufOfAddress(env.space, rb.object.base)).toBeNull();
    expect(ringbufOfAddress(env.space, 0x1234n)).toBeNull();
    expect(other).not.toBe(rb);
  });

  it('model: random reserve / submit / discard / output / consume match a queue of records', () => {
    type Cmd = { c: 'reserve' | 'output'; size: number } | { c: 'commit'; which: number; discard: boolean } | { c: 'consume' };
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      fc.record({ c: fc.constantFrom('reserve' as const, 'output' as const), size: fc.oneof(fc.nat(64), fc.nat(5000)) }),
      fc.record({ c: fc.constant('commit' as const), which: fc.nat(10), discard: fc.boolean() }),
      fc.record({ c: fc.constant('consume' as const) }),
    );
    fc.assert(fc.property(fc.constantFrom(4096, 8192), fc.array(cmd, { maxLength: 200 }), (size, cmds) => {
      const { env, rb } = ring(size);
      // The model: positions and the records between consumer and producer, as Linux defines them.
      let prod = 0, cons = 0, seed = 0;
      const records: Array<{ pos: number; len: number; data: Uint8Array; state: 'busy' | 'done' | 'discarded'; addr: bigint }> = [];
      const fits = (len: number) => {
        if (len > size) return false;
        const oldestBusy = records.find((r) => r.state === 'busy')?.pos ?? prod;
        return prod + len - cons <= size - 1 && prod + len - oldestBusy <= size - 1;
      };
      for (const k of cmds) {
        if (k.c === 'reserve' || k.c === 'output') {
          const len = Math.ceil((k.size + 8) / 8) * 8;
          const data = fill(k.size, ++seed);
          const ok = fits(len);
          if (k.c === 'output') {
            expect(rb.output(data, 0n)).toBe(ok ? 0 : -11);
            if (ok) records.push({ pos: prod, len, data, state: 'done', addr: 0n });
          } else {
            const a = rb.reserve(k.size, 0n);
            expect(a !== 0n).toBe(ok);
            if (ok) {
              expect(a).toBe(rb.data.base + BigInt((prod % size) + 8));
              poke(env, a, data);
              records.push({ pos: prod, len, data, state: 'busy', addr: a });
            }
          }
          if (ok) prod += len;
        } else if (k.c === 'commit') {
          const busy = records.filter((r) => r.state === 'busy');
          if (busy.length === 0) continue;
          const r = busy[k.which % busy.length];
          expect(k.discard ? rb.discard(r.addr, 0n) : rb.submit(r.addr, 0n)).toBe(true);
          r.state = k.discard ? 'discarded' : 'done';
        } else {
          const want: Uint8Array[] = [];
          while (records.length > 0 && records[0].state !== 'busy') {
            const r = records.shift()!;
            if (r.state === 'done') want.push(r.data);
            cons = r.pos + r.len;
          }
          expect(rb.consume()).toEqual(want);
          expect(rb.positions.consumer).toBe(cons);
        }
        expect(rb.positions.producer).toBe(prod);
      }
    }), { numRuns: 300 });
  });
});
