export * from './lskel-model.js';
export { parseLskel } from './lskel-parse.js';
export { LskelParseError } from './lskel-errors.js';
export { renderLskel } from './lskel-render.js';
export { analyzeLoader, patchLoaderDataHash } from './loader-analysis.js';
export { LightSkeleton, type LoadOptions, type LoadOutcome, type Tamper, type TamperTarget } from './light-skeleton.js';
export { loadReport, outerSequence, innerSequence, type LoadReport } from './report.js';
export { parseElf } from './elf.js';
export { parseBpfObject } from './elf-bpf.js';
