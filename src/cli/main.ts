/**
 * The `bpfsim` command line. Each subcommand lives in ./commands/<name>.ts and exports
 * `register(program, io)`, adding itself to the commander program.
 */
import { Command, CommanderError } from 'commander';
import type { CliIo } from './io.js';
import { nodeIo } from './node-io.js';
import { COMMANDS } from './commands/index.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('bpfsim')
    .description('Userspace eBPF interpreter, verifier and modelled Linux kernel for signed light skeletons')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  for (const register of COMMANDS) register(program, io);
  return program;
}

/** Run the CLI with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[], io: CliIo & { exitCode: number } = nodeIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? io.exitCode : e.exitCode || 2;
    io.err(`bpfsim: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return io.exitCode;
}
