/** The CLI as a process, from the TypeScript sources (tests that need real stdio: pipes, EPIPE). */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
