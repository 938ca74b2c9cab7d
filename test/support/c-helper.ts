/**
 * Building the small C helpers the differential tests drive (real-kernel oracles): compiled once
 * per source and flags with the system `cc`, cached in the OS temp dir under a content hash, and
 * renamed into place atomically so parallel test workers can build at the same time.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type CHelper = { readonly path: string } | { readonly reason: string };

export function buildCHelper(source: string, name: string, flags: readonly string[] = ['-O2', '-Wall']): CHelper {
  const hash = createHash('sha256').update(readFileSync(source)).update(flags.join(' ')).digest('hex').slice(0, 16);
  const path = join(tmpdir(), `bpfsim-${name}-${hash}`);
  if (existsSync(path)) return { path };
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    execFileSync('cc', [...flags, '-o', tmp, source], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    renameSync(tmp, path);
    return { path };
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') return { reason: 'no C compiler: `cc` was not found on PATH' };
    return { reason: `cc failed to build ${source}: ${err.stderr?.toString().trim() || err.message}` };
  }
}
