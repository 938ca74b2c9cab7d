import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { register as run } from './run.js';
import { register as conformance } from './conformance.js';
import { register as plugin } from './plugin.js';

/** A subcommand: adds itself to the program. */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/** Every subcommand, in help order. */
export const COMMANDS: RegisterCommand[] = [run, conformance, plugin];
