import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CliIo } from './io.js';

/**
 * A stream whose reader went away (`bpfsim load x | head -1`: EPIPE) stops being written to,
 * quietly; the command still finishes and exits with its status. Other stream errors are reported
 * once on stderr (if it is still there).
 */
function guarded(stream: NodeJS.WriteStream): (t: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (closed) return;
    closed = true;
    if (e.code !== 'EPIPE' && stream !== process.stderr) {
      try { process.stderr.write(`bpfsim: cannot write output: ${e.message}\n`); } catch { /* stderr gone too */ }
      process.exitCode = 1;
    }
  });
  return (t: string) => {
    if (closed) return;
    try { stream.write(t); } catch (e) {
      closed = true;
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
    }
  };
}

/** The real process's streams. */
export function nodeIo(): CliIo & { exitCode: number } {
  const io = {
    exitCode: 0,
    out: guarded(process.stdout),
    err: guarded(process.stderr),
    readInput: async (path: string) => (path === '-' ? readStdin() : readFileSync(path)),
    lines: (path: string) => createInterface({ input: path === '-' ? process.stdin : createReadStream(path), crlfDelay: Infinity }),
    setExit: (c: number) => { io.exitCode = c; },
  };
  return io;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
