import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The shared material (conformance suite, fixtures, bench programs), bundled under vendor/shared
 * so that a fresh clone is self-contained. BPFSIM_SHARED points the tests at another copy.
 */
export const SHARED = process.env.BPFSIM_SHARED ?? join(ROOT, 'vendor', 'shared');
export const FIXTURES = join(SHARED, 'fixtures');
