/**
 * Where the bundled shared material lives (vendor/shared in the package), found by walking up
 * from this module so it works from src/ (tests) and from dist/ (the built CLI) alike.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function bundledShared(): string {
  if (process.env.BPFSIM_SHARED) return process.env.BPFSIM_SHARED;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(dir, 'vendor', 'shared');
    if (existsSync(join(cand, 'fixtures'))) return cand;
    dir = dirname(dir);
  }
  throw new Error('bundled material (vendor/shared) not found; set BPFSIM_SHARED');
}
