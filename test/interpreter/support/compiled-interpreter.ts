/**
 * The interpreter compiled the way the build compiles it (tsc, which inlines the `const enum Op`
 * so that the hot loop's switch is a jump table). Vitest transforms files one at a time and
 * cannot inline it, which makes the interpreter far slower inside tests; the few tests that must
 * execute millions of instructions (may_goto's BPF_MAX_LOOPS) use this copy instead.
 *
 * The modules are emitted once per test process into a temporary directory and imported from
 * there; they are the same sources, so the behaviour under test is the shipped one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { ROOT } from '../../support/paths.js';

type InterpreterModule = typeof import('../../../src/interpreter/index.js');
type ProgramModule = typeof import('../../../src/isa/program.js');

let cached: Promise<{ interpreter: InterpreterModule; program: ProgramModule }> | null = null;

export function compiledInterpreter(): Promise<{ interpreter: InterpreterModule; program: ProgramModule }> {
  cached ??= (async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'bpfsim-compiled-vm-'));
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n'); // the emitted .js files are ES modules
    const roots = [join(ROOT, 'src/interpreter/index.ts'), join(ROOT, 'src/isa/program.ts')];
    const program = ts.createProgram(roots, {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      outDir, rootDir: ROOT, skipLibCheck: true, noEmit: false, declaration: false, sourceMap: false, types: [],
    });
    const result = program.emit();
    if (result.emitSkipped) throw new Error('tsc did not emit the interpreter');
    const interpreter = (await import(pathToFileURL(join(outDir, 'src/interpreter/index.js')).href)) as InterpreterModule;
    const prog = (await import(pathToFileURL(join(outDir, 'src/isa/program.js')).href)) as ProgramModule;
    return { interpreter, program: prog };
  })();
  return cached;
}
