/**
 * The running kernel as an oracle: test/isa/fixtures/kernel-log/load.c, built with the system `cc`,
 * loads a program as a socket filter with verifier log level 2 and prints the log, in which Linux's
 * kernel/bpf/disasm.c prints every instruction it visits. Tests skip (with the reason) where `cc`
 * or bpf() is not available.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../support/paths.js';
import { hex } from './bytes.js';
import { buildCHelper } from '../../support/c-helper.js';

export const LOADER_SOURCE = join(ROOT, 'test', 'isa', 'fixtures', 'kernel-log', 'load.c');

export interface KernelLoader {
  /** Load `bytes`; the verifier log and whether BPF_PROG_LOAD succeeded. */
  load(bytes: Uint8Array): { readonly log: string; readonly loaded: boolean };
  /** Remove the built loader. */
  dispose(): void;
}

/** Build the loader and check that bpf() works here; otherwise the reason why not. */
export function kernelLoader(): KernelLoader | { readonly skip: string } {
  if (process.platform !== 'linux') return { skip: `bpf() needs Linux, this is ${process.platform}` };
  const built = buildCHelper(LOADER_SOURCE, 'kernel-log-loader');
  if ('reason' in built) return { skip: built.reason };
  const bin = built.path;
  const dispose = () => undefined; // the build is cached for the next run
  // `r0 = 0; exit` loads on any kernel that lets us call bpf().
  const probe = spawnSync(bin, [], { input: 'b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00', encoding: 'utf8', timeout: 20_000 });
  if (probe.status !== 0) {
    dispose();
    return { skip: `bpf(BPF_PROG_LOAD) is not permitted here: ${probe.stderr.trim() || probe.stdout.trim()}` };
  }
  return {
    load(bytes) {
      const r = spawnSync(bin, [], { input: hex(bytes), encoding: 'utf8', maxBuffer: 1 << 24, timeout: 20_000 });
      return { log: r.stdout ?? '', loaded: r.status === 0 };
    },
    dispose,
  };
}

/** The `N: (code) text` instruction lines of a verifier log, first occurrence per index. */
export function loggedInstructions(log: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of log.split('\n')) {
    const m = /^(\d+): (\([0-9a-f]{2}\) .*?)(?:\s+; .*)?$/.exec(line);
    if (m && !out.has(Number(m[1]))) out.set(Number(m[1]), m[2].trimEnd());
  }
  return out;
}
