/**
 * `bpfsim plugin`: the bpf_conformance_runner plugin protocol (vendor/shared/conformance/README.md
 * §4): argv[1] is the input memory as hex when it does not start with `--`; the program arrives on
 * stdin as one hex line; print r0 in hex and exit 0, or print the reason and exit non-zero.
 * With `--elf` the hex line is an ELF object (the runner's ELF mode): the program is its first
 * non-empty executable section.
 */
import type { Command } from 'commander';
import { decode, type Program } from '../../isa/program.js';
import { parseElf, SHF } from '../../skeleton/elf.js';
import { validate } from '../../isa/validate.js';
import { Runner } from '../../interpreter/runner.js';
import { fromHex } from '../../util/hex.js';
import type { CliIo } from '../io.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('plugin')
    .description('speak the bpf_conformance_runner plugin protocol (program hex on stdin)')
    .argument('[args...]', 'optional memory hex, then plugin options')
    .allowUnknownOption(true)
    .action(async (args: string[]) => {
      const mem = args.length > 0 && !args[0].startsWith('--') ? fromHex(args[0]) : null;
      const text = (await io.readInput('-')).toString('utf8');
      let prog;
      try {
        const bytes = fromHex(text.split('\n')[0] ?? '');
        prog = args.includes('--elf') ? programOfElf(bytes) : decode(bytes);
      } catch (e) {
        io.out(`${(e as Error).message}\n`);
        io.setExit(1);
        return;
      }
      const bad = validate(prog);
      if (bad) { io.out(`${bad.message}\n`); io.setExit(1); return; }
      const { result } = new Runner().run(prog, mem && mem.length ? mem : null);
      if (result.status === 'fault') { io.out(`${result.fault.message}\n`); io.setExit(1); return; }
      io.out(`${result.r0.toString(16)}\n`);
    });
}

/** The first non-empty executable section of an ELF object, decoded. */
function programOfElf(bytes: Uint8Array): Program {
  const text = parseElf(bytes).sections.find((s) => (s.flags & SHF.EXECINSTR) !== 0 && s.data.length > 0);
  if (text === undefined) throw new Error('the ELF object has no executable section with instructions');
  return decode(text.data);
}
