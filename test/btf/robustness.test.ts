/**
 * Bad input never crashes the BTF code: random bytes and mutated fixture BTF always give either a
 * verified BTF or an errno (BPF_BTF_LOAD), or a BtfError (structural parse); whatever the kernel
 * checks accept, the model can decode and query without throwing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/errno.js';
import { Btf, BtfError, btfLoad, encodeBtf } from '../../src/kernel/btf/index.js';
import { applyMutations, btfSpecs, mutationArb } from './arbitraries.js';
import { FIXTURE_NAMES, objectBtfSection, submittedBtf } from './fixtures.js';

const ERRNOS = new Set<number>([ERRNO.EINVAL, ERRNO.E2BIG, ERRNO.ENOTSUPP, ERRNO.EEXIST, ERRNO.ELOOP, ERRNO.ENOSPC, ERRNO.EFAULT]);
const bases = FIXTURE_NAMES.flatMap((f) => [submittedBtf(f).btf, objectBtfSection(f)]);

function exercise(data: Uint8Array, logLevel: number, logSize: number): void {
  const r = btfLoad({ data, btfSize: data.length, logLevel, logSize, logBuf: logSize ? 'present' : 'absent' });
  if (!r.ok) {
    expect(ERRNOS.has(r.errno), `errno ${r.errno}`).toBe(true);
  } else {
    // Kernel-valid BTF is structurally valid, and every query on it is safe.
    const parsed = Btf.parse(data);
    expect(parsed.nrTypes).toBe(r.btf.nrTypes);
    for (let id = 0; id <= r.btf.nrTypes; id++) {
      r.btf.type(id);
      r.btf.typeIdSize(id);
      r.btf.resolveSize(id);
      r.btf.funcProto(id);
      r.btf.skipModifiers(id);
      r.btf.findByNameKind(r.btf.nameOf(id), r.btf.kindOf(id));
    }
  }
  if (r.logBytes) expect(r.logBytes.length).toBeLessThan(Math.max(logSize, 1));
  try {
    const b = Btf.parse(data);
    for (const t of b.types()) b.findByNameKind(t.name, t.kind);
  } catch (e) {
    expect(e).toBeInstanceOf(BtfError);
  }
}

describe('BTF robustness', () => {
  it('random bytes, with and without a valid-looking header', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.constantFrom(0, 1, 9), fc.constantFrom(0, 64, 4096), (bytes, hdr, level, size) => {
      const data = bytes.slice();
      if (hdr && data.length >= 24) data.set([0x9f, 0xeb, 1, 0, 24, 0, 0, 0]);
      exercise(data, size ? level || 1 : level, size);
    }), { numRuns: 500 });
  });

  it('mutated fixture BTF', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (i, muts) => {
      exercise(applyMutations(bases[i], muts), 1, 1 << 16);
    }), { numRuns: 400 });
  });

  it('random type graphs', () => {
    fc.assert(fc.property(btfSpecs(12), (specs) => exercise(encodeBtf(specs), 1, 1 << 16)), { numRuns: 400 });
  });
});
