/**
 * compare-schemes against what signing.md says each scheme does (§2.2, §3.3, §6, Appendix B) and
 * what the fixtures' loaders do (fixtures/README.md §3.2–§3.3): the expected answer of every
 * (tamper class × scheme × kernel version) cell is written out below from the design, for
 *  - minimal.v78.signed_rsa (libbpf 1.8 loader: checks map->excl, ignores ctx overrides; no globals),
 *  - maps_globals.v78.signed_rsa (libbpf 1.8, with a .rodata global and its own maps),
 *  - tprog.v77.signed_rsa (late-2025 libbpf 1.7, the loader of the 6.18 era: no map->excl check,
 *    honours ctx initial_value and max_entries).
 * Plus the CLI (text, --json, --markdown, filters, errors).
 */
import { describe, expect, it } from 'vitest';
import type { KernelVersion, SigningScheme } from '../../src/kernel/config.js';
import { compareSchemes, type CaughtAt, type ComparisonCell, type LsmSeen, type SchemeComparison } from '../../src/skeleton/scheme-compare.js';
import { probePlan, TAMPER_CLASSES, type TamperClass } from '../../src/skeleton/tamper-probes.js';
import { runCli } from '../support/cli.js';
import { LSKEL, OTHER, SCHEMES, VERSIONS, fixtureModel, keyNameOf, keyPath, signer } from './support.js';

type Fixture = 'minimal' | 'maps_globals' | 'tprog';
const FILES: Record<Fixture, string> = {
  minimal: 'minimal.v78.signed_rsa.lskel.h',
  maps_globals: 'maps_globals.v78.signed_rsa.lskel.h',
  tprog: 'tprog.v77.signed_rsa.lskel.h',
};
/** Objects the loader creates: BTF + maps + programs (fixtures/expected/*.json inner sequences). */
const INNER_OBJECTS: Record<Fixture, number> = { minimal: 2, maps_globals: 7, tprog: 7 };

interface Want {
  readonly caught: Partial<CaughtAt> & { step: CaughtAt['step'] };
  readonly lsm: LsmSeen;
  readonly objs: number;
  readonly effect?: RegExp;
  /** Fds of the process the load closed (default none). */
  readonly closed?: readonly number[];
}

const NOT_REACHED: LsmSeen = { reached: false };
/** What security_bpf_prog_load is told when the signature step passed (§2.2 7e, §3.3, Appendix B). */
const HOOK: Record<SigningScheme, LsmSeen> = {
  'v6.18': { reached: true, loaderVerified: true, metadataVerified: false },
  'hash-chain': { reached: true, loaderVerified: true, metadataVerified: true },
  v2026: { reached: true, loaderVerified: false, metadataVerified: false },
};

/** The expected cell, from the design. */
function want(f: Fixture, tamper: TamperClass, scheme: SigningScheme, version: KernelVersion): Want | 'n/a' {
  const loads = (effect?: RegExp): Want => ({ caught: { step: 'not-caught' }, lsm: HOOK[scheme], objs: INNER_OBJECTS[f], ...(effect ? { effect } : {}) });
  // A signature failure: inside BPF_PROG_LOAD before the hook, or (2026) inside bpf_check after it.
  const sigFail = (errno: string): Want => scheme === 'v2026'
    ? { caught: { step: 'verifier', errno, prog: '__loader.prog' }, lsm: HOOK.v2026, objs: 0 }
    : { caught: { step: 'outer-signature', errno }, lsm: NOT_REACHED, objs: 0 };
  const getInfoEperm: Want = { caught: { step: 'outer-command', cmd: 'BPF_OBJ_GET_INFO_BY_FD', errno: 'EPERM' }, lsm: NOT_REACHED, objs: 0 };
  const kernel2026Refuses: Want = { caught: { step: 'verifier', errno: 'EPERM', prog: '__loader.prog' }, lsm: HOOK.v2026, objs: 0 };
  const libbpf18 = f !== 'tprog';
  switch (tamper) {
    case 'baseline': return loads();
    case 'insn-byte':
    case 'signature-byte': return sigFail('EKEYREJECTED');
    case 'blob-byte':
      return scheme === 'v6.18' ? { caught: { step: 'loader-retval', retval: -22, check: 'hash' }, lsm: HOOK['v6.18'], objs: 0 } : sigFail('EKEYREJECTED');
    case 'blob-fd-slot':
      // The loader's CLEANUP closes the fd it finds in the blob's fd_array slot of each map
      // (signing.md §5.2): under v6.18 it runs on the unverified blob and closes the process's stdout.
      if (f === 'minimal') return 'n/a';
      return scheme === 'v6.18' ? { caught: { step: 'loader-retval', retval: -22, check: 'hash' }, lsm: HOOK['v6.18'], objs: 0, closed: [1] } : sigFail('EKEYREJECTED');
    case 'wrong-key':
    case 'keyring-empty': return sigFail('ENOKEY');
    case 'keyring-unresolvable': return sigFail('EINVAL');
    case 'unfrozen-map':
      // The 2026-07 loader v2026 pairs with asks for no hash: the kernel's fd_array check refuses the
      // unfrozen map. Under the other schemes the loader reads map->sha, so the skeleton requests the
      // hash, which 6.18.y/2026 refuse for an unfrozen map (a2c86aa621c2).
      if (scheme === 'v2026') return kernel2026Refuses;
      return version !== '6.18.0' ? getInfoEperm : loads();
    case 'non-exclusive-map':
      if (scheme === 'v2026') return kernel2026Refuses;
      return libbpf18 ? { caught: { step: 'loader-retval', retval: -22, check: 'excl' }, lsm: HOOK[scheme], objs: 0 } : loads();
    case 'initial-value-override':
    case 'max-entries-override':
      if (f === 'minimal') return 'n/a';
      // No scheme covers the ctx; libbpf 1.8 signed loaders ignore the overrides (62fab2fc, 364ee320).
      return loads(libbpf18 ? /^override ignored/ : /^override applied/);
    case 'second-program':
      return { caught: { step: 'verifier', prog: 'intruder', errno: 'EACCES', message: "program's hash doesn't match map's excl_prog_hash" }, lsm: HOOK[scheme], objs: INNER_OBJECTS[f] };
    case 'toctou-rewrite':
      if (scheme === 'v2026') return kernel2026Refuses;
      if (version !== '6.18.0') return getInfoEperm;
      return scheme === 'v6.18' ? loads(/^loaded/) : sigFail('EKEYREJECTED');
  }
}

function checkAll(f: Fixture, c: SchemeComparison): string[] {
  const bad: string[] = [];
  for (const cell of c.cells) {
    const w = want(f, cell.tamper, cell.scheme, cell.version);
    const where = `${cell.tamper} ${cell.scheme} ${cell.version}`;
    if (w === 'n/a') {
      if (cell.result.kind !== 'n/a') bad.push(`${where}: expected n/a`);
      continue;
    }
    if (cell.result.kind !== 'ran') { bad.push(`${where}: n/a (${cell.result.reason})`); continue; }
    const r = cell.result;
    const caught = r.caught as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(w.caught)) if (caught[k] !== v) bad.push(`${where}: caught.${k} = ${String(caught[k])}, want ${String(v)}`);
    if (JSON.stringify(r.lsm) !== JSON.stringify(w.lsm)) bad.push(`${where}: lsm ${JSON.stringify(r.lsm)}, want ${JSON.stringify(w.lsm)}`);
    if (r.innerObjects !== w.objs) bad.push(`${where}: ${r.innerObjects} inner objects, want ${w.objs}`);
    const loaded = w.caught.step === 'not-caught' || cell.tamper === 'second-program';
    if ((r.skelLoad === 0) !== loaded) bad.push(`${where}: X__load() = ${r.skelLoad}`);
    if (w.effect && !w.effect.test(r.effect ?? '')) bad.push(`${where}: effect '${String(r.effect)}' !~ ${String(w.effect)}`);
    const closed = r.closedFds.map((x) => x.fd);
    if (JSON.stringify(closed) !== JSON.stringify(w.closed ?? [])) bad.push(`${where}: closed fds ${JSON.stringify(r.closedFds)}`);
  }
  return bad;
}

function run(f: Fixture): SchemeComparison {
  const s = signer(keyNameOf(FILES[f]));
  return compareSchemes(fixtureModel(FILES[f]), { key: s.key, cert: s.cert, wrongSigner: { key: OTHER.key, cert: OTHER.cert } });
}

describe('every cell matches the design', () => {
  for (const f of ['minimal', 'maps_globals', 'tprog'] as const) {
    it(f, () => {
      const c = run(f);
      expect(c.cells).toHaveLength(TAMPER_CLASSES.length * SCHEMES.length * VERSIONS.length);
      expect(c.signing.every((s) => s.ok)).toBe(true);
      expect(checkAll(f, c)).toEqual([]);
    });
  }
});

describe('where the probes poke (probePlan)', () => {
  it('maps_globals: .rodata magic, map arr (4 entries), its build-time value in the blob, fd_array slot 0', () => {
    const m = fixtureModel(FILES.maps_globals);
    const p = probePlan(m);
    expect(p.rodataGlobal).toEqual({ name: 'rodata.magic', original: 0xc0ffeen, override: 1234n });
    expect(p.maxEntries).toEqual({ map: 'arr', original: 4, override: 99 });
    expect(p.toctou.global).toEqual({ name: 'rodata.magic', rewritten: 0xc0ffefn });
    expect(m.loader.data[p.toctou.offset]).toBe(0xee);
    expect(p.fdSlot).toMatchObject({ offset: 0, fd: 1, xor: 1 });
    expect(p.insn.offset).toBe(36);
  });
  it('minimal: the blob byte is the low byte of btf_size (1339), and there is nothing to override or close', () => {
    const m = fixtureModel(FILES.minimal);
    const p = probePlan(m);
    expect(new DataView(m.loader.data.buffer, m.loader.data.byteOffset).getUint32(p.blob.offset, true)).toBe(1339);
    expect([p.rodataGlobal, p.maxEntries, p.fdSlot]).toEqual([null, null, null]);
  });
  it('tprog (loader copies initial values from the ctx): the TOCTOU probe rewrites an fd_array byte no command reads', () => {
    const p = probePlan(fixtureModel(FILES.tprog));
    expect(p.toctou).toMatchObject({ offset: 1279, global: null });
    expect(p.rodataGlobal).toEqual({ name: 'rodata.cfg_value', original: 42n, override: 1234n });
    expect(p.maxEntries).toEqual({ map: 'hmap', original: 16, override: 99 });
  });
});

describe('effects that show what a probe changed', () => {
  it('maps_globals on 6.18.0 under v6.18: the TOCTOU rewrite reaches the kernel map (rodata.magic 0xc0ffee → 0xc0ffef)', () => {
    const s = signer('rsa2048');
    const c = compareSchemes(fixtureModel(FILES.maps_globals), { key: s.key, cert: s.cert, schemes: ['v6.18'], versions: ['6.18.0'], tampers: ['toctou-rewrite'] });
    const r = c.cells[0].result;
    expect(r.kind === 'ran' && r.effect).toBe('loaded from the rewritten blob: rodata.magic = 0xc0ffef (rewritten 0xc0ffef)');
  });
  it('tprog: the 6.18-era loader copies a caller\'s .rodata value and max_entries into the kernel under every scheme', () => {
    const s = signer('v77_rsa2048');
    const c = compareSchemes(fixtureModel(FILES.tprog), { key: s.key, cert: s.cert, versions: ['6.18.y'], tampers: ['initial-value-override', 'max-entries-override'] });
    expect(c.cells.map((x) => x.result.kind === 'ran' ? x.result.effect : null)).toEqual([
      'override applied: rodata.cfg_value = 1234', 'override applied: rodata.cfg_value = 1234', 'override applied: rodata.cfg_value = 1234',
      'override applied: max_entries 99', 'override applied: max_entries 99', 'override applied: max_entries 99',
    ]);
  });
});

describe('an unsigned-generation skeleton', () => {
  it('v6.18 is not applicable (no hash check to sign); hash-chain and v2026 still run every probe', () => {
    const c = compareSchemes(fixtureModel('minimal.v78.lskel.h'), { key: signer('rsa2048').key, cert: signer('rsa2048').cert, versions: ['6.18.y'], tampers: ['baseline', 'blob-byte'] });
    expect(c.signing.map((s) => [s.scheme, s.ok])).toEqual([['v6.18', false], ['hash-chain', true], ['v2026', true]]);
    const by = (scheme: SigningScheme, t: TamperClass): ComparisonCell => c.cells.find((x) => x.scheme === scheme && x.tamper === t)!;
    expect(by('v6.18', 'baseline').result).toMatchObject({ kind: 'n/a', reason: expect.stringMatching(/no metadata hash check/) });
    expect(by('hash-chain', 'baseline').result).toMatchObject({ kind: 'ran', caught: { step: 'not-caught' }, innerObjects: 2 });
    expect(by('hash-chain', 'blob-byte').result).toMatchObject({ kind: 'ran', caught: { step: 'outer-signature', errno: 'EKEYREJECTED' } });
    expect(by('v2026', 'blob-byte').result).toMatchObject({ kind: 'ran', caught: { step: 'verifier', errno: 'EKEYREJECTED' } });
  });
});

describe('bpfsim compare-schemes', () => {
  const file = `${LSKEL}/${FILES.minimal}`;
  const base = ['compare-schemes', file, '--key', keyPath('rsa2048.key.pem'), '--cert', keyPath('rsa2048.cert.pem')];
  const filters = ['--scheme', 'v6.18', '--scheme', 'v2026', '--kernel', '6.18.0', '--tamper', 'blob-byte', '--tamper', 'unfrozen-map'];

  it('--json: the selected cells, in tamper-major order', async () => {
    const r = await runCli([...base, ...filters, '--json']);
    expect(r.code, r.err).toBe(0);
    const c = JSON.parse(r.out) as SchemeComparison;
    expect(c.cells.map((x) => [x.tamper, x.scheme, x.version])).toEqual([
      ['blob-byte', 'v6.18', '6.18.0'], ['blob-byte', 'v2026', '6.18.0'], ['unfrozen-map', 'v6.18', '6.18.0'], ['unfrozen-map', 'v2026', '6.18.0'],
    ]);
    expect(checkAll('minimal', c)).toEqual([]);
  });

  it('text: one aligned line per cell', async () => {
    const r = await runCli([...base, ...filters]);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.some((l) => /^tamper\s+scheme\s+kernel\s+caught at\s+LSM hook saw \(verified\)\s+inner objs\s+note$/.test(l))).toBe(true);
    expect(lines.some((l) => /^blob byte\s+v6\.18\s+6\.18\.0\s+loader retval -22 \(hash check\)\s+loader yes, metadata no\s+0$/.test(l))).toBe(true);
    expect(lines.some((l) => /^unfrozen map\s+v2026\s+6\.18\.0\s+verifier: EPERM\s+loader no, metadata no\s+0\s+\S/.test(l))).toBe(true);
  });

  it('--markdown: one row per tamper class, one column per scheme', async () => {
    const r = await runCli([...base, ...filters, '--markdown']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('| tamper | v6.18 | v2026 |');
    expect(r.out).toContain('| **blob byte** | loader retval -22 (hash check) · hook: L✓ M✗ · 0 inner objs | verifier: EKEYREJECTED · hook: L✗ M✗ · 0 inner objs |');
    expect(r.out).toContain('| **unfrozen map** | **not caught** · hook: L✓ M✗ · 2 inner objs | verifier: EPERM · hook: L✗ M✗ · 0 inner objs |');
  });

  it('--markdown groups the kernel versions that agree', async () => {
    const r = await runCli([...base, '--scheme', 'v6.18', '--tamper', 'unfrozen-map', '--tamper', 'blob-byte', '--markdown']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('| **blob byte** | loader retval -22 (hash check) · hook: L✓ M✗ · 0 inner objs |');
    expect(r.out).toContain('| **unfrozen map** | 6.18.0: **not caught** · hook: L✓ M✗ · 2 inner objs<br>6.18.y, 2026: outer BPF_OBJ_GET_INFO_BY_FD: EPERM · hook not reached · 0 inner objs |');
  });

  it('without --wrong-key, a throwaway untrusted key signs the wrong-key probe (ENOKEY)', async () => {
    const r = await runCli([...base, '--scheme', 'v6.18', '--kernel', '6.18.y', '--tamper', 'wrong-key', '--json']);
    expect(r.code, r.err).toBe(0);
    const c = JSON.parse(r.out) as SchemeComparison;
    expect(c.cells[0].result).toMatchObject({ kind: 'ran', caught: { step: 'outer-signature', errno: 'ENOKEY' }, lsm: { reached: false }, innerObjects: 0 });
  });

  it('bad options are refused with a clear message', async () => {
    const bad = async (args: string[], msg: RegExp) => {
      const r = await runCli([...base, ...args]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(msg);
    };
    await bad(['--tamper', 'bogus'], /--tamper must be one of baseline, insn-byte/);
    await bad(['--kernel', '6.19'], /--kernel must be one of 6\.18\.0, 6\.18\.y, 2026/);
    await bad(['--scheme', 'v7'], /--scheme must be one of/);
    await bad(['--wrong-key', keyPath('other_rsa2048.key.pem')], /--wrong-key and --wrong-cert go together/);
  });
});
