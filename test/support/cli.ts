import { readFileSync } from 'node:fs';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliRun { code: number; out: string; err: string }

/** Run the CLI in-process with captured output; `stdin` feeds '-' inputs. */
export async function runCli(args: string[], stdin = ''): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo & { exitCode: number } = {
    exitCode: 0,
    out: (t) => { out += t; },
    err: (t) => { err += t; },
    readInput: async (p) => (p === '-' ? Buffer.from(stdin) : readFileSync(p)),
    lines: (p) => (async function* () {
      const text = p === '-' ? stdin : readFileSync(p, 'utf8');
      for (const l of text.split('\n')) yield l;
    })(),
    setExit: (c) => { io.exitCode = c; },
  };
  const code = await main(args, io);
  return { code, out, err };
}
