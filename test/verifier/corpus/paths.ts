/** Where the corpus's checked-in data lives. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The generated corpus with the kernel's labels (one JSON case per line). */
export const LABELS_PATH = join(HERE, 'labels.jsonl');
/** The kernel's complete logs of log-programs.ts. */
export const KERNEL_LOGS_PATH = join(HERE, '..', 'data', 'kernel-logs.json');
