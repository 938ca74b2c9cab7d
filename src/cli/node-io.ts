import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CliIo } from './io.js';

/** The real process's streams. */
export function nodeIo(): CliIo & { exitCode: number } {
  const io = {
    exitCode: 0,
    out: (t: string) => { process.stdout.write(t); },
    err: (t: string) => { process.stderr.write(t); },
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
