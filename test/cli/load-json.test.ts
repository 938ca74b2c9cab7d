/**
 * `bpfsim load --json` against the real-kernel recordings (vendor/shared/fixtures/expected/*.json):
 * for every harness case the command line can state (unsigned skeletons, and signed ones with the
 * signature removed, keyring id 0), run the CLI with the case's set-up as flags and compare the
 * four sections `outcome`, `outer_sequence`, `inner_sequence` and `objects` with the recording by
 * deep equality. Nothing is projected onto the recorded keys: an extra or a missing key fails.
 * The only fields dropped before comparing are listed in KNOWN_DIFFERENCES (test/support/fixture-cases.ts),
 * each with the line of README's "Differences from Linux" (or the recording's own note) that explains it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/kernel/config.js';
import {
  FIXTURE_NAMES, KNOWN_DIFFERENCES, dropKnownDifferences, expectedFile, recordedSections, replayableCases, type ExpectedCase,
} from '../support/fixture-cases.js';
import { FIXTURES } from '../support/paths.js';
import { runCli } from '../support/cli.js';
import { join } from 'node:path';

type Json = Record<string, unknown>;

/** The CLI flags that reproduce a harness case's set-up, or null if the command line cannot state it. */
function cliArgs(c: ExpectedCase): string[] | null {
  const s = c.setup!;
  if (s.signature !== 'none (unsigned skeleton)' && s.signature !== 'removed') return null;
  if (s.keyring_id !== null && s.keyring_id !== 0) return null;
  // The recording VM: no CONFIG_SYSTEM_DATA_VERIFICATION, no ECDSA (FIXTURE_KERNEL).
  const args = ['--no-pkcs7', '--no-ecdsa'];
  if (s.signature === 'removed') args.push('--no-signature');
  if (s.excl_prog_hash === 'removed') args.push('--no-excl-hash');
  for (const t of s.tamper ?? []) args.push('--tamper', `${t.target}:${t.offset}:${t.from ^ t.to}`);
  for (const o of s.overrides ?? []) {
    if (o.map !== undefined && o.max_entries !== undefined) args.push('--max-entries', `${o.map}=${o.max_entries}`);
    else if (/target_tgid/.test(o.what)) args.push('--set', `target_tgid=${DEFAULT_CONFIG.pid}`);
    else {
      const m = /(\w+)=(\d+)/.exec(o.what);
      if (!m) throw new Error(`cannot state override '${o.what}' on the command line`);
      args.push('--set', `${m[1]}=${m[2]}`);
    }
  }
  if (s.ctx_log_level) args.push('--log-level', String(s.ctx_log_level));
  return args;
}

for (const name of FIXTURE_NAMES) {
  const file = expectedFile(name);
  const cases = replayableCases(file).map((c) => ({ c, args: cliArgs(c) })).filter((x): x is { c: ExpectedCase; args: string[] } => x.args !== null);
  describe(`bpfsim load --json = the ${name} recordings`, () => {
    it('has cases the command line can state', () => {
      expect(cases.length).toBeGreaterThan(5);
    });
    for (const { c, args } of cases) {
      it(`${c.id} (${c.variant}): ${args.join(' ')}`, async () => {
        const r = await runCli(['load', join(FIXTURES, file.variants[c.variant].lskel), '--json', ...args]);
        expect(r.err).toBe('');
        const ours = JSON.parse(r.out) as Json;
        expect(r.code).toBe(c.outcome!.skel_load === 0 ? 0 : 1);
        expect(dropKnownDifferences(recordedSections(ours), c)).toEqual(dropKnownDifferences(recordedSections(c), c));
        // The fds the skeleton received, where the recording has them.
        if (c.final_fds) expect(ours.final_fds).toEqual({ maps: c.final_fds.maps, progs: c.final_fds.progs });
      });
    }
  });
}

describe('KNOWN_DIFFERENCES', () => {
  it('is short and every entry names the field it drops', () => {
    expect(Object.keys(KNOWN_DIFFERENCES).length).toBeLessThanOrEqual(7);
  });
});
