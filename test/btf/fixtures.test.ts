/**
 * BPF_BTF_LOAD on the fixtures' BTF: what the loaders submit validates; the recorded data-flip cases
 * give exactly the recorded errno and log; the objects' raw .BTF sections are rejected the way the
 * reference kernel rejects them.
 */
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/errno.js';
import { btfLoad } from '../../src/kernel/btf/index.js';
import { FIXTURE_NAMES, expectedJson, findBtfInBlob, loaderData, objectBtfSection, submittedBtf } from './fixtures.js';
import { openBtfOracle } from './oracle.js';

const BIG_LOG = 1 << 16;

describe('BTF submitted by the fixture loaders', () => {
  for (const f of FIXTURE_NAMES) {
    it(`${f}: validates, with and without a log`, () => {
      const { btf, btfSize } = submittedBtf(f);
      const quiet = btfLoad({ data: btf, btfSize, logLevel: 0, logSize: 0, logBuf: 'absent' });
      expect(quiet.ok).toBe(true);
      expect(quiet.logBytes).toBeNull();
      const loud = btfLoad({ data: btf, btfSize, logLevel: 1, logSize: BIG_LOG, logBuf: 'present' });
      if (!loud.ok) throw new Error(`rejected: ${loud.log}`);
      // The log opens with the header dump; the header fields are read here independently.
      const dv = new DataView(btf.buffer, btf.byteOffset);
      const lines = loud.log.split('\n');
      expect(lines.slice(0, 9)).toEqual([
        'magic: 0xeb9f', 'version: 1', 'flags: 0x0', 'hdr_len: 24', 'type_off: 0',
        `type_len: ${dv.getUint32(12, true)}`, `str_off: ${dv.getUint32(16, true)}`,
        `str_len: ${dv.getUint32(20, true)}`, `btf_total_size: ${btfSize}`,
      ]);
      // Then one "[id] KIND name ..." line per type, ids 1..n in order.
      const typeLines = lines.filter((l) => /^\[\d+\] /.test(l));
      expect(typeLines.map((l) => Number(/^\[(\d+)\]/.exec(l)?.[1]))).toEqual(
        Array.from({ length: loud.btf.nrTypes - 1 }, (_, i) => i + 1),
      );
      expect(loud.logTrueSize).toBe(loud.log.length + 1);
    });
  }

  // U78_data_flip / U77_data_flip / DBG_data_flip: one byte of btf_size in the BTF_LOAD attr is
  // flipped, so the kernel reads one byte more or less than the BTF's own header describes.
  for (const f of FIXTURE_NAMES) {
    const exp = expectedJson(f);
    for (const c of exp.cases.filter((x) => /data_flip$/.test(x.id) && !x.id.includes('nosig'))) {
      it(`${f} ${c.id}: the recorded errno and log`, () => {
        const blob = loaderData(f, c.variant);
        const call = exp.variants[c.variant].static_inner_calls.find((x) => x.cmd === 'BPF_BTF_LOAD') as {
          attr_off: number; fields: { btf_size: number };
        };
        const offset = findBtfInBlob(blob, call.fields.btf_size);
        const tampered = blob.slice();
        for (const t of c.setup.tamper ?? []) {
          expect(tampered[t.offset]).toBe(t.from);
          tampered[t.offset] = t.to;
        }
        const attrSize = new DataView(tampered.buffer).getUint32(call.attr_off + 16, true);
        const inner = c.inner_sequence?.find((x) => x.cmd === 'BPF_BTF_LOAD') as { attr: { btf_size: number }; ret: number };
        expect(attrSize).toBe(inner.attr.btf_size);
        // The kernel reads btf_size bytes from where the BTF sits in the loader map value.
        const res = btfLoad({
          data: tampered.subarray(offset), btfSize: attrSize, logLevel: c.setup.ctx_log_level ?? 0,
          logSize: BIG_LOG, logBuf: 'present',
        });
        expect(res.ok).toBe(false);
        if (res.ok) return;
        expect(-res.errno).toBe(inner.ret);
        expect(res.log.split('\n')).toEqual(c.outcome.ctx_log);
      });
    }
  }
});

describe('raw .BTF sections of the objects (before libbpf finalizes them)', () => {
  // Observed on the reference Linux 6.18.44 kernel (this repository's oracle, BPF_BTF_LOAD at log
  // level 1): clang leaves DATASEC sizes at 0 and extern kfuncs with linkage 2 for libbpf to fix up.
  const lastLine: Record<string, string> = {
    minimal: '[22] DATASEC license size=0 vlen=1 size == 0',
    maps_globals: '[34] DATASEC .bss size=0 vlen=1 size == 0',
    shared_subprog: '[35] DATASEC .maps size=0 vlen=1 size == 0',
    ringbuf_trace: '[25] DATASEC .bss size=0 vlen=1 size == 0',
    tprog: '[17] FUNC bpf_rcu_read_lock type_id=16 Invalid func linkage',
  };
  for (const f of FIXTURE_NAMES) {
    it(`${f}: EINVAL, ${lastLine[f]}`, () => {
      const sec = objectBtfSection(f);
      const res = btfLoad({ data: sec, btfSize: sec.length, logLevel: 1, logSize: BIG_LOG, logBuf: 'present' });
      expect(res.ok).toBe(false);
      if (res.ok) return;
      expect(res.errno).toBe(ERRNO.EINVAL);
      expect(res.log.trimEnd().split('\n').pop()).toBe(lastLine[f]);
    });
  }
});

const { oracle, reason } = openBtfOracle();
describe.skipIf(!oracle)(`fixture BTF against the running kernel${oracle ? '' : ` (skipped: ${reason})`}`, () => {
  it('every submitted blob and raw section: same result, log and log_true_size', () => {
    const inputs = FIXTURE_NAMES.flatMap((f) => [submittedBtf(f).btf, objectBtfSection(f)]);
    const reqs = inputs.flatMap((data) => [
      { data, logLevel: 1, logSize: BIG_LOG, logBuf: true },
      { data, logLevel: 1, logSize: 200, logBuf: true },
      { data, logLevel: 1 | 8, logSize: 200, logBuf: true },
      { data, logLevel: 2, logSize: 0, logBuf: false },
    ]);
    const kernel = oracle!(reqs);
    reqs.forEach((r, i) => {
      const m = btfLoad({ data: r.data, btfSize: r.data.length, logLevel: r.logLevel, logSize: r.logSize, logBuf: r.logBuf ? 'present' : 'absent' });
      expect({
        ret: m.ok ? 'ok' : -m.errno,
        logTrueSize: m.logTrueSize,
        log: m.logBytes ? Buffer.from(m.logBytes).toString('latin1') : null,
      }).toEqual(kernel[i]);
    });
  });
});
