import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseLskel } from '../../src/skeleton/lskel-parse.js';
import { renderLskel, LskelRenderError, exclProgHashOf } from '../../src/skeleton/lskel-render.js';
import { decodeCStringLiterals, formatBpftoolHex } from '../../src/skeleton/c-literal.js';
import { VARIANTS, variant } from './lskel-fixtures.js';

const model = (fixture: string, name: string) => {
  const v = variant(fixture, name);
  return parseLskel(v.source, v.file);
};

describe('formatBpftoolHex (bpftool print_hex)', () => {
  it('writes \\0 for zero bytes, \\xNN otherwise, breaking lines past 78 columns', () => {
    expect(formatBpftoolHex(Uint8Array.of(0x07, 0, 0, 0))).toBe('\\x07\\0\\0\\0');
    // 39 zero bytes fill a line exactly (78 columns); the 40th starts a new one.
    expect(formatBpftoolHex(new Uint8Array(40))).toBe(`${'\\0'.repeat(39)}\\\n\\0`);
    expect(formatBpftoolHex(new Uint8Array(19).fill(0xab))).toBe('\\xab'.repeat(19));
    expect(formatBpftoolHex(new Uint8Array(20).fill(0xab))).toBe(`${'\\xab'.repeat(19)}\\\n\\xab`);
    expect(formatBpftoolHex(new Uint8Array(0))).toBe('');
  });

  it('decodes back to the same bytes and never writes a line longer than 79 characters', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const body = formatBpftoolHex(bytes);
      expect(decodeCStringLiterals(`"\\\n${body}"`, 0).bytes).toEqual(bytes);
      for (const line of body.split('\n')) expect(line.length).toBeLessThanOrEqual(79);
    }));
  });
});

describe('renderLskel', () => {
  for (const v of VARIANTS) {
    it(`reproduces ${v.file} byte for byte`, () => {
      expect(renderLskel(parseLskel(v.source, v.file))).toBe(v.source);
    });
  }

  it('parse(render(parse(x))) equals parse(x) for every fixture', () => {
    for (const v of VARIANTS) {
      const m = parseLskel(v.source, v.file);
      expect(parseLskel(renderLskel(m), v.file)).toEqual(m);
    }
  });

  it('signing an unsigned 7.8 skeleton with the signed loader gives bpftool -S output exactly', () => {
    const pairs = [
      ['maps_globals', 'v78', 'v78.signed_rsa'], ['maps_globals', 'v78', 'v78.signed_ec'],
      ['minimal', 'v78', 'v78.signed_rsa'], ['ringbuf_trace', 'v78', 'v78.signed_ec'],
      ['shared_subprog', 'v78dbg', 'v78dbg.signed_rsa'], ['tprog', 'v77', 'v77.signed_rsa'],
    ] as const;
    for (const [fixture, unsignedName, signedName] of pairs) {
      const unsigned = model(fixture, unsignedName);
      const signed = model(fixture, signedName);
      // The data blob of a signed skeleton is the unsigned one's (fixtures README §2).
      expect(signed.loader.data).toEqual(unsigned.loader.data);
      const out = renderLskel(unsigned, { insns: signed.loader.insns, signature: signed.loader.signature! });
      expect(out).toBe(variant(fixture, signedName).source);
    }
  });

  it('parses a freshly signed header back to the input plus the signature fields', () => {
    const unsigned = model('ringbuf_trace', 'v78');
    const insns = model('ringbuf_trace', 'v78.signed_rsa').loader.insns;
    const signature = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 1) & 0xff);
    const m = parseLskel(renderLskel(unsigned, { insns, signature }), unsigned.fileName);
    const keyringIdOffset = unsigned.skeleton.linksOffset + 4 * unsigned.skeleton.progs.length;
    expect(m).toEqual({
      ...unsigned,
      signed: true,
      loader: {
        ...unsigned.loader, insns, signature, exclProgHash: sha256(insns),
        keyringId: { kind: 'skeleton_member', offset: keyringIdOffset },
      },
      skeleton: {
        ...unsigned.skeleton,
        keyringIdOffset,
        // The pointers move down by the 8-byte-aligned keyring_id slot.
        dataPointers: unsigned.skeleton.dataPointers.map((p) => ({ ...p, offset: p.offset + 8 })),
        size: unsigned.skeleton.size + 8,
      },
    });
  });

  it('keeps the excl hash when only the signature changes, recomputes it for new instructions', () => {
    const signed = model('minimal', 'v78.signed_rsa');
    const sig = new Uint8Array([1, 2, 3]);
    const resigned = parseLskel(renderLskel(signed, { signature: sig }));
    expect(resigned.loader.signature).toEqual(sig);
    expect(resigned.loader.exclProgHash).toEqual(signed.loader.exclProgHash);
    const insns = signed.loader.insns.slice();
    insns[4 * 8 + 4] ^= 1; // mov r3, 0 -> 1 (the README's T_insn_flip)
    const changed = parseLskel(renderLskel(signed, { insns, signature: sig }));
    expect(changed.loader.exclProgHash).toEqual(exclProgHashOf(insns));
    expect(changed.loader.exclProgHash).not.toEqual(signed.loader.exclProgHash);
    const explicit = parseLskel(renderLskel(signed, { insns, signature: sig, exclProgHash: signed.loader.exclProgHash! }));
    expect(explicit.loader.exclProgHash).toEqual(signed.loader.exclProgHash);
  });

  it('removing the signature and loader of a signed skeleton gives the unsigned header', () => {
    for (const [fixture, signedName, unsignedName] of [
      ['maps_globals', 'v78.signed_rsa', 'v78'], ['tprog', 'v77.signed_rsa', 'v77'],
    ] as const) {
      const out = renderLskel(model(fixture, signedName), { signature: null, insns: model(fixture, unsignedName).loader.insns });
      expect(out).toBe(variant(fixture, unsignedName).source);
    }
  });

  it('writes one generation\'s skeleton in another\'s shape (7.1 and 7.8 share loader and blob)', () => {
    for (const fixture of ['maps_globals', 'minimal', 'ringbuf_trace', 'shared_subprog']) {
      expect(renderLskel(model(fixture, 'v71'), { generation: 'v78' })).toBe(variant(fixture, 'v78').source);
      expect(renderLskel(model(fixture, 'v78'), { generation: 'v71' })).toBe(variant(fixture, 'v71').source);
    }
  });

  it('writes and reads back the hash-chain proposal\'s opts_signature_maps (bpftool -M)', () => {
    const signed = model('maps_globals', 'v78.signed_rsa');
    const withMaps = renderLskel(signed, { signatureMaps: [0] });
    expect(withMaps).toContain('\tstatic const int opts_signature_maps[1] __attribute__((__aligned__(8))) = {0};\n');
    expect(withMaps).toContain('\topts.keyring_id = skel->keyring_id;\n\topts.signature_maps = (void *)opts_signature_maps;\n\topts.signature_maps_sz = 1;\n');
    expect(parseLskel(withMaps).loader.signatureMaps).toEqual([0]);
    const without = renderLskel(signed, { signatureMaps: [] });
    expect(without).toContain('\topts.signature_maps = (void *)NULL;\n\topts.signature_maps_sz = 0;\n');
    expect(parseLskel(without).loader.signatureMaps).toEqual([]);
    expect(parseLskel(renderLskel(parseLskel(withMaps), { signatureMaps: null }), signed.fileName)).toEqual(signed);
  });

  it('writes every attach form bpftool knows', () => {
    const v = variant('shared_subprog', 'v78');
    const iter = v.source.replace(
      'int fd = ((void)prog_fd, 0); /* auto-attach not supported */',
      'int fd = skel_link_create(prog_fd, 0, BPF_TRACE_ITER);',
    );
    const m = parseLskel(iter);
    expect(m.skeleton.progs.map((p) => p.attach.kind)).toEqual(['link_create', 'none']);
    expect(renderLskel(m)).toBe(iter);
    const odd = parseLskel(v.source.replace('((void)prog_fd, 0)', 'skel_raw_tracepoint_open("a\\"b\\\\c\\001\\377", prog_fd)'));
    expect(odd.skeleton.progs[0].attach).toEqual({ kind: 'raw_tracepoint_open', tracepoint: 'a"b\\c\x01\xff' });
    expect(parseLskel(renderLskel(odd))).toEqual(odd);
  });

  it('refuses what no bpftool writes', () => {
    const v71 = model('minimal', 'v71');
    expect(() => renderLskel(v71, { signature: new Uint8Array(4) })).toThrow(LskelRenderError);
    expect(() => renderLskel(v71, { exclProgHash: new Uint8Array(32) })).toThrow(/only into signed headers/);
    expect(() => renderLskel(v71, { insns: new Uint8Array(12) })).toThrow(/whole 8-byte slots/);
    expect(() => renderLskel(v71, { signatureMaps: [0] })).toThrow(/needs a signature/);
  });

  it('carries a changed data blob and initial-value-free models', () => {
    const m = model('shared_subprog', 'v78');
    const data = m.loader.data.slice();
    data[100] ^= 0xff;
    expect(parseLskel(renderLskel(m, { data })).loader.data).toEqual(data);
  });
});
