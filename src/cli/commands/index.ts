import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { register as run } from './run.js';
import { register as conformance } from './conformance.js';
import { register as plugin } from './plugin.js';
import { register as load } from './load.js';
import { register as demo } from './demo.js';
import { register as verify } from './verify.js';
import { register as sign } from './sign.js';
import { register as compareSchemes } from './compare-schemes.js';

/** A subcommand: adds itself to the program. */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/** Every subcommand, in help order. */
export const COMMANDS: RegisterCommand[] = [demo, load, verify, sign, compareSchemes, run, conformance, plugin];
