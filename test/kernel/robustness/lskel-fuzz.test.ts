/**
 * Fuzzing the light-skeleton path with the fixtures (vendor/shared/fixtures/lskel):
 *  - a mutated `.lskel.h` (bytes flipped, cut, duplicated, deleted) either parses or fails with an
 *    LskelParseError — no other exception;
 *  - whatever parses, and every fixture loaded with random tampering of the loader instructions,
 *    the data blob or the signature (LightSkeleton.load's `tamper` option, plus the other hostile
 *    host options), ends with a return code (0 or -errno), never an exception, and after
 *    `skel.destroy()` and `kernel.settle()` (sleepable programs' deferred frees) the kernel is
 *    exactly as before `open`: no fds, objects, charged memory, user allocations or regions left.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIXTURE_KERNEL } from '../../../src/kernel/config.js';
import { Kernel } from '../../../src/kernel/kernel.js';
import { diffSnapshots } from '../../../src/kernel/snapshot.js';
import { LightSkeleton, type LoadOptions, type Tamper, type TamperTarget } from '../../../src/skeleton/light-skeleton.js';
import { LskelParseError, parseLskel } from '../../../src/skeleton/lskel-parse.js';
import type { LskelModel } from '../../../src/skeleton/lskel-model.js';
import { FIXTURES } from '../../support/paths.js';
import { FUZZ_SEED, scaled } from '../commands/scale.js';

const FILES = readdirSync(join(FIXTURES, 'lskel')).filter((f) => f.endsWith('.lskel.h')).sort();
const SOURCES = FILES.map((f) => readFileSync(join(FIXTURES, 'lskel', f), 'utf8'));
const MODELS: readonly LskelModel[] = FILES.map((f, i) => parseLskel(SOURCES[i], f));

/**
 * The fixtures' VM kernel (no CONFIG_SYSTEM_DATA_VERIFICATION), with a small instruction budget: a
 * tampered loader that the verifier accepts may loop for long.
 */
const KERNEL = { ...FIXTURE_KERNEL, runBudget: 2_000_000 };

/** One text mutation of a header. */
type TextMutation =
  | { readonly kind: 'flip'; readonly at: number; readonly xor: number }
  | { readonly kind: 'delete'; readonly at: number; readonly len: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'duplicate-line'; readonly at: number }
  | { readonly kind: 'digit'; readonly at: number; readonly digit: string };

const textMutationArb: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 127 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('\\x00', '"', '}', ';', '0x', '\\', '/*', '9999999999', '-1', 'struct ', '\n#define X\n')) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  // Numbers are where a parse that succeeds can still carry nonsense (sizes, offsets, counts).
  fc.record({ kind: fc.constant('digit' as const), at: fc.nat(), digit: fc.constantFrom('0', '1', '7', '9') }),
);

function applyText(src: string, m: TextMutation): string {
  const at = src.length ? m.at % src.length : 0;
  switch (m.kind) {
    case 'flip': return src.slice(0, at) + String.fromCharCode((src.charCodeAt(at) ^ m.xor) & 0x7f) + src.slice(at + 1);
    case 'delete': return src.slice(0, at) + src.slice(at + m.len);
    case 'insert': return src.slice(0, at) + m.text + src.slice(at);
    case 'truncate': return src.slice(0, at);
    case 'duplicate-line': {
      const start = src.lastIndexOf('\n', at) + 1;
      const end = src.indexOf('\n', at);
      const line = src.slice(start, end < 0 ? src.length : end + 1);
      return src.slice(0, start) + line + src.slice(start);
    }
    case 'digit': {
      // Replace the digit nearest to `at` (there are thousands: sizes, offsets, escapes).
      const re = /[0-9]/g;
      re.lastIndex = at;
      const hit = re.exec(src) ?? /[0-9]/.exec(src);
      if (!hit) return src;
      return src.slice(0, hit.index) + m.digit + src.slice(hit.index + 1);
    }
  }
}

/**
 * What may remain after X__destroy():
 * - `none`: nothing. The genuine loader's cleanup closes everything it created, whatever the data.
 * - `process`: only what the process's own fds still hold. Tampered loader *instructions* (or a header
 *   whose skeleton struct no longer matches the loader's offsets) can make the loader keep an fd
 *   X__destroy() does not know about — C code would leak it too; the process's exit closes it. So the
 *   check closes every remaining fd above stdio (as exit would), and then nothing may remain.
 * Either way, an stdio fd may be gone only if the loader itself closed it (bpf_sys_close on an fd
 * number a tampered blob recorded: Linux would close it as well).
 */
type Leftovers = 'none' | 'process';

function loadRoundTrip(model: LskelModel, opts: LoadOptions, allowed: Leftovers): { ret: number; problems: string[] } {
  const k = new Kernel(KERNEL);
  const before = k.snapshot();
  const problems: string[] = [];
  let ret = 0;
  let skel: LightSkeleton | null = null;
  try {
    skel = LightSkeleton.open(k, model);
    const out = skel.load(opts);
    ret = out.skelLoad;
    if (!Number.isInteger(ret) || ret > 0) problems.push(`X__load returned ${ret}`);
    if (out.bpfLoadAndRun !== 0 && out.errno === null) problems.push('a failure without an errno name');
    if (ret === 0) skel.attach();
  } catch (e) {
    problems.push(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  try {
    skel?.destroy();
  } catch (e) {
    problems.push(`destroy threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  k.settle();
  if (allowed === 'process') {
    for (const [fd] of k.fds.list()) if (fd > 2) k.close(fd);
    k.settle();
  }
  const closedByLoader = new Set(k.trace.all.flatMap((e) => (e.type === 'close' && e.caller === 'kernel' && e.ret === 0 ? [e.fd] : [])));
  const diff = diffSnapshots(before, k.snapshot()).filter((d) => !(d.what === 'fd' && d.fd <= 2 && d.after === null && closedByLoader.has(d.fd)));
  if (diff.length) problems.push(`left behind: ${JSON.stringify(diff).slice(0, 600)}`);
  return { ret, problems };
}

/** Whether two models lay out the skeleton struct (ctx, fds, data pointers) identically. */
function sameLayout(a: LskelModel, b: LskelModel): boolean {
  return JSON.stringify(a.skeleton) === JSON.stringify(b.skeleton);
}

const tamperArb = (model: LskelModel): fc.Arbitrary<Tamper[]> => {
  const targets: Array<[TamperTarget, number]> = [['insns', model.loader.insns.length], ['data', model.loader.data.length]];
  if (model.loader.signature) targets.push(['signature', model.loader.signature.length]);
  return fc.array(fc.constantFrom(...targets).chain(([target, len]) => fc.record({
    target: fc.constant(target), offset: fc.nat(len - 1), xor: fc.integer({ min: 1, max: 255 }),
  })), { minLength: 1, maxLength: 4 });
};

const optsArb = fc.record({
  stripSignature: fc.boolean(), stripExclHash: fc.boolean(), skipFreeze: fc.boolean(), skipGetInfo: fc.boolean(),
}, { requiredKeys: [] });

describe('light skeletons under fuzzing', () => {
  it('every fixture still loads and leaves nothing behind (the harness is sound)', () => {
    for (const [i, m] of MODELS.entries()) {
      const r = loadRoundTrip(m, { stripSignature: true }, 'none');
      expect(r.problems, FILES[i]).toEqual([]);
      expect(r.ret, FILES[i]).toBe(0);
    }
  });

  it('a mutated .lskel.h parses or fails with an LskelParseError, and what parses loads cleanly', () => {
    let parsed = 0;
    let rejected = 0;
    const loads: number[] = [];
    fc.assert(fc.property(fc.nat(FILES.length - 1), fc.array(textMutationArb, { minLength: 1, maxLength: 3 }), (fi, muts) => {
      const src = muts.reduce(applyText, SOURCES[fi]);
      let model: LskelModel;
      try {
        model = parseLskel(src, FILES[fi]);
      } catch (e) {
        if (!(e instanceof LskelParseError)) throw new Error(`${FILES[fi]} ${JSON.stringify(muts)}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        expect(e.line).toBeGreaterThan(0);
        rejected++;
        return;
      }
      parsed++;
      const pristine = sameLayout(model, MODELS[fi]) && model.loader.insns.every((b, i) => b === MODELS[fi].loader.insns[i]);
      const r = loadRoundTrip(model, { stripSignature: true }, pristine ? 'none' : 'process');
      loads.push(r.ret);
      expect(r.problems, `${FILES[fi]} ${JSON.stringify(muts)}`).toEqual([]);
    }), { numRuns: scaled(400), seed: FUZZ_SEED });
    // Both outcomes happened, and some mutated headers loaded with an error.
    expect(rejected).toBeGreaterThan(0);
    expect(parsed).toBeGreaterThan(0);
  });

  it('tampered loader instructions, data and signatures: a return code, and nothing left behind', () => {
    const codes = new Map<number, number>();
    fc.assert(fc.property(fc.nat(MODELS.length - 1).chain((mi) => fc.tuple(fc.constant(mi), tamperArb(MODELS[mi]), optsArb)), ([mi, tamper, opts]) => {
      const r = loadRoundTrip(MODELS[mi], { ...opts, tamper }, tamper.some((t) => t.target === 'insns') ? 'process' : 'none');
      codes.set(r.ret, (codes.get(r.ret) ?? 0) + 1);
      expect(r.problems, `${FILES[mi]} tamper ${JSON.stringify(tamper)} opts ${JSON.stringify(opts)}`).toEqual([]);
    }), { numRuns: scaled(250), seed: FUZZ_SEED + 7 });
    // Tampering is noticed (failures), and harmless flips still load.
    expect([...codes.keys()].some((c) => c < 0)).toBe(true);
  });
});
