/**
 * The `bpfsim` command line. Each subcommand lives in its own module under ./commands.
 */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`bpfsim: not yet wired (${argv.join(' ')})\n`);
  return 2;
}
