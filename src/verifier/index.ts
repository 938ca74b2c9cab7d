/**
 * The simplified (never weaker) BPF verifier of bpfsim, modelled on Linux 6.18's for privileged
 * loaders. Entry point: {@link verify}.
 */
export { verify, BPF_COMPLEXITY_LIMIT_INSNS } from './verify.js';
export type {
  Capabilities, KfuncProto, LdImm64Patch, MapDescriptor, VerifyRequest, VerifyResult, VerifyStats,
} from './env.js';
export { ROOT_CAPS } from './env.js';
export { progDigest } from './ldimm64.js';
export {
  BPF_MAP_TYPE, BPF_PROG_TYPE, helperName, mapTypeByName, mapTypeName, progTypeByName, progTypeName,
} from './kernel-names.js';
export { disasmInsn } from './disasm.js';
export { MAX_LOG_CHARS, logWindowFor, type VLogWindow } from './log.js';
