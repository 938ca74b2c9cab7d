import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runConformanceText } from '../../src/conformance/run.js';
import { Runner } from '../../src/interpreter/runner.js';
import { SHARED } from '../support/paths.js';

const dir = join(SHARED, 'conformance');
const files = readdirSync(dir).filter((f) => f.endsWith('.data')).sort();

describe('bpf_conformance suite', () => {
  it('has the 313 files of the snapshot', () => {
    expect(files.length).toBe(313);
  });
  const runner = new Runner();
  for (const f of files) {
    it(f, () => {
      const out = runConformanceText(f, readFileSync(join(dir, f), 'utf8'), runner);
      expect(out.message).toBeNull();
      expect(out.passed).toBe(true);
    });
  }
  it('reports a wrong expected value as a failure', () => {
    const out = runConformanceText('x', '-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n');
    expect(out.passed).toBe(false);
    expect(out.r0).toBe(1n);
  });
  it('has the bench programs available too', () => {
    expect(existsSync(join(SHARED, 'bench-programs', 'buffer.bin'))).toBe(true);
  });
});
